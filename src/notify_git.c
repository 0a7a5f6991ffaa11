/* SPDX-License-Identifier: MIT */
/*
 * notify_git.c - what "ssci notify" asks git in the repository it runs in:
 * the repository's facts, the commits named on the command line or pushed
 * (as a post-receive hook reads them), and their authors and subjects.
 * It runs git synchronously, before notify's loop starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit_desc.h"
#include "notify.h"
#include "repo.h"
#include "spawn.h"
#include "util.h"

void
notify_add(struct notify *n, const char *commit, const char *branch)
{
	struct notify_item *it;

	n->items = xrealloc(n->items, (n->nitems + 1) * sizeof *n->items);
	it = &n->items[n->nitems++];
	memset(it, 0, sizeof *it);
	memcpy(it->commit, commit, sizeof it->commit);
	it->branch = branch ? xstrdup(branch) : NULL;
}

/* it is what d says. */
static void
notify_take_desc(struct notify_item *it, const struct commit_desc *d)
{
	it->described = 1;
	it->author = d->author != NULL ? xstrdup(d->author) : NULL;
	it->subject = d->subject != NULL ? xstrdup(d->subject) : NULL;
}

/*
 * Authors and subjects of every commit not described yet, with one git
 * log, before the loop runs.  Commits git does not know keep none.
 */
void
notify_describe(struct notify *n)
{
	const char **argv;
	struct commit_desc *descs;
	char *out = NULL;
	size_t k = 0, ndescs, i;

	for (i = 0; i < n->nitems && n->items[i].described; i++)
		;
	if (i == n->nitems)
		return;
	argv = xcalloc(n->nitems + 6, sizeof *argv);
	argv[k++] = "git";
	argv[k++] = "log";
	argv[k++] = "--no-walk=unsorted";
	argv[k++] = COMMIT_DESC_FORMAT;
	for (i = 0; i < n->nitems; i++)
		argv[k++] = n->items[i].commit;
	argv[k++] = "--";
	if (spawn_run_sync(argv, ".", &out) == 0) {
		ndescs = commit_desc_parse(out, &descs);
		for (size_t j = 0; j < ndescs; j++) {
			for (i = 0; i < n->nitems; i++) {
				if (!n->items[i].described && strcmp(descs[j].id,
				    n->items[i].commit) == 0)
					notify_take_desc(&n->items[i],
					    &descs[j]);
			}
		}
		commit_desc_free(descs, ndescs);
	}
	free(out);
	free(argv);
}

/*
 * What notify needs of the repository it runs in, with one git for the
 * common case (a hook's): its git dir, whether it is bare, its branch.
 * The repository is named by its work tree, or its git dir when bare.
 */
int
notify_repo_facts(struct notify *n)
{
	char *out = NULL, *save = NULL, *dir, *bare, *branch;
	size_t len;

	if (spawn_run_sync((const char *const[]){ "git", "rev-parse",
	    "--absolute-git-dir", "--is-bare-repository", "--abbrev-ref", "HEAD",
	    NULL }, ".", &out) != 0 || (dir = strtok_r(out, "\n", &save)) ==
	    NULL || (bare = strtok_r(NULL, "\n", &save)) == NULL ||
	    (branch = strtok_r(NULL, "\n", &save)) == NULL) {
		/* No commit yet, or not a repository: ask the long way. */
		free(out);
		n->gitdir = repo_git_dir(".");
		if (n->repo == NULL && (n->repo = repo_self(".")) == NULL)
			return -1;
		if (n->branch == NULL)
			n->branch = repo_current_branch(".");
		return 0;
	}
	n->gitdir = xstrdup(dir);
	len = strlen(dir);
	if (n->repo == NULL) {
		if (strcmp(bare, "true") == 0)
			n->repo = xstrdup(dir);
		else if (len > 5 && strcmp(dir + len - 5, "/.git") == 0)
			n->repo = xstrndup(dir, len - 5);
		else if ((n->repo = repo_self(".")) == NULL) {
			free(out);
			return -1;
		}
	}
	if (n->branch == NULL && strcmp(branch, "HEAD") != 0)
		n->branch = xstrdup(branch);
	free(out);
	return 0;
}

/*
 * Revisions that are not full ids resolved, with authors and subjects,
 * by the one git log that notify_describe would run anyway.  0 when every
 * revision got its line, -1 to go the long way.
 */
static int
notify_log_revisions(struct notify *n, char **revs, int nrevs)
{
	const char **argv = xcalloc((size_t)nrevs + 6, sizeof *argv);
	struct commit_desc *descs = NULL;
	char *out = NULL;
	size_t k = 0, ndescs = 0;

	argv[k++] = "git";
	argv[k++] = "log";
	argv[k++] = "--no-walk=unsorted";
	argv[k++] = COMMIT_DESC_FORMAT;
	for (int i = 0; i < nrevs; i++) {
		if (revs[i][0] == '-') {
			free(argv);
			return -1;
		}
		argv[k++] = revs[i];
	}
	argv[k++] = "--";
	if (spawn_run_sync(argv, ".", &out) == 0)
		ndescs = commit_desc_parse(out, &descs);
	free(argv);
	free(out);
	/* One line each, or some revisions named the same commit. */
	if (ndescs != (size_t)nrevs) {
		commit_desc_free(descs, ndescs);
		return -1;
	}
	for (size_t i = 0; i < ndescs; i++) {
		notify_add(n, descs[i].id, n->branch);
		notify_take_desc(&n->items[n->nitems - 1], &descs[i]);
	}
	commit_desc_free(descs, ndescs);
	return 0;
}

/* The commits named on the command line, on the given or current branch. */
int
notify_revisions(struct notify *n, char **revs, int nrevs)
{
	char id[65];

	if (n->branch != NULL && !branch_name_valid(n->branch)) {
		free(n->branch);
		n->branch = NULL;
	}
	if (notify_log_revisions(n, revs, nrevs) == 0)
		return 0;
	for (size_t i = 0; i < n->nitems; i++) {
		free(n->items[i].branch);
		free(n->items[i].author);
		free(n->items[i].subject);
	}
	n->nitems = 0;
	for (int i = 0; i < nrevs; i++) {
		if (commit_id_normalize(revs[i], id) == -1 &&
		    repo_resolve_commit(".", revs[i], id) == -1)
			return -1;
		notify_add(n, id, n->branch);
	}
	return 0;
}

/* Add the commits of one pushed branch: new ones oldest first, or the tip. */
static int
notify_pushed(struct notify *n, const char *old, const char *new,
    const char *branch)
{
	char *exclude, *out = NULL, id[65];
	int status = -1;

	if (strspn(old, "0") != strlen(old) && spawn_run_sync((const char *const[]){ "git", "merge-base",
	    "--is-ancestor", old, new, NULL }, ".", NULL) == 0) {
		xasprintf(&exclude, "^%s", old);
		status = spawn_run_sync((const char *const[]){ "git",
		    "rev-list", "--reverse", new, exclude, "--", NULL }, ".",
		    &out);
		free(exclude);
	}
	if (status != 0) {
		/* A new branch, or a force-push: its tip. */
		notify_add(n, new, branch);
		free(out);
		return 0;
	}
	for (char *line = strtok(out, "\n"); line != NULL;
	    line = strtok(NULL, "\n")) {
		if (commit_id_normalize(line, id) == 0)
			notify_add(n, id, branch);
	}
	free(out);
	return 0;
}

/* The "old new ref" lines of a post-receive hook, from stdin. */
int
notify_post_receive(struct notify *n)
{
	char line[1024], oldarg[80], newarg[80], ref[600], old[65], new[65];

	while (fgets(line, sizeof line, stdin) != NULL) {
		if (sscanf(line, "%79s %79s %599s", oldarg, newarg, ref) != 3 ||
		    commit_id_normalize(oldarg, old) == -1 ||
		    commit_id_normalize(newarg, new) == -1) {
			log_warnx("unable to read the hook line '%.*s'",
			    (int)strcspn(line, "\n"), line);
			return -1;
		}
		if (strncmp(ref, "refs/heads/", 11) != 0 ||
		    strspn(new, "0") == strlen(new))
			continue;	/* a tag, or a deleted branch */
		if (!branch_name_valid(ref + 11)) {
			log_warnx("skipping branch '%s': name not supported",
			    ref + 11);
			continue;
		}
		notify_pushed(n, old, new, ref + 11);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * pending.c - the list of commits still to report, in a file of the
 * repository, read and replaced under a lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "pending.h"
#include "util.h"

void
pending_item_release(struct pending_item *item)
{
	free(item->branch);
	free(item->repo);
	item->branch = item->repo = NULL;
}

int
pending_parse_line(const char *line, struct pending_item *item)
{
	const char *f[4];
	size_t len[4];
	const char *p = line;
	char commit[80], *branch = NULL;

	memset(item, 0, sizeof *item);
	for (int i = 0; i < 4; i++) {
		f[i] = p;
		len[i] = strcspn(p, "\t");
		if (i < 3 && p[len[i]] != '\t')
			return -1;
		p += len[i] + 1;
	}
	if (f[3][len[3]] != '\0' || len[0] >= sizeof commit)
		return -1;
	snprintf(commit, sizeof commit, "%.*s", (int)len[0], f[0]);
	if (commit_id_normalize(commit, item->commit) == -1)
		return -1;
	if (!(len[1] == 1 && f[1][0] == '-'))
		branch = xstrndup(f[1], len[1]);
	item->repo = xstrndup(f[2], len[2]);
	if ((branch != NULL && !branch_name_valid(branch)) ||
	    !repo_url_valid(item->repo) || (!(len[3] == 1 && f[3][0] == '-') &&
	    !(len[3] == 7 && strncmp(f[3], "rebuild", 7) == 0))) {
		free(branch);
		pending_item_release(item);
		return -1;
	}
	item->branch = branch;
	item->rebuild = f[3][0] == 'r';
	return 0;
}

static void
pending_read(struct pending *p)
{
	FILE *f = fopen(p->path, "re");
	struct pending_item item;
	char line[8192];

	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (pending_parse_line(line, &item) == -1)
			continue;
		pending_add(p, item.commit, item.branch, item.repo,
		    item.rebuild);
		pending_item_release(&item);
	}
	fclose(f);
}

int
pending_open(struct pending *p, const char *path, int wait)
{
	char *lock;

	memset(p, 0, sizeof *p);
	p->lock_fd = -1;
	if (mkdir_p_parent(path) == -1)
		return -1;
	p->path = xstrdup(path);
	xasprintf(&lock, "%s.lock", path);
	p->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (p->lock_fd == -1)
		log_warn("unable to open '%s'", lock);
	free(lock);
	while (p->lock_fd != -1 &&
	    flock(p->lock_fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == -1) {
		int busy = errno == EWOULDBLOCK;

		if (errno == EINTR)
			continue;
		if (!busy)
			log_warn("unable to lock '%s.lock'", path);
		pending_release(p);
		return busy ? 1 : -1;
	}
	if (p->lock_fd == -1) {
		pending_release(p);
		return -1;
	}
	pending_read(p);
	return 0;
}

void
pending_add(struct pending *p, const char *commit, const char *branch,
    const char *repo, int rebuild)
{
	struct pending_item *it;

	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->items[i].commit, commit) == 0 &&
		    strcmp(p->items[i].repo, repo) == 0)
			return;
	}
	p->items = xrealloc(p->items, (p->n + 1) * sizeof *p->items);
	it = &p->items[p->n++];
	snprintf(it->commit, sizeof it->commit, "%s", commit);
	it->branch = branch != NULL ? xstrdup(branch) : NULL;
	it->repo = xstrdup(repo);
	it->rebuild = rebuild;
}

void
pending_release(struct pending *p)
{
	for (size_t i = 0; i < p->n; i++)
		pending_item_release(&p->items[i]);
	free(p->items);
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	free(p->path);
	memset(p, 0, sizeof *p);
	p->lock_fd = -1;
}

int
pending_close(struct pending *p)
{
	size_t len = 0, cap = 1;
	char *buf;
	int rc = 0;

	for (size_t i = 0; i < p->n; i++)
		cap += strlen(p->items[i].repo) + (p->items[i].branch ?
		    strlen(p->items[i].branch) : 1) + 80;
	buf = xmalloc(cap);
	for (size_t i = 0; i < p->n; i++) {
		const struct pending_item *it = &p->items[i];

		len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t%s\t%s\n",
		    it->commit, it->branch ? it->branch : "-", it->repo,
		    it->rebuild ? "rebuild" : "-");
	}
	if (p->n > 0)
		rc = write_file_atomic(p->path, buf, len);
	else if (unlink(p->path) == -1 && errno != ENOENT) {
		log_warn("unable to remove '%s'", p->path);
		rc = -1;
	}
	free(buf);
	pending_release(p);
	return rc;
}

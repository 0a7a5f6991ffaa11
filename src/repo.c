/* SPDX-License-Identifier: MIT */
/*
 * repo.c - ask git about a local repository, synchronously, at start-up.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "repo.h"
#include "spawn.h"
#include "util.h"

/* Run git in path; its first output line, or NULL if it failed. */
static char *
repo_git_line(const char *path, const char *const *argv)
{
	char *out = NULL;
	int status = spawn_run_sync(argv, path, &out);

	if (status != 0) {
		free(out);
		return NULL;
	}
	out[strcspn(out, "\n")] = '\0';
	if (*out == '\0') {
		free(out);
		return NULL;
	}
	return out;
}

char *
repo_git_dir_quiet(const char *path)
{
	return repo_git_line(path, (const char *const[]){ "git", "rev-parse",
	    "--absolute-git-dir", NULL });
}

char *
repo_git_dir(const char *path)
{
	char *dir = repo_git_line(path, (const char *const[]){ "git",
	    "rev-parse", "--absolute-git-dir", NULL });

	if (dir == NULL)
		log_warnx("unable to use '%s': not a git repository", path);
	return dir;
}

/* A local path made absolute against base; URLs are left alone. */
static char *
repo_absolute(const char *base, const char *url)
{
	char *joined, resolved[PATH_MAX];
	struct stat st;

	if (strstr(url, "://") != NULL || url[0] == '/')
		return xstrdup(url);
	xasprintf(&joined, "%s/%s", base, url);
	if (stat(joined, &st) == 0 && realpath(joined, resolved) != NULL) {
		free(joined);
		return xstrdup(resolved);
	}
	free(joined);
	return xstrdup(url);	/* host:path, as scp-like git URLs are */
}

char *
repo_self(const char *path)
{
	char *top = repo_git_line(path, (const char *const[]){ "git",
	    "rev-parse", "--show-toplevel", NULL });

	return top != NULL ? top : repo_git_dir(path);
}

char *
repo_url(const char *path, int *has_origin)
{
	char *url, *top, *abs;

	top = repo_self(path);
	if (top == NULL)
		return NULL;
	url = repo_git_line(path, (const char *const[]){ "git", "config",
	    "--get", "remote.origin.url", NULL });
	*has_origin = url != NULL;
	if (url == NULL)
		return top;
	abs = repo_absolute(top, url);
	free(url);
	free(top);
	if (!repo_url_valid(abs)) {
		log_warnx("unable to use origin URL '%s' of '%s'", abs, path);
		free(abs);
		return NULL;
	}
	return abs;
}

char *
repo_current_branch(const char *path)
{
	return repo_git_line(path, (const char *const[]){ "git",
	    "symbolic-ref", "--quiet", "--short", "HEAD", NULL });
}

int
repo_resolve_commit(const char *path, const char *rev, char out[65])
{
	char *spec, *id;
	int rc;

	if (rev[0] == '-') {
		log_warnx("unable to resolve '%s': not a revision", rev);
		return -1;
	}
	xasprintf(&spec, "%s^{commit}", rev);
	id = repo_git_line(path, (const char *const[]){ "git", "rev-parse",
	    "--verify", "--quiet", spec, NULL });
	free(spec);
	rc = id != NULL ? commit_id_normalize(id, out) : -1;
	if (rc == -1)
		log_warnx("unable to resolve '%s' to a commit in '%s'", rev,
		    path);
	free(id);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * runjob_cache.c - a job's cache on the runner (docs/PIPELINES.md,
 * "Caches"): restored before its test, saved after a pass, both through
 * runcache.c on the loop.  A cache is only a speed-up: whatever fails is
 * a note in the job's log and the job goes on as without one.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runcache.h"
#include "runjob_int.h"
#include "util.h"

/* The caches folder's lock, taken once for the runner's life. */
static int cache_lock = -1;
static int cache_unusable;

static const char *
cache_root(const struct runjob *j, char **owned)
{
	*owned = NULL;
	if (j->cfg->cache_dir != NULL)
		return j->cfg->cache_dir;
	xasprintf(owned, "%s/caches", j->cfg->work_abs);
	return *owned;
}

/* The branch a clone's origin points HEAD at: the fallback's. */
static char *
default_branch(const struct runjob *j)
{
	char *path, buf[300];
	const char *pre = "ref: refs/remotes/origin/";
	ssize_t n = -1;
	int fd;

	xasprintf(&path, "%s/.git/refs/remotes/origin/HEAD", j->repo_dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
	}
	free(path);
	if (n <= 0)
		return xstrdup("main");
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strncmp(buf, pre, strlen(pre)) != 0 ||
	    !branch_name_valid(buf + strlen(pre)))
		return xstrdup("main");
	return xstrdup(buf + strlen(pre));
}

/* Whether j has a cache to use, the folder locked. */
static int
cache_wanted(struct runjob *j)
{
	char *owned;
	const char *root;

	if (j->keep.ncache_paths == 0 || j->cfg->cache_max <= 0 ||
	    cache_unusable)
		return 0;
	if (cache_lock == -1) {
		root = cache_root(j, &owned);
		if (mkdir_p(root) == -1 ||
		    (cache_lock = runcache_open(root)) < 0) {
			runjob_note(j, "caches are off: '%s' is %s", root,
			    cache_lock == -2 ? "another runner's" :
			    "not usable");
			cache_lock = -1;
			cache_unusable = 1;
			free(owned);
			return 0;
		}
		free(owned);
	}
	return 1;
}

static void
cache_job(struct runjob *j, struct runcache_job *c, char **owned,
    char **fallback)
{
	memset(c, 0, sizeof *c);
	c->base = j->cfg->base;
	c->root = cache_root(j, owned);
	c->max_bytes = j->cfg->cache_max;
	c->repo = j->repo;
	c->branch = j->branch;
	*fallback = default_branch(j);
	c->default_branch = *fallback;
	c->job_name = j->name;
	c->tree = j->tree;
	c->home = getenv("HOME");
	c->paths = j->keep.cache_paths;
	c->npaths = j->keep.ncache_paths;
	c->key_files = j->keep.cache_key;
	c->nkey = j->keep.ncache_key;
	c->key = j->cache_key[0] != '\0' ? j->cache_key : NULL;
}

/* Each line of a runcache message as a note of the job's. */
static void
cache_note(struct runjob *j, const char *message)
{
	const char *p = message;
	size_t n;

	while (p != NULL && *p != '\0') {
		n = strcspn(p, "\n");
		runjob_note(j, "%.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static void
cache_restored(void *arg, int restored, const char *branch,
    const char *message)
{
	struct runjob *j = arg;

	(void)restored;
	(void)branch;
	j->cache_op = NULL;
	cache_note(j, message);
	runjob_test(j);
}

void
runjob_cache_restore(struct runjob *j)
{
	struct runcache_job c;
	char err[300], *owned, *fallback;

	if (!cache_wanted(j)) {
		runjob_test(j);
		return;
	}
	cache_job(j, &c, &owned, &fallback);
	if (runcache_key(&c, j->cache_key, err, sizeof err) == -1) {
		j->cache_key[0] = '\0';
		runjob_note(j, "no cache: %s", err);
		free(owned);
		free(fallback);
		runjob_test(j);
		return;
	}
	c.key = j->cache_key;
	j->cache_op = runcache_restore(&c, cache_restored, j);
	free(owned);
	free(fallback);
}

static void
cache_saved(void *arg, int saved, const char *message)
{
	struct runjob *j = arg;

	(void)saved;
	j->cache_op = NULL;
	cache_note(j, message);
	runjob_finish(j, JOB_PASSED, j->cache_exit, NULL);
}

void
runjob_cache_finish(struct runjob *j, enum job_state state, int exit_code,
    const char *message)
{
	struct runcache_job c;
	char *owned, *fallback;

	if (state != JOB_PASSED || j->cache_key[0] == '\0' ||
	    !cache_wanted(j)) {
		runjob_finish(j, state, exit_code, message);
		return;
	}
	cache_job(j, &c, &owned, &fallback);
	j->cache_exit = exit_code;
	j->cache_op = runcache_save(&c, cache_saved, j);
	free(owned);
	free(fallback);
}

void
runjob_cache_stop(struct runjob *j)
{
	if (j->cache_op != NULL) {
		runcache_stop(j->cache_op);
		j->cache_op = NULL;
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * artifact_prune.c - artifact files going away on the dispatcher.
 *
 * Expiry: a pass every ARTIFACT_EXPIRE_PASS_MS, the first at start, takes
 * the expired rows out of the store ARTIFACT_EXPIRE_STEP at a time
 * (store_artifacts_expire) and, once that has committed, unlinks their
 * files and the folders they leave empty.
 *
 * Retention: a pruned job's folder may hold thousands of files.  It is
 * renamed into STATE/artifacts/.removed at once (one call, so nothing of
 * it is found under the job's name any more) and removed there by an
 * "rm -rf" child, one at a time, ARTIFACT_RM_BATCH folders each.  What a
 * stopped dispatcher left there is removed at the next start.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "artifact_prune.h"
#include "spawn.h"
#include "store.h"
#include "util.h"

#define ARTIFACT_RM_OUTPUT 4096	/* of what rm says, kept for the log */

struct artifact_prune {
	struct store *store;
	char *state_dir;
	char *root;		/* STATE/artifacts */
	char *aside;		/* STATE/artifacts/.removed */
	struct event *ev;	/* the next step of expiry */
	int64_t pass_removed;	/* files, this pass */
	char **queue;		/* folders for rm, in .removed */
	size_t nqueue;
	struct spawn *rm;	/* the rm child, or NULL */
	unsigned long seq;	/* names in .removed */
};

char *
artifact_job_dir(const char *state_dir, int64_t job)
{
	char *dir;

	xasprintf(&dir, "%s/artifacts/%lld", state_dir, (long long)job);
	return dir;
}

char *
artifact_file(const char *state_dir, int64_t job, const char *path)
{
	char *file;

	xasprintf(&file, "%s/artifacts/%lld/%s", state_dir, (long long)job,
	    path);
	return file;
}

static void
artifact_schedule(struct artifact_prune *ap, int64_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ap->ev, &tv);
}

/*
 * The folders file leaves empty, up to its job's own (the first that is
 * not empty stops it).
 */
static void
artifact_rmdir_up(const struct artifact_prune *ap, char *file)
{
	size_t floor = strlen(ap->root), end = strlen(file);

	for (;;) {
		while (end > floor && file[end] != '/')
			end--;
		if (end <= floor)
			return;
		file[end] = '\0';
		if (rmdir(file) == -1)
			return;
	}
}

/* An expired row is gone from the store: its file goes. */
static int
artifact_expired_cb(const struct store_artifact *a, void *arg)
{
	struct artifact_prune *ap = arg;
	char *file;

	/* Rows are checked when added; a path is never trusted blindly. */
	if (!artifact_path_valid(a->path) || a->job < 1)
		return 0;
	file = artifact_file(ap->state_dir, a->job, a->path);
	if (unlink(file) == -1 && errno != ENOENT)
		log_warn("unable to remove expired artifact '%s'", file);
	else
		artifact_rmdir_up(ap, file);
	free(file);
	ap->pass_removed++;
	return 0;
}

static void
artifact_expire_step(evutil_socket_t fd, short what, void *arg)
{
	struct artifact_prune *ap = arg;
	int n;

	(void)fd;
	(void)what;
	n = store_artifacts_expire(ap->store, (int64_t)time(NULL),
	    ARTIFACT_EXPIRE_STEP, artifact_expired_cb, ap);
	/* A full step: more may wait.  A failure was said by the store. */
	if (n == ARTIFACT_EXPIRE_STEP) {
		artifact_schedule(ap, ARTIFACT_EXPIRE_GAP_MS);
		return;
	}
	if (ap->pass_removed > 0)
		log_info("artifacts: %lld expired file%s removed",
		    (long long)ap->pass_removed, ap->pass_removed == 1 ? "" :
		    "s");
	ap->pass_removed = 0;
	artifact_schedule(ap, ARTIFACT_EXPIRE_PASS_MS);
}

static void artifact_rm_next(struct artifact_prune *ap);

static void
artifact_rm_done(int status, const char *out, size_t len, void *arg)
{
	struct artifact_prune *ap = arg;
	char said[LOG_CUT_MAX * 4 + 8];

	ap->rm = NULL;
	if (status != 0) {
		log_escape_cut(out, len, 200, said, sizeof said);
		log_warnx("unable to remove pruned jobs' artifacts in '%s': "
		    "rm ended with %d: %s", ap->aside, status, said);
	}
	artifact_rm_next(ap);
}

/* The next batch of folders to rm, unless one is being removed. */
static void
artifact_rm_next(struct artifact_prune *ap)
{
	const char *argv[ARTIFACT_RM_BATCH + 4];
	size_t n, i;

	if (ap->rm != NULL || ap->nqueue == 0)
		return;
	n = ap->nqueue < ARTIFACT_RM_BATCH ? ap->nqueue : ARTIFACT_RM_BATCH;
	argv[0] = "rm";
	argv[1] = "-rf";
	argv[2] = "--";
	for (i = 0; i < n; i++)
		argv[3 + i] = ap->queue[i];
	argv[3 + n] = NULL;
	/* Said by spawn if it cannot start: left for the next start. */
	ap->rm = spawn_capture(argv, NULL, ARTIFACT_RM_OUTPUT,
	    artifact_rm_done, ap);
	for (i = 0; i < n; i++)
		free(ap->queue[i]);
	memmove(ap->queue, ap->queue + n, (ap->nqueue - n) *
	    sizeof *ap->queue);
	ap->nqueue -= n;
}

static void
artifact_rm_queue(struct artifact_prune *ap, char *dir)
{
	ap->queue = xrealloc(ap->queue, (ap->nqueue + 1) * sizeof *ap->queue);
	ap->queue[ap->nqueue++] = dir;
}

void
artifact_prune_job(struct artifact_prune *ap, int64_t job)
{
	char *dir, *aside;

	if (ap == NULL)
		return;
	dir = artifact_job_dir(ap->state_dir, job);
	xasprintf(&aside, "%s/%lld.%lu", ap->aside, (long long)job,
	    ++ap->seq);
	if (rename(dir, aside) == 0) {
		artifact_rm_queue(ap, aside);
		free(dir);
	} else {
		/* Most jobs keep no artifacts: nothing to do. */
		if (errno != ENOENT) {
			log_warn("unable to move '%s' to '%s'", dir, aside);
			artifact_rm_queue(ap, dir);
		} else
			free(dir);
		free(aside);
	}
	artifact_rm_next(ap);
}

/* What a stopped dispatcher left in .removed, queued for rm. */
static void
artifact_rm_leftovers(struct artifact_prune *ap)
{
	struct dirent *e;
	char *path;
	DIR *dir;

	if ((dir = opendir(ap->aside)) == NULL) {
		log_warn("unable to read '%s'", ap->aside);
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		xasprintf(&path, "%s/%s", ap->aside, e->d_name);
		artifact_rm_queue(ap, path);
	}
	closedir(dir);
	artifact_rm_next(ap);
}

struct artifact_prune *
artifact_prune_new(struct event_base *base, struct store *store,
    const char *state_dir)
{
	struct artifact_prune *ap = xcalloc(1, sizeof *ap);

	ap->store = store;
	ap->state_dir = xstrdup(state_dir);
	xasprintf(&ap->root, "%s/artifacts", state_dir);
	xasprintf(&ap->aside, "%s/.removed", ap->root);
	if (mkdir_p(ap->aside) == -1) {
		artifact_prune_free(ap);
		return NULL;
	}
	ap->seq = (unsigned long)now_ms();
	ap->ev = evtimer_new(base, artifact_expire_step, ap);
	if (ap->ev == NULL)
		fatalx("unable to make the artifacts' expiry timer");
	artifact_schedule(ap, 0);
	artifact_rm_leftovers(ap);
	return ap;
}

void
artifact_prune_free(struct artifact_prune *ap)
{
	if (ap == NULL)
		return;
	if (ap->ev != NULL)
		event_free(ap->ev);
	for (size_t i = 0; i < ap->nqueue; i++)
		free(ap->queue[i]);
	free(ap->queue);
	free(ap->aside);
	free(ap->root);
	free(ap->state_dir);
	free(ap);
}

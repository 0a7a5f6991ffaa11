/* SPDX-License-Identifier: MIT */
/*
 * retention.c - a pass over the store's pipelines every RETENTION_PASS_MS,
 * in steps RETENTION_GAP_MS apart that each look at RETENTION_SCAN
 * pipelines and remove as many as fit in about RETENTION_STEP_US (the
 * count halves after a slow step and doubles after a quick full one), so
 * that a pass over years of jobs never holds the loop.  What a step
 * removes from the store, it removes from the logs folder after the store
 * has committed; a job's artifacts' folder goes to artifact_prune.c,
 * which moves it aside at once and removes it in a child.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "artifact_prune.h"
#include "joblog.h"
#include "retention.h"
#include "store.h"
#include "util.h"

#define RETENTION_SCAN 1000		/* pipelines a step looks at */
#define RETENTION_REMOVE_MAX 1000	/* pipelines a step may remove */
/*
 * On a busy machine a step is slow for want of the CPU, not for its
 * work: below this many, halving would only stretch the pass.
 */
#define RETENTION_REMOVE_MIN 8
#define RETENTION_DAY_MS (24LL * 60 * 60 * 1000)

struct retention {
	struct event *ev;
	struct store *store;
	const struct joblogs *logs;
	struct artifact_prune *artifacts;	/* may be NULL */
	int keep_days;
	int keep_jobs;
	int64_t cursor;		/* where the pass is: 0 between passes */
	int remove;		/* pipelines the next step may remove */
	int64_t pass_removed;	/* jobs, this pass */
	int64_t pass_started_ms;	/* monotonic */
	int pass_steps;
	int64_t removed;	/* jobs, since start */
	int64_t slowest_us;
};

static void
retention_schedule(struct retention *r, int64_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(r->ev, &tv);
}

/* A job is gone from the store: its log and artifacts go too. */
static void
retention_removed_job(int64_t job, void *arg)
{
	struct retention *r = arg;
	char *path = joblog_path(r->logs, job);

	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("unable to remove '%s'", path);
	free(path);
	artifact_prune_job(r->artifacts, job);
	r->pass_removed++;
	r->removed++;
}

static void
retention_step(evutil_socket_t fd, short what, void *arg)
{
	struct retention *r = arg;
	struct store_retention limits = {
		.before_ms = now_ms() - r->keep_days * RETENTION_DAY_MS,
		.keep_jobs = r->keep_jobs,
	};
	int64_t began = mono_us(), took;
	int n;

	(void)fd;
	(void)what;
	if (r->cursor == 0) {
		r->pass_removed = 0;
		r->pass_steps = 0;
		r->pass_started_ms = mono_ms();
	}
	n = store_prune(r->store, &limits, &r->cursor, RETENTION_SCAN,
	    r->remove, retention_removed_job, r);
	took = mono_us() - began;
	r->pass_steps++;
	if (took > r->slowest_us)
		r->slowest_us = took;
	/* What costs is removing: its count follows the time it took. */
	if (took > RETENTION_STEP_US && r->remove / 2 >= RETENTION_REMOVE_MIN)
		r->remove /= 2;
	else if (took < RETENTION_STEP_US / 2 && n >= r->remove &&
	    r->remove < RETENTION_REMOVE_MAX)
		r->remove *= 2;
	if (n == -1) {
		/* Said by the store; the next pass tries again. */
		r->cursor = 0;
	}
	if (r->cursor != 0) {
		retention_schedule(r, RETENTION_GAP_MS);
		return;
	}
	if (r->pass_removed > 0)
		log_info("retention: removed %lld jobs that ended over %d days "
		    "ago, beyond the newest %d of their branch, in %d steps "
		    "over %lld ms (the slowest %.1f ms)",
		    (long long)r->pass_removed, r->keep_days, r->keep_jobs,
		    r->pass_steps, (long long)(mono_ms() - r->pass_started_ms),
		    (double)r->slowest_us / 1000);
	retention_schedule(r, RETENTION_PASS_MS);
}

struct retention *
retention_new(struct event_base *base, struct store *store,
    const struct joblogs *logs, struct artifact_prune *artifacts,
    int keep_days, int keep_jobs)
{
	struct retention *r;

	if (keep_days == 0 || keep_jobs == 0) {
		log_info("retention off: every job is kept");
		return NULL;
	}
	log_info("retention: jobs that ended over %d days ago, beyond the "
	    "newest %d of their branch, are removed", keep_days, keep_jobs);
	r = xcalloc(1, sizeof *r);
	r->store = store;
	r->logs = logs;
	r->artifacts = artifacts;
	r->keep_days = keep_days;
	r->keep_jobs = keep_jobs;
	r->remove = 16;
	r->ev = evtimer_new(base, retention_step, r);
	if (r->ev == NULL)
		fatalx("unable to make the retention timer");
	retention_schedule(r, RETENTION_FIRST_MS);
	return r;
}

void
retention_free(struct retention *r)
{
	if (r == NULL)
		return;
	event_free(r->ev);
	free(r);
}

void
retention_set(struct retention *r, int keep_days, int keep_jobs)
{
	r->keep_days = keep_days;
	r->keep_jobs = keep_jobs;
}

int64_t
retention_removed(const struct retention *r)
{
	return r != NULL ? r->removed : 0;
}

int64_t
retention_slowest_us(const struct retention *r)
{
	return r != NULL ? r->slowest_us : 0;
}

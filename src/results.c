/* SPDX-License-Identifier: MIT */
/*
 * results.c - the results files (results.h): written atomically when a
 * pipeline ends, tried again, checked at start-up.  What they hold is
 * results_body.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "joblog.h"
#include "results.h"
#include "store.h"
#include "util.h"

struct results {
	struct event_base *base;
	struct store *store;
	const struct joblogs *logs;
	char *dir;
	char (*retry)[65];	/* commits whose file is still to write */
	size_t nretry;
	int backoff_s;
	struct event *ev_retry;
	struct event *ev_sweep;
	char sweep_after[65];	/* the start-up check's place */
};

/*
 * Write results/<commit> for pipeline id: 0, or -1 after logging why not.
 * commit is set as soon as it is known.  own: the pipeline's own job as
 * just read (a one-job pipeline's is all of it), or NULL to read it.
 */
static int
results_write_pipeline(struct results *r, int64_t id, const struct job *own,
    char commit[65])
{
	char *path = NULL, *tmp = NULL;
	struct pipeline p;
	struct job job;
	int out = -1, rc = -1;

	if (own == NULL) {
		if (store_job_get(r->store, id, &job) != 1)
			return -1;
		/* job.commit was validated as hex before it entered the store. */
		memcpy(commit, job.commit, 65);
		job_release(&job);
	} else
		memcpy(commit, own->commit, 65);
	if (store_pipeline_get(r->store, id, &p) != 1)
		return -1;
	xasprintf(&path, "%s/%s", r->dir, commit);
	xasprintf(&tmp, "%s/.%s.tmp", r->dir, commit);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out == -1) {
		log_warn("unable to create '%s'", tmp);
		goto done;
	}
	/*
	 * Not fsynced: the store holds the result durably, and the check at
	 * every start writes again a file that a machine's crash left short
	 * or missing.  Two fsyncs a job held the loop up for 0.65 ms.
	 */
	if (results_body(r->store, r->logs, &p, own, out, tmp) == -1)
		goto done;
	if (close(out) == -1) {
		out = -1;
		log_warn("unable to write '%s'", tmp);
		goto done;
	}
	out = -1;
	if (rename(tmp, path) == -1) {
		log_warn("unable to rename '%s' to '%s'", tmp, path);
		goto done;
	}
	rc = 0;
done:
	if (out != -1)
		close(out);
	if (rc == -1)
		unlink(tmp);
	pipeline_release(&p);
	free(path);
	free(tmp);
	return rc;
}

/* Arm the retry timer after the current backoff, doubled for next time. */
static void
results_retry_later(struct results *r)
{
	struct timeval tv = { r->backoff_s, 0 };

	if (evtimer_pending(r->ev_retry, NULL))
		return;
	evtimer_add(r->ev_retry, &tv);
	r->backoff_s *= 2;
	if (r->backoff_s > RESULTS_RETRY_MAX_S)
		r->backoff_s = RESULTS_RETRY_MAX_S;
}

/* Remember commit for another try, once. */
static void
results_retry_add(struct results *r, const char *commit)
{
	for (size_t i = 0; i < r->nretry; i++) {
		if (strcmp(r->retry[i], commit) == 0)
			return;
	}
	r->retry = xrealloc(r->retry,
	    (r->nretry + 1) * sizeof *r->retry);
	snprintf(r->retry[r->nretry++], 65, "%s", commit);
	log_warnx("results file of %s will be written when it can be",
	    commit);
	results_retry_later(r);
}

int
results_write(struct results *r, int64_t id)
{
	char commit[65] = "";
	struct job job;
	int rc;

	/* A pipeline's file is written once all of its jobs are over. */
	if (store_job_get(r->store, id, &job) != 1)
		return -1;
	if (!job_state_final(job.pipeline_state)) {
		job_release(&job);
		return 0;
	}
	rc = results_write_pipeline(r, job.pipeline, job.pipeline == id ?
	    &job : NULL, commit);
	job_release(&job);
	if (rc == 0)
		return 0;
	if (commit[0] != '\0')
		results_retry_add(r, commit);
	return -1;
}

/*
 * Each commit waiting for its file gets the latest result it has now: a
 * newer job of the same commit may have ended meanwhile.
 */
static void
results_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct results *r = arg;
	char commit[65];
	size_t kept = 0;
	int64_t id;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < r->nretry; i++) {
		int found = store_latest_final(r->store, r->retry[i],
		    &id);

		if (found == 0 || (found == 1 &&
		    results_write_pipeline(r, id, NULL, commit) == 0)) {
			if (found == 1)
				log_info("results file of %s written",
				    r->retry[i]);
			continue;
		}
		memmove(r->retry[kept++], r->retry[i], 65);
	}
	r->nretry = kept;
	if (kept > 0)
		results_retry_later(r);
	else
		r->backoff_s = 1;
}

/* Whether results/<commit> ends with the result line of pipeline id. */
static int
results_file_is(struct results *r, const char *commit, int64_t id)
{
	char *path, tail[64], want[40];
	struct pipeline p;
	struct stat st;
	size_t wlen;
	ssize_t n;
	int fd, same = 0;

	if (store_pipeline_get(r->store, id, &p) != 1)
		return 0;
	wlen = results_tail(&p, want, sizeof want);
	pipeline_release(&p);
	xasprintf(&path, "%s/%s", r->dir, commit);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_size >= (off_t)wlen) {
		n = pread(fd, tail, wlen, st.st_size - (off_t)wlen);
		same = n == (ssize_t)wlen && memcmp(tail, want, wlen) == 0;
	}
	close(fd);
	return same;
}

static void
results_sweep_one(const char *commit, int64_t id, void *arg)
{
	struct results *r = arg;
	char written[65];

	snprintf(r->sweep_after, sizeof r->sweep_after, "%s", commit);
	if (results_file_is(r, commit, id))
		return;
	log_info("results file of %s missing or stale: writing it", commit);
	if (results_write_pipeline(r, id, NULL, written) == -1)
		results_retry_add(r, commit);
}

/*
 * A page of finished commits per turn of the loop, so that a store of
 * many jobs never holds it up.
 */
static void
results_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct results *r = arg;
	struct timeval now = { 0, 0 };

	(void)fd;
	(void)what;
	if (store_final_heads(r->store, r->sweep_after, RESULTS_SWEEP_PAGE,
	    results_sweep_one, r) == RESULTS_SWEEP_PAGE)
		evtimer_add(r->ev_sweep, &now);
}

struct results *
results_new(struct event_base *base, struct store *store,
    const struct joblogs *logs, const char *dir)
{
	struct results *r = xcalloc(1, sizeof *r);

	r->base = base;
	r->store = store;
	r->logs = logs;
	r->dir = xstrdup(dir);
	r->backoff_s = 1;
	r->ev_retry = evtimer_new(base, results_retry_cb, r);
	r->ev_sweep = evtimer_new(base, results_sweep_cb, r);
	if (r->ev_retry == NULL || r->ev_sweep == NULL)
		fatalx("unable to make the results timers");
	return r;
}

void
results_check_all(struct results *r)
{
	struct timeval now = { 0, 0 };

	r->sweep_after[0] = '\0';
	evtimer_add(r->ev_sweep, &now);
}

void
results_free(struct results *r)
{
	if (r == NULL)
		return;
	event_free(r->ev_retry);
	event_free(r->ev_sweep);
	free(r->retry);
	free(r->dir);
	free(r);
}

/* SPDX-License-Identifier: MIT */
/*
 * results.c - the results files (results.h).  The log is copied by the
 * kernel, never held whole in memory.
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

/* Copy the whole of fd in to fd out with the kernel's help. */
static int
copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
		    errno != EOPNOTSUPP)
			return -1;
		break;
	}
	while ((n = read(in, buf, sizeof buf)) > 0) {
		if (write_all(out, buf, (size_t)n) == -1)
			return -1;
	}
	return n == 0 ? 0 : -1;
}

/*
 * "result: passed exit_code=0 tests_run=3 ... attempt=1 job=7\n"; replaces
 * names the commit's earlier result this file replaces (0: none).
 */
static int
results_line(const struct job *job, int64_t replaces, char *buf, size_t size)
{
	int n = snprintf(buf, size, "result: %s", job_state_name(job->state));

#define ADD(...) n += snprintf(buf + n, size - (size_t)n, __VA_ARGS__)
	if (job->exit_code != -1)
		ADD(" exit_code=%d", job->exit_code);
	if (job->tests.run != -1)
		ADD(" tests_run=%d", job->tests.run);
	if (job->tests.failed != -1)
		ADD(" tests_failed=%d", job->tests.failed);
	if (job->tests.skipped != -1)
		ADD(" tests_skipped=%d", job->tests.skipped);
	if (job->duration_ms != -1)
		ADD(" duration_ms=%lld", (long long)job->duration_ms);
	if (replaces > 0)
		ADD(" replaces=%lld", (long long)replaces);
	ADD(" runner=%s attempt=%d job=%lld\n",
	    job->runner ? job->runner : "-", job->attempt, (long long)job->id);
#undef ADD
	return n;
}

/* Write results/<commit> for job id: 0, or -1 after logging why not. */
static int
results_write_job(struct results *r, int64_t id, char commit[65])
{
	char *logpath = NULL, *path = NULL, *tmp = NULL;
	char line[1024];
	struct job job;
	int64_t replaces;
	int in = -1, out = -1, rc = -1, n;

	if (store_job_get(r->store, id, &job) != 1)
		return -1;
	memcpy(commit, job.commit, 65);
	/* job.commit was validated as hex before it entered the store. */
	logpath = joblog_path(r->logs, id);
	xasprintf(&path, "%s/%s", r->dir, job.commit);
	xasprintf(&tmp, "%s/.%s.tmp", r->dir, job.commit);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out == -1) {
		log_warn("unable to create '%s'", tmp);
		goto done;
	}
	in = open(logpath, O_RDONLY | O_CLOEXEC);
	if (in != -1 && copy_fd(in, out) == -1) {
		log_warn("unable to copy '%s' to '%s'", logpath, tmp);
		goto done;
	}
	n = 0;
	/* Output without a last newline must not swallow the result line. */
	if (in != -1 && lseek(in, -1, SEEK_END) != -1 && read(in, line, 1) == 1 &&
	    line[0] != '\n')
		line[n++] = '\n';
	if (store_final_before(r->store, job.commit, id, &replaces) != 1)
		replaces = 0;
	n += results_line(&job, replaces, line + n, sizeof line - (size_t)n);
	if (write_all(out, line, (size_t)n) == -1 || fsync(out) == -1) {
		log_warn("unable to write '%s'", tmp);
		goto done;
	}
	if (rename(tmp, path) == -1) {
		log_warn("unable to rename '%s' to '%s'", tmp, path);
		goto done;
	}
	sync_parent_dir(path);
	rc = 0;
done:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (rc == -1 && out != -1)
		unlink(tmp);
	free(logpath);
	free(path);
	free(tmp);
	job_release(&job);
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

	if (results_write_job(r, id, commit) == 0)
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
		    results_write_job(r, id, commit) == 0)) {
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

/* Whether results/<commit> ends with the result line of job id. */
static int
results_file_is(struct results *r, const char *commit, int64_t id)
{
	char *path, tail[64], want[40];
	struct stat st;
	size_t wlen;
	ssize_t n;
	int fd, same = 0;

	xasprintf(&path, "%s/%s", r->dir, commit);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return 0;
	wlen = (size_t)snprintf(want, sizeof want, " job=%lld\n",
	    (long long)id);
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
	if (results_write_job(r, id, written) == -1)
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

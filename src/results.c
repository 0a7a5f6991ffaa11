/* SPDX-License-Identifier: MIT */
/*
 * results.c - a job's output on disk: logs/<job>.log, appended as chunks
 * stream in, and, once the job ends, the seed's test_results/<commit>,
 * written atomically (temporary file, fsync, rename) as the log followed by
 * one "result:" line.  The log is copied by the kernel, never held whole
 * in memory.
 *
 * A full disk must cost output, never a result: logs stop growing while
 * the state dir's disk is nearly full, so that the store can still record
 * every job's end; a results file that cannot be written is tried again
 * on a timer, and at start-up every finished commit's file is checked.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <event2/event.h>

#include "dispatcher.h"
#include "store.h"
#include "util.h"

int
results_log_open(struct dispatcher *d, int64_t job, int fresh)
{
	char *path;
	int fd;

	xasprintf(&path, "%s/%lld.log", d->logs_dir, (long long)job);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
	    (fresh ? O_TRUNC : 0), 0644);
	if (fd == -1)
		log_warn("unable to open '%s'", path);
	free(path);
	return fd;
}

/* Write all of it; -1 on error (errno set). */
static int
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

void
results_log_note(struct dispatcher *d, int64_t job, const char *line)
{
	int fd = results_log_open(d, job, 0);

	if (fd == -1)
		return;
	if (write_all(fd, line, strlen(line)) == -1)
		log_warn("unable to write the log of job %lld", (long long)job);
	close(fd);
}

/* Free bytes for us on the disk holding fd, or -1 if unknown. */
static int64_t
results_free_bytes(int fd)
{
	struct statvfs st;

	if (fstatvfs(fd, &st) == -1)
		return -1;
	return (int64_t)st.f_bavail * (int64_t)st.f_frsize;
}

/* Stop a job's log here, saying why (if there is room to say it). */
static void
results_log_stop(struct assignment *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
results_log_stop(struct assignment *a, const char *fmt, ...)
{
	char note[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(note, sizeof note, fmt, ap);
	va_end(ap);
	a->log_truncated = 1;
	if (n > 0 && write_all(a->log_fd, note, (size_t)n < sizeof note ?
	    (size_t)n : sizeof note - 1) == -1) {
		close(a->log_fd);
		a->log_fd = -1;
	}
}

void
results_log_append(struct dispatcher *d, struct assignment *a,
    const char *data, size_t len)
{
	int64_t room = d->cfg.max_log_bytes - a->log_bytes, avail;

	if (a->log_fd == -1 || a->log_truncated)
		return;
	/*
	 * The log shares its disk with the store: a job's output must not
	 * take the room its own result needs.
	 */
	avail = results_free_bytes(a->log_fd);
	if (avail != -1 && avail - (int64_t)len < RESULTS_LOG_FLOOR) {
		log_warnx("output of job %lld dropped: only %lld KiB free for "
		    "'%s'", (long long)a->job, (long long)avail / 1024,
		    d->cfg.state_dir);
		results_log_stop(a, "\nssci: output dropped from here: the "
		    "dispatcher's disk is nearly full (%lld KiB free)\n",
		    (long long)avail / 1024);
		return;
	}
	if ((int64_t)len > room) {
		len = room > 0 ? (size_t)room : 0;
		a->log_truncated = 1;
	}
	if (write_all(a->log_fd, data, len) == -1) {
		log_warn("unable to write the log of job %lld", (long long)a->job);
		results_log_stop(a, "\nssci: output dropped from here: %s\n",
		    strerror(errno));
		return;
	}
	a->log_bytes += (int64_t)len;
	if (a->log_truncated)
		results_log_stop(a, "\nssci: output past %lld bytes dropped\n",
		    (long long)d->cfg.max_log_bytes);
}

int
results_log_read(struct dispatcher *d, int64_t job, int64_t offset,
    size_t max, char **data, size_t *len, int64_t *size)
{
	struct stat st;
	char *path;
	ssize_t n;
	int fd;

	*data = NULL;
	*len = 0;
	*size = 0;
	xasprintf(&path, "%s/%lld.log", d->logs_dir, (long long)job);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	*size = st.st_size;
	if (offset < *size) {
		size_t want = (size_t)(*size - offset) < max ?
		    (size_t)(*size - offset) : max;

		*data = xmalloc(want + 1);
		n = pread(fd, *data, want, offset);
		*len = n > 0 ? (size_t)n : 0;
		(*data)[*len] = '\0';
	}
	close(fd);
	return 0;
}

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
results_write_job(struct dispatcher *d, int64_t id, char commit[65])
{
	char *logpath = NULL, *path = NULL, *tmp = NULL;
	char line[1024];
	struct job job;
	int64_t replaces;
	int in = -1, out = -1, rc = -1, n;

	if (store_job_get(d->store, id, &job) != 1)
		return -1;
	memcpy(commit, job.commit, 65);
	/* job.commit was validated as hex before it entered the store. */
	xasprintf(&logpath, "%s/%lld.log", d->logs_dir, (long long)id);
	xasprintf(&path, "%s/%s", d->cfg.results_dir, job.commit);
	xasprintf(&tmp, "%s/.%s.tmp", d->cfg.results_dir, job.commit);
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
	if (store_final_before(d->store, job.commit, id, &replaces) != 1)
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
results_retry_later(struct dispatcher *d)
{
	struct timeval tv = { d->results_backoff_s, 0 };

	if (evtimer_pending(d->ev_results_retry, NULL))
		return;
	evtimer_add(d->ev_results_retry, &tv);
	d->results_backoff_s *= 2;
	if (d->results_backoff_s > RESULTS_RETRY_MAX_S)
		d->results_backoff_s = RESULTS_RETRY_MAX_S;
}

/* Remember commit for another try, once. */
static void
results_retry_add(struct dispatcher *d, const char *commit)
{
	for (size_t i = 0; i < d->nresults_retry; i++) {
		if (strcmp(d->results_retry[i], commit) == 0)
			return;
	}
	d->results_retry = xrealloc(d->results_retry,
	    (d->nresults_retry + 1) * sizeof *d->results_retry);
	snprintf(d->results_retry[d->nresults_retry++], 65, "%s", commit);
	log_warnx("results file of %s will be written when it can be",
	    commit);
	results_retry_later(d);
}

int
results_write(struct dispatcher *d, int64_t id)
{
	char commit[65] = "";

	if (results_write_job(d, id, commit) == 0)
		return 0;
	if (commit[0] != '\0')
		results_retry_add(d, commit);
	return -1;
}

/*
 * Each commit waiting for its file gets the latest result it has now: a
 * newer job of the same commit may have ended meanwhile.
 */
static void
results_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dispatcher *d = arg;
	char commit[65];
	size_t kept = 0;
	int64_t id;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < d->nresults_retry; i++) {
		int found = store_latest_final(d->store, d->results_retry[i],
		    &id);

		if (found == 0 || (found == 1 &&
		    results_write_job(d, id, commit) == 0)) {
			if (found == 1)
				log_info("results file of %s written",
				    d->results_retry[i]);
			continue;
		}
		memmove(d->results_retry[kept++], d->results_retry[i], 65);
	}
	d->nresults_retry = kept;
	if (kept > 0)
		results_retry_later(d);
	else
		d->results_backoff_s = 1;
}

/* Whether results/<commit> ends with the result line of job id. */
static int
results_file_is(struct dispatcher *d, const char *commit, int64_t id)
{
	char *path, tail[64], want[40];
	struct stat st;
	size_t wlen;
	ssize_t n;
	int fd, same = 0;

	xasprintf(&path, "%s/%s", d->cfg.results_dir, commit);
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
	struct dispatcher *d = arg;
	char written[65];

	snprintf(d->sweep_after, sizeof d->sweep_after, "%s", commit);
	if (results_file_is(d, commit, id))
		return;
	log_info("results file of %s missing or stale: writing it", commit);
	if (results_write_job(d, id, written) == -1)
		results_retry_add(d, commit);
}

/*
 * A page of finished commits per turn of the loop, so that a store of
 * many jobs never holds it up.
 */
static void
results_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dispatcher *d = arg;
	struct timeval now = { 0, 0 };

	(void)fd;
	(void)what;
	if (store_final_heads(d->store, d->sweep_after, RESULTS_SWEEP_PAGE,
	    results_sweep_one, d) == RESULTS_SWEEP_PAGE)
		evtimer_add(d->ev_results_sweep, &now);
}

void
results_start(struct dispatcher *d)
{
	struct timeval now = { 0, 0 };

	d->results_backoff_s = 1;
	d->ev_results_retry = evtimer_new(d->base, results_retry_cb, d);
	d->ev_results_sweep = evtimer_new(d->base, results_sweep_cb, d);
	d->sweep_after[0] = '\0';
	evtimer_add(d->ev_results_sweep, &now);
}

void
results_stop(struct dispatcher *d)
{
	event_free(d->ev_results_retry);
	event_free(d->ev_results_sweep);
	free(d->results_retry);
	d->results_retry = NULL;
	d->nresults_retry = 0;
}

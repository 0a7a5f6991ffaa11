/*
 * results.c - a job's output on disk: logs/<job>.log, appended as chunks
 * stream in, and, once the job ends, the seed's test_results/<commit>,
 * written atomically (temporary file, fsync, rename) as the log followed by
 * one "result:" line.  The log is copied by the kernel, never held whole
 * in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

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
results_log_append(struct dispatcher *d, struct assignment *a,
    const char *data, size_t len)
{
	int64_t room = d->cfg.max_log_bytes - a->log_bytes;
	char note[128];
	int n;

	if (a->log_fd == -1 || a->log_truncated)
		return;
	if ((int64_t)len > room) {
		len = room > 0 ? (size_t)room : 0;
		a->log_truncated = 1;
	}
	if (write_all(a->log_fd, data, len) == -1) {
		log_warn("unable to write the log of job %lld", (long long)a->job);
		close(a->log_fd);
		a->log_fd = -1;
		return;
	}
	a->log_bytes += (int64_t)len;
	if (a->log_truncated) {
		n = snprintf(note, sizeof note, "\nssci: output past %lld bytes "
		    "dropped\n", (long long)d->cfg.max_log_bytes);
		write_all(a->log_fd, note, (size_t)n);
	}
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

/* "result: passed exit_code=0 tests_run=3 ... attempt=1\n" */
static int
results_line(const struct job *job, char *buf, size_t size)
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
	ADD(" runner=%s attempt=%d job=%lld\n",
	    job->runner ? job->runner : "-", job->attempt, (long long)job->id);
#undef ADD
	return n;
}

int
results_write(struct dispatcher *d, int64_t id)
{
	char *logpath = NULL, *path = NULL, *tmp = NULL;
	char line[1024];
	struct job job;
	int in = -1, out = -1, rc = -1, n;

	if (store_job_get(d->store, id, &job) != 1)
		return -1;
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
	n += results_line(&job, line + n, sizeof line - (size_t)n);
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

/* SPDX-License-Identifier: MIT */
/*
 * joblog.c - a job's output on disk (joblog.h).  Chunks are written as
 * they come; nothing of a log is held in memory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "joblog.h"
#include "store.h"
#include "util.h"

int
joblogs_init(struct joblogs *logs, const char *state_dir, int64_t max_bytes)
{
	xasprintf(&logs->dir, "%s/logs", state_dir);
	logs->max_bytes = max_bytes;
	logs->quiet = xcalloc(1, sizeof *logs->quiet);
	if (mkdir_p(logs->dir) == -1) {
		joblogs_release(logs);
		return -1;
	}
	return 0;
}

void
joblogs_release(struct joblogs *logs)
{
	free(logs->dir);
	logs->dir = NULL;
	free(logs->quiet);
	logs->quiet = NULL;
}

/* Whether job is among logs' quiet ones; its slot in *slot if so. */
static int
joblog_quiet_find(const struct joblogs *logs, int64_t job, size_t *slot)
{
	for (size_t i = 0; logs->quiet != NULL && i < JOBLOG_QUIET_MAX; i++) {
		if (logs->quiet->ids[i] == job) {
			*slot = i;
			return 1;
		}
	}
	return 0;
}

static void
joblog_quiet_add(const struct joblogs *logs, int64_t job)
{
	struct joblog_quiet *q = logs->quiet;
	size_t slot;

	if (q == NULL || joblog_quiet_find(logs, job, &slot))
		return;
	q->ids[q->next] = job;
	q->next = (q->next + 1) % JOBLOG_QUIET_MAX;
}

static void
joblog_quiet_drop(const struct joblogs *logs, int64_t job)
{
	size_t slot;

	if (joblog_quiet_find(logs, job, &slot))
		logs->quiet->ids[slot] = 0;
}

/*
 * The store's logs are the truth, and another dispatcher may have been
 * active since this one wrote its files: they are dropped, and each log
 * is read back from the store when it is first needed.
 */
void
joblogs_keep_in(struct joblogs *logs, struct store *store)
{
	struct dirent *e;
	char *path;
	DIR *d;

	logs->store = store_keeps_logs(store) ? store : NULL;
	if (logs->store == NULL || (d = opendir(logs->dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".log") == NULL)
			continue;
		xasprintf(&path, "%s/%s", logs->dir, e->d_name);
		if (unlink(path) == -1)
			log_warn("unable to remove '%s'", path);
		free(path);
	}
	closedir(d);
}

char *
joblog_path(const struct joblogs *logs, int64_t job)
{
	char *path;

	xasprintf(&path, "%s/%lld.log", logs->dir, (long long)job);
	return path;
}

/* What the file was given goes to the store too; it says its failures. */
static void
joblog_keep(const struct joblogs *logs, int64_t job, const char *data,
    size_t len)
{
	if (logs->store != NULL)
		(void)store_log_append(logs->store, job, data, len);
}

struct joblog_fetch {
	int fd;
	const char *path;
	int failed;
};

static int
joblog_fetch_chunk(const void *data, size_t len, void *arg)
{
	struct joblog_fetch *f = arg;

	if (write_all(f->fd, data, len) == -1) {
		log_warn("unable to write '%s'", f->path);
		f->failed = 1;
		return -1;
	}
	return 0;
}

/*
 * Write job's log from the store into its file when there is no file (the
 * job ran, or began, under another dispatcher): a file here was written
 * by this dispatcher since it became active (joblogs_keep_in), so it
 * holds all the store holds.  The new file appears whole.  0, or -1.
 */
static int
joblog_fetch(const struct joblogs *logs, int64_t job)
{
	struct joblog_fetch f = { .fd = -1 };
	char *path, *tmp;
	size_t slot;
	int n, rc = -1;

	if (logs->store == NULL)
		return 0;
	path = joblog_path(logs, job);
	if (access(path, F_OK) == 0 || joblog_quiet_find(logs, job, &slot)) {
		free(path);
		return 0;
	}
	xasprintf(&tmp, "%s.fetch", path);
	f.path = tmp;
	f.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f.fd == -1)
		log_warn("unable to open '%s'", tmp);
	else if ((n = store_log_read(logs->store, job, joblog_fetch_chunk,
	    &f)) >= 0 && !f.failed) {
		/* No chunk and no file: no log, as before. */
		if (n == 0)
			rc = 0;
		else if (rename(tmp, path) == -1)
			log_warn("unable to rename '%s'", tmp);
		else
			rc = 0;
	}
	if (f.fd != -1)
		close(f.fd);
	(void)unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

char *
joblog_read_path(const struct joblogs *logs, int64_t job)
{
	(void)joblog_fetch(logs, job);
	return joblog_path(logs, job);
}

static int
joblog_open_fd(const struct joblogs *logs, int64_t job, int fresh)
{
	char *path = joblog_path(logs, job);
	int fd;

	joblog_quiet_drop(logs, job);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
	    (fresh ? O_TRUNC : 0), 0644);
	if (fd == -1)
		log_warn("unable to open '%s'", path);
	free(path);
	return fd;
}

int
joblog_open(const struct joblogs *logs, struct joblog *log, int64_t job,
    int fresh)
{
	memset(log, 0, sizeof *log);
	log->job = job;
	if (fresh == 2) {
		log->fd = -1;
		log->later = 1;
		if (logs->store != NULL)
			joblog_quiet_add(logs, job);
		return 0;
	}
	/* A first attempt has no log anywhere yet. */
	if (logs->store != NULL && fresh == 1)
		(void)store_log_clear(logs->store, job);
	else if (fresh == 0)
		(void)joblog_fetch(logs, job);
	log->fd = joblog_open_fd(logs, job, fresh);
	return log->fd == -1 ? -1 : 0;
}

void
joblog_close(struct joblog *log)
{
	if (log->fd != -1)
		close(log->fd);
	log->fd = -1;
	log->later = 0;
}

void
joblog_note(const struct joblogs *logs, int64_t job, const char *line)
{
	int fd = joblog_open_fd(logs, job, 0);

	if (fd == -1)
		return;
	if (write_all(fd, line, strlen(line)) == -1)
		log_warn("unable to write the log of job %lld", (long long)job);
	else
		joblog_keep(logs, job, line, strlen(line));
	close(fd);
}

/* Free bytes for us on the disk holding fd, or -1 if unknown. */
static int64_t
joblog_free_bytes(int fd)
{
	struct statvfs st;

	if (fstatvfs(fd, &st) == -1)
		return -1;
	return (int64_t)st.f_bavail * (int64_t)st.f_frsize;
}

/* Stop a job's log here, saying why (if there is room to say it). */
static void
joblog_stop(const struct joblogs *logs, struct joblog *log, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
joblog_stop(const struct joblogs *logs, struct joblog *log, const char *fmt,
    ...)
{
	char note[256];
	va_list ap;
	size_t len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(note, sizeof note, fmt, ap);
	va_end(ap);
	log->truncated = 1;
	if (n <= 0)
		return;
	len = (size_t)n < sizeof note ? (size_t)n : sizeof note - 1;
	if (write_all(log->fd, note, len) == -1)
		joblog_close(log);
	else
		joblog_keep(logs, log->job, note, len);
}

void
joblog_append(const struct joblogs *logs, struct joblog *log,
    const char *data, size_t len)
{
	int64_t room = logs->max_bytes - log->bytes, avail;

	if (log->later) {
		log->later = 0;
		log->fd = joblog_open_fd(logs, log->job, 0);
	}
	if (log->fd == -1 || log->truncated)
		return;
	/*
	 * The log shares its disk with the store: a job's output must not
	 * take the room its own result needs.
	 */
	avail = joblog_free_bytes(log->fd);
	if (avail != -1 && avail - (int64_t)len < JOBLOG_FLOOR) {
		log_warnx("output of job %lld dropped: only %lld KiB free for "
		    "'%s'", (long long)log->job, (long long)avail / 1024,
		    logs->dir);
		joblog_stop(logs, log, "\nssci: output dropped from here: the "
		    "dispatcher's disk is nearly full (%lld KiB free)\n",
		    (long long)avail / 1024);
		return;
	}
	if ((int64_t)len > room) {
		len = room > 0 ? (size_t)room : 0;
		log->truncated = 1;
	}
	if (write_all(log->fd, data, len) == -1) {
		log_warn("unable to write the log of job %lld",
		    (long long)log->job);
		joblog_stop(logs, log, "\nssci: output dropped from here: %s\n",
		    strerror(errno));
		return;
	}
	log->bytes += (int64_t)len;
	joblog_keep(logs, log->job, data, len);
	if (log->truncated)
		joblog_stop(logs, log, "\nssci: output past %lld bytes "
		    "dropped\n", (long long)logs->max_bytes);
}

int
joblog_read(const struct joblogs *logs, int64_t job, int64_t offset,
    size_t max, char **data, size_t *len, int64_t *size)
{
	char *path = joblog_read_path(logs, job);
	struct stat st;
	ssize_t n;
	int fd;

	*data = NULL;
	*len = 0;
	*size = 0;
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

void
joblog_share(const struct joblogs *logs, int64_t from, int64_t to)
{
	char *src = joblog_path(logs, from), *dst = joblog_path(logs, to);
	char note[120];

	joblog_quiet_drop(logs, to);	/* the store's copy may be its log */
	if (logs->store != NULL)
		(void)store_log_copy(logs->store, from, to);
	if (link(src, dst) == -1 && errno != ENOENT) {
		log_warn("unable to link '%s' to '%s'", src, dst);
		snprintf(note, sizeof note, "ssci: passed in job %lld; its "
		    "output is there\n", (long long)from);
		joblog_note(logs, to, note);
	}
	free(src);
	free(dst);
}

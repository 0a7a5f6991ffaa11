/* SPDX-License-Identifier: MIT */
/*
 * runreport.c - a job's per-test results on the runner (runjob_int.h).
 * While the test runs, its output is read for TAP and unittest lines;
 * once it has ended, the JUnit XML reports the job names (its plan's
 * "reports", the runner's --reports, and any *.xml in $SSCI_REPORTS) are
 * read, a piece per turn of the loop, and their records go to the
 * dispatcher in tests messages before the result.  The output's records
 * are sent only when no report file was found.
 *
 * Reports are written by whoever can push a commit: they are looked for
 * without following a link and reading at most RUNREPORT_MAX_ENTRIES
 * directory entries (reportglob.c), a file must be a regular file, and
 * reading stops at RUNREPORT_MAX_FILES files and RUNREPORT_MAX_BYTES
 * bytes, each stop said in the job's log and the records then partial.
 * Memory stays bounded: the readers are (report.h), records wait in at
 * most one batch, batches not yet acknowledged stop the reading past
 * RUNREPORT_BACKLOG bytes, and the output's batches are held up to
 * RUNREPORT_HELD_MAX bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "plan.h"
#include "report.h"
#include "reportglob.h"
#include "mask.h"
#include "runartifact.h"
#include "runjob_int.h"
#include "util.h"

#define RUNREPORT_MAX_FILES 64
#define RUNREPORT_MAX_ENTRIES 10000	/* directory entries, per pattern */
#define RUNREPORT_MAX_BYTES (256LL * 1024 * 1024)
#define RUNREPORT_CHUNK (256 * 1024)
#define RUNREPORT_BACKLOG (4 * 1024 * 1024)
#define RUNREPORT_HELD_MAX (16 * 1024 * 1024)
/* How long to wait for the dispatcher to take the batches sent. */
#define RUNREPORT_WAIT_MS 20

struct runreport {
	struct runjob *j;
	char *dir;		/* $SSCI_REPORTS */
	/* The output's records, held until the files are looked for. */
	struct report_lines *lines;
	struct proto_tests_batch *out_batch;
	char **held;
	size_t nheld, held_sent, held_bytes;
	int64_t out_records;
	int out_dropped;
	/* The files. */
	char tree[PATH_MAX];	/* the job's tree, its real path */
	char **files;		/* paths in the tree, in order, each once */
	size_t nfiles, next_file;
	int too_many;		/* more matched than RUNREPORT_MAX_FILES */
	int fd;			/* the file being read, or -1 */
	const char *name;	/* its name in notes: relative to the tree */
	struct junit_parser *junit;
	int64_t file_records;	/* of the file being read */
	int64_t file_started_ms;	/* when its reading began, monotonic */
	long long file_bytes;
	int64_t records;	/* sent from files */
	long long bytes;	/* read from files */
	struct proto_tests_batch *batch;
	struct event *ev_tick;
	/* How the test ended, for runjob_finish. */
	enum job_state state;
	int exit_code;
};

static int
runreport_held_add(struct runreport *rr, char *line)
{
	size_t len = strlen(line);

	if (rr->held_bytes + len > RUNREPORT_HELD_MAX) {
		free(line);
		rr->out_dropped = 1;
		return -1;
	}
	rr->held = xrealloc(rr->held, (rr->nheld + 1) * sizeof *rr->held);
	rr->held[rr->nheld++] = line;
	rr->held_bytes += len;
	return 0;
}

/* A record from the output: held in batches until the end. */
static int
runreport_out_record(const struct test_record *rec, void *arg)
{
	struct runreport *rr = arg;

	if (rr->out_dropped)
		return -1;
	if (!proto_tests_batch_fits(rr->out_batch, rec) &&
	    runreport_held_add(rr, proto_tests_batch_take(rr->out_batch,
	    NULL)) == -1)
		return -1;
	proto_tests_batch_add(rr->out_batch, rec);
	rr->out_records++;
	return 0;
}

static int runreport_file_add(struct runreport *rr, struct runjob *j,
    const struct test_record *rec);

/*
 * s masked into *out (malloc'd) if it holds a secret; s otherwise.  A
 * reader cuts a long text, maybe inside a secret: an end of s that is
 * the start (4 bytes or more) of one is masked too.
 */
static char *
runreport_mask(const struct runjob *j, char *s, char **out)
{
	size_t len, vlen, k;
	const char *v;
	char *t;
	int cut;

	*out = NULL;
	if (s == NULL || j->mask == NULL)
		return s;
	/* Only a text at a reader's bound (less a cut character) was cut. */
	len = strlen(s);
	cut = len + 4 >= TESTREC_MAX_MESSAGE || (len + 4 >= TESTREC_MAX_NAME &&
	    len <= TESTREC_MAX_NAME);
	if (mask_string(j->mask, s, out) == 1)
		s = *out;
	if (!cut)
		return s;
	len = strlen(s);
	for (size_t i = 0; i < j->nsecrets; i++) {
		v = strchr(j->secrets[i], '=') + 1;
		vlen = strlen(v);
		for (k = vlen - 1 < len ? vlen - 1 : len; k >= 4; k--) {
			if (memcmp(s + len - k, v, k) != 0)
				continue;
			xasprintf(&t, "%.*s***", (int)(len - k), s);
			free(*out);
			*out = s = t;
			len = strlen(s);
			break;
		}
	}
	return s;
}

/* A record from a file: sent once its batch is full, secrets masked. */
static int
runreport_file_record(const struct test_record *orig, void *arg)
{
	struct runreport *rr = arg;
	struct runjob *j = rr->j;
	struct test_record copy = *orig, *rec = &copy;
	char *owned[4];
	int rc;

	copy.name = runreport_mask(j, orig->name, &owned[0]);
	copy.suite = runreport_mask(j, orig->suite, &owned[1]);
	copy.file = runreport_mask(j, orig->file, &owned[2]);
	copy.message = runreport_mask(j, orig->message, &owned[3]);
	rc = runreport_file_add(rr, j, rec);
	for (size_t i = 0; i < 4; i++)
		free(owned[i]);
	return rc;
}

static int
runreport_file_add(struct runreport *rr, struct runjob *j,
    const struct test_record *rec)
{
	if (rr->records >= TESTREC_MAX_TESTS)
		return -1;
	if (!proto_tests_batch_fits(rr->batch, rec))
		j->cfg->tests(j->cfg->arg, j, proto_tests_batch_take(rr->batch,
		    NULL));
	proto_tests_batch_add(rr->batch, rec);
	rr->records++;
	rr->file_records++;
	return 0;
}

/*
 * Before git clean: the tree's reports folder emptied of what the job
 * before wrote, so that git clean may spare it (-e) and the folder need
 * not be made again (a folder made and removed each job cost 0.1 to 0.3
 * ms in the file system's inode allocation, measured with perf).  1 if
 * it is there and empty now; 0 if not (none, not a folder, or it holds
 * folders): git clean removes it then, as any untracked file.  Done
 * before any of the job's own code runs, so nothing of one job's reports
 * is seen by the next.
 */
int
runreport_empty_dir(const char *tree)
{
	struct dirent *e;
	char *dir;
	DIR *d = NULL;
	int fd, left = 0;

	xasprintf(&dir, "%s/%s", tree, RUNREPORT_DIR);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(dir);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    unlinkat(fd, e->d_name, 0) == -1)
			left = 1;
	}
	closedir(d);
	return !left;
}

void
runreport_start(struct runjob *j)
{
	struct runreport *rr = xcalloc(1, sizeof *rr);

	rr->j = j;
	rr->fd = -1;
	rr->lines = report_lines_new(runreport_out_record, rr);
	rr->out_batch = proto_tests_batch_new(j->id, j->attempt, 0);
	rr->batch = proto_tests_batch_new(j->id, j->attempt, 0);
	xasprintf(&rr->dir, "%s/%s", j->tree, RUNREPORT_DIR);
	if (mkdir(rr->dir, 0755) == -1 && errno != EEXIST)
		runjob_note(j, "unable to make '%s' for reports: %s",
		    RUNREPORT_DIR, strerror(errno));
	j->report = rr;
}

const char *
runreport_dir(const struct runjob *j)
{
	return j->report != NULL ? j->report->dir : NULL;
}

void
runreport_output(struct runjob *j, const char *data, size_t len)
{
	if (j->report != NULL && !j->report->out_dropped)
		report_lines_feed(j->report->lines, data, len);
}

/* Add a report file (rel in the tree) once. */
static void
runreport_add_file(struct runreport *rr, const char *rel)
{
	for (size_t i = 0; i < rr->nfiles; i++) {
		if (strcmp(rr->files[i], rel) == 0)
			return;
	}
	if (rr->nfiles == RUNREPORT_MAX_FILES) {
		if (!rr->too_many)
			runjob_note(rr->j, "more than %d report files: only the "
			    "first %d are read", RUNREPORT_MAX_FILES,
			    RUNREPORT_MAX_FILES);
		rr->too_many = 1;
		rr->j->tests_partial = 1;
		return;
	}
	rr->files = xrealloc(rr->files, (rr->nfiles + 1) * sizeof *rr->files);
	rr->files[rr->nfiles++] = xstrdup(rel);
}

static void
runreport_found(const char *rel, enum report_glob_kind kind, void *arg)
{
	struct runreport *rr = arg;

	if (kind == REPORT_GLOB_FILE) {
		runreport_add_file(rr, rel);
		return;
	}
	runjob_note(rr->j, "report '%s' is %s: not read", rel,
	    kind == REPORT_GLOB_LINK ? "a symbolic link" :
	    "not a regular file");
	rr->j->tests_partial = 1;
}

/* The files a pattern (relative to the tree) names. */
static void
runreport_glob(struct runreport *rr, const char *pattern)
{
	size_t budget = RUNREPORT_MAX_ENTRIES;

	if (!plan_report_valid(pattern)) {
		runjob_note(rr->j, "report path '%s' must be relative and "
		    "within the tree: not read", pattern);
		rr->j->tests_partial = 1;
		return;
	}
	if (report_glob(rr->tree, pattern, &budget, runreport_found,
	    rr) == -1) {
		runjob_note(rr->j, "stopped looking for reports of '%s' after "
		    "%d directory entries", pattern, RUNREPORT_MAX_ENTRIES);
		rr->j->tests_partial = 1;
	}
}

static void
runreport_find_files(struct runreport *rr)
{
	struct runjob *j = rr->j;

	if (realpath(j->tree, rr->tree) == NULL)
		return;
	for (size_t i = 0; i < j->nreports; i++)
		runreport_glob(rr, j->reports[i]);
	if (j->cfg->reports != NULL)
		runreport_glob(rr, j->cfg->reports);
	runreport_glob(rr, RUNREPORT_DIR "/*.xml");
}

/* Open the next file: 1, or 0 when none is left. */
static int
runreport_open_next(struct runreport *rr)
{
	char path[PATH_MAX];
	struct stat st;

	while (rr->next_file < rr->nfiles) {
		rr->name = rr->files[rr->next_file++];
		if ((size_t)snprintf(path, sizeof path, "%s/%s", rr->tree,
		    rr->name) >= sizeof path)
			continue;	/* reportglob found no such path */
		/*
		 * Found without a link, but the test may still be running
		 * children: no link now, no FIFO to hold us, a regular file.
		 */
		rr->fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
		if (rr->fd == -1) {
			runjob_note(rr->j, "unable to open report '%s': %s",
			    rr->name, strerror(errno));
			rr->j->tests_partial = 1;
			continue;
		}
		if (fstat(rr->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			runjob_note(rr->j, "report '%s' is not a regular file: "
			    "not read", rr->name);
			rr->j->tests_partial = 1;
			close(rr->fd);
			rr->fd = -1;
			continue;
		}
		rr->junit = junit_new(rr->name, runreport_file_record, rr);
		rr->file_records = 0;
		rr->file_bytes = 0;
		rr->file_started_ms = mono_ms();
		return 1;
	}
	return 0;
}

/*
 * The file being read is over, or cut short by why: say what it gave.
 * Anything but a whole file makes the job's records partial.
 */
static void
runreport_close_file(struct runreport *rr, const char *why)
{
	char err[512];
	int failed = junit_finish(rr->junit, err, sizeof err) == -1;

	if (why != NULL)
		runjob_note(rr->j, "report '%s': %s; its %lld tests read are "
		    "kept", rr->name, why, (long long)rr->file_records);
	else if (failed)
		runjob_note(rr->j, "%s; its %lld tests before that are kept",
		    err, (long long)rr->file_records);
	else
		runjob_note(rr->j, "read %lld tests from '%s' (%lld KiB) in "
		    "%lld ms", (long long)rr->file_records, rr->name,
		    (rr->file_bytes + 1023) / 1024,
		    (long long)(mono_ms() - rr->file_started_ms));
	if (why != NULL || failed)
		rr->j->tests_partial = 1;
	junit_free(rr->junit);
	rr->junit = NULL;
	close(rr->fd);
	rr->fd = -1;
}

/* Read a chunk of the current file: 0 to go on, 1 when it is over. */
static int
runreport_read_chunk(struct runreport *rr)
{
	char *buf;
	ssize_t n;

	if (rr->bytes >= RUNREPORT_MAX_BYTES) {
		runreport_close_file(rr, "the reports' bytes passed their "
		    "limit of 256 MiB");
		rr->next_file = rr->nfiles;
		return 1;
	}
	buf = xmalloc(RUNREPORT_CHUNK);
	n = read(rr->fd, buf, RUNREPORT_CHUNK);
	if (n > 0) {
		rr->bytes += n;
		rr->file_bytes += n;
		if (junit_feed(rr->junit, buf, (size_t)n) == -1)
			n = 0;	/* it stopped: finish says why */
	}
	free(buf);
	if (n == -1) {
		runreport_close_file(rr, strerror(errno));
		return 1;
	}
	if (n == 0) {
		runreport_close_file(rr, NULL);
		return 1;
	}
	return 0;
}

static void runreport_tick(evutil_socket_t fd, short what, void *arg);

static void
runreport_later(struct runreport *rr, int ms)
{
	struct timeval tv = { 0, ms * 1000 };

	evtimer_add(rr->ev_tick, &tv);
}

/* Everything is read: what is left goes out, then the result. */
static void
runreport_done(struct runreport *rr)
{
	struct runjob *j = rr->j;
	enum job_state state = rr->state;
	int exit_code = rr->exit_code;

	if (proto_tests_batch_count(rr->batch) > 0)
		j->cfg->tests(j->cfg->arg, j, proto_tests_batch_take(rr->batch,
		    NULL));
	if (j->ending != JOB_RUNNING)
		runjob_finish(j, j->ending, exit_code, j->ending ==
		    JOB_TIMEOUT ? "job timeout" : "cancelled");
	else
		runartifact_send(j, state, exit_code);
}

/* No file was found: the output's records are sent instead. */
static int
runreport_send_held(struct runreport *rr)
{
	struct runjob *j = rr->j;

	while (rr->held_sent < rr->nheld) {
		if (j->cfg->tests_backlog(j->cfg->arg) > RUNREPORT_BACKLOG)
			return 0;
		j->cfg->tests(j->cfg->arg, j, rr->held[rr->held_sent]);
		rr->held[rr->held_sent++] = NULL;
	}
	return 1;
}

static void
runreport_tick(evutil_socket_t fd, short what, void *arg)
{
	struct runreport *rr = arg;
	struct runjob *j = rr->j;

	(void)fd;
	(void)what;
	if (j->ending != JOB_RUNNING) {
		runreport_done(rr);
		return;
	}
	if (j->cfg->tests_backlog(j->cfg->arg) > RUNREPORT_BACKLOG) {
		runreport_later(rr, RUNREPORT_WAIT_MS);
		return;
	}
	if (rr->fd == -1 && !runreport_open_next(rr)) {
		if (rr->nfiles == 0 && !runreport_send_held(rr)) {
			runreport_later(rr, RUNREPORT_WAIT_MS);
			return;
		}
		runreport_done(rr);
		return;
	}
	runreport_read_chunk(rr);
	runreport_later(rr, 0);
}

/* The output's reader is over: its last records join the held ones. */
static void
runreport_lines_over(struct runreport *rr)
{
	char err[256];

	if (report_lines_finish(rr->lines, err, sizeof err) == -1 &&
	    rr->out_records > 0 && rr->nfiles == 0) {
		runjob_note(rr->j, "test output: %s", err);
		rr->j->tests_partial = 1;
	}
	if (proto_tests_batch_count(rr->out_batch) > 0)
		runreport_held_add(rr, proto_tests_batch_take(rr->out_batch,
		    NULL));
	if (rr->nfiles > 0)
		return;
	if (rr->out_dropped) {
		runjob_note(rr->j, "test records from the output past %d MiB "
		    "were dropped", RUNREPORT_HELD_MAX >> 20);
		rr->j->tests_partial = 1;
	}
	if (rr->out_records > 0)
		runjob_note(rr->j, "read %lld tests from the output (TAP, "
		    "unittest)", (long long)rr->out_records);
}

void
runreport_finish(struct runjob *j, enum job_state state, int exit_code)
{
	struct runreport *rr = j->report;

	if (rr == NULL) {
		runartifact_send(j, state, exit_code);
		return;
	}
	rr->state = state;
	rr->exit_code = exit_code;
	runreport_find_files(rr);
	runreport_lines_over(rr);
	rr->ev_tick = evtimer_new(j->cfg->base, runreport_tick, rr);
	runreport_later(rr, 0);
}

void
runreport_free(struct runjob *j)
{
	struct runreport *rr = j->report;

	if (rr == NULL)
		return;
	if (rr->ev_tick != NULL)
		event_free(rr->ev_tick);
	if (rr->junit != NULL)
		junit_free(rr->junit);
	if (rr->fd != -1)
		close(rr->fd);
	report_lines_free(rr->lines);
	proto_tests_batch_free(rr->out_batch);
	proto_tests_batch_free(rr->batch);
	for (size_t i = 0; i < rr->nheld; i++)
		free(rr->held[i]);
	free(rr->held);
	for (size_t i = 0; i < rr->nfiles; i++)
		free(rr->files[i]);
	free(rr->files);
	free(rr->dir);
	free(rr);
	j->report = NULL;
}

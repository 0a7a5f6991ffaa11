/* SPDX-License-Identifier: MIT */
/*
 * joblog.h - a job's output on disk, STATE/logs/<job>.log: appended as
 * chunks stream in from its runner, read by the pages, the API and the
 * client, and copied into the results file when the job ends.
 *
 * With a store that keeps logs too (store_keeps_logs: PostgreSQL's), each
 * chunk goes to the store as well, which is the log's truth: a dispatcher
 * that takes over finds a job's whole log there, and reads it into its
 * own STATE/logs when it is first needed.
 *
 * A full disk must cost output, never a result: a log stops growing (with
 * a note saying so) while its disk has less than JOBLOG_FLOOR free, so
 * that the store can still record every job's end.
 */
#ifndef SSCI_JOBLOG_H
#define SSCI_JOBLOG_H

#include <stddef.h>
#include <stdint.h>

#define JOBLOG_FLOOR (4LL << 20)

struct store;

/*
 * First attempts begun here that have printed nothing: with a store that
 * keeps logs, their log is in no file and in no store either (only this
 * dispatcher writes a first attempt's chunks, and it makes the file
 * first), so a reader need not look there.  The oldest are forgotten
 * first, which costs only that look.
 */
#define JOBLOG_QUIET_MAX 256
struct joblog_quiet {
	int64_t ids[JOBLOG_QUIET_MAX];	/* 0: a free slot */
	size_t next;			/* the slot taken next */
};

/* Where the logs are and how long one may grow. */
struct joblogs {
	char *dir;		/* STATE/logs */
	int64_t max_bytes;	/* per job; output past it is dropped */
	struct store *store;	/* keeping them too, or NULL */
	struct joblog_quiet *quiet;	/* joblogs_init's, or NULL */
};

/* One job's log while the job runs. */
struct joblog {
	int64_t job;
	int fd;			/* -1 when closed or unwritable */
	int64_t bytes;		/* written this attempt */
	int truncated;		/* stopped: nothing more is written */
	int later;		/* opened by the first append (joblog_open) */
};

/*
 * Where the logs of a dispatcher with state_dir go (STATE/logs, made if
 * need be): 0, or -1 after saying why.  joblogs_release frees it.
 */
int joblogs_init(struct joblogs *logs, const char *state_dir,
    int64_t max_bytes);
void joblogs_release(struct joblogs *logs);
/* Keep the logs in store too, if it keeps logs (store_keeps_logs). */
void joblogs_keep_in(struct joblogs *logs, struct store *store);

/* The path of job's log (malloc'd). */
char *joblog_path(const struct joblogs *logs, int64_t job);
/*
 * The same, to read it: the log is first read from the store if it keeps
 * logs and there is no file (the job ran under another dispatcher).
 */
char *joblog_read_path(const struct joblogs *logs, int64_t job);
/*
 * Open job's log for appending into *log, emptied first for a new attempt
 * (fresh), kept for a runner that reconnects mid-job.  0, or -1 (logged;
 * *log is then closed, and appends do nothing).  fresh 2: the job's first
 * attempt, which has no log yet: the file is made by the first append,
 * so that a job that prints nothing costs no file (a missing log reads as
 * an empty one, and a store that keeps logs too is not asked for it:
 * struct joblog_quiet).
 */
int joblog_open(const struct joblogs *logs, struct joblog *log, int64_t job,
    int fresh);
void joblog_close(struct joblog *log);
/* Append a chunk, honouring max_bytes and the free-space floor. */
void joblog_append(const struct joblogs *logs, struct joblog *log,
    const char *data, size_t len);
/* Append a line of ssci's own to job's log, made if need be. */
void joblog_note(const struct joblogs *logs, int64_t job, const char *line);
/*
 * Job to shows job from's log (a retry keeps a job that passed): a hard
 * link, the log being final; or, failing that, a note saying where it is.
 */
void joblog_share(const struct joblogs *logs, int64_t from, int64_t to);
/*
 * Read up to max bytes of job's log from offset into a new buffer (*data,
 * *len, NUL-terminated); *size is the log's whole size.  0, or -1 if there
 * is no log.
 */
int joblog_read(const struct joblogs *logs, int64_t job, int64_t offset,
    size_t max, char **data, size_t *len, int64_t *size);

#endif

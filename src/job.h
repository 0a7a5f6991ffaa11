/* SPDX-License-Identifier: MIT */
/*
 * job.h - the job model, shared by the store, the protocol, the scheduler,
 * the pages and the runner.  A job is one run of a repository's tests at
 * one commit; it goes queued -> running -> passed|failed|error|timeout|
 * cancelled.
 *
 * A commit has jobs.  Today a dispatch of a commit asks for exactly one
 * (struct job_request), which runs the repository's test command (chosen
 * by the runner, testcmd.c), and the commit's latest job stands for the
 * commit: its results file, its page, its branch's badge.  Everything
 * that relies on "one job per commit" goes through job_request and the
 * store's per-commit functions (store_dispatch, store_job_by_commit,
 * store_latest_final, store_final_heads, store_final_before), so that
 * pipelines (several jobs per commit) change those and nothing else.
 */
#ifndef SSCI_JOB_H
#define SSCI_JOB_H

#include <stdint.h>

enum job_state {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_PASSED,
	JOB_FAILED,
	JOB_ERROR,
	JOB_TIMEOUT,
	JOB_CANCELLED,
};

/* "queued", "running", "passed", ...; never NULL for a valid state. */
const char *job_state_name(enum job_state state);

/* Parse a state name; returns 0 and sets *out, or -1 if unknown. */
int job_state_parse(const char *name, enum job_state *out);

/* Whether the state is final (passed, failed, error, timeout, cancelled). */
int job_state_final(enum job_state state);

/* Test counts; -1 where unknown. */
struct job_tests {
	int run;
	int failed;
	int skipped;
};

/* How a job ended, as a runner reports it or the dispatcher decides. */
struct job_result {
	int64_t job;
	enum job_state state;
	int exit_code;		/* -1 if the test never ran */
	int64_t duration_ms;
	struct job_tests tests;
	const char *message;	/* NULL, or why it ended as error */
};

/* A job as the store keeps it.  Strings are owned; release with job_release. */
struct job {
	int64_t id;
	char *repo;
	char commit[65];
	char *branch;		/* may be NULL */
	enum job_state state;
	int attempt;		/* how many times it was handed to a runner */
	char *runner;		/* last runner, may be NULL */
	int64_t created_ms;
	int64_t started_ms;	/* 0 if never started */
	int64_t finished_ms;	/* 0 if not finished */
	int exit_code;		/* -1 if unknown */
	int64_t duration_ms;	/* -1 if unknown */
	struct job_tests tests;	/* -1 where unknown */
	char *reason;		/* why it ended as error or was re-queued; may be NULL */
	char *subject;		/* the commit's subject line, may be NULL */
	char *author;		/* the commit's author, may be NULL */
	int64_t retry_of;	/* the job this one retries, or 0 */
};

void job_release(struct job *job);
/* A copy of src that owns its own strings. */
void job_copy(struct job *dst, const struct job *src);

/*
 * What a dispatch asks for: the job of a commit.  Strings are borrowed.
 * Unless rebuild is set, a commit that has a job already gets no new one.
 */
struct job_request {
	const char *repo;
	const char *commit;
	const char *branch;	/* may be NULL */
	const char *subject;	/* the commit's subject line, may be NULL */
	const char *author;	/* the commit's author, may be NULL */
	int rebuild;		/* a new job even if the commit has one */
	int64_t retry_of;	/* the job this one retries, or 0 */
};

#endif

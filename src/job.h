/* SPDX-License-Identifier: MIT */
/*
 * job.h - the job model, shared by the store, the protocol, the scheduler,
 * the pages and the runner.  A job is one piece of a commit's testing; it
 * goes queued -> running -> passed|failed|error|timeout|cancelled, or
 * queued -> skipped when a job it needs did not pass.
 *
 * A commit has pipelines, and a pipeline has jobs.  A dispatch makes a
 * pipeline of one job whose runner chooses what to run: the plan in the
 * tree's .ssci.yml (plan.h), which makes that job the first of several
 * (store_pipeline_plan), or else the repository's test command
 * (testcmd.c).  A pipeline's id is the id of its first job, so a pipeline
 * of one job is that job.  The commit's latest pipeline stands for the
 * commit: its results file, its branch's badge.
 */
#ifndef SSCI_JOB_H
#define SSCI_JOB_H

#include <stdint.h>

#include "testrec.h"

enum job_state {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_PASSED,
	JOB_FAILED,
	JOB_ERROR,
	JOB_TIMEOUT,
	JOB_CANCELLED,
	JOB_SKIPPED,		/* a job it needs did not pass */
};

#define JOB_STATES (JOB_SKIPPED + 1)

/* "queued", "running", "passed", ...; never NULL for a valid state. */
const char *job_state_name(enum job_state state);

/* Parse a state name; returns 0 and sets *out, or -1 if unknown. */
int job_state_parse(const char *name, enum job_state *out);

/* Whether the state is final (any but queued and running). */
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
	/*
	 * Its per-test records are not all its tests: a report cut short or
	 * refused, a limit reached.  Quarantine then forgives nothing.
	 */
	int tests_partial;
	/* Its attempt has no per-test records (the judge read so): no
	 * flaky marks to settle. */
	int tests_none;
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
	int64_t pipeline;	/* its pipeline: the id of the first job */
	enum job_state pipeline_state;
	char *name;		/* in its pipeline's plan; NULL: not planned */
	char *spec;		/* what to run (plan_spec_encode); NULL: the
				 * runner chooses, and plans */
	char *labels;		/* a runner must have each word; may be NULL */
	int allow_failure;	/* its failure does not fail the pipeline */
	int needs_pending;	/* jobs it needs that have not passed */
	int flaky;		/* passed on a re-run after failing */
	int fail_retries;	/* re-runs it had after failing */
	/*
	 * Sharding: a sharded job has shards > 0 and is never run; its
	 * shards are jobs of their own (shard_of its id, shard_index from 1)
	 * and its state, times and counts follow theirs.
	 */
	int shards;
	int64_t shard_of;	/* 0: not a shard */
	int shard_index;
	int64_t expected_ms;	/* a shard's expected time; -1 unknown */
	/* Its pipeline tests a pull request: its title and page; or NULL. */
	char *pr_title;
	char *pr_url;
	int priority;		/* enum job_priority, its pipeline's */
	/*
	 * What queued its pipeline (docs/QUEUE.md): "hook", "observer",
	 * "webhook", "api", "schedule", "manual by ...", "retry of #N",
	 * "bisect"; NULL for pipelines older than triggers.
	 */
	char *trigger;
	char *params;		/* a manual run's NAME=VALUE pairs as a JSON
				 * object, or NULL */
	char *superseded_by;	/* coalescing skipped it for this commit */
	int64_t bisection;	/* a bisection's run: its id; else 0 */
	int coalescing;		/* a push on a branch that coalesces */
};

void job_release(struct job *job);

/*
 * The name a job's tests go by in their history (struct test_where): a
 * shard's are its job's ("unit" for "unit[2/4]"), others' its own.
 * malloc'd; NULL for a job that was not planned.
 */
char *job_tests_name(const struct job *job);

/*
 * One test's result in a job's attempt, as the store keeps it (from a
 * runner's struct test_record).  A test is known by its repository and
 * its name: the record's suite and name joined by a dot (testrec_key).
 * The job's commit, branch and state come with it in a test's history.
 * Strings are owned; release with test_run_release.
 */
struct test_run {
	int64_t job;
	int attempt;
	int64_t index;		/* its place in the job's records, from 0 */
	char *name;
	char *suite;		/* may be NULL */
	char *file;		/* may be NULL */
	enum test_status status;
	int64_t duration_us;	/* -1 if unknown */
	char *message;		/* may be NULL */
	int flaky;		/* another run on its commit had the other outcome */
	int quarantined;	/* its failures do not fail a job */
	char commit[65];
	char *branch;		/* may be NULL */
	char *job_name;		/* its job's name in its plan; NULL: unplanned */
	enum job_state job_state;
	int64_t finished_ms;	/* the job's; 0 if not finished */
};

void test_run_release(struct test_run *run);

/*
 * Which runs of a test make its history: the test name of repository
 * repo on branch (NULL: jobs without one), in the jobs named job_name in
 * their plan (NULL: unplanned jobs), or in every job with any_job.  The
 * jobs of one name are the same work run again; two matrix entries that
 * run the same suite are not.
 */
struct test_where {
	const char *repo;
	const char *branch;
	const char *name;
	const char *job_name;
	int any_job;
};

/*
 * The most tests one answer lists (an API page, a client's question): a
 * job's 100,000 come a page at a time, so no answer holds them all.
 */
#define TEST_RUNS_PAGE_MAX 5000

/* A job's records by outcome, for its latest attempt. */
struct test_counts {
	int64_t total;
	int64_t passed;
	int64_t failed;		/* failed or error */
	int64_t skipped;
	int64_t quarantined_failed;	/* of failed: quarantined tests */
	int64_t flaky;
};

/* A test seen flaky, for /flaky. */
struct flaky_test {
	char *repo;
	char *name;
	int64_t flakes;		/* runs marked flaky */
	int64_t runs;		/* runs in its recent history */
	int64_t flips;		/* outcome changes between those runs */
	int64_t last_job;	/* the latest job with a flaky run */
	char last_commit[65];
	char *last_branch;
	int64_t last_ms;
	int quarantined;
};

void flaky_test_release(struct flaky_test *f);
/* A copy of src that owns its own strings. */
void job_copy(struct job *dst, const struct job *src);

/*
 * What a dispatch asks for: the job of a commit.  Strings are borrowed.
 * Unless rebuild is set, a commit that has a job already gets no new one.
 */
/*
 * A pipeline's priority: higher goes first across the fair share of
 * repositories and branches (docs/QUEUE.md).
 */
enum job_priority {
	JOB_PRIORITY_LOW = -1,
	JOB_PRIORITY_NORMAL = 0,
	JOB_PRIORITY_HIGH = 1,
};
/* "low", "normal", "high". */
const char *job_priority_name(int priority);
/* Parse a priority's name: 0 and *out, or -1. */
int job_priority_parse(const char *name, int *out);

struct job_request {
	const char *repo;
	const char *commit;
	const char *branch;	/* may be NULL */
	const char *subject;	/* the commit's subject line, may be NULL */
	const char *author;	/* the commit's author, may be NULL */
	int rebuild;		/* a new job even if the commit has one */
	int64_t retry_of;	/* the job this one retries, or 0 */
	const struct job_plan *plan;	/* a planned pipeline, or NULL */
	const char *pr_title;	/* a pull request's title, or NULL */
	const char *pr_url;	/* its page on the forge, or NULL */
	int priority;		/* enum job_priority */
	int priority_set;	/* priority was asked for; else the branch's */
	const char *trigger;	/* what queued it (struct job's), or NULL */
	const char *params;	/* a manual run's parameters (JSON), or NULL */
	/*
	 * A push on a branch that coalesces: this pipeline supersedes the
	 * branch's pushed pipelines that have not started, and bisection
	 * reads the branch's pushes in their order.
	 */
	int coalesce;
	/*
	 * Not handed out before this time (ms, 0: at once): a coalescing
	 * push waits for the rest of its burst (--coalesce-wait).
	 */
	int64_t hold_until_ms;
	int64_t bisection;	/* a bisection's run, or 0 */
};

/* One job of a plan as the store keeps it.  Strings are borrowed. */
struct job_plan_entry {
	const char *name;
	const char *spec;	/* plan_spec_encode's */
	const char *labels;	/* words joined by spaces, or NULL */
	int allow_failure;
	const size_t *needs;	/* indexes of entries before or after */
	size_t nneeds;
	int64_t carried;	/* a retry keeps this passed job: its id */
	int shards;		/* a sharded job: how many shards */
	size_t shard_of;	/* a shard: its job's index + 1; else 0 */
	int shard_index;
	int64_t expected_ms;	/* a shard's expected time, or -1 */
};

struct job_plan {
	const char *text;	/* the plan it came from (plan_encode's) */
	const struct job_plan_entry *jobs;
	size_t njobs;
	size_t first;		/* the entry the planning job becomes */
};

/*
 * A bisection (docs/QUEUE.md): a coalescing branch's push that failed
 * after skipped pushes, with the last tested push before them passed;
 * the skipped pushes between good and bad are tested halfway until the
 * first failing one is named.  Strings are owned; release with
 * bisection_release.
 */
struct bisection {
	int64_t id;
	char *repo;
	char *branch;
	int64_t good;		/* the passed pipeline before the range */
	int64_t bad;		/* the failed push that started it */
	char *state;		/* "running", "found" or "stopped" */
	int64_t culprit;	/* the first failing push's pipeline, or 0 */
	char culprit_commit[65];
	char *culprit_subject;	/* may be NULL */
	char *culprit_author;	/* may be NULL */
	int runs;		/* jobs it took, the failed push's included */
	char *note;		/* why it stopped; may be NULL */
	int64_t created_ms;
	int64_t finished_ms;	/* 0 while running */
};
void bisection_release(struct bisection *b);

/* One skipped push of a bisection's range, borrowed by a callback. */
struct bisect_commit {
	int64_t pipeline;	/* the superseded push */
	const char *commit;
	const char *subject;	/* may be NULL */
	const char *author;	/* may be NULL */
	int64_t run;		/* its latest run in the bisection, or 0 */
	enum job_state state;	/* that run's state, if run */
	int flaky;		/* a job of that run passed on a re-run */
};

/* A pipeline as the store keeps it; plan is owned (NULL: not planned). */
struct pipeline {
	int64_t id;
	enum job_state state;
	char *plan;
	int64_t finished_ms;	/* 0 if not finished */
	/* Its commit's latest earlier pipeline that ended, whose results
	 * file its own replaces; 0 if none. */
	int64_t replaces;
};

void pipeline_release(struct pipeline *pipeline);

/*
 * A pipeline's state from its jobs' (state, allow_failure) pairs: running
 * while any job is queued or running and one has started, queued while
 * none has; then passed if every job not allowed to fail passed, else
 * the worst of theirs: cancelled, error, timeout, failed (skipped counts
 * as failed).
 */
enum job_state job_pipeline_state(const enum job_state *states,
    const int *allow_failure, size_t n);

#endif

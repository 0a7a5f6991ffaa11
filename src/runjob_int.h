/* SPDX-License-Identifier: MIT */
/*
 * runjob_int.h - what the files of one job on a runner share: runjob.c
 * (the steps, from clone to test), runjob_test.c (the test step) and
 * runjob_out.c (the job's output and result).
 */
#ifndef SSCI_RUNJOB_INT_H
#define SSCI_RUNJOB_INT_H

#include <stddef.h>

#include "runner.h"

/* runjob_out.c */
/* Output as it comes; a character cut by a read waits for its rest. */
void runjob_log(struct runjob *j, const char *data, size_t len);
/* Output that passed the line guard (a line_guard callback). */
void runjob_guarded(const char *data, size_t len, void *arg);
/* A line of our own in the job's log, "ssci: ...", on a line of its own. */
void runjob_note(struct runjob *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Report the result and free the slot. */
void runjob_finish(struct runjob *j, enum job_state state, int exit_code,
    const char *message);
/* A step's child failed to start or failed: end as error. */
void runjob_fail(struct runjob *j, const char *what, int status,
    const char *out);
/* j's worktree is added (or not): the next job waiting adds its own. */
void runjob_turn_over(struct runjob *j);

/* runreport.c */
/* Where a job may write JUnit XML for us: $SSCI_REPORTS, in its tree. */
#define RUNREPORT_DIR ".ssci-reports"
/* The test's output pipe (fs.pipe-max-size is 1 MiB by default). */
#define RUNJOB_TEST_PIPE_BYTES (1024 * 1024)
/* Before the test: its output is read for tests, its report folder made. */
void runreport_start(struct runjob *j);
/* Before git clean: empty the tree's reports folder; 1 if it is kept. */
int runreport_empty_dir(const char *tree);
/* $SSCI_REPORTS's path, or NULL before runreport_start. */
const char *runreport_dir(const struct runjob *j);
/* The test's output as it comes. */
void runreport_output(struct runjob *j, const char *data, size_t len);
/*
 * The test ended in state: its reports are read and their records sent
 * (in later turns of the loop), then runjob_finish is called.
 */
void runreport_finish(struct runjob *j, enum job_state state,
    int exit_code);
void runreport_free(struct runjob *j);

/* runlist.c */
struct plan;
/* The plan is listed: done owns it (malloc'd, released with plan_release). */
typedef void (*runlist_done_cb)(struct runjob *j, struct plan *plan);
/*
 * Run the list command of each job of plan (malloc'd, now ours) that
 * shards and has one, its ids into the plan, then call done; or end the
 * job as error, saying why, if a list fails or prints what is no list.
 */
void runlist_start(struct runjob *j, struct plan *plan,
    runlist_done_cb done);

/* runjob_cache.c */
/* The job's cache restored if it has one, then its test run. */
void runjob_cache_restore(struct runjob *j);
/* As runjob_finish, a passed job's cache saved first. */
void runjob_cache_finish(struct runjob *j, enum job_state state,
    int exit_code, const char *message);
/* A restore or save under way stopped, with no callback. */
void runjob_cache_stop(struct runjob *j);

/* runjob_test.c */
/* Where a shard's test ids are written, in its tree: $SSCI_TESTS_FILE. */
#define RUNJOB_TESTS_FILE ".ssci-tests"
/* Run the test step in j's tree. */
void runjob_test(struct runjob *j);

/* What runs in a job's tree: its name and environment from its plan. */
struct runjob_what {
	const char *name;	/* $SSCI_JOB_NAME, or NULL */
	char *const *env;	/* "NAME=value" */
	size_t nenv;
	const char *tests_file;	/* $SSCI_TESTS_FILE, or NULL */
	int secrets;		/* the job's secrets in its environment */
};

struct spawn_opts;
/*
 * The job's memory and process limits into opts, before a child starts:
 * 0, or -1 once the job has ended (its control group could not be made).
 */
int runjob_limits(struct runjob *j, struct spawn_opts *opts);
/*
 * Start args in j's tree as a test runs there: in the sandbox if the
 * runner has one, with the job's environment, its process group recorded
 * (a runner started again ends it); opts says the rest (its output and
 * done callbacks, limits).  NULL if it could not start.
 */
struct spawn *runjob_spawn_in_tree(struct runjob *j,
    const struct runjob_what *w, const char *const *args,
    struct spawn_opts *opts);
/* A child of runjob_spawn_in_tree ended: its limits and record go; 1 if
 * it ran out of memory. */
int runjob_child_done(struct runjob *j);

#endif

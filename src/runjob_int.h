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
/* Before the test: its output is read for tests, its report folder made. */
void runreport_start(struct runjob *j);
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

/* runjob_test.c */
/* Run the test step in j's tree. */
void runjob_test(struct runjob *j);

#endif

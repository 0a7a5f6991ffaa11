/* SPDX-License-Identifier: MIT */
/*
 * verdict.h - a runner's result judged again from what the store knows of
 * the job's tests, before it is recorded:
 *
 * - a job whose records name tests has its counts from them;
 * - a failed job whose every failed test is quarantined passed: its
 *   failures are shown, but they do not fail it (only with records that
 *   are all its tests, and a command that exited by itself: the exit
 *   status alone names no test, and a crash is no test's failure);
 * - a failed job with re-runs left (the plan's "retry: N", else the
 *   dispatcher's --retry-failed N) runs again instead of ending.  If a
 *   re-run passes, the store marks the job and the tests that failed and
 *   then passed flaky (store_job_finish).
 */
#ifndef SSCI_VERDICT_H
#define SSCI_VERDICT_H

#include <stddef.h>

#include "job.h"

struct store;

enum verdict_action {
	VERDICT_FINISH,		/* record the (perhaps changed) result */
	VERDICT_RERUN,		/* queue the job again: a failure re-run */
};

struct verdict {
	enum verdict_action action;
	char note[320];		/* a line for the job's log, or "" */
	int rerun;		/* which re-run this is, from 1 */
	int reruns;		/* of how many */
};

/*
 * Judge res (changed in place) for job, whose latest attempt it ends and
 * whose test counts are counts (store_job_get_counted).  retry_default is
 * --retry-failed.
 */
void verdict_judge(const struct job *job, const struct test_counts *counts,
    int retry_default, struct job_result *res, struct verdict *v);

/*
 * Once job id is recorded: its failed tests (the first
 * VERDICT_FLIP_CHECKS) whose history on the branch flips by
 * testhist_flipping are marked flaky.  How many, or -1.
 */
#define VERDICT_FLIP_CHECKS 50
int verdict_mark_flipping(struct store *store, int64_t id);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * verdict.c - a result judged again from the job's tests (verdict.h):
 * counts from the records, quarantined failures forgiven, failure re-runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "store.h"
#include "testhist.h"
#include "util.h"
#include "verdict.h"

/* The re-runs a failed job may have: its plan's, else the default. */
static int
verdict_reruns(const struct job *job, int retry_default)
{
	struct plan_spec spec;
	int n = retry_default;

	if (job->spec != NULL && plan_spec_decode(job->spec, &spec) == 0) {
		if (spec.retry > 0)
			n = spec.retry;
		plan_spec_release(&spec);
	}
	return n;
}

void
verdict_judge(const struct job *job, const struct test_counts *counts,
    int retry_default, struct job_result *res, struct verdict *v)
{
	int reruns;

	memset(v, 0, sizeof *v);
	v->action = VERDICT_FINISH;
	res->tests_none = counts->total == 0;
	if (counts->total > 0) {
		res->tests.run = (int)(counts->passed + counts->failed);
		res->tests.failed = (int)counts->failed;
		res->tests.skipped = (int)counts->skipped;
	}
	/*
	 * Forgiven only when the records are all the job's tests and the
	 * command ended by itself: a crash (killed by a signal, 128 + N)
	 * after a quarantined failure is no quarantined failure.
	 */
	if (res->state == JOB_FAILED && counts->failed > 0 &&
	    counts->failed == counts->quarantined_failed &&
	    !res->tests_partial && res->exit_code > 0 &&
	    res->exit_code < 128) {
		res->state = JOB_PASSED;
		snprintf(v->note, sizeof v->note, "ssci: only quarantined "
		    "tests failed (%lld): the job passes\n",
		    (long long)counts->failed);
		return;
	}
	reruns = verdict_reruns(job, retry_default);
	if (res->state != JOB_FAILED || job->fail_retries >= reruns)
		return;
	v->action = VERDICT_RERUN;
	v->rerun = job->fail_retries + 1;
	v->reruns = reruns;
	snprintf(v->note, sizeof v->note, "ssci: attempt %d failed on runner "
	    "'%s'; running it again to tell a flaky failure (re-run %d of "
	    "%d)\n", job->attempt, job->runner != NULL ? job->runner : "?",
	    v->rerun, v->reruns);
}

struct failed_runs {
	struct test_run runs[VERDICT_FLIP_CHECKS];
	size_t n;
};

static int
verdict_failed_row(const struct test_run *run, void *arg)
{
	struct failed_runs *f = arg;
	struct test_run *copy = &f->runs[f->n++];

	*copy = *run;
	copy->name = xstrdup(run->name);
	copy->suite = copy->file = copy->message = copy->job_name = NULL;
	copy->branch = run->branch != NULL ? xstrdup(run->branch) : NULL;
	return 0;
}

int
verdict_mark_flipping(struct store *store, int64_t id)
{
	struct failed_runs *f;
	struct job job;
	char *job_name;
	int runs, flips, marked = 0, rc = 0;

	if (store_job_get(store, id, &job) != 1)
		return -1;
	if (job.tests.failed <= 0) {
		job_release(&job);
		return 0;
	}
	f = xcalloc(1, sizeof *f);
	if (store_job_tests(store, id, 1, VERDICT_FLIP_CHECKS, 0,
	    verdict_failed_row, f) == -1)
		rc = -1;
	job_name = job_tests_name(&job);
	for (size_t i = 0; rc == 0 && i < f->n; i++) {
		struct test_run *run = &f->runs[i];
		struct test_where where = { job.repo, job.branch, run->name,
		    job_name, 0 };

		if (run->flaky)
			continue;
		if (testhist_flips(store, &where, id, &runs, &flips) == -1 ||
		    (testhist_flipping(runs, flips) &&
		    store_test_mark_flaky(store, id, run->attempt,
		    run->index) == -1)) {
			rc = -1;
			break;
		}
		marked += testhist_flipping(runs, flips);
	}
	for (size_t i = 0; i < f->n; i++)
		test_run_release(&f->runs[i]);
	free(f);
	free(job_name);
	job_release(&job);
	return rc == -1 ? -1 : marked;
}

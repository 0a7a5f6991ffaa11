/* SPDX-License-Identifier: MIT */
/*
 * test_store_pipeline.c - pipelines in the SQLite store: a plan's jobs
 * and needs added in one step, the runnable queue, skipped dependents, the
 * pipeline's state, a retry that keeps what passed; and the rule of a
 * pipeline's state (job_pipeline_state).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_store.h"
#include "unit_stderr.h"
#include "store.h"
#include "util.h"

#define REPO "/srv/git/one.git"
#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"

UNIT_STORE_FIXTURE("pipe")

/* build; unit needs build; lint may fail; deploy needs unit. */
static const size_t needs_build[] = { 0 };
static const size_t needs_unit[] = { 1 };
static const struct job_plan_entry four[] = {
	{ "build", "{\"run\":[\"make\"]}", NULL, 0, NULL, 0, 0, 0, 0, 0, 0 },
	{ "unit", "{\"run\":[\"make unit\"]}", "linux", 0, needs_build, 1, 0, 0, 0, 0, 0 },
	{ "lint", "{\"run\":[\"make lint\"]}", NULL, 1, NULL, 0, 0, 0, 0, 0, 0 },
	{ "deploy", "{\"run\":[\"true\"]}", NULL, 0, needs_unit, 1, 0, 0, 0, 0, 0 },
};
static const struct job_plan four_plan = { "jobs: {}\n", four, 4, 0 };


static enum job_state
pipeline_state(struct unit_store *f, int64_t id)
{
	struct pipeline p;
	enum job_state st;

	assert_int_equal(store_pipeline_get(f->store, id, &p), 1);
	st = p.state;
	pipeline_release(&p);
	return st;
}

static void
finish(struct unit_store *f, int64_t id, enum job_state state)
{
	struct job_result r = { .job = id, .state = state, .exit_code = 0,
	    .duration_ms = 5, .tests = { -1, -1, -1 } };

	assert_int_equal(store_job_finish(f->store, &r), 0);
}

struct ids {
	int64_t v[16];
	int n;
};

static int
collect(const struct job *job, void *arg)
{
	struct ids *ids = arg;

	assert_true(ids->n < 16);
	ids->v[ids->n++] = job->id;
	return 0;
}

static struct ids
runnable(struct unit_store *f)
{
	struct ids ids = { { 0 }, 0 };

	assert_true(store_list_runnable(f->store, 16, collect, &ids) >= 0);
	return ids;
}

static void
count_need(int64_t job, int64_t need, void *arg)
{
	(void)job;
	(void)need;
	(*(int *)arg)++;
}

/* A dispatched commit planned on its runner: returns the four ids. */
static void
plan_four(struct unit_store *f, int64_t ids[4])
{
	int64_t first = unit_dispatch(f, REPO, C1, NULL, 0);

	assert_int_equal(pipeline_state(f, first), JOB_QUEUED);
	assert_int_equal(store_job_start(f->store, first, "r1"), 0);
	assert_int_equal(pipeline_state(f, first), JOB_RUNNING);
	assert_int_equal(store_pipeline_plan(f->store, first, &four_plan, ids),
	    0);
	assert_int_equal(ids[0], first);
}

static void
test_plan_adds_jobs_in_one_step(void **state)
{
	struct unit_store *f = *state;
	struct ids all = { { 0 }, 0 }, ready;
	struct pipeline p;
	struct job job;
	int64_t ids[4], later;
	int nneeds = 0;

	plan_four(f, ids);
	job = unit_job(f, ids[0]);
	assert_string_equal(job.name, "build");
	assert_string_equal(job.spec, "{\"run\":[\"make\"]}");
	assert_int_equal(job.state, JOB_RUNNING);
	job_release(&job);
	job = unit_job(f, ids[1]);
	assert_int_equal(job.pipeline, ids[0]);
	assert_string_equal(job.labels, "linux");
	assert_int_equal(job.needs_pending, 1);
	job_release(&job);
	assert_int_equal(store_pipeline_jobs(f->store, ids[0], collect, &all),
	    4);
	assert_int_equal(store_pipeline_needs(f->store, ids[0], count_need,
	    &nneeds), 2);
	assert_int_equal(store_pipeline_get(f->store, ids[0], &p), 1);
	assert_string_equal(p.plan, "jobs: {}\n");
	pipeline_release(&p);

	/* A commit queued later waits behind the whole pipeline. */
	later = unit_dispatch(f, REPO, C2, NULL, 0);
	ready = runnable(f);
	assert_int_equal(ready.n, 2);
	assert_int_equal(ready.v[0], ids[2]);	/* lint needs nothing */
	assert_int_equal(ready.v[1], later);

	/* A job that is planned already is not planned again. */
	assert_int_equal(store_pipeline_plan(f->store, ids[0], &four_plan,
	    ids), 1);
}

static void
test_needs_gate_and_failures_skip(void **state)
{
	struct unit_store *f = *state;
	struct ids ready;
	struct job job;
	int64_t ids[4], final;

	plan_four(f, ids);
	finish(f, ids[0], JOB_PASSED);
	ready = runnable(f);
	assert_int_equal(ready.n, 2);
	assert_int_equal(ready.v[0], ids[1]);
	assert_int_equal(store_job_start(f->store, ids[1], "r1"), 0);
	finish(f, ids[1], JOB_FAILED);
	job = unit_job(f, ids[3]);
	assert_int_equal(job.state, JOB_SKIPPED);
	assert_string_equal(job.reason, "needs 'unit', which failed");
	assert_true(job.finished_ms > 0);
	job_release(&job);
	assert_int_equal(pipeline_state(f, ids[0]), JOB_RUNNING);
	assert_int_equal(store_latest_final(f->store, C1, &final), 0);
	finish(f, ids[2], JOB_FAILED);	/* lint, allowed to fail */
	assert_int_equal(pipeline_state(f, ids[0]), JOB_FAILED);
	assert_int_equal(store_latest_final(f->store, C1, &final), 1);
	assert_int_equal(final, ids[0]);
	job = unit_job(f, ids[2]);
	assert_int_equal(job.pipeline_state, JOB_FAILED);
	job_release(&job);
}

static void
test_allowed_failure_passes(void **state)
{
	struct unit_store *f = *state;
	int64_t ids[4];

	plan_four(f, ids);
	finish(f, ids[0], JOB_PASSED);
	finish(f, ids[1], JOB_PASSED);
	finish(f, ids[3], JOB_PASSED);
	assert_int_equal(pipeline_state(f, ids[0]), JOB_RUNNING);
	finish(f, ids[2], JOB_ERROR);
	assert_int_equal(pipeline_state(f, ids[0]), JOB_PASSED);
}

static void
test_retry_keeps_what_passed(void **state)
{
	struct unit_store *f = *state;
	struct job_plan_entry again[4];
	struct job_plan plan = four_plan;
	struct ids all = { { 0 }, 0 };
	struct unit_stderr err = { 0 };
	struct job job;
	int64_t ids[4], id;

	plan_four(f, ids);
	finish(f, ids[0], JOB_PASSED);
	finish(f, ids[1], JOB_FAILED);
	finish(f, ids[2], JOB_PASSED);
	memcpy(again, four, sizeof again);
	again[0].carried = ids[0];
	again[2].carried = ids[2];
	plan.jobs = again;
	plan.first = 1;
	id = unit_dispatch(f, REPO, C1, &plan, ids[0]);
	assert_int_equal(store_pipeline_jobs(f->store, id, collect, &all), 4);
	for (int i = 0; i < all.n; i++) {
		job = unit_job(f, all.v[i]);
		assert_int_equal(job.pipeline, id);
		/* In the file's order, whichever was made first. */
		assert_string_equal(job.name, four[i].name);
		if (strcmp(job.name, "build") == 0 ||
		    strcmp(job.name, "lint") == 0) {
			assert_int_equal(job.state, JOB_PASSED);
			assert_true(strncmp(job.reason, "passed in job ", 14)
			    == 0);
		} else
			assert_int_equal(job.state, JOB_QUEUED);
		job_release(&job);
	}
	job = unit_job(f, id);
	assert_string_equal(job.name, "unit");
	assert_int_equal(job.retry_of, ids[0]);
	assert_int_equal(job.needs_pending, 0);
	job_release(&job);
	assert_int_equal(pipeline_state(f, id), JOB_RUNNING);
	/* A carried job that did not pass is refused, and nothing is kept. */
	again[1].carried = ids[1];
	plan.first = 3;
	unit_stderr_catch(&err);
	assert_int_equal(store_dispatch(f->store, &(struct job_request){
	    .repo = REPO, .commit = C1, .rebuild = 1, .plan = &plan }, &id,
	    &(enum job_state){ 0 }, &(int){ 0 }), -1);
	assert_non_null(strstr(unit_stderr_release(&err), "did not pass"));
}

static void
test_restart_requeues_and_settles(void **state)
{
	struct unit_store *f = *state;
	int64_t ids[4];

	plan_four(f, ids);
	assert_int_equal(store_requeue_running(f->store), 1);
	assert_int_equal(unit_job_state(f, ids[0]), JOB_QUEUED);
	assert_int_equal(pipeline_state(f, ids[0]), JOB_QUEUED);
}

static void
test_pipeline_state_rule(void **state)
{
	enum job_state s[3];
	int allowed[3] = { 0, 0, 1 };

	(void)state;
	s[0] = JOB_PASSED, s[1] = JOB_QUEUED, s[2] = JOB_QUEUED;
	assert_int_equal(job_pipeline_state(s, allowed, 3), JOB_RUNNING);
	s[0] = JOB_QUEUED;
	assert_int_equal(job_pipeline_state(s, allowed, 3), JOB_QUEUED);
	s[0] = JOB_PASSED, s[1] = JOB_PASSED, s[2] = JOB_FAILED;
	assert_int_equal(job_pipeline_state(s, allowed, 3), JOB_PASSED);
	s[1] = JOB_SKIPPED;
	assert_int_equal(job_pipeline_state(s, allowed, 3), JOB_FAILED);
	s[0] = JOB_TIMEOUT;
	assert_int_equal(job_pipeline_state(s, allowed, 3), JOB_TIMEOUT);
	s[1] = JOB_ERROR;
	assert_int_equal(job_pipeline_state(s, allowed, 3), JOB_ERROR);
	s[0] = JOB_CANCELLED;
	assert_int_equal(job_pipeline_state(s, allowed, 3), JOB_CANCELLED);
	assert_int_equal(job_pipeline_state(s, allowed, 0), JOB_PASSED);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_plan_adds_jobs_in_one_step),
		T(test_needs_gate_and_failures_skip),
		T(test_allowed_failure_passes),
		T(test_retry_keeps_what_passed),
		T(test_restart_requeues_and_settles),
		cmocka_unit_test(test_pipeline_state_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

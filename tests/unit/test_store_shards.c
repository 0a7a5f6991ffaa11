/* SPDX-License-Identifier: MIT */
/*
 * test_store_shards.c - sharded jobs in the SQLite store: a sharded job
 * is never runnable and follows its shards (running, then passed only if
 * every shard passed, else failed naming the shard, with what needs it
 * skipped); its tests and counts are its shards'; a split's durations
 * come from a sharded last pass; a cancel or a lost shard leaves it right.
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

#define REPO "/srv/git/shards.git"

UNIT_STORE_FIXTURE("shards")

/*
 * unit (sharded in 2: entries 2 and 3), and deploy, which needs unit.
 * The planning job becomes shard 1.
 */
static const size_t needs_unit[] = { 0 };
static const struct job_plan_entry entries[] = {
	{ "unit", "{\"run\":[\"t\"]}", NULL, 0, NULL, 0, 0, 2, 0, 0, -1 },
	{ "deploy", "{\"run\":[\"d\"]}", NULL, 0, needs_unit, 1, 0, 0, 0, 0,
	    -1 },
	{ "unit[1/2]", "{\"run\":[\"t\"],\"tests\":[\"a\"]}", NULL, 0, NULL, 0,
	    0, 0, 1, 1, 300 },
	{ "unit[2/2]", "{\"run\":[\"t\"],\"tests\":[\"b\"]}", NULL, 0, NULL, 0,
	    0, 0, 1, 2, 200 },
};
static const struct job_plan plan = { "{\"jobs\":[]}", entries, 4, 2 };

/* build, then unit in 2 shards, which need build as unit does. */
static const size_t needs_build[] = { 0 };
static const struct job_plan_entry after_build[] = {
	{ "build", "{\"run\":[\"b\"]}", NULL, 0, NULL, 0, 0, 0, 0, 0, -1 },
	{ "unit", "{\"run\":[\"t\"]}", NULL, 0, needs_build, 1, 0, 2, 0, 0,
	    -1 },
	{ "unit[1/2]", "{\"run\":[\"t\"]}", NULL, 0, needs_build, 1, 0, 0, 2,
	    1, 1 },
	{ "unit[2/2]", "{\"run\":[\"t\"]}", NULL, 0, needs_build, 1, 0, 0, 2,
	    2, 1 },
};
static const struct job_plan build_plan = { "{\"jobs\":[]}", after_build, 4,
    0 };

struct ids {
	int64_t unit, deploy, s1, s2;
};

/* A commit's planned pipeline, its planning job running as shard 1. */
static struct ids
planned(struct unit_store *f, int c)
{
	struct job_request req = { .repo = REPO, .branch = "main",
	    .rebuild = 1 };
	int64_t ids[4] = { 0 }, id = 0;
	char commit[41];
	enum job_state st;
	int existing;

	snprintf(commit, sizeof commit, "%040d", c);
	req.commit = commit;
	assert_int_equal(store_dispatch(f->store, &req, &id, &st, &existing),
	    0);
	assert_int_equal(store_job_start(f->store, id, "r1"), 0);
	assert_int_equal(store_pipeline_plan(f->store, id, &plan, ids), 0);
	assert_int_equal(ids[2], id);
	return (struct ids){ ids[0], ids[1], ids[2], ids[3] };
}

static void
finish(struct unit_store *f, int64_t id, enum job_state state, int run)
{
	struct job_result r = { .job = id, .state = state, .exit_code =
	    state == JOB_PASSED ? 0 : 1, .duration_ms = 5,
	    .tests = { run, state == JOB_PASSED ? 0 : 1, 0 } };

	assert_int_equal(store_job_finish(f->store, &r), 0);
}

static int
collect_id(const struct job *job, void *arg)
{
	int64_t *ids = arg;

	for (int i = 0; i < 8; i++)
		if (ids[i] == 0) {
			ids[i] = job->id;
			break;
		}
	return 0;
}

static void
test_sharded_job_follows_its_shards(void **state)
{
	struct unit_store *f = *state;
	struct ids p = planned(f, 1);
	int64_t runnable[8] = { 0 };
	struct job unit = unit_job(f, p.unit), s2 = unit_job(f, p.s2);
	struct unit_stderr err = { 0 };
	char *name;

	assert_int_equal(unit.shards, 2);
	assert_int_equal(unit.shard_of, 0);
	assert_int_equal(unit.state, JOB_RUNNING);
	assert_int_equal(s2.shard_of, p.unit);
	assert_int_equal(s2.shard_index, 2);
	assert_int_equal(s2.expected_ms, 200);
	/* A shard's tests go by its job's name. */
	name = job_tests_name(&s2);
	assert_string_equal(name, "unit");
	free(name);
	name = job_tests_name(&unit);
	assert_string_equal(name, "unit");
	free(name);
	job_release(&unit);
	job_release(&s2);
	/* Only shard 2 can be handed out: not unit, not deploy yet. */
	assert_int_equal(store_list_runnable(f->store, 8, collect_id,
	    runnable), 1);
	assert_int_equal(runnable[0], p.s2);
	/* Never started or finished as a job of its own. */
	unit_stderr_catch(&err);
	assert_int_equal(store_job_start(f->store, p.unit, "r2"), -1);
	assert_non_null(strstr(unit_stderr_release(&err), "not queued"));
	finish(f, p.s1, JOB_PASSED, 3);
	assert_int_equal(unit_job_state(f, p.unit), JOB_RUNNING);
	assert_int_equal(store_job_start(f->store, p.s2, "r2"), 0);
	finish(f, p.s2, JOB_FAILED, 4);
	unit = unit_job(f, p.unit);
	assert_int_equal(unit.state, JOB_FAILED);
	assert_string_equal(unit.reason, "shard 2 of 2 failed");
	assert_int_equal(unit.tests.run, 7);
	assert_int_equal(unit.tests.failed, 1);
	assert_int_equal(unit.exit_code, 1);
	assert_true(unit.finished_ms >= unit.started_ms);
	job_release(&unit);
	assert_int_equal(unit_job_state(f, p.deploy), JOB_SKIPPED);
	/* A start of a shard over is refused, and runs nothing with it. */
	unit_stderr_catch(&err);
	assert_int_equal(store_job_start(f->store, p.s2, "r3"), -1);
	assert_non_null(strstr(unit_stderr_release(&err), "not queued"));
	unit = unit_job(f, p.unit);
	assert_int_equal(unit.state, JOB_FAILED);
	assert_int_equal(unit.pipeline_state, JOB_FAILED);
	job_release(&unit);
	/* Counted once: running jobs and states leave the sharded one out. */
	assert_int_equal(store_count_state(f->store, JOB_FAILED), 1);
}

static void
test_all_shards_pass(void **state)
{
	struct unit_store *f = *state;
	struct ids p = planned(f, 1);
	int64_t runnable[8] = { 0 };
	struct job unit, s1;
	struct unit_stderr err = { 0 };

	assert_int_equal(store_job_start(f->store, p.s2, "r2"), 0);
	/* A lost shard goes back alone; its job keeps running. */
	assert_int_equal(store_job_requeue(f->store, p.s2, "lost"), 0);
	assert_int_equal(unit_job_state(f, p.unit), JOB_RUNNING);
	assert_int_equal(store_requeue_running(f->store), 1);
	assert_int_equal(unit_job_state(f, p.unit), JOB_QUEUED);
	unit = unit_job(f, p.unit);
	assert_int_equal(unit.pipeline_state, JOB_QUEUED);
	job_release(&unit);
	/* A start settles its job and pipeline without reading them. */
	assert_int_equal(store_job_start(f->store, p.s1, "r1"), 0);
	s1 = unit_job(f, p.s1);
	unit = unit_job(f, p.unit);
	assert_int_equal(unit.state, JOB_RUNNING);
	assert_int_equal(unit.pipeline_state, JOB_RUNNING);
	assert_true(unit.started_ms > 0 && unit.started_ms <= s1.started_ms);
	assert_int_equal(unit.attempt, 2);
	job_release(&unit);
	job_release(&s1);
	/* A start refused changes nothing with it. */
	unit_stderr_catch(&err);
	assert_int_equal(store_job_start(f->store, p.s1, "r3"), -1);
	assert_non_null(strstr(unit_stderr_release(&err), "not queued"));
	assert_string_equal((s1 = unit_job(f, p.s1)).runner, "r1");
	job_release(&s1);
	assert_int_equal(store_job_start(f->store, p.s2, "r2"), 0);
	finish(f, p.s2, JOB_PASSED, 2);
	finish(f, p.s1, JOB_PASSED, 2);
	assert_int_equal(unit_job_state(f, p.unit), JOB_PASSED);
	assert_int_equal(store_list_runnable(f->store, 8, collect_id,
	    runnable), 1);
	assert_int_equal(runnable[0], p.deploy);
}

/* A run's name, with "!" when it failed. */
static int
collect_run(const struct test_run *run, void *arg)
{
	struct unit_medians *names = arg;

	snprintf(names->names[names->n++], sizeof names->names[0], "%s%s",
	    run->name, run->status == TEST_FAILED ? "!" : "");
	return 0;
}

static void
add(struct unit_store *f, int64_t job, char *name, enum test_status st,
    int64_t us)
{
	struct test_record rec = { .name = name, .suite = "s", .status = st,
	    .duration_us = us, .message = st == TEST_PASSED ? NULL : "no" };
	struct test_record recs[1] = { rec };

	assert_int_equal(store_tests_add(f->store, job, 1, 0, recs, 1), 0);
}

static void
test_tests_are_the_shards(void **state)
{
	struct unit_store *f = *state;
	struct ids p = planned(f, 1);
	struct test_counts counts;
	struct unit_medians names = { 0 };

	assert_int_equal(store_job_start(f->store, p.s2, "r2"), 0);
	add(f, p.s1, "a", TEST_PASSED, 3000);
	add(f, p.s2, "b", TEST_FAILED, 1000);
	finish(f, p.s1, JOB_PASSED, 1);
	finish(f, p.s2, JOB_FAILED, 1);
	assert_int_equal(store_job_test_counts(f->store, p.unit, &counts), 0);
	assert_int_equal(counts.total, 2);
	assert_int_equal(counts.passed, 1);
	assert_int_equal(counts.failed, 1);
	/* Failed first, then the rest, over every shard. */
	assert_int_equal(store_job_tests(f->store, p.unit, 0, 10, 0,
	    collect_run, &names), 2);
	assert_string_equal(names.names[0], "s.b!");
	assert_string_equal(names.names[1], "s.a");
	/* A shard's tests are in its job's history, by its job's name. */
	memset(&names, 0, sizeof names);
	assert_int_equal(store_test_durations(f->store, REPO, "main", "unit",
	    5, unit_collect_median, &names), 0);
	/* A sharded pass is the suite's last pass: both shards' tests. */
	p = planned(f, 2);
	assert_int_equal(store_job_start(f->store, p.s2, "r2"), 0);
	add(f, p.s1, "a", TEST_PASSED, 5000);
	add(f, p.s2, "b", TEST_PASSED, 2000);
	finish(f, p.s1, JOB_PASSED, 1);
	finish(f, p.s2, JOB_PASSED, 1);
	assert_int_equal(store_test_durations(f->store, REPO, "main", "unit",
	    5, unit_collect_median, &names), 2);
	assert_string_equal(names.names[0], "s.a");
	assert_int_equal(names.median[0], 4000);
	assert_string_equal(names.names[1], "s.b");
	assert_int_equal(names.median[1], 1500);
}

/* A sharded job whose need failed is skipped, saying why, as any job. */
static void
test_skipped_with_its_need(void **state)
{
	struct unit_store *f = *state;
	struct job_request req = { .repo = REPO, .commit = "1", .branch = "main",
	    .rebuild = 1 };
	int64_t ids[4] = { 0 }, id = 0;
	enum job_state st;
	struct job unit;
	int existing;

	req.commit = "0000000000000000000000000000000000000001";
	assert_int_equal(store_dispatch(f->store, &req, &id, &st, &existing),
	    0);
	assert_int_equal(store_job_start(f->store, id, "r1"), 0);
	assert_int_equal(store_pipeline_plan(f->store, id, &build_plan, ids),
	    0);
	finish(f, ids[0], JOB_FAILED, 1);
	unit = unit_job(f, ids[1]);
	assert_int_equal(unit.state, JOB_SKIPPED);
	assert_string_equal(unit.reason, "needs 'build', which failed");
	job_release(&unit);
	assert_int_equal(unit_job_state(f, ids[2]), JOB_SKIPPED);
	assert_int_equal(unit_job_state(f, ids[3]), JOB_SKIPPED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_sharded_job_follows_its_shards),
		T(test_all_shards_pass),
		T(test_tests_are_the_shards),
		T(test_skipped_with_its_need),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

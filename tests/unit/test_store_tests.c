/* SPDX-License-Identifier: MIT */
/*
 * test_store_tests.c - per-test results in the SQLite store: batches kept
 * per attempt (a batch sent twice replaces itself, another attempt's
 * refused), a job's tests failed first with their counts, a test's
 * history on a branch, flaky marks when runs of a commit disagree, a
 * failure re-run, quarantine; and what the history says (testhist.c) and
 * how a result is judged from it (verdict.c).
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
#include "testhist.h"
#include "util.h"
#include "verdict.h"

#define REPO "/srv/git/tests.git"

/* Each test has a store of its own. */
UNIT_STORE_FIXTURE("tests")

/* A running job of commit number c (a new commit for each c). */
static int64_t
start_job(struct unit_store *f, int c, const char *branch)
{
	struct job_request req = { .repo = REPO, .branch = branch,
	    .rebuild = 1 };
	char commit[41];
	enum job_state st;
	int64_t id = 0;
	int existing;

	snprintf(commit, sizeof commit, "%040d", c);
	req.commit = commit;
	assert_int_equal(store_dispatch(f->store, &req, &id, &st, &existing),
	    0);
	assert_int_equal(store_job_start(f->store, id, "r1"), 0);
	return id;
}

static void
finish(struct unit_store *f, int64_t id, enum job_state state)
{
	struct job_result r = { .job = id, .state = state, .exit_code = 0,
	    .duration_ms = 5, .tests = { -1, -1, -1 } };

	assert_int_equal(store_job_finish(f->store, &r), 0);
}

/* Add one record per status letter of statuses (p f e s) as t0, t1, ... */
static void
add(struct unit_store *f, int64_t job, int attempt, const char *statuses)
{
	struct test_record recs[16];
	char names[16][24];
	size_t n = strlen(statuses);

	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "t%zu", i);
		recs[i] = (struct test_record){ .name = names[i],
		    .suite = "pkg.mod", .status = statuses[i] == 'p' ?
		    TEST_PASSED : statuses[i] == 'f' ? TEST_FAILED :
		    statuses[i] == 'e' ? TEST_ERROR : TEST_SKIPPED,
		    .duration_us = 1000 * (int64_t)(i + 1),
		    .message = statuses[i] == 'p' ? NULL : "why" };
	}
	assert_int_equal(store_tests_add(f->store, job, attempt, 0, recs, n),
	    0);
}

struct collected {
	char names[32][32];
	char status[33];
	int flaky[32];
	int quarantined[32];
	char commits[32][65];
	int n;
};

static int
collect(const struct test_run *run, void *arg)
{
	struct collected *c = arg;

	snprintf(c->names[c->n], sizeof c->names[0], "%s", run->name);
	c->status[c->n] = testrec_status_name(run->status)[0];
	c->flaky[c->n] = run->flaky;
	c->quarantined[c->n] = run->quarantined;
	memcpy(c->commits[c->n], run->commit, 65);
	c->status[++c->n] = '\0';
	return 0;
}

static void
test_batches_and_order(void **state)
{
	struct unit_store *f = *state;
	int64_t job = start_job(f, 1, "main");
	struct test_record again = { .name = "t0", .suite = "pkg.mod",
	    .status = TEST_FAILED, .duration_us = -1, .message = "now" };
	struct test_counts counts;
	struct collected c = { 0 };
	struct unit_stderr err;

	add(f, job, 1, "pfps");
	/* A batch sent again is the same batch: kept once, counted once. */
	add(f, job, 1, "pfps");
	assert_int_equal(store_tests_add(f->store, job, 1, 0, &again, 1), 0);
	/* Another attempt's records are not the job's. */
	assert_int_equal(store_tests_add(f->store, job, 2, 0, &again, 1), 1);
	assert_int_equal(store_tests_add(f->store, 999, 1, 0, &again, 1), 1);
	assert_int_equal(store_job_tests(f->store, job, 0, 100, 0, collect, &c),
	    4);
	/* Failed first, then in the order they came. */
	assert_string_equal(c.status, "fpps");
	assert_string_equal(c.names[0], "pkg.mod.t1");
	assert_string_equal(c.names[1], "pkg.mod.t0");
	assert_string_equal(c.names[2], "pkg.mod.t2");
	memset(&c, 0, sizeof c);
	assert_int_equal(store_job_tests(f->store, job, 1, 100, 0, collect, &c),
	    1);
	/* A page from an offset, across the two lists. */
	memset(&c, 0, sizeof c);
	assert_int_equal(store_job_tests(f->store, job, 0, 2, 1, collect, &c),
	    2);
	assert_string_equal(c.names[0], "pkg.mod.t0");
	assert_string_equal(c.names[1], "pkg.mod.t2");
	memset(&c, 0, sizeof c);
	assert_int_equal(store_job_tests(f->store, job, 0, 2, 3, collect, &c),
	    1);
	assert_string_equal(c.names[0], "pkg.mod.t3");
	assert_int_equal(store_job_test_counts(f->store, job, &counts), 0);
	assert_int_equal(counts.total, 4);
	assert_int_equal(counts.passed, 2);
	assert_int_equal(counts.failed, 1);
	assert_int_equal(counts.skipped, 1);
	assert_int_equal(counts.quarantined_failed, 0);
	/* Bad records never reach the backend. */
	again.name = "";
	unit_stderr_catch(&err);
	assert_int_equal(store_tests_add(f->store, job, 1, 0, &again, 1), -1);
	assert_non_null(strstr(unit_stderr_release(&err), "record 0 of job "
	    "1 has no name or status"));
}

static void
test_history_and_failing_since(void **state)
{
	struct unit_store *f = *state;
	struct test_where t1 = { REPO, "main", "pkg.mod.t1", NULL, 0 };
	struct test_where t0 = { REPO, "main", "pkg.mod.t0", NULL, 0 };
	struct test_where topic = { REPO, "topic", "pkg.mod.t1", NULL, 0 };
	struct failing_since since;
	struct collected c = { 0 };
	int64_t jobs[5], other;
	int runs, flips;

	/* t1 passes on commit 0, fails from commit 1 on; another branch
	 * has its own history. */
	for (int i = 0; i < 5; i++) {
		jobs[i] = start_job(f, i, "main");
		add(f, jobs[i], 1, i == 0 ? "pp" : "pf");
		finish(f, jobs[i], i == 0 ? JOB_PASSED : JOB_FAILED);
	}
	other = start_job(f, 9, "topic");
	add(f, other, 1, "pf");
	finish(f, other, JOB_FAILED);
	assert_int_equal(store_test_history(f->store, &t1, 0, 100, collect,
	    &c), 5);
	assert_string_equal(c.status, "ffffp");
	memset(&c, 0, sizeof c);
	assert_int_equal(store_test_history(f->store, &t1, jobs[2], 100,
	    collect, &c), 3);
	assert_int_equal(testhist_failing_since(f->store, &t1, jobs[4], &since),
	    1);
	assert_int_equal(since.job, jobs[1]);
	assert_int_equal(since.commits_ago, 3);
	assert_int_equal(since.at_least, 0);
	assert_int_equal(testhist_failing_since(f->store, &t0, jobs[4], &since),
	    0);
	assert_int_equal(testhist_failing_since(f->store, &topic, other,
	    &since), 1);
	assert_int_equal(since.commits_ago, 0);
	assert_int_equal(testhist_flips(f->store, &t1, 0, &runs, &flips), 0);
	assert_int_equal(runs, 5);
	assert_int_equal(flips, 1);
	assert_false(testhist_flipping(runs, flips));
	/* Broken and fixed: explained by changes.  Every other run: not. */
	assert_false(testhist_flipping(30, 2));
	assert_true(testhist_flipping(30, 15));
	assert_false(testhist_flipping(5, 4));
}

static void
test_failure_rerun_marks_flaky(void **state)
{
	struct unit_store *f = *state;
	struct collected c = { 0 };
	struct test_counts counts;
	struct job job;
	int64_t id = start_job(f, 1, "main");

	add(f, id, 1, "pf");
	assert_int_equal(store_job_retry_failed(f->store, id, "failed"), 0);
	assert_int_equal(store_job_start(f->store, id, "r2"), 0);
	add(f, id, 2, "pp");
	finish(f, id, JOB_PASSED);
	assert_int_equal(store_job_get(f->store, id, &job), 1);
	assert_int_equal(job.attempt, 2);
	assert_int_equal(job.fail_retries, 1);
	assert_true(job.flaky);
	job_release(&job);
	assert_int_equal(store_job_tests(f->store, id, 0, 10, 0, collect, &c),
	    2);
	assert_string_equal(c.status, "pp");
	assert_false(c.flaky[0]);	/* t0 passed both times */
	assert_true(c.flaky[1]);	/* t1 failed, then passed */
	assert_int_equal(store_job_test_counts(f->store, id, &counts), 0);
	assert_int_equal(counts.flaky, 1);
	assert_int_equal(counts.total, 2);
	/* A rebuild of the same commit that fails t1 is flaky too. */
	id = start_job(f, 1, "main");
	add(f, id, 1, "pf");
	finish(f, id, JOB_FAILED);
	memset(&c, 0, sizeof c);
	store_job_tests(f->store, id, 0, 10, 0, collect, &c);
	assert_string_equal(c.status, "fp");
	assert_true(c.flaky[0]);
	assert_false(c.flaky[1]);
	/* A test that always fails never is. */
	id = start_job(f, 2, "main");
	add(f, id, 1, "ff");
	assert_int_equal(store_job_retry_failed(f->store, id, "failed"), 0);
	assert_int_equal(store_job_start(f->store, id, "r2"), 0);
	add(f, id, 2, "ff");
	finish(f, id, JOB_FAILED);
	memset(&c, 0, sizeof c);
	store_job_tests(f->store, id, 0, 10, 0, collect, &c);
	assert_false(c.flaky[0] || c.flaky[1]);
}

/* A pipeline of two jobs of the same suite, as a matrix makes: ids. */
static const struct job_plan_entry pair[] = {
	{ "unit[PY=3.11]", "{\"run\":[\"t\"]}", NULL, 0, NULL, 0, 0, 0, 0, 0, 0 },
	{ "unit[PY=3.12]", "{\"run\":[\"t\"]}", NULL, 0, NULL, 0, 0, 0, 0, 0, 0 },
};
static const struct job_plan pair_plan = { "jobs: {}\n", pair, 2, 0 };

static void
start_pair(struct unit_store *f, int c, int64_t ids[2])
{
	struct job_request req = { .repo = REPO, .branch = "main",
	    .rebuild = 1, .plan = &pair_plan };
	char commit[41];
	enum job_state st;
	int existing;

	snprintf(commit, sizeof commit, "%040d", c);
	req.commit = commit;
	assert_int_equal(store_dispatch(f->store, &req, &ids[0], &st,
	    &existing), 0);
	ids[1] = ids[0] + 1;
	assert_int_equal(store_job_start(f->store, ids[0], "r1"), 0);
	assert_int_equal(store_job_start(f->store, ids[1], "r2"), 0);
}

/*
 * Two jobs of one commit that run the same suite (a matrix) are not the
 * same work run again: one failing a test the other passes is no flake,
 * and each has its own history.
 */
static void
test_jobs_of_other_names_apart(void **state)
{
	struct unit_store *f = *state;
	struct test_where py11 = { REPO, "main", "pkg.mod.t1",
	    "unit[PY=3.11]", 0 };
	struct test_where any = { REPO, "main", "pkg.mod.t1", NULL, 1 };
	struct failing_since since;
	struct collected c = { 0 };
	struct test_counts counts;
	int64_t ids[2];
	int runs, flips;

	for (int i = 0; i < 5; i++) {
		start_pair(f, i, ids);
		add(f, ids[0], 1, "pf");	/* 3.11 fails t1 */
		add(f, ids[1], 1, "pp");	/* 3.12 passes it */
		finish(f, ids[0], JOB_FAILED);
		finish(f, ids[1], JOB_PASSED);
		assert_int_equal(store_job_test_counts(f->store, ids[0],
		    &counts), 0);
		assert_int_equal(counts.flaky, 0);
		assert_int_equal(store_job_test_counts(f->store, ids[1],
		    &counts), 0);
		assert_int_equal(counts.flaky, 0);
	}
	assert_int_equal(testhist_failing_since(f->store, &py11, ids[0],
	    &since), 1);
	assert_int_equal(since.commits_ago, 4);
	assert_int_equal(testhist_flips(f->store, &py11, 0, &runs, &flips), 0);
	assert_int_equal(runs, 5);
	assert_int_equal(flips, 0);
	assert_int_equal(store_test_history(f->store, &any, 0, 100, collect,
	    &c), 10);
	assert_string_equal(c.names[0], "pkg.mod.t1");
}


/*
 * What a split will weigh tests by: the tests of the last passed job of
 * a name on a branch, each with its median duration over its last runs
 * there (add gives t0 1 ms, t1 2 ms, t2 3 ms, or skips).
 */
static void
test_durations_for_a_split(void **state)
{
	struct unit_store *f = *state;
	struct test_record slow[2] = {
		{ .name = "t0", .suite = "pkg.mod", .status = TEST_PASSED,
		    .duration_us = 1000 },
		{ .name = "t1", .suite = "pkg.mod", .status = TEST_PASSED,
		    .duration_us = 1000000 },
	};
	struct unit_medians m = { 0 };
	int64_t id;

	assert_int_equal(store_test_durations(f->store, REPO, "main", NULL, 5,
	    unit_collect_median, &m), 0);
	for (int i = 0; i < 3; i++) {
		id = start_job(f, i, "main");
		add(f, id, 1, "pps");
		finish(f, id, JOB_PASSED);
	}
	/* Once slow: the median of 2, 2, 2 and 1000 ms is still 2. */
	id = start_job(f, 3, "main");
	assert_int_equal(store_tests_add(f->store, id, 1, 0, slow, 2), 0);
	add(f, id, 1, "pps");		/* t0, t1 kept; t2 added */
	finish(f, id, JOB_PASSED);
	/* A failed job is not the suite's last pass. */
	id = start_job(f, 7, "main");
	add(f, id, 1, "pfsp");
	finish(f, id, JOB_FAILED);
	assert_int_equal(store_test_durations(f->store, REPO, "main", NULL, 5,
	    unit_collect_median, &m), 3);
	assert_string_equal(m.names[0], "pkg.mod.t0");
	assert_int_equal(m.median[0], 1000);
	assert_string_equal(m.names[1], "pkg.mod.t1");
	assert_int_equal(m.median[1], 2000);
	/* A test only ever skipped has no known duration. */
	assert_string_equal(m.names[2], "pkg.mod.t2");
	assert_int_equal(m.median[2], -1);
	memset(&m, 0, sizeof m);
	assert_int_equal(store_test_durations(f->store, REPO, "topic", NULL, 5,
	    unit_collect_median, &m), 0);
	assert_int_equal(store_test_durations(f->store, REPO, "main", "unit",
	    5, unit_collect_median, &m), 0);
	assert_int_equal(store_test_durations(f->store, REPO, "main", NULL, 0,
	    unit_collect_median, &m), -1);
}

static int
count_flaky(const struct flaky_test *t, void *arg)
{
	int *n = arg;

	assert_string_equal(t->repo, REPO);
	assert_string_equal(t->name, "pkg.mod.t1");
	assert_int_equal(t->flakes, 1);
	(*n)++;
	return 0;
}

static void
test_flaky_list(void **state)
{
	struct unit_store *f = *state;
	int64_t id = start_job(f, 1, "main");
	int n = 0;

	add(f, id, 1, "pf");
	store_job_retry_failed(f->store, id, "failed");
	store_job_start(f->store, id, "r2");
	add(f, id, 2, "pp");
	finish(f, id, JOB_PASSED);
	assert_int_equal(store_flaky_tests(f->store, 10, count_flaky, &n), 1);
	assert_int_equal(n, 1);
}

/*
 * The judge on the counts of one read with the job: the same as
 * store_job_test_counts's.
 */
static void
judge(struct unit_store *f, const struct job *job, int retry,
    struct job_result *res, struct verdict *v)
{
	struct test_counts counts, counted;
	struct job again;

	assert_int_equal(store_job_test_counts(f->store, job->id, &counts), 0);
	assert_int_equal(store_job_get_counted(f->store, job->id, &again,
	    &counted), 1);
	assert_memory_equal(&counts, &counted, sizeof counts);
	assert_int_equal(again.id, job->id);
	job_release(&again);
	verdict_judge(job, &counts, retry, res, v);
}

static void
test_quarantine_and_verdict(void **state)
{
	struct unit_store *f = *state;
	struct job_result res = { .state = JOB_FAILED, .exit_code = 1,
	    .tests = { -1, -1, -1 } };
	struct collected c = { 0 };
	struct verdict v;
	struct job job;
	int64_t id = start_job(f, 1, "main");

	add(f, id, 1, "pfs");
	assert_int_equal(store_test_quarantine(f->store, "/no/such.git",
	    "pkg.mod.t1", 1, "me"), 1);
	assert_int_equal(store_test_quarantine(f->store, REPO, "pkg.mod.t1", 1,
	    "me"), 0);
	assert_int_equal(store_job_get(f->store, id, &job), 1);
	res.job = id;
	/* Records cut short, or a command killed by a signal: no. */
	res.tests_partial = 1;
	judge(f, &job, 0, &res, &v);
	assert_int_equal(res.state, JOB_FAILED);
	res.tests_partial = 0;
	res.exit_code = 139;
	judge(f, &job, 0, &res, &v);
	assert_int_equal(res.state, JOB_FAILED);
	res.exit_code = 1;
	judge(f, &job, 0, &res, &v);
	assert_int_equal(res.state, JOB_PASSED);
	assert_int_equal(v.action, VERDICT_FINISH);
	assert_non_null(strstr(v.note, "only quarantined tests failed (1)"));
	/* Counts come from the records. */
	assert_int_equal(res.tests.run, 2);
	assert_int_equal(res.tests.failed, 1);
	assert_int_equal(res.tests.skipped, 1);
	store_job_tests(f->store, id, 0, 10, 0, collect, &c);
	assert_true(c.quarantined[0]);
	/* Let out: the failure counts, and a re-run is asked for. */
	assert_int_equal(store_test_quarantine(f->store, REPO, "pkg.mod.t1", 0,
	    NULL), 0);
	res.state = JOB_FAILED;
	judge(f, &job, 1, &res, &v);
	assert_int_equal(res.state, JOB_FAILED);
	assert_int_equal(v.action, VERDICT_RERUN);
	assert_int_equal(v.rerun, 1);
	assert_int_equal(v.reruns, 1);
	/* No re-run left, or none asked for: it ends. */
	job.fail_retries = 1;
	judge(f, &job, 1, &res, &v);
	assert_int_equal(v.action, VERDICT_FINISH);
	job.fail_retries = 0;
	judge(f, &job, 0, &res, &v);
	assert_int_equal(v.action, VERDICT_FINISH);
	/* A plan's retry: N decides over the default. */
	free(job.spec);
	job.spec = xstrdup("{\"run\":[\"x\"],\"retry\":3}");
	judge(f, &job, 0, &res, &v);
	assert_int_equal(v.action, VERDICT_RERUN);
	assert_int_equal(v.reruns, 3);
	job_release(&job);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_batches_and_order),
		T(test_history_and_failing_since),
		T(test_failure_rerun_marks_flaky),
		T(test_flaky_list),
		T(test_jobs_of_other_names_apart),
		T(test_durations_for_a_split),
		T(test_quarantine_and_verdict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_store_artifacts.c - artifacts in the SQLite store: rows added,
 * replaced and listed in path order, bad rows refused, the expired ones
 * taken out in steps (their callbacks after the commit), a job's rows
 * removed, retention taking them with their job; and the inputs of a job:
 * what the jobs it needs made (once passed, their latest attempt), a
 * carried job's from the job that ran, a sharded job's from its shards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "unit_store.h"
#include "unit_stderr.h"
#include "store.h"
#include "util.h"

#define REPO "/srv/git/artifacts.git"
#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

UNIT_STORE_FIXTURE("artifacts")

/* build; test needs build. */
static const size_t needs_build[] = { 0 };
static const struct job_plan_entry two[] = {
	{ "build", "{\"run\":[\"make\"]}", NULL, 0, NULL, 0, 0, 0, 0, 0, -1 },
	{ "test", "{\"run\":[\"make check\"]}", NULL, 0, needs_build, 1, 0, 0,
	    0, 0, -1 },
};
static const struct job_plan two_plan = { "{\"jobs\":[]}", two, 2, 0 };

/* unit, sharded in 2 (entries 2 and 3); deploy needs unit. */
static const size_t needs_unit[] = { 0 };
static const struct job_plan_entry sharded[] = {
	{ "unit", "{\"run\":[\"t\"]}", NULL, 0, NULL, 0, 0, 2, 0, 0, -1 },
	{ "deploy", "{\"run\":[\"d\"]}", NULL, 0, needs_unit, 1, 0, 0, 0, 0,
	    -1 },
	{ "unit[1/2]", "{\"run\":[\"t\"]}", NULL, 0, NULL, 0, 0, 0, 1, 1, 10 },
	{ "unit[2/2]", "{\"run\":[\"t\"]}", NULL, 0, NULL, 0, 0, 0, 1, 2, 10 },
};
static const struct job_plan sharded_plan = { "{\"jobs\":[]}", sharded, 4,
    2 };

/* What a list gave: each row's job, path, size and sha256. */
struct seen {
	int64_t job[16];
	char path[16][64];
	int64_t size[16];
	char sha[16][65];
	int64_t expires[16];
	int n;
};

static int
collect(const struct store_artifact *a, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 16);
	s->job[s->n] = a->job;
	snprintf(s->path[s->n], sizeof s->path[0], "%s", a->path);
	s->size[s->n] = a->size;
	memcpy(s->sha[s->n], a->sha256, sizeof s->sha[0]);
	s->expires[s->n] = a->expires;
	s->n++;
	return 0;
}

static int
stop_after_one(const struct store_artifact *a, void *arg)
{
	(void)a;
	(*(int *)arg)++;
	return -1;
}


static void
finish(struct unit_store *f, int64_t id, enum job_state state)
{
	struct job_result r = { .job = id, .state = state, .exit_code = 0,
	    .duration_ms = 5, .tests = { -1, -1, -1 } };

	assert_int_equal(store_job_finish(f->store, &r), 0);
}

/* Keep an artifact of job: 0 or -1, as store_artifact_add says. */
static int
add(struct unit_store *f, int64_t job, const char *path, int64_t size,
    const char *sha, int64_t created, int64_t expires)
{
	struct store_artifact a = { .job = job, .path = path, .size = size,
	    .mode = 0644, .created = created, .expires = expires };

	snprintf(a.sha256, sizeof a.sha256, "%s", sha);
	return store_artifact_add(f->store, &a);
}

static struct seen
of_job(struct unit_store *f, int64_t job)
{
	struct seen s = { .n = 0 };
	int n = store_artifacts_of_job(f->store, job, collect, &s);

	assert_int_equal(n, s.n);
	return s;
}

static struct seen
of_needs(struct unit_store *f, int64_t job)
{
	struct seen s = { .n = 0 };
	int n = store_artifacts_of_needs(f->store, job, collect, &s);

	assert_int_equal(n, s.n);
	return s;
}

/* A pipeline of build and test, planned by its first job (build). */
static void
plan_two(struct unit_store *f, const char *commit, int64_t ids[2])
{
	int64_t first = unit_dispatch(f, REPO, commit, NULL, 0);

	assert_int_equal(store_job_start(f->store, first, "r1"), 0);
	assert_int_equal(store_pipeline_plan(f->store, first, &two_plan, ids),
	    0);
	assert_int_equal(ids[0], first);
}

static void
test_add_replace_list_get(void **state)
{
	struct unit_store *f = *state;
	struct store_artifact a;
	int64_t job = unit_dispatch(f, REPO, C1, NULL, 0), now = time(NULL);
	struct seen s;
	char *path = NULL;
	int n = 0;

	assert_int_equal(add(f, job, "ssci", 10, SHA_A, now, 0), 0);
	assert_int_equal(add(f, job, "build/lib.a", 20, SHA_A, now, now + 60),
	    0);
	assert_int_equal(add(f, job, "coverage/index.html", 30, SHA_A, now, 0),
	    0);
	/* The same path again replaces its row. */
	assert_int_equal(add(f, job, "ssci", 11, SHA_B, now, 0), 0);
	s = of_job(f, job);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.path[0], "build/lib.a");
	assert_int_equal(s.expires[0], now + 60);
	assert_string_equal(s.path[1], "coverage/index.html");
	assert_int_equal(s.expires[1], 0);
	assert_string_equal(s.path[2], "ssci");
	assert_int_equal(s.size[2], 11);
	assert_string_equal(s.sha[2], SHA_B);
	/* A callback's -1 stops the list. */
	assert_int_equal(store_artifacts_of_job(f->store, job, stop_after_one,
	    &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(of_job(f, job + 1).n, 0);

	assert_int_equal(store_artifact_get(f->store, job, "build/lib.a", &a,
	    &path), 1);
	assert_ptr_equal(a.path, path);
	assert_string_equal(a.path, "build/lib.a");
	assert_int_equal(a.job, job);
	assert_int_equal(a.size, 20);
	assert_int_equal(a.mode, 0644);
	assert_int_equal(a.created, now);
	assert_string_equal(a.sha256, SHA_A);
	free(path);
	assert_int_equal(store_artifact_get(f->store, job, "build", &a, &path),
	    0);
	assert_null(path);
	assert_int_equal(store_artifact_get(f->store, job + 1, "ssci", &a,
	    &path), 0);
	/* A path that could lead out is never looked up. */
	assert_int_equal(store_artifact_get(f->store, job, "../ssci", &a,
	    &path), -1);
	assert_null(path);
}

static void
test_bad_rows_are_refused(void **state)
{
	static const char *const bad_paths[] = { "", "/etc/passwd", "../x",
	    "a/../b", "a//b", "./a", "a/.", "a/", "a\nb", "a\x7f",
	    "\xff\xfe" };
	struct unit_store *f = *state;
	struct unit_stderr err = { 0 };
	struct store_artifact a = { .path = "ok", .size = 1, .mode = 0644,
	    .created = 1 };
	int64_t job = unit_dispatch(f, REPO, C1, NULL, 0);
	char longest[ARTIFACT_PATH_MAX + 2];
	const char *said;

	for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
		unit_stderr_catch(&err);
		assert_int_equal(add(f, job, bad_paths[i], 1, SHA_A, 1, 0), -1);
		said = unit_stderr_release(&err);
		assert_non_null(strstr(said, "bad path"));
	}
	memset(longest, 'x', sizeof longest - 1);
	longest[ARTIFACT_PATH_MAX] = '\0';
	assert_int_equal(add(f, job, longest, 1, SHA_A, 1, 0), 0);
	longest[ARTIFACT_PATH_MAX] = 'x';
	longest[ARTIFACT_PATH_MAX + 1] = '\0';
	unit_stderr_catch(&err);
	assert_int_equal(add(f, job, longest, 1, SHA_A, 1, 0), -1);
	unit_stderr_release(&err);
	assert_int_equal(add(f, job, "d\xc3\xa9j\xc3\xa0 vu/-x [1].txt", 1,
	    SHA_A, 1, 0), 0);

	unit_stderr_catch(&err);
	assert_int_equal(add(f, job, "ok", 1, "ABC", 1, 0), -1);
	assert_int_equal(add(f, job, "ok", -1, SHA_A, 1, 0), -1);
	a.job = job;
	memset(a.sha256, 'a', sizeof a.sha256);
	assert_int_equal(store_artifact_add(f->store, &a), -1);
	a.mode = 0777;
	memcpy(a.sha256, SHA_A, sizeof a.sha256);
	assert_int_equal(store_artifact_add(f->store, &a), -1);
	said = unit_stderr_release(&err);
	assert_non_null(strstr(said, "artifact 'ok' of job"));
	assert_non_null(strstr(said, "mode"));
	/* No such job: the row would point nowhere. */
	unit_stderr_catch(&err);
	assert_int_equal(add(f, job + 100, "ok", 1, SHA_A, 1, 0), -1);
	said = unit_stderr_release(&err);
	assert_non_null(strstr(said, "FOREIGN KEY"));
	assert_int_equal(of_job(f, job).n, 2);
}

static void
test_expired_go_in_steps(void **state)
{
	struct unit_store *f = *state;
	int64_t job = unit_dispatch(f, REPO, C1, NULL, 0);
	int64_t other = unit_dispatch(f, REPO, C2, NULL, 0), now = time(NULL);
	struct seen gone = { .n = 0 }, s;
	struct unit_stderr err = { 0 };

	assert_int_equal(add(f, job, "old-1", 1, SHA_A, now - 100, now - 50),
	    0);
	assert_int_equal(add(f, other, "old-2", 1, SHA_A, now - 100, now - 40),
	    0);
	assert_int_equal(add(f, job, "now", 1, SHA_A, now - 100, now), 0);
	assert_int_equal(add(f, job, "later", 1, SHA_A, now, now + 60), 0);
	assert_int_equal(add(f, job, "kept", 1, SHA_A, now, 0), 0);
	/* Oldest first, at most the limit a step. */
	assert_int_equal(store_artifacts_expire(f->store, now, 2, collect,
	    &gone), 2);
	assert_int_equal(gone.n, 2);
	assert_int_equal(gone.job[0], job);
	assert_string_equal(gone.path[0], "old-1");
	assert_int_equal(gone.job[1], other);
	assert_string_equal(gone.path[1], "old-2");
	assert_int_equal(store_artifacts_expire(f->store, now, 2, collect,
	    &gone), 1);
	assert_string_equal(gone.path[2], "now");
	assert_int_equal(store_artifacts_expire(f->store, now, 2, collect,
	    &gone), 0);
	assert_int_equal(gone.n, 3);
	s = of_job(f, job);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.path[0], "kept");
	assert_string_equal(s.path[1], "later");
	assert_int_equal(of_job(f, other).n, 0);
	assert_int_equal(store_artifacts_expire(f->store, now + 60, 10,
	    collect, &gone), 1);
	unit_stderr_catch(&err);
	assert_int_equal(store_artifacts_expire(f->store, now, 0, collect,
	    &gone), -1);
	assert_non_null(strstr(unit_stderr_release(&err), "bad arguments"));

	assert_int_equal(store_artifacts_remove_job(f->store, job), 1);
	assert_int_equal(store_artifacts_remove_job(f->store, job), 0);
	assert_int_equal(of_job(f, job).n, 0);
}

static void
test_needs_hand_on_what_passed(void **state)
{
	struct unit_store *f = *state;
	struct job_plan_entry again[2];
	struct job_plan plan = two_plan;
	int64_t ids[2], retry, carried = 0, now;
	struct seen s;
	struct job job;

	plan_two(f, C1, ids);
	/* Made since its start (a start's second counts whole). */
	now = time(NULL);
	job = unit_job(f, ids[0]);
	/* Left by an attempt before the latest start: not handed on. */
	assert_int_equal(add(f, ids[0], "stale", 1, SHA_B, job.started_ms /
	    1000 - 100, 0), 0);
	job_release(&job);
	assert_int_equal(add(f, ids[0], "bin/ssci", 50, SHA_A, now, 0), 0);
	assert_int_equal(add(f, ids[0], "README", 5, SHA_A, now, 0), 0);
	assert_int_equal(add(f, ids[1], "report.xml", 5, SHA_A, now, 0), 0);
	/* What it needs has not passed yet: nothing. */
	assert_int_equal(of_needs(f, ids[1]).n, 0);
	finish(f, ids[0], JOB_PASSED);
	s = of_needs(f, ids[1]);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.job[0], ids[0]);
	assert_string_equal(s.path[0], "README");
	assert_string_equal(s.path[1], "bin/ssci");
	assert_int_equal(s.size[1], 50);
	/* Build needs nothing. */
	assert_int_equal(of_needs(f, ids[0]).n, 0);

	/* A retry keeps build: its test gets what the first build made. */
	finish(f, ids[1], JOB_FAILED);
	memcpy(again, two, sizeof again);
	again[0].carried = ids[0];
	plan.jobs = again;
	plan.first = 1;
	retry = unit_dispatch(f, REPO, C1, &plan, ids[0]);
	job = unit_job(f, retry);
	assert_string_equal(job.name, "test");
	job_release(&job);
	for (int64_t id = retry - 2; id <= retry + 2; id++) {
		if (id == ids[0] || id == ids[1] || id == retry ||
		    store_job_get(f->store, id, &job) != 1)
			continue;
		if (job.name != NULL && strcmp(job.name, "build") == 0)
			carried = id;
		job_release(&job);
	}
	assert_true(carried > 0);
	assert_int_equal(of_job(f, carried).n, 0);
	s = of_needs(f, retry);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.job[0], ids[0]);
	assert_int_equal(s.job[1], ids[0]);
	assert_string_equal(s.path[1], "bin/ssci");
}

static void
test_sharded_need_hands_on_its_shards(void **state)
{
	struct unit_store *f = *state;
	int64_t ids[4] = { 0 }, first = unit_dispatch(f, REPO, C1, NULL, 0), now;
	struct seen s;

	assert_int_equal(store_job_start(f->store, first, "r1"), 0);
	assert_int_equal(store_pipeline_plan(f->store, first, &sharded_plan,
	    ids), 0);
	assert_int_equal(ids[2], first);
	assert_int_equal(store_job_start(f->store, ids[3], "r2"), 0);
	now = time(NULL);
	assert_int_equal(add(f, ids[2], "cov/1.json", 1, SHA_A, now, 0), 0);
	assert_int_equal(add(f, ids[3], "cov/2.json", 2, SHA_B, now, 0), 0);
	finish(f, ids[2], JOB_PASSED);
	/* The sharded job has not passed while a shard has not. */
	assert_int_equal(of_needs(f, ids[1]).n, 0);
	finish(f, ids[3], JOB_PASSED);
	assert_int_equal(unit_job_state(f, ids[0]), JOB_PASSED);
	s = of_needs(f, ids[1]);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.job[0], ids[2]);
	assert_string_equal(s.path[0], "cov/1.json");
	assert_int_equal(s.job[1], ids[3]);
	assert_string_equal(s.path[1], "cov/2.json");
}

static void
note_removed(int64_t job, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->job[s->n++] = job;
}

static void
test_retention_takes_the_rows(void **state)
{
	struct unit_store *f = *state;
	struct store_retention r = { .before_ms = now_ms() + 60000,
	    .keep_jobs = 2 };
	struct seen removed = { .n = 0 };
	int64_t old[2], young[2], cursor = 0, now = time(NULL);

	plan_two(f, C1, old);
	assert_int_equal(add(f, old[0], "bin", 1, SHA_A, now, 0), 0);
	assert_int_equal(add(f, old[1], "log", 1, SHA_A, now, now + 100), 0);
	finish(f, old[0], JOB_PASSED);
	assert_int_equal(store_job_start(f->store, old[1], "r1"), 0);
	finish(f, old[1], JOB_PASSED);
	plan_two(f, C2, young);
	assert_int_equal(add(f, young[0], "bin", 1, SHA_A, now, 0), 0);
	finish(f, young[0], JOB_PASSED);
	assert_int_equal(store_job_start(f->store, young[1], "r1"), 0);
	finish(f, young[1], JOB_PASSED);
	/* The branch keeps its 2 newest jobs: the first pipeline goes. */
	assert_int_equal(store_prune(f->store, &r, &cursor, 100, 100,
	    note_removed, &removed), 2);
	assert_int_equal(removed.n, 2);
	assert_int_equal(of_job(f, old[0]).n, 0);
	assert_int_equal(of_job(f, old[1]).n, 0);
	assert_int_equal(of_job(f, young[0]).n, 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_add_replace_list_get),
		T(test_bad_rows_are_refused),
		T(test_expired_go_in_steps),
		T(test_needs_hand_on_what_passed),
		T(test_sharded_need_hands_on_its_shards),
		T(test_retention_takes_the_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

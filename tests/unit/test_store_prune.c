/* SPDX-License-Identifier: MIT */
/*
 * test_store_prune.c - retention in the SQLite store: a pass in steps
 * removes the pipelines past both limits with their tests, keeps the
 * newest of each branch and what has not ended, tells each job removed,
 * and gives the space back (the file shrinks); an older database without
 * incremental auto-vacuum is rewritten once when opened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "unit_store.h"
#include "store.h"
#include "testrec.h"
#include "util.h"

UNIT_STORE_FIXTURE("prune")

struct removed {
	int64_t ids[64];
	int n;
};

static void
note_removed(int64_t job, void *arg)
{
	struct removed *r = arg;

	if (r->n < 64)
		r->ids[r->n++] = job;
}

/* A job for commit on branch, run to its end with a test record. */
static int64_t
finished_job(struct unit_store *u, const char *commit, const char *branch,
    const char *message)
{
	struct job_request req = { .repo = "https://example.org/r.git",
	    .commit = commit, .branch = branch };
	struct test_record rec = { .name = "t.one", .status = TEST_PASSED,
	    .duration_us = 5, .message = (char *)message };
	struct job_result res = { .state = JOB_PASSED, .duration_ms = 1,
	    .tests = { 1, 0, 0 } };
	enum job_state state;
	int64_t id;
	int existing;

	assert_int_equal(store_dispatch(u->store, &req, &id, &state,
	    &existing), 0);
	assert_int_equal(store_job_start(u->store, id, "r1"), 0);
	assert_int_equal(store_tests_add(u->store, id, 1, 0, &rec, 1), 0);
	res.job = id;
	assert_int_equal(store_job_finish(u->store, &res), 0);
	return id;
}

static int
count_tests(const struct test_run *run, void *arg)
{
	(void)run;
	(*(int *)arg)++;
	return 0;
}

static int
tests_of(struct unit_store *u, int64_t job)
{
	int n = 0;

	assert_true(store_job_tests(u->store, job, 0, 100, 0, count_tests,
	    &n) >= 0);
	return n;
}

/* A whole pass in steps of scan: the jobs removed. */
static int
whole_pass(struct unit_store *u, const struct store_retention *r, int scan,
    int remove, struct removed *gone)
{
	int64_t cursor = 0;
	int total = 0, steps = 0, n;

	do {
		n = store_prune(u->store, r, &cursor, scan, remove, note_removed,
		    gone);
		assert_true(n >= 0);
		total += n;
		steps++;
	} while (cursor != 0);
	assert_true(steps >= 1);
	return total;
}

static void
test_keeps_the_newest_of_each_branch(void **state)
{
	struct unit_store *u = *state;
	struct store_retention r = { .before_ms = now_ms() + 60000,
	    .keep_jobs = 2 };
	struct removed gone = { 0 };
	struct job_request queued = { .repo = "https://example.org/r.git",
	    .commit = "eeee", .branch = "main" };
	enum job_state st;
	int64_t main_ids[5], dev, waiting;
	char commit[16];
	int existing;

	for (int i = 0; i < 5; i++) {
		snprintf(commit, sizeof commit, "a%d", i);
		main_ids[i] = finished_job(u, commit, "main", NULL);
	}
	dev = finished_job(u, "b0", "dev", NULL);
	assert_int_equal(store_dispatch(u->store, &queued, &waiting, &st,
	    &existing), 0);
	/* Too recent for before_ms: nothing goes. */
	r.before_ms = 1;
	assert_int_equal(whole_pass(u, &r, 2, 5, &gone), 0);
	/* Old enough: main keeps its newest 2 jobs... counting the queued
	 * one, which is newer, so only main_ids[4] stays of the ended. */
	r.before_ms = now_ms() + 60000;
	assert_int_equal(whole_pass(u, &r, 3, 1, &gone), 4);
	assert_int_equal(gone.n, 4);
	for (int i = 0; i < 4; i++) {
		struct job job;

		assert_int_equal(gone.ids[i], main_ids[i]);
		assert_int_equal(store_job_get(u->store, main_ids[i], &job), 0);
		assert_int_equal(tests_of(u, main_ids[i]), 0);
	}
	assert_int_equal(unit_job_state(u, main_ids[4]), JOB_PASSED);
	assert_int_equal(tests_of(u, main_ids[4]), 1);
	assert_int_equal(unit_job_state(u, dev), JOB_PASSED);
	assert_int_equal(unit_job_state(u, waiting), JOB_QUEUED);
	/* Again: nothing more goes. */
	assert_int_equal(whole_pass(u, &r, 1, 1, &gone), 0);
	/* keep_jobs 1: the queued job is main's newest, so every ended one
	 * of main may go; dev's only job stays. */
	r.keep_jobs = 1;
	assert_int_equal(whole_pass(u, &r, 1000, 1000, &gone), 1);
	assert_int_equal(gone.ids[4], main_ids[4]);
	assert_int_equal(unit_job_state(u, dev), JOB_PASSED);
}

static int64_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (int64_t)st.st_size;
}

static void
test_space_is_given_back(void **state)
{
	struct unit_store *u = *state;
	struct store_retention r = { .before_ms = now_ms() + 60000,
	    .keep_jobs = 1 };
	struct removed gone = { 0 };
	char path[400], commit[16], *big = xmalloc(20001);
	int64_t full, after;

	memset(big, 'x', 20000);
	big[20000] = '\0';
	for (int i = 0; i < 300; i++) {
		snprintf(commit, sizeof commit, "c%d", i);
		finished_job(u, commit, "main", big);
	}
	free(big);
	snprintf(path, sizeof path, "%s/ssci.db", u->state);
	store_close(u->store);		/* all in the file */
	u->store = store_open(u->state);
	assert_non_null(u->store);
	full = file_size(path);
	assert_true(full > 300 * 20000);
	assert_int_equal(whole_pass(u, &r, 50, 20, &gone), 299);
	store_close(u->store);
	u->store = store_open(u->state);
	assert_non_null(u->store);
	after = file_size(path);
	if (after > full / 10)
		fail_msg("the file went from %lld to %lld bytes only",
		    (long long)full, (long long)after);
}

static void
test_old_database_rewritten_once(void **state)
{
	struct unit_store *u = *state;
	char path[400];
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int mode = -1;

	snprintf(path, sizeof path, "%s/ssci.db", u->state);
	store_close(u->store);
	/* As a store made before retention was: auto_vacuum none. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA auto_vacuum = NONE; VACUUM",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA auto_vacuum", -1,
	    &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	u->store = store_open(u->state);
	assert_non_null(u->store);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA auto_vacuum", -1,
	    &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	mode = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	assert_int_equal(mode, 2);
}

static void
test_bad_arguments(void **state)
{
	struct unit_store *u = *state;
	struct store_retention r = { .before_ms = 1, .keep_jobs = 0 };
	int64_t cursor = 0;

	assert_int_equal(store_prune(u->store, &r, &cursor, 10, 1,
	    note_removed, NULL), -1);
	r.keep_jobs = 1;
	assert_int_equal(store_prune(u->store, &r, &cursor, 0, 1,
	    note_removed, NULL), -1);
	assert_int_equal(store_prune(u->store, &r, &cursor, 10, 0,
	    note_removed, NULL), -1);
	cursor = -1;
	assert_int_equal(store_prune(u->store, &r, &cursor, 10, 1,
	    note_removed, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_keeps_the_newest_of_each_branch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_space_is_given_back,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_old_database_rewritten_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * store_sql_tests.c - the SQL store's per-test results: a runner's
 * records kept per job and attempt, a job's tests and their counts, a
 * test's history on a branch, tests seen flaky, and quarantine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sql.h"
#include "util.h"

/* Fill *run from a row of TEST_RUN_COLUMNS: 1, or -1 for a bad row. */
static int
sql_test_run_fill(struct sql_row *row, struct test_run *run)
{
	const char *status = sql_col_text(row, 6);
	const char *commit = sql_col_text(row, 11);

	memset(run, 0, sizeof *run);
	if (status == NULL || testrec_status_parse(status,
	    &run->status) == -1 || sql_col_state(row, 13,
	    &run->job_state) == -1) {
		log_warnx("unknown test status '%s' in the database",
		    status == NULL ? "" : status);
		return -1;
	}
	run->job = sql_col_int64(row, 0);
	run->attempt = (int)sql_col_int64(row, 1);
	run->index = sql_col_int64(row, 2);
	run->name = sql_col_strdup(row, 3);
	run->suite = sql_col_strdup(row, 4);
	run->file = sql_col_strdup(row, 5);
	run->duration_us = sql_col_int64_or(row, 7, -1);
	run->message = sql_col_strdup(row, 8);
	run->flaky = (int)sql_col_int64(row, 9);
	run->quarantined = (int)sql_col_int64(row, 10);
	snprintf(run->commit, sizeof run->commit, "%s",
	    commit == NULL ? "" : commit);
	run->branch = sql_col_strdup(row, 12);
	run->finished_ms = sql_col_int64_or(row, 14, 0);
	run->job_name = sql_col_strdup(row, 15);
	return 1;
}

/* Call cb for each row of a TEST_RUN_COLUMNS statement: how many, or -1. */
static int
sql_each_test_run(struct sql_store *store, enum store_stmt id,
    store_test_cb cb, void *arg)
{
	struct test_run run;
	int rc, n = 0, stop = 0;

	while (!stop && (rc = sql_step(store, id)) == SQL_ROW) {
		if (sql_test_run_fill(sql_row(store, id), &run) == -1) {
			rc = SQL_ERROR;
			break;
		}
		n++;
		stop = cb(&run, arg) == -1;
		test_run_release(&run);
	}
	sql_reset(store, id);
	return stop || rc == SQL_DONE ? n : -1;
}

/* The id of the test named name in repository repo_id, made if new. */
static int
sql_test_id(struct sql_store *store, int64_t repo_id, const char *name,
    int64_t *id)
{
	int found;

	sql_bind_int64(store, ST_TEST_FIND, 1, repo_id);
	sql_bind_text(store, ST_TEST_FIND, 2, name);
	if ((found = sql_scalar(store, ST_TEST_FIND, id)) != 0)
		return found == 1 ? 0 : -1;
	sql_bind_int64(store, ST_TEST_ADD, 1, repo_id);
	sql_bind_text(store, ST_TEST_ADD, 2, name);
	if (sql_run(store, ST_TEST_ADD) == -1)
		return -1;
	*id = sql_last_id(store);
	return 0;
}

/* What a job's test runs carry of it. */
struct test_job {
	int64_t repo_id;
	char *branch;		/* malloc'd, may be NULL */
	char *name;		/* malloc'd, may be NULL */
	int attempt;
	char commit[65];
};

static void
test_job_release(struct test_job *tj)
{
	free(tj->branch);
	free(tj->name);
}

/* Job job's repository, branch, name, attempt, commit: 1, 0 none, -1. */
static int
sql_test_job(struct sql_store *store, int64_t job, struct test_job *tj)
{
	struct sql_row *row = sql_row(store, ST_TEST_JOB);
	int rc;

	sql_bind_int64(store, ST_TEST_JOB, 1, job);
	rc = sql_step(store, ST_TEST_JOB);
	memset(tj, 0, sizeof *tj);
	if (rc == SQL_ROW) {
		const char *c = sql_col_text(row, 3);

		tj->repo_id = sql_col_int64(row, 0);
		tj->branch = sql_col_strdup(row, 1);
		tj->attempt = (int)sql_col_int64(row, 2);
		snprintf(tj->commit, sizeof tj->commit, "%s",
		    c == NULL ? "" : c);
		tj->name = sql_col_strdup(row, 4);
	}
	sql_reset(store, ST_TEST_JOB);
	return rc == SQL_ROW ? 1 : rc == SQL_DONE ? 0 : -1;
}

int
sqlstore_tests_add(struct store *base, int64_t job, int attempt,
    int64_t first, const struct test_record *recs, size_t n)
{
	struct sql_store *store = (struct sql_store *)base;
	enum store_stmt st = ST_TEST_RUN_ADD;
	int64_t test_id, added[TEST_SKIPPED + 1] = { 0 }, total = 0;
	struct test_job tj;
	int found;

	if (sql_run(store, ST_BEGIN) == -1)
		return -1;
	found = sql_test_job(store, job, &tj);
	if (found != 1 || tj.attempt != attempt) {
		sql_rollback(store);
		test_job_release(&tj);
		return found == -1 ? -1 : 1;
	}
	for (size_t i = 0; i < n; i++) {
		char *key = testrec_key(recs[i].suite, recs[i].name);

		if (sql_test_id(store, tj.repo_id, key, &test_id) == -1) {
			free(key);
			goto fail;
		}
		free(key);
		sql_bind_int64(store, st, 1, job);
		sql_bind_int64(store, st, 2, attempt);
		sql_bind_int64(store, st, 3, first + (int64_t)i);
		sql_bind_int64(store, st, 4, test_id);
		sql_bind_text(store, st, 5, tj.branch);
		sql_bind_text(store, st, 6, testrec_status_name(recs[i].status));
		sql_bind_known(store, st, 7, recs[i].duration_us);
		sql_bind_text(store, st, 8, recs[i].suite);
		sql_bind_text(store, st, 9, recs[i].file);
		sql_bind_text(store, st, 10, recs[i].message);
		sql_bind_text(store, st, 11, tj.name);
		if (sql_run(store, st) == -1)
			goto fail;
		if (sql_changes(store) == 1) {
			added[recs[i].status]++;
			total++;
		}
	}
	st = ST_TEST_COUNT_ADD;
	sql_bind_int64(store, st, 1, job);
	sql_bind_int64(store, st, 2, attempt);
	sql_bind_int64(store, st, 3, total);
	sql_bind_int64(store, st, 4, added[TEST_PASSED]);
	sql_bind_int64(store, st, 5, added[TEST_FAILED] + added[TEST_ERROR]);
	sql_bind_int64(store, st, 6, added[TEST_SKIPPED]);
	if (sql_run(store, st) == -1)
		goto fail;
	test_job_release(&tj);
	return sql_commit(store);
fail:
	test_job_release(&tj);
	sql_rollback(store);
	return -1;
}

/* The attempt's flaky runs counted again, after marks were made. */
static int
sql_count_flaky(struct sql_store *store, int64_t job, int attempt)
{
	sql_bind_int64(store, ST_TEST_COUNT_FLAKY, 1, job);
	sql_bind_int64(store, ST_TEST_COUNT_FLAKY, 2, attempt);
	return sql_run(store, ST_TEST_COUNT_FLAKY);
}

/* Changes only, whose answers a server's driver reads with the commit's. */
int
sql_tests_settle(struct sql_store *store, int64_t job)
{
	sql_bind_int64(store, ST_TEST_MARK_FLAKY, 1, job);
	sql_bind_int64(store, ST_TEST_SETTLE_FLAKY, 1, job);
	if (sql_run(store, ST_TEST_MARK_FLAKY) == -1 ||
	    sql_run(store, ST_TEST_SETTLE_FLAKY) == -1)
		return -1;
	return 0;
}

/* One of the two lists of a job's tests, from offset. */
static int
sql_job_test_list(struct sql_store *store, enum store_stmt st, int64_t job,
    int64_t limit, int64_t offset, store_test_cb cb, void *arg)
{
	sql_bind_int64(store, st, 1, job);
	sql_bind_int64(store, st, 2, limit);
	sql_bind_int64(store, st, 3, offset);
	return sql_each_test_run(store, st, cb, arg);
}

/* Whether job is sharded (its tests are its shards'): 1, 0, or -1. */
static int
sql_job_sharded(struct sql_store *store, int64_t job)
{
	int64_t shards = 0;

	sql_bind_int64(store, ST_JOB_SHARDS, 1, job);
	if (sql_scalar(store, ST_JOB_SHARDS, &shards) == -1)
		return -1;
	return shards > 0;
}

int
sqlstore_job_tests(struct store *base, int64_t job, int failed_only,
    int limit, int64_t offset, store_test_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct test_counts counts;
	int n = 0, more, sharded;

	if ((sharded = sql_job_sharded(store, job)) == -1 ||
	    sqlstore_job_test_counts(base, job, &counts) == -1)
		return -1;
	if (offset < counts.failed) {
		n = sql_job_test_list(store, sharded ? ST_SHARDED_TESTS_FAILED :
		    ST_JOB_TESTS_FAILED, job, limit, offset, cb, arg);
		if (n == -1)
			return -1;
	}
	if (failed_only || n == limit)
		return n;
	more = sql_job_test_list(store, sharded ? ST_SHARDED_TESTS_OTHERS :
	    ST_JOB_TESTS_OTHERS, job, limit - n,
	    offset > counts.failed ? offset - counts.failed : 0, cb, arg);
	return more == -1 ? -1 : n + more;
}

int
sql_job_counts(struct sql_store *store, int64_t job,
    struct test_counts *counts)
{
	enum store_stmt st = ST_JOB_TEST_COUNTS;
	struct sql_row *row = sql_row(store, st);
	int rc;

	memset(counts, 0, sizeof *counts);
	sql_bind_int64(store, st, 1, job);
	rc = sql_step(store, st);
	/* A sharded job's tests are its shards'. */
	if (rc == SQL_ROW && sql_col_int64(row, 6) > 0) {
		sql_reset(store, st);
		st = ST_SHARDED_TEST_COUNTS;
		row = sql_row(store, st);
		sql_bind_int64(store, st, 1, job);
		rc = sql_step(store, st);
	}
	if (rc == SQL_ROW)
		sql_counts_fill(row, 0, counts);
	sql_reset(store, st);
	return rc == SQL_ROW || rc == SQL_DONE ? 0 : -1;
}

int
sqlstore_job_test_counts(struct store *base, int64_t job,
    struct test_counts *counts)
{
	return sql_job_counts((struct sql_store *)base, job, counts);
}

int
sqlstore_test_history(struct store *base, const struct test_where *where,
    int64_t upto, int limit, store_test_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	enum store_stmt st = ST_TEST_HISTORY;

	sql_bind_text(store, st, 1, where->repo);
	sql_bind_text(store, st, 2, where->name);
	sql_bind_text(store, st, 3, where->branch);
	sql_bind_known(store, st, 4, upto > 0 ? upto : -1);
	sql_bind_int64(store, st, 5, limit);
	sql_bind_int64(store, st, 6, where->any_job);
	sql_bind_text(store, st, 7, where->job_name);
	return sql_each_test_run(store, st, cb, arg);
}

int
sqlstore_test_mark_flaky(struct store *base, int64_t job, int attempt,
    int64_t index)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_TEST_RUN_FLAKY, 1, job);
	sql_bind_int64(store, ST_TEST_RUN_FLAKY, 2, attempt);
	sql_bind_int64(store, ST_TEST_RUN_FLAKY, 3, index);
	if (sql_run(store, ST_TEST_RUN_FLAKY) == -1)
		return -1;
	return sql_count_flaky(store, job, attempt);
}

/* The median of n sorted durations. */
static int64_t
sql_median(int64_t *d, size_t n)
{
	/* A few values: sorted in place. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && d[k - 1] > d[k]; k--) {
			int64_t swap = d[k];

			d[k] = d[k - 1];
			d[k - 1] = swap;
		}
	if (n == 0)
		return -1;
	if (n % 2 == 1)
		return d[n / 2];
	return d[n / 2 - 1] + (d[n / 2] - d[n / 2 - 1]) / 2;
}

int
sqlstore_test_durations(struct store *base, const char *repo,
    const char *branch, const char *job_name, int runs,
    store_duration_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *last = sql_row(store, ST_TEST_LAST_PASSED);
	struct sql_row *row = sql_row(store, ST_TEST_DURATIONS);
	int64_t job, last_id, test = 0, durations[STORE_DURATION_RUNS_MAX];
	char *name = NULL;
	size_t nd = 0;
	int rc, n = 0, stop = 0;

	sql_bind_text(store, ST_TEST_LAST_PASSED, 1, repo);
	sql_bind_text(store, ST_TEST_LAST_PASSED, 2, branch);
	sql_bind_text(store, ST_TEST_LAST_PASSED, 3, job_name);
	rc = sql_step(store, ST_TEST_LAST_PASSED);
	job = rc == SQL_ROW ? sql_col_int64(last, 0) : 0;
	last_id = rc == SQL_ROW ? sql_col_int64(last, 1) : 0;
	sql_reset(store, ST_TEST_LAST_PASSED);
	if (rc != SQL_ROW)
		return rc == SQL_DONE ? 0 : -1;
	sql_bind_int64(store, ST_TEST_DURATIONS, 1, job);
	sql_bind_int64(store, ST_TEST_DURATIONS, 2, last_id);
	sql_bind_text(store, ST_TEST_DURATIONS, 3, branch);
	sql_bind_text(store, ST_TEST_DURATIONS, 4, job_name);
	sql_bind_int64(store, ST_TEST_DURATIONS, 5, runs);
	/* A test's rows come together: one group per test. */
	while (!stop && (rc = sql_step(store, ST_TEST_DURATIONS)) ==
	    SQL_ROW) {
		const char *this_name = sql_col_text(row, 0);

		if (this_name == NULL)
			continue;
		if (name != NULL && sql_col_int64(row, 2) != test) {
			stop = cb(name, sql_median(durations, nd), arg) == -1;
			n++;
			free(name);
			name = NULL;
		}
		if (name == NULL) {
			name = xstrdup(this_name);
			test = sql_col_int64(row, 2);
			nd = 0;
		}
		if (!sql_col_null(row, 1) &&
		    nd < STORE_DURATION_RUNS_MAX)
			durations[nd++] = sql_col_int64(row, 1);
	}
	if (!stop && name != NULL && (rc == SQL_DONE)) {
		cb(name, sql_median(durations, nd), arg);
		n++;
	}
	free(name);
	sql_reset(store, ST_TEST_DURATIONS);
	return stop || rc == SQL_DONE ? n : -1;
}

int
sqlstore_flaky_tests(struct store *base, int limit, store_flaky_cb cb,
    void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_FLAKY_LIST);
	struct flaky_test f;
	int rc, n = 0, stop = 0;

	sql_bind_int64(store, ST_FLAKY_LIST, 1, limit);
	while (!stop && (rc = sql_step(store, ST_FLAKY_LIST)) == SQL_ROW) {
		memset(&f, 0, sizeof f);
		f.repo = sql_col_strdup(row, 0);
		f.name = sql_col_strdup(row, 1);
		f.flakes = sql_col_int64(row, 2);
		f.last_job = sql_col_int64(row, 3);
		f.quarantined = (int)sql_col_int64(row, 4);
		n++;
		stop = cb(&f, arg) == -1;
		flaky_test_release(&f);
	}
	sql_reset(store, ST_FLAKY_LIST);
	return stop || rc == SQL_DONE ? n : -1;
}

int
sqlstore_test_quarantine(struct store *base, const char *repo,
    const char *name, int on, const char *by)
{
	struct sql_store *store = (struct sql_store *)base;
	enum store_stmt st = ST_TEST_QUARANTINE;
	int64_t repo_id;
	int found;

	sql_bind_text(store, ST_REPO_FIND, 1, repo);
	if ((found = sql_scalar(store, ST_REPO_FIND, &repo_id)) != 1)
		return found == 0 ? 1 : -1;
	sql_bind_int64(store, st, 1, repo_id);
	sql_bind_text(store, st, 2, name);
	sql_bind_known(store, st, 3, on ? now_ms() : -1);
	sql_bind_text(store, st, 4, on ? by : NULL);
	return sql_run(store, st);
}

int
sqlstore_quarantined(struct store *base, const char *repo,
    void (*cb)(const char *repo, const char *name, int64_t since_ms,
    const char *by, void *arg), void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_QUARANTINE_LIST);
	int rc, n = 0;

	sql_bind_text(store, ST_QUARANTINE_LIST, 1, repo);
	while ((rc = sql_step(store, ST_QUARANTINE_LIST)) == SQL_ROW) {
		cb(sql_col_text(row, 0),
		    sql_col_text(row, 1),
		    sql_col_int64(row, 2),
		    sql_col_text(row, 3), arg);
		n++;
	}
	sql_reset(store, ST_QUARANTINE_LIST);
	return rc == SQL_DONE ? n : -1;
}

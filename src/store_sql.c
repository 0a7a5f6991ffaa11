/* SPDX-License-Identifier: MIT */
/*
 * store_sql.c - the helpers the store's logic (store_sql_*.c) runs its
 * statements with: each hands its work to the store's driver, and those
 * built on them (a number, a job row, an update of one job) are the same
 * for every database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sql.h"
#include "util.h"

void
sql_job_forget(struct sql_store *store)
{
	if (store->job_read == NULL)
		return;
	job_release(store->job_read);
	free(store->job_read);
	store->job_read = NULL;
}

/* Every statement but a SELECT may change a row (BEGIN and the like too). */
int
sql_step(struct sql_store *store, enum store_stmt id)
{
	if (store->job_read != NULL && (store_sql[id].sql == NULL ||
	    strncmp(store_sql[id].sql, "SELECT", 6) != 0))
		sql_job_forget(store);
	return store->driver->step(store, id);
}

void
sql_reset(struct sql_store *store, enum store_stmt id)
{
	store->driver->reset(store, id);
}

int
sql_run(struct sql_store *store, enum store_stmt id)
{
	int rc;

	if (id == ST_BEGIN) {
		sql_job_forget(store);
		return store->driver->begin(store);
	}
	rc = sql_step(store, id);
	sql_reset(store, id);
	return rc == SQL_DONE ? 0 : -1;
}

void
sql_bind_int64(struct sql_store *store, enum store_stmt id, int idx,
    int64_t v)
{
	store->driver->bind_int64(store, id, idx, v);
}

void
sql_bind_text(struct sql_store *store, enum store_stmt id, int idx,
    const char *s)
{
	if (s == NULL)
		store->driver->bind_null(store, id, idx);
	else
		store->driver->bind_text(store, id, idx, s);
}

void
sql_bind_blob(struct sql_store *store, enum store_stmt id, int idx,
    const void *p, size_t len)
{
	store->driver->bind_blob(store, id, idx, p, len);
}

int
sql_changes(struct sql_store *store)
{
	return store->driver->changes(store);
}

int
sql_changes_of(struct sql_store *store, enum store_stmt id)
{
	return store->driver->changes_of(store, id);
}

int64_t
sql_last_id(struct sql_store *store)
{
	return store->driver->last_id(store);
}

void
sql_rollback(struct sql_store *store)
{
	sql_job_forget(store);
	store->driver->rollback(store);
}

int
sql_commit(struct sql_store *store)
{
	sql_job_forget(store);
	return store->driver->commit(store);
}

int
sql_begin_unsynced(struct sql_store *store)
{
	sql_job_forget(store);
	return store->driver->begin_unsynced(store);
}

int
sql_commit_unsynced(struct sql_store *store)
{
	sql_job_forget(store);
	return store->driver->commit_unsynced(store);
}

struct sql_row *
sql_row(struct sql_store *store, enum store_stmt id)
{
	return store->driver->row(store, id);
}

int64_t
sql_col_int64(struct sql_row *row, int col)
{
	return row->driver->col_int64(row, col);
}

const char *
sql_col_text(struct sql_row *row, int col)
{
	return row->driver->col_text(row, col);
}

bool
sql_col_null(struct sql_row *row, int col)
{
	return row->driver->col_null(row, col);
}

const void *
sql_col_blob(struct sql_row *row, int col, size_t *len)
{
	return row->driver->col_blob(row, col, len);
}

char *
sql_col_strdup(struct sql_row *row, int col)
{
	const char *s = sql_col_text(row, col);

	return s == NULL ? NULL : xstrdup(s);
}

int64_t
sql_col_int64_or(struct sql_row *row, int col, int64_t def)
{
	return sql_col_null(row, col) ? def : sql_col_int64(row, col);
}

int
sql_col_state(struct sql_row *row, int col, enum job_state *state)
{
	const char *s = sql_col_text(row, col);

	if (s == NULL || job_state_parse(s, state) == -1) {
		log_warnx("unknown job state '%s' in the database",
		    s == NULL ? "" : s);
		return -1;
	}
	return 0;
}

/* Counts from columns first.. of row, in ST_JOB_TEST_COUNTS's order. */
void
sql_counts_fill(struct sql_row *row, int first, struct test_counts *counts)
{
	counts->total = sql_col_int64(row, first);
	counts->passed = sql_col_int64(row, first + 1);
	counts->failed = sql_col_int64(row, first + 2);
	counts->skipped = sql_col_int64(row, first + 3);
	counts->quarantined_failed = sql_col_int64(row, first + 4);
	counts->flaky = sql_col_int64(row, first + 5);
}

/* Fill *job from a row of JOB_COLUMNS: 1, or -1 for a row we can't read. */
int
sql_job_fill(struct sql_row *row, struct job *job)
{
	const char *commit;

	memset(job, 0, sizeof *job);
	if (sql_col_state(row, 4, &job->state) == -1)
		return -1;
	job->id = sql_col_int64(row, 0);
	job->repo = sql_col_strdup(row, 1);
	commit = sql_col_text(row, 2);
	snprintf(job->commit, sizeof job->commit, "%s",
	    commit == NULL ? "" : commit);
	job->branch = sql_col_strdup(row, 3);
	job->attempt = (int)sql_col_int64_or(row, 5, 0);
	job->runner = sql_col_strdup(row, 6);
	job->created_ms = sql_col_int64_or(row, 7, 0);
	job->started_ms = sql_col_int64_or(row, 8, 0);
	job->finished_ms = sql_col_int64_or(row, 9, 0);
	job->exit_code = (int)sql_col_int64_or(row, 10, -1);
	job->duration_ms = sql_col_int64_or(row, 11, -1);
	job->tests.run = (int)sql_col_int64_or(row, 12, -1);
	job->tests.failed = (int)sql_col_int64_or(row, 13, -1);
	job->tests.skipped = (int)sql_col_int64_or(row, 14, -1);
	job->reason = sql_col_strdup(row, 15);
	job->subject = sql_col_strdup(row, 16);
	job->author = sql_col_strdup(row, 17);
	job->retry_of = sql_col_int64_or(row, 18, 0);
	job->pipeline = sql_col_int64_or(row, 19, job->id);
	if (sql_col_null(row, 20) ||
	    sql_col_state(row, 20, &job->pipeline_state) == -1)
		job->pipeline_state = job->state;
	job->name = sql_col_strdup(row, 21);
	job->spec = sql_col_strdup(row, 22);
	job->labels = sql_col_strdup(row, 23);
	job->allow_failure = (int)sql_col_int64_or(row, 24, 0);
	job->needs_pending = (int)sql_col_int64_or(row, 25, 0);
	job->flaky = (int)sql_col_int64_or(row, 26, 0);
	job->fail_retries = (int)sql_col_int64_or(row, 27, 0);
	job->shards = (int)sql_col_int64_or(row, 28, 0);
	job->shard_of = sql_col_int64_or(row, 29, 0);
	job->shard_index = (int)sql_col_int64_or(row, 30, 0);
	job->expected_ms = sql_col_int64_or(row, 31, -1);
	job->pr_title = sql_col_strdup(row, 32);
	job->pr_url = sql_col_strdup(row, 33);
	job->priority = (int)sql_col_int64_or(row, 34, 0);
	job->trigger = sql_col_strdup(row, 35);
	job->params = sql_col_strdup(row, 36);
	job->superseded_by = sql_col_strdup(row, 37);
	job->bisection = sql_col_int64_or(row, 38, 0);
	job->coalescing = (int)sql_col_int64_or(row, 39, 0);
	return 1;
}

/* Read one job row from a JOB_COLUMNS statement: 1, 0 if none, -1. */
int
sql_read_job(struct sql_store *store, enum store_stmt id, struct job *job)
{
	int rc, found = 0;

	rc = sql_step(store, id);
	if (rc == SQL_ROW)
		found = sql_job_fill(sql_row(store, id), job);
	sql_reset(store, id);
	if (found == -1)
		job_release(job);
	return rc == SQL_ERROR ? -1 : found;
}

int
sql_job_changed(struct sql_store *store, enum store_stmt st, int64_t id,
    const char *from)
{
	if (sql_changes_of(store, st) == 1)
		return 0;
	log_warnx("unable to %s %lld: it is not %s", store_sql[st].what,
	    (long long)id, from);
	return -1;
}

int
sql_update_job(struct sql_store *store, enum store_stmt st, int64_t id,
    const char *from)
{
	if (sql_run(store, st) == -1)
		return -1;
	return sql_job_changed(store, st, id, from);
}

/* Run a query for one number: 1 and *out set, 0 if no row, -1. */
int
sql_scalar(struct sql_store *store, enum store_stmt id, int64_t *out)
{
	int rc;

	rc = sql_step(store, id);
	if (rc == SQL_ROW)
		*out = sql_col_int64(sql_row(store, id), 0);
	sql_reset(store, id);
	if (rc == SQL_ROW)
		return 1;
	return rc == SQL_DONE ? 0 : -1;
}

/* A negative number means unknown and is stored as NULL. */
void
sql_bind_known(struct sql_store *store, enum store_stmt id, int idx,
    int64_t v)
{
	if (v < 0)
		store->driver->bind_null(store, id, idx);
	else
		sql_bind_int64(store, id, idx, v);
}

/* SPDX-License-Identifier: MIT */
/*
 * store_sql_query.c - the SQL store's read-only lists, for the web
 * pages, the JSON API and the command-line client: jobs by filter, the
 * queue, the latest job of every branch, counts.
 */
#include <stdlib.h>
#include <string.h>

#include "store_sql.h"
#include "util.h"

/* Step through the rows of statement id, a job each, calling cb. */
static int
sql_each_job(struct sql_store *store, enum store_stmt id, store_job_cb cb,
    void *arg)
{
	struct job job;
	int rc, n = 0, stop = 0;

	while (!stop && (rc = sql_step(store, id)) == SQL_ROW) {
		if (sql_job_fill(sql_row(store, id), &job) == -1)
			continue;
		stop = cb(&job, arg) == -1;
		job_release(&job);
		n++;
	}
	sql_reset(store, id);
	return rc == SQL_ERROR ? -1 : n;
}

int
sqlstore_list_jobs(struct store *base, const struct job_filter *filter,
    store_job_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_text(store, ST_JOB_LIST, 1, filter->repo);
	sql_bind_text(store, ST_JOB_LIST, 2, filter->branch);
	sql_bind_text(store, ST_JOB_LIST, 3, filter->state);
	if (filter->before > 0)
		sql_bind_int64(store, ST_JOB_LIST, 4, filter->before);
	sql_bind_int64(store, ST_JOB_LIST, 5, filter->limit);
	if (filter->pipelines)
		sql_bind_int64(store, ST_JOB_LIST, 6, 1);
	return sql_each_job(store, ST_JOB_LIST, cb, arg);
}

int
sqlstore_pipeline_jobs(struct store *base, int64_t id, store_job_cb cb,
    void *arg)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_PIPELINE_JOBS, 1, id);
	return sql_each_job(store, ST_PIPELINE_JOBS, cb, arg);
}

int
sqlstore_list_runnable(struct store *base, int limit, store_job_cb cb,
    void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_QUEUED_LANES);
	int64_t lanes[2] = { 0, 0 };
	int rc;

	/* One lane: its own order, without ranking (a quarter ms saved). */
	if ((rc = sql_step(store, ST_QUEUED_LANES)) == SQL_ROW) {
		lanes[0] = sql_col_int64_or(row, 0, 0);
		lanes[1] = sql_col_int64_or(row, 1, 0);
	}
	sql_reset(store, ST_QUEUED_LANES);
	if (rc != SQL_ROW)
		return -1;
	if (lanes[0] == 0)
		return 0;
	if (lanes[1] == 0) {
		sql_bind_int64(store, ST_LANE_RUNNABLE, 1, limit);
		sql_bind_int64(store, ST_LANE_RUNNABLE, 2, now_ms());
		sql_bind_int64(store, ST_LANE_RUNNABLE, 3, lanes[0]);
		return sql_each_job(store, ST_LANE_RUNNABLE, cb, arg);
	}
	sql_bind_int64(store, ST_RUNNABLE_LIST, 1, limit);
	sql_bind_int64(store, ST_RUNNABLE_LIST, 2, now_ms());
	return sql_each_job(store, ST_RUNNABLE_LIST, cb, arg);
}

int
sqlstore_list_queue(struct store *base, int limit, store_job_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_QUEUE_LIST, 1, limit);
	return sql_each_job(store, ST_QUEUE_LIST, cb, arg);
}

int
sqlstore_list_heads(struct store *base, store_job_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;

	return sql_each_job(store, ST_BRANCH_HEADS, cb, arg);
}

int
sqlstore_count_states(struct store *base, int64_t counts[JOB_STATES])
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_COUNT_STATES);
	enum job_state state;
	int rc;

	while ((rc = sql_step(store, ST_COUNT_STATES)) == SQL_ROW) {
		const char *name = sql_col_text(row, 0);

		if (name != NULL &&
		    job_state_parse(name, &state) == 0)
			counts[state] = sql_col_int64(row, 1);
	}
	sql_reset(store, ST_COUNT_STATES);
	return rc == SQL_DONE ? 0 : -1;
}

int
sqlstore_oldest_queued(struct store *base, int64_t *ms)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_OLDEST_QUEUED);
	int rc, found = 0;

	rc = sql_step(store, ST_OLDEST_QUEUED);
	if (rc == SQL_ROW && !sql_col_null(row, 0)) {
		*ms = sql_col_int64(row, 0);
		found = 1;
	}
	sql_reset(store, ST_OLDEST_QUEUED);
	return rc == SQL_ROW || rc == SQL_DONE ? found : -1;
}

int
sqlstore_job_by_commit(struct store *base, const char *prefix, struct job *job)
{
	struct sql_store *store = (struct sql_store *)base;
	size_t len = strlen(prefix);
	char past[65];
	int rc, found = 0;

	/*
	 * The ids that start with prefix are those from prefix up to, not
	 * including, prefix with its last digit raised by one: a range the
	 * commit_id index answers, where LIKE would read every row.  The
	 * digit after '9' is ':', which sorts below 'a' and above '9'.
	 */
	memcpy(past, prefix, len + 1);
	past[len - 1]++;
	sql_bind_text(store, ST_JOB_BY_COMMIT, 1, prefix);
	sql_bind_text(store, ST_JOB_BY_COMMIT, 2, past);
	rc = sql_step(store, ST_JOB_BY_COMMIT);
	if (rc == SQL_ROW)
		found = sql_job_fill(sql_row(store, ST_JOB_BY_COMMIT), job);
	sql_reset(store, ST_JOB_BY_COMMIT);
	if (rc != SQL_ROW && rc != SQL_DONE)
		return -1;
	return found == 1 ? 1 : found == -1 ? -1 : 0;
}

int
sqlstore_running_ids(struct store *base, int64_t **ids, size_t *n)
{
	struct sql_store *store = (struct sql_store *)base;
	size_t cap = 16;
	int rc;

	*n = 0;
	*ids = xcalloc(cap, sizeof **ids);
	while ((rc = sql_step(store, ST_RUNNING_IDS)) == SQL_ROW) {
		if (*n == cap)
			*ids = xrealloc(*ids, (cap *= 2) * sizeof **ids);
		(*ids)[(*n)++] = sql_col_int64(
		    sql_row(store, ST_RUNNING_IDS), 0);
	}
	sql_reset(store, ST_RUNNING_IDS);
	if (rc == SQL_DONE)
		return 0;
	free(*ids);
	*ids = NULL;
	*n = 0;
	return -1;
}

int
sqlstore_final_heads(struct store *base, const char *after, int limit,
    void (*cb)(const char *commit, int64_t id, void *arg), void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_FINAL_HEADS_PAGE);
	int rc, n = 0;

	sql_bind_text(store, ST_FINAL_HEADS_PAGE, 1, after);
	sql_bind_int64(store, ST_FINAL_HEADS_PAGE, 2, limit);
	while ((rc = sql_step(store, ST_FINAL_HEADS_PAGE)) == SQL_ROW) {
		const char *commit = sql_col_text(row, 0);

		if (commit != NULL)
			cb(commit, sql_col_int64(row, 1),
			    arg);
		n++;
	}
	sql_reset(store, ST_FINAL_HEADS_PAGE);
	return rc == SQL_DONE ? n : -1;
}

int
sqlstore_latest_final(struct store *base, const char *commit, int64_t *id)
{
	struct sql_store *store = (struct sql_store *)base;
	int found;

	sql_bind_text(store, ST_LATEST_FINAL, 1, commit);
	found = sql_scalar(store, ST_LATEST_FINAL, id);
	/* MAX over no rows is one NULL row. */
	return found == 1 && *id == 0 ? 0 : found;
}

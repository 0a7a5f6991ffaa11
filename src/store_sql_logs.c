/* SPDX-License-Identifier: MIT */
/*
 * store_sql_logs.c - the SQL store's copy of jobs' logs (store_keeps_logs):
 * each chunk a row, numbered in order within its job.
 */
#include "store_sql.h"

int
sqlstore_log_append(struct store *base, int64_t job, const void *data,
    size_t len)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_LOG_APPEND, 1, job);
	sql_bind_blob(store, ST_LOG_APPEND, 2, data, len);
	return sql_run(store, ST_LOG_APPEND);
}

int
sqlstore_log_clear(struct store *base, int64_t job)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_LOG_CLEAR, 1, job);
	return sql_run(store, ST_LOG_CLEAR);
}

int
sqlstore_log_copy(struct store *base, int64_t from, int64_t to)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_LOG_COPY, 1, from);
	sql_bind_int64(store, ST_LOG_COPY, 2, to);
	return sql_run(store, ST_LOG_COPY);
}

int
sqlstore_log_read(struct store *base, int64_t job, store_chunk_cb cb,
    void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_LOG_READ);
	const void *data;
	size_t len;
	int rc, n = 0;

	sql_bind_int64(store, ST_LOG_READ, 1, job);
	while ((rc = sql_step(store, ST_LOG_READ)) == SQL_ROW) {
		data = sql_col_blob(row, 0, &len);
		n++;
		if (cb(data, len, arg) == -1)
			break;
	}
	sql_reset(store, ST_LOG_READ);
	return rc == SQL_DONE || rc == SQL_ROW ? n : -1;
}

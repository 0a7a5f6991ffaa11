/* SPDX-License-Identifier: MIT */
/*
 * store_sql_artifacts.c - the SQL store's artifacts: a row per file
 * a job keeps (its path, size, SHA-256, mode and expiry), what a job's
 * needs left it, and the expired ones taken out in one transaction.  The
 * files themselves are the dispatcher's (artifact_prune.c, http_artifacts.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sql.h"
#include "util.h"

/* The expired rows a step takes out, copied before they go. */
struct artifact_rows {
	struct store_artifact *rows;
	char **paths;
	size_t n;
};

/* Fill *a from a row of ARTIFACT_COLUMNS; a->path is borrowed. */
static void
sqlstore_artifact_fill(struct sql_row *row, struct store_artifact *a)
{
	const char *sha = sql_col_text(row, 3);

	memset(a, 0, sizeof *a);
	a->job = sql_col_int64(row, 0);
	a->path = sql_col_text(row, 1);
	a->size = sql_col_int64(row, 2);
	if (sha != NULL)
		snprintf(a->sha256, sizeof a->sha256, "%s", sha);
	a->mode = (int)sql_col_int64(row, 4);
	a->created = sql_col_int64(row, 5);
	a->expires = sql_col_int64_or(row, 6, 0);
	if (a->path == NULL)
		a->path = "";
}

int
sqlstore_artifact_add(struct store *base, const struct store_artifact *a)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_ARTIFACT_ADD, 1, a->job);
	sql_bind_text(store, ST_ARTIFACT_ADD, 2, a->path);
	sql_bind_int64(store, ST_ARTIFACT_ADD, 3, a->size);
	sql_bind_text(store, ST_ARTIFACT_ADD, 4, a->sha256);
	sql_bind_int64(store, ST_ARTIFACT_ADD, 5, a->mode);
	sql_bind_int64(store, ST_ARTIFACT_ADD, 6, a->created);
	/* 0 (as long as the job) is kept as NULL. */
	sql_bind_known(store, ST_ARTIFACT_ADD, 7, a->expires > 0 ?
	    a->expires : -1);
	return sql_run(store, ST_ARTIFACT_ADD);
}

/* Call cb for each row of statement id (bound): how many, or -1. */
static int
sqlstore_artifact_list(struct sql_store *store, enum store_stmt id,
    store_artifact_cb cb, void *arg)
{
	struct store_artifact a;
	int rc, n = 0;

	while ((rc = sql_step(store, id)) == SQL_ROW) {
		sqlstore_artifact_fill(sql_row(store, id), &a);
		n++;
		if (cb(&a, arg) == -1)
			break;
	}
	sql_reset(store, id);
	return rc == SQL_DONE || rc == SQL_ROW ? n : -1;
}

int
sqlstore_artifacts_of_job(struct store *base, int64_t job,
    store_artifact_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_ARTIFACTS_OF_JOB, 1, job);
	return sqlstore_artifact_list(store, ST_ARTIFACTS_OF_JOB, cb, arg);
}

int
sqlstore_artifacts_of_needs(struct store *base, int64_t job,
    store_artifact_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_ARTIFACTS_OF_NEEDS, 1, job);
	return sqlstore_artifact_list(store, ST_ARTIFACTS_OF_NEEDS, cb, arg);
}

int
sqlstore_artifact_get(struct store *base, int64_t job, const char *path,
    struct store_artifact *out, char **path_out)
{
	struct sql_store *store = (struct sql_store *)base;
	int rc;

	sql_bind_int64(store, ST_ARTIFACT_GET, 1, job);
	sql_bind_text(store, ST_ARTIFACT_GET, 2, path);
	rc = sql_step(store, ST_ARTIFACT_GET);
	if (rc == SQL_ROW) {
		sqlstore_artifact_fill(sql_row(store, ST_ARTIFACT_GET), out);
		*path_out = xstrdup(out->path);
		out->path = *path_out;
	}
	sql_reset(store, ST_ARTIFACT_GET);
	if (rc == SQL_ROW)
		return 1;
	return rc == SQL_DONE ? 0 : -1;
}

static void
artifact_rows_release(struct artifact_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->paths[i]);
	free(r->paths);
	free(r->rows);
}

/* The expired rows, at most limit, into r: 0 or -1. */
static int
sqlstore_artifacts_expired(struct sql_store *store, int64_t now, int limit,
    struct artifact_rows *r)
{
	struct sql_row *row = sql_row(store, ST_ARTIFACTS_EXPIRED);
	int rc;

	sql_bind_int64(store, ST_ARTIFACTS_EXPIRED, 1, now);
	sql_bind_int64(store, ST_ARTIFACTS_EXPIRED, 2, limit);
	while ((rc = sql_step(store, ST_ARTIFACTS_EXPIRED)) == SQL_ROW) {
		r->rows = xrealloc(r->rows, (r->n + 1) * sizeof *r->rows);
		r->paths = xrealloc(r->paths, (r->n + 1) * sizeof *r->paths);
		sqlstore_artifact_fill(row, &r->rows[r->n]);
		r->paths[r->n] = xstrdup(r->rows[r->n].path);
		r->rows[r->n].path = r->paths[r->n];
		r->n++;
	}
	sql_reset(store, ST_ARTIFACTS_EXPIRED);
	return rc == SQL_DONE ? 0 : -1;
}

int
sqlstore_artifacts_expire(struct store *base, int64_t now, int limit,
    store_artifact_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct artifact_rows r = { NULL, NULL, 0 };
	size_t i;
	int rc = -1;

	if (sql_run(store, ST_BEGIN) == -1)
		return -1;
	if (sqlstore_artifacts_expired(store, now, limit, &r) == -1)
		goto fail;
	for (i = 0; i < r.n; i++) {
		sql_bind_int64(store, ST_ARTIFACT_REMOVE, 1, r.rows[i].job);
		sql_bind_text(store, ST_ARTIFACT_REMOVE, 2, r.rows[i].path);
		if (sql_run(store, ST_ARTIFACT_REMOVE) == -1)
			goto fail;
	}
	if (sql_commit(store) == -1)
		goto out;
	/* Gone from the store: now their files may go. */
	for (i = 0; i < r.n; i++)
		cb(&r.rows[i], arg);
	rc = (int)r.n;
	goto out;
fail:
	sql_rollback(store);
out:
	artifact_rows_release(&r);
	return rc;
}

int
sqlstore_artifacts_remove_job(struct store *base, int64_t job)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_ARTIFACTS_REMOVE_JOB, 1, job);
	if (sql_run(store, ST_ARTIFACTS_REMOVE_JOB) == -1)
		return -1;
	return sql_changes(store);
}

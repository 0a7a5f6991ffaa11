/* SPDX-License-Identifier: MIT */
/*
 * store_sql_secrets.c - the SQL store's secrets: a repository's
 * named values as store.c sealed them (the bytes it gives are all this
 * file ever sees), with the branches they are given to and when and by
 * whom each was last set.
 */
#include <stdlib.h>
#include <string.h>

#include "store_sql.h"
#include "util.h"

int
sqlstore_secret_set(struct store *base, const char *repo, const char *name,
    const unsigned char *sealed, size_t len, const char *branches,
    const char *by, int64_t now)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_text(store, ST_SECRET_SET, 1, repo);
	sql_bind_text(store, ST_SECRET_SET, 2, name);
	sql_bind_blob(store, ST_SECRET_SET, 3, sealed, len);
	sql_bind_text(store, ST_SECRET_SET, 4, branches);
	sql_bind_int64(store, ST_SECRET_SET, 5, now);
	sql_bind_text(store, ST_SECRET_SET, 6, by);
	return sql_run(store, ST_SECRET_SET);
}

int
sqlstore_secrets_list(struct store *base, const char *repo,
    store_secret_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_SECRET_LIST);
	struct secret_info s;
	int rc, n = 0;

	sql_bind_text(store, ST_SECRET_LIST, 1, repo);
	while ((rc = sql_step(store, ST_SECRET_LIST)) == SQL_ROW) {
		s = (struct secret_info){
			.repo = sql_col_text(row, 0),
			.name = sql_col_text(row, 1),
			.branches = sql_col_text(row, 2),
			.updated_ms = sql_col_int64(row, 3),
			.updated_by = sql_col_text(row, 4),
		};
		n++;
		if (cb(&s, arg) == -1)
			break;
	}
	sql_reset(store, ST_SECRET_LIST);
	return rc == SQL_DONE || rc == SQL_ROW ? n : -1;
}

int
sqlstore_secret_remove(struct store *base, const char *repo, const char *name)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_text(store, ST_SECRET_REMOVE, 1, repo);
	sql_bind_text(store, ST_SECRET_REMOVE, 2, name);
	if (sql_run(store, ST_SECRET_REMOVE) == -1)
		return -1;
	return sql_changes(store) > 0 ? 0 : 1;
}

int
sqlstore_secret_get(struct store *base, const char *repo, const char *name,
    unsigned char **sealed, size_t *len, char **branches)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_SECRET_GET);
	const void *blob;
	int rc;

	sql_bind_text(store, ST_SECRET_GET, 1, repo);
	sql_bind_text(store, ST_SECRET_GET, 2, name);
	rc = sql_step(store, ST_SECRET_GET);
	if (rc == SQL_ROW) {
		blob = sql_col_blob(row, 0, len);
		*sealed = xmalloc(*len + 1);
		if (*len > 0)
			memcpy(*sealed, blob, *len);
		*branches = sql_col_strdup(row, 1);
		if (*branches == NULL)
			*branches = xstrdup("");
	}
	sql_reset(store, ST_SECRET_GET);
	if (rc == SQL_ROW)
		return 1;
	return rc == SQL_DONE ? 0 : -1;
}

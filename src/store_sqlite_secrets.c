/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite_secrets.c - the SQLite store's secrets: a repository's
 * named values as store.c sealed them (the bytes it gives are all this
 * file ever sees), with the branches they are given to and when and by
 * whom each was last set.
 */
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "util.h"

int
sqlite_secret_set(struct store *base, const char *repo, const char *name,
    const unsigned char *sealed, size_t len, const char *branches,
    const char *by, int64_t now)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	sql_bind_text(store, ST_SECRET_SET, 1, repo);
	sql_bind_text(store, ST_SECRET_SET, 2, name);
	if (sqlite3_bind_blob(store->stmt[ST_SECRET_SET], 3, sealed, (int)len,
	    SQLITE_TRANSIENT) != SQLITE_OK)
		fatalx("unable to bind a secret in '%s'", store->path);
	sql_bind_text(store, ST_SECRET_SET, 4, branches);
	sql_bind_int64(store, ST_SECRET_SET, 5, now);
	sql_bind_text(store, ST_SECRET_SET, 6, by);
	return sql_run(store, ST_SECRET_SET);
}

int
sqlite_secrets_list(struct store *base, const char *repo,
    store_secret_cb cb, void *arg)
{
	struct store_sqlite *store = (struct store_sqlite *)base;
	sqlite3_stmt *stmt = store->stmt[ST_SECRET_LIST];
	struct secret_info s;
	int rc, n = 0;

	sql_bind_text(store, ST_SECRET_LIST, 1, repo);
	while ((rc = sql_step(store, ST_SECRET_LIST)) == SQLITE_ROW) {
		s = (struct secret_info){
			.repo = (const char *)sqlite3_column_text(stmt, 0),
			.name = (const char *)sqlite3_column_text(stmt, 1),
			.branches = (const char *)sqlite3_column_text(stmt, 2),
			.updated_ms = sqlite3_column_int64(stmt, 3),
			.updated_by = (const char *)sqlite3_column_text(stmt, 4),
		};
		n++;
		if (cb(&s, arg) == -1)
			break;
	}
	sql_reset(store, ST_SECRET_LIST);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? n : -1;
}

int
sqlite_secret_remove(struct store *base, const char *repo, const char *name)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	sql_bind_text(store, ST_SECRET_REMOVE, 1, repo);
	sql_bind_text(store, ST_SECRET_REMOVE, 2, name);
	if (sql_run(store, ST_SECRET_REMOVE) == -1)
		return -1;
	return sql_changes(store) > 0 ? 0 : 1;
}

int
sqlite_secret_get(struct store *base, const char *repo, const char *name,
    unsigned char **sealed, size_t *len, char **branches)
{
	struct store_sqlite *store = (struct store_sqlite *)base;
	sqlite3_stmt *stmt = store->stmt[ST_SECRET_GET];
	const void *blob;
	int rc, n;

	sql_bind_text(store, ST_SECRET_GET, 1, repo);
	sql_bind_text(store, ST_SECRET_GET, 2, name);
	rc = sql_step(store, ST_SECRET_GET);
	if (rc == SQLITE_ROW) {
		blob = sqlite3_column_blob(stmt, 0);
		n = sqlite3_column_bytes(stmt, 0);
		*len = n > 0 ? (size_t)n : 0;
		*sealed = xmalloc(*len + 1);
		if (*len > 0)
			memcpy(*sealed, blob, *len);
		*branches = sql_column_strdup(stmt, 1);
		if (*branches == NULL)
			*branches = xstrdup("");
	}
	sql_reset(store, ST_SECRET_GET);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

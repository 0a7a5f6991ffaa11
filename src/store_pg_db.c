/* SPDX-License-Identifier: MIT */
/*
 * store_pg_db.c - the PostgreSQL store's driver (store_sql.h): each
 * statement prepared once per session under its number, run with its
 * values sent apart from its text, and its rows read from the whole
 * result, kept until the statement's reset.  In a transaction each goes
 * through store_pg_tx.c, which also says when a change is durable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

static int
pg_step(struct sql_store *base, enum store_stmt id)
{
	struct store_pg *store = (struct store_pg *)base;
	struct pg_row *row = &store->rows[id];
	bool in_tx = pg_tx_open(store);
	bool alone = !in_tx &&
	    PQtransactionStatus(store->conn) == PQTRANS_IDLE;
	int64_t changes = store->total_changes;
	bool deferred = false;
	char name[16];
	PGresult *res;
	int changed;

	if (row->res != NULL)
		return ++row->at < PQntuples(row->res) ? SQL_ROW : SQL_DONE;
	if (!store->prepared[id])
		return SQL_DONE;	/* one PostgreSQL does without */
	snprintf(name, sizeof name, "s%d", (int)id);
	if (in_tx) {
		/* In a transaction: NULL is a failure said, or a change sent. */
		if ((res = pg_tx_run(store, id, name, row, &deferred)) == NULL)
			return deferred ? SQL_DONE : SQL_ERROR;
	} else
		res = PQexecPrepared(store->conn, name, row->nparams,
		    row->values, row->lengths, row->formats, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_fail(store, store_sql[id].what, res);
		return SQL_ERROR;
	}
	if ((changed = pg_cmd_changes(res)) >= 0) {
		store->changes = changed;
		row->changes = changed;
		store->total_changes += changed;
		if (alone)
			pg_committed(store, changes);
	}
	if (pg_returns_id[id]) {
		/* An INSERT ... SELECT that found nothing has no new id. */
		store->last_id = PQntuples(res) > 0 ?
		    strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
		PQclear(res);
		return SQL_DONE;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) == 0) {
		PQclear(res);
		return SQL_DONE;
	}
	row->res = res;
	row->at = 0;
	return SQL_ROW;
}

static void
pg_reset(struct sql_store *base, enum store_stmt id)
{
	struct pg_row *row = &((struct store_pg *)base)->rows[id];

	PQclear(row->res);
	row->res = NULL;
	PQfreemem(row->bytes);
	row->bytes = NULL;
	for (int i = 0; i < PG_PARAMS_MAX; i++) {
		free(row->owned[i]);
		row->owned[i] = NULL;
		row->values[i] = NULL;
		row->lengths[i] = 0;
		row->formats[i] = 0;
	}
}

/*
 * The slot of value idx (from 1), its old value dropped; -1 for a
 * statement PostgreSQL does without, whose values go nowhere.
 */
static int
pg_param(struct sql_store *base, enum store_stmt id, int idx)
{
	struct pg_row *row = &((struct store_pg *)base)->rows[id];

	if (!((struct store_pg *)base)->prepared[id])
		return -1;
	if (idx < 1 || idx > row->nparams)
		fatalx("unable to bind value %d to %s in '%s': it takes %d",
		    idx, store_sql[id].what, base->path, row->nparams);
	free(row->owned[idx - 1]);
	row->owned[idx - 1] = NULL;
	row->formats[idx - 1] = 0;
	row->lengths[idx - 1] = 0;
	return idx - 1;
}

static void
pg_bind_int64(struct sql_store *base, enum store_stmt id, int idx,
    int64_t v)
{
	struct pg_row *row = &((struct store_pg *)base)->rows[id];
	int i = pg_param(base, id, idx);

	if (i == -1)
		return;
	xasprintf(&row->owned[i], "%lld", (long long)v);
	row->values[i] = row->owned[i];
}

static void
pg_bind_null(struct sql_store *base, enum store_stmt id, int idx)
{
	struct pg_row *row = &((struct store_pg *)base)->rows[id];
	int i = pg_param(base, id, idx);

	if (i != -1)
		row->values[i] = NULL;
}

static void
pg_bind_text(struct sql_store *base, enum store_stmt id, int idx,
    const char *s)
{
	struct pg_row *row = &((struct store_pg *)base)->rows[id];
	int i = pg_param(base, id, idx);

	if (i == -1)
		return;
	row->owned[i] = xstrdup(s);
	row->values[i] = row->owned[i];
}

/* Bytes go in binary: bytea's binary form is the bytes themselves. */
static void
pg_bind_blob(struct sql_store *base, enum store_stmt id, int idx,
    const void *p, size_t len)
{
	struct pg_row *row = &((struct store_pg *)base)->rows[id];
	int i = pg_param(base, id, idx);

	if (i == -1)
		return;
	if (len > 1 << 30)
		fatalx("unable to bind %zu bytes to %s in '%s': too long", len,
		    store_sql[id].what, base->path);
	row->owned[i] = xmalloc(len > 0 ? len : 1);
	memcpy(row->owned[i], p, len);
	row->values[i] = row->owned[i];
	row->lengths[i] = (int)len;
	row->formats[i] = 1;
}

/* A change sent in a transaction's pipeline is counted once read. */
static int
pg_changes(struct sql_store *base)
{
	struct store_pg *store = (struct store_pg *)base;

	(void)pg_tx_settle(store);
	return store->changes;
}

static int
pg_changes_of(struct sql_store *base, enum store_stmt id)
{
	struct store_pg *store = (struct store_pg *)base;

	if (pg_tx_owes(store, id))
		(void)pg_tx_settle(store);
	return store->rows[id].changes;
}

static int64_t
pg_last_id(struct sql_store *base)
{
	return ((struct store_pg *)base)->last_id;
}

static struct sql_row *
pg_row(struct sql_store *base, enum store_stmt id)
{
	return &((struct store_pg *)base)->rows[id].base;
}

static bool
pg_col_null(struct sql_row *base, int col)
{
	struct pg_row *row = (struct pg_row *)base;

	return row->res == NULL || col >= PQnfields(row->res) ||
	    PQgetisnull(row->res, row->at, col);
}

/* NULL reads 0, as SQLite's; a boolean 1 or 0. */
static int64_t
pg_col_int64(struct sql_row *base, int col)
{
	struct pg_row *row = (struct pg_row *)base;
	const char *v;

	if (pg_col_null(base, col))
		return 0;
	v = PQgetvalue(row->res, row->at, col);
	if (*v == 't' || *v == 'f')
		return *v == 't';
	return strtoll(v, NULL, 10);
}

static const char *
pg_col_text(struct sql_row *base, int col)
{
	struct pg_row *row = (struct pg_row *)base;

	return pg_col_null(base, col) ? NULL :
	    PQgetvalue(row->res, row->at, col);
}

static const void *
pg_col_blob(struct sql_row *base, int col, size_t *len)
{
	struct pg_row *row = (struct pg_row *)base;

	*len = 0;
	if (pg_col_null(base, col))
		return NULL;
	PQfreemem(row->bytes);
	row->bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(
	    row->res, row->at, col), len);
	if (row->bytes == NULL)
		fatalx("unable to read a bytea column: out of memory");
	return row->bytes;
}

static int
pg_fd(struct sql_store *base)
{
	return PQsocket(((struct store_pg *)base)->conn);
}

/* Between statements only the server's goodbye comes: read it. */
static void
pg_poll(struct sql_store *base)
{
	struct store_pg *store = (struct store_pg *)base;

	(void)PQconsumeInput(store->conn);
	pg_check_lost(store);
}

static int pg_prepare_as(struct sql_store *base, enum store_stmt id,
    const char *sql);
static int pg_copy_done(struct sql_store *base);

const struct sql_driver pg_driver = {
	.close = pg_close,
	.sync_hold = pg_sync_hold,
	.sync_release = pg_sync_release,
	.fd = pg_fd,
	.poll = pg_poll,
	.prepare_as = pg_prepare_as,
	.copy_done = pg_copy_done,
	.step = pg_step,
	.reset = pg_reset,
	.bind_int64 = pg_bind_int64,
	.bind_null = pg_bind_null,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.row = pg_row,
	.col_int64 = pg_col_int64,
	.col_text = pg_col_text,
	.col_null = pg_col_null,
	.col_blob = pg_col_blob,
	.changes = pg_changes,
	.changes_of = pg_changes_of,
	.last_id = pg_last_id,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.begin_unsynced = pg_begin_unsynced,
	.commit_unsynced = pg_commit_unsynced,
};

/*
 * A statement's text for PostgreSQL: ?N written $N (no text has a ? in a
 * literal), RETURNING id added to the inserts whose id is read.
 * *nparams gets the highest N.
 */
static char *
pg_text(const char *in, bool returns_id, int *nparams)
{
	size_t len = strlen(in);
	char *out = xmalloc(len + sizeof " RETURNING id");
	char *o = out;

	*nparams = 0;
	for (const char *c = in; *c != '\0'; c++) {
		if (*c == '?') {
			int n = atoi(c + 1);

			if (n > *nparams)
				*nparams = n;
			*o++ = '$';
			continue;
		}
		*o++ = *c;
	}
	*o = '\0';
	if (returns_id)
		strcat(out, " RETURNING id");
	return out;
}

/*
 * Whether prepared statement name returns no rows: so a statement of
 * changes written WITH ... is one, which its text does not say.
 */
static bool
pg_returns_nothing(struct store_pg *store, const char *name)
{
	PGresult *res = PQdescribePrepared(store->conn, name);
	bool none = PQresultStatus(res) == PGRES_COMMAND_OK &&
	    PQnfields(res) == 0;

	PQclear(res);
	return none;
}

/* Prepare statement id as sql, under its number: 0, or -1 (said). */
int
pg_prepare_one(struct store_pg *store, enum store_stmt id, const char *sql)
{
	char name[16], *text, buf[512];
	PGresult *res;
	int n;

	text = pg_text(sql, pg_returns_id[id], &n);
	if (n > PG_PARAMS_MAX)
		fatalx("unable to prepare '%s': %d values, more than %d", text,
		    n, PG_PARAMS_MAX);
	snprintf(name, sizeof name, "s%d", (int)id);
	res = PQprepare(store->conn, name, text, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_warnx("unable to prepare '%s' for '%s': %s", text,
		    store->sql.path, pg_message(PQresultErrorMessage(res), buf,
		    sizeof buf));
		PQclear(res);
		free(text);
		return -1;
	}
	PQclear(res);
	store->reads[id] = strncmp(text, "SELECT", 6) == 0;
	/* A change that returns nothing need not be waited for alone. */
	store->deferrable[id] = !pg_returns_id[id] &&
	    (strncmp(text, "INSERT", 6) == 0 ||
	    strncmp(text, "UPDATE", 6) == 0 ||
	    strncmp(text, "DELETE", 6) == 0 ||
	    (strncmp(text, "WITH", 4) == 0 && pg_returns_nothing(store, name)));
	free(text);
	store->rows[id].nparams = n;
	store->prepared[id] = true;
	return 0;
}

static int
pg_prepare_as(struct sql_store *base, enum store_stmt id, const char *sql)
{
	struct store_pg *store = (struct store_pg *)base;
	char drop[32];

	pg_reset(base, id);
	if (store->prepared[id]) {
		snprintf(drop, sizeof drop, "DEALLOCATE s%d", (int)id);
		if (pg_exec(store, "drop a statement", drop) == -1)
			return -1;
		store->prepared[id] = false;
	}
	return pg_prepare_one(store, id, sql);
}

/* Rows copied in with their ids: each identity goes on after the last. */
static int
pg_copy_done(struct sql_store *base)
{
	return pg_exec((struct store_pg *)base, "set the next ids",
	    PG_NEXT_ID("repos") PG_NEXT_ID("jobs") PG_NEXT_ID("tests")
	    PG_NEXT_ID("outbox") PG_NEXT_ID("lanes")
	    PG_NEXT_ID("bisections"));
}

void
pg_close(struct sql_store *base)
{
	struct store_pg *store = (struct store_pg *)base;

	for (int i = 0; i < ST_MAX; i++)
		pg_reset(base, (enum store_stmt)i);
	if (store->conn != NULL)
		PQfinish(store->conn);
	free(store->sql.path);
	free(store->sql.repo_url);
	free(store);
}

/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite_db.c - the SQLite store's connection: opening in WAL mode
 * with synchronous=FULL (a change is on disk when its COMMIT returns, so a
 * dispatcher killed with -9 right after acknowledging a dispatch still has
 * the job when it restarts), migrations, prepared statements, and the
 * driver (store_sql.h) that the store's logic runs them through.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "util.h"

/* The statements compare with IS NOT DISTINCT FROM, which 3.39 brought. */
#if SQLITE_VERSION_NUMBER < 3039000
#error "SQLite 3.39 or later is needed"
#endif

/*
 * Failures that may pass without anyone changing the database: space or
 * I/O on its disk, another process holding it.
 */
static int
store_rc_transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		return 1;
	}
	return 0;
}

static int lite_sync(struct store_sqlite *store, bool full);

/*
 * A change made outside BEGIN ... COMMIT commits by itself, with the
 * synchronous mode of the moment: that must be FULL, or NORMAL while
 * holding, and then the release owes it a sync as it does a commit.
 */
static bool
lite_alone(struct store_sqlite *store, enum store_stmt id)
{
	sqlite3_stmt *stmt = store->rows[id].stmt;

	/* BEGIN IMMEDIATE is not read-only, but commits nothing itself. */
	return id != ST_BEGIN && sqlite3_get_autocommit(store->db) &&
	    !sqlite3_stmt_busy(stmt) && !sqlite3_stmt_readonly(stmt);
}

/* A change was committed (one that changed nothing wrote nothing):
 * synced if not holding, else owed to the release. */
static void
lite_committed(struct store_sqlite *store, int64_t changes_before)
{
	if (sqlite3_total_changes64(store->db) == changes_before)
		return;
	if (store->holding)
		store->owed = true;
	else
		store->sql.base.syncs++;
}

static int
lite_step(struct sql_store *base, enum store_stmt id)
{
	struct store_sqlite *store = (struct store_sqlite *)base;
	bool alone = lite_alone(store, id);
	int64_t changes = sqlite3_total_changes64(store->db);
	int rc;

	if (id == ST_BEGIN)
		store->changes_at_begin = changes;
	if (alone && store->unsynced != store->holding &&
	    lite_sync(store, !store->holding) == -1)
		return SQL_ERROR;
	rc = sqlite3_step(store->rows[id].stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("unable to %s in '%s': %s", store_sql[id].what,
		    base->path, sqlite3_errmsg(store->db));
		base->base.transient = store_rc_transient(rc);
		return SQL_ERROR;
	}
	if (alone)
		lite_committed(store, changes);
	if (rc == SQLITE_DONE)
		store->rows[id].changes = sqlite3_changes(store->db);
	return rc == SQLITE_ROW ? SQL_ROW : SQL_DONE;
}

static void
lite_reset(struct sql_store *base, enum store_stmt id)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	sqlite3_reset(store->rows[id].stmt);
	sqlite3_clear_bindings(store->rows[id].stmt);
}

/* Step a statement that returns no rows, and reset it: 0 or -1. */
static int
lite_step_done(struct store_sqlite *store, enum store_stmt id)
{
	int rc = lite_step(&store->sql, id);

	lite_reset(&store->sql, id);
	return rc == SQL_DONE ? 0 : -1;
}

/*
 * While holding, commits wait for no sync (the release syncs them all);
 * otherwise never a durable transaction while synchronous=NORMAL is left
 * from an unsynced one that was rolled back.
 */
static int
lite_begin(struct sql_store *base)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	if (store->unsynced != store->holding &&
	    lite_sync(store, !store->holding) == -1)
		return -1;
	return lite_step_done(store, ST_BEGIN);
}

/*
 * Binding fails only for a wrong index, out of memory or a value past
 * SQLite's limits, which proto's line limit rules out: all broken
 * invariants, so no caller has to handle it.
 */
static void
lite_bind_check(struct sql_store *base, enum store_stmt id, int rc)
{
	if (rc != SQLITE_OK)
		fatalx("unable to bind a value to %s in '%s': %s",
		    store_sql[id].what, base->path, sqlite3_errstr(rc));
}

static void
lite_bind_int64(struct sql_store *base, enum store_stmt id, int idx,
    int64_t v)
{
	lite_bind_check(base, id, sqlite3_bind_int64(
	    ((struct store_sqlite *)base)->rows[id].stmt, idx, v));
}

static void
lite_bind_null(struct sql_store *base, enum store_stmt id, int idx)
{
	lite_bind_check(base, id, sqlite3_bind_null(
	    ((struct store_sqlite *)base)->rows[id].stmt, idx));
}

/* The text is copied: callers' buffers are short-lived. */
static void
lite_bind_text(struct sql_store *base, enum store_stmt id, int idx,
    const char *s)
{
	lite_bind_check(base, id, sqlite3_bind_text(
	    ((struct store_sqlite *)base)->rows[id].stmt, idx, s, -1,
	    SQLITE_TRANSIENT));
}

static void
lite_bind_blob(struct sql_store *base, enum store_stmt id, int idx,
    const void *p, size_t len)
{
	if (len > INT_MAX)
		fatalx("unable to bind %zu bytes to %s in '%s': too long", len,
		    store_sql[id].what, base->path);
	lite_bind_check(base, id, sqlite3_bind_blob(
	    ((struct store_sqlite *)base)->rows[id].stmt, idx, p, (int)len,
	    SQLITE_TRANSIENT));
}

/* Roll back after an error, if SQLite has not done so already. */
static void
lite_rollback(struct sql_store *base)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	if (!sqlite3_get_autocommit(store->db))
		(void)lite_step_done(store, ST_ROLLBACK);
}

/* Commit, or roll back if that fails so no transaction is left open. */
static int
lite_commit_step(struct store_sqlite *store)
{
	if (lite_step_done(store, ST_COMMIT) == 0)
		return 0;
	lite_rollback(&store->sql);
	return -1;
}

static int
lite_commit(struct sql_store *base)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	if (lite_commit_step(store) == -1)
		return -1;
	lite_committed(store, store->changes_at_begin);
	return 0;
}

/*
 * synchronous=FULL or NORMAL for the commits that follow.  SQLite applies
 * this pragma when it compiles it, so it cannot be a prepared statement
 * run again: it is compiled each time, from a fixed text.
 */
static int
lite_sync(struct store_sqlite *store, bool full)
{
	char *err = NULL;

	if (sqlite3_exec(store->db, full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("unable to set the synchronous mode of '%s': %s",
		    store->sql.path, err != NULL ? err :
		    sqlite3_errmsg(store->db));
		sqlite3_free(err);
		return -1;
	}
	store->unsynced = !full;
	return 0;
}

/*
 * In WAL mode with synchronous=NORMAL the commit is kept through a kill -9
 * but waits for no fdatasync, and the next commit with synchronous=FULL
 * syncs the log with this one in it.  The mode cannot change inside a
 * transaction, so it is set before BEGIN and set back after COMMIT (or, if
 * the transaction was rolled back, by the next BEGIN).
 */
static int
lite_begin_unsynced(struct sql_store *base)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	if (!store->unsynced && lite_sync(store, false) == -1)
		return -1;
	return lite_step_done(store, ST_BEGIN);
}

static int
lite_commit_unsynced(struct sql_store *base)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	if (lite_commit_step(store) == -1)
		return -1;
	/* Committed whatever follows: a failure here leaves the mode for
	 * the next BEGIN to set back.  While holding, NORMAL stays. */
	if (!store->holding)
		(void)lite_sync(store, true);
	return 0;
}

static int
lite_changes(struct sql_store *base)
{
	return sqlite3_changes(((struct store_sqlite *)base)->db);
}

static int
lite_changes_of(struct sql_store *base, enum store_stmt id)
{
	return ((struct store_sqlite *)base)->rows[id].changes;
}

static int64_t
lite_last_id(struct sql_store *base)
{
	return sqlite3_last_insert_rowid(((struct store_sqlite *)base)->db);
}

/* With SQLite a statement is its own current row. */
static struct sql_row *
lite_row(struct sql_store *base, enum store_stmt id)
{
	return &((struct store_sqlite *)base)->rows[id].base;
}

static sqlite3_stmt *
lite_stmt(struct sql_row *row)
{
	return ((struct sqlite_row *)row)->stmt;
}

static int64_t
lite_col_int64(struct sql_row *row, int col)
{
	return sqlite3_column_int64(lite_stmt(row), col);
}

static const char *
lite_col_text(struct sql_row *row, int col)
{
	return (const char *)sqlite3_column_text(lite_stmt(row), col);
}

static bool
lite_col_null(struct sql_row *row, int col)
{
	return sqlite3_column_type(lite_stmt(row), col) == SQLITE_NULL;
}

static const void *
lite_col_blob(struct sql_row *row, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(lite_stmt(row), col);
	int n = sqlite3_column_bytes(lite_stmt(row), col);

	*len = n > 0 ? (size_t)n : 0;
	return p;
}

/* A file: no connection to watch. */
static int
lite_fd(struct sql_store *base)
{
	(void)base;
	return -1;
}

static void
lite_poll(struct sql_store *base)
{
	(void)base;
}

/* Statement id is sql from now on (a copy's: one table after another). */
static int
lite_prepare_as(struct sql_store *base, enum store_stmt id, const char *sql)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	sqlite3_finalize(store->rows[id].stmt);
	store->rows[id].stmt = NULL;
	if (sqlite3_prepare_v2(store->db, sql, -1, &store->rows[id].stmt,
	    NULL) != SQLITE_OK) {
		log_warnx("unable to prepare '%s' for '%s': %s", sql,
		    store->sql.path, sqlite3_errmsg(store->db));
		return -1;
	}
	return 0;
}

/* A row's id given to an INTEGER PRIMARY KEY is SQLite's next one's base. */
static int
lite_copy_done(struct sql_store *base)
{
	(void)base;
	return 0;
}

static void lite_close(struct sql_store *base);
static void lite_sync_hold(struct sql_store *base);
static void lite_sync_release(struct sql_store *base);

static const struct sql_driver sqlite_driver = {
	.close = lite_close,
	.sync_hold = lite_sync_hold,
	.sync_release = lite_sync_release,
	.fd = lite_fd,
	.poll = lite_poll,
	.prepare_as = lite_prepare_as,
	.copy_done = lite_copy_done,
	.step = lite_step,
	.reset = lite_reset,
	.bind_int64 = lite_bind_int64,
	.bind_null = lite_bind_null,
	.bind_text = lite_bind_text,
	.bind_blob = lite_bind_blob,
	.row = lite_row,
	.col_int64 = lite_col_int64,
	.col_text = lite_col_text,
	.col_null = lite_col_null,
	.col_blob = lite_col_blob,
	.changes = lite_changes,
	.changes_of = lite_changes_of,
	.last_id = lite_last_id,
	.begin = lite_begin,
	.commit = lite_commit,
	.rollback = lite_rollback,
	.begin_unsynced = lite_begin_unsynced,
	.commit_unsynced = lite_commit_unsynced,
};

static void
lite_sync_hold(struct sql_store *base)
{
	((struct store_sqlite *)base)->holding = true;
}

/*
 * The commits made while holding are in the write-ahead log, written but
 * not synced: one sync of the log keeps them all, as the commit of the
 * last with synchronous=FULL would have.  SQLite hands out the log's file
 * (SQLITE_FCNTL_JOURNAL_POINTER) so that no empty transaction is needed.
 */
static void
lite_sync_release(struct sql_store *base)
{
	struct store_sqlite *store = (struct store_sqlite *)base;
	sqlite3_file *wal = NULL;
	int rc;

	store->holding = false;
	if (!store->owed)
		return;
	rc = sqlite3_file_control(store->db, "main",
	    SQLITE_FCNTL_JOURNAL_POINTER, &wal);
	if (rc == SQLITE_OK && (wal == NULL || wal->pMethods == NULL))
		rc = SQLITE_MISUSE;
	if (rc == SQLITE_OK)
		rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
	/*
	 * The commits are visible, and after a failed sync the kernel may
	 * have dropped the log's pages: a later sync that succeeds would not
	 * make them kept, and a hole in the log ends its recovery there.
	 * Only a start again knows what the disk holds.
	 */
	if (rc != SQLITE_OK)
		fatalx("unable to sync '%s-wal': %s; stopping, so that the "
		    "next start recovers what the disk holds", store->sql.path,
		    sqlite3_errstr(rc));
	store->owed = false;
	base->base.syncs++;
}

/* Run a fixed script (no values in it) at open time. */
static int
store_exec(struct store_sqlite *store, const char *what, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(store->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("unable to %s '%s': %s", what, store->sql.path,
		    err != NULL ? err : sqlite3_errmsg(store->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Read one integer from a one-off query at open time. */
static int
store_query_int(struct store_sqlite *store, const char *sql, int *out)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*out = sqlite3_column_int(stmt, 0);
	if (rc != SQLITE_ROW)
		log_warnx("unable to read '%s': %s", store->sql.path,
		    sqlite3_errmsg(store->db));
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Retention gives pages back as it removes rows, which needs incremental
 * auto-vacuum: set on a new database before anything is written to it
 * (WAL mode too), or once by a VACUUM on one made before retention was.
 */
static int
store_auto_vacuum(struct store_sqlite *store)
{
	int mode, tables;

	if (store_query_int(store, "PRAGMA auto_vacuum", &mode) == -1 ||
	    store_query_int(store, "SELECT COUNT(*) FROM sqlite_schema",
	    &tables) == -1)
		return -1;
	if (mode == 2)
		return 0;
	if (tables == 0)
		return store_exec(store, "set up",
		    "PRAGMA auto_vacuum = INCREMENTAL");
	log_info("'%s' gives space back from now on: rewriting it once",
	    store->sql.path);
	return store_exec(store, "rewrite",
	    "PRAGMA auto_vacuum = INCREMENTAL; VACUUM");
}

/*
 * WAL makes a commit one append and lets readers go on during a write; a
 * filesystem without shared memory refuses it, and then we want to know.
 */
static int
store_connect(struct store_sqlite *store)
{
	int rc, wal;

	rc = sqlite3_open_v2(store->sql.path, &store->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		log_warnx("unable to open '%s': %s", store->sql.path,
		    store->db != NULL ? sqlite3_errmsg(store->db) :
		    sqlite3_errstr(rc));
		return -1;
	}
	sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS);
	if (store_auto_vacuum(store) == -1)
		return -1;
	if (store_exec(store, "set up", "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = FULL; PRAGMA journal_mode = WAL;") == -1 ||
	    store_query_int(store, "SELECT journal_mode = 'wal' "
	    "FROM pragma_journal_mode", &wal) == -1)
		return -1;
	if (!wal) {
		log_warnx("unable to use '%s': WAL mode refused",
		    store->sql.path);
		return -1;
	}
	return 0;
}

/*
 * Apply one pending migration inside its own transaction.  The version is
 * read after BEGIN IMMEDIATE so that two processes opening the same new
 * database cannot both run a migration.  Returns 1 when the schema is
 * current, 0 after a step, -1 on error.
 */
static int
store_migrate_step(struct store_sqlite *store)
{
	int version, after;

	if (store_exec(store, "lock", "BEGIN IMMEDIATE") == -1)
		return -1;
	if (store_query_int(store, "PRAGMA user_version", &version) == -1)
		goto fail;
	if (version < 0 || version > store_version) {
		log_warnx("unable to use '%s': its schema version %d is newer "
		    "than this ssci knows (%d)", store->sql.path, version,
		    store_version);
		goto fail;
	}
	if (version == store_version)
		return store_exec(store, "commit", "COMMIT") == 0 ? 1 : -1;
	if (store_exec(store, "migrate", store_migrations[version]) == -1 ||
	    store_query_int(store, "PRAGMA user_version", &after) == -1)
		goto fail;
	if (after != version + 1) {
		log_warnx("unable to migrate '%s': migration %d set version %d",
		    store->sql.path, version + 1, after);
		goto fail;
	}
	if (store_exec(store, "commit", "COMMIT") == -1)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
store_migrate(struct store_sqlite *store)
{
	int rc;

	while ((rc = store_migrate_step(store)) == 0)
		continue;
	return rc == 1 ? 0 : -1;
}

static int
store_prepare(struct store_sqlite *store)
{
	for (int i = 0; i < ST_MAX; i++) {
		if (sqlite3_prepare_v3(store->db, store_sql[i].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &store->rows[i].stmt, NULL) !=
		    SQLITE_OK) {
			log_warnx("unable to prepare '%s' for '%s': %s",
			    store_sql[i].sql, store->sql.path,
			    sqlite3_errmsg(store->db));
			return -1;
		}
	}
	return 0;
}

struct store *
sqlite_store_open(const char *file)
{
	struct store_sqlite *store;

	store = xcalloc(1, sizeof *store);
	store->sql.driver = &sqlite_driver;
	for (int i = 0; i < ST_MAX; i++)
		store->rows[i].base.driver = &sqlite_driver;
	store->sql.path = xstrdup(file);
	if (store_connect(store) == -1 || store_migrate(store) == -1 ||
	    store_prepare(store) == -1) {
		lite_close(&store->sql);
		return NULL;
	}
	return &store->sql.base;
}

static void
lite_close(struct sql_store *base)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(store->rows[i].stmt);
	if (sqlite3_close(store->db) != SQLITE_OK)
		log_warnx("unable to close '%s': %s", store->sql.path,
		    sqlite3_errmsg(store->db));
	free(store->sql.path);
	free(store->sql.repo_url);
	free(store);
}

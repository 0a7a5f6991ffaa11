/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite_db.c - the SQLite store's connection: opening in WAL mode
 * with synchronous=FULL (a change is on disk when its COMMIT returns, so a
 * dispatcher killed with -9 right after acknowledging a dispatch still has
 * the job when it restarts), migrations, prepared statements, and the
 * helpers the other store_sqlite files run them with.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "util.h"



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

static int sql_sync(struct store_sqlite *store, bool full);

/*
 * A change made outside BEGIN ... COMMIT commits by itself, with the
 * synchronous mode of the moment: that must be FULL, or NORMAL while
 * holding, and then the release owes it a sync as it does a commit.
 */
static bool
sql_alone(struct store_sqlite *store, enum store_stmt id)
{
	sqlite3_stmt *stmt = store->stmt[id];

	/* BEGIN IMMEDIATE is not read-only, but commits nothing itself. */
	return id != ST_BEGIN && sqlite3_get_autocommit(store->db) &&
	    !sqlite3_stmt_busy(stmt) && !sqlite3_stmt_readonly(stmt);
}

/* A change was committed (one that changed nothing wrote nothing):
 * synced if not holding, else owed to the release. */
static void
sql_committed(struct store_sqlite *store, int64_t changes_before)
{
	if (sqlite3_total_changes64(store->db) == changes_before)
		return;
	if (store->holding)
		store->owed = true;
	else
		store->base.syncs++;
}

/* Step a statement; anything but a row or the end is logged. */
int
sql_step(struct store_sqlite *store, enum store_stmt id)
{
	bool alone = sql_alone(store, id);
	int64_t changes = sqlite3_total_changes64(store->db);
	int rc;

	if (id == ST_BEGIN)
		store->changes_at_begin = changes;
	if (alone && store->unsynced != store->holding &&
	    sql_sync(store, !store->holding) == -1)
		return SQL_ERROR;
	rc = sqlite3_step(store->stmt[id]);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("unable to %s in '%s': %s", store_sql[id].what,
		    store->path, sqlite3_errmsg(store->db));
		store->base.transient = store_rc_transient(rc);
		return SQL_ERROR;
	}
	if (alone)
		sql_committed(store, changes);
	return rc == SQLITE_ROW ? SQL_ROW : SQL_DONE;
}

/* Make a statement ready for its next use, dropping old values. */
void
sql_reset(struct store_sqlite *store, enum store_stmt id)
{
	sqlite3_reset(store->stmt[id]);
	sqlite3_clear_bindings(store->stmt[id]);
}

/* Step a statement that returns no rows, and reset it: 0 or -1. */
static int
sql_step_done(struct store_sqlite *store, enum store_stmt id)
{
	int rc = sql_step(store, id);

	sql_reset(store, id);
	return rc == SQL_DONE ? 0 : -1;
}

/* Run a statement that returns no rows: 0 or -1. */
int
sql_run(struct store_sqlite *store, enum store_stmt id)
{
	/* While holding, commits wait for no sync (the release syncs them
	 * all); otherwise never a durable transaction while synchronous=NORMAL
	 * is left from an unsynced one that was rolled back. */
	if (id == ST_BEGIN && store->unsynced != store->holding &&
	    sql_sync(store, !store->holding) == -1)
		return -1;
	return sql_step_done(store, id);
}

/* Run a query for one number: 1 and *out set, 0 if no row, -1. */
int
sql_scalar(struct store_sqlite *store, enum store_stmt id, int64_t *out)
{
	int rc;

	rc = sql_step(store, id);
	if (rc == SQL_ROW)
		*out = sqlite3_column_int64(store->stmt[id], 0);
	sql_reset(store, id);
	if (rc == SQL_ROW)
		return 1;
	return rc == SQL_DONE ? 0 : -1;
}

/*
 * Binding fails only for a wrong index, out of memory or a value past
 * SQLite's limits, which proto's line limit rules out: all broken
 * invariants, so no caller has to handle it.
 */
static void
sql_bind_check(struct store_sqlite *store, enum store_stmt id, int rc)
{
	if (rc != SQLITE_OK)
		fatalx("unable to bind a value to %s in '%s': %s",
		    store_sql[id].what, store->path, sqlite3_errstr(rc));
}

void
sql_bind_int64(struct store_sqlite *store, enum store_stmt id, int idx, int64_t v)
{
	sql_bind_check(store, id, sqlite3_bind_int64(store->stmt[id], idx,
	    v));
}

/* A negative number means unknown and is stored as NULL. */
void
sql_bind_known(struct store_sqlite *store, enum store_stmt id, int idx, int64_t v)
{
	if (v < 0)
		sql_bind_check(store, id, sqlite3_bind_null(store->stmt[id],
		    idx));
	else
		sql_bind_int64(store, id, idx, v);
}

/* NULL binds NULL; the text is copied, callers' buffers are short-lived. */
void
sql_bind_text(struct store_sqlite *store, enum store_stmt id, int idx,
    const char *s)
{
	sql_bind_check(store, id, sqlite3_bind_text(store->stmt[id], idx, s,
	    -1, SQLITE_TRANSIENT));
}

/* The bytes are copied, as text is. */
void
sql_bind_blob(struct store_sqlite *store, enum store_stmt id, int idx,
    const void *p, size_t len)
{
	if (len > INT_MAX)
		fatalx("unable to bind %zu bytes to %s in '%s': too long", len,
		    store_sql[id].what, store->path);
	sql_bind_check(store, id, sqlite3_bind_blob(store->stmt[id], idx, p,
	    (int)len, SQLITE_TRANSIENT));
}

/* Roll back after an error, if SQLite has not done so already. */
void
sql_rollback(struct store_sqlite *store)
{
	if (!sqlite3_get_autocommit(store->db))
		sql_run(store, ST_ROLLBACK);
}

/* Commit, or roll back if that fails so no transaction is left open. */
static int
sql_commit_step(struct store_sqlite *store)
{
	if (sql_step_done(store, ST_COMMIT) == 0)
		return 0;
	sql_rollback(store);
	return -1;
}

int
sql_commit(struct store_sqlite *store)
{
	if (sql_commit_step(store) == -1)
		return -1;
	sql_committed(store, store->changes_at_begin);
	return 0;
}

/*
 * synchronous=FULL or NORMAL for the commits that follow.  SQLite applies
 * this pragma when it compiles it, so it cannot be a prepared statement
 * run again: it is compiled each time, from a fixed text.
 */
static int
sql_sync(struct store_sqlite *store, bool full)
{
	char *err = NULL;

	if (sqlite3_exec(store->db, full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("unable to set the synchronous mode of '%s': %s",
		    store->path, err != NULL ? err : sqlite3_errmsg(store->db));
		sqlite3_free(err);
		return -1;
	}
	store->unsynced = !full;
	return 0;
}

/*
 * For a change whose loss to a power cut costs nothing (a job's start: the
 * job is then queued again, and its runner's register adopts it): in WAL
 * mode with synchronous=NORMAL the commit is kept through a kill -9 but
 * waits for no fdatasync, and the next commit with synchronous=FULL syncs
 * the log with this one in it.  The mode cannot change inside a
 * transaction, so it is set before BEGIN and set back after COMMIT (or, if
 * the transaction was rolled back, by the next BEGIN).
 */
int
sql_begin_unsynced(struct store_sqlite *store)
{
	if (!store->unsynced && sql_sync(store, false) == -1)
		return -1;
	return sql_step_done(store, ST_BEGIN);
}

int
sql_commit_unsynced(struct store_sqlite *store)
{
	if (sql_commit_step(store) == -1)
		return -1;
	/* Committed whatever follows: a failure here leaves the mode for
	 * the next BEGIN to set back.  While holding, NORMAL stays. */
	if (!store->holding)
		(void)sql_sync(store, true);
	return 0;
}

void
sql_sync_hold(struct store *base)
{
	((struct store_sqlite *)base)->holding = true;
}

/*
 * The commits made while holding are in the write-ahead log, written but
 * not synced: one sync of the log keeps them all, as the commit of the
 * last with synchronous=FULL would have.  SQLite hands out the log's file
 * (SQLITE_FCNTL_JOURNAL_POINTER) so that no empty transaction is needed.
 */
void
sql_sync_release(struct store *base)
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
		    "next start recovers what the disk holds", store->path,
		    sqlite3_errstr(rc));
	store->owed = false;
	base->syncs++;
}

/* With SQLite a statement is its own current row. */
struct sql_row *
sql_row(struct store_sqlite *store, enum store_stmt id)
{
	return (struct sql_row *)store->stmt[id];
}

int64_t
sql_col_int64(struct sql_row *row, int col)
{
	return sqlite3_column_int64((sqlite3_stmt *)row, col);
}

const char *
sql_col_text(struct sql_row *row, int col)
{
	return (const char *)sqlite3_column_text((sqlite3_stmt *)row, col);
}

bool
sql_col_null(struct sql_row *row, int col)
{
	return sqlite3_column_type((sqlite3_stmt *)row, col) == SQLITE_NULL;
}

const void *
sql_col_blob(struct sql_row *row, int col, size_t *len)
{
	const void *p = sqlite3_column_blob((sqlite3_stmt *)row, col);
	int n = sqlite3_column_bytes((sqlite3_stmt *)row, col);

	*len = n > 0 ? (size_t)n : 0;
	return p;
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

/* Run a fixed script (no values in it) at open time. */
static int
store_exec(struct store_sqlite *store, const char *what, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(store->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("unable to %s '%s': %s", what, store->path,
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
		log_warnx("unable to read '%s': %s", store->path,
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
	    store->path);
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

	rc = sqlite3_open_v2(store->path, &store->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("unable to open '%s': %s", store->path,
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
		log_warnx("unable to use '%s': WAL mode refused", store->path);
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
		    "than this ssci knows (%d)", store->path, version,
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
		    store->path, version + 1, after);
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
		    SQLITE_PREPARE_PERSISTENT, &store->stmt[i], NULL) !=
		    SQLITE_OK) {
			log_warnx("unable to prepare '%s' for '%s': %s",
			    store_sql[i].sql, store->path,
			    sqlite3_errmsg(store->db));
			return -1;
		}
	}
	return 0;
}

struct store *
sql_open(const char *dir)
{
	struct store_sqlite *store;

	if (mkdir_p(dir) == -1)
		return NULL;

	store = xcalloc(1, sizeof *store);
	xasprintf(&store->path, "%s/ssci.db", dir);
	if (store_connect(store) == -1 || store_migrate(store) == -1 ||
	    store_prepare(store) == -1) {
		sql_close(&store->base);
		return NULL;
	}
	return &store->base;
}

void
sql_close(struct store *base)
{
	struct store_sqlite *store = (struct store_sqlite *)base;

	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(store->stmt[i]);
	if (sqlite3_close(store->db) != SQLITE_OK)
		log_warnx("unable to close '%s': %s", store->path,
		    sqlite3_errmsg(store->db));
	free(store->path);
	free(store);
}

/* Read one job row from a JOB_COLUMNS statement: 1, 0 if none, -1. */
int
sql_read_job(struct store_sqlite *store, enum store_stmt id, struct job *job)
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

/* Run an update of one job that must be in state from: 0 or -1. */
int
sql_update_job(struct store_sqlite *store, enum store_stmt st, int64_t id,
    const char *from)
{
	if (sql_run(store, st) == -1)
		return -1;
	if (sql_changes(store) == 1)
		return 0;
	log_warnx("unable to %s %lld: it is not %s", store_sql[st].what,
	    (long long)id, from);
	return -1;
}

int
sql_changes(struct store_sqlite *store)
{
	return sqlite3_changes(store->db);
}

int64_t
sql_last_id(struct store_sqlite *store)
{
	return sqlite3_last_insert_rowid(store->db);
}

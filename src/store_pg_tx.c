/* SPDX-License-Identifier: MIT */
/*
 * store_pg_tx.c - the PostgreSQL store's transactions.  Reads before a
 * transaction's first change run outside it.  From that change on, its
 * statements go out in libpq's pipeline mode: its BEGIN with the change,
 * and a change whose result nobody reads (an INSERT, UPDATE or
 * DELETE that returns nothing) with the next statement that is read, or
 * with the COMMIT, instead of in a round trip of its own.  The round
 * trips are the store's cost on PostgreSQL (docs/PERFORMANCE.md).  A
 * failure is said once, for the statement that failed, and fails the
 * next statement read or the commit, which then rolls back: the callers
 * roll back on any failure already.
 *
 * The session commits without waiting for the server's disk
 * (synchronous_commit off).  A transaction that changed something waits
 * in its own commit, in the same round trip: when not held, and when it
 * is the first of those held (most holds commit once, and a flush at the
 * release would be a round trip more).  Those after it are made durable
 * by one flush at the release.  A job's start waits for none, as with
 * SQLite.
 */
#include <stdio.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

/*
 * The commits so far made durable: a commit with synchronous_commit on
 * that wrote to the log waits until the log is on the server's disk up to
 * itself, and so up to every commit before it.  One that wrote nothing
 * waits for nothing, so this one rewrites store_meta's row.  When it
 * fails, whether they are kept is the server's to say: stop (a lost
 * connection has the dispatcher stand by first), and let the next start
 * read what the server holds.
 */
static void
pg_flush(struct store_pg *store)
{
	if (pg_exec(store, "sync the commits", "BEGIN; SET LOCAL "
	    "synchronous_commit = on; UPDATE store_meta SET version = version; "
	    "COMMIT") == -1)
		fatalx("unable to know the commits in '%s' kept; stopping, so "
		    "that the next start reads what the server holds",
		    store->sql.path);
	store->sql.base.syncs++;
}

void
pg_committed(struct store_pg *store, int64_t changes_before)
{
	if (store->total_changes == changes_before)
		return;
	if (store->holding)
		store->owed = true;
	else
		pg_flush(store);
}

bool
pg_tx_open(const struct store_pg *store)
{
	return store->begin_owed || store->piped;
}

/*
 * Send one of the fixed statements prepared at open (PG_TX_BEGIN and the
 * like: parsed once, not at every transaction) into the pipeline, its
 * result owed as id's.
 */
static int
pg_tx_send_fixed(struct store_pg *store, enum store_stmt id,
    const char *name)
{
	if (PQsendQueryPrepared(store->conn, name, 0, NULL, NULL, NULL,
	    0) != 1)
		return -1;
	store->pending[store->npending++] = id;
	return 0;
}

/* The pipeline gone with the connection: nothing more comes. */
static void
pg_tx_lost(struct store_pg *store, const char *what)
{
	pg_fail(store, what, NULL);
	store->npending = 0;
	store->piped = false;
	store->tx_failed = true;
}

/*
 * End the pipeline's batch and read every result owed, in order: each
 * change's rows counted, the first failure said.  *last, when not NULL,
 * gets the last query's result, unread (the caller's, and it says its
 * failure unless an earlier one was said).  0, or -1.
 */
static int
pg_tx_read(struct store_pg *store, PGresult **last)
{
	const char *what = NULL;
	PGresult *res, *end;
	int n = store->npending, changed;
	enum store_stmt id;

	if (last != NULL)
		*last = NULL;
	if (n == 0)
		return store->tx_failed ? -1 : 0;
	if (PQpipelineSync(store->conn) != 1) {
		pg_tx_lost(store, store_sql[store->pending[n - 1]].what);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		id = store->pending[i];
		what = store_sql[id].what;
		if ((res = PQgetResult(store->conn)) == NULL) {
			pg_tx_lost(store, what);
			return -1;
		}
		/* Each query's results end with a NULL. */
		while ((end = PQgetResult(store->conn)) != NULL)
			PQclear(end);
		if (i == n - 1 && last != NULL) {
			*last = res;
			break;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED)
			PQclear(res);	/* after a failure said already */
		else if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK) {
			if (!store->tx_failed)
				pg_fail(store, what, res);
			else
				PQclear(res);
			store->tx_failed = true;
		} else {
			if ((changed = pg_cmd_changes(res)) >= 0) {
				store->changes = changed;
				store->rows[id].changes = changed;
				store->total_changes += changed;
			}
			PQclear(res);
		}
	}
	store->npending = 0;
	res = PQgetResult(store->conn);
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
		PQclear(res);
		if (last != NULL) {
			PQclear(*last);
			*last = NULL;
		}
		pg_tx_lost(store, what);
		return -1;
	}
	PQclear(res);
	return store->tx_failed ? -1 : 0;
}

/* Leave pipeline mode, every result read: the transaction is over. */
static void
pg_tx_unpipe(struct store_pg *store)
{
	if (store->piped && store->npending > 0)
		(void)pg_tx_read(store, NULL);
	if (store->piped)
		(void)PQexitPipelineMode(store->conn);
	store->piped = false;
	store->npending = 0;
}

/* The transaction's BEGIN, owed to its first statement, sent. */
static int
pg_tx_start(struct store_pg *store)
{
	store->begin_owed = false;
	store->tx_failed = false;
	store->tx_wrote = false;
	if (PQenterPipelineMode(store->conn) != 1) {
		pg_fail(store, store_sql[ST_BEGIN].what, NULL);
		return -1;
	}
	store->piped = true;
	if (pg_tx_send_fixed(store, ST_BEGIN, PG_TX_BEGIN) == -1) {
		pg_tx_lost(store, store_sql[ST_BEGIN].what);
		return -1;
	}
	return 0;
}

PGresult *
pg_tx_run(struct store_pg *store, enum store_stmt id, const char *name,
    const struct pg_row *row, bool *deferred)
{
	PGresult *res;

	*deferred = false;
	/*
	 * Reads before its first change need no transaction: this session
	 * is the database's only writer (the active lock), and it writes
	 * nothing between them.  A transaction that only reads costs no
	 * BEGIN and no COMMIT.
	 */
	if (store->begin_owed && store->reads[id])
		return PQexecPrepared(store->conn, name, row->nparams,
		    row->values, row->lengths, row->formats, 0);
	if (store->begin_owed && pg_tx_start(store) == -1)
		return NULL;
	if (!store->piped || store->tx_failed)
		return NULL;	/* said */
	if (PQsendQueryPrepared(store->conn, name, row->nparams, row->values,
	    row->lengths, row->formats, 0) != 1) {
		pg_tx_lost(store, store_sql[id].what);
		return NULL;
	}
	store->pending[store->npending++] = id;
	/* Room kept for the commit's two. */
	if (store->deferrable[id] && store->npending < PG_PENDING_MAX - 2) {
		store->tx_wrote = true;
		*deferred = true;
		return NULL;
	}
	if (pg_tx_read(store, &res) == -1 && res == NULL)
		return NULL;
	if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED || (store->tx_failed &&
	    PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)) {
		PQclear(res);	/* an earlier failure, said */
		store->tx_failed = true;
		return NULL;
	}
	return res;
}

bool
pg_tx_owes(const struct store_pg *store, enum store_stmt id)
{
	for (int i = 0; i < store->npending; i++) {
		if (store->pending[i] == id)
			return true;
	}
	return false;
}

int
pg_tx_settle(struct store_pg *store)
{
	if (store->piped && store->npending > 0)
		(void)pg_tx_read(store, NULL);
	/* A transaction failed, or lost with the connection. */
	if (!store->tx_failed || (!store->piped &&
	    PQstatus(store->conn) == CONNECTION_OK))
		return 0;
	/* Failed: no change of it will stay. */
	store->changes = 0;
	for (int i = 0; i < ST_MAX; i++)
		store->rows[i].changes = 0;
	return -1;
}

void
pg_rollback(struct sql_store *base)
{
	struct store_pg *store = (struct store_pg *)base;

	if (store->begin_owed) {
		store->begin_owed = false;	/* nothing was sent */
		return;
	}
	pg_tx_unpipe(store);
	/* A lost connection took its transaction with it: said already. */
	if (PQstatus(store->conn) == CONNECTION_OK &&
	    PQtransactionStatus(store->conn) != PQTRANS_IDLE)
		(void)pg_exec(store, "roll back", "ROLLBACK");
}

int
pg_begin(struct sql_store *base)
{
	struct store_pg *store = (struct store_pg *)base;

	if (pg_tx_open(store) ||
	    PQtransactionStatus(store->conn) != PQTRANS_IDLE) {
		log_warnx("unable to %s in '%s': one is open",
		    store_sql[ST_BEGIN].what, store->sql.path);
		return -1;
	}
	store->changes_at_begin = store->total_changes;
	store->tx_wrote = false;
	store->begin_owed = true;
	return 0;
}

/*
 * Commit, waiting for the server's disk if synced, or roll back if that
 * fails so that no transaction is left open.
 */
static int
pg_tx_commit(struct store_pg *store, bool synced)
{
	const char *what = store_sql[ST_COMMIT].what;
	PGresult *res;
	bool ok;

	if (store->begin_owed) {
		store->begin_owed = false;	/* no statement: nothing sent */
		return 0;
	}
	if (!store->piped || store->tx_failed) {
		pg_rollback(&store->sql);	/* lost or failed, and said */
		return -1;
	}
	if ((synced && pg_tx_send_fixed(store, ST_COMMIT, PG_TX_SYNCED) ==
	    -1) || pg_tx_send_fixed(store, ST_COMMIT, PG_TX_COMMIT) == -1) {
		pg_tx_lost(store, what);
		return -1;
	}
	(void)pg_tx_read(store, &res);
	/* A transaction a failure ended answers COMMIT with ROLLBACK. */
	ok = !store->tx_failed && PQresultStatus(res) == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(res), "COMMIT") == 0;
	if (!ok && !store->tx_failed && res != NULL &&
	    PQresultStatus(res) != PGRES_COMMAND_OK)
		pg_fail(store, what, res);
	else {
		if (!ok && !store->tx_failed && res != NULL)
			log_warnx("unable to commit in '%s': the transaction "
			    "had failed", store->sql.path);
		PQclear(res);
	}
	pg_tx_unpipe(store);
	if (!ok) {
		pg_rollback(&store->sql);
		return -1;
	}
	return 0;
}

int
pg_commit(struct sql_store *base)
{
	struct store_pg *store = (struct store_pg *)base;
	bool changed = store->tx_wrote ||
	    store->total_changes != store->changes_at_begin;

	if (changed && (!store->holding || !store->synced_held)) {
		if (pg_tx_commit(store, true) == -1)
			return -1;
		store->sql.base.syncs++;
		store->synced_held = store->holding;
		return 0;
	}
	if (pg_tx_commit(store, false) == -1)
		return -1;
	if (changed)
		store->owed = true;
	return 0;
}

/*
 * The commit is kept through a kill -9 of the dispatcher (it is the
 * server's) and waits for no flush: a server crash in the next moment
 * loses it, which costs a job's start only.
 */
int
pg_begin_unsynced(struct sql_store *base)
{
	return pg_begin(base);
}

int
pg_commit_unsynced(struct sql_store *base)
{
	return pg_tx_commit((struct store_pg *)base, false);
}

void
pg_sync_hold(struct sql_store *base)
{
	struct store_pg *store = (struct store_pg *)base;

	store->holding = true;
	store->synced_held = false;
}

/* The commits made while holding: one flush for them all. */
void
pg_sync_release(struct sql_store *base)
{
	struct store_pg *store = (struct store_pg *)base;

	store->holding = false;
	if (!store->owed)
		return;
	store->owed = false;
	pg_flush(store);
}

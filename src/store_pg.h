/* SPDX-License-Identifier: MIT */
/*
 * store_pg.h - what the files of the PostgreSQL store share and nobody
 * else sees: the texts PostgreSQL needs in its own words and its schema's
 * migrations (store_pg_sql.c), and the connection and driver that the
 * logic of store_sql.h runs on (store_pg_db.c).
 */
#ifndef SSCI_STORE_PG_H
#define SSCI_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store_sql.h"

/* The most values a statement takes (a copy's row of jobs: 35). */
#define PG_PARAMS_MAX 40

/*
 * The session lock that makes one dispatcher the active one of those
 * sharing a database: a constant, "ssci" in ASCII.
 */
#define PG_ACTIVE_LOCK_SQL "1936941929"

/*
 * TCP keepalives on the connection (idle and interval in seconds), and
 * how long sent data may go unanswered: a server gone without a FIN is a
 * lost connection after 5 + 1 x 3 = 8 s (docs/SCALING.md).
 */
#define PG_KEEPALIVE_IDLE "5"
#define PG_KEEPALIVE_INTERVAL "1"
#define PG_KEEPALIVE_COUNT "3"
#define PG_USER_TIMEOUT_MS "8000"

/*
 * The most results a transaction's pipeline owes before it is read: a
 * copy's thousands of inserts go in batches.
 */
#define PG_PENDING_MAX 64

/*
 * The fixed statements of a transaction's pipeline, prepared at open
 * under these names (store_pg_open.c), sent by store_pg_tx.c.
 */
#define PG_TX_BEGIN "tx_begin"
#define PG_TX_SYNCED "tx_synced"	/* this commit waits for the disk */
#define PG_TX_COMMIT "tx_commit"

/* A table's identity goes on after its highest id (ssci migrate). */
#define PG_NEXT_ID(table) "SELECT setval(pg_get_serial_sequence('" table \
	"', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM " table "; "

/* store_pg_sql.c */
/*
 * A statement's PostgreSQL text where SQLite's will not do (NULL: SQLite's,
 * its ?N written $N); ST_VACUUM_STEP's is "", which runs nothing.
 */
extern const char *const pg_sql[ST_MAX];
/* Inserts whose new row's id the logic reads (sql_last_id). */
extern const bool pg_returns_id[ST_MAX];
/* Migration i takes the schema from version i to i + 1. */
extern const char *const pg_migrations[];
extern const int pg_version;

/* A prepared statement's values and, after its first step, its rows. */
struct pg_row {
	struct sql_row base;
	PGresult *res;
	int at;				/* the current row */
	int nparams;
	int changes;			/* rows it touched when it last ran */
	const char *values[PG_PARAMS_MAX];
	int lengths[PG_PARAMS_MAX];
	int formats[PG_PARAMS_MAX];
	char *owned[PG_PARAMS_MAX];	/* what values point into */
	unsigned char *bytes;		/* the last bytea read, unescaped */
};

struct store_pg {
	struct sql_store sql;
	PGconn *conn;
	struct pg_row rows[ST_MAX];
	bool prepared[ST_MAX];
	int changes;			/* rows the last change touched */
	int64_t last_id;
	int64_t total_changes, changes_at_begin;
	bool deferrable[ST_MAX];	/* a change that returns nothing */
	bool reads[ST_MAX];		/* a SELECT */
	bool begin_owed;		/* BEGIN goes with the next statement */
	bool piped;			/* a transaction in pipeline mode */
	int npending;			/* its results owed, */
	enum store_stmt pending[PG_PENDING_MAX];	/* and whose */
	bool tx_failed;			/* one failed, and was said */
	bool tx_wrote;			/* a change was sent in it */
	bool holding;			/* between sync_hold and release */
	bool synced_held;		/* a commit made while holding synced */
	bool owed;			/* a commit made while holding */
	bool lost;			/* the connection is gone, and said so */
};

/* store_pg_conn.c: the connection */
/* libpq's message on one line, escaped, without DETAIL, into buf. */
const char *pg_message(const char *msg, char *buf, size_t size);
/* Log a failed result (NULL: the connection's error) once; clear it. */
void pg_fail(struct store_pg *store, const char *what, PGresult *res);
/* Notice, and say once, that the connection is lost. */
void pg_check_lost(struct store_pg *store);
/* Run a fixed text with no values: 0, or -1 (said). */
int pg_exec(struct store_pg *store, const char *what, const char *sql);
/* Rows an INSERT, UPDATE or DELETE touched; -1 for other commands. */
int pg_cmd_changes(PGresult *res);

/* store_pg_tx.c: transactions, and durability */
/* Whether a transaction is open (its BEGIN may not be sent yet). */
bool pg_tx_open(const struct store_pg *store);
/*
 * Statement id (prepared as name, with row's values) in the open
 * transaction: its result; or NULL, and *deferred if it is a change sent
 * whose result comes later, else a failure said.
 */
PGresult *pg_tx_run(struct store_pg *store, enum store_stmt id,
    const char *name, const struct pg_row *row, bool *deferred);
/* Read the results the transaction owes: 0, or -1 if one failed (said). */
int pg_tx_settle(struct store_pg *store);
/* Whether statement id's result is owed. */
bool pg_tx_owes(const struct store_pg *store, enum store_stmt id);
/* A statement outside a transaction committed: durable now, or owed. */
void pg_committed(struct store_pg *store, int64_t changes_before);
int pg_begin(struct sql_store *base);
int pg_commit(struct sql_store *base);
void pg_rollback(struct sql_store *base);
int pg_begin_unsynced(struct sql_store *base);
int pg_commit_unsynced(struct sql_store *base);
void pg_sync_hold(struct sql_store *base);
void pg_sync_release(struct sql_store *base);

/* store_pg_db.c: the driver, and what opening it uses */
extern const struct sql_driver pg_driver;
/* Prepare statement id as sql, under its number: 0, or -1 (said). */
int pg_prepare_one(struct store_pg *store, enum store_stmt id,
    const char *sql);
void pg_close(struct sql_store *base);

#endif

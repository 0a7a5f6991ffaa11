/* SPDX-License-Identifier: MIT */
/*
 * store_pg_open.c - the PostgreSQL store opened: a connection with TCP
 * keepalives to a server that takes writes, the active lock taken (or
 * waited for, standing by), the schema's migrations run by the active
 * only, and every statement prepared.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_pg.h"
#include "util.h"

/* Each statement: its own text, or SQLite's; and the pipeline's own. */
static int
pg_prepare(struct store_pg *store)
{
	static const char *const fixed[][2] = {
		{ PG_TX_BEGIN, "BEGIN" },
		{ PG_TX_SYNCED, "SET LOCAL synchronous_commit = on" },
		{ PG_TX_COMMIT, "COMMIT" },
	};

	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		PGresult *res = PQprepare(store->conn, fixed[i][0],
		    fixed[i][1], 0, NULL);

		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_fail(store, "prepare a transaction's statements",
			    res);
			return -1;
		}
		PQclear(res);
	}
	for (int i = 0; i < ST_MAX; i++) {
		/* The driver runs these itself, or PostgreSQL needs none. */
		if (i == ST_BEGIN || i == ST_COMMIT || i == ST_ROLLBACK ||
		    (pg_sql[i] != NULL && *pg_sql[i] == '\0'))
			continue;
		if (pg_prepare_one(store, (enum store_stmt)i,
		    pg_sql[i] != NULL ? pg_sql[i] : store_sql[i].sql) == -1)
			return -1;
	}
	return 0;
}

/* Read one number from a fixed query at open time: 0 or -1. */
static int
pg_query_int(struct store_pg *store, const char *what, const char *sql,
    int64_t *out)
{
	PGresult *res = PQexec(store->conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_fail(store, what, res);
		return -1;
	}
	*out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/*
 * Apply one pending migration in its own transaction, under a lock that
 * keeps two dispatchers opening a new database from both migrating it.
 * Returns 1 when the schema is current, 0 after a step, -1 on error.
 */
static int
pg_migrate_step(struct store_pg *store)
{
	int64_t version, after;

	if (pg_exec(store, "lock the schema", "BEGIN; "
	    "SELECT pg_advisory_xact_lock(" PG_ACTIVE_LOCK_SQL ", 1); "
	    "CREATE TABLE IF NOT EXISTS store_meta (version integer NOT NULL); "
	    "INSERT INTO store_meta SELECT 0 WHERE NOT EXISTS "
	    "(SELECT 1 FROM store_meta)") == -1 ||
	    pg_query_int(store, "read the schema version",
	    "SELECT version FROM store_meta", &version) == -1)
		goto fail;
	if (version < 0 || version > pg_version) {
		log_warnx("unable to use '%s': its schema version %lld is "
		    "newer than this ssci knows (%d)", store->sql.path,
		    (long long)version, pg_version);
		goto fail;
	}
	if (version == pg_version)
		return pg_exec(store, "commit", "COMMIT") == 0 ? 1 : -1;
	log_info("'%s': schema version %lld to %lld", store->sql.path,
	    (long long)version, (long long)version + 1);
	if (pg_exec(store, "migrate", pg_migrations[version]) == -1 ||
	    pg_query_int(store, "read the schema version",
	    "SELECT version FROM store_meta", &after) == -1)
		goto fail;
	if (after != version + 1) {
		log_warnx("unable to migrate '%s': migration %lld set version "
		    "%lld", store->sql.path, (long long)version + 1,
		    (long long)after);
		goto fail;
	}
	if (pg_exec(store, "commit", "COMMIT") == -1)
		goto fail;
	return 0;
fail:
	sql_rollback(&store->sql);
	return -1;
}

static int
pg_migrate(struct store_pg *store)
{
	int rc;

	while ((rc = pg_migrate_step(store)) == 0)
		continue;
	return rc == 1 ? 0 : -1;
}

/*
 * Connect again after losing the connection while standing by, trying
 * every wait seconds and saying so once.
 */
static void
pg_reconnect(struct store_pg *store, unsigned wait, bool told)
{
	char buf[512];

	for (;; told = true) {
		sleep(wait);
		PQreset(store->conn);
		if (PQstatus(store->conn) == CONNECTION_OK) {
			store->lost = false;
			store->sql.base.lost_seen = 0;
			return;
		}
		if (!told)
			log_warnx("unable to connect to '%s' again: %s; trying "
			    "every %u s", store->sql.path, pg_message(
			    PQerrorMessage(store->conn), buf, sizeof buf),
			    wait);
	}
}

/*
 * No limit of the role's or the database's may end the session on its
 * own (a standby waits for its lock for days, an active may be quiet as
 * long), or cancel a statement: the session is the lock.
 */
static int
pg_session(struct store_pg *store)
{
	if (pg_exec(store, "set up the session", "SET statement_timeout = 0; "
	    "SET lock_timeout = 0; "
	    "SET idle_in_transaction_session_timeout = 0") == -1)
		return -1;
	if (PQserverVersion(store->conn) >= 140000 && pg_exec(store,
	    "set up the session", "SET idle_session_timeout = 0") == -1)
		return -1;
	return 0;
}

/*
 * Be the active dispatcher of those sharing the database: the one whose
 * session holds the active lock.  The others wait here, not listening,
 * until the lock is theirs: when the active is stopped or killed, or its
 * session ends (its machine vanished and the server's keepalives said
 * so).  Only the active migrates or changes anything.
 */
static int
pg_take_active(struct store_pg *store, int wait)
{
	int64_t got;

	if (pg_session(store) == -1 || pg_query_int(store,
	    "take the active lock", "SELECT pg_try_advisory_lock("
	    PG_ACTIVE_LOCK_SQL ")::int", &got) == -1)
		return -1;
	if (got == 1) {
		log_info("active on '%s'", store->sql.path);
		return 0;
	}
	if (!wait) {
		log_warnx("unable to use '%s': a dispatcher is active on it",
		    store->sql.path);
		return -1;
	}
	log_info("standing by: another dispatcher is active on '%s'",
	    store->sql.path);
	for (;;) {
		if (pg_query_int(store, "wait for the active lock", "SELECT 1 "
		    "FROM pg_advisory_lock(" PG_ACTIVE_LOCK_SQL ")", &got) == 0)
			break;
		if (PQstatus(store->conn) == CONNECTION_OK)
			return -1;
		pg_reconnect(store, 2, false);
		if (pg_session(store) == -1)
			return -1;
	}
	log_info("active on '%s': the dispatcher that was is gone",
	    store->sql.path);
	return 0;
}

/* Notices (an existing table, say) are the server's small talk. */
static void
pg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/*
 * The database as messages name it: host, port and name, never the
 * password or other options a connection string may carry.
 */
static char *
pg_display(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	const char *host = NULL, *port = NULL, *db = NULL;
	char *out;

	for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL;
	    o++) {
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
	}
	xasprintf(&out, "postgresql://%s%s%s/%s", host != NULL ? host : "",
	    port != NULL ? ":" : "", port != NULL ? port : "",
	    db != NULL ? db : "");
	PQconninfoFree(opts);
	return out;
}

/*
 * Keepalives make a server that vanished (no FIN) a lost connection in
 * idle + interval x count = 5 + 1 x 3 = 8 s rather than the kernel's two
 * hours, and tcp_user_timeout one whose sent data goes unanswered that
 * long.  Only a server that takes writes will do: a replica (or a
 * primary demoted) would take the lock and refuse every change.  A
 * connection string may set its own.
 */
static PGconn *
pg_connect(const char *conninfo)
{
	const char *const keys[] = { "keepalives", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "tcp_user_timeout",
	    "connect_timeout", "application_name", "client_encoding",
	    "target_session_attrs", "dbname", NULL };
	const char *const values[] = { "1", PG_KEEPALIVE_IDLE,
	    PG_KEEPALIVE_INTERVAL, PG_KEEPALIVE_COUNT, PG_USER_TIMEOUT_MS,
	    "10", "ssci-dispatcher", "UTF8", "read-write", conninfo, NULL };

	return PQconnectdbParams(keys, values, 1);
}

struct store *
pg_store_open(const char *conninfo, int wait)
{
	struct store_pg *store;
	PQconninfoOption *parsed;
	char buf[512], *err = NULL;

	/* libpq's complaint would quote it, and with it a password. */
	if ((parsed = PQconninfoParse(conninfo, &err)) == NULL) {
		log_warnx("unable to use the store: its connection string "
		    "does not parse");
		PQfreemem(err);
		return NULL;
	}
	PQconninfoFree(parsed);
	store = xcalloc(1, sizeof *store);
	store->sql.driver = &pg_driver;
	for (int i = 0; i < ST_MAX; i++)
		store->rows[i].base.driver = &pg_driver;
	store->sql.path = pg_display(conninfo);
	store->conn = pg_connect(conninfo);
	if (wait == 2 && store->conn != NULL &&
	    PQstatus(store->conn) != CONNECTION_OK) {
		log_warnx("unable to connect to '%s': %s; trying every 2 s",
		    store->sql.path, pg_message(PQerrorMessage(store->conn),
		    buf, sizeof buf));
		pg_reconnect(store, 2, true);
	}
	if (store->conn == NULL || PQstatus(store->conn) != CONNECTION_OK) {
		log_warnx("unable to connect to '%s': %s", store->sql.path,
		    pg_message(store->conn != NULL ?
		    PQerrorMessage(store->conn) : strerror(ENOMEM), buf,
		    sizeof buf));
		pg_close(&store->sql);
		return NULL;
	}
	PQsetNoticeProcessor(store->conn, pg_notice, NULL);
	if (pg_take_active(store, wait) == -1 ||
	    pg_exec(store, "set the synchronous mode",
	    "SET synchronous_commit = off") == -1 || pg_migrate(store) == -1 ||
	    pg_prepare(store) == -1) {
		pg_close(&store->sql);
		return NULL;
	}
	store->sql.base.keeps_logs = 1;
	return &store->sql.base;
}

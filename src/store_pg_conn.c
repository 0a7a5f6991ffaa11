/* SPDX-License-Identifier: MIT */
/*
 * store_pg_conn.c - the PostgreSQL store's connection, under its driver
 * and its transactions: a failure said once on one line, whether it may
 * pass, a lost connection noticed (the active lock went with it), and a
 * fixed text run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

/*
 * Failures that may pass without anyone changing the database: the
 * connection or the server's resources, a conflict with another session.
 */
static bool
pg_state_transient(const char *sqlstate)
{
	static const char *const classes[] = { "08", "40", "53", "55", "57",
	    "58" };

	if (sqlstate == NULL)
		return true;	/* no answer: the connection */
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
		if (strncmp(sqlstate, classes[i], 2) == 0)
			return true;
	}
	return false;
}

/*
 * libpq's messages span lines; ours are one line, escaped like anything
 * else from outside (a failing row's values are the server's to quote).
 * A server's DETAIL, HINT and CONTEXT are left out: a DETAIL can quote a
 * row whole, and a secret's value with it.
 */
const char *
pg_message(const char *msg, char *buf, size_t size)
{
	static const char *const after[] = { "DETAIL:", "HINT:", "CONTEXT:" };
	char flat[512];
	size_t n = 0;

	if (msg == NULL || *msg == '\0')
		msg = "no answer from the server";
	for (const char *c = msg; *c != '\0' && n + 1 < sizeof flat; c++) {
		bool space = *c == '\n' || *c == '\t' || *c == ' ';
		bool cut = false;

		for (size_t i = 0; *c == '\n' && i < 3; i++)
			cut = cut || strncmp(c + 1, after[i],
			    strlen(after[i])) == 0;
		if (cut)
			break;
		if (space && (n == 0 || flat[n - 1] == ' '))
			continue;
		flat[n++] = space ? ' ' : *c;
	}
	while (n > 0 && flat[n - 1] == ' ')
		n--;
	flat[n] = '\0';
	log_escape(flat, buf, size);
	return buf;
}

/*
 * A lost connection lost the active lock with its session: another
 * dispatcher may be active now, and nothing here may change a thing.
 */
void
pg_check_lost(struct store_pg *store)
{
	char buf[512];

	if (store->lost || PQstatus(store->conn) == CONNECTION_OK)
		return;
	store->lost = true;
	store->sql.base.lost_seen = 1;
	log_warnx("lost the connection to '%s': %s", store->sql.path,
	    pg_message(PQerrorMessage(store->conn), buf, sizeof buf));
	if (store->sql.base.lost != NULL)
		store->sql.base.lost(store->sql.base.lost_arg);
}

/* Log a failed result once, with what was being done, and clear it. */
void
pg_fail(struct store_pg *store, const char *what, PGresult *res)
{
	char buf[512];
	const char *msg = res != NULL ? PQresultErrorMessage(res) : NULL;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(store->conn);
	log_warnx("unable to %s in '%s': %s", what, store->sql.path,
	    pg_message(msg, buf, sizeof buf));
	store->sql.base.transient = pg_state_transient(res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL) ||
	    PQstatus(store->conn) != CONNECTION_OK;
	PQclear(res);
	pg_check_lost(store);
}

/* Run a fixed text with no values (session settings, transactions). */
int
pg_exec(struct store_pg *store, const char *what, const char *sql)
{
	PGresult *res = PQexec(store->conn, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_fail(store, what, res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int
pg_cmd_changes(PGresult *res)
{
	const char *cmd = PQcmdStatus(res);

	if (strncmp(cmd, "INSERT", 6) != 0 && strncmp(cmd, "UPDATE", 6) != 0 &&
	    strncmp(cmd, "DELETE", 6) != 0)
		return -1;
	return atoi(PQcmdTuples(res));
}

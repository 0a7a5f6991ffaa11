/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite.h - what the files of the SQLite store share and nobody
 * else sees: the statements' texts and migrations (store_sqlite_sql.c),
 * the connection and the driver that the logic of store_sql.h runs on
 * (store_sqlite_db.c), and copies (store_sqlite_backup.c).
 */
#ifndef SSCI_STORE_SQLITE_H
#define SSCI_STORE_SQLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store_sql.h"

/* How long a statement waits for another process's lock. */
#define STORE_BUSY_TIMEOUT_MS 5000

/* Free pages a step of retention gives back: 1,024 (4 MiB). */
#define STORE_VACUUM_PAGES_SQL "1024"

/* store_sqlite_sql.c */
/* Migration i takes the schema from version i to i + 1. */
extern const char *const store_migrations[];
extern const int store_version;

/* A prepared statement, which is its own current row. */
struct sqlite_row {
	struct sql_row base;
	sqlite3_stmt *stmt;
	int changes;		/* rows it touched when it last ran */
};

struct store_sqlite {
	struct sql_store sql;
	sqlite3 *db;
	struct sqlite_row rows[ST_MAX];	/* the prepared statements */
	bool unsynced;			/* synchronous=NORMAL still set */
	bool holding;			/* between sync_hold and release */
	bool owed;			/* a commit made while holding */
	int64_t changes_at_begin;	/* sqlite3_total_changes64 at BEGIN */
};

#endif

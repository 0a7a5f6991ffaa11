/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite_backup.c - a copy of a store while a dispatcher may be
 * using it, with SQLite's online backup API in one step: one read
 * transaction, so the copy is the store as it was at one moment, while
 * the dispatcher goes on writing (WAL); and the check that a copy is a
 * whole database before it is put back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_sqlite.h"
#include "util.h"

/* Open path: 0, or -1 after saying why (*db closed). */
static int
backup_open(const char *path, int flags, sqlite3 **db)
{
	int rc = sqlite3_open_v2(path, db, flags, NULL);

	if (rc == SQLITE_OK)
		return sqlite3_busy_timeout(*db, STORE_BUSY_TIMEOUT_MS) ==
		    SQLITE_OK ? 0 : -1;
	log_warnx("unable to open '%s': %s", path, *db != NULL ?
	    sqlite3_errmsg(*db) : sqlite3_errstr(rc));
	sqlite3_close(*db);
	*db = NULL;
	return -1;
}

int
sqlite_backup(const char *dir, const char *to)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	char *path;
	int rc = -1, step;

	xasprintf(&path, "%s/ssci.db", dir);
	if (access(path, F_OK) == -1) {
		log_warn("unable to back up '%s'", path);
		free(path);
		return -1;
	}
	if (backup_open(path, SQLITE_OPEN_READONLY, &src) == -1 ||
	    backup_open(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    &dst) == -1)
		goto out;
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		log_warnx("unable to back up '%s': %s", path,
		    sqlite3_errmsg(dst));
		goto out;
	}
	/* All pages in one step: one snapshot, whatever is written meanwhile. */
	step = sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK || step != SQLITE_DONE) {
		log_warnx("unable to back up '%s' to '%s': %s", path, to,
		    step != SQLITE_DONE ? sqlite3_errstr(step) :
		    sqlite3_errmsg(dst));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(src);
	sqlite3_close(dst);
	free(path);
	return rc;
}

int
sqlite_check_file(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	const char *verdict = NULL;
	int rc = -1;

	/* Read-write: at close SQLite then removes the WAL it made. */
	if (backup_open(path, SQLITE_OPEN_READWRITE, &db) == -1)
		return -1;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &stmt, NULL) ==
	    SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
		verdict = (const char *)sqlite3_column_text(stmt, 0);
	if (verdict != NULL && strcmp(verdict, "ok") == 0)
		rc = 0;
	else
		log_warnx("unable to use '%s': %s", path, verdict != NULL ?
		    verdict : sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return rc;
}

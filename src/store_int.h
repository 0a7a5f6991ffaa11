/* SPDX-License-Identifier: MIT */
/*
 * store_int.h - what the files of the store share and nobody else sees:
 * the prepared statements and the helpers that run them.  store.c opens,
 * migrates and changes; store_query.c reads lists for the web pages, the
 * API and the command-line client.
 */
#ifndef SSCI_STORE_INT_H
#define SSCI_STORE_INT_H

#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_REPO_FIND,
	ST_REPO_ADD,
	ST_JOB_LATEST,
	ST_JOB_ADD,
	ST_JOB_NEXT,
	ST_JOB_GET,
	ST_JOB_FINAL,
	ST_JOB_START,
	ST_JOB_ADOPT,
	ST_JOB_REQUEUE,
	ST_JOB_LAST_RUNNING,
	ST_JOB_FINISH,
	ST_COUNT_STATE,
	ST_RUNNER_SEEN,
	ST_JOB_DESCRIBE,
	ST_JOB_LIST,
	ST_QUEUE_LIST,
	ST_BRANCH_HEADS,
	ST_COUNT_STATES,
	ST_OLDEST_QUEUED,
	ST_JOB_BY_COMMIT,
	ST_COUNT_QUEUED_REPO,
	ST_RUNNING_IDS,
	ST_FINAL_HEADS_PAGE,
	ST_LATEST_FINAL,
	ST_JOB_RETRY_OF,
	ST_FINAL_BEFORE,
	ST_MAX
};

struct store_sql {
	const char *what;	/* for "unable to <what>" */
	const char *sql;
};

extern const struct store_sql store_sql[ST_MAX];

struct store {
	sqlite3 *db;
	char *path;			/* DIR/ssci.db, for messages */
	sqlite3_stmt *stmt[ST_MAX];
	int max_queued;			/* per repository; 0 for no limit */
	int transient;			/* the last failure may pass by itself */
};

/* Step a statement; anything but a row or the end is logged. */
int store_step(struct store *store, enum store_stmt id);
/* Make a statement ready for its next use, dropping old values. */
void store_reset(struct store *store, enum store_stmt id);
/* Run a statement that returns no rows: 0 or -1. */
int store_run(struct store *store, enum store_stmt id);
/* Run a query for one number: 1 and *out set, 0 if no row, -1. */
int store_scalar(struct store *store, enum store_stmt id, int64_t *out);
void store_bind_int64(struct store *store, enum store_stmt id, int idx,
    int64_t v);
/* A negative number means unknown and is bound as NULL. */
void store_bind_known(struct store *store, enum store_stmt id, int idx,
    int64_t v);
/* NULL binds NULL; the text is copied. */
void store_bind_text(struct store *store, enum store_stmt id, int idx,
    const char *s);
/* Fill *job from a row of JOB_COLUMNS: 1, or -1 for a row we can't read. */
int job_fill(sqlite3_stmt *stmt, struct job *job);

#endif

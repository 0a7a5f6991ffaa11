/* SPDX-License-Identifier: MIT */
/*
 * store_query.c - read-only lists from the store, for the web pages, the
 * JSON API and the command-line client: jobs by filter, the queue, the
 * latest job of every branch, counts.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* Step through the rows of statement id, a job each, calling cb. */
static int
store_each_job(struct store *store, enum store_stmt id, store_job_cb cb,
    void *arg)
{
	struct job job;
	int rc, n = 0;

	while ((rc = store_step(store, id)) == SQLITE_ROW) {
		if (job_fill(store->stmt[id], &job) == -1)
			continue;
		rc = cb(&job, arg);
		job_release(&job);
		n++;
		if (rc == -1)
			break;
	}
	store_reset(store, id);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || rc == -1 ? n : -1;
}

int
store_list_jobs(struct store *store, const struct job_filter *filter,
    store_job_cb cb, void *arg)
{
	int limit = filter->limit;

	if (limit < 1 || limit > 1000)
		limit = 1000;
	store_bind_text(store, ST_JOB_LIST, 1, filter->repo);
	store_bind_text(store, ST_JOB_LIST, 2, filter->branch);
	store_bind_text(store, ST_JOB_LIST, 3, filter->state);
	if (filter->before > 0)
		store_bind_int64(store, ST_JOB_LIST, 4, filter->before);
	store_bind_int64(store, ST_JOB_LIST, 5, limit);
	return store_each_job(store, ST_JOB_LIST, cb, arg);
}

int
store_list_queue(struct store *store, int limit, store_job_cb cb, void *arg)
{
	store_bind_int64(store, ST_QUEUE_LIST, 1, limit);
	return store_each_job(store, ST_QUEUE_LIST, cb, arg);
}

int
store_list_heads(struct store *store, store_job_cb cb, void *arg)
{
	return store_each_job(store, ST_BRANCH_HEADS, cb, arg);
}

int
store_count_states(struct store *store, int64_t counts[7])
{
	sqlite3_stmt *stmt = store->stmt[ST_COUNT_STATES];
	enum job_state state;
	int rc;

	memset(counts, 0, 7 * sizeof counts[0]);
	while ((rc = store_step(store, ST_COUNT_STATES)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(stmt, 0);

		if (name != NULL &&
		    job_state_parse((const char *)name, &state) == 0)
			counts[state] = sqlite3_column_int64(stmt, 1);
	}
	store_reset(store, ST_COUNT_STATES);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_oldest_queued(struct store *store, int64_t *ms)
{
	sqlite3_stmt *stmt = store->stmt[ST_OLDEST_QUEUED];
	int rc, found = 0;

	rc = store_step(store, ST_OLDEST_QUEUED);
	if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
		*ms = sqlite3_column_int64(stmt, 0);
		found = 1;
	}
	store_reset(store, ST_OLDEST_QUEUED);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

int
store_job_by_commit(struct store *store, const char *prefix, struct job *job)
{
	char lower[65];
	size_t len = strlen(prefix);
	int rc, found = 0;

	/* Only hex reaches LIKE, so '%' and '_' can never be in it. */
	if (len < 4 || len > 64)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)prefix[i]))
			return -1;
		lower[i] = (char)tolower((unsigned char)prefix[i]);
	}
	lower[len] = '\0';
	store_bind_text(store, ST_JOB_BY_COMMIT, 1, lower);
	rc = store_step(store, ST_JOB_BY_COMMIT);
	if (rc == SQLITE_ROW)
		found = job_fill(store->stmt[ST_JOB_BY_COMMIT], job);
	store_reset(store, ST_JOB_BY_COMMIT);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return found == 1 ? 1 : found == -1 ? -1 : 0;
}

int
store_running_ids(struct store *store, int64_t **ids, size_t *n)
{
	size_t cap = 16;
	int rc;

	*n = 0;
	*ids = xcalloc(cap, sizeof **ids);
	while ((rc = store_step(store, ST_RUNNING_IDS)) == SQLITE_ROW) {
		if (*n == cap)
			*ids = xrealloc(*ids, (cap *= 2) * sizeof **ids);
		(*ids)[(*n)++] = sqlite3_column_int64(
		    store->stmt[ST_RUNNING_IDS], 0);
	}
	store_reset(store, ST_RUNNING_IDS);
	if (rc == SQLITE_DONE)
		return 0;
	free(*ids);
	*ids = NULL;
	*n = 0;
	return -1;
}

int
store_final_heads(struct store *store, const char *after, int limit,
    void (*cb)(const char *commit, int64_t id, void *arg), void *arg)
{
	sqlite3_stmt *stmt = store->stmt[ST_FINAL_HEADS_PAGE];
	int rc, n = 0;

	store_bind_text(store, ST_FINAL_HEADS_PAGE, 1, after);
	store_bind_int64(store, ST_FINAL_HEADS_PAGE, 2, limit);
	while ((rc = store_step(store, ST_FINAL_HEADS_PAGE)) == SQLITE_ROW) {
		const unsigned char *commit = sqlite3_column_text(stmt, 0);

		if (commit != NULL)
			cb((const char *)commit, sqlite3_column_int64(stmt, 1),
			    arg);
		n++;
	}
	store_reset(store, ST_FINAL_HEADS_PAGE);
	return rc == SQLITE_DONE ? n : -1;
}

int
store_latest_final(struct store *store, const char *commit, int64_t *id)
{
	int found;

	store_bind_text(store, ST_LATEST_FINAL, 1, commit);
	found = store_scalar(store, ST_LATEST_FINAL, id);
	/* MAX over no rows is one NULL row. */
	return found == 1 && *id == 0 ? 0 : found;
}

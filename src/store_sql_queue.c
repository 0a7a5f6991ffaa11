/* SPDX-License-Identifier: MIT */
/*
 * store_sql_queue.c - the SQL store's coalescing and bisections
 * (docs/QUEUE.md): pushes superseded by a newer one, the push tested
 * before a pipeline, bisections kept and read with their range of
 * skipped pushes, a branch's tip, and each schedule's last run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sql.h"
#include "util.h"

int
sqlstore_supersede(struct store *base, int64_t pipeline, const char *commit,
    void (*cb)(int64_t pipeline, void *arg), void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	int64_t *ids = NULL, now = now_ms();
	char **commits = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (sql_run(store, ST_BEGIN) == -1)
		return -1;
	sql_bind_int64(store, ST_SUPERSEDE_LIST, 1, pipeline);
	while ((rc = sql_step(store, ST_SUPERSEDE_LIST)) == SQL_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			ids = xrealloc(ids, cap * sizeof *ids);
			commits = xrealloc(commits, cap * sizeof *commits);
		}
		ids[n] = sql_col_int64(sql_row(store, ST_SUPERSEDE_LIST),
		    0);
		commits[n++] = sql_col_strdup(
		    sql_row(store, ST_SUPERSEDE_LIST), 1);
	}
	sql_reset(store, ST_SUPERSEDE_LIST);
	if (rc != SQL_DONE)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		sql_bind_int64(store, ST_SUPERSEDE_JOBS, 1, ids[i]);
		sql_bind_text(store, ST_SUPERSEDE_JOBS, 2, commit);
		sql_bind_int64(store, ST_SUPERSEDE_JOBS, 3, now);
		sql_bind_int64(store, ST_SUPERSEDE_PIPELINE, 1, ids[i]);
		sql_bind_text(store, ST_SUPERSEDE_PIPELINE, 2, commit);
		sql_bind_int64(store, ST_SUPERSEDE_PIPELINE, 3, now);
		sql_bind_int64(store, ST_SUPERSEDE_REPOINT, 1, pipeline);
		sql_bind_text(store, ST_SUPERSEDE_REPOINT, 2, commit);
		sql_bind_text(store, ST_SUPERSEDE_REPOINT, 3, commits[i]);
		if (sql_run(store, ST_SUPERSEDE_JOBS) == -1 ||
		    sql_run(store, ST_SUPERSEDE_PIPELINE) == -1 ||
		    (commits[i] != NULL &&
		    sql_run(store, ST_SUPERSEDE_REPOINT) == -1))
			goto fail;
	}
	if (n > 0) {
		sql_bind_int64(store, ST_SUPERSEDE_REASONS, 1, pipeline);
		sql_bind_text(store, ST_SUPERSEDE_REASONS, 2, commit);
	}
	if (n > 0 && sql_run(store, ST_SUPERSEDE_REASONS) == -1)
		goto fail;
	if (sql_commit(store) == -1) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; cb != NULL && i < n; i++)
		cb(ids[i], arg);
	rc = (int)n;
	goto out;
fail:
	sql_rollback(store);
	rc = -1;
out:
	for (size_t i = 0; i < n; i++)
		free(commits[i]);
	free(commits);
	free(ids);
	return rc;
}

/* A push next to pipeline: st is ST_BISECT_BEFORE or ST_PUSH_AFTER. */
static int
sql_push_next_to(struct sql_store *store, enum store_stmt st,
    int64_t pipeline, int64_t *id, enum job_state *state)
{
	struct sql_row *row = sql_row(store, st);
	int rc, found = 0;

	sql_bind_int64(store, st, 1, pipeline);
	if ((rc = sql_step(store, st)) == SQL_ROW) {
		*id = sql_col_int64(row, 0);
		found = sql_col_state(row, 1, state) == 0 ? 1 : -1;
	}
	sql_reset(store, st);
	return rc == SQL_DONE || rc == SQL_ROW ? found : -1;
}

int
sqlstore_push_before(struct store *base, int64_t pipeline, int64_t *id,
    enum job_state *state)
{
	return sql_push_next_to((struct sql_store *)base, ST_BISECT_BEFORE,
	    pipeline, id, state);
}

int
sqlstore_push_after(struct store *base, int64_t pipeline, int64_t *id,
    enum job_state *state)
{
	return sql_push_next_to((struct sql_store *)base, ST_PUSH_AFTER,
	    pipeline, id, state);
}

int
sqlstore_bisect_start(struct store *base, int64_t bad, int64_t good,
    int64_t *id)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_BISECT_ADD, 1, bad);
	sql_bind_int64(store, ST_BISECT_ADD, 2, good);
	sql_bind_int64(store, ST_BISECT_ADD, 3, now_ms());
	if (sql_run(store, ST_BISECT_ADD) == -1)
		return -1;
	*id = sql_last_id(store);
	return 0;
}

int
sqlstore_bisect_of(struct store *base, int64_t bad, int64_t *id)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_BISECT_OF, 1, bad);
	return sql_scalar(store, ST_BISECT_OF, id);
}

int
sqlstore_bisections_running(struct store *base, int64_t **ids, size_t *n)
{
	struct sql_store *store = (struct sql_store *)base;
	size_t cap = 0;
	int rc;

	*n = 0;
	*ids = NULL;
	while ((rc = sql_step(store, ST_BISECT_RUNNING)) == SQL_ROW) {
		if (*n == cap)
			*ids = xrealloc(*ids, (cap = cap ? cap * 2 : 4) *
			    sizeof **ids);
		(*ids)[(*n)++] = sql_col_int64(
		    sql_row(store, ST_BISECT_RUNNING), 0);
	}
	sql_reset(store, ST_BISECT_RUNNING);
	if (rc == SQL_DONE)
		return 0;
	free(*ids);
	*ids = NULL;
	*n = 0;
	return -1;
}

/* A row of BISECT_COLUMNS read: 1 found, 0 none, -1. */
static int
sql_bisection_read(struct sql_store *store, enum store_stmt id,
    struct bisection *b)
{
	struct sql_row *row = sql_row(store, id);
	const char *commit;
	int rc, found = 0;

	memset(b, 0, sizeof *b);
	if ((rc = sql_step(store, id)) == SQL_ROW) {
		found = 1;
		b->id = sql_col_int64(row, 0);
		b->repo = sql_col_strdup(row, 1);
		b->branch = sql_col_strdup(row, 2);
		b->good = sql_col_int64(row, 3);
		b->bad = sql_col_int64(row, 4);
		b->state = sql_col_strdup(row, 5);
		b->culprit = sql_col_int64_or(row, 6, 0);
		commit = sql_col_text(row, 7);
		snprintf(b->culprit_commit, sizeof b->culprit_commit, "%s",
		    commit == NULL ? "" : commit);
		b->culprit_subject = sql_col_strdup(row, 8);
		b->culprit_author = sql_col_strdup(row, 9);
		b->runs = (int)sql_col_int64_or(row, 10, 0);
		b->note = sql_col_strdup(row, 11);
		b->created_ms = sql_col_int64_or(row, 12, 0);
		b->finished_ms = sql_col_int64_or(row, 13, 0);
		if (b->repo == NULL || b->branch == NULL || b->state == NULL) {
			bisection_release(b);
			found = -1;
		}
	}
	sql_reset(store, id);
	return rc == SQL_DONE || rc == SQL_ROW ? found : -1;
}

int
sqlstore_bisect_get(struct store *base, int64_t id, struct bisection *b)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_BISECT_GET, 1, id);
	return sql_bisection_read(store, ST_BISECT_GET, b);
}

int
sqlstore_bisect_latest(struct store *base, const char *repo,
    const char *branch, struct bisection *b)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_text(store, ST_BISECT_LATEST, 1, repo);
	sql_bind_text(store, ST_BISECT_LATEST, 2, branch);
	return sql_bisection_read(store, ST_BISECT_LATEST, b);
}

int
sqlstore_bisect_range(struct store *base, int64_t id,
    void (*cb)(const struct bisect_commit *c, void *arg), void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_BISECT_RANGE);
	struct bisect_commit c;
	int rc, n = 0;

	sql_bind_int64(store, ST_BISECT_RANGE, 1, id);
	while ((rc = sql_step(store, ST_BISECT_RANGE)) == SQL_ROW) {
		memset(&c, 0, sizeof c);
		c.pipeline = sql_col_int64(row, 0);
		c.commit = sql_col_text(row, 1);
		c.subject = sql_col_text(row, 2);
		c.author = sql_col_text(row, 3);
		c.run = sql_col_int64_or(row, 4, 0);
		if (c.run > 0 && sql_col_state(row, 5, &c.state) == -1)
			c.run = 0;
		c.flaky = (int)sql_col_int64_or(row, 6, 0);
		if (c.commit == NULL)
			continue;
		cb(&c, arg);
		n++;
	}
	sql_reset(store, ST_BISECT_RANGE);
	return rc == SQL_DONE ? n : -1;
}

int
sqlstore_bisect_runs(struct store *base, int64_t id, int64_t *n)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_BISECT_RUNS, 1, id);
	return sql_scalar(store, ST_BISECT_RUNS, n) == -1 ? -1 : 0;
}

int
sqlstore_bisect_end(struct store *base, const struct bisection *b)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_BISECT_END, 1, b->id);
	sql_bind_text(store, ST_BISECT_END, 2, b->state);
	if (b->culprit > 0) {
		sql_bind_int64(store, ST_BISECT_END, 3, b->culprit);
		sql_bind_text(store, ST_BISECT_END, 4, b->culprit_commit);
	}
	sql_bind_text(store, ST_BISECT_END, 5, b->culprit_subject);
	sql_bind_text(store, ST_BISECT_END, 6, b->culprit_author);
	sql_bind_int64(store, ST_BISECT_END, 7, b->runs);
	sql_bind_text(store, ST_BISECT_END, 8, b->note);
	sql_bind_int64(store, ST_BISECT_END, 9, now_ms());
	return sql_run(store, ST_BISECT_END);
}

int
sqlstore_branch_tip(struct store *base, const char *repo, const char *branch,
    struct job *job)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_text(store, ST_BRANCH_TIP, 1, repo);
	sql_bind_text(store, ST_BRANCH_TIP, 2, branch);
	return sql_read_job(store, ST_BRANCH_TIP, job);
}

int
sqlstore_schedule_last(struct store *base, const char *spec, int64_t *ms)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_text(store, ST_SCHEDULE_GET, 1, spec);
	return sql_scalar(store, ST_SCHEDULE_GET, ms);
}

int
sqlstore_schedule_set(struct store *base, const char *spec, int64_t ms)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_text(store, ST_SCHEDULE_SET, 1, spec);
	sql_bind_int64(store, ST_SCHEDULE_SET, 2, ms);
	return sql_run(store, ST_SCHEDULE_SET);
}

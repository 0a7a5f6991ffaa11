/* SPDX-License-Identifier: MIT */
/*
 * store_sql_pipe.c - the SQL store's pipelines: a new pipeline's
 * row, a plan's jobs and needs added in one transaction, a pipeline's
 * state kept in step with its jobs, and what a job that did not pass
 * leaves skipped.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "plan.h"
#include "store_sql.h"
#include "util.h"

int
sql_pipeline_start(struct sql_store *store, int64_t first,
    const struct job_request *request, const char *plan)
{
	sql_bind_int64(store, ST_JOB_SET_PIPELINE, 1, first);
	sql_bind_int64(store, ST_JOB_SET_PIPELINE, 2, first);
	if (sql_run(store, ST_JOB_SET_PIPELINE) == -1)
		return -1;
	sql_bind_int64(store, ST_PIPELINE_ADD, 1, first);
	sql_bind_text(store, ST_PIPELINE_ADD, 2, request->commit);
	sql_bind_text(store, ST_PIPELINE_ADD, 3, plan);
	sql_bind_text(store, ST_PIPELINE_ADD, 4, request->pr_title);
	sql_bind_text(store, ST_PIPELINE_ADD, 5, request->pr_url);
	sql_bind_text(store, ST_PIPELINE_ADD, 6, request->trigger);
	sql_bind_text(store, ST_PIPELINE_ADD, 7, request->params);
	sql_bind_int64(store, ST_PIPELINE_ADD, 8, request->coalesce != 0);
	if (request->bisection > 0)
		sql_bind_int64(store, ST_PIPELINE_ADD, 9, request->bisection);
	return sql_run(store, ST_PIPELINE_ADD);
}

/*
 * A sharded job's state from its shards': running once one started,
 * then passed only if every shard passed, else the worst of theirs.  The
 * reason names the first shard that did not pass.
 */
static int
sql_sharded_settle(struct sql_store *store, int64_t id, enum job_state was,
    const char *name)
{
	struct sql_row *row = sql_row(store, ST_SHARD_STATES);
	enum job_state states[PLAN_MAX_SHARDS], state, bad_state = JOB_PASSED;
	int allowed[PLAN_MAX_SHARDS] = { 0 }, rc, bad = 0, total;
	size_t n = 0;
	char reason[160];

	/*
	 * Over: its shards all ended, or what it needs did not pass and it
	 * was skipped with them (ST_SKIP_AFTER), which says why.
	 */
	if (job_state_final(was))
		return 0;
	sql_bind_int64(store, ST_SHARD_STATES, 1, id);
	while ((rc = sql_step(store, ST_SHARD_STATES)) == SQL_ROW &&
	    n < PLAN_MAX_SHARDS) {
		if (sql_col_state(row, 0, &state) == -1)
			continue;
		if (bad == 0 && job_state_final(state) && state != JOB_PASSED) {
			bad = (int)sql_col_int64(row, 1);
			bad_state = state;
		}
		states[n++] = state;
	}
	sql_reset(store, ST_SHARD_STATES);
	if (rc != SQL_DONE && rc != SQL_ROW)
		return -1;
	if (n == 0)
		return 0;
	total = (int)n;
	state = job_pipeline_state(states, allowed, n);
	if (bad > 0)
		snprintf(reason, sizeof reason, "shard %d of %d %s", bad, total,
		    job_state_name(bad_state));
	sql_bind_int64(store, ST_SHARDED_SET, 1, id);
	sql_bind_text(store, ST_SHARDED_SET, 2, job_state_name(state));
	sql_bind_int64(store, ST_SHARDED_SET, 3, job_state_final(state));
	sql_bind_text(store, ST_SHARDED_SET, 4, bad > 0 ? reason : NULL);
	if (sql_run(store, ST_SHARDED_SET) == -1)
		return -1;
	/* Once it has not passed, what needs it will not run. */
	if (job_state_final(state) && state != JOB_PASSED &&
	    !job_state_final(was))
		return sql_skip_after(store, id, name, state);
	return 0;
}

/* A job of a pipeline being settled. */
struct settle_job {
	enum job_state state;
	int allowed;			/* its failure allowed */
	int64_t id;
	char *name;
	bool sharded;
};

static void
settle_jobs_free(struct settle_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(jobs[i].name);
	free(jobs);
}

/* The jobs of job's pipeline, and its id: their number, or -1. */
static ssize_t
sql_settle_jobs(struct sql_store *store, int64_t job, int64_t *pipeline,
    struct settle_job **out)
{
	struct sql_row *row = sql_row(store, ST_PIPELINE_STATES);
	struct settle_job *jobs = NULL;
	size_t n = 0, cap = 0;
	enum job_state state;
	int rc;

	sql_bind_int64(store, ST_PIPELINE_STATES, 1, job);
	while ((rc = sql_step(store, ST_PIPELINE_STATES)) == SQL_ROW) {
		if (sql_col_state(row, 0, &state) == -1)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			jobs = xrealloc(jobs, cap * sizeof *jobs);
		}
		jobs[n].state = state;
		jobs[n].allowed = (int)sql_col_int64(row, 1);
		*pipeline = sql_col_int64(row, 2);
		jobs[n].sharded = sql_col_int64(row, 3) > 0;
		jobs[n].id = sql_col_int64(row, 4);
		jobs[n].name = jobs[n].sharded ? sql_col_strdup(row, 5) : NULL;
		n++;
	}
	sql_reset(store, ST_PIPELINE_STATES);
	if (rc != SQL_DONE) {
		settle_jobs_free(jobs, n);
		return -1;
	}
	*out = jobs;
	return (ssize_t)n;
}

int
sql_pipeline_settle(struct sql_store *store, int64_t job)
{
	struct settle_job *jobs;
	enum job_state *states, state;
	int *allowed, bad = 0, settled = 0;
	int64_t pipeline = 0;
	ssize_t n;

	if ((n = sql_settle_jobs(store, job, &pipeline, &jobs)) == -1)
		return -1;
	if (n == 0)
		return 0;	/* no such job: its change rolls back */
	/* A sharded job that is not over follows its shards first. */
	for (ssize_t i = 0; i < n && !bad; i++) {
		if (!jobs[i].sharded || job_state_final(jobs[i].state))
			continue;
		bad = sql_sharded_settle(store, jobs[i].id, jobs[i].state,
		    jobs[i].name) == -1;
		settled = 1;
	}
	/* Which may have skipped others: read again. */
	if (settled) {
		settle_jobs_free(jobs, (size_t)n);
		if (bad || (n = sql_settle_jobs(store, job, &pipeline,
		    &jobs)) == -1)
			return -1;
	}
	states = xcalloc((size_t)n, sizeof *states);
	allowed = xcalloc((size_t)n, sizeof *allowed);
	for (ssize_t i = 0; i < n; i++) {
		states[i] = jobs[i].state;
		allowed[i] = jobs[i].allowed;
	}
	state = job_pipeline_state(states, allowed, (size_t)n);
	free(states);
	free(allowed);
	settle_jobs_free(jobs, (size_t)n);
	sql_bind_int64(store, ST_PIPELINE_SET_STATE, 1, pipeline);
	sql_bind_text(store, ST_PIPELINE_SET_STATE, 2, job_state_name(state));
	if (job_state_final(state))
		sql_bind_int64(store, ST_PIPELINE_SET_STATE, 3, now_ms());
	return sql_run(store, ST_PIPELINE_SET_STATE);
}

int
sql_skip_after(struct sql_store *store, int64_t job, const char *name,
    enum job_state state)
{
	char reason[200];

	snprintf(reason, sizeof reason, "needs '%s', which %s",
	    name != NULL ? name : "?", state == JOB_CANCELLED ?
	    "was cancelled" : state == JOB_SKIPPED ? "was skipped" :
	    state == JOB_TIMEOUT ? "timed out" : state == JOB_ERROR ?
	    "ended in error" : "failed");
	sql_bind_int64(store, ST_SKIP_AFTER, 1, job);
	sql_bind_text(store, ST_SKIP_AFTER, 2, reason);
	sql_bind_int64(store, ST_SKIP_AFTER, 3, now_ms());
	return sql_run(store, ST_SKIP_AFTER);
}

/* Entry i as a new job like job like (its pipeline, its queue place). */
static int
sql_plan_add(struct sql_store *store, int64_t like,
    const struct job_plan_entry *e, size_t i, int64_t *id)
{
	if (e->carried > 0) {
		char reason[80];

		snprintf(reason, sizeof reason, "passed in job %lld",
		    (long long)e->carried);
		sql_bind_int64(store, ST_JOB_CARRY, 1, e->carried);
		sql_bind_int64(store, ST_JOB_CARRY, 2, now_ms());
		sql_bind_int64(store, ST_JOB_CARRY, 3, like);
		sql_bind_text(store, ST_JOB_CARRY, 4, reason);
		sql_bind_int64(store, ST_JOB_CARRY, 5, (int64_t)i);
		if (sql_run(store, ST_JOB_CARRY) == -1)
			return -1;
		if (sql_changes(store) != 1) {
			log_warnx("unable to keep job %lld: it did not pass",
			    (long long)e->carried);
			return -1;
		}
	} else {
		sql_bind_int64(store, ST_JOB_ADD_LIKE, 1, like);
		sql_bind_int64(store, ST_JOB_ADD_LIKE, 2, now_ms());
		sql_bind_text(store, ST_JOB_ADD_LIKE, 3, e->name);
		sql_bind_text(store, ST_JOB_ADD_LIKE, 4, e->spec);
		sql_bind_text(store, ST_JOB_ADD_LIKE, 5, e->labels);
		sql_bind_int64(store, ST_JOB_ADD_LIKE, 6, e->allow_failure);
		sql_bind_int64(store, ST_JOB_ADD_LIKE, 7, (int64_t)i);
		if (sql_run(store, ST_JOB_ADD_LIKE) == -1)
			return -1;
	}
	*id = sql_last_id(store);
	return 0;
}

/* The needs of every entry and each shard's job, now that each has its id. */
static int
sql_plan_needs(struct sql_store *store, const struct job_plan *plan,
    const int64_t *ids)
{
	for (size_t i = 0; i < plan->njobs; i++) {
		const struct job_plan_entry *e = &plan->jobs[i];

		if (e->shard_of > plan->njobs)
			return -1;
		if (e->shards > 0 || e->shard_of > 0) {
			enum store_stmt st = ST_JOB_SET_SHARD;

			sql_bind_int64(store, st, 1, ids[i]);
			sql_bind_int64(store, st, 2, e->shards);
			sql_bind_known(store, st, 3, e->shard_of > 0 ?
			    ids[e->shard_of - 1] : -1);
			sql_bind_known(store, st, 4, e->shard_of > 0 ?
			    e->shard_index : -1);
			sql_bind_known(store, st, 5, e->shard_of > 0 ?
			    e->expected_ms : -1);
			if (sql_run(store, st) == -1)
				return -1;
		}
		for (size_t k = 0; k < e->nneeds; k++) {
			if (e->needs[k] >= plan->njobs)
				return -1;
			sql_bind_int64(store, ST_NEED_ADD, 1, ids[i]);
			sql_bind_int64(store, ST_NEED_ADD, 2, ids[e->needs[k]]);
			if (sql_run(store, ST_NEED_ADD) == -1)
				return -1;
		}
	}
	return 0;
}

int
sql_plan_fill(struct sql_store *store, int64_t first,
    const struct job_plan *plan, int64_t *ids)
{
	for (size_t i = 0; i < plan->njobs; i++) {
		if (i != plan->first &&
		    sql_plan_add(store, first, &plan->jobs[i], i, &ids[i]) == -1)
			return -1;
	}
	ids[plan->first] = first;
	if (sql_plan_needs(store, plan, ids) == -1)
		return -1;
	sql_bind_int64(store, ST_PIPELINE_SET_PLAN, 1, first);
	sql_bind_text(store, ST_PIPELINE_SET_PLAN, 2, plan->text);
	if (sql_run(store, ST_PIPELINE_SET_PLAN) == -1)
		return -1;
	return sql_pipeline_settle(store, first);
}

int
sqlstore_pipeline_plan(struct store *base, int64_t job,
    const struct job_plan *plan, int64_t *ids)
{
	struct sql_store *store = (struct sql_store *)base;
	const struct job_plan_entry *e = &plan->jobs[plan->first];

	if (sql_run(store, ST_BEGIN) == -1)
		return -1;
	sql_bind_int64(store, ST_JOB_PLAN, 1, job);
	sql_bind_text(store, ST_JOB_PLAN, 2, e->name);
	sql_bind_text(store, ST_JOB_PLAN, 3, e->spec);
	sql_bind_text(store, ST_JOB_PLAN, 4, e->labels);
	sql_bind_int64(store, ST_JOB_PLAN, 5, e->allow_failure);
	sql_bind_int64(store, ST_JOB_PLAN, 6, (int64_t)plan->first);
	if (sql_run(store, ST_JOB_PLAN) == -1)
		goto fail;
	if (sql_changes(store) != 1) {
		sql_rollback(store);
		return 1;
	}
	if (sql_plan_fill(store, job, plan, ids) == -1)
		goto fail;
	return sql_commit(store);
fail:
	sql_rollback(store);
	return -1;
}

int
sqlstore_pipeline_get(struct store *base, int64_t id, struct pipeline *p)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_PIPELINE_GET);
	const char *plan;
	int rc, found = 0;

	memset(p, 0, sizeof *p);
	sql_bind_int64(store, ST_PIPELINE_GET, 1, id);
	rc = sql_step(store, ST_PIPELINE_GET);
	if (rc == SQL_ROW && sql_col_state(row, 1, &p->state) == 0) {
		found = 1;
		p->id = sql_col_int64(row, 0);
		plan = sql_col_text(row, 2);
		p->plan = plan != NULL ? xstrdup(plan) : NULL;
		p->finished_ms = sql_col_int64(row, 3);
		p->replaces = sql_col_int64(row, 4);	/* NULL: 0 */
	}
	sql_reset(store, ST_PIPELINE_GET);
	return rc == SQL_ROW || rc == SQL_DONE ? found : -1;
}

int
sqlstore_pipeline_needs(struct store *base, int64_t id,
    void (*cb)(int64_t job, int64_t need, void *arg), void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_PIPELINE_NEEDS);
	int rc, n = 0;

	sql_bind_int64(store, ST_PIPELINE_NEEDS, 1, id);
	while ((rc = sql_step(store, ST_PIPELINE_NEEDS)) == SQL_ROW) {
		cb(sql_col_int64(row, 0), sql_col_int64(row, 1),
		    arg);
		n++;
	}
	sql_reset(store, ST_PIPELINE_NEEDS);
	return rc == SQL_DONE ? n : -1;
}

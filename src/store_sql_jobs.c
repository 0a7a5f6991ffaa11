/* SPDX-License-Identifier: MIT */
/*
 * store_sql_jobs.c - the SQL store's changes to jobs (queue, start,
 * adopt, requeue, finish) and its look-ups of one job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sql.h"
#include "util.h"

#define STORE_RESTART_REASON "the dispatcher restarted while the job ran"

/* Find or add the repository's row; inside a transaction. */
static int
store_repo_id(struct sql_store *store, const char *url, int64_t *repo_id)
{
	int found;

	if (store->repo_url != NULL && strcmp(store->repo_url, url) == 0) {
		*repo_id = store->repo_id;
		return 0;
	}
	sql_bind_text(store, ST_REPO_FIND, 1, url);
	if ((found = sql_scalar(store, ST_REPO_FIND, repo_id)) == 1) {
		/* Found, so committed: one added here may yet roll back. */
		free(store->repo_url);
		store->repo_url = xstrdup(url);
		store->repo_id = *repo_id;
	}
	if (found != 0)
		return found == 1 ? 0 : -1;

	sql_bind_text(store, ST_REPO_ADD, 1, url);
	sql_bind_int64(store, ST_REPO_ADD, 2, now_ms());
	if (sql_run(store, ST_REPO_ADD) == -1)
		return -1;
	*repo_id = sql_last_id(store);
	return 0;
}

/*
 * The latest job for a commit, and the jobs queued for its repository:
 * 1 found, 0 none, -1 error.
 */
static int
store_job_latest(struct sql_store *store, int64_t repo_id,
    const char *commit, int64_t *job_id, enum job_state *state,
    int64_t *queued)
{
	struct sql_row *row = sql_row(store, ST_JOB_LATEST);
	int rc, found = 0;

	sql_bind_int64(store, ST_JOB_LATEST, 1, repo_id);
	sql_bind_text(store, ST_JOB_LATEST, 2, commit);
	rc = sql_step(store, ST_JOB_LATEST);
	if (rc == SQL_ROW) {
		*queued = sql_col_int64(row, 2);
		if (!sql_col_null(row, 0)) {
			*job_id = sql_col_int64(row, 0);
			found = sql_col_state(row, 1, state) == 0 ? 1 : -1;
		}
	}
	sql_reset(store, ST_JOB_LATEST);
	return rc == SQL_DONE || rc == SQL_ROW ? found : -1;
}

/*
 * A new pipeline: its first job, then with a plan the others (the first
 * entry is one to run: a retry re-runs at least one).  Inside a
 * transaction.
 */
static int
store_pipeline_add(struct sql_store *store, int64_t repo_id,
    const struct job_request *request, int64_t *job_id)
{
	const struct job_plan *plan = request->plan;
	const struct job_plan_entry *e = plan ? &plan->jobs[plan->first] : NULL;
	int64_t *ids;
	int rc;

	sql_bind_int64(store, ST_LANE_ADD, 1, repo_id);
	sql_bind_text(store, ST_LANE_ADD, 2, request->branch);
	sql_bind_int64(store, ST_LANE_ADD, 3, request->priority);
	if (sql_run(store, ST_LANE_ADD) == -1)
		return -1;
	sql_bind_int64(store, ST_JOB_ADD, 1, repo_id);
	sql_bind_text(store, ST_JOB_ADD, 2, request->commit);
	sql_bind_text(store, ST_JOB_ADD, 3, request->branch);
	sql_bind_int64(store, ST_JOB_ADD, 4, now_ms());
	sql_bind_text(store, ST_JOB_ADD, 5, request->subject);
	sql_bind_text(store, ST_JOB_ADD, 6, request->author);
	if (request->retry_of > 0)
		sql_bind_int64(store, ST_JOB_ADD, 7, request->retry_of);
	if (e != NULL) {
		sql_bind_text(store, ST_JOB_ADD, 8, e->name);
		sql_bind_text(store, ST_JOB_ADD, 9, e->spec);
		sql_bind_text(store, ST_JOB_ADD, 10, e->labels);
	}
	sql_bind_int64(store, ST_JOB_ADD, 11, e != NULL && e->allow_failure);
	if (e != NULL)
		sql_bind_int64(store, ST_JOB_ADD, 12, (int64_t)plan->first);
	sql_bind_int64(store, ST_JOB_ADD, 13, request->priority);
	if (request->hold_until_ms > 0)
		sql_bind_int64(store, ST_JOB_ADD, 14, request->hold_until_ms);
	if (sql_run(store, ST_JOB_ADD) == -1)
		return -1;
	*job_id = sql_last_id(store);
	if (sql_pipeline_start(store, *job_id, request,
	    plan ? plan->text : NULL) == -1)
		return -1;
	if (plan == NULL)
		return 0;
	ids = xcalloc(plan->njobs, sizeof *ids);
	rc = sql_plan_fill(store, *job_id, plan, ids);
	free(ids);
	return rc;
}

int
sqlstore_dispatch(struct store *base, const struct job_request *request,
    int64_t *job_id, enum job_state *state, int *existing)
{
	struct sql_store *store = (struct sql_store *)base;
	int64_t repo_id, queued = 0;
	int found;

	/* IMMEDIATE: the look-up and the insert must see the same queue. */
	if (sql_run(store, ST_BEGIN) == -1)
		return -1;
	if (store_repo_id(store, request->repo, &repo_id) == -1 ||
	    (found = store_job_latest(store, repo_id, request->commit, job_id,
	    state, &queued)) == -1)
		goto fail;
	if (request->rebuild)
		found = 0;
	if (!found && store->base.max_queued > 0 &&
	    queued >= store->base.max_queued) {
		sql_rollback(store);
		return -2;
	}
	if (!found && store_pipeline_add(store, repo_id, request, job_id) == -1)
		goto fail;
	if (!found)
		*state = JOB_QUEUED;
	if (sql_commit(store) == -1)
		return -1;
	*existing = found;
	return 0;
fail:
	sql_rollback(store);
	return -1;
}

int
sqlstore_next_queued(struct store *base, struct job *job)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_JOB_NEXT, 1, 1);
	sql_bind_int64(store, ST_JOB_NEXT, 2, now_ms());
	return sql_read_job(store, ST_JOB_NEXT, job);
}

int
sqlstore_job_get(struct store *base, int64_t id, struct job *job)
{
	struct sql_store *store = (struct sql_store *)base;
	int found;

	if (store->job_read != NULL && store->job_read->id == id) {
		job_copy(job, store->job_read);
		return 1;
	}
	sql_bind_int64(store, ST_JOB_GET, 1, id);
	if ((found = sql_read_job(store, ST_JOB_GET, job)) == 1) {
		sql_job_forget(store);
		store->job_read = xmalloc(sizeof *store->job_read);
		job_copy(store->job_read, job);
	}
	return found;
}

int
sqlstore_job_get_counted(struct store *base, int64_t id, struct job *job,
    struct test_counts *counts)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_JOB_GET_COUNTED);
	int rc, found = 0;

	memset(counts, 0, sizeof *counts);
	sql_bind_int64(store, ST_JOB_GET_COUNTED, 1, id);
	if ((rc = sql_step(store, ST_JOB_GET_COUNTED)) == SQL_ROW &&
	    (found = sql_job_fill(row, job)) == 1)
		sql_counts_fill(row, JOB_LIST_COLUMNS, counts);
	sql_reset(store, ST_JOB_GET_COUNTED);
	if (found == -1)
		job_release(job);
	if (rc == SQL_ERROR)
		return -1;
	/* A sharded job's tests are its shards': read apart. */
	if (found == 1 && job->shards > 0 &&
	    sql_job_counts(store, id, counts) == -1) {
		job_release(job);
		return -1;
	}
	return found;
}

int
sqlstore_job_start(struct store *base, int64_t id, const char *runner)
{
	struct sql_store *store = (struct sql_store *)base;
	int64_t now = now_ms();
	static const enum store_stmt after[] = { ST_SERVED_MARK,
	    ST_PIPELINE_RUN, ST_SHARD_PARENT_RUN };

	/* Unsynced: a start lost to a power cut leaves the job queued, and
	 * its runner's register or result takes it as before. */
	if (sql_begin_unsynced(store) == -1)
		return -1;
	sql_bind_int64(store, ST_JOB_START, 1, id);
	sql_bind_text(store, ST_JOB_START, 2, runner);
	sql_bind_int64(store, ST_JOB_START, 3, now);
	if (sql_run(store, ST_JOB_START) == -1)
		goto fail;
	/*
	 * What a start settles needs no read: a running job's pipeline runs,
	 * and so does a shard's job.  These change nothing unless the start
	 * did, so it is asked after the commit: a server's driver sends the
	 * whole transaction at once.
	 */
	for (size_t i = 0; i < sizeof after / sizeof after[0]; i++) {
		sql_bind_int64(store, after[i], 1, id);
		sql_bind_int64(store, after[i], 2, now);
		if (sql_run(store, after[i]) == -1)
			goto fail;
	}
	if (sql_commit_unsynced(store) == -1)
		return -1;
	return sql_job_changed(store, ST_JOB_START, id, "queued");
fail:
	sql_rollback(store);
	return -1;
}

int
sqlstore_job_adopt(struct store *base, int64_t id, const char *runner)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_JOB_ADOPT, 1, id);
	sql_bind_text(store, ST_JOB_ADOPT, 2, runner);
	if (sql_run(store, ST_JOB_ADOPT) == -1)
		return -1;
	return sql_changes(store) == 1 ? 0 : 1;
}

/* running -> queued at the front (st says how); inside a transaction. */
static int
store_job_requeue_in(struct sql_store *store, enum store_stmt st,
    int64_t id, const char *reason)
{
	sql_bind_int64(store, st, 1, id);
	sql_bind_text(store, st, 2, reason);
	if (sql_update_job(store, st, id, "running") == -1)
		return -1;
	return sql_pipeline_settle(store, id);
}

static int
store_job_requeue_as(struct sql_store *store, enum store_stmt st,
    int64_t id, const char *reason)
{
	if (sql_run(store, ST_BEGIN) == -1)
		return -1;
	if (store_job_requeue_in(store, st, id, reason) == -1) {
		sql_rollback(store);
		return -1;
	}
	return sql_commit(store);
}

int
sqlstore_job_hand_back(struct store *base, int64_t id, const char *reason)
{
	return store_job_requeue_as((struct sql_store *)base,
	    ST_JOB_HAND_BACK, id, reason);
}

int
sqlstore_job_requeue(struct store *base, int64_t id, const char *reason)
{
	return store_job_requeue_as((struct sql_store *)base,
	    ST_JOB_REQUEUE, id, reason);
}

/*
 * Taking the running jobs from the back and putting each at the front
 * keeps their order.  One row at a time, because a query must not go on
 * reading the index that its own updates move rows in.
 */
int
sqlstore_requeue_running(struct store *base)
{
	struct sql_store *store = (struct sql_store *)base;
	int64_t id;
	int found, n = 0;

	if (sql_run(store, ST_BEGIN) == -1)
		return -1;
	while ((found = sql_scalar(store, ST_JOB_LAST_RUNNING, &id)) == 1) {
		if (store_job_requeue_in(store, ST_JOB_REQUEUE, id,
		    STORE_RESTART_REASON) == -1)
			goto fail;
		n++;
	}
	if (found == -1)
		goto fail;
	return sql_commit(store) == 0 ? n : -1;
fail:
	sql_rollback(store);
	return -1;
}

/*
 * A job that did not pass leaves what needs it skipped; its pipeline's
 * state follows.  Inside the finish's transaction.
 */
static int
store_job_settle(struct sql_store *store, const struct job_result *result)
{
	struct job job;
	int found;

	if (result->state != JOB_PASSED) {
		sql_bind_int64(store, ST_JOB_GET, 1, result->job);
		if ((found = sql_read_job(store, ST_JOB_GET, &job)) == -1)
			return -1;
		/* None: the finish changed nothing, and rolls back. */
		if (found == 0)
			return 0;
		if (sql_skip_after(store, job.id, job.name,
		    result->state) == -1) {
			job_release(&job);
			return -1;
		}
		job_release(&job);
	}
	return sql_pipeline_settle(store, result->job);
}

int
sqlstore_job_finish(struct store *base, const struct job_result *result)
{
	struct sql_store *store = (struct sql_store *)base;
	enum store_stmt st = ST_JOB_FINISH;
	int64_t final;
	int found;

	if (sql_run(store, ST_BEGIN) == -1)
		return -1;
	sql_bind_int64(store, st, 1, result->job);
	sql_bind_text(store, st, 2, job_state_name(result->state));
	sql_bind_known(store, st, 3, result->exit_code);
	sql_bind_known(store, st, 4, result->duration_ms);
	sql_bind_known(store, st, 5, result->tests.run);
	sql_bind_known(store, st, 6, result->tests.failed);
	sql_bind_known(store, st, 7, result->tests.skipped);
	sql_bind_text(store, st, 8, result->message);
	sql_bind_int64(store, st, 9, now_ms());
	if (sql_run(store, st) == -1)
		goto fail;
	/*
	 * Settled before asking whether it changed the job, so that a
	 * server's driver reads the finish's answer with the settling's
	 * first: rolled back below if it did not.
	 */
	if (store_job_settle(store, result) == -1)
		goto fail;
	if (sql_changes_of(store, st) == 1) {
		if (!result->tests_none &&
		    sql_tests_settle(store, result->job) == -1)
			goto fail;
		return sql_commit(store);
	}
	sql_rollback(store);

	/* Nothing changed: a late or repeated result, or a wrong id. */
	sql_bind_int64(store, ST_JOB_FINAL, 1, result->job);
	if ((found = sql_scalar(store, ST_JOB_FINAL, &final)) == -1)
		return -1;
	if (found && final)
		return 1;
	log_warnx("unable to finish job %lld: %s", (long long)result->job,
	    found ? "its state changed meanwhile" : "no such job");
	return -1;
fail:
	sql_rollback(store);
	return -1;
}

int
sqlstore_job_retry_failed(struct store *base, int64_t id, const char *reason)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_JOB_RETRY_FAILED, 1, id);
	sql_bind_text(store, ST_JOB_RETRY_FAILED, 2, reason);
	return sql_update_job(store, ST_JOB_RETRY_FAILED, id, "running");
}

int
sqlstore_count_state(struct store *base, enum job_state state)
{
	struct sql_store *store = (struct sql_store *)base;
	int64_t n;

	sql_bind_text(store, ST_COUNT_STATE, 1, job_state_name(state));
	if (sql_scalar(store, ST_COUNT_STATE, &n) != 1)
		return -1;
	return (int)n;
}

int
sqlstore_runner_seen(struct store *base, const char *name, const char *address)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_text(store, ST_RUNNER_SEEN, 1, name);
	sql_bind_text(store, ST_RUNNER_SEEN, 2, address);
	sql_bind_int64(store, ST_RUNNER_SEEN, 3, now_ms());
	return sql_run(store, ST_RUNNER_SEEN);
}


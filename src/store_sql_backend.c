/* SPDX-License-Identifier: MIT */
/*
 * store_sql_backend.c - the table of functions store.c calls for a store
 * kept in an SQL database, whichever: the logic (store_sql_*.c) is the
 * same for all, and the rest is the driver's (store_sql.h).
 */
#include "store_sql.h"

static void
sqlstore_close(struct store *base)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_job_forget(store);
	store->driver->close(store);
}

static void
sqlstore_sync_hold(struct store *base)
{
	struct sql_store *store = (struct sql_store *)base;

	store->driver->sync_hold(store);
}

static void
sqlstore_sync_release(struct store *base)
{
	struct sql_store *store = (struct sql_store *)base;

	store->driver->sync_release(store);
}

static int
sqlstore_fd(struct store *base)
{
	struct sql_store *store = (struct sql_store *)base;

	return store->driver->fd(store);
}

static void
sqlstore_poll(struct store *base)
{
	struct sql_store *store = (struct sql_store *)base;

	store->driver->poll(store);
}

const struct store_backend store_sql_backend = {
	.fd = sqlstore_fd,
	.poll = sqlstore_poll,
	.close = sqlstore_close,
	.sync_hold = sqlstore_sync_hold,
	.sync_release = sqlstore_sync_release,
	.requeue_running = sqlstore_requeue_running,
	.dispatch = sqlstore_dispatch,
	.next_queued = sqlstore_next_queued,
	.job_start = sqlstore_job_start,
	.job_adopt = sqlstore_job_adopt,
	.job_requeue = sqlstore_job_requeue,
	.job_hand_back = sqlstore_job_hand_back,
	.job_finish = sqlstore_job_finish,
	.job_get = sqlstore_job_get,
	.count_state = sqlstore_count_state,
	.list_jobs = sqlstore_list_jobs,
	.list_queue = sqlstore_list_queue,
	.list_heads = sqlstore_list_heads,
	.count_states = sqlstore_count_states,
	.oldest_queued = sqlstore_oldest_queued,
	.job_by_commit = sqlstore_job_by_commit,
	.running_ids = sqlstore_running_ids,
	.final_heads = sqlstore_final_heads,
	.latest_final = sqlstore_latest_final,
	.runner_seen = sqlstore_runner_seen,
	.pipeline_plan = sqlstore_pipeline_plan,
	.pipeline_get = sqlstore_pipeline_get,
	.pipeline_jobs = sqlstore_pipeline_jobs,
	.pipeline_needs = sqlstore_pipeline_needs,
	.list_runnable = sqlstore_list_runnable,
	.job_retry_failed = sqlstore_job_retry_failed,
	.tests_add = sqlstore_tests_add,
	.job_tests = sqlstore_job_tests,
	.job_test_counts = sqlstore_job_test_counts,
	.job_get_counted = sqlstore_job_get_counted,
	.test_history = sqlstore_test_history,
	.flaky_tests = sqlstore_flaky_tests,
	.test_mark_flaky = sqlstore_test_mark_flaky,
	.test_durations = sqlstore_test_durations,
	.test_quarantine = sqlstore_test_quarantine,
	.quarantined = sqlstore_quarantined,
	.outbox_add = sqlstore_outbox_add,
	.outbox_list = sqlstore_outbox_list,
	.outbox_remove = sqlstore_outbox_remove,
	.outbox_count = sqlstore_outbox_count,
	.prune = sqlstore_prune,
	.supersede = sqlstore_supersede,
	.push_before = sqlstore_push_before,
	.push_after = sqlstore_push_after,
	.bisect_start = sqlstore_bisect_start,
	.bisect_of = sqlstore_bisect_of,
	.bisections_running = sqlstore_bisections_running,
	.bisect_get = sqlstore_bisect_get,
	.bisect_latest = sqlstore_bisect_latest,
	.bisect_range = sqlstore_bisect_range,
	.bisect_runs = sqlstore_bisect_runs,
	.bisect_end = sqlstore_bisect_end,
	.branch_tip = sqlstore_branch_tip,
	.schedule_last = sqlstore_schedule_last,
	.schedule_set = sqlstore_schedule_set,
	.delivery_known = sqlstore_delivery_known,
	.delivery_add = sqlstore_delivery_add,
	.artifact_add = sqlstore_artifact_add,
	.artifacts_of_job = sqlstore_artifacts_of_job,
	.artifact_get = sqlstore_artifact_get,
	.artifacts_of_needs = sqlstore_artifacts_of_needs,
	.artifacts_expire = sqlstore_artifacts_expire,
	.artifacts_remove_job = sqlstore_artifacts_remove_job,
	.secret_set = sqlstore_secret_set,
	.secrets_list = sqlstore_secrets_list,
	.secret_remove = sqlstore_secret_remove,
	.secret_get = sqlstore_secret_get,
	.log_append = sqlstore_log_append,
	.log_clear = sqlstore_log_clear,
	.log_copy = sqlstore_log_copy,
	.log_read = sqlstore_log_read,
	.copy = sqlstore_copy,
};

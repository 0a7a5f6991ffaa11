/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite.c - the SQLite backend's table of functions, for store.c.
 * The data lives in STATE/ssci.db; see store_sqlite_db.c for how.
 */
#include "store_sqlite.h"

static struct store *
sqlite_open(const char *dir)
{
	struct store *store = sql_open(dir);

	if (store != NULL)
		store->backend = &store_sqlite_backend;
	return store;
}

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.open = sqlite_open,
	.backup = sqlite_backup,
	.check_file = sqlite_check_file,
	.close = sql_close,
	.sync_hold = sql_sync_hold,
	.sync_release = sql_sync_release,
	.requeue_running = sqlite_requeue_running,
	.dispatch = sqlite_dispatch,
	.next_queued = sqlite_next_queued,
	.job_start = sqlite_job_start,
	.job_adopt = sqlite_job_adopt,
	.job_requeue = sqlite_job_requeue,
	.job_hand_back = sqlite_job_hand_back,
	.job_finish = sqlite_job_finish,
	.job_get = sqlite_job_get,
	.count_state = sqlite_count_state,
	.list_jobs = sqlite_list_jobs,
	.list_queue = sqlite_list_queue,
	.list_heads = sqlite_list_heads,
	.count_states = sqlite_count_states,
	.oldest_queued = sqlite_oldest_queued,
	.job_by_commit = sqlite_job_by_commit,
	.running_ids = sqlite_running_ids,
	.final_heads = sqlite_final_heads,
	.latest_final = sqlite_latest_final,
	.final_before = sqlite_final_before,
	.runner_seen = sqlite_runner_seen,
	.pipeline_plan = sqlite_pipeline_plan,
	.pipeline_get = sqlite_pipeline_get,
	.pipeline_jobs = sqlite_pipeline_jobs,
	.pipeline_needs = sqlite_pipeline_needs,
	.list_runnable = sqlite_list_runnable,
	.job_retry_failed = sqlite_job_retry_failed,
	.tests_add = sqlite_tests_add,
	.job_tests = sqlite_job_tests,
	.job_test_counts = sqlite_job_test_counts,
	.test_history = sqlite_test_history,
	.flaky_tests = sqlite_flaky_tests,
	.test_mark_flaky = sqlite_test_mark_flaky,
	.test_durations = sqlite_test_durations,
	.test_quarantine = sqlite_test_quarantine,
	.quarantined = sqlite_quarantined,
	.outbox_add = sqlite_outbox_add,
	.outbox_list = sqlite_outbox_list,
	.outbox_remove = sqlite_outbox_remove,
	.outbox_count = sqlite_outbox_count,
	.prune = sqlite_prune,
	.supersede = sqlite_supersede,
	.push_before = sqlite_push_before,
	.push_after = sqlite_push_after,
	.bisect_start = sqlite_bisect_start,
	.bisect_of = sqlite_bisect_of,
	.bisections_running = sqlite_bisections_running,
	.bisect_get = sqlite_bisect_get,
	.bisect_latest = sqlite_bisect_latest,
	.bisect_range = sqlite_bisect_range,
	.bisect_runs = sqlite_bisect_runs,
	.bisect_end = sqlite_bisect_end,
	.branch_tip = sqlite_branch_tip,
	.schedule_last = sqlite_schedule_last,
	.schedule_set = sqlite_schedule_set,
	.delivery_known = sqlite_delivery_known,
	.delivery_add = sqlite_delivery_add,
	.artifact_add = sqlite_artifact_add,
	.artifacts_of_job = sqlite_artifacts_of_job,
	.artifact_get = sqlite_artifact_get,
	.artifacts_of_needs = sqlite_artifacts_of_needs,
	.artifacts_expire = sqlite_artifacts_expire,
	.artifacts_remove_job = sqlite_artifacts_remove_job,
	.secret_set = sqlite_secret_set,
	.secrets_list = sqlite_secrets_list,
	.secret_remove = sqlite_secret_remove,
	.secret_get = sqlite_secret_get,
};

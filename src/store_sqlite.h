/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite.h - what the files of the SQLite store share and nobody
 * else sees: the statements (store_sqlite_sql.c), the connection and the
 * helpers that run statements (store_sqlite_db.c), and the backend's
 * functions that store_sqlite.c puts in its table (store_sqlite_jobs.c,
 * store_sqlite_query.c).
 */
#ifndef SSCI_STORE_SQLITE_H
#define SSCI_STORE_SQLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store_backend.h"

/* How long a statement waits for another process's lock. */
#define STORE_BUSY_TIMEOUT_MS 5000

/* Free pages a step of retention gives back: 1,024 (4 MiB). */
#define STORE_VACUUM_PAGES_SQL "1024"

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
	ST_FINAL_BEFORE,
	ST_JOB_ADD_LIKE,
	ST_JOB_CARRY,
	ST_JOB_SET_PIPELINE,
	ST_JOB_PLAN,
	ST_NEED_ADD,
	ST_SKIP_AFTER,
	ST_PIPELINE_ADD,
	ST_PIPELINE_SET_PLAN,
	ST_PIPELINE_OF,
	ST_PIPELINE_STATES,
	ST_PIPELINE_SET_STATE,
	ST_PIPELINE_GET,
	ST_PIPELINE_JOBS,
	ST_PIPELINE_NEEDS,
	ST_RUNNABLE_LIST,
	ST_JOB_HAND_BACK,
	ST_JOB_RETRY_FAILED,
	ST_JOB_SET_FLAKY,
	ST_TEST_JOB,
	ST_TEST_FIND,
	ST_TEST_ADD,
	ST_TEST_RUN_ADD,
	ST_JOB_TESTS_FAILED,
	ST_JOB_TESTS_OTHERS,
	ST_TEST_COUNT_ADD,
	ST_TEST_COUNT_FLAKY,
	ST_JOB_TEST_COUNTS,
	ST_TEST_HISTORY,
	ST_TEST_OTHER_RUNS,
	ST_TEST_MARK_FLAKY,
	ST_TEST_RUN_FLAKY,
	ST_TEST_LAST_PASSED,
	ST_TEST_DURATIONS,
	ST_FLAKY_LIST,
	ST_TEST_QUARANTINE,
	ST_QUARANTINE_LIST,
	ST_JOB_SET_SHARD,
	ST_SHARDED_TESTS_FAILED,
	ST_SHARDED_TESTS_OTHERS,
	ST_JOB_SHARDS,
	ST_SHARDED_TEST_COUNTS,
	ST_SHARDED_JOBS,
	ST_SHARD_STATES,
	ST_SHARDED_SET,
	ST_OUTBOX_ADD,
	ST_OUTBOX_LIST,
	ST_OUTBOX_REMOVE,
	ST_OUTBOX_COUNT,
	ST_DELIVERY_FIND,
	ST_DELIVERY_ADD,
	ST_DELIVERY_PRUNE,
	ST_PRUNE_SCAN,
	ST_PRUNE_NTH,
	ST_PRUNE_BISECTING,
	ST_PRUNE_JOB_IDS,
	ST_PRUNE_TEST_RUNS,
	ST_PRUNE_TEST_ATTEMPTS,
	ST_PRUNE_NEEDS,
	ST_PRUNE_ARTIFACTS,
	ST_PRUNE_JOBS,
	ST_PRUNE_PIPELINE,
	ST_VACUUM_STEP,
	ST_SERVED_MARK,
	ST_LANE_ADD,
	ST_QUEUED_LANES,
	ST_LANE_RUNNABLE,
	ST_SUPERSEDE_LIST,
	ST_SUPERSEDE_JOBS,
	ST_SUPERSEDE_PIPELINE,
	ST_SUPERSEDE_REPOINT,
	ST_SUPERSEDE_REASONS,
	ST_BISECT_BEFORE,
	ST_PUSH_AFTER,
	ST_BISECT_ADD,
	ST_BISECT_OF,
	ST_BISECT_RUNNING,
	ST_BISECT_GET,
	ST_BISECT_LATEST,
	ST_BISECT_RANGE,
	ST_BISECT_RUNS,
	ST_BISECT_END,
	ST_BRANCH_TIP,
	ST_SCHEDULE_GET,
	ST_SCHEDULE_SET,
	ST_SECRET_SET,
	ST_SECRET_LIST,
	ST_SECRET_REMOVE,
	ST_SECRET_GET,
	ST_ARTIFACT_ADD,
	ST_ARTIFACTS_OF_JOB,
	ST_ARTIFACT_GET,
	ST_ARTIFACTS_OF_NEEDS,
	ST_ARTIFACTS_EXPIRED,
	ST_ARTIFACT_REMOVE,
	ST_ARTIFACTS_REMOVE_JOB,
	ST_MAX
};

struct store_sql {
	const char *what;	/* for "unable to <what>" */
	const char *sql;
};

/* store_sqlite_sql.c */
extern const struct store_sql store_sql[ST_MAX];
/* Migration i takes the schema from version i to i + 1. */
extern const char *const store_migrations[];
extern const int store_version;

struct store_sqlite {
	struct store base;
	sqlite3 *db;
	char *path;			/* DIR/ssci.db, for messages */
	sqlite3_stmt *stmt[ST_MAX];
	bool unsynced;			/* synchronous=NORMAL still set */
	bool holding;			/* between sync_hold and release */
	bool owed;			/* a commit made while holding */
	int64_t changes_at_begin;	/* sqlite3_total_changes64 at BEGIN */
};

/* store_sqlite_db.c */
struct store *sql_open(const char *dir);
void sql_close(struct store *base);
/* What sql_step returns. */
enum { SQL_ERROR = -1, SQL_DONE = 0, SQL_ROW = 1 };
/* Step a statement: SQL_ROW, SQL_DONE, or SQL_ERROR, logged. */
int sql_step(struct store_sqlite *store, enum store_stmt id);
/* Make a statement ready for its next use, dropping old values. */
void sql_reset(struct store_sqlite *store, enum store_stmt id);
/* Run a statement that returns no rows: 0 or -1. */
int sql_run(struct store_sqlite *store, enum store_stmt id);
/* Run a query for one number: 1 and *out set, 0 if no row, -1. */
int sql_scalar(struct store_sqlite *store, enum store_stmt id, int64_t *out);
/* Rows the last change touched. */
int sql_changes(struct store_sqlite *store);
/* The row id the last insert made. */
int64_t sql_last_id(struct store_sqlite *store);
/* Roll back after an error, if SQLite has not done so already. */
void sql_rollback(struct store_sqlite *store);
/* Commit, or roll back if that fails: 0 or -1. */
int sql_commit(struct store_sqlite *store);
/* A transaction whose commit waits for no fdatasync (see the .c). */
int sql_begin_unsynced(struct store_sqlite *store);
int sql_commit_unsynced(struct store_sqlite *store);
/* store_sync_hold and store_sync_release (store.h). */
void sql_sync_hold(struct store *base);
void sql_sync_release(struct store *base);
void sql_bind_int64(struct store_sqlite *store, enum store_stmt id, int idx,
    int64_t v);
/* A negative number means unknown and is bound as NULL. */
void sql_bind_known(struct store_sqlite *store, enum store_stmt id, int idx,
    int64_t v);
/* NULL binds NULL; the text is copied. */
void sql_bind_text(struct store_sqlite *store, enum store_stmt id, int idx,
    const char *s);
/* The bytes are copied. */
void sql_bind_blob(struct store_sqlite *store, enum store_stmt id, int idx,
    const void *p, size_t len);
/*
 * A statement's current row, read with the sql_col_ functions (columns
 * counted from 0) after sql_step returned SQL_ROW.  The handle is the
 * statement's for its whole life, so it may be taken before the step;
 * what the readers return lasts until the statement's next step or reset.
 * The store's logic reads rows only through these, never through SQLite's
 * calls, so that another database's driver can serve the same logic.
 */
struct sql_row;
struct sql_row *sql_row(struct store_sqlite *store, enum store_stmt id);
int64_t sql_col_int64(struct sql_row *row, int col);
/* NULL for NULL. */
const char *sql_col_text(struct sql_row *row, int col);
bool sql_col_null(struct sql_row *row, int col);
const void *sql_col_blob(struct sql_row *row, int col, size_t *len);
/* A text column, malloc'd; NULL stays NULL. */
char *sql_col_strdup(struct sql_row *row, int col);
/* A number column; NULL reads as def. */
int64_t sql_col_int64_or(struct sql_row *row, int col, int64_t def);
/* A job state column: 0 and *state, or -1 (logged) for a name we don't know. */
int sql_col_state(struct sql_row *row, int col, enum job_state *state);
/* Fill *job from a row of JOB_COLUMNS: 1, or -1 for a row we can't read. */
int sql_job_fill(struct sql_row *row, struct job *job);
/* Read one job row from a JOB_COLUMNS statement: 1, 0 if none, -1. */
int sql_read_job(struct store_sqlite *store, enum store_stmt id,
    struct job *job);
/* Run an update of one job that must be in state from: 0 or -1. */
int sql_update_job(struct store_sqlite *store, enum store_stmt st, int64_t id,
    const char *from);

/* store_sqlite_jobs.c: changes, and single jobs */
int sqlite_requeue_running(struct store *base);
int sqlite_dispatch(struct store *base, const struct job_request *request,
    int64_t *job_id, enum job_state *state, int *existing);
int sqlite_next_queued(struct store *base, struct job *job);
int sqlite_job_start(struct store *base, int64_t id, const char *runner);
int sqlite_job_adopt(struct store *base, int64_t id, const char *runner);
int sqlite_job_requeue(struct store *base, int64_t id, const char *reason);
int sqlite_job_hand_back(struct store *base, int64_t id, const char *reason);
int sqlite_job_finish(struct store *base, const struct job_result *result);
int sqlite_job_retry_failed(struct store *base, int64_t id,
    const char *reason);
int sqlite_job_get(struct store *base, int64_t id, struct job *job);
int sqlite_count_state(struct store *base, enum job_state state);
int sqlite_final_before(struct store *base, const char *commit, int64_t id,
    int64_t *before);
int sqlite_runner_seen(struct store *base, const char *name,
    const char *address);

/* store_sqlite_pipe.c: pipelines; the sql_ ones inside a transaction */
/* The pipeline of job: 1 and *pipeline, 0 no such job, -1. */
int sql_pipeline_of(struct store_sqlite *store, int64_t job,
    int64_t *pipeline);
/* Job first, just added for request, begins a pipeline (plan may be NULL). */
int sql_pipeline_start(struct store_sqlite *store, int64_t first,
    const struct job_request *request, const char *plan);
/* The pipeline's state from its jobs'. */
int sql_pipeline_settle(struct store_sqlite *store, int64_t pipeline);
/* The queued jobs that need job (named name), which ended in state, skip. */
int sql_skip_after(struct store_sqlite *store, int64_t job, const char *name,
    enum job_state state);
/*
 * Job first stands for plan->jobs[plan->first]: the others join its
 * pipeline at its place in the queue, the needs and plan are kept, the
 * state settled.  ids gets each entry's job id.
 */
int sql_plan_fill(struct store_sqlite *store, int64_t first,
    const struct job_plan *plan, int64_t *ids);
int sqlite_pipeline_plan(struct store *base, int64_t job,
    const struct job_plan *plan, int64_t *ids);
int sqlite_pipeline_get(struct store *base, int64_t id, struct pipeline *p);
int sqlite_pipeline_needs(struct store *base, int64_t id,
    void (*cb)(int64_t job, int64_t need, void *arg), void *arg);

/* store_sqlite_tests.c: per-test results */
int sqlite_tests_add(struct store *base, int64_t job, int attempt,
    int64_t first, const struct test_record *recs, size_t n);
/* In a finish's transaction: the job's flaky marks and its tests'. */
int sql_tests_settle(struct store_sqlite *store, int64_t job);
int sqlite_job_tests(struct store *base, int64_t job, int failed_only,
    int limit, int64_t offset, store_test_cb cb, void *arg);
int sqlite_job_test_counts(struct store *base, int64_t job,
    struct test_counts *counts);
int sqlite_test_history(struct store *base, const struct test_where *where,
    int64_t upto, int limit, store_test_cb cb, void *arg);
int sqlite_test_mark_flaky(struct store *base, int64_t job, int attempt,
    int64_t index);
int sqlite_test_durations(struct store *base, const char *repo,
    const char *branch, const char *job_name, int runs,
    store_duration_cb cb, void *arg);
int sqlite_flaky_tests(struct store *base, int limit, store_flaky_cb cb,
    void *arg);
int sqlite_test_quarantine(struct store *base, const char *repo,
    const char *name, int on, const char *by);
int sqlite_quarantined(struct store *base, const char *repo,
    void (*cb)(const char *repo, const char *name, int64_t since_ms,
    const char *by, void *arg), void *arg);

/* store_sqlite_query.c: lists */
int sqlite_pipeline_jobs(struct store *base, int64_t id, store_job_cb cb,
    void *arg);
int sqlite_list_runnable(struct store *base, int limit, store_job_cb cb,
    void *arg);
int sqlite_list_jobs(struct store *base, const struct job_filter *filter,
    store_job_cb cb, void *arg);
int sqlite_list_queue(struct store *base, int limit, store_job_cb cb,
    void *arg);
int sqlite_list_heads(struct store *base, store_job_cb cb, void *arg);
int sqlite_count_states(struct store *base, int64_t counts[JOB_STATES]);
int sqlite_oldest_queued(struct store *base, int64_t *ms);
int sqlite_job_by_commit(struct store *base, const char *prefix,
    struct job *job);
int sqlite_running_ids(struct store *base, int64_t **ids, size_t *n);
int sqlite_final_heads(struct store *base, const char *after, int limit,
    void (*cb)(const char *commit, int64_t id, void *arg), void *arg);
int sqlite_latest_final(struct store *base, const char *commit, int64_t *id);

/* store_sqlite_outbox.c: the outbox and webhook deliveries */
int sqlite_outbox_add(struct store *base, const char *target, const char *key,
    const char *url, const char *body);
int sqlite_outbox_list(struct store *base, const char *target, int limit,
    store_outbox_cb cb, void *arg);
int sqlite_outbox_remove(struct store *base, int64_t id);
/* store_sqlite_backup.c: copies of a store, and their check */
int sqlite_backup(const char *dir, const char *to);
int sqlite_check_file(const char *path);

/* store_sqlite_prune.c: retention */
int sqlite_prune(struct store *base, const struct store_retention *r,
    int64_t *cursor, int scan, int remove, store_removed_cb cb, void *arg);
int sqlite_outbox_count(struct store *base, int64_t *n);
int sqlite_delivery_known(struct store *base, const char *forge,
    const char *id, int64_t since_ms);
int sqlite_delivery_add(struct store *base, const char *forge, const char *id,
    int64_t now_ms, int64_t since_ms);

/* store_sqlite_queue.c */
int sqlite_supersede(struct store *base, int64_t pipeline, const char *commit,
    void (*cb)(int64_t pipeline, void *arg), void *arg);
int sqlite_push_before(struct store *base, int64_t pipeline, int64_t *id,
    enum job_state *state);
int sqlite_push_after(struct store *base, int64_t pipeline, int64_t *id,
    enum job_state *state);
int sqlite_bisect_start(struct store *base, int64_t bad, int64_t good,
    int64_t *id);
int sqlite_bisect_of(struct store *base, int64_t bad, int64_t *id);
int sqlite_bisections_running(struct store *base, int64_t **ids, size_t *n);
int sqlite_bisect_get(struct store *base, int64_t id, struct bisection *b);
int sqlite_bisect_latest(struct store *base, const char *repo,
    const char *branch, struct bisection *b);
int sqlite_bisect_range(struct store *base, int64_t id,
    void (*cb)(const struct bisect_commit *c, void *arg), void *arg);
int sqlite_bisect_runs(struct store *base, int64_t id, int64_t *n);
int sqlite_bisect_end(struct store *base, const struct bisection *b);
int sqlite_branch_tip(struct store *base, const char *repo,
    const char *branch, struct job *job);
int sqlite_schedule_last(struct store *base, const char *spec, int64_t *ms);
int sqlite_schedule_set(struct store *base, const char *spec, int64_t ms);

/* store_sqlite_artifacts.c: a job's files, kept under the state dir */
int sqlite_artifact_add(struct store *base, const struct store_artifact *a);
int sqlite_artifacts_of_job(struct store *base, int64_t job,
    store_artifact_cb cb, void *arg);
int sqlite_artifact_get(struct store *base, int64_t job, const char *path,
    struct store_artifact *out, char **path_out);
int sqlite_artifacts_of_needs(struct store *base, int64_t job,
    store_artifact_cb cb, void *arg);
int sqlite_artifacts_expire(struct store *base, int64_t now, int limit,
    store_artifact_cb cb, void *arg);
int sqlite_artifacts_remove_job(struct store *base, int64_t job);

/* store_sqlite_secrets.c: secrets, kept sealed */
int sqlite_secret_set(struct store *base, const char *repo, const char *name,
    const unsigned char *sealed, size_t len, const char *branches,
    const char *by, int64_t now);
int sqlite_secrets_list(struct store *base, const char *repo,
    store_secret_cb cb, void *arg);
int sqlite_secret_remove(struct store *base, const char *repo,
    const char *name);
int sqlite_secret_get(struct store *base, const char *repo, const char *name,
    unsigned char **sealed, size_t *len, char **branches);

#endif

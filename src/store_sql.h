/* SPDX-License-Identifier: MIT */
/*
 * store_sql.h - a store kept in an SQL database: its statements, the
 * helpers its logic runs them with (store_sql.c), what a database's
 * driver gives those helpers (struct sql_driver), and the logic itself
 * (store_sql_*.c), which store.c reaches through a backend's table.  The
 * logic knows no database's API: SQLite is one driver (store_sqlite*.c).
 */
#ifndef SSCI_STORE_SQL_H
#define SSCI_STORE_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_backend.h"

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
	ST_JOB_GET_COUNTED,
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
	ST_RUNNING_IDS,
	ST_FINAL_HEADS_PAGE,
	ST_LATEST_FINAL,
	ST_JOB_ADD_LIKE,
	ST_JOB_CARRY,
	ST_JOB_SET_PIPELINE,
	ST_JOB_PLAN,
	ST_NEED_ADD,
	ST_SKIP_AFTER,
	ST_PIPELINE_ADD,
	ST_PIPELINE_SET_PLAN,
	ST_PIPELINE_STATES,
	ST_PIPELINE_SET_STATE,
	ST_PIPELINE_GET,
	ST_PIPELINE_JOBS,
	ST_PIPELINE_NEEDS,
	ST_RUNNABLE_LIST,
	ST_JOB_HAND_BACK,
	ST_JOB_RETRY_FAILED,
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
	ST_TEST_MARK_FLAKY,
	ST_TEST_SETTLE_FLAKY,
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
	ST_PIPELINE_RUN,
	ST_SHARD_PARENT_RUN,
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
	ST_LOG_APPEND,
	ST_LOG_CLEAR,
	ST_LOG_COPY,
	ST_LOG_READ,
	ST_PRUNE_LOGS,
	ST_COPY_READ,		/* a table's rows, for a copy (prepare_as) */
	ST_COPY_WRITE,		/* a row into a table, for a copy */
	ST_MAX
};

struct store_sql {
	const char *what;	/* for "unable to <what>" */
	const char *sql;
};

/* The statements, in SQLite's words (store_sqlite_sql.c). */
extern const struct store_sql store_sql[ST_MAX];

/* What sql_step returns. */
enum { SQL_ERROR = -1, SQL_DONE = 0, SQL_ROW = 1 };

/*
 * A statement's current row, read with the sql_col_ functions (columns
 * counted from 0) after sql_step returned SQL_ROW.  The handle is the
 * statement's for its whole life, so it may be taken before the step;
 * what the readers return lasts until the statement's next step or reset.
 * A driver's row begins with this.
 */
struct sql_row {
	const struct sql_driver *driver;
};

/* A driver's store begins with this. */
struct sql_store {
	struct store base;
	const struct sql_driver *driver;
	char *path;		/* the database, for messages */
	/*
	 * The repository last found, by its URL: repositories are never
	 * changed or removed, and most dispatches name the one before's.
	 */
	char *repo_url;
	int64_t repo_id;
	/*
	 * The job last read, until a statement that may change a row or the
	 * end of a transaction: after a job ends, the results file, the
	 * watchers and bisection each read it, and on a server each read is
	 * a round trip.
	 */
	struct job *job_read;
};

/*
 * What a database's driver does for the helpers below, each as the
 * helper of the same name says.  step logs what fails and sets
 * base.transient.
 */
struct sql_driver {
	void (*close)(struct sql_store *store);
	/* store_sync_hold and store_sync_release (store.h). */
	void (*sync_hold)(struct sql_store *store);
	void (*sync_release)(struct sql_store *store);
	/* store_fd and store_poll (store.h). */
	int (*fd)(struct sql_store *store);
	void (*poll)(struct sql_store *store);
	/* Prepare statement id again, as sql (a copy's, of fixed texts). */
	int (*prepare_as)(struct sql_store *store, enum store_stmt id,
	    const char *sql);
	/* After rows were copied in with their ids: ids go on after them. */
	int (*copy_done)(struct sql_store *store);
	int (*step)(struct sql_store *store, enum store_stmt id);
	void (*reset)(struct sql_store *store, enum store_stmt id);
	void (*bind_int64)(struct sql_store *store, enum store_stmt id, int idx,
	    int64_t v);
	void (*bind_null)(struct sql_store *store, enum store_stmt id, int idx);
	void (*bind_text)(struct sql_store *store, enum store_stmt id, int idx,
	    const char *s);
	void (*bind_blob)(struct sql_store *store, enum store_stmt id, int idx,
	    const void *p, size_t len);
	struct sql_row *(*row)(struct sql_store *store, enum store_stmt id);
	int64_t (*col_int64)(struct sql_row *row, int col);
	const char *(*col_text)(struct sql_row *row, int col);
	bool (*col_null)(struct sql_row *row, int col);
	const void *(*col_blob)(struct sql_row *row, int col, size_t *len);
	int (*changes)(struct sql_store *store);
	int (*changes_of)(struct sql_store *store, enum store_stmt id);
	int64_t (*last_id)(struct sql_store *store);
	int (*begin)(struct sql_store *store);
	int (*commit)(struct sql_store *store);
	void (*rollback)(struct sql_store *store);
	int (*begin_unsynced)(struct sql_store *store);
	int (*commit_unsynced)(struct sql_store *store);
};

/* store_sql.c */
/* Step a statement: SQL_ROW, SQL_DONE, or SQL_ERROR, logged. */
int sql_step(struct sql_store *store, enum store_stmt id);
/* The job last read (store->job_read), forgotten. */
void sql_job_forget(struct sql_store *store);
/* Make a statement ready for its next use, dropping old values. */
void sql_reset(struct sql_store *store, enum store_stmt id);
/*
 * Run a statement that returns no rows: 0 or -1.  ST_BEGIN starts a
 * transaction whose commit is synced to the disk before it returns, or,
 * while the store's syncs are held, by store_sync_release.
 */
int sql_run(struct sql_store *store, enum store_stmt id);
/* Run a query for one number: 1 and *out set, 0 if no row, -1. */
int sql_scalar(struct sql_store *store, enum store_stmt id, int64_t *out);
/* Rows the last change touched. */
int sql_changes(struct sql_store *store);
/*
 * Rows change id touched when it last ran, though others ran after it: a
 * server's driver sends it with them and reads its answer with theirs.
 */
int sql_changes_of(struct sql_store *store, enum store_stmt id);
/* The row id the last insert made. */
int64_t sql_last_id(struct sql_store *store);
/* Roll back after an error, if the database has not done so already. */
void sql_rollback(struct sql_store *store);
/* Commit, or roll back if that fails: 0 or -1. */
int sql_commit(struct sql_store *store);
/*
 * A transaction whose loss to a power cut costs nothing (a job's start:
 * it is queued again and its runner adopts it), so that its commit waits
 * for no sync of the disk; kept through a kill -9 all the same.
 */
int sql_begin_unsynced(struct sql_store *store);
int sql_commit_unsynced(struct sql_store *store);
void sql_bind_int64(struct sql_store *store, enum store_stmt id, int idx,
    int64_t v);
/* A negative number means unknown and is bound as NULL. */
void sql_bind_known(struct sql_store *store, enum store_stmt id, int idx,
    int64_t v);
/* NULL binds NULL; the text is copied. */
void sql_bind_text(struct sql_store *store, enum store_stmt id, int idx,
    const char *s);
/* The bytes are copied. */
void sql_bind_blob(struct sql_store *store, enum store_stmt id, int idx,
    const void *p, size_t len);
struct sql_row *sql_row(struct sql_store *store, enum store_stmt id);
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
#define JOB_LIST_COLUMNS 40	/* what sql_job_fill reads: JOB_LIST */
/* Read one job row from a JOB_COLUMNS statement: 1, 0 if none, -1. */
int sql_read_job(struct sql_store *store, enum store_stmt id,
    struct job *job);
/* Whether update st, run, changed job id, which had to be in state from:
 * 0, or -1 (said). */
int sql_job_changed(struct sql_store *store, enum store_stmt st, int64_t id,
    const char *from);
/* Run an update of one job that must be in state from: 0 or -1. */
int sql_update_job(struct sql_store *store, enum store_stmt st, int64_t id,
    const char *from);

/* store_sql_jobs.c: changes, and single jobs */
int sqlstore_requeue_running(struct store *base);
int sqlstore_dispatch(struct store *base, const struct job_request *request,
    int64_t *job_id, enum job_state *state, int *existing);
int sqlstore_next_queued(struct store *base, struct job *job);
int sqlstore_job_start(struct store *base, int64_t id, const char *runner);
int sqlstore_job_adopt(struct store *base, int64_t id, const char *runner);
int sqlstore_job_requeue(struct store *base, int64_t id, const char *reason);
int sqlstore_job_hand_back(struct store *base, int64_t id, const char *reason);
int sqlstore_job_finish(struct store *base, const struct job_result *result);
int sqlstore_job_retry_failed(struct store *base, int64_t id,
    const char *reason);
int sqlstore_job_get(struct store *base, int64_t id, struct job *job);
int sqlstore_job_get_counted(struct store *base, int64_t id, struct job *job,
    struct test_counts *counts);
int sqlstore_count_state(struct store *base, enum job_state state);
int sqlstore_runner_seen(struct store *base, const char *name,
    const char *address);

/* store_sql_pipe.c: pipelines; the sql_ ones inside a transaction */
/* Job first, just added for request, begins a pipeline (plan may be NULL). */
int sql_pipeline_start(struct sql_store *store, int64_t first,
    const struct job_request *request, const char *plan);
/*
 * The state of job's pipeline from its jobs', each sharded one's first
 * from its shards': 0 (no such job too: nothing to settle), or -1.
 */
int sql_pipeline_settle(struct sql_store *store, int64_t job);
/* The queued jobs that need job (named name), which ended in state, skip. */
int sql_skip_after(struct sql_store *store, int64_t job, const char *name,
    enum job_state state);
/*
 * Job first stands for plan->jobs[plan->first]: the others join its
 * pipeline at its place in the queue, the needs and plan are kept, the
 * state settled.  ids gets each entry's job id.
 */
int sql_plan_fill(struct sql_store *store, int64_t first,
    const struct job_plan *plan, int64_t *ids);
int sqlstore_pipeline_plan(struct store *base, int64_t job,
    const struct job_plan *plan, int64_t *ids);
int sqlstore_pipeline_get(struct store *base, int64_t id, struct pipeline *p);
int sqlstore_pipeline_needs(struct store *base, int64_t id,
    void (*cb)(int64_t job, int64_t need, void *arg), void *arg);

/* store_sql_tests.c: per-test results */
int sqlstore_tests_add(struct store *base, int64_t job, int attempt,
    int64_t first, const struct test_record *recs, size_t n);
/* In a finish's transaction: the job's flaky marks and its tests'. */
int sql_tests_settle(struct sql_store *store, int64_t job);
/* A job's test counts (store_job_test_counts): 0, or -1. */
int sql_job_counts(struct sql_store *store, int64_t job,
    struct test_counts *counts);
/* Counts from columns first.. of row, in ST_JOB_TEST_COUNTS's order. */
void sql_counts_fill(struct sql_row *row, int first,
    struct test_counts *counts);
int sqlstore_job_tests(struct store *base, int64_t job, int failed_only,
    int limit, int64_t offset, store_test_cb cb, void *arg);
int sqlstore_job_test_counts(struct store *base, int64_t job,
    struct test_counts *counts);
int sqlstore_test_history(struct store *base, const struct test_where *where,
    int64_t upto, int limit, store_test_cb cb, void *arg);
int sqlstore_test_mark_flaky(struct store *base, int64_t job, int attempt,
    int64_t index);
int sqlstore_test_durations(struct store *base, const char *repo,
    const char *branch, const char *job_name, int runs,
    store_duration_cb cb, void *arg);
int sqlstore_flaky_tests(struct store *base, int limit, store_flaky_cb cb,
    void *arg);
int sqlstore_test_quarantine(struct store *base, const char *repo,
    const char *name, int on, const char *by);
int sqlstore_quarantined(struct store *base, const char *repo,
    void (*cb)(const char *repo, const char *name, int64_t since_ms,
    const char *by, void *arg), void *arg);

/* store_sql_query.c: lists */
int sqlstore_pipeline_jobs(struct store *base, int64_t id, store_job_cb cb,
    void *arg);
int sqlstore_list_runnable(struct store *base, int limit, store_job_cb cb,
    void *arg);
int sqlstore_list_jobs(struct store *base, const struct job_filter *filter,
    store_job_cb cb, void *arg);
int sqlstore_list_queue(struct store *base, int limit, store_job_cb cb,
    void *arg);
int sqlstore_list_heads(struct store *base, store_job_cb cb, void *arg);
int sqlstore_count_states(struct store *base, int64_t counts[JOB_STATES]);
int sqlstore_oldest_queued(struct store *base, int64_t *ms);
int sqlstore_job_by_commit(struct store *base, const char *prefix,
    struct job *job);
int sqlstore_running_ids(struct store *base, int64_t **ids, size_t *n);
int sqlstore_final_heads(struct store *base, const char *after, int limit,
    void (*cb)(const char *commit, int64_t id, void *arg), void *arg);
int sqlstore_latest_final(struct store *base, const char *commit, int64_t *id);

/* store_sql_outbox.c: the outbox and webhook deliveries */
int sqlstore_outbox_add(struct store *base, const char *target, const char *key,
    const char *url, const char *body);
int sqlstore_outbox_list(struct store *base, const char *target, int limit,
    store_outbox_cb cb, void *arg);
int sqlstore_outbox_remove(struct store *base, int64_t id);
/* store_sql_prune.c: retention */
int sqlstore_prune(struct store *base, const struct store_retention *r,
    int64_t *cursor, int scan, int remove, store_removed_cb cb, void *arg);
int sqlstore_outbox_count(struct store *base, int64_t *n);
int sqlstore_delivery_known(struct store *base, const char *forge,
    const char *id, int64_t since_ms);
int sqlstore_delivery_add(struct store *base, const char *forge, const char *id,
    int64_t now_ms, int64_t since_ms);

/* store_sql_queue.c */
int sqlstore_supersede(struct store *base, int64_t pipeline, const char *commit,
    void (*cb)(int64_t pipeline, void *arg), void *arg);
int sqlstore_push_before(struct store *base, int64_t pipeline, int64_t *id,
    enum job_state *state);
int sqlstore_push_after(struct store *base, int64_t pipeline, int64_t *id,
    enum job_state *state);
int sqlstore_bisect_start(struct store *base, int64_t bad, int64_t good,
    int64_t *id);
int sqlstore_bisect_of(struct store *base, int64_t bad, int64_t *id);
int sqlstore_bisections_running(struct store *base, int64_t **ids, size_t *n);
int sqlstore_bisect_get(struct store *base, int64_t id, struct bisection *b);
int sqlstore_bisect_latest(struct store *base, const char *repo,
    const char *branch, struct bisection *b);
int sqlstore_bisect_range(struct store *base, int64_t id,
    void (*cb)(const struct bisect_commit *c, void *arg), void *arg);
int sqlstore_bisect_runs(struct store *base, int64_t id, int64_t *n);
int sqlstore_bisect_end(struct store *base, const struct bisection *b);
int sqlstore_branch_tip(struct store *base, const char *repo,
    const char *branch, struct job *job);
int sqlstore_schedule_last(struct store *base, const char *spec, int64_t *ms);
int sqlstore_schedule_set(struct store *base, const char *spec, int64_t ms);

/* store_sql_artifacts.c: a job's files, kept under the state dir */
int sqlstore_artifact_add(struct store *base, const struct store_artifact *a);
int sqlstore_artifacts_of_job(struct store *base, int64_t job,
    store_artifact_cb cb, void *arg);
int sqlstore_artifact_get(struct store *base, int64_t job, const char *path,
    struct store_artifact *out, char **path_out);
int sqlstore_artifacts_of_needs(struct store *base, int64_t job,
    store_artifact_cb cb, void *arg);
int sqlstore_artifacts_expire(struct store *base, int64_t now, int limit,
    store_artifact_cb cb, void *arg);
int sqlstore_artifacts_remove_job(struct store *base, int64_t job);

/* store_sql_logs.c: jobs' logs, kept in a server's store */
int sqlstore_log_append(struct store *base, int64_t job, const void *data,
    size_t len);
int sqlstore_log_clear(struct store *base, int64_t job);
int sqlstore_log_copy(struct store *base, int64_t from, int64_t to);
int sqlstore_log_read(struct store *base, int64_t job, store_chunk_cb cb,
    void *arg);

/* store_sql_copy.c: a whole store copied into another */
int sqlstore_copy(struct store *from, struct store *to, store_copied_cb cb,
    void *arg);

/* store_sql_secrets.c: secrets, kept sealed */
int sqlstore_secret_set(struct store *base, const char *repo, const char *name,
    const unsigned char *sealed, size_t len, const char *branches,
    const char *by, int64_t now);
int sqlstore_secrets_list(struct store *base, const char *repo,
    store_secret_cb cb, void *arg);
int sqlstore_secret_remove(struct store *base, const char *repo,
    const char *name);
int sqlstore_secret_get(struct store *base, const char *repo, const char *name,
    unsigned char **sealed, size_t *len, char **branches);

#endif

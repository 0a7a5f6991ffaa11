/* SPDX-License-Identifier: MIT */
/*
 * store_backend.h - what a store backend implements, for store.c to call.
 * A backend's own struct begins with a struct store, which store.c hands
 * to every function; store.c has checked the arguments already (a final
 * state to finish with, a commit prefix of 4 to 64 lowercase hex digits, a
 * list limit of 1 to 1000), so a backend only keeps and finds.  The
 * meaning of each function is that of its store_* namesake in store.h.
 */
#ifndef SSCI_STORE_BACKEND_H
#define SSCI_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "seal.h"
#include "store.h"

struct store {
	const struct store_backend *backend;
	int max_queued;		/* per repository; 0 for no limit */
	int transient;		/* the last failure may pass by itself */
	int64_t syncs;		/* waits for the disk (store_syncs) */
	int keeps_logs;		/* store_keeps_logs */
	/* Told once when the connection to the database is lost. */
	void (*lost)(void *arg);
	void *lost_arg;
	int lost_seen;		/* lost already, told or not */
	/* Secrets' key (store.c): its file, read when first needed. */
	char *key_path;
	unsigned char key[SEAL_KEY_LEN];
	int have_key;
};

struct store_backend {
	void (*close)(struct store *store);
	void (*sync_hold)(struct store *store);
	void (*sync_release)(struct store *store);
	int (*fd)(struct store *store);
	void (*poll)(struct store *store);
	int (*requeue_running)(struct store *store);
	int (*dispatch)(struct store *store, const struct job_request *request,
	    int64_t *job_id, enum job_state *state, int *existing);
	int (*next_queued)(struct store *store, struct job *job);
	int (*job_start)(struct store *store, int64_t id, const char *runner);
	int (*job_adopt)(struct store *store, int64_t id, const char *runner);
	int (*job_requeue)(struct store *store, int64_t id, const char *reason);
	int (*job_hand_back)(struct store *store, int64_t id,
	    const char *reason);
	int (*job_finish)(struct store *store, const struct job_result *result);
	int (*job_get)(struct store *store, int64_t id, struct job *job);
	int (*count_state)(struct store *store, enum job_state state);
	int (*list_jobs)(struct store *store, const struct job_filter *filter,
	    store_job_cb cb, void *arg);
	int (*list_queue)(struct store *store, int limit, store_job_cb cb,
	    void *arg);
	int (*list_heads)(struct store *store, store_job_cb cb, void *arg);
	int (*count_states)(struct store *store, int64_t counts[JOB_STATES]);
	int (*oldest_queued)(struct store *store, int64_t *ms);
	int (*job_by_commit)(struct store *store, const char *prefix,
	    struct job *job);
	int (*running_ids)(struct store *store, int64_t **ids, size_t *n);
	int (*final_heads)(struct store *store, const char *after, int limit,
	    void (*cb)(const char *commit, int64_t id, void *arg), void *arg);
	int (*latest_final)(struct store *store, const char *commit,
	    int64_t *id);
	int (*runner_seen)(struct store *store, const char *name,
	    const char *address);
	int (*outbox_add)(struct store *store, const char *target,
	    const char *key, const char *url, const char *body);
	int (*outbox_list)(struct store *store, const char *target, int limit,
	    store_outbox_cb cb, void *arg);
	int (*outbox_remove)(struct store *store, int64_t id);
	int (*outbox_count)(struct store *store, int64_t *n);
	int (*prune)(struct store *store, const struct store_retention *r,
	    int64_t *cursor, int scan, int remove, store_removed_cb cb,
	    void *arg);
	int (*delivery_known)(struct store *store, const char *forge,
	    const char *id, int64_t since_ms);
	int (*delivery_add)(struct store *store, const char *forge,
	    const char *id, int64_t now_ms, int64_t since_ms);
	int (*pipeline_plan)(struct store *store, int64_t job,
	    const struct job_plan *plan, int64_t *ids);
	int (*pipeline_get)(struct store *store, int64_t id,
	    struct pipeline *pipeline);
	int (*pipeline_jobs)(struct store *store, int64_t id,
	    store_job_cb cb, void *arg);
	int (*pipeline_needs)(struct store *store, int64_t id,
	    void (*cb)(int64_t job, int64_t need, void *arg), void *arg);
	int (*supersede)(struct store *store, int64_t pipeline,
	    const char *commit, void (*cb)(int64_t pipeline, void *arg),
	    void *arg);
	int (*push_before)(struct store *store, int64_t pipeline, int64_t *id,
	    enum job_state *state);
	int (*push_after)(struct store *store, int64_t pipeline, int64_t *id,
	    enum job_state *state);
	int (*bisect_start)(struct store *store, int64_t bad, int64_t good,
	    int64_t *id);
	int (*bisect_of)(struct store *store, int64_t bad, int64_t *id);
	int (*bisections_running)(struct store *store, int64_t **ids,
	    size_t *n);
	int (*bisect_get)(struct store *store, int64_t id, struct bisection *b);
	int (*bisect_latest)(struct store *store, const char *repo,
	    const char *branch, struct bisection *b);
	int (*bisect_range)(struct store *store, int64_t id,
	    void (*cb)(const struct bisect_commit *c, void *arg), void *arg);
	int (*bisect_runs)(struct store *store, int64_t id, int64_t *n);
	int (*bisect_end)(struct store *store, const struct bisection *b);
	int (*branch_tip)(struct store *store, const char *repo,
	    const char *branch, struct job *job);
	int (*schedule_last)(struct store *store, const char *spec,
	    int64_t *ms);
	int (*schedule_set)(struct store *store, const char *spec, int64_t ms);
	int (*list_runnable)(struct store *store, int limit, store_job_cb cb,
	    void *arg);
	int (*job_retry_failed)(struct store *store, int64_t id,
	    const char *reason);
	int (*tests_add)(struct store *store, int64_t job, int attempt,
	    int64_t first, const struct test_record *recs, size_t n);
	int (*job_tests)(struct store *store, int64_t job, int failed_only,
	    int limit, int64_t offset, store_test_cb cb, void *arg);
	int (*job_test_counts)(struct store *store, int64_t job,
	    struct test_counts *counts);
	int (*job_get_counted)(struct store *store, int64_t id,
	    struct job *job, struct test_counts *counts);
	int (*test_history)(struct store *store, const struct test_where *where,
	    int64_t upto, int limit, store_test_cb cb, void *arg);
	int (*flaky_tests)(struct store *store, int limit, store_flaky_cb cb,
	    void *arg);
	int (*test_mark_flaky)(struct store *store, int64_t job, int attempt,
	    int64_t index);
	int (*test_durations)(struct store *store, const char *repo,
	    const char *branch, const char *job_name, int runs,
	    store_duration_cb cb, void *arg);
	int (*test_quarantine)(struct store *store, const char *repo,
	    const char *name, int on, const char *by);
	int (*quarantined)(struct store *store, const char *repo,
	    void (*cb)(const char *repo, const char *name, int64_t since_ms,
	    const char *by, void *arg), void *arg);
	/* Artifacts: rows only; their files are the dispatcher's. */
	int (*artifact_add)(struct store *store,
	    const struct store_artifact *a);
	int (*artifacts_of_job)(struct store *store, int64_t job,
	    store_artifact_cb cb, void *arg);
	int (*artifact_get)(struct store *store, int64_t job,
	    const char *path, struct store_artifact *out, char **path_out);
	int (*artifacts_of_needs)(struct store *store, int64_t job,
	    store_artifact_cb cb, void *arg);
	int (*artifacts_expire)(struct store *store, int64_t now, int limit,
	    store_artifact_cb cb, void *arg);
	int (*artifacts_remove_job)(struct store *store, int64_t job);
	/* Secrets: sealed bytes only (store.c seals and opens them). */
	int (*secret_set)(struct store *store, const char *repo,
	    const char *name, const unsigned char *sealed, size_t len,
	    const char *branches, const char *by, int64_t now_ms);
	int (*secrets_list)(struct store *store, const char *repo,
	    store_secret_cb cb, void *arg);
	int (*secret_remove)(struct store *store, const char *repo,
	    const char *name);
	int (*secret_get)(struct store *store, const char *repo,
	    const char *name, unsigned char **sealed, size_t *len,
	    char **branches);
	int (*log_append)(struct store *store, int64_t job, const void *data,
	    size_t len);
	int (*log_clear)(struct store *store, int64_t job);
	int (*log_copy)(struct store *store, int64_t from, int64_t to);
	int (*log_read)(struct store *store, int64_t job, store_chunk_cb cb,
	    void *arg);
	int (*copy)(struct store *from, struct store *to, store_copied_cb cb,
	    void *arg);
};

/* A store kept in an SQL database (store_sql_backend.c). */
extern const struct store_backend store_sql_backend;

/*
 * The databases it is kept in, each opened (its schema brought up to date)
 * by its driver: an SQLite file (store_sqlite_db.c; its copies by
 * store_sqlite_backup.c) or a PostgreSQL database (store_pg_db.c).
 */
struct store *sqlite_store_open(const char *file);
int sqlite_backup(const char *dir, const char *to);
int sqlite_check_file(const char *path);
/*
 * With wait 0, a database another dispatcher is active on is refused;
 * with 2, a server that cannot be reached is tried again until it can.
 */
struct store *pg_store_open(const char *conninfo, int wait);

#endif

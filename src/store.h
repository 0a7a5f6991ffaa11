/* SPDX-License-Identifier: MIT */
/*
 * store.h - the dispatcher's durable state: repositories, jobs and the
 * runners seen, behind one interface that a backend implements
 * (store_backend.h; today SQLite, store_sqlite*.c).  Callers see struct
 * job (job.h) and these functions only.  Every function that changes
 * state has committed it when it returns 0, so a caller may acknowledge
 * the change to a peer right after.
 *
 * The queue is the set of jobs in state queued, ordered by a queue position:
 * new jobs go to the back, jobs taken back from a lost runner to the front,
 * and the jobs a plan adds to where their pipeline's first job was.  A
 * queued job is runnable once every job it needs has passed.
 */
#ifndef SSCI_STORE_H
#define SSCI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"

struct store;

/* Filters for store_list_jobs; NULL / 0 means any. */
struct job_filter {
	const char *repo;	/* URL, or the repository's id as text */
	const char *branch;
	const char *state;
	int64_t before;		/* only jobs with a smaller id */
	int limit;		/* at most this many (1..1000) */
	int pipelines;		/* only each pipeline's first job */
};

/* Called for each job of a list, in order; returning -1 stops the list. */
typedef int (*store_job_cb)(const struct job *job, void *arg);

/*
 * Open the store of state dir DIR (creating DIR, DIR/logs and the store
 * if need be) and bring its schema up to date.  Returns NULL after
 * logging the error.
 */
struct store *store_open(const char *dir);
/*
 * The same with the store where url says: "sqlite:FILE", a PostgreSQL
 * URL ("postgresql://...") or libpq connection string ("host=... "), or
 * NULL for DIR/ssci.db.  DIR keeps the secrets' key either way.
 */
struct store *store_open_url(const char *dir, const char *url);
/*
 * The same for a tool (ssci migrate): a database another dispatcher is
 * active on is refused, not waited for.
 */
struct store *store_open_idle(const char *dir, const char *url);
/*
 * The same for a dispatcher that lost its connection (store_watch.c): a
 * server that cannot be reached yet is tried again every 2 s.
 */
struct store *store_open_again(const char *dir, const char *url);
/* Whether url names a store store_open_url knows how to open. */
int store_url_valid(const char *url);
/*
 * A store on a server (PostgreSQL): the descriptor of its connection, to
 * watch for reading, or -1 for a file.  store_poll reads what came on it
 * (the server going away), and lost is called, once, when the connection
 * is lost, there or in any call (or at once, if it was lost already):
 * after that the store changes nothing.
 */
int store_fd(struct store *store);
void store_poll(struct store *store);
void store_on_lost(struct store *store, void (*lost)(void *arg), void *arg);
void store_close(struct store *store);

/*
 * Group commit: the changes committed between store_sync_hold and
 * store_sync_release are kept through a kill -9 as soon as each commits,
 * and through a power cut once the release has synced them all at once.
 * Whoever tells the world a change is kept (an ok) must not do so before
 * the release: peer.c holds across a read of a connection's lines, whose
 * answers the event loop writes after it.  A sync that fails ends the
 * process (fatalx): what was committed is visible, and after a failed
 * sync no later one can say it is on the disk; a start again recovers
 * what is.
 */
void store_sync_hold(struct store *store);
void store_sync_release(struct store *store);
/* How often the store has waited for the disk (a synced commit, or a
 * release that synced some), since it was opened: for /metrics. */
int64_t store_syncs(const struct store *store);

/*
 * A copy of the store in dir as it is at one moment, made while a
 * dispatcher may be using it (its writes go on), in the new file to: 0,
 * or -1 after saying why.
 */
int store_backup(const char *dir, const char *to);
/* Whether the file at path is a whole store: 0, or -1 after saying why. */
int store_check_file(const char *path);

/*
 * After a restart: every job still running goes back to the front of the
 * queue (its attempt already counted).  Returns how many, or -1.
 */
int store_requeue_running(struct store *store);

/*
 * Queue the pipeline a request asks for (job.h), with its subject, author
 * and what it retries, in one commit: one job to plan it, or with
 * request->plan the plan's jobs (the carried ones passed already).  Unless
 * the commit has a pipeline already and rebuild is 0: then that latest
 * pipeline is returned instead.  Sets *job_id (the pipeline's id), *state
 * and *existing (1 if nothing new was made).  Returns 0, -1, or -2 if the
 * repository's queue is full.
 */
int store_dispatch(struct store *store, const struct job_request *request,
    int64_t *job_id, enum job_state *state, int *existing);

/* The job at the front of the queue: 1 and *job filled, 0 if empty, -1. */
int store_next_queued(struct store *store, struct job *job);

/* queued -> running on runner; attempt is raised by one.  0 or -1. */
int store_job_start(struct store *store, int64_t id, const char *runner);

/*
 * A runner that reconnects still holding job id takes it back: a queued
 * (or running) job becomes running on runner, its attempt unchanged.
 * Returns 0, 1 if the job is final or unknown (nothing changed), or -1.
 */
int store_job_adopt(struct store *store, int64_t id, const char *runner);

/* running -> queued at the front, remembering reason.  0 or -1. */
int store_job_requeue(struct store *store, int64_t id, const char *reason);
/*
 * The same for a job its runner could not run (it lacks the labels the
 * plan gave it): its attempt is not counted.  0 or -1.
 */
int store_job_hand_back(struct store *store, int64_t id, const char *reason);

/*
 * Record a final state (result must hold a final state).  Only a job that is
 * running (or queued, for cancel and give-up) changes; when it did not
 * pass, the queued jobs that need it (and what needs those) are skipped;
 * its pipeline's state follows, all in one commit.  Returns 0, 1 if the
 * job was already final (nothing written), or -1.
 */
int store_job_finish(struct store *store, const struct job_result *result);

/* Read one job: 1 found, 0 no such job, -1 error. */
int store_job_get(struct store *store, int64_t id, struct job *job);

/* Refuse new jobs for a repository with this many queued (0: no limit). */
void store_set_queue_limit(struct store *store, int max_queued_per_repo);

/* Number of jobs in a state, or -1. */
int store_count_state(struct store *store, enum job_state state);

/* Lists: each calls cb for every job and returns how many it listed, or -1. */
/* Jobs matching filter, newest first. */
int store_list_jobs(struct store *store, const struct job_filter *filter,
    store_job_cb cb, void *arg);
/* Queued jobs in the order they will run, at most limit. */
int store_list_queue(struct store *store, int limit, store_job_cb cb,
    void *arg);
/* The latest job of every (repository, branch). */
int store_list_heads(struct store *store, store_job_cb cb, void *arg);

/* counts[state] = number of jobs in each state; 0 or -1. */
int store_count_states(struct store *store, int64_t counts[JOB_STATES]);

/* created_ms of the oldest queued job: 1 and *ms set, 0 if none, -1. */
int store_oldest_queued(struct store *store, int64_t *ms);

/*
 * The latest job of the commit whose id starts with prefix (4 to 64 hex
 * digits): 1 found, 0 not, -1 error or a bad prefix.
 */
int store_job_by_commit(struct store *store, const char *prefix,
    struct job *job);

/*
 * Whether the store's last failure may pass by itself (disk full, I/O
 * error, locked): worth trying again later, unlike a refused change.
 */
int store_error_transient(const struct store *store);

/* The ids of every running job into *ids (malloc'd), *n of them; 0 or -1. */
int store_running_ids(struct store *store, int64_t **ids, size_t *n);

/*
 * The latest final job of each commit whose id sorts after after ("" for
 * the first page), at most limit, in commit order: cb(commit, job id,
 * arg) for each.  Returns how many, or -1.
 */
int store_final_heads(struct store *store, const char *after, int limit,
    void (*cb)(const char *commit, int64_t id, void *arg), void *arg);

/* The latest final job of commit: 1 and *id, 0 if none, -1. */
int store_latest_final(struct store *store, const char *commit, int64_t *id);

/*
 * The planning job (running, not planned yet) becomes plan->jobs[first],
 * and the plan's other jobs join its pipeline, queued where it was, with
 * their needs and the plan's text, in one commit.  ids (njobs of them)
 * gets each entry's job id.  0; 1 if the job is not waiting for a plan
 * (nothing changed); -1.
 */
int store_pipeline_plan(struct store *store, int64_t job,
    const struct job_plan *plan, int64_t *ids);

/* Read pipeline id: 1 found, 0 none, -1 error. */
int store_pipeline_get(struct store *store, int64_t id,
    struct pipeline *pipeline);

/* The jobs of pipeline id, first to last: how many, or -1. */
int store_pipeline_jobs(struct store *store, int64_t id, store_job_cb cb,
    void *arg);

/* Each need of pipeline id's jobs, cb(job, needed job): how many, or -1. */
int store_pipeline_needs(struct store *store, int64_t id,
    void (*cb)(int64_t job, int64_t need, void *arg), void *arg);

/*
 * Runnable queued jobs in the order they will run, at most limit; a job
 * held (struct job_request's hold_until_ms) is not runnable yet.
 */
int store_list_runnable(struct store *store, int limit, store_job_cb cb,
    void *arg);

/*
 * A failed job goes back to the front of the queue for another attempt,
 * its failure re-runs counted (fail_retries), remembering reason.  0 or -1.
 */
int store_job_retry_failed(struct store *store, int64_t id,
    const char *reason);

/*
 * Per-test results.  A runner sends a job's records in batches; first is
 * the index of recs[0] among the attempt's records, so that a batch sent
 * twice replaces itself.  Kept only while attempt is the job's latest:
 * 0 stored, 1 not (another attempt, or no such job), -1 error.
 */
int store_tests_add(struct store *store, int64_t job, int attempt,
    int64_t first, const struct test_record *recs, size_t n);

typedef int (*store_test_cb)(const struct test_run *run, void *arg);

/*
 * The tests of a job's latest attempt: failed and errored first, then in
 * the order they came; only those with failed_only; at most limit (1 to
 * TEST_RUNS_PAGE_MAX) from offset.  How many, or -1.
 */
int store_job_tests(struct store *store, int64_t job, int failed_only,
    int limit, int64_t offset, store_test_cb cb, void *arg);
/* Its counts by outcome: 0 or -1. */
int store_job_test_counts(struct store *store, int64_t job,
    struct test_counts *counts);
/*
 * A job (store_job_get) and its counts (store_job_test_counts) in one
 * read: 1 found, 0 none, -1.
 */
int store_job_get_counted(struct store *store, int64_t id, struct job *job,
    struct test_counts *counts);

/*
 * A test's runs (job.h's struct test_where), newest first (a job's
 * attempts too, the latest first), in jobs up to upto (0: any), at most
 * limit (1 to 1000).  How many, or -1.
 */
int store_test_history(struct store *store, const struct test_where *where,
    int64_t upto, int limit, store_test_cb cb, void *arg);

/*
 * For splitting a suite (issue 18): the tests of the latest passed job
 * named job_name (NULL: unplanned) on branch of repo that has records,
 * each with the median of its durations over its last runs (1 to 100;
 * skips and unknown durations left out) in jobs of that name there, or
 * -1 if none is known; in the order the job recorded them.  How many
 * tests (0: no such job), or -1.
 */
#define STORE_DURATION_RUNS_MAX 100
typedef int (*store_duration_cb)(const char *name, int64_t median_us,
    void *arg);
int store_test_durations(struct store *store, const char *repo,
    const char *branch, const char *job_name, int runs,
    store_duration_cb cb, void *arg);

/* Mark one run flaky (its branch's history flips): 0 or -1. */
int store_test_mark_flaky(struct store *store, int64_t job, int attempt,
    int64_t index);

typedef int (*store_flaky_cb)(const struct flaky_test *f, void *arg);
/*
 * Tests with runs marked flaky, most flakes first, at most limit (1 to
 * 1000): repo, name, flakes, last_job and quarantined are filled.  How
 * many, or -1.
 */
int store_flaky_tests(struct store *store, int limit, store_flaky_cb cb,
    void *arg);

/*
 * Quarantine a test of a repository (on), or let it out; by says who.
 * The test need not have run yet.  0, 1 if the repository is unknown, -1.
 */
int store_test_quarantine(struct store *store, const char *repo,
    const char *name, int on, const char *by);
/* The quarantined tests (of repo, or all with NULL): how many, or -1. */
int store_quarantined(struct store *store, const char *repo,
    void (*cb)(const char *repo, const char *name, int64_t since_ms,
    const char *by, void *arg), void *arg);

/* Remember a runner by name with its address and the time.  0 or -1. */
int store_runner_seen(struct store *store, const char *name,
    const char *address);

/*
 * The outbox: statuses and notifications kept until their target took
 * them (outbox.c sends them).  A message goes to target ("forge:NAME",
 * "url:URL", "mail"), at url (an address for mail), after every earlier
 * message of its key.  Strings are borrowed in callbacks.
 */
struct outbox_message {
	int64_t id;
	const char *target;
	const char *key;
	const char *url;
	const char *body;
	int64_t created_ms;
};

/* Keep a message to send: 0 or -1. */
int store_outbox_add(struct store *store, const char *target,
    const char *key, const char *url, const char *body);
typedef int (*store_outbox_cb)(const struct outbox_message *m, void *arg);
/* The oldest messages to target, first first, at most limit: how many, or -1. */
int store_outbox_list(struct store *store, const char *target, int limit,
    store_outbox_cb cb, void *arg);
/* A message was taken (or refused for good): 0 or -1. */
int store_outbox_remove(struct store *store, int64_t id);
/* How many messages wait: 0 and *n, or -1. */
int store_outbox_count(struct store *store, int64_t *n);

/*
 * Webhook deliveries: whether forge's delivery id was taken since
 * since_ms (1, 0, or -1); remember one taken at now_ms, forgetting those
 * before since_ms (0 or -1).
 */
int store_delivery_known(struct store *store, const char *forge,
    const char *id, int64_t since_ms);
int store_delivery_add(struct store *store, const char *forge, const char *id,
    int64_t now_ms, int64_t since_ms);

/*
 * Retention: a pipeline goes, with its jobs and their tests, needs and
 * artifacts' rows, once it ended before before_ms and at least keep_jobs
 * jobs newer than all of its own are on its repository and branch; so
 * the newest keep_jobs of a branch, and its latest job always, stay.
 */
struct store_retention {
	int64_t before_ms;
	int keep_jobs;		/* 1 or more */
};
/* Called with each job removed, after the removal is committed. */
typedef void (*store_removed_cb)(int64_t job, void *arg);

/*
 * One step of a pass over the pipelines after *cursor (0: from the
 * first): at most scan of them are looked at, and of those r lets go the
 * first at most remove are removed in one transaction that also gives
 * free pages back to the file system; then cb for each job removed (its
 * log, its files).  *cursor moves on past what was decided, to 0 once
 * the pass has looked at the last pipeline.  The number of jobs removed,
 * or -1.
 */
int store_prune(struct store *store, const struct store_retention *r,
    int64_t *cursor, int scan, int remove, store_removed_cb cb, void *arg);

/*
 * The queue's pushes and bisections (docs/QUEUE.md), each change one
 * transaction.
 *
 * A push that coalesces (pipeline, of commit) supersedes its branch's
 * older pushes that no runner has touched: their jobs end skipped,
 * "superseded by COMMIT"; cb with each pipeline after the commit.  How
 * many, or -1.
 */
int store_supersede(struct store *store, int64_t pipeline, const char *commit,
    void (*cb)(int64_t pipeline, void *arg), void *arg);
/*
 * The push tested before pipeline on its branch (a push: queued by a
 * hook, the observer, a webhook or the API, not superseded): 1 and *id
 * and *state, 0 if none, -1.
 */
int store_push_before(struct store *store, int64_t pipeline, int64_t *id,
    enum job_state *state);
/* The push tested after pipeline on its branch: 1, 0 if none, -1. */
int store_push_after(struct store *store, int64_t pipeline, int64_t *id,
    enum job_state *state);
/* A bisection between the passed good and the failed bad: 0 and *id. */
int store_bisect_start(struct store *store, int64_t bad, int64_t good,
    int64_t *id);
/* The bisection bad started: 1 and *id, 0 if none, -1. */
int store_bisect_of(struct store *store, int64_t bad, int64_t *id);
/* The running bisections' ids (malloc'd): 0, or -1. */
int store_bisections_running(struct store *store, int64_t **ids, size_t *n);
/* A bisection, by id: 1, 0 if none, -1. */
int store_bisect_get(struct store *store, int64_t id, struct bisection *b);
/* The latest bisection of a branch: 1, 0 if none, -1. */
int store_bisect_latest(struct store *store, const char *repo,
    const char *branch, struct bisection *b);
/* A bisection's skipped pushes in their order: how many, or -1. */
int store_bisect_range(struct store *store, int64_t id,
    void (*cb)(const struct bisect_commit *c, void *arg), void *arg);
/* How many runs (pipelines) a bisection queued: 0 and *n, or -1. */
int store_bisect_runs(struct store *store, int64_t id, int64_t *n);
/*
 * A running bisection ends (b's state "found" or "stopped", its culprit,
 * runs and note).  0, or -1.
 */
int store_bisect_end(struct store *store, const struct bisection *b);
/*
 * A branch's tip: its latest pipeline not run by a bisection.  1 and
 * *job (the pipeline's first job), 0 if the branch has none, -1.
 */
int store_branch_tip(struct store *store, const char *repo,
    const char *branch, struct job *job);
/* When a schedule (its text) last ran: 1 and *ms, 0 never, -1. */
int store_schedule_last(struct store *store, const char *spec, int64_t *ms);
int store_schedule_set(struct store *store, const char *spec, int64_t ms);

/*
 * Artifacts (docs/ARTIFACTS.md): a job's files, kept by the dispatcher as
 * STATE/artifacts/JOB/PATH.  A row is added once its file is there whole
 * (checked against its SHA-256), so a listed file is never a half one.
 * path is artifact_path_valid's (util.h); strings are borrowed in
 * callbacks, whose -1 stops a list.
 */
struct store_artifact {
	int64_t job;		/* whose folder holds it */
	const char *path;
	int64_t size;
	char sha256[65];	/* lower-case hex */
	int mode;		/* 0644 or 0755 */
	int64_t created;	/* unix seconds */
	int64_t expires;	/* unix seconds, 0: as long as the job */
};
typedef int (*store_artifact_cb)(const struct store_artifact *a, void *arg);

/* Keep an artifact's row, replacing the same job and path: 0, or -1. */
int store_artifact_add(struct store *store, const struct store_artifact *a);
/* A job's artifacts in path order: how many, or -1. */
int store_artifacts_of_job(struct store *store, int64_t job,
    store_artifact_cb cb, void *arg);
/*
 * One artifact: 1 and *out filled (its path the malloc'd *path_out), 0 if
 * there is none, -1 on a store error or a bad path.
 */
int store_artifact_get(struct store *store, int64_t job, const char *path,
    struct store_artifact *out, char **path_out);
/*
 * The artifacts a job's inputs are: those of each job it needs (that
 * passed), made by its latest attempt; for a job a retry carried, those
 * of the job that ran; for a sharded one, its shards'.  a->job says whose
 * folder holds each.  Each need's in turn, in path order: how many, or -1.
 */
int store_artifacts_of_needs(struct store *store, int64_t job,
    store_artifact_cb cb, void *arg);
/*
 * Expired artifacts (expires <= now), at most limit (1 to 10000), removed
 * in one transaction; then cb for each, so that the caller removes its
 * file.  How many, or -1.
 */
int store_artifacts_expire(struct store *store, int64_t now, int limit,
    store_artifact_cb cb, void *arg);
/* A job's rows removed (the caller removes its folder): how many, or -1. */
int store_artifacts_remove_job(struct store *store, int64_t job);

/*
 * Secrets (docs/SECURITY.md): a repository's named values, each given to
 * the jobs of the branches its globs match (space-separated; "" for every
 * branch but pull requests', secrets.h).  A value is sealed (seal.h)
 * under the key in STATE/secrets.key, made when first needed, before any
 * backend sees it: the database alone, or a backup of it, holds none in
 * the clear.  Names and values are checked as secrets.h says.
 */
struct secret_info {
	const char *repo;
	const char *name;
	const char *branches;	/* "" for the default rule */
	int64_t updated_ms;
	const char *updated_by;	/* may be NULL */
};
typedef int (*store_secret_cb)(const struct secret_info *s, void *arg);

/* Set (or replace) a secret of len bytes, by says who: 0, or -1. */
int store_secret_set(struct store *store, const char *repo, const char *name,
    const char *value, size_t len, const char *branches, const char *by);
/* A repository's secrets by name, never their values: how many, or -1. */
int store_secrets_list(struct store *store, const char *repo,
    store_secret_cb cb, void *arg);
/* Remove one: 0, 1 if there is no such secret, -1. */
int store_secret_remove(struct store *store, const char *repo,
    const char *name);
/*
 * One secret's value (malloc'd, NUL-terminated, *len bytes; wipe it with
 * seal_wipe before freeing) and its branch globs (malloc'd): 1, 0 if
 * there is none, -1 if the store failed, -2 if the value does not open
 * with the key there is (said, naming the secret).
 */
int store_secret_get(struct store *store, const char *repo, const char *name,
    char **value, size_t *len, char **branches);

/*
 * Jobs' logs, kept in the store as well as in STATE/logs when the store
 * is a server's (PostgreSQL), so that a dispatcher taking over finds them
 * whole: store_keeps_logs says so.  The log is its chunks in order.
 */
int store_keeps_logs(struct store *store);
/* Append a chunk to job's log: 0, or -1. */
int store_log_append(struct store *store, int64_t job, const void *data,
    size_t len);
/* Empty job's log (a new attempt): 0, or -1. */
int store_log_clear(struct store *store, int64_t job);
/* Job to's log is job from's (a passed job carried): 0, or -1. */
int store_log_copy(struct store *store, int64_t from, int64_t to);
/* Called for each chunk, in order; returning -1 stops. */
typedef int (*store_chunk_cb)(const void *data, size_t len, void *arg);
/* Job's log, chunk by chunk: how many chunks, or -1. */
int store_log_read(struct store *store, int64_t job, store_chunk_cb cb,
    void *arg);

/*
 * A table copied (store_copy): its rows, and a SHA-256 of them read back
 * from each store (the same rows give the same digest, in any order).
 */
struct store_copied {
	const char *table;
	int64_t rows_from, rows_to;
	char digest_from[65], digest_to[65];
};
typedef void (*store_copied_cb)(const struct store_copied *c, void *arg);
/*
 * Copy every row of store from into store to (another database, holding
 * no job yet), ids and all, table by table, each in one transaction;
 * cb is told of each.  0 when every table's rows and digests agree, or
 * -1 (said).
 */
int store_copy(struct store *from, struct store *to, store_copied_cb cb,
    void *arg);

#endif

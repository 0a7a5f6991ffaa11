/* SPDX-License-Identifier: MIT */
/*
 * store.c - the store's interface, the same whatever keeps the data: it
 * checks what callers give, then calls the backend (store_backend.h).
 * SQLite is the only backend today; the checks live here so that a second
 * one is only about keeping and finding.  Secrets are sealed here too
 * (seal.h), so that no backend ever holds one in the clear.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secrets.h"
#include "seal.h"
#include "store_backend.h"
#include "util.h"

struct store *
store_open(const char *dir)
{
	return store_open_url(dir, NULL);
}

static int
store_url_pg(const char *url)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return 0;
	return strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0 || strchr(url, '=') != NULL;
}

int
store_url_valid(const char *url)
{
	return (strncmp(url, "sqlite:", 7) == 0 && url[7] != '\0') ||
	    store_url_pg(url);
}

static struct store *
store_open_waiting(const char *dir, const char *url, int wait)
{
	struct store *store;
	char *file;

	if (mkdir_p(dir) == -1)
		return NULL;
	if (url != NULL && !store_url_valid(url)) {
		/* Not echoed: a connection string may hold a password. */
		log_warnx("unable to use the store: not sqlite:FILE, "
		    "postgresql://... or a libpq connection string");
		return NULL;
	}
	if (url != NULL && store_url_pg(url))
		store = pg_store_open(url, wait);
	else {
		if (url != NULL)
			file = xstrdup(url + 7);
		else
			xasprintf(&file, "%s/ssci.db", dir);
		store = sqlite_store_open(file);
		free(file);
	}
	if (store == NULL)
		return NULL;
	store->backend = &store_sql_backend;
	xasprintf(&store->key_path, "%s/secrets.key", dir);
	return store;
}

struct store *
store_open_url(const char *dir, const char *url)
{
	return store_open_waiting(dir, url, 1);
}

struct store *
store_open_idle(const char *dir, const char *url)
{
	return store_open_waiting(dir, url, 0);
}

struct store *
store_open_again(const char *dir, const char *url)
{
	return store_open_waiting(dir, url, 2);
}

int
store_backup(const char *dir, const char *to)
{
	return sqlite_backup(dir, to);
}

int
store_check_file(const char *path)
{
	return sqlite_check_file(path);
}

int
store_fd(struct store *store)
{
	return store->backend->fd(store);
}

void
store_poll(struct store *store)
{
	store->backend->poll(store);
}

void
store_on_lost(struct store *store, void (*lost)(void *arg), void *arg)
{
	store->lost = lost;
	store->lost_arg = arg;
	/* Lost before anyone asked (at the start's first calls): tell now. */
	if (lost != NULL && store->lost_seen)
		lost(arg);
}

void
store_close(struct store *store)
{
	if (store == NULL)
		return;
	seal_wipe(store->key, sizeof store->key);
	free(store->key_path);
	store->backend->close(store);
}

void
store_sync_hold(struct store *store)
{
	store->backend->sync_hold(store);
}

void
store_sync_release(struct store *store)
{
	store->backend->sync_release(store);
}

int64_t
store_syncs(const struct store *store)
{
	return store->syncs;
}

int
store_error_transient(const struct store *store)
{
	return store->transient;
}

void
store_set_queue_limit(struct store *store, int max_queued_per_repo)
{
	store->max_queued = max_queued_per_repo;
}

int
store_requeue_running(struct store *store)
{
	return store->backend->requeue_running(store);
}

int
store_dispatch(struct store *store, const struct job_request *request,
    int64_t *job_id, enum job_state *state, int *existing)
{
	return store->backend->dispatch(store, request, job_id, state,
	    existing);
}

int
store_next_queued(struct store *store, struct job *job)
{
	return store->backend->next_queued(store, job);
}

int
store_job_start(struct store *store, int64_t id, const char *runner)
{
	return store->backend->job_start(store, id, runner);
}

int
store_job_adopt(struct store *store, int64_t id, const char *runner)
{
	return store->backend->job_adopt(store, id, runner);
}

int
store_job_requeue(struct store *store, int64_t id, const char *reason)
{
	return store->backend->job_requeue(store, id, reason);
}

int
store_job_hand_back(struct store *store, int64_t id, const char *reason)
{
	return store->backend->job_hand_back(store, id, reason);
}

int
store_job_finish(struct store *store, const struct job_result *result)
{
	if (!job_state_final(result->state)) {
		log_warnx("unable to finish job %lld as '%s': not a final "
		    "state", (long long)result->job,
		    job_state_name(result->state));
		return -1;
	}
	return store->backend->job_finish(store, result);
}

int
store_job_get(struct store *store, int64_t id, struct job *job)
{
	return store->backend->job_get(store, id, job);
}

int
store_count_state(struct store *store, enum job_state state)
{
	return store->backend->count_state(store, state);
}

int
store_list_jobs(struct store *store, const struct job_filter *filter,
    store_job_cb cb, void *arg)
{
	struct job_filter f = *filter;

	if (f.limit < 1 || f.limit > 1000)
		f.limit = 1000;
	return store->backend->list_jobs(store, &f, cb, arg);
}

int
store_list_queue(struct store *store, int limit, store_job_cb cb, void *arg)
{
	return store->backend->list_queue(store, limit, cb, arg);
}

int
store_list_heads(struct store *store, store_job_cb cb, void *arg)
{
	return store->backend->list_heads(store, cb, arg);
}

int
store_count_states(struct store *store, int64_t counts[JOB_STATES])
{
	memset(counts, 0, JOB_STATES * sizeof counts[0]);
	return store->backend->count_states(store, counts);
}

int
store_oldest_queued(struct store *store, int64_t *ms)
{
	return store->backend->oldest_queued(store, ms);
}

int
store_job_by_commit(struct store *store, const char *prefix, struct job *job)
{
	char lower[65];
	size_t len = strlen(prefix);

	if (len < 4 || len > 64)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)prefix[i]))
			return -1;
		lower[i] = (char)tolower((unsigned char)prefix[i]);
	}
	lower[len] = '\0';
	return store->backend->job_by_commit(store, lower, job);
}

int
store_running_ids(struct store *store, int64_t **ids, size_t *n)
{
	return store->backend->running_ids(store, ids, n);
}

int
store_final_heads(struct store *store, const char *after, int limit,
    void (*cb)(const char *commit, int64_t id, void *arg), void *arg)
{
	return store->backend->final_heads(store, after, limit, cb, arg);
}

int
store_latest_final(struct store *store, const char *commit, int64_t *id)
{
	return store->backend->latest_final(store, commit, id);
}

int
store_pipeline_plan(struct store *store, int64_t job,
    const struct job_plan *plan, int64_t *ids)
{
	if (plan->njobs == 0 || plan->first >= plan->njobs)
		return -1;
	return store->backend->pipeline_plan(store, job, plan, ids);
}

int
store_pipeline_get(struct store *store, int64_t id, struct pipeline *pipeline)
{
	return store->backend->pipeline_get(store, id, pipeline);
}

int
store_pipeline_jobs(struct store *store, int64_t id, store_job_cb cb,
    void *arg)
{
	return store->backend->pipeline_jobs(store, id, cb, arg);
}

int
store_pipeline_needs(struct store *store, int64_t id,
    void (*cb)(int64_t job, int64_t need, void *arg), void *arg)
{
	return store->backend->pipeline_needs(store, id, cb, arg);
}

int
store_list_runnable(struct store *store, int limit, store_job_cb cb,
    void *arg)
{
	return store->backend->list_runnable(store, limit, cb, arg);
}

int
store_runner_seen(struct store *store, const char *name, const char *address)
{
	return store->backend->runner_seen(store, name, address);
}

int
store_outbox_add(struct store *store, const char *target, const char *key,
    const char *url, const char *body)
{
	if (target == NULL || key == NULL || url == NULL || body == NULL) {
		log_warnx("%s: bad arguments", __func__);
		return -1;
	}
	return store->backend->outbox_add(store, target, key, url, body);
}

int
store_outbox_list(struct store *store, const char *target, int limit,
    store_outbox_cb cb, void *arg)
{
	if (target == NULL || limit < 1 || limit > 1000) {
		log_warnx("%s: bad arguments", __func__);
		return -1;
	}
	return store->backend->outbox_list(store, target, limit, cb, arg);
}

int
store_outbox_remove(struct store *store, int64_t id)
{
	return store->backend->outbox_remove(store, id);
}

int
store_outbox_count(struct store *store, int64_t *n)
{
	return store->backend->outbox_count(store, n);
}

int
store_prune(struct store *store, const struct store_retention *r,
    int64_t *cursor, int scan, int remove, store_removed_cb cb, void *arg)
{
	if (r == NULL || r->keep_jobs < 1 || *cursor < 0 || scan < 1 ||
	    scan > 10000 || remove < 1 || cb == NULL) {
		log_warnx("%s: bad arguments", __func__);
		return -1;
	}
	return store->backend->prune(store, r, cursor, scan, remove, cb, arg);
}

int
store_delivery_known(struct store *store, const char *forge, const char *id,
    int64_t since_ms)
{
	if (forge == NULL || id == NULL) {
		log_warnx("%s: bad arguments", __func__);
		return -1;
	}
	return store->backend->delivery_known(store, forge, id, since_ms);
}

int
store_delivery_add(struct store *store, const char *forge, const char *id,
    int64_t now_ms, int64_t since_ms)
{
	if (forge == NULL || id == NULL) {
		log_warnx("%s: bad arguments", __func__);
		return -1;
	}
	return store->backend->delivery_add(store, forge, id, now_ms,
	    since_ms);
}

int
store_job_retry_failed(struct store *store, int64_t id, const char *reason)
{
	return store->backend->job_retry_failed(store, id, reason);
}

int
store_tests_add(struct store *store, int64_t job, int attempt, int64_t first,
    const struct test_record *recs, size_t n)
{
	if (job < 1 || attempt < 1 || first < 0 || n == 0) {
		log_warnx("%s: bad arguments (job %lld)", __func__,
		    (long long)job);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (recs[i].name == NULL || *recs[i].name == '\0' ||
		    testrec_status_name(recs[i].status) == NULL) {
			log_warnx("%s: record %zu of job %lld has no name or "
			    "status", __func__, i, (long long)job);
			return -1;
		}
	}
	return store->backend->tests_add(store, job, attempt, first, recs, n);
}

int
store_job_tests(struct store *store, int64_t job, int failed_only,
    int limit, int64_t offset, store_test_cb cb, void *arg)
{
	if (limit < 1 || limit > TEST_RUNS_PAGE_MAX || offset < 0)
		return -1;
	return store->backend->job_tests(store, job, failed_only, limit,
	    offset, cb, arg);
}

int
store_job_test_counts(struct store *store, int64_t job,
    struct test_counts *counts)
{
	return store->backend->job_test_counts(store, job, counts);
}

int
store_job_get_counted(struct store *store, int64_t id, struct job *job,
    struct test_counts *counts)
{
	return store->backend->job_get_counted(store, id, job, counts);
}

int
store_test_history(struct store *store, const struct test_where *where,
    int64_t upto, int limit, store_test_cb cb, void *arg)
{
	if (where->repo == NULL || where->name == NULL || limit < 1 ||
	    limit > 1000)
		return -1;
	return store->backend->test_history(store, where, upto, limit, cb,
	    arg);
}

int
store_flaky_tests(struct store *store, int limit, store_flaky_cb cb,
    void *arg)
{
	if (limit < 1 || limit > 1000)
		return -1;
	return store->backend->flaky_tests(store, limit, cb, arg);
}

int
store_test_quarantine(struct store *store, const char *repo,
    const char *name, int on, const char *by)
{
	if (repo == NULL || name == NULL || *name == '\0' ||
	    strlen(name) > 2 * TESTREC_MAX_NAME + 1)
		return -1;
	return store->backend->test_quarantine(store, repo, name, on, by);
}

int
store_quarantined(struct store *store, const char *repo,
    void (*cb)(const char *repo, const char *name, int64_t since_ms,
    const char *by, void *arg), void *arg)
{
	return store->backend->quarantined(store, repo, cb, arg);
}

int
store_test_mark_flaky(struct store *store, int64_t job, int attempt,
    int64_t index)
{
	return store->backend->test_mark_flaky(store, job, attempt, index);
}

int
store_test_durations(struct store *store, const char *repo,
    const char *branch, const char *job_name, int runs,
    store_duration_cb cb, void *arg)
{
	if (repo == NULL || runs < 1 || runs > STORE_DURATION_RUNS_MAX)
		return -1;
	return store->backend->test_durations(store, repo, branch, job_name,
	    runs, cb, arg);
}

int
store_supersede(struct store *store, int64_t pipeline, const char *commit,
    void (*cb)(int64_t pipeline, void *arg), void *arg)
{
	if (pipeline <= 0 || commit == NULL || *commit == '\0')
		return -1;
	return store->backend->supersede(store, pipeline, commit, cb, arg);
}

int
store_push_before(struct store *store, int64_t pipeline, int64_t *id,
    enum job_state *state)
{
	return store->backend->push_before(store, pipeline, id, state);
}

int
store_push_after(struct store *store, int64_t pipeline, int64_t *id,
    enum job_state *state)
{
	return store->backend->push_after(store, pipeline, id, state);
}

int
store_bisect_start(struct store *store, int64_t bad, int64_t good,
    int64_t *id)
{
	if (good <= 0 || bad <= good)
		return -1;
	return store->backend->bisect_start(store, bad, good, id);
}

int
store_bisect_of(struct store *store, int64_t bad, int64_t *id)
{
	return store->backend->bisect_of(store, bad, id);
}

int
store_bisections_running(struct store *store, int64_t **ids, size_t *n)
{
	return store->backend->bisections_running(store, ids, n);
}

int
store_bisect_get(struct store *store, int64_t id, struct bisection *b)
{
	return store->backend->bisect_get(store, id, b);
}

int
store_bisect_latest(struct store *store, const char *repo, const char *branch,
    struct bisection *b)
{
	if (repo == NULL || branch == NULL)
		return -1;
	return store->backend->bisect_latest(store, repo, branch, b);
}

int
store_bisect_range(struct store *store, int64_t id,
    void (*cb)(const struct bisect_commit *c, void *arg), void *arg)
{
	return store->backend->bisect_range(store, id, cb, arg);
}

int
store_bisect_runs(struct store *store, int64_t id, int64_t *n)
{
	return store->backend->bisect_runs(store, id, n);
}

int
store_bisect_end(struct store *store, const struct bisection *b)
{
	if (b->state == NULL || (strcmp(b->state, "found") != 0 &&
	    strcmp(b->state, "stopped") != 0))
		return -1;
	return store->backend->bisect_end(store, b);
}

int
store_branch_tip(struct store *store, const char *repo, const char *branch,
    struct job *job)
{
	if (repo == NULL || branch == NULL)
		return -1;
	return store->backend->branch_tip(store, repo, branch, job);
}

int
store_schedule_last(struct store *store, const char *spec, int64_t *ms)
{
	return store->backend->schedule_last(store, spec, ms);
}

int
store_schedule_set(struct store *store, const char *spec, int64_t ms)
{
	return store->backend->schedule_set(store, spec, ms);
}

/* An artifact's row as a backend may keep it: 0, or -1 (said). */
static int
store_artifact_check(const struct store_artifact *a)
{
	char path[LOG_CUT_MAX * 4 + 8];
	const char *why = NULL;
	size_t i;

	if (a->path == NULL || !artifact_path_valid(a->path))
		why = "bad path";
	else if (a->job < 1)
		why = "bad job";
	else if (a->size < 0)
		why = "bad size";
	else if (a->mode != 0644 && a->mode != 0755)
		why = "mode is neither 0644 nor 0755";
	else if (a->created < 1 || a->expires < 0)
		why = "bad time";
	for (i = 0; why == NULL && i < 64; i++) {
		if (!isdigit((unsigned char)a->sha256[i]) &&
		    (a->sha256[i] < 'a' || a->sha256[i] > 'f'))
			why = "bad SHA-256";
	}
	if (why == NULL && a->sha256[64] != '\0')
		why = "bad SHA-256";
	if (why == NULL)
		return 0;
	log_escape_cut(a->path != NULL ? a->path : "", a->path != NULL ?
	    strlen(a->path) : 0, 200, path, sizeof path);
	log_warnx("unable to keep artifact '%s' of job %lld: %s", path,
	    (long long)a->job, why);
	return -1;
}

int
store_artifact_add(struct store *store, const struct store_artifact *a)
{
	if (store_artifact_check(a) == -1)
		return -1;
	return store->backend->artifact_add(store, a);
}

int
store_artifacts_of_job(struct store *store, int64_t job,
    store_artifact_cb cb, void *arg)
{
	return store->backend->artifacts_of_job(store, job, cb, arg);
}

int
store_artifact_get(struct store *store, int64_t job, const char *path,
    struct store_artifact *out, char **path_out)
{
	*path_out = NULL;
	if (path == NULL || !artifact_path_valid(path))
		return -1;
	return store->backend->artifact_get(store, job, path, out, path_out);
}

int
store_artifacts_of_needs(struct store *store, int64_t job,
    store_artifact_cb cb, void *arg)
{
	return store->backend->artifacts_of_needs(store, job, cb, arg);
}

int
store_artifacts_expire(struct store *store, int64_t now, int limit,
    store_artifact_cb cb, void *arg)
{
	if (limit < 1 || limit > 10000 || cb == NULL) {
		log_warnx("%s: bad arguments", __func__);
		return -1;
	}
	return store->backend->artifacts_expire(store, now, limit, cb, arg);
}

int
store_artifacts_remove_job(struct store *store, int64_t job)
{
	return store->backend->artifacts_remove_job(store, job);
}

/* The secrets' key, read (or made) when first needed: 0, or -1. */
static int
store_secret_key(struct store *store)
{
	if (!store->have_key) {
		if (seal_key_load(store->key_path, store->key) == -1)
			return -1;
		store->have_key = 1;
	}
	return 0;
}

/* What a sealed value is bound to: its repository and name. */
static char *
store_secret_aad(const char *repo, const char *name, size_t *len)
{
	size_t r = strlen(repo), n = strlen(name);
	char *aad = xmalloc(r + 1 + n);

	memcpy(aad, repo, r);
	aad[r] = '\0';
	memcpy(aad + r + 1, name, n);
	*len = r + 1 + n;
	return aad;
}

/* The arguments every secret function takes: 0, or -1 (logged). */
static int
store_secret_args(const char *repo, const char *name)
{
	char why[300];

	if (repo == NULL || !repo_url_valid(repo)) {
		log_warnx("unable to use a secret: bad repository");
		return -1;
	}
	if (name != NULL && secret_name_check(name, why, sizeof why) == -1) {
		log_warnx("unable to use a secret: %s", why);
		return -1;
	}
	return 0;
}

int
store_secret_set(struct store *store, const char *repo, const char *name,
    const char *value, size_t len, const char *branches, const char *by)
{
	unsigned char *sealed;
	size_t aadlen, sealedlen;
	char why[300], *aad;
	int rc;

	if (store_secret_args(repo, name) == -1 || name == NULL ||
	    value == NULL)
		return -1;
	if (secret_value_check(value, len, why, sizeof why) == -1) {
		log_warnx("unable to keep secret '%s' of %s: %s", name, repo,
		    why);
		return -1;
	}
	if (branches != NULL && !secret_branches_valid(branches)) {
		log_warnx("unable to keep secret '%s' of %s: bad branch globs",
		    name, repo);
		return -1;
	}
	if (store_secret_key(store) == -1)
		return -1;
	aad = store_secret_aad(repo, name, &aadlen);
	rc = seal_value(store->key, aad, aadlen, value, len, &sealed,
	    &sealedlen);
	free(aad);
	if (rc == -1)
		return -1;
	rc = store->backend->secret_set(store, repo, name, sealed, sealedlen,
	    branches != NULL ? branches : "", by, now_ms());
	free(sealed);
	return rc;
}

int
store_secrets_list(struct store *store, const char *repo,
    store_secret_cb cb, void *arg)
{
	if (store_secret_args(repo, NULL) == -1)
		return -1;
	return store->backend->secrets_list(store, repo, cb, arg);
}

int
store_secret_remove(struct store *store, const char *repo, const char *name)
{
	if (store_secret_args(repo, name) == -1 || name == NULL)
		return -1;
	return store->backend->secret_remove(store, repo, name);
}

int
store_secret_get(struct store *store, const char *repo, const char *name,
    char **value, size_t *len, char **branches)
{
	unsigned char *sealed;
	size_t sealedlen, aadlen;
	char *aad;
	int rc;

	if (store_secret_args(repo, name) == -1 || name == NULL)
		return -1;
	rc = store->backend->secret_get(store, repo, name, &sealed,
	    &sealedlen, branches);
	if (rc != 1)
		return rc;
	if (store_secret_key(store) == -1) {
		rc = -2;
		goto out;
	}
	aad = store_secret_aad(repo, name, &aadlen);
	if (seal_open(store->key, aad, aadlen, sealed, sealedlen, value,
	    len) == -1) {
		log_warnx("unable to open secret '%s' of %s: it was not sealed "
		    "with the key in '%s' (set it again)", name, repo,
		    store->key_path);
		rc = -2;
	}
	free(aad);
out:
	free(sealed);
	if (rc != 1) {
		free(*branches);
		*branches = NULL;
	}
	return rc;
}

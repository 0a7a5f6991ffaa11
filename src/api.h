/* SPDX-License-Identifier: MIT */
/*
 * api.h - the dispatcher's state as JSON (jansson), the same for the HTTP
 * API, the server-sent events and the command-line client's replies.
 * Every function returns a new reference.
 *
 * A job is an object: id, repo, commit, branch, state, attempt, runner,
 * created_ms, started_ms, finished_ms, exit_code, duration_ms,
 * tests {run, failed, skipped}, reason, subject, author, retry_of,
 * pipeline, pipeline_state, name, labels [words], allow_failure (unknown
 * values are null).
 */
#ifndef SSCI_API_H
#define SSCI_API_H

#include <jansson.h>

#include "store.h"

struct dispatcher;

#define API_RECENT_JOBS 20

/* api_json.c: what every answer is built of. */
/* v, or a fatal error: jansson fails only when out of memory. */
json_t *api_check(json_t *v);
/* Set obj[key] to v (a new reference, taken). */
void api_set(json_t *obj, const char *key, json_t *v);
/* A string, or null; bytes that are not UTF-8 become U+FFFD. */
json_t *api_string(const char *s);
/* A number, or null when unknown (negative). */
json_t *api_known(int64_t n);

json_t *api_job(const struct job *job);

/*
 * A job's artifacts, for its single-job answer only (lists stay small):
 * [{path, size, sha256, url, expires_at}] in path order, url under
 * --public-url (the HTTP side's address); null if the store failed.
 */
json_t *api_artifacts(struct dispatcher *d, int64_t job);

/*
 * Pipeline id (the id of its first job): id, state, commit, repo, branch,
 * subject, created_ms, finished_ms (null until it is over), planned, and
 * jobs (first to last), each a job with "needs" [ids].  1 and *out set;
 * 0 no such pipeline; -1 the store failed.
 */
int api_pipeline(struct dispatcher *d, int64_t id, json_t **out);

/* Jobs matching filter, newest first; NULL on a store error. */
json_t *api_jobs(struct dispatcher *d, const struct job_filter *filter);

/*
 * Runners connected now: name, address, slots, busy, state ("idle",
 * "busy"), jobs [ids], last_heard_ms (milliseconds since we last heard
 * from it).
 */
json_t *api_runners(struct dispatcher *d);

/*
 * api_status.c: the queue in the order it will run (at most limit): each
 * a job with "position" (1 = next) and "waiting" (why: "next", "behind 3
 * jobs of REPO, 1 of REPO2", "all runners busy", "no runner connected",
 * "no runner with labels [...]", "waiting for N jobs it needs").
 */
json_t *api_queue(struct dispatcher *d, int limit);

/* Jobs running now, each with "elapsed_ms". */
json_t *api_running(struct dispatcher *d);

/*
 * The latest job of every (repository, branch) but a bisection's runs,
 * each with "bisection": its latest while running or while the branch
 * has not passed since, else null.
 */
json_t *api_heads(struct dispatcher *d);
/* A bisection (docs/QUEUE.md) as JSON: state, culprit, runs, note. */
json_t *api_bisection(const struct bisection *b);

/*
 * Everything at once: uptime_ms, queued (count), runners, running, queue
 * (first 50), recent (API_RECENT_JOBS jobs), heads.
 */
json_t *api_status(struct dispatcher *d);

/* api_tests.c: per-test results. */
/* Failed tests of a job given "failing_since", the first this many. */
#define API_SINCE_MAX 50

/*
 * A test's run: index, name, suite, file, status, duration_us, message,
 * flaky, quarantined.
 */
json_t *api_test_run(const struct test_run *run);
/*
 * A job's tests (its latest attempt): job, attempt, flaky, counts {total,
 * passed, failed, skipped, quarantined_failed, flaky}, offset and tests
 * [runs], failed first, limit of them from offset, fewer when they would
 * take more than about max_bytes (then "limited" is true), the first API_SINCE_MAX failed ones with failing_since
 * {commit, job, commits_ago, at_least}.  NULL on a store error.
 */
json_t *api_job_tests(struct dispatcher *d, const struct job *job,
    int failed_only, int limit, int64_t offset, size_t max_bytes);
/*
 * A test's history (job.h's struct test_where): repo, branch, name,
 * job_name (null: of every job), runs, flips, flip_rate, flipping
 * (testhist.h's rule) and history [runs, newest first, each with job,
 * job_name, attempt, commit, job_state, finished_ms].
 */
json_t *api_test_history(struct dispatcher *d,
    const struct test_where *where, int limit);
/*
 * The flakiest tests: tests [repo, name, flakes, quarantined, last_flake
 * {job, commit, branch, finished_ms}, runs, flips, flip_rate, flipping,
 * commits [{commit, job, status}] of its flaky runs].
 */
json_t *api_flaky(struct dispatcher *d, int limit);
/* quarantined [repo, name, since_ms, by], of repo or all (NULL). */
json_t *api_quarantined(struct dispatcher *d, const char *repo);

/*
 * Up to max bytes of job's log from offset (joblog_read's terms: *data
 * malloc'd, *size the whole log's): a sharded job's log is its shards',
 * each under a header line, read as they are now.  0, or -1: no log.
 */
int api_log_read(struct dispatcher *d, const struct job *job, int64_t offset,
    size_t max, char **data, size_t *len, int64_t *size);

#endif

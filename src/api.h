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

json_t *api_job(const struct job *job);

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
 * The queue in the order it will run (at most limit): each a job with
 * "position" (1 = next) and "waiting" (why: "no runner connected", "all
 * runners busy", or "next").
 */
json_t *api_queue(struct dispatcher *d, int limit);

/* Jobs running now, each with "elapsed_ms". */
json_t *api_running(struct dispatcher *d);

/* The latest job of every (repository, branch). */
json_t *api_heads(struct dispatcher *d);

/*
 * Everything at once: uptime_ms, queued (count), runners, running, queue
 * (first 50), recent (API_RECENT_JOBS jobs), heads.
 */
json_t *api_status(struct dispatcher *d);

#endif

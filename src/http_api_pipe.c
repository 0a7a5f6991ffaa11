/* SPDX-License-Identifier: MIT */
/*
 * http_api_pipe.c - the pipelines in the JSON API (docs/API.md):
 *
 *   GET  /api/pipelines/ID
 *   POST /api/pipelines/ID/cancel, /api/pipelines/ID/retry
 *
 * A pipeline's id is its first job's, and the scheduler's cancel and
 * retry of a job act on its whole pipeline: these answer as the job
 * routes do, in the pipeline's words.
 */
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "dispatcher.h"
#include "http.h"
#include "sched.h"

/* /api/pipelines/ID: 1 and the pipeline's first job, or 0 after a 404. */
static int
api_find_pipeline(struct http_ctx *h, struct pipeline *pipeline,
    struct job *first)
{
	int64_t id = http_job_id(h->parts[2]);
	int rc = 0;

	if (id > 0 && (rc = store_pipeline_get(h->d->store, id,
	    pipeline)) == 1) {
		if (store_job_get(h->d->store, id, first) == 1)
			return 1;
		pipeline_release(pipeline);
		rc = -1;
	}
	if (rc == -1)
		http_error(h->req, HTTP_INTERNAL, "store",
		    "unable to read pipeline '%s'", h->parts[2]);
	else
		http_error(h->req, HTTP_NOTFOUND, "no_such_pipeline",
		    "no pipeline '%s'", h->parts[2]);
	return 0;
}

int
http_api_pipeline(struct http_ctx *h)
{
	int64_t id = http_job_id(h->parts[2]);
	json_t *obj = NULL;
	int rc = id > 0 ? api_pipeline(h->d, id, &obj) : 0;

	if (rc == 1)
		http_json(h->req, HTTP_OK, obj);
	else if (rc == -1)
		http_error(h->req, HTTP_INTERNAL, "store",
		    "unable to read pipeline '%s'", h->parts[2]);
	else
		http_error(h->req, HTTP_NOTFOUND, "no_such_pipeline",
		    "no pipeline '%s'", h->parts[2]);
	return 1;
}

/* The state of pipeline id as the store has it now, or fallback. */
static enum job_state
api_pipeline_state(struct http_ctx *h, int64_t id, enum job_state fallback)
{
	struct pipeline pipeline;
	enum job_state state = fallback;

	if (store_pipeline_get(h->d->store, id, &pipeline) == 1) {
		state = pipeline.state;
		pipeline_release(&pipeline);
	}
	return state;
}

/* /api/pipelines/ID/cancel, /api/pipelines/ID/retry: as for its jobs. */
static void
api_post_pipeline(struct http_ctx *h, const struct pipeline *pipeline,
    const struct job *first)
{
	enum job_state state;
	char who[100];
	int64_t id;
	int rc;

	if (strcmp(h->parts[3], "cancel") == 0) {
		snprintf(who, sizeof who, "the web, from %s", h->ip);
		if (sched_cancel_job(h->d->sched, pipeline->id, who,
		    &state) == 2)
			http_error(h->req, 409, "bad_state", "pipeline %lld "
			    "has already finished: %s", (long long)pipeline->id,
			    job_state_name(pipeline->state));
		else
			http_json(h->req, HTTP_OK, json_pack("{s:I, s:s}",
			    "pipeline", (json_int_t)pipeline->id, "state",
			    job_state_name(api_pipeline_state(h, pipeline->id,
			    pipeline->state))));
		return;
	}
	rc = sched_retry_job(h->d->sched, pipeline->id, &id);
	if (rc == 0)
		http_json(h->req, 201, json_pack("{s:I, s:s, s:I}", "pipeline",
		    (json_int_t)id, "state", "queued", "retry_of",
		    (json_int_t)pipeline->id));
	else if (rc == 2)
		http_error(h->req, 409, "bad_state", "pipeline %lld is still %s",
		    (long long)pipeline->id, job_state_name(pipeline->state));
	else if (rc == -3)
		http_error(h->req, 507, "disk_full", "%s",
		    sched_refusal(h->d->sched));
	else if (rc == -2)
		http_error(h->req, 429, "queue_full", "the queue of %s is full",
		    first->repo != NULL ? first->repo : "the repository");
	else
		http_error(h->req, HTTP_INTERNAL, "store",
		    "unable to queue the pipeline again");
}

int
http_api_pipeline_action(struct http_ctx *h)
{
	struct pipeline pipeline;
	struct job first;

	if (api_find_pipeline(h, &pipeline, &first)) {
		api_post_pipeline(h, &pipeline, &first);
		pipeline_release(&pipeline);
		job_release(&first);
	}
	return 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * http_api.c - the JSON API under /api (documented in docs/API.md):
 *
 *   GET  /api/status, /api/jobs, /api/jobs/ID, /api/jobs/ID/log,
 *        /api/pipelines/ID, /api/runners, /api/queue, /api/events,
 *        and the tests' (http_api_tests.c)
 *   POST /api/dispatch, /api/run, /api/jobs/ID/cancel, /api/jobs/ID/retry,
 *        /api/pipelines/ID/cancel, /api/pipelines/ID/retry
 *   GET, PUT and DELETE /api/secrets (http_secrets.c)
 *
 * A dispatch or a run is checked by the protocol's own parser, so the
 * rules for a repository, commit, branch, priority and parameters are the
 * same on both doors; a run is queued by manual.c, as the protocol's is.  The
 * pipelines' handlers are in http_api_pipe.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api.h"
#include "dispatcher.h"
#include "sched.h"
#include "events.h"
#include "http.h"
#include "manual.h"
#include "plan.h"
#include "util.h"

#define HTTP_LOG_MAX (1024 * 1024)

/* The event stream, within the limits of events.h. */
static int
api_events(struct http_ctx *h)
{
	switch (events_subscribe(h->d, h->req, h->ip)) {
	case -1:
		http_error(h->req, 503, "too_many_streams", "%d event streams "
		    "from %s already", EVENTS_MAX_PER_ADDRESS, h->ip);
		break;
	case -2:
		http_error(h->req, 503, "too_many_streams", "as many event "
		    "streams as the dispatcher serves already");
		break;
	}
	return 1;
}

static int
api_get_jobs(struct http_ctx *h)
{
	struct job_filter f = { 0 };
	enum job_state state;
	long limit, before;
	json_t *jobs;

	f.repo = http_param(h, "repo");
	f.branch = http_param(h, "branch");
	f.state = http_param(h, "state");
	if (http_number(h, "limit", 1, 1000, 50, &limit) == -1 ||
	    http_number(h, "before", 1, 2147483647L, 0, &before) == -1)
		return 1;
	if ((f.state != NULL && job_state_parse(f.state, &state) == -1) ||
	    (f.branch != NULL && !branch_name_valid(f.branch)) ||
	    (f.repo != NULL && !repo_url_valid(f.repo))) {
		http_error(h->req, HTTP_BADREQUEST, "bad_parameter",
		    "invalid repo, branch or state");
		return 1;
	}
	f.limit = (int)limit;
	f.before = before;
	if ((jobs = api_jobs(h->d, &f)) == NULL)
		http_error(h->req, HTTP_INTERNAL, "store", "unable to list jobs");
	else
		http_json(h->req, HTTP_OK, json_pack("{s:o}", "jobs", jobs));
	return 1;
}

/* The job named by parts[2]; 1, or 0 after answering 404. */
static int
api_find_job(struct http_ctx *h, struct job *job)
{
	int64_t id = http_job_id(h->parts[2]);

	if (id > 0 && store_job_get(h->d->store, id, job) == 1)
		return 1;
	http_error(h->req, HTTP_NOTFOUND, "no_such_job", "no job '%s'",
	    h->parts[2]);
	return 0;
}

static void
api_get_log(struct http_ctx *h, struct job *job)
{
	long offset, limit;
	char *data = NULL, *clean;
	size_t len = 0, cleanlen;
	int64_t size = 0;

	if (http_number(h, "offset", 0, 2147483647L, 0, &offset) == -1 ||
	    http_number(h, "limit", 1, HTTP_LOG_MAX, HTTP_LOG_MAX, &limit) == -1)
		return;
	api_log_read(h->d, job, offset, (size_t)limit, &data, &len, &size);
	clean = utf8_sanitize(data != NULL ? data : "", len, &cleanlen);
	http_json(h->req, HTTP_OK, json_pack("{s:I, s:I, s:I, s:I, s:s, s:s%}",
	    "id", (json_int_t)job->id, "offset", (json_int_t)offset,
	    "next_offset", (json_int_t)(offset + (long)len),
	    "size", (json_int_t)size, "state", job_state_name(job->state),
	    "data", clean, cleanlen));
	free(clean);
	free(data);
}


static int
api_dispatch(struct http_ctx *h)
{
	struct job_request request;
	struct proto_msg msg;
	enum job_state state;
	char why[400];
	int64_t id;
	int existing, rc;

	if (http_body_message(h, "dispatch", &msg) == -1)
		return 1;
	if (sched_repo_refused(h->d->sched, msg.repo, why, sizeof why)) {
		http_error(h->req, HTTP_BADREQUEST, "bad_repo", "%s", why);
		proto_msg_release(&msg);
		return 1;
	}
	request = (struct job_request){
		.repo = msg.repo, .commit = msg.commit, .branch = msg.branch,
		.subject = msg.subject, .author = msg.author,
		.rebuild = msg.rebuild, .trigger = "api",
		.priority = msg.priority, .priority_set = msg.priority_set,
	};
	rc = sched_queue_job(h->d->sched, &request, &id, &state, &existing);
	if (rc == -3)
		http_error(h->req, 507, "disk_full", "%s",
		    sched_refusal(h->d->sched));
	else if (rc == -2)
		http_error(h->req, 429, "queue_full", "the queue of %s is full",
		    msg.repo);
	else if (rc == -1)
		http_error(h->req, HTTP_INTERNAL, "store",
		    "unable to record the job");
	else
		http_json(h->req, existing ? HTTP_OK : 201, json_pack(
		    "{s:I, s:s, s:b}", "job", (json_int_t)id, "state",
		    job_state_name(state), "existing", existing));
	proto_msg_release(&msg);
	return 1;
}

/* The HTTP status of a manual run's refusal (manual.h's codes). */
static int
api_run_status(const char *code)
{
	static const struct { const char *code; int status; } statuses[] = {
		{ "no_commit", HTTP_NOTFOUND }, { "bad_repo", HTTP_BADREQUEST },
		{ "disk_full", 507 }, { "queue_full", 429 },
		{ "try_again", 503 },
	};

	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		if (strcmp(statuses[i].code, code) == 0)
			return statuses[i].status;
	}
	return HTTP_INTERNAL;
}

/* POST /api/run: {"repo", "branch", "params": {NAME: VALUE}}. */
static int
api_run(struct http_ctx *h)
{
	struct manual_run m = { 0 };
	struct proto_msg msg;
	char who[100];

	if (http_body_message(h, "run", &msg) == -1)
		return 1;
	snprintf(who, sizeof who, "the web, from %s", h->ip);
	m.repo = msg.repo;
	m.branch = msg.branch;
	m.params = msg.params;
	m.who = who;
	if (manual_run(h->d, &m) == -1)
		http_error(h->req, api_run_status(m.code), m.code, "%s", m.why);
	else
		http_json(h->req, 201, json_pack("{s:I, s:s, s:b, s:s}", "job",
		    (json_int_t)m.id, "state", job_state_name(m.state),
		    "existing", 0, "commit", m.commit));
	proto_msg_release(&msg);
	return 1;
}

/* A retry that sched_retry_job refused for want of room or a store. */
static void
api_retry_failed(struct http_ctx *h, int rc, const char *repo)
{
	if (rc == -3)
		http_error(h->req, 507, "disk_full", "%s",
		    sched_refusal(h->d->sched));
	else if (rc == -2)
		http_error(h->req, 429, "queue_full", "the queue of %s is full",
		    repo != NULL ? repo : "the repository");
	else
		http_error(h->req, HTTP_INTERNAL, "store",
		    "unable to queue the job again");
}

static void
api_post_job(struct http_ctx *h, struct job *job)
{
	enum job_state state;
	char who[100];
	int64_t id;
	int rc;

	if (strcmp(h->parts[3], "cancel") == 0) {
		snprintf(who, sizeof who, "the web, from %s", h->ip);
		if (sched_cancel_job(h->d->sched, job->id, who, &state) == 2)
			http_error(h->req, 409, "bad_state", "job %lld has "
			    "already finished: %s", (long long)job->id,
			    job_state_name(state));
		else
			http_json(h->req, HTTP_OK, json_pack("{s:I, s:s}",
			    "job", (json_int_t)job->id, "state",
			    job_state_name(state)));
		return;
	}
	rc = sched_retry_job(h->d->sched, job->id, &id);
	if (rc == 0)
		http_json(h->req, 201, json_pack("{s:I, s:s, s:I}", "job",
		    (json_int_t)id, "state", "queued", "retry_of",
		    (json_int_t)job->id));
	else if (rc == 2 && !job_state_final(job->state))
		http_error(h->req, 409, "bad_state", "job %lld is still %s",
		    (long long)job->id, job_state_name(job->state));
	else if (rc == 2)
		http_error(h->req, 409, "bad_state", "the pipeline of job %lld "
		    "is still %s", (long long)job->id,
		    job_state_name(job->pipeline_state));
	else
		api_retry_failed(h, rc, job->repo);
}

/* /api/jobs/ID/cancel, /api/jobs/ID/retry */
static int
api_job_action(struct http_ctx *h)
{
	struct job job;

	if (api_find_job(h, &job)) {
		api_post_job(h, &job);
		job_release(&job);
	}
	return 1;
}

/* /api/jobs/ID/log */
static int
api_job_log(struct http_ctx *h)
{
	struct job job;

	if (api_find_job(h, &job)) {
		api_get_log(h, &job);
		job_release(&job);
	}
	return 1;
}

static int
api_job_one(struct http_ctx *h)
{
	struct job job;

	struct plan_spec spec;
	json_t *obj;

	if (api_find_job(h, &job)) {
		obj = api_job(&job);
		api_set(obj, "artifacts", api_artifacts(h->d, job.id));
		/* A shard's part of the split: its test ids. */
		if (job.shard_of > 0 && plan_spec_decode(job.spec, &spec) == 0) {
			json_t *ids = json_array();

			for (size_t i = 0; i < spec.ntests; i++)
				json_array_append_new(ids,
				    json_string(spec.tests[i]));
			json_object_set_new(obj, "shard_tests", ids);
			plan_spec_release(&spec);
		}
		http_json(h->req, HTTP_OK, obj);
		job_release(&job);
	}
	return 1;
}

static int
api_get_status(struct http_ctx *h)
{
	http_json(h->req, HTTP_OK, api_status(h->d));
	return 1;
}

static int
api_get_runners(struct http_ctx *h)
{
	http_json(h->req, HTTP_OK, json_pack("{s:o}", "runners",
	    api_runners(h->d)));
	return 1;
}

static int
api_get_queue(struct http_ctx *h)
{
	http_json(h->req, HTTP_OK, json_pack("{s:o}", "queue",
	    api_queue(h->d, 1000)));
	return 1;
}

/* Everything under /api; docs/API.md describes each. */
const struct http_route http_api_routes[] = {
	{ "/api/status", HTTP_GET, api_get_status },
	{ "/api/jobs", HTTP_GET, api_get_jobs },
	{ "/api/jobs/*", HTTP_GET, api_job_one },
	{ "/api/jobs/*/log", HTTP_GET, api_job_log },
	{ "/api/jobs/*/cancel", HTTP_POST, api_job_action },
	{ "/api/jobs/*/retry", HTTP_POST, api_job_action },
	{ "/api/jobs/*/tests", HTTP_GET, http_api_job_tests },
	{ "/api/tests", HTTP_GET, http_api_test_history },
	{ "/api/flaky", HTTP_GET, http_api_flaky },
	{ "/api/quarantine", HTTP_GET, http_api_quarantine },
	{ "/api/quarantine", HTTP_POST, http_api_quarantine },
	{ "/api/secrets", HTTP_GET, http_api_secrets },
	{ "/api/secrets", HTTP_PUT, http_api_secrets },
	{ "/api/secrets", HTTP_DELETE, http_api_secrets },
	{ "/api/pipelines/*", HTTP_GET, http_api_pipeline },
	{ "/api/pipelines/*/cancel", HTTP_POST, http_api_pipeline_action },
	{ "/api/pipelines/*/retry", HTTP_POST, http_api_pipeline_action },
	{ "/api/runners", HTTP_GET, api_get_runners },
	{ "/api/queue", HTTP_GET, api_get_queue },
	{ "/api/events", HTTP_GET, api_events },
	{ "/api/dispatch", HTTP_POST, api_dispatch },
	{ "/api/run", HTTP_POST, api_run },
	{ NULL, HTTP_GET, NULL }
};

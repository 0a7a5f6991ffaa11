/* SPDX-License-Identifier: MIT */
/*
 * api.c - the dispatcher's state as JSON objects, built once here for the
 * HTTP API, the event stream and the command-line client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api.h"
#include "dispatcher.h"
#include "sched.h"
#include "util.h"

/* Space-separated words as an array of strings. */
static json_t *
api_words(const char *words)
{
	json_t *list = api_check(json_array());
	const char *p = words, *end;

	while (p != NULL && *p != '\0') {
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		if (end > p)
			json_array_append_new(list, api_check(json_stringn(p,
			    (size_t)(end - p))));
		p = *end != '\0' ? end + 1 : end;
	}
	return list;
}

json_t *
api_job(const struct job *job)
{
	json_t *obj = api_check(json_object()), *tests, *params;

	api_set(obj, "id", json_integer(job->id));
	api_set(obj, "repo", api_string(job->repo));
	api_set(obj, "commit", api_string(job->commit));
	api_set(obj, "branch", api_string(job->branch));
	api_set(obj, "state", json_string(job_state_name(job->state)));
	api_set(obj, "attempt", json_integer(job->attempt));
	api_set(obj, "runner", api_string(job->runner));
	api_set(obj, "created_ms", json_integer(job->created_ms));
	api_set(obj, "started_ms", job->started_ms ?
	    json_integer(job->started_ms) : json_null());
	api_set(obj, "finished_ms", job->finished_ms ?
	    json_integer(job->finished_ms) : json_null());
	api_set(obj, "exit_code", api_known(job->exit_code));
	api_set(obj, "duration_ms", api_known(job->duration_ms));
	tests = api_check(json_object());
	api_set(tests, "run", api_known(job->tests.run));
	api_set(tests, "failed", api_known(job->tests.failed));
	api_set(tests, "skipped", api_known(job->tests.skipped));
	api_set(obj, "tests", tests);
	/* A pass of a command that reported 0 tests is not a normal pass. */
	api_set(obj, "no_tests", json_boolean(job->state == JOB_PASSED &&
	    job->tests.run == 0));
	api_set(obj, "reason", api_string(job->reason));
	api_set(obj, "subject", api_string(job->subject));
	api_set(obj, "author", api_string(job->author));
	api_set(obj, "retry_of", job->retry_of > 0 ?
	    json_integer(job->retry_of) : json_null());
	api_set(obj, "pipeline", json_integer(job->pipeline));
	api_set(obj, "pipeline_state",
	    json_string(job_state_name(job->pipeline_state)));
	api_set(obj, "name", api_string(job->name));
	api_set(obj, "labels", api_words(job->labels));
	api_set(obj, "allow_failure", json_boolean(job->allow_failure));
	api_set(obj, "flaky", json_boolean(job->flaky));
	api_set(obj, "fail_retries", json_integer(job->fail_retries));
	/* Sharding: a sharded job's count, a shard's job, place and estimate. */
	api_set(obj, "shards", json_integer(job->shards));
	api_set(obj, "shard_of", job->shard_of > 0 ?
	    json_integer(job->shard_of) : json_null());
	api_set(obj, "shard_index", job->shard_of > 0 ?
	    json_integer(job->shard_index) : json_null());
	api_set(obj, "expected_ms", job->shard_of > 0 ?
	    api_known(job->expected_ms) : json_null());
	/* A forge's pull request that its pipeline tests. */
	api_set(obj, "pull_request", job->pr_title != NULL ||
	    job->pr_url != NULL ? api_check(json_pack("{s:o, s:o}", "title",
	    api_string(job->pr_title), "url", api_string(job->pr_url))) :
	    json_null());
	/* Coalescing (docs/QUEUE.md): skipped for a newer push, a
	 * bisection's run. */
	api_set(obj, "superseded_by", api_string(job->superseded_by));
	api_set(obj, "bisection", job->bisection > 0 ?
	    json_integer(job->bisection) : json_null());
	/* What queued it, how soon, and a manual run's parameters. */
	api_set(obj, "trigger", api_string(job->trigger));
	api_set(obj, "priority", json_string(job_priority_name(job->priority)));
	params = job->params != NULL ? json_loads(job->params, 0, NULL) : NULL;
	if (params != NULL && !json_is_object(params)) {
		json_decref(params);
		params = NULL;
	}
	api_set(obj, "params", params != NULL ? params : json_null());
	return obj;
}

/* Append s percent-encoded for a URL path, '/' kept. */
static void
api_url_path(struct evbuffer *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/", c) != NULL)
			evbuffer_add(out, s, 1);
		else
			evbuffer_add_printf(out, "%%%c%c", hex[c >> 4],
			    hex[c & 15]);
	}
}

struct api_artifacts_ctx {
	json_t *list;
	const char *base;	/* the site's address, "" for none */
};

static int
api_artifact(const struct store_artifact *a, void *arg)
{
	struct api_artifacts_ctx *c = arg;
	struct evbuffer *url = evbuffer_new();
	json_t *obj = api_check(json_object());

	if (url == NULL)
		fatalx("libevent: out of memory");
	evbuffer_add_printf(url, "%s/jobs/%lld/artifacts/", c->base,
	    (long long)a->job);
	api_url_path(url, a->path);
	api_set(obj, "path", api_string(a->path));
	api_set(obj, "size", json_integer(a->size));
	api_set(obj, "sha256", json_string(a->sha256));
	api_set(obj, "url", json_stringn((const char *)evbuffer_pullup(url,
	    -1), evbuffer_get_length(url)));
	api_set(obj, "expires_at", a->expires > 0 ?
	    json_integer(a->expires) : json_null());
	json_array_append_new(c->list, obj);
	evbuffer_free(url);
	return 0;
}

json_t *
api_artifacts(struct dispatcher *d, int64_t job)
{
	struct api_artifacts_ctx c = { api_check(json_array()),
	    d->public_url != NULL ? d->public_url : "" };

	if (store_artifacts_of_job(d->store, job, api_artifact, &c) == -1) {
		json_decref(c.list);
		return json_null();
	}
	return c.list;
}

static int
api_append_job(const struct job *job, void *arg)
{
	json_array_append_new(arg, api_job(job));
	return 0;
}

json_t *
api_jobs(struct dispatcher *d, const struct job_filter *filter)
{
	json_t *list = api_check(json_array());

	if (store_list_jobs(d->store, filter, api_append_job, list) == -1) {
		json_decref(list);
		return NULL;
	}
	return list;
}

/* A pipeline being read: its jobs (plan order) and their ids. */
struct api_pipeline_ctx {
	json_t *jobs;
	int64_t *ids;
	size_t n, cap;
};

static int
api_pipeline_job(const struct job *job, void *arg)
{
	struct api_pipeline_ctx *p = arg;
	json_t *obj = api_job(job);

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->ids = xrealloc(p->ids, p->cap * sizeof *p->ids);
	}
	p->ids[p->n++] = job->id;
	api_set(obj, "needs", json_array());
	json_array_append_new(p->jobs, obj);
	return 0;
}

/*
 * The index of job id in p, or -1.  Its jobs come in plan order, which
 * is not id order (the planning job and shards are out of it).
 */
static long
api_pipeline_find(const struct api_pipeline_ctx *p, int64_t id)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ids[i] == id)
			return (long)i;
	return -1;
}

static void
api_pipeline_need(int64_t job, int64_t need, void *arg)
{
	struct api_pipeline_ctx *p = arg;
	long i = api_pipeline_find(p, job);

	if (i >= 0)
		json_array_append_new(json_object_get(json_array_get(p->jobs,
		    (size_t)i), "needs"), api_check(json_integer(need)));
}

int
api_pipeline(struct dispatcher *d, int64_t id, json_t **out)
{
	struct api_pipeline_ctx p = { api_check(json_array()), NULL, 0, 0 };
	struct pipeline pipeline;
	struct job first;
	json_t *obj;
	int rc;

	*out = NULL;
	if ((rc = store_pipeline_get(d->store, id, &pipeline)) != 1) {
		json_decref(p.jobs);
		return rc;
	}
	if ((rc = store_job_get(d->store, id, &first)) != 1 ||
	    store_pipeline_jobs(d->store, id, api_pipeline_job, &p) == -1 ||
	    store_pipeline_needs(d->store, id, api_pipeline_need, &p) == -1) {
		if (rc == 1)
			job_release(&first);
		pipeline_release(&pipeline);
		json_decref(p.jobs);
		free(p.ids);
		return -1;
	}
	obj = api_check(json_object());
	api_set(obj, "id", json_integer(pipeline.id));
	api_set(obj, "state", json_string(job_state_name(pipeline.state)));
	api_set(obj, "commit", api_string(first.commit));
	api_set(obj, "repo", api_string(first.repo));
	api_set(obj, "branch", api_string(first.branch));
	api_set(obj, "subject", api_string(first.subject));
	api_set(obj, "created_ms", json_integer(first.created_ms));
	api_set(obj, "finished_ms", pipeline.finished_ms > 0 &&
	    job_state_final(pipeline.state) ?
	    json_integer(pipeline.finished_ms) : json_null());
	api_set(obj, "planned", json_boolean(pipeline.plan != NULL));
	api_set(obj, "jobs", p.jobs);
	job_release(&first);
	pipeline_release(&pipeline);
	free(p.ids);
	*out = obj;
	return 1;
}

json_t *
api_runners(struct dispatcher *d)
{
	json_t *list = api_check(json_array());
	int64_t now = mono_ms();

	struct sched_runner *r;
	struct sched_assignment *a;

	TAILQ_FOREACH(r, &d->sched->runners, entry) {
		const struct peer *p = r->conn;
		json_t *obj, *jobs, *ahead, *labels;
		int waiting = 0;

		obj = api_check(json_object());
		jobs = api_check(json_array());
		ahead = api_check(json_array());
		LIST_FOREACH(a, &r->jobs, entry) {
			if (a->foreign)
				continue;
			/* Held for its next free slot: queued still. */
			if (sched_waits_ahead(a)) {
				waiting++;
				json_array_append_new(ahead,
				    json_integer(a->job));
			} else
				json_array_append_new(jobs,
				    json_integer(a->job));
		}
		labels = api_check(json_array());
		for (size_t i = 0; i < r->nlabels; i++)
			json_array_append_new(labels, api_string(r->labels[i]));
		api_set(obj, "name", api_string(r->name));
		api_set(obj, "address", api_string(r->addr));
		api_set(obj, "slots", json_integer(r->slots));
		api_set(obj, "busy", json_integer(r->busy - waiting));
		api_set(obj, "state", json_string(r->busy > 0 ? "busy" :
		    "idle"));
		api_set(obj, "jobs", jobs);
		api_set(obj, "ahead", ahead);
		api_set(obj, "labels", labels);
		api_set(obj, "last_heard_ms", json_integer(now -
		    p->last_heard_ms));
		json_array_append_new(list, obj);
	}
	return list;
}

json_t *
api_running(struct dispatcher *d)
{
	json_t *list = api_check(json_array());
	int64_t now = now_ms();
	struct job job;

	struct sched_runner *r;
	struct sched_assignment *a;

	TAILQ_FOREACH(r, &d->sched->runners, entry) {
		LIST_FOREACH(a, &r->jobs, entry) {
			json_t *obj;

			/* One held ahead is queued still (api_queue). */
			if (a->foreign || sched_waits_ahead(a) ||
			    store_job_get(d->store, a->job, &job) != 1)
				continue;
			obj = api_job(&job);
			api_set(obj, "elapsed_ms", json_integer(job.started_ms ?
			    now - job.started_ms : 0));
			json_array_append_new(list, obj);
			job_release(&job);
		}
	}
	return list;
}

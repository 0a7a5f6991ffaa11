/* SPDX-License-Identifier: MIT */
/*
 * api_status.c - the dispatcher's status as JSON (for /api/status, the
 * dashboard and `ssci status`): the queue in the order it will be handed
 * out, each job with why it waits; each branch's head with what its
 * latest bisection found; the disks' room.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "diskuse.h"
#include "dispatcher.h"
#include "retention.h"
#include "sched.h"
#include "util.h"

/* The repositories whose jobs are ahead in the queue, and how many. */
#define API_AHEAD_SHOWN 3

struct api_ahead {
	char *repo;
	int jobs;
};

struct api_queue_ctx {
	struct dispatcher *d;
	char why[600];
	json_t *list;
	int position;
	int free_slots;
	int runners;
	/* Jobs ahead that a runner could take, by repository. */
	struct api_ahead *ahead;
	size_t nahead;
	int ahead_total;
};

/* Whether a connected runner has every label the job asks for. */
static int
api_some_runner_takes(struct dispatcher *d, const struct job *job)
{
	struct sched_runner *r;

	TAILQ_FOREACH(r, &d->sched->runners, entry) {
		if (sched_runner_takes(r, job->labels))
			return 1;
	}
	return 0;
}

static void
api_ahead_add(struct api_queue_ctx *q, const char *repo)
{
	size_t i;

	q->ahead_total++;
	for (i = 0; i < q->nahead; i++)
		if (strcmp(q->ahead[i].repo, repo) == 0)
			break;
	if (i == q->nahead) {
		q->ahead = xrealloc(q->ahead, (q->nahead + 1) *
		    sizeof *q->ahead);
		q->ahead[q->nahead].repo = xstrdup(repo);
		q->ahead[q->nahead++].jobs = 0;
	}
	q->ahead[i].jobs++;
}

/*
 * "behind 3 jobs of X, 1 of Y": the jobs ahead in the order they will be
 * handed out, by repository (most first), or "all runners busy".
 */
static const char *
api_waiting_behind(struct api_queue_ctx *q)
{
	size_t n = 0, shown = 0;
	int rest = q->ahead_total;

	if (q->ahead_total == 0)
		return "all runners busy";
	n = (size_t)snprintf(q->why, sizeof q->why, "behind");
	while (shown < API_AHEAD_SHOWN && shown < q->nahead) {
		size_t best = 0;

		for (size_t i = 1; i < q->nahead; i++)
			if (q->ahead[i].jobs > q->ahead[best].jobs)
				best = i;
		if (q->ahead[best].jobs == 0)
			break;
		if (n < sizeof q->why && shown == 0)
			n += (size_t)snprintf(q->why + n, sizeof q->why - n,
			    " %d job%s of %.150s", q->ahead[best].jobs,
			    q->ahead[best].jobs == 1 ? "" : "s",
			    q->ahead[best].repo);
		else if (n < sizeof q->why)
			n += (size_t)snprintf(q->why + n, sizeof q->why - n,
			    ", %d of %.150s", q->ahead[best].jobs,
			    q->ahead[best].repo);
		rest -= q->ahead[best].jobs;
		q->ahead[best].jobs = -q->ahead[best].jobs;
		shown++;
	}
	if (rest > 0 && n < sizeof q->why)
		snprintf(q->why + n, sizeof q->why - n, ", %d of others", rest);
	for (size_t i = 0; i < q->nahead; i++)
		if (q->ahead[i].jobs < 0)
			q->ahead[i].jobs = -q->ahead[i].jobs;
	return q->why;
}

static int
api_append_queued(const struct job *job, void *arg)
{
	struct api_queue_ctx *q = arg;
	json_t *obj = api_job(job);
	struct sched_assignment *held;
	const char *why;
	int takeable = 0;

	q->position++;
	if ((held = sched_ahead_held(q->d->sched, job->id)) != NULL) {
		snprintf(q->why, sizeof q->why, "handed ahead to runner "
		    "'%.150s', for its next free slot", held->runner->name);
		why = q->why;
	} else if (job->needs_pending > 0) {
		snprintf(q->why, sizeof q->why, "waiting for %d job%s it needs",
		    job->needs_pending, job->needs_pending == 1 ? "" : "s");
		why = q->why;
	} else if (q->runners == 0)
		why = "no runner connected";
	else if (!api_some_runner_takes(q->d, job)) {
		snprintf(q->why, sizeof q->why, "no runner with labels [%s]",
		    job->labels);
		why = q->why;
	} else if (q->ahead_total < q->free_slots) {
		why = "next";
		takeable = 1;
	} else {
		why = api_waiting_behind(q);
		takeable = 1;
	}
	if (takeable)
		api_ahead_add(q, job->repo);
	api_set(obj, "position", json_integer(q->position));
	api_set(obj, "waiting", json_string(why));
	json_array_append_new(q->list, obj);
	return 0;
}

json_t *
api_queue(struct dispatcher *d, int limit)
{
	struct api_queue_ctx q = {
		.d = d, .list = api_check(json_array()),
		.free_slots = d->sched->free_slots, .runners = d->sched->nrunners,
	};

	store_list_queue(d->store, limit, api_append_queued, &q);
	for (size_t i = 0; i < q.nahead; i++)
		free(q.ahead[i].repo);
	free(q.ahead);
	return q.list;
}

/*
 * What a bisection found or why it stopped, or is doing.  A branch shows
 * its latest while it is running or the branch has not passed since.
 */
json_t *
api_bisection(const struct bisection *b)
{
	json_t *obj = api_check(json_object());

	api_set(obj, "id", json_integer(b->id));
	api_set(obj, "state", json_string(b->state));
	api_set(obj, "good", json_integer(b->good));
	api_set(obj, "bad", json_integer(b->bad));
	api_set(obj, "runs", json_integer(b->runs));
	api_set(obj, "culprit", b->culprit > 0 ? api_check(json_pack(
	    "{s:I, s:o, s:o, s:o}", "pipeline", (json_int_t)b->culprit,
	    "commit", api_string(b->culprit_commit), "subject",
	    api_string(b->culprit_subject), "author",
	    api_string(b->culprit_author))) : json_null());
	api_set(obj, "note", api_string(b->note));
	api_set(obj, "created_ms", json_integer(b->created_ms));
	api_set(obj, "finished_ms", b->finished_ms > 0 ?
	    json_integer(b->finished_ms) : json_null());
	return obj;
}

static int
api_append_head(const struct job *job, void *arg)
{
	struct dispatcher *d = ((void **)arg)[0];
	json_t *list = ((void **)arg)[1], *obj = api_job(job), *found = NULL;
	struct bisection b;

	if (job->branch != NULL &&
	    store_bisect_latest(d->store, job->repo, job->branch, &b) == 1) {
		/* Once the branch passes again, what broke it is history. */
		if (strcmp(b.state, "running") == 0 ||
		    job->pipeline_state != JOB_PASSED)
			found = api_bisection(&b);
		bisection_release(&b);
	}
	api_set(obj, "bisection", found != NULL ? found : json_null());
	json_array_append_new(list, obj);
	return 0;
}

json_t *
api_heads(struct dispatcher *d)
{
	json_t *list = api_check(json_array());
	void *arg[2] = { d, list };

	store_list_heads(d->store, api_append_head, arg);
	return list;
}

/* The state and results folders' room, and why dispatches are refused. */
static json_t *
api_disk(struct dispatcher *d)
{
	static const char *const names[DISKUSE_DIRS] = { "state", "results" };
	json_t *obj = api_check(json_object());
	const char *refusing = diskuse_refusing(d->diskuse);
	struct diskuse_figures f;

	for (int i = 0; i < DISKUSE_DIRS; i++) {
		diskuse_get(d->diskuse, (enum diskuse_dir)i, &f);
		/* A path that is not UTF-8 is shown as null. */
		api_set(obj, names[i], json_pack("{s:o?, s:o, s:I, s:I, s:I}",
		    "path", json_string(f.path), "used", f.used >= 0 ?
		    json_integer(f.used) : json_null(), "free",
		    (json_int_t)f.free, "size", (json_int_t)f.size, "min_free",
		    (json_int_t)f.min_free));
	}
	api_set(obj, "refusing", refusing != NULL ? json_string(refusing) :
	    json_null());
	api_set(obj, "pruned_jobs", json_integer(retention_removed(
	    d->retention)));
	return obj;
}

json_t *
api_status(struct dispatcher *d)
{
	struct job_filter recent = { .limit = API_RECENT_JOBS };
	json_t *obj = api_check(json_object()), *jobs;

	api_set(obj, "uptime_ms", json_integer(now_ms() - d->started_ms));
	api_set(obj, "queued", json_integer(store_count_state(d->store,
	    JOB_QUEUED)));
	api_set(obj, "runners", api_runners(d));
	api_set(obj, "running", api_running(d));
	api_set(obj, "queue", api_queue(d, 50));
	jobs = api_jobs(d, &recent);
	api_set(obj, "recent", jobs != NULL ? jobs : json_array());
	api_set(obj, "heads", api_heads(d));
	api_set(obj, "disk", api_disk(d));
	return obj;
}

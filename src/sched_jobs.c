/* SPDX-License-Identifier: MIT */
/*
 * sched_jobs.c - what clients ask of the queue (sched.h): queue a job,
 * cancel one (with the rest of its pipeline), retry one (its pipeline); the repositories a dispatcher refuses; and,
 * once a heartbeat, the check for running jobs that no runner holds.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "sched.h"
#include "store.h"
#include "util.h"

int
sched_repo_refused(const struct sched *s, const char *repo, char *why,
    size_t size)
{
	switch (repo_url_kind(repo)) {
	case REPO_URL_REFUSED:
		snprintf(why, size, "repository URL '%.200s' refused: git would "
		    "hand it to a remote helper", repo);
		return 1;
	case REPO_URL_LOCAL:
		if (s->cfg.local_repos)
			return 0;
		snprintf(why, size, "repository '%.200s' is a local path: this "
		    "dispatcher takes only remote URLs (start it with "
		    "--local-repos to allow paths and file://)", repo);
		return 1;
	}
	return 0;
}

void
sched_set_refusal(struct sched *s, const char *why)
{
	free(s->refusal);
	s->refusal = why != NULL ? xstrdup(why) : NULL;
}

void
sched_set_config(struct sched *s, const struct sched_config *cfg)
{
	s->cfg = *cfg;
}

const char *
sched_refusal(const struct sched *s)
{
	return s->refusal;
}

/* A pipeline superseded by a newer push ended skipped: tell its watchers. */
static void
sched_superseded(int64_t pipeline, void *arg)
{
	struct sched *s = arg;

	results_write(s->results, pipeline);
	/* Its first job, the pipeline's id, may be held ahead: dropped. */
	sched_ahead_drop(s, pipeline);
	sched_watch_job(s, pipeline, "finished");
}

/* What queues a push: coalescing applies to these only. */
static int
sched_trigger_push(const char *trigger)
{
	return trigger == NULL || strcmp(trigger, "hook") == 0 ||
	    strcmp(trigger, "observer") == 0 ||
	    strcmp(trigger, "webhook") == 0 || strcmp(trigger, "api") == 0;
}

/* The priority of a dispatch on branch that did not ask for one. */
static int
sched_branch_priority(const struct sched *s, const char *branch)
{
	for (size_t i = 0; branch != NULL && i < s->cfg.npriorities; i++)
		if (fnmatch(s->cfg.priorities[i].glob, branch, 0) == 0)
			return s->cfg.priorities[i].priority;
	/* Pull requests wait for the branches they would merge into. */
	if (branch != NULL && strncmp(branch, "pr/", 3) == 0)
		return JOB_PRIORITY_LOW;
	return JOB_PRIORITY_NORMAL;
}

/* Whether pushes on branch coalesce (--coalesce). */
static int
sched_branch_coalesces(const struct sched *s, const char *branch)
{
	for (size_t i = 0; branch != NULL && i < s->cfg.ncoalesce; i++)
		if (fnmatch(s->cfg.coalesce[i], branch, 0) == 0)
			return 1;
	return 0;
}

int
sched_queue_job(struct sched *s, const struct job_request *asked,
    int64_t *id, enum job_state *state, int *existing)
{
	struct job_request request = *asked;
	int rc, n;

	if (s->refusal != NULL)
		return -3;
	if (!request.priority_set)
		request.priority = sched_branch_priority(s, request.branch);
	request.coalesce = !request.rebuild && request.bisection == 0 &&
	    sched_trigger_push(request.trigger) &&
	    sched_branch_coalesces(s, request.branch);
	/* A burst of pushes is coalesced before its first one starts. */
	if (request.coalesce && s->cfg.coalesce_wait_ms > 0)
		request.hold_until_ms = now_ms() + s->cfg.coalesce_wait_ms;
	rc = store_dispatch(s->store, &request, id, state, existing);
	if (rc == -2)
		log_warnx("refused a dispatch for %s: its queue is full",
		    request.repo);
	if (rc < 0)
		return rc;
	if (!*existing) {
		log_info("job %lld queued: %s %s", (long long)*id,
		    request.repo, request.commit);
		sched_watch_job(s, *id, "queued");
	}
	/*
	 * Its superseding is a transaction of its own: if it fails the
	 * older pushes are tested, which loses nothing.
	 */
	if (!*existing && request.hold_until_ms > s->held_until)
		s->held_until = request.hold_until_ms;
	if (!*existing && request.coalesce &&
	    (n = store_supersede(s->store, *id, request.commit,
	    sched_superseded, s)) > 0)
		log_info("job %lld (%s) superseded %d queued pushes of %s",
		    (long long)*id, request.commit, n, request.branch);
	sched_run(s);
	return 0;
}

/* A queued job ends now, cancelled by reason's who. */
static void
sched_cancel_queued(struct sched *s, int64_t id, const char *reason,
    enum job_state *state)
{
	struct job_result r = {
		.job = id, .state = JOB_CANCELLED, .exit_code = -1,
		.duration_ms = -1, .tests = { -1, -1, -1 }, .message = reason,
	};
	char note[340];

	if (store_job_finish(s->store, &r) == 0) {
		/* Not for a job its pipeline's cancel has skipped already. */
		snprintf(note, sizeof note, "ssci: %s before it started\n",
		    reason);
		joblog_note(s->logs, id, note);
		results_write(s->results, id);
		*state = JOB_CANCELLED;
		sched_ahead_drop(s, id);
		log_info("job %lld %s before it started", (long long)id, reason);
		sched_watch_job(s, id, "finished");
	}
}

/* The ids and states of a pipeline's jobs, read before any changes. */
struct sched_members {
	int64_t *ids;
	enum job_state *states;
	int *sharded;
	size_t n;
};

static int
sched_member_add(const struct job *job, void *arg)
{
	struct sched_members *m = arg;

	m->ids = xrealloc(m->ids, (m->n + 1) * sizeof *m->ids);
	m->states = xrealloc(m->states, (m->n + 1) * sizeof *m->states);
	m->sharded = xrealloc(m->sharded, (m->n + 1) * sizeof *m->sharded);
	m->sharded[m->n] = job->shards > 0;
	m->ids[m->n] = job->id;
	m->states[m->n++] = job->state;
	return 0;
}

/* Cancel one job of a pipeline, queued or running. */
static void
sched_cancel_one(struct sched *s, int64_t id, enum job_state was,
    const char *who, const char *reason, enum job_state *state)
{
	struct sched_assignment *a;

	if (was == JOB_QUEUED) {
		sched_cancel_queued(s, id, reason, state);
		return;
	}
	if ((a = sched_holder(s, id)) != NULL) {
		/* Said in the log and the reason when it has stopped. */
		free(a->cancelled_by);
		a->cancelled_by = xstrdup(who);
		s->ops->send_cancel(a->runner->conn, id);
	}
	log_info("job %lld: asked runner '%s' to cancel it (%s)",
	    (long long)id, a != NULL ? a->runner->name : "?", reason);
}

int
sched_cancel_job(struct sched *s, int64_t id, const char *who,
    enum job_state *state)
{
	struct sched_members m = { NULL, NULL, NULL, 0 };
	char reason[300];
	struct job job;
	int rc = 2;

	if (store_job_get(s->store, id, &job) != 1)
		return 1;
	*state = job.state;
	snprintf(reason, sizeof reason, "cancelled by %s", who);
	/* A job stands for its pipeline: every job not over is cancelled. */
	store_pipeline_jobs(s->store, job.pipeline, sched_member_add, &m);
	for (size_t i = 0; i < m.n; i++) {
		enum job_state after = m.states[i];

		if (job_state_final(m.states[i]))
			continue;
		rc = 0;
		/* A sharded job ends with its shards. */
		if (m.sharded[i])
			continue;
		sched_cancel_one(s, m.ids[i], m.states[i], who, reason, &after);
		if (m.ids[i] == id)
			*state = after;
	}
	free(m.ids);
	free(m.states);
	free(m.sharded);
	/* A sharded job's state followed its shards': read it again. */
	if (job.shards > 0 && rc == 0) {
		job_release(&job);
		if (store_job_get(s->store, id, &job) != 1)
			return rc;
		*state = job.state;
	}
	job_release(&job);
	return rc;
}

int
sched_retry_job(struct sched *s, int64_t id, int64_t *new_id)
{
	struct job_request request;
	struct pipeline pipeline;
	enum job_state state;
	struct job job;
	char trigger[40];
	int existing, rc;

	if (s->refusal != NULL)
		return -3;
	if (store_job_get(s->store, id, &job) != 1)
		return 1;
	if (store_pipeline_get(s->store, job.pipeline, &pipeline) != 1) {
		job_release(&job);
		return -1;
	}
	if (!job_state_final(pipeline.state)) {
		pipeline_release(&pipeline);
		job_release(&job);
		return 2;
	}
	if (pipeline.plan != NULL) {
		rc = sched_retry_planned(s, &job, &pipeline, new_id);
		pipeline_release(&pipeline);
		job_release(&job);
		return rc;
	}
	pipeline_release(&pipeline);
	snprintf(trigger, sizeof trigger, "retry of #%lld", (long long)id);
	/* Someone is waiting for a retry: it goes first. */
	request = (struct job_request){
		.repo = job.repo, .commit = job.commit, .branch = job.branch,
		.subject = job.subject, .author = job.author, .rebuild = 1,
		.retry_of = id, .pr_title = job.pr_title, .pr_url = job.pr_url,
		.priority = JOB_PRIORITY_HIGH, .priority_set = 1,
		.trigger = trigger, .params = job.params,
	};
	rc = sched_queue_job(s, &request, new_id, &state, &existing);
	job_release(&job);
	return rc;
}

/*
 * Jobs the store says are running that no runner holds: a requeue that
 * failed while the disk was full left them so.  Seen twice in a row, a
 * job goes back to the queue; the second look rules out a job caught
 * between two steps.
 */
static void
sched_requeue_orphans(struct sched *s)
{
	int64_t *ids = NULL;
	size_t n = 0, kept = 0;

	if (store_running_ids(s->store, &ids, &n) == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		int seen = 0;

		if (sched_holder(s, ids[i]) != NULL)
			continue;
		for (size_t k = 0; k < s->norphans; k++)
			seen |= s->orphans[k] == ids[i];
		if (!seen) {
			ids[kept++] = ids[i];
			continue;
		}
		if (store_job_requeue(s->store, ids[i], "no runner held it "
		    "(the store failed while it ran)") == 0) {
			log_info("job %lld back in the queue: no runner held it",
			    (long long)ids[i]);
			sched_watch_job(s, ids[i], "queued");
		}
	}
	free(s->orphans);
	s->orphans = ids;
	s->norphans = kept;
}

void
sched_housekeeping(struct sched *s)
{
	/*
	 * A hand-out refused by a failing store stops the queue until the
	 * next event; this is that event, once a heartbeat.
	 */
	sched_run(s);
	if (++s->housekeeping % SCHED_ORPHAN_EVERY == 0)
		sched_requeue_orphans(s);
}

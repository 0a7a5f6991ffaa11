/* SPDX-License-Identifier: MIT */
/*
 * sched_plan.c - pipelines in the scheduler (sched.h): the plan a runner
 * found in a commit's .ssci.yml made into queued jobs, the runner going
 * on with one of them; and a retry that re-runs only what did not pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "joblog.h"
#include "plan.h"
#include "results.h"
#include "sched.h"
#include "store.h"
#include "util.h"

/* A plan as the store keeps it, with the strings it borrows. */
struct sched_plan_rows {
	struct job_plan plan;
	struct job_plan_entry *entries;
	char **specs;
	char **labels;
};

static void
sched_plan_rows(struct sched_plan_rows *rows, const struct plan *plan,
    const char *text)
{
	rows->entries = xcalloc(plan->njobs, sizeof *rows->entries);
	rows->specs = xcalloc(plan->njobs, sizeof *rows->specs);
	rows->labels = xcalloc(plan->njobs, sizeof *rows->labels);
	for (size_t i = 0; i < plan->njobs; i++) {
		const struct plan_job *pj = &plan->jobs[i];
		struct job_plan_entry *e = &rows->entries[i];

		rows->specs[i] = plan_spec_encode(&pj->spec);
		rows->labels[i] = plan_labels_join(pj->labels, pj->nlabels);
		e->name = pj->name;
		e->spec = rows->specs[i];
		e->labels = rows->labels[i][0] != '\0' ? rows->labels[i] : NULL;
		e->allow_failure = pj->allow_failure;
		e->needs = pj->needs;
		e->nneeds = pj->nneeds;
		e->shards = pj->shard_of == 0 ? pj->shard_total : 0;
		e->shard_of = pj->shard_of;
		e->shard_index = pj->shard_index;
		e->expected_ms = pj->expected_ms;
	}
	rows->plan = (struct job_plan){ .text = text, .jobs = rows->entries,
	    .njobs = plan->njobs };
}

static void
sched_plan_rows_free(struct sched_plan_rows *rows)
{
	for (size_t i = 0; i < rows->plan.njobs; i++) {
		free(rows->specs[i]);
		free(rows->labels[i]);
	}
	free(rows->specs);
	free(rows->labels);
	free(rows->entries);
}

/*
 * The job the planning runner goes on with: the first that needs nothing
 * and whose labels it has; else the first that needs nothing (it goes
 * back to the queue).
 */
static size_t
sched_plan_first(const struct sched_plan_rows *rows,
    const struct sched_runner *r)
{
	size_t any = rows->plan.njobs;

	for (size_t i = 0; i < rows->plan.njobs; i++) {
		const struct job_plan_entry *e = &rows->entries[i];

		/* A sharded job is never run: one of its shards is. */
		if (e->nneeds != 0 || e->shards > 0)
			continue;
		if (sched_runner_takes(r, e->labels))
			return i;
		if (any == rows->plan.njobs)
			any = i;
	}
	return any;
}

/* The planned job goes on on its runner, or back to the queue. */
static void
sched_plan_go_on(struct sched *s, struct sched_assignment *a, int64_t id)
{
	char note[300];
	struct job job;

	if (store_job_get(s->store, id, &job) != 1) {
		s->ops->answer(a->runner->conn, "store", "unable to read the "
		    "planned job");
		return;
	}
	if (sched_runner_takes(a->runner, job.labels)) {
		snprintf(note, sizeof note, "ssci: this job is '%s' of the "
		    "pipeline\n", job.name);
		joblog_append(s->logs, &a->log, note, strlen(note));
		sched_send_job(s, a->runner, &job, a->attempt);
		s->ops->answer(a->runner->conn, NULL, NULL);
	} else {
		snprintf(note, sizeof note, "planned; '%s' waits for a runner "
		    "with labels [%s]", job.name, job.labels);
		if (store_job_hand_back(s->store, id, note) == 0) {
			s->ops->answer(a->runner->conn, NULL, NULL);
			sched_unassign(s, a);
		} else
			s->ops->answer(a->runner->conn, "store", "unable to "
			    "queue the planned job");
	}
	job_release(&job);
}

void
sched_plan(struct sched *s, struct sched_runner *r, int64_t id,
    const char *text, size_t len)
{
	struct sched_assignment *a = sched_find(r, id);
	struct sched_plan_rows rows;
	char err[600], note[700], split[2048];
	struct plan plan;
	struct job job;
	int64_t *ids;
	int rc;

	if (!sched_runs_it(a)) {
		snprintf(err, sizeof err, "job %lld is not held by '%s'",
		    (long long)id, r->name);
		s->ops->answer(r->conn, "not_yours", err);
		return;
	}
	if (a->cancelled_by != NULL) {
		/* Its pipeline is being cancelled: plan nothing more. */
		s->ops->answer(r->conn, "bad_state", "the job is being "
		    "cancelled");
		return;
	}
	/* The runner read .ssci.yml; what it made of it is checked here. */
	if (plan_decode(text, len, &plan, err, sizeof err) == -1) {
		log_warnx("job %lld (%s): runner '%s' sent a bad plan: %s",
		    (long long)id, a->commit, r->name, err);
		s->ops->answer(r->conn, "bad_plan", err);
		return;
	}
	if (store_job_get(s->store, id, &job) != 1) {
		plan_release(&plan);
		s->ops->answer(r->conn, "store", "unable to read the job");
		return;
	}
	rc = sched_shard_plan(s, r, &job, &plan, split, sizeof split, err,
	    sizeof err);
	job_release(&job);
	if (rc == -1) {
		log_warnx("job %lld (%s): unable to shard: %s", (long long)id,
		    a->commit, err);
		plan_release(&plan);
		s->ops->answer(r->conn, "bad_plan", err);
		return;
	}
	sched_plan_rows(&rows, &plan, text);
	rows.plan.first = sched_plan_first(&rows, r);
	ids = xcalloc(plan.njobs, sizeof *ids);
	rc = store_pipeline_plan(s->store, id, &rows.plan, ids);
	if (rc == 0) {
		log_info("job %lld (%s): %zu jobs planned from %s",
		    (long long)id, a->commit, plan.njobs, PLAN_FILE);
		snprintf(note, sizeof note, "ssci: %zu jobs planned from %s\n",
		    plan.njobs, PLAN_FILE);
		joblog_append(s->logs, &a->log, note, strlen(note));
		joblog_append(s->logs, &a->log, split, strlen(split));
		for (size_t i = 0; i < plan.njobs; i++) {
			if (ids[i] != id)
				sched_watch_job(s, ids[i], "queued");
		}
		sched_plan_go_on(s, a, id);
		sched_run(s);
	} else if (rc == 1)
		s->ops->answer(r->conn, "bad_state", "the job has a plan "
		    "already");
	else
		s->ops->answer(r->conn, "store", "unable to keep the plan");
	free(ids);
	sched_plan_rows_free(&rows);
	plan_release(&plan);
}

/* Jobs of the pipeline being retried, to find what passed by name. */
struct sched_retry_jobs {
	struct job *jobs;
	size_t n;
};

static int
sched_retry_add(const struct job *job, void *arg)
{
	struct sched_retry_jobs *old = arg;

	old->jobs = xrealloc(old->jobs, (old->n + 1) * sizeof *old->jobs);
	job_copy(&old->jobs[old->n++], job);
	return 0;
}

/* Keep each job that passed in old; 1 if some job is left to run. */
static int
sched_retry_carry(struct sched_plan_rows *rows,
    const struct sched_retry_jobs *old)
{
	size_t rerun = 0;

	for (size_t i = 0; i < rows->plan.njobs; i++) {
		struct job_plan_entry *e = &rows->entries[i];

		/* A sharded job runs again whole, split anew. */
		for (size_t k = 0; k < old->n && e->shards == 0 &&
		    e->shard_of == 0; k++) {
			if (old->jobs[k].name != NULL &&
			    old->jobs[k].shards == 0 &&
			    old->jobs[k].shard_of == 0 &&
			    strcmp(old->jobs[k].name, e->name) == 0 &&
			    old->jobs[k].state == JOB_PASSED)
				e->carried = old->jobs[k].id;
		}
		/* The first is a job that runs: not a sharded one. */
		if (e->carried == 0 && e->shards == 0 && rerun++ == 0)
			rows->plan.first = i;
	}
	if (rerun > 0)
		return 1;
	/* Everything passed: a retry runs it all again. */
	for (size_t i = 0; i < rows->plan.njobs; i++)
		rows->entries[i].carried = 0;
	rows->plan.first = 0;
	while (rows->entries[rows->plan.first].shards > 0)
		rows->plan.first++;
	return 0;
}

int
sched_retry_planned(struct sched *s, const struct job *job,
    const struct pipeline *pipeline, int64_t *new_id)
{
	struct sched_retry_jobs old = { NULL, 0 };
	struct sched_plan_rows rows;
	struct job_request request;
	enum job_state state;
	char err[600], split[2048], trigger[40];
	struct plan plan;
	int existing, rc;

	if (plan_decode(pipeline->plan, strlen(pipeline->plan), &plan, err,
	    sizeof err) == -1) {
		log_warnx("pipeline %lld: its plan no longer reads: %s",
		    (long long)pipeline->id, err);
		return -1;
	}
	if (sched_shard_plan(s, NULL, job, &plan, split, sizeof split, err,
	    sizeof err) == -1) {
		log_warnx("pipeline %lld: unable to shard: %s",
		    (long long)pipeline->id, err);
		plan_release(&plan);
		return -1;
	}
	store_pipeline_jobs(s->store, pipeline->id, sched_retry_add, &old);
	sched_plan_rows(&rows, &plan, pipeline->plan);
	sched_retry_carry(&rows, &old);
	request = (struct job_request){
		.repo = job->repo, .commit = job->commit, .branch = job->branch,
		.subject = job->subject, .author = job->author, .rebuild = 1,
		.retry_of = pipeline->id, .plan = &rows.plan,
		.pr_title = job->pr_title, .pr_url = job->pr_url,
		.priority = JOB_PRIORITY_HIGH, .priority_set = 1,
		.trigger = trigger, .params = job->params,
	};
	snprintf(trigger, sizeof trigger, "retry of #%lld",
	    (long long)pipeline->id);
	rc = store_dispatch(s->store, &request, new_id, &state, &existing);
	if (rc == 0) {
		struct sched_retry_jobs now = { NULL, 0 };

		/* What the split did, in the log of the retry's first job. */
		if (split[0] != '\0')
			joblog_note(s->logs, *new_id, split);
		store_pipeline_jobs(s->store, *new_id, sched_retry_add, &now);
		for (size_t i = 0; i < now.n; i++) {
			if (now.jobs[i].state == JOB_PASSED)
				joblog_share(s->logs, now.jobs[i].retry_of,
				    now.jobs[i].id);
			else
				sched_watch_job(s, now.jobs[i].id, "queued");
			job_release(&now.jobs[i]);
		}
		free(now.jobs);
		log_info("pipeline %lld queued again as %lld", (long long)
		    pipeline->id, (long long)*new_id);
		sched_run(s);
	}
	for (size_t i = 0; i < old.n; i++)
		job_release(&old.jobs[i]);
	free(old.jobs);
	sched_plan_rows_free(&rows);
	plan_release(&plan);
	return rc;
}

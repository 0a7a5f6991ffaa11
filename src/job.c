/* SPDX-License-Identifier: MIT */
/*
 * job.c - the job model: state names and releasing a job.
 */
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "util.h"

static const char *const job_state_names[] = {
	[JOB_QUEUED] = "queued",
	[JOB_RUNNING] = "running",
	[JOB_PASSED] = "passed",
	[JOB_FAILED] = "failed",
	[JOB_ERROR] = "error",
	[JOB_TIMEOUT] = "timeout",
	[JOB_CANCELLED] = "cancelled",
	[JOB_SKIPPED] = "skipped",
};

#define JOB_STATE_COUNT (sizeof job_state_names / sizeof job_state_names[0])

const char *
job_state_name(enum job_state state)
{
	if ((unsigned)state >= JOB_STATE_COUNT)
		return "unknown";
	return job_state_names[state];
}

int
job_state_parse(const char *name, enum job_state *out)
{
	for (unsigned i = 0; i < JOB_STATE_COUNT; i++) {
		if (strcmp(name, job_state_names[i]) == 0) {
			*out = (enum job_state)i;
			return 0;
		}
	}
	return -1;
}

const char *
job_priority_name(int priority)
{
	return priority > 0 ? "high" : priority < 0 ? "low" : "normal";
}

int
job_priority_parse(const char *name, int *out)
{
	if (strcmp(name, "high") == 0)
		*out = JOB_PRIORITY_HIGH;
	else if (strcmp(name, "normal") == 0)
		*out = JOB_PRIORITY_NORMAL;
	else if (strcmp(name, "low") == 0)
		*out = JOB_PRIORITY_LOW;
	else
		return -1;
	return 0;
}

int
job_state_final(enum job_state state)
{
	return state != JOB_QUEUED && state != JOB_RUNNING &&
	    (unsigned)state < JOB_STATE_COUNT;
}

void
job_release(struct job *job)
{
	free(job->repo);
	free(job->branch);
	free(job->runner);
	free(job->reason);
	free(job->subject);
	free(job->author);
	free(job->name);
	free(job->spec);
	free(job->labels);
	free(job->pr_title);
	free(job->pr_url);
	free(job->trigger);
	free(job->params);
	free(job->superseded_by);
	memset(job, 0, sizeof *job);
}

void
test_run_release(struct test_run *run)
{
	free(run->name);
	free(run->suite);
	free(run->file);
	free(run->message);
	free(run->branch);
	free(run->job_name);
	memset(run, 0, sizeof *run);
}

void
flaky_test_release(struct flaky_test *f)
{
	free(f->repo);
	free(f->name);
	free(f->last_branch);
	memset(f, 0, sizeof *f);
}

static char *
job_strdup(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

void
bisection_release(struct bisection *b)
{
	free(b->repo);
	free(b->branch);
	free(b->state);
	free(b->culprit_subject);
	free(b->culprit_author);
	free(b->note);
	memset(b, 0, sizeof *b);
}

void
job_copy(struct job *dst, const struct job *src)
{
	*dst = *src;
	dst->repo = job_strdup(src->repo);
	dst->branch = job_strdup(src->branch);
	dst->runner = job_strdup(src->runner);
	dst->reason = job_strdup(src->reason);
	dst->subject = job_strdup(src->subject);
	dst->author = job_strdup(src->author);
	dst->name = job_strdup(src->name);
	dst->spec = job_strdup(src->spec);
	dst->labels = job_strdup(src->labels);
	dst->pr_title = job_strdup(src->pr_title);
	dst->pr_url = job_strdup(src->pr_url);
	dst->trigger = job_strdup(src->trigger);
	dst->params = job_strdup(src->params);
	dst->superseded_by = job_strdup(src->superseded_by);
}

void
pipeline_release(struct pipeline *pipeline)
{
	free(pipeline->plan);
	memset(pipeline, 0, sizeof *pipeline);
}

/* How bad a required job's ending is for its pipeline. */
static int
job_badness(enum job_state state)
{
	switch (state) {
	case JOB_CANCELLED:
		return 4;
	case JOB_ERROR:
		return 3;
	case JOB_TIMEOUT:
		return 2;
	case JOB_FAILED:
	case JOB_SKIPPED:
		return 1;
	default:
		return 0;
	}
}

enum job_state
job_pipeline_state(const enum job_state *states, const int *allow_failure,
    size_t n)
{
	enum job_state worst = JOB_PASSED;
	int pending = 0, started = 0;

	for (size_t i = 0; i < n; i++) {
		if (!job_state_final(states[i])) {
			pending = 1;
			started |= states[i] == JOB_RUNNING;
			continue;
		}
		started = 1;
		if (allow_failure[i])
			continue;
		if (job_badness(states[i]) > job_badness(worst))
			worst = states[i] == JOB_SKIPPED ? JOB_FAILED :
			    states[i];
	}
	if (pending)
		return started ? JOB_RUNNING : JOB_QUEUED;
	return worst;
}

char *
job_tests_name(const struct job *job)
{
	const char *cut;

	if (job->name == NULL)
		return NULL;
	if (job->shard_of > 0 && (cut = strrchr(job->name, '[')) != NULL)
		return xstrndup(job->name, (size_t)(cut - job->name));
	return xstrdup(job->name);
}

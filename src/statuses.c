/* SPDX-License-Identifier: MIT */
/*
 * statuses.c - commit statuses for forges: the pipeline's verdict in
 * context "ssci" (pending when queued, running, then final) and, once a
 * pipeline has several jobs, each planned job's in "ssci/NAME", put in the
 * outbox in each forge's own format (GitHub's and Gitea's statuses API,
 * GitLab's commit status API).  A state is told once: what was told of a
 * job is remembered (bounded, idmap.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "forge.h"
#include "idmap.h"
#include "outbox.h"
#include "statuses.h"
#include "store.h"
#include "util.h"

/* What a forge shows of a description: GitHub cuts at 140 characters. */
#define STATUS_DESCRIPTION_MAX 139

struct statuses {
	struct store *store;
	struct outbox *outbox;
	const struct forges *forges;
	char *public_url;
	struct idmap told;	/* job id (a pipeline's negated) -> state */
	struct idmap njobs;	/* pipeline id -> its number of jobs */
};

/* Counts of a pipeline's jobs, for its final description. */
struct status_tally {
	int jobs;
	int passed;
	int64_t tests;		/* -1 if a job's are unknown */
	struct statuses *st;
	const struct forge *forge;
	const char *path;
};

static const char *
status_state(enum forge_kind kind, enum job_state state)
{
	int gitlab = kind == FORGE_GITLAB;

	switch (state) {
	case JOB_QUEUED:
		return "pending";
	case JOB_RUNNING:
		return gitlab ? "running" : "pending";
	case JOB_PASSED:
		return "success";
	case JOB_FAILED:
		return gitlab ? "failed" : "failure";
	case JOB_CANCELLED:
		return gitlab ? "canceled" : "error";
	case JOB_SKIPPED:
		/* Not every GitLab takes "skipped"; the description says it. */
		return gitlab ? "canceled" : "error";
	case JOB_ERROR:
	case JOB_TIMEOUT:
	default:
		return gitlab ? "failed" : "error";
	}
}

/* What a job's state says in a line, counts and reason included. */
static void
status_describe(const struct job *job, enum job_state state,
    const struct status_tally *tally, char *out, size_t size)
{
	const char *name = job_state_name(state);
	size_t len;

	if (state == JOB_RUNNING && job->runner != NULL && tally == NULL)
		snprintf(out, size, "running on %s", job->runner);
	else if (tally != NULL && tally->jobs > 1 && job_state_final(state)) {
		if (tally->tests >= 0)
			snprintf(out, size, "%s: %d of %d jobs passed, %lld "
			    "tests", name, tally->passed, tally->jobs,
			    (long long)tally->tests);
		else
			snprintf(out, size, "%s: %d of %d jobs passed", name,
			    tally->passed, tally->jobs);
	}
	else if ((state == JOB_PASSED || state == JOB_FAILED) &&
	    job->tests.run >= 0) {
		if (job->tests.failed > 0)
			snprintf(out, size, "%s: %d of %d tests failed", name,
			    job->tests.failed, job->tests.run);
		else
			snprintf(out, size, "%s: %d test%s", name,
			    job->tests.run, job->tests.run == 1 ? "" : "s");
	} else if (job_state_final(state) && job->reason != NULL)
		snprintf(out, size, "%s: %s", name, job->reason);
	else
		snprintf(out, size, "%s", name);
	/* Cut between UTF-8 characters. */
	len = strlen(out);
	if (len > STATUS_DESCRIPTION_MAX) {
		len = STATUS_DESCRIPTION_MAX;
		while (len > 0 && ((unsigned char)out[len] & 0xc0) == 0x80)
			len--;
		out[len] = '\0';
	}
}

/*
 * Tell forge (at repository path) that job's commit is in state in
 * context, linking to job, unless that was told last.  memo is the key
 * of what was told.
 */
static void
status_tell(struct statuses *st, const struct forge *forge, const char *path,
    const struct job *job, int64_t memo, const char *context,
    enum job_state state, const struct status_tally *tally)
{
	char description[300], *url, *target, *key, *body, *project, *c;
	int told;
	json_t *obj;

	if (idmap_get(&st->told, memo, &told) && told == (int)state)
		return;
	idmap_set(&st->told, memo, (int)state);
	status_describe(job, state, tally, description, sizeof description);
	if (forge->kind == FORGE_GITLAB) {
		/* GitLab names a project by its path, its '/' encoded. */
		project = xcalloc(3, strlen(path) + 1);
		c = project;
		for (const char *p = path; *p != '\0'; p++) {
			if (*p == '/') {
				memcpy(c, "%2F", 3);
				c += 3;
			} else
				*c++ = *p;
		}
		xasprintf(&url, "%s/projects/%s/statuses/%s", forge->api,
		    project, job->commit);
		free(project);
	} else
		xasprintf(&url, "%s/repos/%s/statuses/%s", forge->api, path,
		    job->commit);
	xasprintf(&target, "%s/jobs/%lld", st->public_url, (long long)job->id);
	obj = json_pack("{s:s, s:s, s:s, s:s}", "state",
	    status_state(forge->kind, state), "target_url", target,
	    "description", description,
	    forge->kind == FORGE_GITLAB ? "name" : "context", context);
	body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	free(target);
	if (body == NULL) {
		log_warnx("unable to make job %lld's status: its texts are not "
		    "UTF-8", (long long)job->id);
		free(url);
		return;
	}
	xasprintf(&target, "forge:%s", forge->name);
	xasprintf(&key, "%s %s", job->commit, context);
	outbox_put(st->outbox, target, key, url, body);
	free(target);
	free(key);
	free(url);
	free(body);
}

static int
status_count_job(const struct job *job, void *arg)
{
	(void)job;
	(*(int *)arg)++;
	return 0;
}

/* Whether pipeline id has several jobs (remembered once it has). */
static int
status_several(struct statuses *st, int64_t id)
{
	int n = 0;

	if (idmap_get(&st->njobs, id, &n) && n > 1)
		return 1;
	n = 0;
	if (store_pipeline_jobs(st->store, id, status_count_job, &n) == -1)
		return 0;
	idmap_set(&st->njobs, id, n);
	return n > 1;
}

static void
status_tell_job(struct statuses *st, const struct forge *forge,
    const char *path, const struct job *job)
{
	char context[300];

	snprintf(context, sizeof context, "ssci/%s", job->name);
	status_tell(st, forge, path, job, job->id, context, job->state, NULL);
}

/* A pipeline over: every planned job's final state, skipped ones too. */
static int
status_final_job(const struct job *job, void *arg)
{
	struct status_tally *t = arg;

	if (job->shard_of != 0)
		return 0;
	t->jobs++;
	t->passed += job->state == JOB_PASSED;
	if (t->tests >= 0)
		t->tests = job->tests.run >= 0 ? t->tests + job->tests.run : -1;
	if (job->name != NULL)
		status_tell_job(t->st, t->forge, t->path, job);
	return 0;
}

void
statuses_job(struct statuses *st, int64_t id)
{
	struct job job, top, pipe;
	const struct forge *forge;
	struct status_tally tally = { .st = st };
	char *path = NULL;
	int several;

	if (store_job_get(st->store, id, &job) != 1)
		return;
	forge = forges_match(st->forges, -1, job.repo, &path);
	if (forge == NULL || forge->token == NULL ||
	    !forges_allowed(st->forges, path) ||
	    store_job_get(st->store, job.pipeline, &pipe) != 1) {
		free(path);
		job_release(&job);
		return;
	}
	several = job.name != NULL && status_several(st, job.pipeline);
	if (several && job.shard_of != 0) {
		if (store_job_get(st->store, job.shard_of, &top) == 1) {
			status_tell_job(st, forge, path, &top);
			job_release(&top);
		}
	} else if (several)
		status_tell_job(st, forge, path, &job);
	/*
	 * The planning job was running before it had a name: its state is
	 * told once the plan gives it one.
	 */
	if (several && pipe.name != NULL && pipe.id != job.id)
		status_tell_job(st, forge, path, &pipe);
	if (job_state_final(pipe.pipeline_state) && several) {
		tally.forge = forge;
		tally.path = path;
		store_pipeline_jobs(st->store, pipe.id, status_final_job,
		    &tally);
		status_tell(st, forge, path, &pipe, -pipe.id, "ssci",
		    pipe.pipeline_state, &tally);
	} else
		status_tell(st, forge, path, &pipe, -pipe.id, "ssci",
		    pipe.pipeline_state, NULL);
	free(path);
	job_release(&pipe);
	job_release(&job);
}

struct statuses *
statuses_new(struct store *store, struct outbox *outbox,
    const struct forges *forges, const char *public_url)
{
	struct statuses *st = xcalloc(1, sizeof *st);

	st->store = store;
	st->outbox = outbox;
	st->forges = forges;
	st->public_url = xstrdup(public_url);
	idmap_init(&st->told);
	idmap_init(&st->njobs);
	return st;
}

void
statuses_free(struct statuses *st)
{
	if (st == NULL)
		return;
	idmap_release(&st->told);
	idmap_release(&st->njobs);
	free(st->public_url);
	free(st);
}

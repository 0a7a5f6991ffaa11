/* SPDX-License-Identifier: MIT */
/*
 * bisect.c - a coalescing branch's first failing push found by testing
 * the skipped pushes halfway (bisect.h, docs/QUEUE.md), or in thirds on
 * two free runners while the range is wide.  Each step reads
 * the bisection's range from the store: the pushes between the passed
 * push (good) and the failed one (bad), in the order they were reported,
 * with the result of each one's run.  The highest passed one and the
 * lowest failed one bound the search; next to each other, the failed
 * one is the culprit.  A run that passed after failing once (flaky), two
 * results that contradict each other, or a run that did not pass or fail
 * ends the bisection with that said: it never blames a commit on a
 * result it cannot trust.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bisect.h"
#include "sched.h"
#include "store.h"
#include "util.h"

/*
 * A range of more places than this is cut in thirds when two runner slots
 * are free: for 200 pushes, 3 steps of two runs then 3 of one, 9 runs in
 * the time of 6, against 8 runs one after another.
 */
#define BISECT_THIRDS_ABOVE 8

struct bisect {
	struct store *store;
	struct sched *sched;
	bisect_ended_cb ended;
	void *arg;
};

/* A bisection's range, copied out of the store's callback. */
struct bisect_range {
	struct bisect_commit *c;
	size_t n, cap;
};

struct bisect *
bisect_new(struct store *store, struct sched *sched, bisect_ended_cb ended,
    void *arg)
{
	struct bisect *b = xcalloc(1, sizeof *b);

	b->store = store;
	b->sched = sched;
	b->ended = ended;
	b->arg = arg;
	return b;
}

void
bisect_free(struct bisect *b)
{
	free(b);
}

static char *
bisect_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
bisect_range_add(const struct bisect_commit *c, void *arg)
{
	struct bisect_range *r = arg;

	/* A commit reported twice is one place in the order: its first. */
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->c[i].commit, c->commit) == 0)
			return;
	if (r->n == r->cap)
		r->c = xrealloc(r->c, (r->cap = r->cap ? r->cap * 2 : 16) *
		    sizeof *r->c);
	r->c[r->n] = *c;
	r->c[r->n].commit = xstrdup(c->commit);
	r->c[r->n].subject = bisect_strdup(c->subject);
	r->c[r->n].author = bisect_strdup(c->author);
	r->n++;
}

static void
bisect_range_free(struct bisect_range *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free((char *)r->c[i].commit);
		free((char *)r->c[i].subject);
		free((char *)r->c[i].author);
	}
	free(r->c);
}

/* End bi as state ("found" or "stopped"), kept and told. */
static void
bisect_end(struct bisect *b, struct bisection *bi, const char *state,
    const char *note)
{
	int64_t runs = 0;

	store_bisect_runs(b->store, bi->id, &runs);
	free(bi->state);
	bi->state = xstrdup(state);
	free(bi->note);
	bi->note = bisect_strdup(note);
	/* The failed push that started it is one of the runs. */
	bi->runs = (int)runs + 1;
	if (store_bisect_end(b->store, bi) == -1)
		return;
	if (strcmp(state, "found") == 0)
		log_info("bisection %lld of %s %s: broken by %.12s, found in %d "
		    "runs", (long long)bi->id, bi->branch, bi->repo,
		    bi->culprit_commit, bi->runs);
	else
		log_info("bisection %lld of %s %s stopped: %s",
		    (long long)bi->id, bi->branch, bi->repo, note);
	if (b->ended != NULL)
		b->ended(bi, b->arg);
}

/* The culprit: the range's i-th push, or the bad push past its end. */
static void
bisect_found(struct bisect *b, struct bisection *bi,
    const struct bisect_range *r, size_t i)
{
	struct job bad;
	int rc;

	if (i < r->n) {
		bi->culprit = r->c[i].pipeline;
		snprintf(bi->culprit_commit, sizeof bi->culprit_commit, "%s",
		    r->c[i].commit);
		bi->culprit_subject = bisect_strdup(r->c[i].subject);
		bi->culprit_author = bisect_strdup(r->c[i].author);
	} else {
		rc = store_job_get(b->store, bi->bad, &bad);
		/* Removed by retention while the dispatcher was down. */
		if (rc == 0)
			bisect_end(b, bi, "stopped", "the failed push that "
			    "started it is no longer in the store");
		if (rc != 1)
			return;
		bi->culprit = bad.id;
		snprintf(bi->culprit_commit, sizeof bi->culprit_commit, "%s",
		    bad.commit);
		bi->culprit_subject = bisect_strdup(bad.subject);
		bi->culprit_author = bisect_strdup(bad.author);
		job_release(&bad);
	}
	bisect_end(b, bi, "found", NULL);
}

/* Queue a run of the range's i-th push. */
static void
bisect_queue(struct bisect *b, const struct bisection *bi,
    const struct bisect_commit *c)
{
	struct job_request request = {
		.repo = bi->repo, .commit = c->commit, .branch = bi->branch,
		.subject = c->subject, .author = c->author, .rebuild = 1,
		.trigger = "bisect", .bisection = bi->id,
		.priority = JOB_PRIORITY_NORMAL, .priority_set = 1,
	};
	enum job_state state;
	int64_t id;
	int existing;

	/* Refused (full queue, full disk): the heartbeat tries again. */
	if (sched_queue_job(b->sched, &request, &id, &state, &existing) != 0)
		return;
	log_info("bisection %lld of %s %s: testing %.12s (job %lld)",
	    (long long)bi->id, bi->branch, bi->repo, c->commit,
	    (long long)id);
}

/* One step of bisection id: stop, name the culprit, or queue a run. */
static void
bisect_step(struct bisect *b, int64_t id)
{
	struct bisect_range r = { NULL, 0, 0 };
	struct bisection bi;
	char note[300];
	long good = -1, bad;
	size_t mid;

	if (store_bisect_get(b->store, id, &bi) != 1)
		return;
	if (strcmp(bi.state, "running") != 0 ||
	    store_bisect_range(b->store, id, bisect_range_add, &r) == -1)
		goto out;
	bad = (long)r.n;
	for (size_t i = 0; i < r.n; i++) {
		const struct bisect_commit *c = &r.c[i];

		if (c->run == 0 || !job_state_final(c->state))
			continue;
		if (c->flaky) {
			snprintf(note, sizeof note, "%.12s passed only on a "
			    "re-run (flaky): no commit is blamed", c->commit);
			bisect_end(b, &bi, "stopped", note);
			goto out;
		}
		if (c->state == JOB_PASSED && (long)i > good)
			good = (long)i;
		else if (c->state == JOB_FAILED && (long)i < bad)
			bad = (long)i;
		else if (c->state != JOB_PASSED && c->state != JOB_FAILED) {
			snprintf(note, sizeof note, "the run of %.12s (job "
			    "%lld) ended %s", c->commit, (long long)c->run,
			    job_state_name(c->state));
			bisect_end(b, &bi, "stopped", note);
			goto out;
		}
	}
	if (good > bad) {
		snprintf(note, sizeof note, "%.12s passed after %.12s failed: "
		    "the results disagree (flaky tests?), no commit is blamed",
		    r.c[good].commit, r.c[bad].commit);
		bisect_end(b, &bi, "stopped", note);
		goto out;
	}
	if (bad == good + 1) {
		bisect_found(b, &bi, &r, (size_t)bad);
		goto out;
	}
	/* A run between the bounds not over yet: its end is the next step. */
	for (long i = good + 1; i < bad; i++)
		if (r.c[i].run > 0 && !job_state_final(r.c[i].state))
			goto out;
	/*
	 * With two free runner slots and a wide range, two runs at its
	 * thirds narrow it three times in the time of one run; on a narrow
	 * range that would cost more runs than it saves time.
	 */
	if (bad - good > BISECT_THIRDS_ABOVE && b->sched->free_slots >= 2) {
		bisect_queue(b, &bi, &r.c[good + (bad - good) / 3]);
		bisect_queue(b, &bi, &r.c[good + 2 * (bad - good) / 3]);
	} else {
		mid = (size_t)((good + bad) / 2);
		bisect_queue(b, &bi, &r.c[mid]);
	}
out:
	bisect_range_free(&r);
	bisection_release(&bi);
}

/*
 * Start a bisection of the failed push bad if it is one to bisect: its
 * branch coalesces, it was tested, none was started for it, and the push
 * tested before it passed.  With nothing skipped between them it is the
 * culprit itself.
 */
static void
bisect_consider(struct bisect *b, int64_t bad)
{
	enum job_state before_state;
	int64_t before, bisection;
	struct job pipe;

	if (store_job_get(b->store, bad, &pipe) != 1)
		return;
	if (pipe.coalescing && pipe.superseded_by == NULL &&
	    pipe.bisection == 0 && pipe.pipeline_state == JOB_FAILED &&
	    store_bisect_of(b->store, pipe.id, &bisection) == 0 &&
	    store_push_before(b->store, pipe.id, &before,
	    &before_state) == 1 && before_state == JOB_PASSED &&
	    store_bisect_start(b->store, pipe.id, before, &bisection) == 0) {
		log_info("bisection %lld of %s %s: %.12s failed after %lld "
		    "passed", (long long)bisection, pipe.branch, pipe.repo,
		    pipe.commit, (long long)before);
		bisect_step(b, bisection);
	}
	job_release(&pipe);
}

void
bisect_job_finished(struct bisect *b, int64_t id)
{
	struct job job, pipe;
	enum job_state after_state;
	int64_t after;

	if (store_job_get(b->store, id, &job) != 1)
		return;
	/* A job alone is its own pipeline: read once. */
	if (job.pipeline == id)
		pipe = job;
	else {
		int found = store_job_get(b->store, job.pipeline, &pipe);

		job_release(&job);
		if (found != 1)
			return;
	}
	if (!job_state_final(pipe.pipeline_state) ||
	    pipe.superseded_by != NULL)
		;
	else if (pipe.bisection > 0)
		bisect_step(b, pipe.bisection);
	else if (pipe.pipeline_state == JOB_FAILED)
		bisect_consider(b, pipe.id);
	/*
	 * A push that passed after the next push had already failed (two
	 * runners, the later one quicker): that failure is bisected now.
	 */
	else if (pipe.pipeline_state == JOB_PASSED &&
	    store_push_after(b->store, pipe.id, &after, &after_state) == 1 &&
	    after_state == JOB_FAILED)
		bisect_consider(b, after);
	job_release(&pipe);
}

void
bisect_resume(struct bisect *b)
{
	int64_t *ids;
	size_t n;

	if (store_bisections_running(b->store, &ids, &n) == -1)
		return;
	for (size_t i = 0; i < n; i++)
		bisect_step(b, ids[i]);
	free(ids);
}

/* SPDX-License-Identifier: MIT */
/*
 * sched_pool.c - the runner pool's bookkeeping for the scheduler
 * (sched.c): which runners have a free slot (idle ones first), which
 * have room for a job ahead, and which queued jobs runners hold ahead.
 *
 * Jobs handed ahead (docs/PROTOCOL.md): a runner whose slots are all
 * busy with short jobs is handed the next job to keep, and starts it the
 * moment a slot frees, with no round trip to the dispatcher between the
 * two.  Such a job stays queued in the store until the runner says
 * `accepted`, so that everything that reads the store sees what runs;
 * the pool remembers which queued jobs are held so (a bounded list:
 * there are few at once), and the queue's reader passes them over.
 */
#include <string.h>

#include "sched.h"

/* Slots of r free now. */
static int
sched_free_of(const struct sched_runner *r)
{
	return r->busy < r->slots ? r->slots - r->busy : 0;
}

/* Jobs r may be handed ahead now: once its slots are all taken. */
static int
sched_ahead_of(const struct sched_runner *r)
{
	if (!r->ahead_ok || r->busy < r->slots ||
	    r->busy >= r->slots + r->ahead)
		return 0;
	return r->slots + r->ahead - r->busy;
}

/* Take r off whichever list it is on. */
static void
sched_unlist(struct sched *s, struct sched_runner *r)
{
	if (r->in_free == SCHED_IN_FREE)
		TAILQ_REMOVE(&s->free, r, free_entry);
	else if (r->in_free == SCHED_IN_AHEAD)
		TAILQ_REMOVE(&s->ahead, r, free_entry);
	r->in_free = 0;
}

/*
 * Keep the list of runners with a free slot (idle ones at the front, so
 * that with thousands connected a free runner is found at once), and of
 * those with room for a job ahead.
 */
static void
sched_free_update(struct sched *s, struct sched_runner *r)
{
	sched_unlist(s, r);
	if (sched_free_of(r) > 0) {
		if (r->busy == 0)
			TAILQ_INSERT_HEAD(&s->free, r, free_entry);
		else
			TAILQ_INSERT_TAIL(&s->free, r, free_entry);
		r->in_free = SCHED_IN_FREE;
	} else if (sched_ahead_of(r) > 0) {
		TAILQ_INSERT_TAIL(&s->ahead, r, free_entry);
		r->in_free = SCHED_IN_AHEAD;
	}
}

void
sched_pool_join(struct sched *s, struct sched_runner *r)
{
	s->free_slots += sched_free_of(r);
	s->ahead_room += sched_ahead_of(r);
	sched_free_update(s, r);
}

void
sched_pool_leave(struct sched *s, struct sched_runner *r)
{
	sched_unlist(s, r);
	s->free_slots -= sched_free_of(r);
	s->ahead_room -= sched_ahead_of(r);
}

/* Change r's jobs held by delta, or (delta 0) whether it takes any ahead. */
void
sched_pool_busy(struct sched *s, struct sched_runner *r, int delta, int ahead_ok)
{
	int was_free = sched_free_of(r), was_ahead = sched_ahead_of(r);

	r->busy += delta;
	r->ahead_ok = ahead_ok;
	s->free_slots += sched_free_of(r) - was_free;
	s->ahead_room += sched_ahead_of(r) - was_ahead;
	sched_free_update(s, r);
}

void
sched_runner_set_ahead(struct sched *s, struct sched_runner *r, int n)
{
	sched_pool_leave(s, r);
	r->ahead = n;
	sched_pool_join(s, r);
}

/* r's last job took duration_ms: hand it jobs ahead if that is short. */
void
sched_pool_timed(struct sched *s, struct sched_runner *r,
    int64_t duration_ms)
{
	sched_pool_busy(s, r, 0, r->ahead > 0 && duration_ms >= 0 &&
	    duration_ms <= SCHED_AHEAD_MAX_MS);
}

int
sched_runner_takes(const struct sched_runner *r, const char *labels)
{
	const char *p = labels, *end;

	while (p != NULL && *p != '\0') {
		size_t len, i;

		end = strchr(p, ' ');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < r->nlabels; i++) {
			if (strlen(r->labels[i]) == len &&
			    memcmp(r->labels[i], p, len) == 0)
				break;
		}
		if (len > 0 && i == r->nlabels)
			return 0;
		p = end != NULL ? end + 1 : NULL;
	}
	return 1;
}

/*
 * The runner in list for job: the first that has the job's labels and
 * takes it, or NULL.
 */
static struct sched_runner *
sched_pick_in(struct sched *s, struct sched_runners *list,
    const struct job *job)
{
	struct sched_runner *r, *avoided = NULL;

	TAILQ_FOREACH(r, list, free_entry) {
		if (!sched_runner_takes(r, job->labels) ||
		    (s->ops->takes != NULL && !s->ops->takes(r->conn, job)))
			continue;
		/* A failure re-run goes elsewhere if it can: flakiness may
		 * be the machine's. */
		if (job->fail_retries > 0 && job->runner != NULL &&
		    strcmp(job->runner, r->name) == 0) {
			avoided = r;
			continue;
		}
		return r;
	}
	return avoided;
}

/*
 * The runner for job: one with a free slot (idle ones come first), else
 * one that takes it ahead; or NULL.
 */
struct sched_runner *
sched_pool_pick_free(struct sched *s, const struct job *job)
{
	return sched_pick_in(s, &s->free, job);
}

struct sched_runner *
sched_pool_pick(struct sched *s, const struct job *job)
{
	struct sched_runner *r = sched_pick_in(s, &s->free, job);

	return r != NULL || sched_ahead_room(s) <= 0 ? r :
	    sched_pick_in(s, &s->ahead, job);
}

struct sched_assignment *
sched_ahead_held(const struct sched *s, int64_t id)
{
	for (int i = 0; i < s->nahead_held; i++) {
		if (s->ahead_held[i]->job == id)
			return s->ahead_held[i];
	}
	return NULL;
}

int
sched_ahead_room(const struct sched *s)
{
	return s->nahead_held < SCHED_AHEAD_HELD_MAX ? s->ahead_room : 0;
}

void
sched_ahead_remember(struct sched *s, struct sched_assignment *a)
{
	if (s->nahead_held < SCHED_AHEAD_HELD_MAX)
		s->ahead_held[s->nahead_held++] = a;
}

void
sched_ahead_forget(struct sched *s, int64_t id)
{
	for (int i = 0; i < s->nahead_held; i++) {
		if (s->ahead_held[i]->job == id) {
			s->ahead_held[i] = s->ahead_held[--s->nahead_held];
			return;
		}
	}
}

int
sched_pool_has_free_slot(const struct sched_runner *r)
{
	const struct sched_assignment *a;
	int running = 0;

	LIST_FOREACH(a, &r->jobs, entry)
		running += !sched_waits_ahead(a);
	return running < r->slots;
}

int
sched_waits_ahead(const struct sched_assignment *a)
{
	return a->ahead && !a->accepted;
}

int
sched_runs_it(const struct sched_assignment *a)
{
	return a != NULL && !a->foreign && !sched_waits_ahead(a);
}

/* SPDX-License-Identifier: MIT */
/*
 * sched_ahead.c - jobs handed ahead (docs/PROTOCOL.md, "Jobs handed
 * ahead"): a runner whose slots are all busy with short jobs is handed
 * the next job to keep, and starts it the moment a slot frees, with no
 * round trip to the dispatcher between the two.  Such a job stays queued
 * in the store until the runner says `accepted`, so that everything that
 * reads the store sees what runs; the scheduler remembers which queued
 * jobs are held so, and passes them over when it reads the queue.
 */
#include <string.h>

#include "sched.h"
#include "store.h"
#include "util.h"

int
sched_ahead_held(const struct sched *s, int64_t id)
{
	for (int i = 0; i < s->nahead_held; i++) {
		if (s->ahead_held[i] == id)
			return 1;
	}
	return 0;
}

int
sched_ahead_room(const struct sched *s)
{
	return s->nahead_held < SCHED_AHEAD_HELD_MAX ? s->ahead_room : 0;
}

void
sched_ahead_remember(struct sched *s, int64_t id)
{
	if (s->nahead_held < SCHED_AHEAD_HELD_MAX)
		s->ahead_held[s->nahead_held++] = id;
}

void
sched_ahead_forget(struct sched *s, int64_t id)
{
	for (int i = 0; i < s->nahead_held; i++) {
		if (s->ahead_held[i] == id) {
			s->ahead_held[i] = s->ahead_held[--s->nahead_held];
			return;
		}
	}
}

/*
 * a's runner started the job it held ahead.  It is running from now on,
 * in the store too; if it is not queued any more (cancelled, superseded
 * by a newer push) or the store cannot say so now, the runner is told to
 * stop it and its report will be refused.
 */
void
sched_ahead_start(struct sched *s, struct sched_assignment *a)
{
	sched_ahead_forget(s, a->job);
	if (store_job_start(s->store, a->job, a->runner->name) == -1) {
		a->foreign = 1;
		s->ops->send_cancel(a->runner->conn, a->job);
		log_info("job %lld started by runner '%s' is no longer queued: "
		    "told to stop it", (long long)a->job, a->runner->name);
		return;
	}
	/* A failure re-run's log follows the failed attempt's. */
	joblog_open(s->logs, &a->log, a->job, a->fail_retries > 0 ? 0 :
	    a->attempt == 1 ? 2 : 1);
	log_info("job %lld (%s) started by runner '%s', attempt %d (handed "
	    "ahead)", (long long)a->job, a->commit, a->runner->name,
	    a->attempt);
	sched_watch_job(s, a->job, "started");
}

/* Queued job id ended (cancelled): a runner holding it ahead drops it. */
void
sched_ahead_drop(struct sched *s, int64_t id)
{
	struct sched_assignment *a;

	if (!sched_ahead_held(s, id) || (a = sched_holder(s, id)) == NULL)
		return;
	sched_ahead_forget(s, id);
	a->foreign = 1;
	s->ops->send_cancel(a->runner->conn, id);
}

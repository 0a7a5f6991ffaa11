/* SPDX-License-Identifier: MIT */
/*
 * sched.c - the queue and the runner pool.  The store is the truth about
 * jobs; this file keeps only what lives with a connection: which runner
 * holds which job.  FIFO: the job at the front of the queue goes to the
 * least busy runner with a free slot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatcher.h"
#include "events.h"
#include "store.h"
#include "util.h"

static void sched_reclaim(struct peer *p, int64_t id);

static struct assignment *
sched_find(struct peer *p, int64_t job)
{
	for (struct assignment *a = p->jobs; a != NULL; a = a->next) {
		if (a->job == job)
			return a;
	}
	return NULL;
}

/* Take an assignment off its runner and free it. */
static void
sched_unassign(struct assignment *a)
{
	struct peer *p = a->runner;

	for (struct assignment **pp = &p->jobs; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	if (!a->result_pending)
		p->busy--;
	if (a->log_fd != -1)
		close(a->log_fd);
	free(a->repo);
	free(a->cancelled_by);
	free(a);
}

int
sched_repo_refused(const struct dispatcher *d, const char *repo, char *why,
    size_t size)
{
	switch (repo_url_kind(repo)) {
	case REPO_URL_REFUSED:
		snprintf(why, size, "repository URL '%.200s' refused: git would "
		    "hand it to a remote helper", repo);
		return 1;
	case REPO_URL_LOCAL:
		if (d->cfg.local_repos)
			return 0;
		snprintf(why, size, "repository '%.200s' is a local path: this "
		    "dispatcher takes only remote URLs (start it with "
		    "--local-repos to allow paths and file://)", repo);
		return 1;
	}
	return 0;
}

int
sched_queue_job(struct dispatcher *d, const struct proto_msg *msg,
    int64_t *id, enum job_state *state, int *existing)
{
	int rc;

	rc = store_dispatch(d->store, msg->repo, msg->commit, msg->branch,
	    msg->rebuild, id, state, existing);

	if (rc == -2)
		log_warnx("refused a dispatch for %s: its queue is full",
		    msg->repo);
	if (rc < 0)
		return rc;
	if (!*existing) {
		if (msg->subject != NULL || msg->author != NULL)
			store_job_describe(d->store, *id, msg->subject,
			    msg->author);
		log_info("job %lld queued: %s %s", (long long)*id, msg->repo,
		    msg->commit);
		events_job(d, *id, "queued");
	}
	sched_run(d);
	return 0;
}

void
sched_register(struct peer *p, const struct proto_msg *msg)
{
	struct dispatcher *d = p->d;

	if (p->registered) {
		peer_send_error(p, "bad_state", "already registered");
		return;
	}
	for (struct peer *q = d->peers; q != NULL; q = q->next) {
		if (q->registered && strcmp(q->name, msg->name) == 0) {
			peer_send_error(p, "name_taken",
			    "a runner named '%s' is connected", msg->name);
			return;
		}
	}
	p->registered = 1;
	p->next_ping_ms = mono_ms() + (int64_t)d->cfg.heartbeat_s * 1000;
	p->name = xstrdup(msg->name);
	p->slots = msg->slots;
	store_runner_seen(d->store, p->name, p->addr);
	log_info("runner '%s' registered from %s with %d slot%s", p->name,
	    p->addr, p->slots, p->slots == 1 ? "" : "s");
	events_runner(d, "joined", p->name);
	peer_send(p, proto_encode_ok(NULL));
	for (size_t i = 0; i < msg->njobs; i++)
		sched_reclaim(p, msg->jobs[i]);
	sched_run(d);
}

/* Add an assignment of job to runner p. */
static struct assignment *
sched_assign(struct peer *p, const struct job *job, int attempt, int foreign)
{
	struct assignment *a = xcalloc(1, sizeof *a);

	a->job = job->id;
	a->foreign = foreign;
	memcpy(a->commit, job->commit, sizeof a->commit);
	a->repo = xstrdup(job->repo);
	a->attempt = attempt;
	a->runner = p;
	a->log_fd = -1;
	a->next = p->jobs;
	p->jobs = a;
	p->busy++;
	return a;
}

/* Whether a connected runner other than p holds job. */
static int
sched_held_elsewhere(struct peer *p, int64_t job)
{
	for (struct peer *q = p->d->peers; q != NULL; q = q->next) {
		if (q != p && q->registered && sched_find(q, job) != NULL)
			return 1;
	}
	return 0;
}

/*
 * A runner registering again still holds job (it lost its connection, or
 * we restarted).  If the job is still wanted and nobody else has it, it is
 * the runner's again and its result will count; if not, the runner is told
 * to stop it and its report will be refused.
 */
static void
sched_reclaim(struct peer *p, int64_t id)
{
	struct dispatcher *d = p->d;
	struct job job;

	int adopted;

	if (sched_find(p, id) != NULL || store_job_get(d->store, id, &job) != 1)
		return;
	/*
	 * A store that fails now (disk full) must not make the runner's job
	 * foreign: its result would be refused for good.  It stays the
	 * runner's; the result's own write tells whether the store is back.
	 */
	adopted = sched_held_elsewhere(p, id) ? 1 :
	    store_job_adopt(d->store, id, p->name);
	if (adopted == 0 || (adopted == -1 &&
	    store_error_transient(d->store))) {
		struct assignment *a = sched_assign(p, &job, job.attempt, 0);

		a->log_fd = results_log_open(d, id, 0);
		log_info("job %lld (%s) taken back by runner '%s'",
		    (long long)id, job.commit, p->name);
	} else {
		sched_assign(p, &job, job.attempt, 1);
		peer_send(p, proto_encode_cancel(id, NULL));
		log_info("job %lld held by runner '%s' is no longer its own",
		    (long long)id, p->name);
	}
	job_release(&job);
}

/* The free runner with the most free slots, or NULL. */
static struct peer *
sched_pick_runner(struct dispatcher *d)
{
	struct peer *best = NULL;

	/*
	 * An idle runner ends the search: with thousands connected, the scan
	 * stops at the first one instead of walking them all.
	 */
	for (struct peer *p = d->peers; p != NULL; p = p->next) {
		if (!p->registered || p->closing || p->busy >= p->slots)
			continue;
		if (p->busy == 0)
			return p;
		if (best == NULL || p->slots - p->busy > best->slots - best->busy)
			best = p;
	}
	return best;
}

/* Hand one queued job to runner p.  Returns 0, or -1 to stop for now. */
static int
sched_hand_out(struct dispatcher *d, struct peer *p, struct job *job)
{
	struct assignment *a;
	char *line;

	if (store_job_start(d->store, job->id, p->name) == -1)
		return -1;
	a = sched_assign(p, job, job->attempt + 1, 0);
	a->log_fd = results_log_open(d, job->id, 1);
	log_info("job %lld (%s) to runner '%s', attempt %d", (long long)job->id,
	    job->commit, p->name, a->attempt);
	line = proto_encode_job(job->id, job->repo, job->commit, job->branch,
	    d->cfg.job_timeout_s, a->attempt, NULL);
	peer_send(p, line);
	events_job(d, job->id, "started");
	return 0;
}

void
sched_run(struct dispatcher *d)
{
	struct peer *p;
	struct job job;
	int rc;

	/* The queue first: when it is empty, no runner need be looked at. */
	while ((rc = store_next_queued(d->store, &job)) == 1) {
		if ((p = sched_pick_runner(d)) == NULL) {
			job_release(&job);
			return;
		}
		rc = sched_hand_out(d, p, &job);
		job_release(&job);
		if (rc == -1)
			return;
	}
}

/* End a job that never got a result, with a note in its log. */
static void
sched_give_up(struct dispatcher *d, struct assignment *a, const char *why)
{
	struct proto_result r = {
		.job = a->job, .state = JOB_ERROR, .exit_code = -1,
		.duration_ms = -1, .tests = { -1, -1, -1 }, .message = why,
	};
	char note[512];
	int n;

	n = snprintf(note, sizeof note, "\nssci: %s\n", why);
	results_log_append(d, a, note, (size_t)n);
	if (store_job_finish(d->store, &r) == 0) {
		results_write(d, a->job);
		events_job(d, a->job, "finished");
	}
	log_info("job %lld (%s) ended as error: %s", (long long)a->job,
	    a->commit, why);
}

/* The runner of a lost runner's job is gone: queue it again, or give up. */
static void
sched_requeue_or_give_up(struct dispatcher *d, struct assignment *a,
    const char *why)
{
	char reason[512], giveup[600];

	snprintf(reason, sizeof reason, "runner '%s' lost (%s) on attempt %d",
	    a->runner->name, why, a->attempt);
	if (a->attempt >= d->cfg.max_attempts) {
		snprintf(giveup, sizeof giveup, "gave up after %d attempts; "
		    "last: %s", a->attempt, reason);
		sched_give_up(d, a, giveup);
	} else if (store_job_requeue(d->store, a->job, reason) == 0)
		log_info("job %lld back in the queue: %s", (long long)a->job,
		    reason);
}

void
sched_runner_lost(struct peer *p, const char *why)
{
	struct dispatcher *d = p->d;

	while (p->jobs != NULL) {
		struct assignment *a = p->jobs;

		/* A foreign job is not this runner's to give back. */
		if (!a->foreign)
			sched_requeue_or_give_up(d, a, why);
		sched_unassign(a);
	}
	p->registered = 0;
	events_runner(d, "lost", p->name);
	sched_run(d);
}

void
sched_forget(struct peer *p)
{
	while (p->jobs != NULL)
		sched_unassign(p->jobs);
}

/* The assignment a runner's message names, or NULL after answering. */
static struct assignment *
sched_held(struct peer *p, int64_t job)
{
	struct assignment *a = sched_find(p, job);

	if (a == NULL)
		peer_send_error(p, "not_yours", "job %lld is not held by '%s'",
		    (long long)job, p->name);
	return a;
}

void
sched_accepted(struct peer *p, const struct proto_msg *msg)
{
	/* A reply gets no reply, even a wrong one: it would be misread. */
	if (sched_find(p, msg->job) == NULL)
		log_warnx("runner '%s' accepted job %lld it does not hold",
		    p->name, (long long)msg->job);
}

void
sched_log(struct peer *p, const struct proto_msg *msg)
{
	struct assignment *a = sched_find(p, msg->job);

	/* Logs get no reply; a stray chunk is only worth a note. */
	if (a == NULL || a->foreign) {
		log_debug("log for job %lld not held by '%s' dropped",
		    (long long)msg->job, p->name);
		return;
	}
	events_log(p->d, a->job, a->log_bytes, msg->data, msg->data_len);
	results_log_append(p->d, a, msg->data, msg->data_len);
}

/*
 * The store could not take a result for a reason that passes (disk full,
 * I/O error): the runner keeps it and sends it again later.  Its slot is
 * free meanwhile, so the queue goes on; the assignment stays, so that the
 * result is still the runner's to give.
 */
static void
sched_result_later(struct peer *p, struct assignment *a)
{
	peer_send_error(p, "try_again", "unable to record the result of job "
	    "%lld now; send it again later", (long long)a->job);
	if (!a->result_pending) {
		a->result_pending = 1;
		p->busy--;
	}
	sched_run(p->d);
}

void
sched_result(struct peer *p, const struct proto_msg *msg)
{
	struct dispatcher *d = p->d;
	struct assignment *a = sched_held(p, msg->job);
	struct proto_result r;
	char note[320], reason[300];
	int64_t id;

	if (a == NULL)
		return;
	if (a->foreign) {
		peer_send_error(p, "not_yours", "job %lld was given to another "
		    "runner or is over; result refused", (long long)msg->job);
		log_info("late result for job %lld from runner '%s' refused",
		    (long long)msg->job, p->name);
		sched_unassign(a);
		sched_run(d);
		return;
	}
	r.job = msg->job;
	r.state = msg->state;
	r.exit_code = msg->exit_code;
	r.duration_ms = msg->duration_ms;
	r.tests = msg->tests;
	r.message = msg->message;
	if (msg->state == JOB_CANCELLED && a->cancelled_by != NULL) {
		/* Who asked, once: not again if the result comes twice. */
		snprintf(note, sizeof note, "ssci: cancelled by %s\n",
		    a->cancelled_by);
		if (!a->result_pending)
			results_log_append(d, a, note, strlen(note));
		snprintf(reason, sizeof reason, "cancelled by %s",
		    a->cancelled_by);
		r.message = reason;
	}
	if (store_job_finish(d->store, &r) == -1) {
		if (store_error_transient(d->store)) {
			sched_result_later(p, a);
			return;
		}
		/* The job is not the runner's to end any more: let it go. */
		peer_send_error(p, "store", "unable to record the result");
		sched_unassign(a);
		sched_run(d);
		return;
	}
	id = a->job;
	log_info("job %lld (%s) %s on runner '%s'", (long long)a->job,
	    a->commit, job_state_name(msg->state), p->name);
	sched_unassign(a);
	peer_send(p, proto_encode_ok(NULL));
	/* The slot is free: the next job starts while we write this one up. */
	sched_run(d);
	results_write(d, id);
	metrics_job_finished(d, msg->state, msg->duration_ms);
	events_job(d, id, "finished");
}

int
sched_cancel_job(struct dispatcher *d, int64_t id, const char *who,
    enum job_state *state)
{
	char reason[300], note[340];
	struct proto_result r = {
		.job = id, .state = JOB_CANCELLED, .exit_code = -1,
		.duration_ms = -1, .tests = { -1, -1, -1 }, .message = reason,
	};
	struct assignment *a;
	struct job job;
	int rc = 0;

	if (store_job_get(d->store, id, &job) != 1)
		return 1;
	*state = job.state;
	snprintf(reason, sizeof reason, "cancelled by %s", who);
	if (job.state == JOB_QUEUED) {
		snprintf(note, sizeof note, "ssci: %s before it started\n",
		    reason);
		results_log_note(d, id, note);
		if (store_job_finish(d->store, &r) == 0) {
			results_write(d, job.id);
			*state = JOB_CANCELLED;
			log_info("job %lld %s before it started", (long long)id,
			    reason);
			events_job(d, id, "finished");
		}
	} else if (job.state == JOB_RUNNING) {
		for (struct peer *q = d->peers; q != NULL; q = q->next) {
			if (!q->registered || (a = sched_find(q, job.id)) == NULL)
				continue;
			/* Said in the log and the reason when it has stopped. */
			free(a->cancelled_by);
			a->cancelled_by = xstrdup(who);
			peer_send(q, proto_encode_cancel(job.id, NULL));
		}
		log_info("job %lld: asked runner '%s' to cancel it (%s)",
		    (long long)id, job.runner ? job.runner : "?", reason);
	} else
		rc = 2;
	job_release(&job);
	return rc;
}

int
sched_retry_job(struct dispatcher *d, int64_t id, int64_t *new_id)
{
	struct proto_msg msg = { 0 };
	enum job_state state;
	struct job job;
	int existing, rc;

	if (store_job_get(d->store, id, &job) != 1)
		return 1;
	if (!job_state_final(job.state)) {
		job_release(&job);
		return 2;
	}
	msg.repo = job.repo;
	memcpy(msg.commit, job.commit, sizeof msg.commit);
	msg.branch = job.branch;
	msg.subject = job.subject;
	msg.author = job.author;
	msg.rebuild = 1;
	rc = sched_queue_job(d, &msg, new_id, &state, &existing);
	if (rc == 0)
		store_job_retries(d->store, *new_id, id);
	job_release(&job);
	return rc;
}

/* Close p, telling it why: a timeout of some kind. */
static void
sched_time_out(struct peer *p, const char *why)
{
	peer_send_error(p, "timeout", "%s", why);
	peer_close_after_flush(p, why);
}

void
sched_heartbeat(struct dispatcher *d)
{
	int64_t now = mono_ms();
	int64_t runner_limit = (int64_t)d->cfg.runner_timeout_s * 1000;
	int64_t client_limit = (int64_t)d->cfg.client_timeout_s * 1000;
	struct peer *p, *next;
	size_t pinglen;
	const char *ping = proto_ping_line(&pinglen);

	for (p = d->peers; p != NULL; p = next) {
		next = p->next;
		if (p->closing)
			continue;
		if (p->partial_since_ms != 0 &&
		    now - p->partial_since_ms > client_limit) {
			/* A line trickled in a byte at a time holds a slot. */
			sched_time_out(p, "line not finished in time");
			continue;
		}
		if (!p->said_hello) {
			/* Silent connections would hold slots for nothing. */
			if (now - p->last_heard_ms > DISPATCHER_HELLO_TIMEOUT_MS)
				sched_time_out(p, "no hello in time");
			continue;
		}
		if (p->registered && now - p->last_heard_ms > runner_limit) {
			peer_lost(p, "no answer to heartbeats");
			continue;
		}
		if (!p->registered) {
			/* Only runners are pinged: a client's silence is idleness. */
			if (now - p->last_heard_ms > client_limit)
				sched_time_out(p, "idle for too long");
			continue;
		}
		if (now < p->next_ping_ms)
			continue;
		peer_send_static(p, ping, pinglen);
		p->next_ping_ms = now + (int64_t)d->cfg.heartbeat_s * 1000;
	}
}

/* Whether any connected runner holds job. */
static int
sched_held_anywhere(struct dispatcher *d, int64_t job)
{
	for (struct peer *p = d->peers; p != NULL; p = p->next) {
		if (p->registered && sched_find(p, job) != NULL)
			return 1;
	}
	return 0;
}

/*
 * Jobs the store says are running that no runner holds: a requeue that
 * failed while the disk was full left them so.  Seen twice in a row, a
 * job goes back to the queue; the second look rules out a job caught
 * between two steps.
 */
static void
sched_requeue_orphans(struct dispatcher *d)
{
	int64_t *ids = NULL;
	size_t n = 0, kept = 0;

	if (store_running_ids(d->store, &ids, &n) == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		int seen = 0;

		if (sched_held_anywhere(d, ids[i]))
			continue;
		for (size_t k = 0; k < d->norphans; k++)
			seen |= d->orphans[k] == ids[i];
		if (!seen) {
			ids[kept++] = ids[i];
			continue;
		}
		if (store_job_requeue(d->store, ids[i], "no runner held it "
		    "(the store failed while it ran)") == 0) {
			log_info("job %lld back in the queue: no runner held it",
			    (long long)ids[i]);
			events_job(d, ids[i], "queued");
		}
	}
	free(d->orphans);
	d->orphans = ids;
	d->norphans = kept;
}

void
sched_housekeeping(struct dispatcher *d)
{
	/*
	 * A hand-out refused by a failing store stops the queue until the
	 * next event; this is that event, once a second.
	 */
	sched_run(d);
	if (++d->housekeeping % SCHED_ORPHAN_EVERY == 0)
		sched_requeue_orphans(d);
}

/* SPDX-License-Identifier: MIT */
/*
 * sched.c - the runner pool and the hand-out of queued jobs (sched.h):
 * registering, taking back what a reconnecting runner holds, picking a
 * runner, results, lost runners.  What clients ask of the queue (queue,
 * cancel, retry) and the orphan check are in sched_jobs.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "results.h"
#include "sched.h"
#include "verdict.h"
#include "store.h"
#include "util.h"

/* Queued jobs looked at beyond the free slots, for those no runner takes. */
#define SCHED_LOOKAHEAD 100
/* The most jobs read from the store at once. */
#define SCHED_PAGE_MAX 1000

struct sched *
sched_new(const struct sched_config *cfg, struct store *store,
    struct results *results, const struct joblogs *logs,
    const struct sched_runner_ops *ops, const struct sched_watchers *watchers,
    void *arg)
{
	struct sched *s = xcalloc(1, sizeof *s);

	s->cfg = *cfg;
	s->store = store;
	s->results = results;
	s->logs = logs;
	s->ops = ops;
	s->watchers = watchers;
	s->arg = arg;
	TAILQ_INIT(&s->runners);
	TAILQ_INIT(&s->free);
	TAILQ_INIT(&s->ahead);
	return s;
}

void
sched_watch_job(struct sched *s, int64_t job, const char *what)
{
	if (s->watchers != NULL && s->watchers->job != NULL)
		s->watchers->job(s->arg, job, what);
}

static void
sched_watch_runner(struct sched *s, const char *what, const char *name)
{
	if (s->watchers != NULL && s->watchers->runner != NULL)
		s->watchers->runner(s->arg, what, name);
}

struct sched_assignment *
sched_find(const struct sched_runner *r, int64_t job)
{
	struct sched_assignment *a;

	LIST_FOREACH(a, &r->jobs, entry) {
		if (a->job == job)
			return a;
	}
	return NULL;
}

/* The connected runner holding job (as its own), or NULL. */
struct sched_assignment *
sched_holder(const struct sched *s, int64_t job)
{
	struct sched_runner *r;
	struct sched_assignment *a;

	TAILQ_FOREACH(r, &s->runners, entry) {
		if ((a = sched_find(r, job)) != NULL && !a->foreign)
			return a;
	}
	return NULL;
}

/* Add an assignment of job to runner r. */
static struct sched_assignment *
sched_assign(struct sched *s, struct sched_runner *r, const struct job *job,
    int attempt, int foreign)
{
	struct sched_assignment *a = xcalloc(1, sizeof *a);

	a->job = job->id;
	a->foreign = foreign;
	memcpy(a->commit, job->commit, sizeof a->commit);
	a->attempt = attempt;
	a->runner = r;
	a->log.fd = -1;
	LIST_INSERT_HEAD(&r->jobs, a, entry);
	sched_pool_busy(s, r, 1, r->ahead_ok);
	return a;
}

void
sched_unassign(struct sched *s, struct sched_assignment *a)
{
	LIST_REMOVE(a, entry);
	if (sched_waits_ahead(a))
		sched_ahead_forget(s, a->job);
	if (!a->result_pending)
		sched_pool_busy(s, a->runner, -1, a->runner->ahead_ok);
	joblog_close(&a->log);
	free(a->cancelled_by);
	free(a);
}

struct sched_runner *
sched_register(struct sched *s, void *conn, const char *name,
    const char *addr, int slots, char *const *labels, size_t nlabels)
{
	struct sched_runner *r;

	TAILQ_FOREACH(r, &s->runners, entry) {
		if (strcmp(r->name, name) == 0)
			return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->name = xstrdup(name);
	r->addr = addr;
	r->slots = slots;
	r->conn = conn;
	LIST_INIT(&r->jobs);
	if (nlabels > 0) {
		r->labels = xcalloc(nlabels, sizeof *r->labels);
		for (size_t i = 0; i < nlabels; i++)
			r->labels[i] = xstrdup(labels[i]);
		r->nlabels = nlabels;
	}
	TAILQ_INSERT_TAIL(&s->runners, r, entry);
	s->nrunners++;
	sched_pool_join(s, r);
	store_runner_seen(s->store, name, addr);
	log_info("runner '%s' registered from %s with %d slot%s", name, addr,
	    slots, slots == 1 ? "" : "s");
	sched_watch_runner(s, "joined", name);
	return r;
}

/* Whether a connected runner other than r holds job. */
static int
sched_held_elsewhere(const struct sched *s, const struct sched_runner *r,
    int64_t job)
{
	struct sched_runner *q;

	TAILQ_FOREACH(q, &s->runners, entry) {
		if (q != r && sched_find(q, job) != NULL)
			return 1;
	}
	return 0;
}

/*
 * A runner registering again still holds job id (it lost its connection,
 * or we restarted).  If the job is still wanted and nobody else has it, it
 * is the runner's again and its result will count; if not, the runner is
 * told to stop it and its report will be refused.
 */
static void
sched_reclaim(struct sched *s, struct sched_runner *r, int64_t id,
    int attempt)
{
	struct job job;
	int adopted;

	if (sched_find(r, id) != NULL || store_job_get(s->store, id, &job) != 1)
		return;
	/*
	 * A job handed ahead that the runner started while its `accepted`
	 * was lost (we restarted): still queued, an attempt short.  Started
	 * now, as its `accepted` would have.
	 */
	if (job.state == JOB_QUEUED && attempt == job.attempt + 1 &&
	    !sched_held_elsewhere(s, r, id) &&
	    store_job_start(s->store, id, r->name) == 0) {
		struct sched_assignment *a = sched_assign(s, r, &job, attempt,
		    0);

		a->accepted = 1;
		a->fail_retries = job.fail_retries;
		joblog_open(s->logs, &a->log, id, 0);
		log_info("job %lld (%s) taken back by runner '%s', which had "
		    "started it, attempt %d", (long long)id, job.commit,
		    r->name, attempt);
		sched_watch_job(s, id, "started");
		job_release(&job);
		return;
	}
	/*
	 * A store that fails now (disk full) must not make the runner's job
	 * foreign: its result would be refused for good.  It stays the
	 * runner's; the result's own write tells whether the store is back.
	 */
	adopted = sched_held_elsewhere(s, r, id) ? 1 :
	    store_job_adopt(s->store, id, r->name);
	if (adopted == 0 || (adopted == -1 &&
	    store_error_transient(s->store))) {
		struct sched_assignment *a = sched_assign(s, r, &job,
		    job.attempt, 0);

		a->accepted = 1;
		a->fail_retries = job.fail_retries;
		joblog_open(s->logs, &a->log, id, 0);
		log_info("job %lld (%s) taken back by runner '%s'",
		    (long long)id, job.commit, r->name);
	} else {
		sched_assign(s, r, &job, job.attempt, 1);
		s->ops->send_cancel(r->conn, id);
		log_info("job %lld held by runner '%s' is no longer its own",
		    (long long)id, r->name);
	}
	job_release(&job);
}

void
sched_runner_ready(struct sched *s, struct sched_runner *r,
    const int64_t *held, const int *attempts, size_t nheld)
{
	for (size_t i = 0; i < nheld; i++)
		sched_reclaim(s, r, held[i], attempts != NULL ? attempts[i] : 0);
	sched_run(s);
}

void
sched_send_job(struct sched *s, struct sched_runner *r, const struct job *job,
    int attempt)
{
	struct plan_spec spec = { 0 };
	int timeout_s = s->cfg.job_timeout_s;

	if (job->spec != NULL && plan_spec_decode(job->spec, &spec) == 0 &&
	    spec.timeout_s > 0)
		timeout_s = spec.timeout_s;
	s->ops->send_job(r->conn, job, job->spec != NULL ? &spec : NULL,
	    attempt, timeout_s);
	plan_spec_release(&spec);
}

/*
 * The log of a's attempt, as it starts: a failure re-run's follows the
 * failed attempt's; a new attempt's is emptied, a first attempt's made
 * by its first output.
 */
static void
sched_open_log(struct sched *s, struct sched_assignment *a)
{
	joblog_open(s->logs, &a->log, a->job, a->fail_retries > 0 ? 0 :
	    a->attempt == 1 ? 2 : 1);
}

/* Hand one queued job to runner r.  Returns 0, or -1 if the store failed. */
static int
sched_hand_out(struct sched *s, struct sched_runner *r, const struct job *job)
{
	struct sched_assignment *a;

	if (r->busy >= r->slots) {
		/* Ahead: the store hears of it when the runner starts it. */
		a = sched_assign(s, r, job, job->attempt + 1, 0);
		a->ahead = 1;
		a->fail_retries = job->fail_retries;
		sched_ahead_remember(s, a);
		log_info("job %lld (%s) to runner '%s' ahead, attempt %d",
		    (long long)job->id, job->commit, r->name, a->attempt);
		sched_send_job(s, r, job, a->attempt);
		return 0;
	}
	if (store_job_start(s->store, job->id, r->name) == -1)
		return -1;
	a = sched_assign(s, r, job, job->attempt + 1, 0);
	a->fail_retries = job->fail_retries;
	sched_open_log(s, a);
	log_info("job %lld (%s) to runner '%s', attempt %d", (long long)job->id,
	    job->commit, r->name, a->attempt);
	sched_send_job(s, r, job, a->attempt);
	sched_watch_job(s, job->id, "started");
	return 0;
}

/*
 * A job held ahead by a runner whose current job turned out long, while
 * another runner has a free slot for it: taken back (its holder is told
 * to drop it, a start already under way there is stopped and its report
 * refused), so that it does not wait there.  Not when its holder has a
 * free slot itself: it is starting it.  1 if taken back.
 */
static int
sched_take_back(struct sched *s, const struct job *job)
{
	struct sched_assignment *a = sched_ahead_held(s, job->id);
	struct sched_runner *r;

	if (s->free_slots <= 0 || a == NULL ||
	    sched_pool_has_free_slot(a->runner) ||
	    (r = sched_pool_pick_free(s, job)) == NULL || r == a->runner)
		return 0;
	log_info("job %lld held ahead by runner '%s' taken back for runner "
	    "'%s', which is free", (long long)job->id, a->runner->name,
	    r->name);
	sched_ahead_drop(s, job->id);
	return 1;
}

/* A page of the queue, grown as rows come: usually one or two. */
struct sched_page {
	struct job *jobs;
	size_t n, cap;
};

static int
sched_page_add(const struct job *job, void *arg)
{
	struct sched_page *page = arg;

	if (page->n == page->cap) {
		page->cap = page->cap ? page->cap * 2 : 4;
		page->jobs = xrealloc(page->jobs, page->cap *
		    sizeof *page->jobs);
	}
	job_copy(&page->jobs[page->n++], job);
	return 0;
}

/*
 * Read the first limit jobs of the queue, in order, whole before anything
 * changes it; hand each to a free runner that takes it.  A job no free
 * runner takes is passed over, not waited on.  Returns how many were
 * passed over, and in *full whether the page was full; -1 if the store
 * failed (housekeeping tries again).
 */
static int
sched_run_page(struct sched *s, int limit, int *full, int *handed)
{
	struct sched_page page;
	struct sched_runner *r;
	int passed_over = 0, failed = 0;

	page.jobs = NULL;
	page.n = page.cap = 0;
	store_list_runnable(s->store, limit, sched_page_add, &page);
	for (size_t i = 0; i < page.n; i++) {
		struct job *job = &page.jobs[i];

		if (failed || s->free_slots + sched_ahead_room(s) <= 0 ||
		    (sched_ahead_held(s, job->id) && !sched_take_back(s, job)))
			;
		else if ((r = sched_pool_pick(s, job)) == NULL ||
		    sched_find(r, job->id) != NULL)
			passed_over++;	/* (a runner still stopping it waits) */
		else if (sched_hand_out(s, r, job) == -1)
			failed = 1;
		else
			(*handed)++;
		job_release(job);
	}
	*full = page.n == (size_t)limit;
	free(page.jobs);
	return failed ? -1 : passed_over;
}

void
sched_tick(struct sched *s)
{
	if (s->held_until == 0 || now_ms() < s->held_until)
		return;
	s->held_until = 0;
	sched_run(s);
}

void
sched_run(struct sched *s)
{
	int limit, most, passed_over, full, room, handed;

	/*
	 * As many jobs as there are free slots (and room ahead) first, past
	 * those held ahead: while every runner takes every job, that is all
	 * there is to read.  When some are passed over the page is read
	 * again, twice as long, up to SCHED_LOOKAHEAD jobs past the free
	 * slots; when runners whose slots were just filled have room ahead,
	 * again for that.
	 */
	limit = most = 0;
	for (;;) {
		/* No free slot: the store need not even be asked. */
		if ((room = s->free_slots + sched_ahead_room(s)) <= 0)
			return;
		room += s->nahead_held;
		if (limit == 0 || limit < room) {
			most = room + SCHED_LOOKAHEAD;
			if (most > SCHED_PAGE_MAX)
				most = SCHED_PAGE_MAX;
			limit = room < most ? room : most;
		}
		handed = 0;
		passed_over = sched_run_page(s, limit, &full, &handed);
		if (passed_over < 0 || !full)
			return;
		if (handed > 0 && passed_over == 0) {
			limit = 0;	/* room ahead opened: a page for it */
			continue;
		}
		if (passed_over == 0 || limit >= most)
			return;
		limit = limit * 2 < most ? limit * 2 : most;
	}
}

/* End a job that never got a result, with a note in its log. */
static void
sched_give_up(struct sched *s, struct sched_assignment *a, const char *why)
{
	struct job_result r = {
		.job = a->job, .state = JOB_ERROR, .exit_code = -1,
		.duration_ms = -1, .tests = { -1, -1, -1 }, .message = why,
	};
	char note[512];
	int n;

	n = snprintf(note, sizeof note, "\nssci: %s\n", why);
	joblog_append(s->logs, &a->log, note, (size_t)n);
	if (store_job_finish(s->store, &r) == 0) {
		results_write(s->results, a->job);
		sched_watch_job(s, a->job, "finished");
	}
	log_info("job %lld (%s) ended as error: %s", (long long)a->job,
	    a->commit, why);
}

/* The runner of a job is gone: queue it again, or give up on it. */
static void
sched_requeue_or_give_up(struct sched *s, struct sched_assignment *a,
    const char *why)
{
	char reason[512], giveup[600];

	if (sched_waits_ahead(a)) {
		/* Never started: still queued in the store, for the next. */
		sched_ahead_forget(s, a->job);
		log_info("job %lld handed ahead to runner '%s', lost (%s) "
		    "before it started it, is handed out again",
		    (long long)a->job, a->runner->name, why);
		return;
	}
	if (a->runner->silent && !a->accepted) {
		/*
		 * A machine gone (no FIN) while its runner was idle, and
		 * handed a job before it was found silent: the job never ran
		 * there.  Counting it would let a dead host's runners use up
		 * a job's attempts without running it; a runner whose
		 * connection closes before it takes a job still counts, in
		 * case the job's message is what killed it.
		 */
		snprintf(reason, sizeof reason, "runner '%s' lost (%s) before "
		    "it took the job", a->runner->name, why);
		if (store_job_hand_back(s->store, a->job, reason) == 0) {
			log_info("job %lld back in the queue: %s",
			    (long long)a->job, reason);
			sched_watch_job(s, a->job, "queued");
		}
		return;
	}
	snprintf(reason, sizeof reason, "runner '%s' lost (%s) on attempt %d",
	    a->runner->name, why, a->attempt);
	if (a->attempt - a->fail_retries >= s->cfg.max_attempts) {
		snprintf(giveup, sizeof giveup, "gave up after %d attempts; "
		    "last: %s", a->attempt, reason);
		sched_give_up(s, a, giveup);
	} else if (store_job_requeue(s->store, a->job, reason) == 0) {
		log_info("job %lld back in the queue: %s", (long long)a->job,
		    reason);
		sched_watch_job(s, a->job, "queued");
	}
}

int
sched_runner_holds(const struct sched_runner *r)
{
	return !LIST_EMPTY(&r->jobs);
}

void *
sched_runner_conn_named(struct sched *s, const char *name)
{
	struct sched_runner *r;

	TAILQ_FOREACH(r, &s->runners, entry) {
		if (strcmp(r->name, name) == 0)
			return r->conn;
	}
	return NULL;
}

void
sched_runner_went_silent(struct sched_runner *r)
{
	r->silent = 1;
}

/* Unlink r and free it, with what it holds; the store is not touched. */
static void
sched_runner_free(struct sched *s, struct sched_runner *r)
{
	while (!LIST_EMPTY(&r->jobs))
		sched_unassign(s, LIST_FIRST(&r->jobs));
	sched_pool_leave(s, r);
	TAILQ_REMOVE(&s->runners, r, entry);
	s->nrunners--;
	for (size_t i = 0; i < r->nlabels; i++)
		free(r->labels[i]);
	free(r->labels);
	free(r->name);
	free(r);
}

void
sched_runner_lost(struct sched *s, struct sched_runner *r, const char *why)
{
	struct sched_assignment *a;

	LIST_FOREACH(a, &r->jobs, entry) {
		/* A foreign job is not this runner's to give back. */
		if (!a->foreign)
			sched_requeue_or_give_up(s, a, why);
	}
	sched_watch_runner(s, "lost", r->name);
	sched_runner_free(s, r);
	sched_run(s);
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	while (!TAILQ_EMPTY(&s->runners))
		sched_runner_free(s, TAILQ_FIRST(&s->runners));
	free(s->orphans);
	free(s->refusal);
	free(s);
}

/*
 * a's runner started the job it held ahead.  It is running from now on,
 * in the store too; if it is not queued any more (cancelled, superseded
 * by a newer push) or the store cannot say so now, the runner is told to
 * stop it and its report will be refused.
 */
static void
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
	sched_open_log(s, a);
	log_info("job %lld (%s) started by runner '%s', attempt %d (handed "
	    "ahead)", (long long)a->job, a->commit, a->runner->name,
	    a->attempt);
	sched_watch_job(s, a->job, "started");
}

/* Queued job id ended (cancelled): a runner holding it ahead drops it. */
void
sched_ahead_drop(struct sched *s, int64_t id)
{
	struct sched_assignment *a = sched_ahead_held(s, id);

	if (a == NULL)
		return;
	sched_ahead_forget(s, id);
	a->foreign = 1;
	s->ops->send_cancel(a->runner->conn, id);
}

void
sched_accepted(struct sched *s, struct sched_runner *r, int64_t job)
{
	struct sched_assignment *a = sched_find(r, job);

	/* A reply gets no reply, even a wrong one: it would be misread. */
	if (a == NULL) {
		log_warnx("runner '%s' accepted job %lld it does not hold",
		    r->name, (long long)job);
		return;
	}
	if (sched_waits_ahead(a) && !a->foreign)
		sched_ahead_start(s, a);
	a->accepted = 1;
}

void
sched_log(struct sched *s, struct sched_runner *r, int64_t job,
    const char *data, size_t len)
{
	struct sched_assignment *a = sched_find(r, job);

	/* Logs get no reply; a stray chunk is only worth a note. */
	if (a == NULL || a->foreign) {
		log_debug("log for job %lld not held by '%s' dropped",
		    (long long)job, r->name);
		return;
	}
	if (sched_waits_ahead(a)) {
		/* Its `accepted` is on the way: output means it started. */
		sched_ahead_start(s, a);
		a->accepted = 1;
		if (a->foreign)
			return;
	}
	a->accepted = 1;
	if (s->watchers != NULL && s->watchers->log != NULL)
		s->watchers->log(s->arg, a->job, a->log.bytes, data, len);
	joblog_append(s->logs, &a->log, data, len);
}

/*
 * The store could not take a result for a reason that passes (disk full,
 * I/O error): the runner keeps it and sends it again later.  Its slot is
 * free meanwhile, so the queue goes on; the assignment stays, so that the
 * result is still the runner's to give.
 */
static void
sched_result_later(struct sched *s, struct sched_assignment *a)
{
	char message[160];

	snprintf(message, sizeof message, "unable to record the result of "
	    "job %lld now; send it again later", (long long)a->job);
	s->ops->answer(a->runner->conn, "try_again", message);
	if (!a->result_pending) {
		a->result_pending = 1;
		sched_pool_busy(s, a->runner, -1, a->runner->ahead_ok);
	}
	sched_run(s);
}

/* A result that is not the runner's to give: refused, slot freed. */
static void
sched_result_refused(struct sched *s, struct sched_assignment *a,
    const char *code, const char *message)
{
	s->ops->answer(a->runner->conn, code, message);
	sched_unassign(s, a);
	sched_run(s);
}

/*
 * Judge a result again from the job's tests (verdict.h).  1 if it was
 * dealt with here (the job runs again, or must wait for the store); 0 to
 * record res.
 */
static int
sched_judge(struct sched *s, struct sched_assignment *a,
    struct job_result *res)
{
	struct test_counts counts;
	struct verdict v;
	struct job job;
	char reason[200];
	int found;

	if ((found = store_job_get_counted(s->store, a->job, &job,
	    &counts)) != 1) {
		if (found == -1 && store_error_transient(s->store)) {
			sched_result_later(s, a);
			return 1;
		}
		return 0;
	}
	verdict_judge(&job, &counts, s->cfg.retry_failed, res, &v);
	if (a->cancelled_by != NULL)	/* a cancel crossed the failure */
		v.action = VERDICT_FINISH;
	if (v.action == VERDICT_RERUN) {
		snprintf(reason, sizeof reason, "failed on attempt %d; re-run "
		    "%d of %d", job.attempt, v.rerun, v.reruns);
		if (store_job_retry_failed(s->store, a->job, reason) == -1) {
			job_release(&job);
			if (store_error_transient(s->store)) {
				sched_result_later(s, a);
				return 1;
			}
			return 0;
		}
		joblog_append(s->logs, &a->log, v.note, strlen(v.note));
		log_info("job %lld (%s) failed on runner '%s'; %s",
		    (long long)a->job, a->commit, a->runner->name, reason);
		job_release(&job);
		s->ops->answer(a->runner->conn, NULL, NULL);
		sched_unassign(s, a);
		sched_watch_job(s, res->job, "queued");
		sched_run(s);
		return 1;
	}
	if (v.note[0] != '\0' && !a->result_pending)
		joblog_append(s->logs, &a->log, v.note, strlen(v.note));
	job_release(&job);
	return 0;
}

void
sched_result(struct sched *s, struct sched_runner *r,
    const struct job_result *result)
{
	struct sched_assignment *a = sched_find(r, result->job);
	struct job_result res = *result;
	char note[320], reason[300], message[160];
	int64_t id = result->job;

	if (a == NULL) {
		snprintf(message, sizeof message, "job %lld is not held by "
		    "'%s'", (long long)id, r->name);
		s->ops->answer(r->conn, "not_yours", message);
		return;
	}
	if (!sched_runs_it(a)) {
		log_info("late result for job %lld from runner '%s' refused",
		    (long long)id, r->name);
		snprintf(message, sizeof message, "job %lld was given to "
		    "another runner or is over; result refused", (long long)id);
		sched_result_refused(s, a, "not_yours", message);
		return;
	}
	if (result->state == JOB_CANCELLED && a->cancelled_by != NULL) {
		/* Who asked, once: not again if the result comes twice. */
		snprintf(note, sizeof note, "ssci: cancelled by %s\n",
		    a->cancelled_by);
		if (!a->result_pending)
			joblog_append(s->logs, &a->log, note, strlen(note));
		snprintf(reason, sizeof reason, "cancelled by %s",
		    a->cancelled_by);
		res.message = reason;
	}
	/* Judged on every record or not at all: its tests come first. */
	if (a->tests_later) {
		sched_result_later(s, a);
		return;
	}
	if (sched_judge(s, a, &res) == 1)
		return;
	if (store_job_finish(s->store, &res) == -1) {
		if (store_error_transient(s->store))
			sched_result_later(s, a);
		else	/* the job is not the runner's to end any more */
			sched_result_refused(s, a, "store", "unable to record "
			    "the result");
		return;
	}
	log_info("job %lld (%s) %s on runner '%s'", (long long)id, a->commit,
	    job_state_name(res.state), r->name);
	sched_pool_timed(s, r, res.duration_ms);
	sched_unassign(s, a);
	s->ops->answer(r->conn, NULL, NULL);
	/* The slot is free: the next job starts while we write this one up. */
	sched_run(s);
	if (res.tests.failed > 0)
		verdict_mark_flipping(s->store, id);
	results_write(s->results, id);
	if (s->watchers != NULL && s->watchers->result != NULL)
		s->watchers->result(s->arg, res.state, res.duration_ms);
	sched_watch_job(s, id, "finished");
}

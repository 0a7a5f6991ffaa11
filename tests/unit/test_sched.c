/* SPDX-License-Identifier: MIT */
/*
 * test_sched.c - the scheduler's rules, driven with fake runners and no
 * socket: FIFO hand-out to the least busy runner, a job no runner takes
 * passed over, a lost runner's job queued again at the front, the limit
 * on attempts, a late result refused, cancel (queued and running), retry,
 * runners coming back with their jobs, and running jobs nobody holds.
 * The store is a real SQLite file and the results files real files, in a
 * temporary folder of each test.
 */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_dir.h"
#include <event2/event.h>

#include "joblog.h"
#include "results.h"
#include "plan.h"
#include "sched.h"
#include "store.h"
#include "util.h"

#define REPO "https://example.org/one.git"
#define OTHER "https://example.org/other.git"
#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"
#define C3 "3333333333333333333333333333333333333333"
#define C4 "4444444444444444444444444444444444444444"
#define C5 "5555555555555555555555555555555555555555"

/* What a fake runner was told, in order. */
struct fake {
	int64_t jobs[16];	/* job ids received */
	int attempts[16];
	int njobs;
	int64_t cancels[16];
	int ncancels;
	char answers[16][32];	/* "ok" or an error code */
	int nanswers;
	const char *refuses;	/* a repository it does not take */
	int specs;		/* jobs received with what to run */
};

struct fixture {
	char dir[256];
	char state[300];
	char results_dir[300];
	struct event_base *base;
	struct store *store;
	struct joblogs logs;
	struct results *results;
	struct sched *sched;
	char events[64][48];	/* "queued 1", "runner joined r1", ... */
	int nevents;
};

static void
fake_send_job(void *conn, const struct job *job, const struct plan_spec *spec,
    int attempt, int timeout_s)
{
	struct fake *r = conn;

	(void)timeout_s;
	r->specs += spec != NULL && spec->nrun > 0;
	assert_true(r->njobs < 16);
	r->attempts[r->njobs] = attempt;
	r->jobs[r->njobs++] = job->id;
}

static void
fake_send_cancel(void *conn, int64_t job)
{
	struct fake *r = conn;

	assert_true(r->ncancels < 16);
	r->cancels[r->ncancels++] = job;
}

static void
fake_answer(void *conn, const char *code, const char *message)
{
	struct fake *r = conn;

	(void)message;
	assert_true(r->nanswers < 16);
	snprintf(r->answers[r->nanswers++], 32, "%s", code ? code : "ok");
}

static int
fake_takes(void *conn, const struct job *job)
{
	struct fake *r = conn;

	return r->refuses == NULL || strcmp(r->refuses, job->repo) != 0;
}

static const struct sched_runner_ops fake_ops = {
	fake_send_job, fake_send_cancel, fake_answer, fake_takes,
};

static void
saw_job(void *arg, int64_t job, const char *what)
{
	struct fixture *f = arg;

	if (f->nevents < 64)
		snprintf(f->events[f->nevents++], 48, "%s %lld", what,
		    (long long)job);
}

static void
saw_runner(void *arg, const char *what, const char *name)
{
	struct fixture *f = arg;

	if (f->nevents < 64)
		snprintf(f->events[f->nevents++], 48, "runner %s %s", what,
		    name);
}

static const struct sched_watchers watchers = {
	saw_job, saw_runner, NULL, NULL,
};

static int
setup_with(void **state, int max_attempts)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct sched_config cfg = { .job_timeout_s = 60,
	    .max_attempts = max_attempts };

	if (unit_dir_make(f->dir, sizeof f->dir, "sched") == -1)
		return -1;
	snprintf(f->state, sizeof f->state, "%s/state", f->dir);
	snprintf(f->results_dir, sizeof f->results_dir, "%s/results", f->dir);
	if (mkdir(f->results_dir, 0755) == -1)
		return -1;
	f->base = event_base_new();
	f->store = store_open(f->state);
	if (f->base == NULL || f->store == NULL)
		return -1;
	if (joblogs_init(&f->logs, f->state, 1 << 20) == -1)
		return -1;
	f->results = results_new(f->base, f->store, &f->logs, f->results_dir);
	f->sched = sched_new(&cfg, f->store, f->results, &f->logs, &fake_ops,
	    &watchers, f);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, 3);
}

static int
setup_two_attempts(void **state)
{
	return setup_with(state, 2);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sched_free(f->sched);
	results_free(f->results);
	store_close(f->store);
	event_base_free(f->base);
	joblogs_release(&f->logs);
	unit_dir_remove(f->dir);
	free(f);
	return 0;
}

static int64_t
queue(struct fixture *f, const char *repo, const char *commit)
{
	struct job_request request = { .repo = repo, .commit = commit,
	    .branch = "main" };
	enum job_state state;
	int64_t id;
	int existing;

	assert_int_equal(sched_queue_job(f->sched, &request, &id, &state,
	    &existing), 0);
	return id;
}

static struct sched_runner *
join(struct fixture *f, struct fake *fake, const char *name, int slots,
    const int64_t *held, size_t nheld)
{
	struct sched_runner *r;

	r = sched_register(f->sched, fake, name, "127.0.0.1:9", slots, NULL,
	    0);
	assert_non_null(r);
	sched_runner_ready(f->sched, r, held, NULL, nheld);
	return r;
}

static void
report_took(struct fixture *f, struct sched_runner *r, int64_t job,
    enum job_state state, int64_t duration_ms)
{
	struct job_result res = {
		.job = job, .state = state, .exit_code = 0,
		.duration_ms = duration_ms, .tests = { 1, 0, 0 },
	};

	sched_result(f->sched, r, &res);
}

static void
report(struct fixture *f, struct sched_runner *r, int64_t job,
    enum job_state state)
{
	report_took(f, r, job, state, 5);
}

static struct job
get(struct fixture *f, int64_t id)
{
	struct job job;

	assert_int_equal(store_job_get(f->store, id, &job), 1);
	return job;
}

static enum job_state
state_of(struct fixture *f, int64_t id)
{
	struct job job = get(f, id);
	enum job_state state = job.state;

	job_release(&job);
	return state;
}

/* The results file of commit, whole (static buffer), or "" if none. */
static const char *
results_file(struct fixture *f, const char *commit)
{
	static char buf[4096];
	char path[400];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%s", f->results_dir, commit);
	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return buf;
	n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static int
saw(struct fixture *f, const char *event)
{
	for (int i = 0; i < f->nevents; i++) {
		if (strcmp(f->events[i], event) == 0)
			return 1;
	}
	return 0;
}

static void
test_fifo_to_one_runner(void **state)
{
	struct fixture *f = *state;
	struct fake fake = { 0 };
	struct sched_runner *r;
	int64_t a, b, c;

	a = queue(f, REPO, C1);
	b = queue(f, REPO, C2);
	c = queue(f, REPO, C3);
	r = join(f, &fake, "r1", 1, NULL, 0);
	assert_int_equal(fake.njobs, 1);
	assert_int_equal(fake.jobs[0], a);
	assert_int_equal(fake.attempts[0], 1);
	report(f, r, a, JOB_PASSED);
	assert_string_equal(fake.answers[0], "ok");
	assert_int_equal(fake.njobs, 2);
	assert_int_equal(fake.jobs[1], b);
	report(f, r, b, JOB_FAILED);
	assert_int_equal(fake.jobs[2], c);
	assert_int_equal(state_of(f, a), JOB_PASSED);
	assert_int_equal(state_of(f, b), JOB_FAILED);
	assert_int_equal(state_of(f, c), JOB_RUNNING);
	assert_non_null(strstr(results_file(f, C1), "result: passed"));
	assert_true(saw(f, "queued 1") && saw(f, "started 1") &&
	    saw(f, "finished 1") && saw(f, "runner joined r1"));
}

static void
test_least_busy_runner_first(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 }, two = { 0 };
	struct sched_runner *r1, *r2;

	r1 = join(f, &one, "r1", 2, NULL, 0);
	r2 = join(f, &two, "r2", 2, NULL, 0);
	queue(f, REPO, C1);
	queue(f, REPO, C2);
	/* Each runner gets one before either gets a second. */
	assert_int_equal(one.njobs, 1);
	assert_int_equal(two.njobs, 1);
	assert_int_equal(r1->busy + r2->busy, 2);
	queue(f, REPO, C3);
	assert_int_equal(one.njobs + two.njobs, 3);
	assert_int_equal(f->sched->free_slots, 1);
}

static void
test_job_no_runner_takes_does_not_hold_up_the_queue(void **state)
{
	struct fixture *f = *state;
	struct fake picky = { .refuses = OTHER };
	struct sched_runner *r;
	int64_t blocked, next;

	blocked = queue(f, OTHER, C1);
	/* Pages longer than one slot's worth: it reads further. */
	for (int i = 0; i < 5; i++) {
		char commit[41];

		memset(commit, 'a' + i, 40);
		commit[40] = '\0';
		queue(f, OTHER, commit);
	}
	next = queue(f, REPO, C2);
	r = join(f, &picky, "r1", 1, NULL, 0);
	assert_int_equal(picky.njobs, 1);
	assert_int_equal(picky.jobs[0], next);
	assert_int_equal(state_of(f, blocked), JOB_QUEUED);
	report(f, r, next, JOB_PASSED);
	/* Still nobody for it: it waits, the runner idles. */
	assert_int_equal(picky.njobs, 1);
	assert_int_equal(state_of(f, blocked), JOB_QUEUED);
	assert_int_equal(r->busy, 0);
}

static void
test_lost_runner_job_goes_to_the_front(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 }, two = { 0 };
	struct sched_runner *r1;
	struct job job;
	int64_t a, b;

	r1 = join(f, &one, "r1", 1, NULL, 0);
	a = queue(f, REPO, C1);
	b = queue(f, REPO, C2);
	assert_int_equal(one.jobs[0], a);
	sched_runner_lost(f->sched, r1, "connection closed");
	assert_int_equal(state_of(f, a), JOB_QUEUED);
	join(f, &two, "r2", 1, NULL, 0);
	/* a, queued again, goes before b, which was queued before it was. */
	assert_int_equal(two.njobs, 1);
	assert_int_equal(two.jobs[0], a);
	assert_int_equal(two.attempts[0], 2);
	job = get(f, a);
	assert_non_null(strstr(job.reason, "runner 'r1' lost (connection "
	    "closed) on attempt 1"));
	job_release(&job);
	assert_int_equal(state_of(f, b), JOB_QUEUED);
	assert_true(saw(f, "runner lost r1"));
}

static void
test_max_attempts_then_error(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 }, two = { 0 }, three = { 0 };
	struct sched_runner *r;
	struct job job;
	int64_t a;

	a = queue(f, REPO, C1);
	r = join(f, &one, "r1", 1, NULL, 0);
	sched_runner_lost(f->sched, r, "gone");
	r = join(f, &two, "r2", 1, NULL, 0);
	assert_int_equal(two.attempts[0], 2);
	sched_runner_lost(f->sched, r, "gone again");
	job = get(f, a);
	assert_int_equal(job.state, JOB_ERROR);
	assert_int_equal(job.attempt, 2);
	assert_non_null(strstr(job.reason, "gave up after 2 attempts"));
	job_release(&job);
	assert_non_null(strstr(results_file(f, C1), "result: error"));
	assert_non_null(strstr(results_file(f, C1), "ssci: gave up after 2"));
	join(f, &three, "r3", 1, NULL, 0);
	assert_int_equal(three.njobs, 0);
}

/*
 * A runner that takes jobs ahead is handed one more than its slots once
 * its last job was short, and none while its jobs are long.
 */
static void
test_ahead_only_behind_short_jobs(void **state)
{
	struct fixture *f = *state;
	struct fake fake = { 0 };
	struct sched_runner *r;
	int64_t a, b, c, d, e;

	a = queue(f, REPO, C1);
	b = queue(f, REPO, C2);
	c = queue(f, REPO, C3);
	d = queue(f, REPO, C4);
	e = queue(f, REPO, C5);
	r = sched_register(f->sched, &fake, "r1", "127.0.0.1:9", 1, NULL, 0);
	assert_non_null(r);
	sched_runner_set_ahead(f->sched, r, 1);
	sched_runner_ready(f->sched, r, NULL, NULL, 0);
	/* How long its jobs take is not known yet: one job. */
	assert_int_equal(fake.njobs, 1);
	report(f, r, a, JOB_PASSED);
	/* 5 ms: the next, and one ahead, queued until the runner starts it. */
	assert_int_equal(fake.njobs, 3);
	assert_int_equal(fake.jobs[1], b);
	assert_int_equal(fake.jobs[2], c);
	assert_int_equal(fake.attempts[2], 1);
	assert_int_equal(state_of(f, b), JOB_RUNNING);
	assert_int_equal(state_of(f, c), JOB_QUEUED);
	assert_non_null(sched_ahead_held(f->sched, c));
	assert_int_equal(f->sched->free_slots, 0);
	assert_int_equal(f->sched->ahead_room, 0);
	report_took(f, r, b, JOB_PASSED, SCHED_AHEAD_MAX_MS + 1);
	/* The queue is read again: c, held, is not handed to anyone else. */
	assert_int_equal(fake.njobs, 3);
	sched_accepted(f->sched, r, c);
	assert_int_equal(state_of(f, c), JOB_RUNNING);
	assert_null(sched_ahead_held(f->sched, c));
	/* b was long: c (already there) runs, nothing ahead of it. */
	assert_int_equal(fake.njobs, 3);
	assert_int_equal(f->sched->ahead_room, 0);
	report(f, r, c, JOB_PASSED);
	assert_int_equal(fake.njobs, 5);
	assert_int_equal(fake.jobs[3], d);
	assert_int_equal(fake.jobs[4], e);
	assert_int_equal(state_of(f, d), JOB_RUNNING);
	assert_int_equal(state_of(f, e), JOB_QUEUED);
}

/*
 * Three jobs queued, runner r1 (one slot, jobs ahead) given the first,
 * which passes in 5 ms: it runs the second and holds the third ahead.
 */
static struct sched_runner *
ahead_three(struct fixture *f, struct fake *fake, int64_t ids[3])
{
	struct sched_runner *r;

	ids[0] = queue(f, REPO, C1);
	ids[1] = queue(f, REPO, C2);
	ids[2] = queue(f, REPO, C3);
	r = join(f, fake, "r1", 1, NULL, 0);
	sched_runner_set_ahead(f->sched, r, 1);
	report(f, r, ids[0], JOB_PASSED);
	assert_int_equal(fake->njobs, 3);
	assert_int_equal(fake->jobs[2], ids[2]);
	return r;
}

/* A job ahead that never started goes back without counting an attempt. */
static void
test_ahead_job_of_a_lost_runner_goes_back(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 }, two = { 0 };
	struct sched_runner *r;
	struct job job;
	int64_t ids[3], b, c;

	r = ahead_three(f, &one, ids);
	b = ids[1];
	c = ids[2];
	sched_accepted(f->sched, r, b);
	sched_runner_lost(f->sched, r, "connection closed");
	job = get(f, b);
	assert_int_equal(job.attempt, 1);
	job_release(&job);
	job = get(f, c);
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempt, 0);
	job_release(&job);
	assert_null(sched_ahead_held(f->sched, c));
	/* An old runner, no ahead: one job at a time, c's first attempt. */
	r = join(f, &two, "r2", 1, NULL, 0);
	assert_int_equal(two.njobs, 1);
	report(f, r, two.jobs[0], JOB_PASSED);
	assert_int_equal(two.njobs, 2);
	assert_int_equal(two.jobs[0] == c ? two.attempts[0] : two.attempts[1],
	    1);
	assert_int_equal(f->sched->ahead_room, 0);
}

/*
 * A job held ahead is taken back for a runner that is free: its holder's
 * current job may be long.
 */
static void
test_ahead_job_taken_back_for_a_free_runner(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 }, two = { 0 };
	struct sched_runner *r1, *r2;
	int64_t ids[3], b, c;

	r1 = ahead_three(f, &one, ids);
	b = ids[1];
	c = ids[2];
	assert_non_null(sched_ahead_held(f->sched, c));
	r2 = join(f, &two, "r2", 1, NULL, 0);
	assert_int_equal(one.ncancels, 1);
	assert_int_equal(one.cancels[0], c);
	assert_int_equal(two.njobs, 1);
	assert_int_equal(two.jobs[0], c);
	assert_int_equal(state_of(f, c), JOB_RUNNING);
	assert_null(sched_ahead_held(f->sched, c));
	/* r1 started it meanwhile: its word on it counts for nothing. */
	sched_accepted(f->sched, r1, c);
	report(f, r1, c, JOB_CANCELLED);
	assert_string_equal(one.answers[one.nanswers - 1], "not_yours");
	report(f, r2, c, JOB_PASSED);
	assert_int_equal(state_of(f, c), JOB_PASSED);
	report(f, r1, b, JOB_PASSED);
	assert_int_equal(state_of(f, b), JOB_PASSED);
	assert_int_equal(r1->busy + r2->busy, 0);
}

/*
 * A runner that started a job it held ahead, its `accepted` lost with the
 * dispatcher: registering again with the job and its attempt, it is
 * started then (the store had it queued, an attempt short).
 */
static void
test_ahead_job_started_unheard_is_taken_back(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 }, again = { 0 };
	struct sched_runner *r;
	struct job job;
	int64_t ids[3], b, c, held[1];
	int attempts[1] = { 1 };

	r = ahead_three(f, &one, ids);
	b = ids[1];
	c = ids[2];
	sched_accepted(f->sched, r, b);
	sched_runner_lost(f->sched, r, "connection closed");
	assert_int_equal(state_of(f, c), JOB_QUEUED);
	/* Back, holding c, started as attempt 1 (b went to the queue). */
	held[0] = c;
	r = sched_register(f->sched, &again, "r1", "127.0.0.1:9", 1, NULL, 0);
	sched_runner_ready(f->sched, r, held, attempts, 1);
	job = get(f, c);
	assert_int_equal(job.state, JOB_RUNNING);
	assert_int_equal(job.attempt, 1);
	assert_string_equal(job.runner, "r1");
	job_release(&job);
	assert_int_equal(again.ncancels, 0);
	report(f, r, c, JOB_PASSED);
	assert_string_equal(again.answers[again.nanswers - 1], "ok");
	assert_int_equal(state_of(f, c), JOB_PASSED);
	/* b, queued again, is its next: attempt 2. */
	assert_int_equal(again.jobs[again.njobs - 1], b);
	assert_int_equal(again.attempts[again.njobs - 1], 2);
}

/* A queued job cancelled while a runner holds it ahead: it drops it. */
static void
test_ahead_job_cancelled(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 };
	struct sched_runner *r;
	enum job_state st;
	int64_t ids[3], b, c;

	r = ahead_three(f, &one, ids);
	b = ids[1];
	c = ids[2];
	assert_int_equal(sched_cancel_job(f->sched, c, "ann", &st), 0);
	assert_int_equal(state_of(f, c), JOB_CANCELLED);
	assert_int_equal(one.ncancels, 1);
	assert_int_equal(one.cancels[0], c);
	/* Its runner's word on it is refused, and frees its place. */
	report(f, r, c, JOB_CANCELLED);
	assert_string_equal(one.answers[one.nanswers - 1], "not_yours");
	assert_int_equal(state_of(f, c), JOB_CANCELLED);
	report(f, r, b, JOB_PASSED);
	assert_int_equal(state_of(f, b), JOB_PASSED);
	assert_int_equal(r->busy, 0);
}

static void
test_late_result_refused(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 }, two = { 0 }, back = { 0 };
	struct sched_runner *r1, *r2;
	int64_t a;

	a = queue(f, REPO, C1);
	r1 = join(f, &one, "r1", 1, NULL, 0);
	sched_runner_lost(f->sched, r1, "silent");
	r2 = join(f, &two, "r2", 1, NULL, 0);
	assert_int_equal(two.jobs[0], a);
	/* r1 comes back still running a: not its own any more. */
	r1 = join(f, &back, "r1", 1, &a, 1);
	assert_int_equal(back.ncancels, 1);
	assert_int_equal(back.cancels[0], a);
	assert_int_equal(back.njobs, 0);
	report(f, r1, a, JOB_FAILED);
	assert_string_equal(back.answers[0], "not_yours");
	assert_int_equal(state_of(f, a), JOB_RUNNING);
	report(f, r2, a, JOB_PASSED);
	assert_string_equal(two.answers[0], "ok");
	assert_int_equal(state_of(f, a), JOB_PASSED);
	/* A result for a job it never had. */
	report(f, r2, 99, JOB_PASSED);
	assert_string_equal(two.answers[1], "not_yours");
}

static void
test_runner_back_with_its_job_keeps_it(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 }, back = { 0 };
	struct sched_runner *r;
	struct job job;
	int64_t a;

	a = queue(f, REPO, C1);
	r = join(f, &one, "r1", 1, NULL, 0);
	/* The dispatcher forgets its connections, as a restart would. */
	sched_free(f->sched);
	f->sched = sched_new(&(struct sched_config){ .job_timeout_s = 60,
	    .max_attempts = 3 }, f->store,
	    f->results, &f->logs, &fake_ops, &watchers, f);
	r = join(f, &back, "r1", 1, &a, 1);
	assert_int_equal(back.ncancels, 0);
	assert_int_equal(back.njobs, 0);
	assert_int_equal(r->busy, 1);
	report(f, r, a, JOB_PASSED);
	assert_string_equal(back.answers[0], "ok");
	job = get(f, a);
	assert_int_equal(job.state, JOB_PASSED);
	assert_int_equal(job.attempt, 1);
	job_release(&job);
}

static void
test_name_taken(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 }, two = { 0 };

	join(f, &one, "r1", 1, NULL, 0);
	assert_null(sched_register(f->sched, &two, "r1", "127.0.0.1:10", 1,
	    NULL, 0));
	assert_int_equal(f->sched->nrunners, 1);
}

static void
test_cancel_queued_and_running(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 };
	struct sched_runner *r;
	enum job_state st;
	struct job job;
	int64_t a, b;

	a = queue(f, REPO, C1);
	b = queue(f, REPO, C2);
	r = join(f, &one, "r1", 1, NULL, 0);
	assert_int_equal(sched_cancel_job(f->sched, b, "a client at x", &st),
	    0);
	assert_int_equal(st, JOB_CANCELLED);
	assert_non_null(strstr(results_file(f, C2), "ssci: cancelled by a "
	    "client at x before it started"));
	assert_int_equal(sched_cancel_job(f->sched, a, "the web", &st), 0);
	assert_int_equal(st, JOB_RUNNING);
	assert_int_equal(one.ncancels, 1);
	assert_int_equal(one.cancels[0], a);
	report(f, r, a, JOB_CANCELLED);
	job = get(f, a);
	assert_int_equal(job.state, JOB_CANCELLED);
	assert_string_equal(job.reason, "cancelled by the web");
	job_release(&job);
	assert_int_equal(sched_cancel_job(f->sched, a, "x", &st), 2);
	assert_int_equal(st, JOB_CANCELLED);
	assert_int_equal(sched_cancel_job(f->sched, 99, "x", &st), 1);
}

static void
test_retry(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 };
	struct sched_runner *r;
	struct job job;
	int64_t a, again;

	a = queue(f, REPO, C1);
	r = join(f, &one, "r1", 1, NULL, 0);
	assert_int_equal(sched_retry_job(f->sched, a, &again), 2);
	report(f, r, a, JOB_FAILED);
	assert_int_equal(sched_retry_job(f->sched, a, &again), 0);
	assert_true(again > a);
	assert_int_equal(one.njobs, 2);
	assert_int_equal(one.jobs[1], again);
	job = get(f, again);
	assert_int_equal(job.retry_of, a);
	assert_string_equal(job.commit, C1);
	job_release(&job);
	assert_int_equal(sched_retry_job(f->sched, 99, &again), 1);
}

static void
test_running_job_nobody_holds_is_queued_again(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 };
	int64_t a;

	a = queue(f, REPO, C1);
	/* Running in the store, held by no connected runner. */
	assert_int_equal(store_job_start(f->store, a, "gone"), 0);
	for (int i = 0; i < SCHED_ORPHAN_EVERY; i++)
		sched_housekeeping(f->sched);
	/* Seen once: it might be between two steps. */
	assert_int_equal(state_of(f, a), JOB_RUNNING);
	for (int i = 0; i < SCHED_ORPHAN_EVERY; i++)
		sched_housekeeping(f->sched);
	assert_int_equal(state_of(f, a), JOB_QUEUED);
	join(f, &one, "r1", 1, NULL, 0);
	assert_int_equal(one.jobs[0], a);
	assert_int_equal(one.attempts[0], 2);
}

#define PLAN_YAML "jobs:\n  build:\n    run: make\n  unit:\n" \
	"    needs: [build]\n    run: make unit\n  lint:\n    run: make lint\n"

/* What a runner sends for a .ssci.yml (a static buffer). */
static const char *
plan_of(const char *yaml)
{
	static char json[4096];
	struct plan plan;
	char err[300], *s;

	if (plan_parse(yaml, strlen(yaml), &plan, err, sizeof err) == -1)
		fail_msg("%s", err);
	s = plan_encode(&plan);
	snprintf(json, sizeof json, "%s", s);
	free(s);
	plan_release(&plan);
	return json;
}

#define PLAN plan_of(PLAN_YAML)

static void
test_plan_goes_on_and_queues_the_rest(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 }, two = { 0 };
	struct sched_runner *r1;
	struct job job;
	int64_t a;

	a = queue(f, REPO, C1);
	r1 = join(f, &one, "r1", 1, NULL, 0);
	assert_int_equal(one.specs, 0);
	sched_plan(f->sched, r1, a, PLAN, strlen(PLAN));
	assert_string_equal(one.answers[one.nanswers - 1], "ok");
	assert_int_equal(one.njobs, 2);
	assert_int_equal(one.jobs[1], a);
	assert_int_equal(one.specs, 1);
	job = get(f, a);
	assert_string_equal(job.name, "build");
	job_release(&job);
	/* The next runner gets lint: unit waits for build. */
	join(f, &two, "r2", 1, NULL, 0);
	assert_int_equal(two.njobs, 1);
	job = get(f, two.jobs[0]);
	assert_string_equal(job.name, "lint");
	job_release(&job);
	report(f, r1, a, JOB_PASSED);
	assert_int_equal(one.njobs, 3);
	job = get(f, one.jobs[2]);
	assert_string_equal(job.name, "unit");
	job_release(&job);
	assert_int_equal(one.specs, 2);
}

static void
test_plan_hands_back_what_the_runner_cannot_take(void **state)
{
	const char *gpu_plan = plan_of("jobs:\n  render:\n    run: x\n"
	    "    labels: [gpu]\n");
	struct fixture *f = *state;
	struct fake plain = { 0 }, gpu = { 0 };
	struct sched_runner *r1, *r2;
	char *labels[] = { "gpu" };
	int64_t a;

	a = queue(f, REPO, C1);
	r1 = join(f, &plain, "plain", 1, NULL, 0);
	sched_plan(f->sched, r1, a, gpu_plan, strlen(gpu_plan));
	assert_string_equal(plain.answers[plain.nanswers - 1], "ok");
	assert_int_equal(plain.njobs, 1);
	assert_int_equal(state_of(f, a), JOB_QUEUED);
	assert_int_equal(r1->busy, 0);
	r2 = sched_register(f->sched, &gpu, "gpu", "127.0.0.1:9", 1, labels,
	    1);
	sched_runner_ready(f->sched, r2, NULL, NULL, 0);
	assert_int_equal(gpu.njobs, 1);
	assert_int_equal(gpu.jobs[0], a);
	assert_int_equal(gpu.specs, 1);
	/* Handed back, it did not use up an attempt. */
	assert_int_equal(gpu.attempts[0], 1);
	assert_int_equal(plain.njobs, 1);
}

static void
test_bad_plan_refused(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 };
	struct sched_runner *r1;
	int64_t a;

	a = queue(f, REPO, C1);
	r1 = join(f, &one, "r1", 1, NULL, 0);
	sched_plan(f->sched, r1, a, "{\"jobs\":[{\"name\":\"a\"}]}", 23);
	assert_string_equal(one.answers[one.nanswers - 1], "bad_plan");
	assert_int_equal(state_of(f, a), JOB_RUNNING);
	report(f, r1, a, JOB_ERROR);
	assert_non_null(strstr(results_file(f, C1), "result: error"));
}

static void
test_plan_of_a_job_being_cancelled_refused(void **state)
{
	struct fixture *f = *state;
	struct fake one = { 0 };
	struct sched_runner *r1;
	enum job_state st;
	struct job job;
	int64_t a;

	a = queue(f, REPO, C1);
	r1 = join(f, &one, "r1", 1, NULL, 0);
	assert_int_equal(sched_cancel_job(f->sched, a, "a test", &st), 0);
	assert_int_equal(one.ncancels, 1);
	sched_plan(f->sched, r1, a, PLAN, strlen(PLAN));
	assert_string_equal(one.answers[one.nanswers - 1], "bad_state");
	assert_int_equal(one.njobs, 1);
	job = get(f, a);
	assert_null(job.name);
	job_release(&job);
	report(f, r1, a, JOB_CANCELLED);
	assert_int_equal(state_of(f, a), JOB_CANCELLED);
}

/* A plan of one job, unit, with more keys (extra), as a runner sends it. */
#define UNIT_PLAN(extra) "{\"jobs\":[{\"name\":\"unit\",\"run\":[\"t\"]," \
	"\"env\":[],\"timeout\":0,\"labels\":[],\"needs\":[]," \
	"\"allow_failure\":false" extra "}]}"

/* The jobs of pipeline id, in the store's order. */
struct pipe_jobs {
	struct job jobs[16];
	int n;
};

static int
pipe_job(const struct job *job, void *arg)
{
	struct pipe_jobs *p = arg;

	assert_true(p->n < 16);
	job_copy(&p->jobs[p->n++], job);
	return 0;
}

static void
pipe_jobs_release(struct pipe_jobs *p)
{
	for (int i = 0; i < p->n; i++)
		job_release(&p->jobs[i]);
	p->n = 0;
}

/*
 * A plan whose job shards over the idle slots: the planning runner's own
 * and another runner's two make three shards of the five listed ids; the
 * planning runner goes on with shard 1, the others get shards 2 and 3.
 */
static void
test_auto_shards_over_idle_slots(void **state)
{
	const char *sharded = UNIT_PLAN(",\"shards\":\"auto\","
	    "\"max_shards\":8,\"list\":\"ls\",\"listed\":[\"a\",\"b c\","
	    "\"d\",\"e\",\"f\"]");
	struct fixture *f = *state;
	struct fake one = { 0 }, two = { 0 };
	struct pipe_jobs p = { .n = 0 };
	struct plan_spec spec;
	struct sched_runner *r1;
	size_t tests = 0;
	int64_t a;

	a = queue(f, REPO, C1);
	r1 = join(f, &one, "r1", 1, NULL, 0);
	join(f, &two, "r2", 2, NULL, 0);
	sched_plan(f->sched, r1, a, sharded, strlen(sharded));
	assert_string_equal(one.answers[one.nanswers - 1], "ok");
	assert_int_equal(store_pipeline_jobs(f->store, a, pipe_job, &p), 4);
	assert_string_equal(p.jobs[0].name, "unit");
	assert_int_equal(p.jobs[0].shards, 3);
	for (int k = 1; k <= 3; k++) {
		char name[32], env[48];

		snprintf(name, sizeof name, "unit[%d/3]", k);
		assert_string_equal(p.jobs[k].name, name);
		assert_int_equal(p.jobs[k].shard_of, p.jobs[0].id);
		assert_int_equal(p.jobs[k].shard_index, k);
		assert_int_equal(p.jobs[k].state, JOB_RUNNING);
		assert_int_equal(plan_spec_decode(p.jobs[k].spec, &spec), 0);
		snprintf(env, sizeof env, "SSCI_SHARD_INDEX=%d", k);
		assert_string_equal(spec.env[0], env);
		assert_string_equal(spec.env[1], "SSCI_SHARD_TOTAL=3");
		assert_int_equal(strncmp(spec.env[2], "SSCI_TESTS=", 11), 0);
		/* An id with a blank is quoted for the shell. */
		if (strstr(spec.env[2], "b c") != NULL)
			assert_non_null(strstr(spec.env[2], "'b c'"));
		tests += spec.ntests;
		plan_spec_release(&spec);
	}
	assert_int_equal(tests, 5);
	/* Shard 1 is the planning job, going on on its runner. */
	assert_int_equal(p.jobs[1].id, a);
	assert_int_equal(one.njobs, 2);
	assert_int_equal(two.njobs, 2);
	assert_int_equal(p.jobs[0].state, JOB_RUNNING);
	pipe_jobs_release(&p);
	report(f, r1, a, JOB_PASSED);
	assert_int_equal(state_of(f, a), JOB_PASSED);
}

/* A cancel stops every shard; the sharded job ends with them. */
static void
test_cancel_sharded(void **state)
{
	const char *sharded = UNIT_PLAN(",\"shards\":3,\"list\":\"ls\","
	    "\"listed\":[\"a\",\"b\",\"c\",\"d\"]");
	struct fixture *f = *state;
	struct fake one = { 0 }, two = { 0 };
	struct pipe_jobs p = { .n = 0 };
	struct sched_runner *r1, *r2;
	enum job_state st;
	int64_t a, b;

	a = queue(f, REPO, C1);
	r1 = join(f, &one, "r1", 1, NULL, 0);
	r2 = join(f, &two, "r2", 1, NULL, 0);
	sched_plan(f->sched, r1, a, sharded, strlen(sharded));
	assert_int_equal(store_pipeline_jobs(f->store, a, pipe_job, &p), 4);
	/* Two shards run, the third waits: none is the sharded job. */
	assert_int_equal(sched_cancel_job(f->sched, p.jobs[0].id, "a test",
	    &st), 0);
	assert_int_equal(one.ncancels, 1);
	assert_int_equal(two.ncancels, 1);
	assert_int_equal(state_of(f, p.jobs[3].id), JOB_CANCELLED);
	report(f, r1, one.cancels[0], JOB_CANCELLED);
	assert_int_equal(state_of(f, p.jobs[0].id), JOB_RUNNING);
	report(f, r2, two.cancels[0], JOB_CANCELLED);
	assert_int_equal(state_of(f, p.jobs[0].id), JOB_CANCELLED);
	assert_non_null(strstr(results_file(f, C1), "result: cancelled"));
	assert_non_null(strstr(results_file(f, C1), "=== unit[3/3]: "
	    "cancelled"));
	pipe_jobs_release(&p);
	/* A retry splits the job anew: a sharded job is never carried. */
	assert_int_equal(sched_retry_job(f->sched, a, &b), 0);
	assert_int_equal(store_pipeline_jobs(f->store, b, pipe_job, &p), 4);
	assert_string_equal(p.jobs[0].name, "unit");
	assert_int_equal(p.jobs[0].shards, 3);
	for (int k = 1; k <= 3; k++) {
		assert_int_equal(p.jobs[k].shard_of, p.jobs[0].id);
		assert_true(p.jobs[k].state == JOB_QUEUED ||
		    p.jobs[k].state == JOB_RUNNING);
	}
	pipe_jobs_release(&p);
}

/*
 * The split follows the times the last pass measured: listed ids found by
 * the last part of their recorded names ("A" is "pkg.A"), the slow test
 * alone in its shard.
 */
static void
test_split_by_measured_times(void **state)
{
	const char *unit = UNIT_PLAN("");
	const char *sharded = UNIT_PLAN(",\"shards\":2,\"list\":\"ls\","
	    "\"listed\":[\"A\",\"B\",\"C\",\"D\"]");
	const char *unlisted = UNIT_PLAN(",\"shards\":2");
	struct test_record recs[4] = {
		{ .name = "A", .suite = "pkg", .status = TEST_PASSED,
		    .duration_us = 4000000 },
		{ .name = "B", .suite = "pkg", .status = TEST_PASSED,
		    .duration_us = 1000000 },
		{ .name = "C", .suite = "pkg", .status = TEST_PASSED,
		    .duration_us = 1000000 },
		{ .name = "D", .suite = "pkg", .status = TEST_PASSED,
		    .duration_us = 1000000 },
	};
	struct fixture *f = *state;
	struct fake one = { 0 };
	struct pipe_jobs p = { .n = 0 };
	struct plan_spec spec;
	struct sched_runner *r1;
	int64_t a, b, c;

	a = queue(f, REPO, C1);
	r1 = join(f, &one, "r1", 1, NULL, 0);
	sched_plan(f->sched, r1, a, unit, strlen(unit));
	assert_int_equal(store_tests_add(f->store, a, 1, 0, recs, 4), 0);
	report(f, r1, a, JOB_PASSED);
	b = queue(f, REPO, C2);
	sched_plan(f->sched, r1, b, sharded, strlen(sharded));
	assert_int_equal(store_pipeline_jobs(f->store, b, pipe_job, &p), 3);
	assert_int_equal(p.jobs[1].expected_ms, 4000);
	assert_int_equal(p.jobs[2].expected_ms, 3000);
	assert_int_equal(plan_spec_decode(p.jobs[1].spec, &spec), 0);
	assert_int_equal(spec.ntests, 1);
	assert_string_equal(spec.tests[0], "A");
	plan_spec_release(&spec);
	/* Without a list, the ids are the last pass's recorded names. */
	report(f, r1, b, JOB_PASSED);
	assert_int_equal(one.jobs[one.njobs - 1], p.jobs[2].id);
	report(f, r1, one.jobs[one.njobs - 1], JOB_PASSED);
	c = queue(f, REPO, C3);
	sched_plan(f->sched, r1, c, unlisted, strlen(unlisted));
	pipe_jobs_release(&p);
	assert_int_equal(store_pipeline_jobs(f->store, c, pipe_job, &p), 3);
	assert_int_equal(plan_spec_decode(p.jobs[1].spec, &spec), 0);
	assert_int_equal(spec.ntests, 1);
	assert_string_equal(spec.tests[0], "pkg.A");
	assert_string_equal(spec.env[2], "SSCI_TESTS=pkg.A");
	plan_spec_release(&spec);
	assert_int_equal(plan_spec_decode(p.jobs[2].spec, &spec), 0);
	assert_int_equal(spec.ntests, 3);
	plan_spec_release(&spec);
	pipe_jobs_release(&p);
}

/* Fewer than two tests to split, or none known: the job runs whole. */
static void
test_nothing_to_split_runs_whole(void **state)
{
	const char *one_test = UNIT_PLAN(",\"shards\":4,\"list\":\"ls\","
	    "\"listed\":[\"only\"]");
	const char *unknown = UNIT_PLAN(",\"shards\":4");
	struct fixture *f = *state;
	struct fake one = { 0 };
	struct pipe_jobs p = { .n = 0 };
	struct sched_runner *r1;
	int64_t a, b;

	a = queue(f, REPO, C1);
	r1 = join(f, &one, "r1", 1, NULL, 0);
	sched_plan(f->sched, r1, a, one_test, strlen(one_test));
	assert_string_equal(one.answers[one.nanswers - 1], "ok");
	assert_int_equal(store_pipeline_jobs(f->store, a, pipe_job, &p), 1);
	assert_int_equal(p.jobs[0].shards, 0);
	assert_string_equal(p.jobs[0].name, "unit");
	pipe_jobs_release(&p);
	report(f, r1, a, JOB_PASSED);
	b = queue(f, REPO, C2);
	sched_plan(f->sched, r1, b, unknown, strlen(unknown));
	assert_int_equal(store_pipeline_jobs(f->store, b, pipe_job, &p), 1);
	assert_int_equal(p.jobs[0].shards, 0);
	pipe_jobs_release(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fifo_to_one_runner,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_least_busy_runner_first,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_job_no_runner_takes_does_not_hold_up_the_queue,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_lost_runner_job_goes_to_the_front, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_attempts_then_error,
		    setup_two_attempts, teardown),
		cmocka_unit_test_setup_teardown(test_late_result_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ahead_only_behind_short_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ahead_job_of_a_lost_runner_goes_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ahead_job_cancelled,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ahead_job_started_unheard_is_taken_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_ahead_job_taken_back_for_a_free_runner, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_runner_back_with_its_job_keeps_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_taken, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel_queued_and_running,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_running_job_nobody_holds_is_queued_again, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_plan_goes_on_and_queues_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_plan_hands_back_what_the_runner_cannot_take, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_auto_shards_over_idle_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_nothing_to_split_runs_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_sharded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_split_by_measured_times,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_plan_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_plan_of_a_job_being_cancelled_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

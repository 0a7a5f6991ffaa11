/* SPDX-License-Identifier: MIT */
/*
 * test_store_queue.c - the queue's order in the SQLite store (docs/
 * QUEUE.md): priorities first, repositories and then branches taking
 * turns, FIFO within a branch; pushes superseded on a coalescing branch,
 * each naming the push that was tested; a bisection's range with its
 * runs; a branch's tip; schedules' last runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_store.h"
#include "store.h"
#include "util.h"

#define A "/srv/git/a.git"
#define B "/srv/git/b.git"

UNIT_STORE_FIXTURE("queue")

/* A commit id made of one digit. */
static const char *
commit_of(int n)
{
	static char ids[16][41];
	static int next;
	char *c = ids[next++ % 16];

	memset(c, '0' + n % 10, 40);
	c[40] = '\0';
	c[0] = (char)('a' + n / 10 % 6);
	return c;
}

static int64_t
queue(struct unit_store *u, const char *repo, const char *branch, int n,
    int priority, int coalesce, int64_t bisection)
{
	struct job_request req = { .repo = repo, .commit = commit_of(n),
	    .branch = branch, .rebuild = 1, .priority = priority,
	    .coalesce = coalesce, .bisection = bisection };
	enum job_state st;
	int64_t id = 0;
	int existing;

	assert_int_equal(store_dispatch(u->store, &req, &id, &st, &existing),
	    0);
	return id;
}

struct order {
	int64_t ids[32];
	int n;
};

static int
order_add(const struct job *job, void *arg)
{
	struct order *o = arg;

	if (o->n < 32)
		o->ids[o->n++] = job->id;
	return 0;
}

static struct order
runnable(struct unit_store *u)
{
	struct order o = { { 0 }, 0 };

	assert_true(store_list_runnable(u->store, 32, order_add, &o) >= 0);
	return o;
}

static void
test_repositories_take_turns(void **state)
{
	struct unit_store *u = *state;
	int64_t a[4], b1, c1;
	struct order o;

	for (int i = 0; i < 4; i++)
		a[i] = queue(u, A, "main", i, 0, 0, 0);
	/* A was served last: B, which never was, goes before A's next. */
	assert_int_equal(store_job_start(u->store, a[0], "r1"), 0);
	b1 = queue(u, B, "main", 5, 0, 0, 0);
	o = runnable(u);
	assert_int_equal(o.n, 4);
	assert_int_equal(o.ids[0], b1);
	assert_int_equal(o.ids[1], a[1]);
	/* A's turns alternate with B's: B has one job only. */
	assert_int_equal(o.ids[2], a[2]);
	assert_int_equal(store_job_start(u->store, b1, "r1"), 0);
	c1 = queue(u, A, "topic", 6, 0, 0, 0);
	o = runnable(u);
	/* In A, the branch never served goes before main's second. */
	assert_int_equal(o.ids[0], c1);
	assert_int_equal(o.ids[1], a[1]);
	assert_int_equal(o.ids[2], a[2]);
}

static void
test_priority_first(void **state)
{
	struct unit_store *u = *state;
	int64_t low, normal, high;
	struct order o;

	low = queue(u, A, "pr/1", 1, JOB_PRIORITY_LOW, 0, 0);
	normal = queue(u, B, "main", 2, JOB_PRIORITY_NORMAL, 0, 0);
	high = queue(u, A, "main", 3, JOB_PRIORITY_HIGH, 0, 0);
	o = runnable(u);
	assert_int_equal(o.n, 3);
	assert_int_equal(o.ids[0], high);
	assert_int_equal(o.ids[1], normal);
	assert_int_equal(o.ids[2], low);
}

static void
count_superseded(int64_t pipeline, void *arg)
{
	(void)pipeline;
	(*(int *)arg)++;
}

static void
range_add(const struct bisect_commit *c, void *arg)
{
	struct order *o = arg;

	if (o->n < 32)
		o->ids[o->n++] = c->run > 0 ? -c->pipeline : c->pipeline;
}

static void
test_supersede_and_bisection_range(void **state)
{
	struct unit_store *u = *state;
	int64_t good, p1, p2, p3, started, run, bisection, before;
	enum job_state was;
	struct bisection b;
	struct order o = { { 0 }, 0 };
	struct job job, tip;
	int told = 0;

	good = queue(u, A, "main", 0, 0, 1, 0);
	assert_int_equal(store_job_start(u->store, good, "r"), 0);
	p1 = queue(u, A, "main", 1, 0, 1, 0);
	assert_int_equal(store_supersede(u->store, p1, commit_of(1),
	    count_superseded, &told), 0);
	p2 = queue(u, A, "main", 2, 0, 1, 0);
	assert_int_equal(store_supersede(u->store, p2, commit_of(2),
	    count_superseded, &told), 1);
	p3 = queue(u, A, "main", 3, 0, 1, 0);
	/* A started push is tested, never superseded. */
	assert_int_equal(store_supersede(u->store, p3, commit_of(3),
	    count_superseded, &told), 1);
	assert_int_equal(told, 2);
	job = unit_job(u, p1);
	assert_int_equal(job.state, JOB_SKIPPED);
	/* Each names the push that was tested, not the one between. */
	assert_string_equal(job.superseded_by, commit_of(3));
	assert_true(strncmp(job.reason, "superseded by ", 14) == 0);
	assert_string_equal(job.reason + 14, commit_of(3));
	job_release(&job);
	assert_int_equal(unit_job_state(u, good), JOB_RUNNING);

	/* Not over yet: the push before p3 is good, still running. */
	assert_int_equal(store_push_before(u->store, p3, &before, &was), 1);
	assert_int_equal(before, good);
	assert_int_equal(store_bisect_start(u->store, p3, good, &bisection),
	    0);
	assert_int_equal(store_bisect_range(u->store, bisection, range_add,
	    &o), 2);
	assert_int_equal(o.ids[0], p1);
	assert_int_equal(o.ids[1], p2);
	/* A run of p2 in the bisection shows in the range. */
	run = queue(u, A, "main", 2, 0, 0, bisection);
	o.n = 0;
	assert_int_equal(store_bisect_range(u->store, bisection, range_add,
	    &o), 2);
	assert_int_equal(o.ids[1], -p2);
	/* The branch's tip is the latest push, not a bisection's run. */
	assert_int_equal(store_branch_tip(u->store, A, "main", &tip), 1);
	assert_int_equal(tip.id, p3);
	job_release(&tip);
	started = 0;
	assert_int_equal(store_bisect_runs(u->store, bisection, &started), 0);
	assert_int_equal(started, 1);
	assert_int_equal(store_bisect_get(u->store, bisection, &b), 1);
	assert_string_equal(b.state, "running");
	free(b.state);
	b.state = xstrdup("found");
	b.culprit = p2;
	snprintf(b.culprit_commit, sizeof b.culprit_commit, "%s",
	    commit_of(2));
	b.runs = 2;
	assert_int_equal(store_bisect_end(u->store, &b), 0);
	bisection_release(&b);
	assert_int_equal(store_bisect_latest(u->store, A, "main", &b), 1);
	assert_string_equal(b.state, "found");
	assert_int_equal(b.culprit, p2);
	assert_int_equal(b.runs, 2);
	bisection_release(&b);
	(void)run;
}

static void
pruned(int64_t job, void *arg)
{
	(void)job;
	(*(int *)arg)++;
}

static void
finish(struct unit_store *u, int64_t id, enum job_state state)
{
	struct job_result r = { .job = id, .state = state, .exit_code = 0,
	    .duration_ms = 1, .tests = { -1, -1, -1 } };

	if (unit_job_state(u, id) == JOB_QUEUED)
		assert_int_equal(store_job_start(u->store, id, "r"), 0);
	assert_int_equal(store_job_finish(u->store, &r), 0);
}

/* Retention keeps a running bisection's pushes: it reads them. */
static void
test_retention_keeps_a_running_bisection(void **state)
{
	struct unit_store *u = *state;
	struct store_retention r = { .before_ms = now_ms() + 60000,
	    .keep_jobs = 1 };
	int64_t good, p1, p2, bad, bisection, cursor = 0;
	int gone = 0;

	good = queue(u, A, "main", 0, 0, 1, 0);
	finish(u, good, JOB_PASSED);
	p1 = queue(u, A, "main", 1, 0, 1, 0);
	p2 = queue(u, A, "main", 2, 0, 1, 0);
	bad = queue(u, A, "main", 3, 0, 1, 0);
	assert_int_equal(store_supersede(u->store, bad, commit_of(3), NULL,
	    NULL), 2);
	finish(u, bad, JOB_FAILED);
	assert_int_equal(store_bisect_start(u->store, bad, good, &bisection),
	    0);
	/* Everything ended "a minute from now": all of it is old. */
	do
		assert_true(store_prune(u->store, &r, &cursor, 100, 100, pruned,
		    &gone) >= 0);
	while (cursor != 0);
	assert_int_equal(gone, 0);
	assert_int_equal(unit_job_state(u, p1), JOB_SKIPPED);
	assert_int_equal(unit_job_state(u, p2), JOB_SKIPPED);
}

static void
test_schedule_last(void **state)
{
	struct unit_store *u = *state;
	int64_t ms = 0;

	assert_int_equal(store_schedule_last(u->store, "x main * * * * *",
	    &ms), 0);
	assert_int_equal(store_schedule_set(u->store, "x main * * * * *",
	    1234), 0);
	assert_int_equal(store_schedule_set(u->store, "x main * * * * *",
	    5678), 0);
	assert_int_equal(store_schedule_last(u->store, "x main * * * * *",
	    &ms), 1);
	assert_int_equal(ms, 5678);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_repositories_take_turns),
		T(test_priority_first),
		T(test_supersede_and_bisection_range),
		T(test_retention_keeps_a_running_bisection),
		T(test_schedule_last),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_store_outbox.c - what the SQLite store keeps for forges: the
 * outbox (messages per target, oldest first, kept across a reopen until
 * removed), webhook deliveries remembered for a while, and a pull
 * request's title and page on its pipeline's jobs (a retry keeps them).
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

UNIT_STORE_FIXTURE("outbox")

struct seen {
	int64_t ids[8];
	char keys[8][32];
	char bodies[8][32];
	int n;
};

static int
collect(const struct outbox_message *m, void *arg)
{
	struct seen *s = arg;

	s->ids[s->n] = m->id;
	snprintf(s->keys[s->n], sizeof s->keys[0], "%s", m->key);
	snprintf(s->bodies[s->n], sizeof s->bodies[0], "%s", m->body);
	s->n++;
	return s->n == 8 ? -1 : 0;
}

static void
test_outbox_order_and_reopen(void **state)
{
	struct unit_store *u = *state;
	struct seen s = { 0 };
	int64_t n;

	assert_int_equal(store_outbox_add(u->store, "forge:gh", "a ssci",
	    "http://x/1", "{\"state\":\"pending\"}"), 0);
	assert_int_equal(store_outbox_add(u->store, "url:http://n", "k",
	    "http://n", "{}"), 0);
	assert_int_equal(store_outbox_add(u->store, "forge:gh", "a ssci",
	    "http://x/1", "{\"state\":\"success\"}"), 0);
	assert_int_equal(store_outbox_add(u->store, "forge:gh", "b ssci",
	    "http://x/2", "{\"state\":\"pending\"}"), 0);
	assert_int_equal(store_outbox_count(u->store, &n), 0);
	assert_int_equal(n, 4);

	/* A reopened store still has them, each target's in order. */
	store_close(u->store);
	u->store = store_open(u->state);
	assert_non_null(u->store);
	assert_int_equal(store_outbox_list(u->store, "forge:gh", 10, collect,
	    &s), 3);
	assert_string_equal(s.bodies[0], "{\"state\":\"pending\"}");
	assert_string_equal(s.bodies[1], "{\"state\":\"success\"}");
	assert_string_equal(s.keys[2], "b ssci");
	assert_true(s.ids[0] < s.ids[1] && s.ids[1] < s.ids[2]);

	/* Taken out one by one; a page is at most its limit. */
	assert_int_equal(store_outbox_remove(u->store, s.ids[0]), 0);
	memset(&s, 0, sizeof s);
	assert_int_equal(store_outbox_list(u->store, "forge:gh", 1, collect,
	    &s), 1);
	assert_string_equal(s.bodies[0], "{\"state\":\"success\"}");
	assert_int_equal(store_outbox_list(u->store, "mail", 10, collect, &s),
	    0);
	assert_int_equal(store_outbox_count(u->store, &n), 0);
	assert_int_equal(n, 3);
	/* Bad arguments are refused before the backend. */
	assert_int_equal(store_outbox_add(u->store, NULL, "k", "u", "b"), -1);
	assert_int_equal(store_outbox_list(u->store, "x", 0, collect, &s), -1);
}

static void
test_deliveries(void **state)
{
	struct unit_store *u = *state;

	assert_int_equal(store_delivery_known(u->store, "gh", "d1", 0), 0);
	assert_int_equal(store_delivery_add(u->store, "gh", "d1", 1000, 0), 0);
	assert_int_equal(store_delivery_known(u->store, "gh", "d1", 500), 1);
	/* Another forge's id is another delivery. */
	assert_int_equal(store_delivery_known(u->store, "gl", "d1", 500), 0);
	/* Older than since: not known, and forgotten at the next add. */
	assert_int_equal(store_delivery_known(u->store, "gh", "d1", 2000), 0);
	assert_int_equal(store_delivery_add(u->store, "gh", "d2", 5000, 2000),
	    0);
	assert_int_equal(store_delivery_known(u->store, "gh", "d1", 0), 0);
	assert_int_equal(store_delivery_known(u->store, "gh", "d2", 0), 1);
}

static void
test_pull_request_on_its_jobs(void **state)
{
	struct unit_store *u = *state;
	struct job_request r = {
		.repo = "/srv/git/pr.git",
		.commit = "1111111111111111111111111111111111111111",
		.branch = "pr/7", .pr_title = "Fix it",
		.pr_url = "https://forge/o/r/pull/7",
	};
	struct job job;
	enum job_state st;
	int64_t id, retry;
	int existing;

	assert_int_equal(store_dispatch(u->store, &r, &id, &st, &existing), 0);
	assert_int_equal(store_job_get(u->store, id, &job), 1);
	assert_string_equal(job.pr_title, "Fix it");
	assert_string_equal(job.pr_url, "https://forge/o/r/pull/7");
	job_release(&job);

	/* A retry carries them (sched_retry_job passes the job's). */
	r.rebuild = 1;
	r.retry_of = id;
	assert_int_equal(store_dispatch(u->store, &r, &retry, &st, &existing),
	    0);
	assert_int_equal(store_job_get(u->store, retry, &job), 1);
	assert_string_equal(job.pr_title, "Fix it");
	job_release(&job);

	/* A job of no pull request has none. */
	r.commit = "2222222222222222222222222222222222222222";
	r.pr_title = r.pr_url = NULL;
	r.rebuild = 0;
	r.retry_of = 0;
	assert_int_equal(store_dispatch(u->store, &r, &id, &st, &existing), 0);
	assert_int_equal(store_job_get(u->store, id, &job), 1);
	assert_null(job.pr_title);
	assert_null(job.pr_url);
	job_release(&job);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_outbox_order_and_reopen),
		T(test_deliveries),
		T(test_pull_request_on_its_jobs),
	};

	log_init("test", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

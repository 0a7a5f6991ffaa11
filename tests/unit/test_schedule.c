/* SPDX-License-Identifier: MIT */
/*
 * test_schedule.c - scheduled builds (schedule.c): a --schedule's text
 * checked, each part's mistake named; the test clock's EPOCH[,SPEED]; and
 * what a start does on a real store and scheduler with a test clock: the
 * first start records its time and runs nothing, runs missed while down
 * are made up by one rebuild of the tip (trigger "schedule"), a last run
 * whose next time is still to come runs nothing, a tip whose pipeline
 * has not started is not queued again, and a repository whose dispatches
 * are refused (a local path) said so at start, and nothing queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "unit_dir.h"
#include "unit_stderr.h"
#include <event2/event.h>

#include "joblog.h"
#include "results.h"
#include "sched.h"
#include "schedule.h"
#include "store.h"
#include "util.h"

#define REPO "https://example.org/one.git"
#define C1 "1111111111111111111111111111111111111111"
/* 2026-01-01T00:00:30Z: half a minute from each cron time. */
#define EPOCH 1767225630LL
#define SPEC REPO " main * * * * *"

static void
accepted(const char *text)
{
	char err[300] = "";

	if (schedule_spec_check(text, err, sizeof err) != 0)
		fail_msg("'%s' refused: %s", text, err);
}

static void
refused(const char *text, const char *why)
{
	char err[300] = "";

	assert_int_equal(schedule_spec_check(text, err, sizeof err), -1);
	if (strstr(err, why) == NULL)
		fail_msg("'%s': '%s' does not say '%s'", text, err, why);
}

static void
test_spec_check(void **state)
{
	(void)state;
	accepted(REPO " main * * * * *");
	accepted("/srv/git/one main 0 9-17/2 * * mon-fri");
	accepted("git@example.org:one.git release/1.x 30 2 1 jan *");
	accepted("  " REPO "\tmain\t*/5  *  *  *  *  ");

	refused("", "not 'REPO BRANCH CRON'");
	refused(REPO, "not 'REPO BRANCH CRON'");
	refused(REPO " main", "not 'REPO BRANCH CRON'");
	refused(REPO " main   ", "not 'REPO BRANCH CRON'");
	refused(REPO " main 61 * * * *", "minute field '61'");
	refused(REPO " main * 24 * * *", "hour field '24'");
	refused(REPO " main * * * *", "expected 5");
	refused(REPO " main * * * * * *", "expected 5");
	refused("-oProxyCommand=x main * * * * *", "repository '-oProxy");
	refused("ext::sh\\ -c\\ x main * * * * *", "repository 'ext::sh");
	refused("fd::3 main * * * * *", "repository 'fd::3'");
	refused(REPO " a..b * * * * *", "branch 'a..b'");
	refused(REPO " -main * * * * *", "branch '-main'");
	refused(REPO " ma\033in * * * * *", "branch 'ma\\x1bin'");
	refused(REPO " main 0 0 31 2 *", "'0 0 31 2 *' names no time");
}

static void
test_clock_parse(void **state)
{
	char err[300];
	int64_t epoch;
	double speed;

	(void)state;
	assert_int_equal(schedule_clock_parse("1767225600", &epoch, &speed,
	    err, sizeof err), 0);
	assert_int_equal(epoch, 1767225600);
	assert_true(speed == 1);
	assert_int_equal(schedule_clock_parse("0,60", &epoch, &speed, err,
	    sizeof err), 0);
	assert_int_equal(epoch, 0);
	assert_true(speed == 60);
	assert_int_equal(schedule_clock_parse("5,0.25", &epoch, &speed, err,
	    sizeof err), 0);
	assert_true(speed == 0.25);
	assert_int_equal(schedule_clock_parse("5,3600", &epoch, &speed, err,
	    sizeof err), 0);
	assert_true(speed == 3600);

	static const char *const bad_epoch[] = { "", "-1", "x", "1.5",
	    ",60", "99999999999999999999", "1e9" };
	for (size_t i = 0; i < sizeof bad_epoch / sizeof *bad_epoch; i++) {
		assert_int_equal(schedule_clock_parse(bad_epoch[i], &epoch,
		    &speed, err, sizeof err), -1);
		assert_non_null(strstr(err, "EPOCH"));
	}
	static const char *const bad_speed[] = { "5,", "5,0", "5,-1",
	    "5,3600.001", "5,0.0001", "5,nan", "5,inf", "5,1,2", "5, 1" };
	for (size_t i = 0; i < sizeof bad_speed / sizeof *bad_speed; i++) {
		assert_int_equal(schedule_clock_parse(bad_speed[i], &epoch,
		    &speed, err, sizeof err), -1);
		assert_non_null(strstr(err, "SPEED"));
	}
}

/*
 * A store and a scheduler with no runner, on a loop of their own; what
 * they log caught from setup on.
 */
struct fixture {
	char dir[256];
	char state[300];
	char results_dir[300];
	struct event_base *base;
	struct store *store;
	struct joblogs logs;
	struct results *results;
	struct sched *sched;
	struct schedules *schedules;
	struct unit_stderr caught;
};

static const struct sched_runner_ops no_runners;
static const struct sched_watchers no_watchers;

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct sched_config cfg = { .job_timeout_s = 60, .max_attempts = 3 };

	*state = f;
	if (unit_dir_make(f->dir, sizeof f->dir, "schedule") == -1)
		return -1;
	snprintf(f->state, sizeof f->state, "%s/state", f->dir);
	snprintf(f->results_dir, sizeof f->results_dir, "%s/results", f->dir);
	if (mkdir(f->results_dir, 0755) == -1)
		return -1;
	f->base = event_base_new();
	f->store = store_open(f->state);
	if (f->base == NULL || f->store == NULL ||
	    joblogs_init(&f->logs, f->state, 1 << 20) == -1)
		return -1;
	f->results = results_new(f->base, f->store, &f->logs, f->results_dir);
	f->sched = sched_new(&cfg, f->store, f->results, &f->logs,
	    &no_runners, &no_watchers, f);
	unit_stderr_catch(&f->caught);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->caught.file != NULL)
		unit_stderr_release(&f->caught);
	schedules_free(f->schedules);
	sched_free(f->sched);
	results_free(f->results);
	store_close(f->store);
	event_base_free(f->base);
	joblogs_release(&f->logs);
	unit_dir_remove(f->dir);
	free(f);
	return 0;
}

/* The branch's tip: C1 pushed, and cancelled unless left queued. */
static int64_t
push(struct fixture *f, int leave_queued)
{
	struct job_request request = { .repo = REPO, .commit = C1,
	    .branch = "main", .trigger = "hook" };
	enum job_state state;
	int64_t id;
	int existing;

	assert_int_equal(sched_queue_job(f->sched, &request, &id, &state,
	    &existing), 0);
	if (!leave_queued)
		assert_int_equal(sched_cancel_job(f->sched, id, "the test",
		    &state), 0);
	return id;
}

/* The schedules start with the test clock at EPOCH. */
static void
start(struct fixture *f, const char *spec)
{
	const char *specs[] = { spec };
	char clock[32];

	snprintf(clock, sizeof clock, "%lld,1", EPOCH);
	f->schedules = schedules_new(f->base, f->store, f->sched, specs, 1,
	    clock);
	assert_non_null(f->schedules);
}

static int64_t
last_run(struct fixture *f, const char *key)
{
	int64_t ms = -1;

	assert_int_equal(store_schedule_last(f->store, key, &ms), 1);
	return ms;
}

/* The loop runs for a tenth of a second: a timer due now fires. */
static void
run_loop(struct fixture *f)
{
	struct timeval tv = { 0, 100 * 1000 };

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

/* Whether job id exists. */
static int
has_job(struct fixture *f, int64_t id)
{
	struct job job;
	int rc = store_job_get(f->store, id, &job);

	if (rc == 1)
		job_release(&job);
	return rc == 1;
}

static void
test_first_start_records_now(void **state)
{
	struct fixture *f = *state;
	int64_t ms;

	push(f, 0);
	/* Blanks in the text: the store's key has single spaces. */
	start(f, REPO "\tmain  *  * * * *");
	run_loop(f);
	ms = last_run(f, SPEC);
	assert_true(ms >= EPOCH * 1000 && ms < (EPOCH + 30) * 1000);
	assert_false(has_job(f, 2));
	assert_non_null(strstr(unit_stderr_release(&f->caught),
	    "schedule '" SPEC "': next run at 2026-01-01 00:01"));
}

static void
test_missed_runs_made_up_once(void **state)
{
	struct fixture *f = *state;
	struct job job;
	int64_t ms;
	const char *log;

	push(f, 0);
	assert_int_equal(store_schedule_set(f->store, SPEC,
	    (EPOCH - 600) * 1000), 0);
	start(f, SPEC);
	run_loop(f);
	assert_int_equal(store_job_get(f->store, 2, &job), 1);
	assert_string_equal(job.commit, C1);
	assert_string_equal(job.branch, "main");
	assert_string_equal(job.trigger, "schedule");
	assert_int_equal(job.state, JOB_QUEUED);
	job_release(&job);
	ms = last_run(f, SPEC);
	assert_true(ms >= EPOCH * 1000 && ms < (EPOCH + 30) * 1000);
	/* Once: the next time is half a minute away. */
	run_loop(f);
	assert_false(has_job(f, 3));
	log = unit_stderr_release(&f->caught);
	assert_non_null(strstr(log, "missed its run of "));
	assert_non_null(strstr(log, "while the dispatcher was down queued "
	    "job 2, a rebuild of 111111111111"));
	assert_non_null(strstr(log, "next run at "));
}

static void
test_nothing_missed(void **state)
{
	struct fixture *f = *state;

	push(f, 0);
	/* 00:00:20: its next time, 00:01, is still to come. */
	assert_int_equal(store_schedule_set(f->store, SPEC,
	    (EPOCH - 10) * 1000), 0);
	start(f, SPEC);
	run_loop(f);
	assert_false(has_job(f, 2));
	assert_int_equal(last_run(f, SPEC), (EPOCH - 10) * 1000);
	assert_null(strstr(unit_stderr_release(&f->caught), "missed"));
}

static void
test_tip_not_started_not_queued_again(void **state)
{
	struct fixture *f = *state;
	int64_t ms;

	push(f, 1);
	assert_int_equal(store_schedule_set(f->store, SPEC,
	    (EPOCH - 600) * 1000), 0);
	start(f, SPEC);
	run_loop(f);
	assert_false(has_job(f, 2));
	/* The run is recorded all the same. */
	ms = last_run(f, SPEC);
	assert_true(ms >= EPOCH * 1000);
	assert_non_null(strstr(unit_stderr_release(&f->caught),
	    "the tip's pipeline 1 has not started yet"));
}

static void
test_no_tip_yet(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(store_schedule_set(f->store, SPEC,
	    (EPOCH - 600) * 1000), 0);
	start(f, SPEC);
	run_loop(f);
	assert_false(has_job(f, 1));
	assert_non_null(strstr(unit_stderr_release(&f->caught),
	    "nothing to build yet for the run missed while the dispatcher "
	    "was down: branch main of " REPO " has no pipeline"));
}

static void
test_repo_refused(void **state)
{
	struct fixture *f = *state;
	const char *log;

	/* The fixture's scheduler has no local_repos. */
	assert_int_equal(store_schedule_set(f->store, "/srv/git/one main * * "
	    "* * *", (EPOCH - 600) * 1000), 0);
	start(f, "/srv/git/one main * * * * *");
	run_loop(f);
	assert_false(has_job(f, 1));
	log = unit_stderr_release(&f->caught);
	assert_non_null(strstr(log, "schedule '/srv/git/one main * * * * *': "
	    "its runs will be refused: repository '/srv/git/one' is a local "
	    "path"));
	/* Its run is refused too, said again only at debug level. */
	assert_null(strstr(log, "unable to queue"));
	assert_int_equal(last_run(f, "/srv/git/one main * * * * *") / 1000 >=
	    EPOCH, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_check),
		cmocka_unit_test(test_clock_parse),
		cmocka_unit_test_setup_teardown(test_first_start_records_now,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_missed_runs_made_up_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_missed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_tip_not_started_not_queued_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_tip_yet, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_repo_refused, setup,
		    teardown),
	};

	/* The times in the log are local: UTC here. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_store.c - the SQLite store: the queue's order, the job life cycle,
 * refusals, durability across close and open, and migrations.  Each test
 * has its own temporary folder, removed afterwards; a second sqlite3
 * connection looks at the file directly where the API cannot tell.
 */
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
#include "unit_stderr.h"
#include "unit_store.h"
#include <sqlite3.h>

#include "store.h"
#include "store_sqlite.h"
#include "util.h"

#define REPO1 "/srv/git/one.git"
#define REPO2 "https://example.org/two.git"
#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"
#define C3 "3333333333333333333333333333333333333333"
#define C4 "4444444444444444444444444444444444444444"

/* A request for commit of repo on branch, rebuilt or not. */
#define REQ(repo_, commit_, branch_, rebuild_) \
	(&(struct job_request){ .repo = (repo_), .commit = (commit_), \
	    .branch = (branch_), .rebuild = (rebuild_) })

struct fixture {
	char dir[256];		/* the test's temporary folder */
	char state[300];	/* dir/state, the store's folder */
	struct unit_stderr err;	/* what the store logs, when caught */
	struct store *store;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	if (unit_dir_make(f->dir, sizeof f->dir, "store") == -1)
		return -1;
	snprintf(f->state, sizeof f->state, "%s/state", f->dir);
	f->store = store_open(f->state);
	*state = f;
	return f->store == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unit_stderr_release(&f->err);
	store_close(f->store);
	unit_dir_remove(f->dir);
	free(f);
	return 0;
}

/* Send stderr to a file so expected errors don't clutter a passing run. */
static void
reopen(struct fixture *f)
{
	store_close(f->store);
	f->store = store_open(f->state);
	assert_non_null(f->store);
}

static int64_t
dispatch(struct fixture *f, const char *repo, const char *commit,
    int rebuild, int *existing)
{
	enum job_state st;
	int64_t id = 0;
	int ex;

	assert_int_equal(store_dispatch(f->store, REQ(repo, commit, "main",
	    rebuild), &id, &st, &ex), 0);
	assert_true(id > 0);
	if (existing != NULL)
		*existing = ex;
	return id;
}

/* The id at the front of the queue, 0 if it is empty. */
static int64_t
front(struct fixture *f)
{
	struct job job;
	int64_t id;

	switch (store_next_queued(f->store, &job)) {
	case 0:
		return 0;
	case 1:
		assert_int_equal(job.state, JOB_QUEUED);
		id = job.id;
		job_release(&job);
		return id;
	default:
		fail_msg("store_next_queued failed");
	}
	return -1;
}

static enum job_state
state_of(struct fixture *f, int64_t id)
{
	struct job job;
	enum job_state st;

	assert_int_equal(store_job_get(f->store, id, &job), 1);
	st = job.state;
	job_release(&job);
	return st;
}

/* A second connection on the file, to check what the API doesn't show. */
static int64_t
sql_int(struct fixture *f, const char *sql)
{
	char path[400];
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int64_t v;

	snprintf(path, sizeof path, "%s/ssci.db", f->state);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

static void
sql_exec(struct fixture *f, const char *sql)
{
	char path[400];
	sqlite3 *db;

	snprintf(path, sizeof path, "%s/ssci.db", f->state);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_open_creates(void **state)
{
	struct fixture *f = *state;
	char path[400];
	struct stat st;

	/* The state dir, made on the way; the logs are joblog.c's. */
	assert_int_equal(stat(f->state, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(path, sizeof path, "%s/ssci.db", f->state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(sql_int(f, "SELECT journal_mode = 'wal' "
	    "FROM pragma_journal_mode"), 1);
	assert_int_equal(sql_int(f, "PRAGMA user_version"), 11);
	assert_int_equal(store_count_state(f->store, JOB_QUEUED), 0);
	assert_int_equal(front(f), 0);
}

static void
test_dispatch_queues(void **state)
{
	struct fixture *f = *state;
	struct job job;
	enum job_state st = JOB_ERROR;
	int64_t id = 0;
	int existing = -1;

	assert_int_equal(store_dispatch(f->store, REQ(REPO1, C1, "main", 0), &id,
	    &st, &existing), 0);
	assert_true(id > 0);
	assert_int_equal(st, JOB_QUEUED);
	assert_int_equal(existing, 0);

	assert_int_equal(store_job_get(f->store, id, &job), 1);
	assert_string_equal(job.repo, REPO1);
	assert_string_equal(job.commit, C1);
	assert_string_equal(job.branch, "main");
	assert_int_equal(job.state, JOB_QUEUED);
	assert_int_equal(job.attempt, 0);
	assert_null(job.runner);
	assert_null(job.reason);
	assert_true(job.created_ms > 0);
	assert_int_equal(job.started_ms, 0);
	assert_int_equal(job.finished_ms, 0);
	assert_int_equal(job.exit_code, -1);
	assert_int_equal(job.duration_ms, -1);
	assert_int_equal(job.tests.run, -1);
	assert_int_equal(job.tests.failed, -1);
	assert_int_equal(job.tests.skipped, -1);
	job_release(&job);
	assert_null(job.repo);
	assert_int_equal(store_count_state(f->store, JOB_QUEUED), 1);
}

static void
test_dispatch_duplicate(void **state)
{
	struct fixture *f = *state;
	enum job_state st;
	int64_t id, again;
	int existing;

	id = dispatch(f, REPO1, C1, 0, &existing);
	assert_int_equal(store_job_start(f->store, id, "r1"), 0);
	assert_int_equal(store_dispatch(f->store, REQ(REPO1, C1, NULL, 0), &again,
	    &st, &existing), 0);
	assert_int_equal(again, id);
	assert_int_equal(existing, 1);
	assert_int_equal(st, JOB_RUNNING);
	assert_int_equal(store_count_state(f->store, JOB_QUEUED), 0);
	assert_int_equal(store_count_state(f->store, JOB_RUNNING), 1);
}

static void
test_dispatch_rebuild(void **state)
{
	struct fixture *f = *state;
	int64_t id, rebuilt;
	int existing;

	id = dispatch(f, REPO1, C1, 0, NULL);
	rebuilt = dispatch(f, REPO1, C1, 1, &existing);
	assert_true(rebuilt != id);
	assert_int_equal(existing, 0);
	/* Without rebuild the latest job is the one returned. */
	assert_int_equal(dispatch(f, REPO1, C1, 0, &existing), rebuilt);
	assert_int_equal(existing, 1);
	assert_int_equal(store_count_state(f->store, JOB_QUEUED), 2);
}

static void
test_dispatch_two_repos(void **state)
{
	struct fixture *f = *state;
	struct job job;
	int64_t a, b;
	int existing;

	a = dispatch(f, REPO1, C1, 0, NULL);
	b = dispatch(f, REPO2, C1, 0, &existing);
	assert_true(a != b);
	assert_int_equal(existing, 0);
	assert_int_equal(store_job_get(f->store, b, &job), 1);
	assert_string_equal(job.repo, REPO2);
	job_release(&job);
	assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM repos"), 2);
}

static void
test_queue_fifo(void **state)
{
	struct fixture *f = *state;
	int64_t a, b, c;

	a = dispatch(f, REPO1, C1, 0, NULL);
	b = dispatch(f, REPO2, C2, 0, NULL);
	c = dispatch(f, REPO1, C3, 0, NULL);
	assert_int_equal(front(f), a);
	assert_int_equal(store_job_start(f->store, a, "r1"), 0);
	assert_int_equal(front(f), b);
	assert_int_equal(store_job_start(f->store, b, "r1"), 0);
	assert_int_equal(front(f), c);
	assert_int_equal(store_job_start(f->store, c, "r2"), 0);
	assert_int_equal(front(f), 0);
}

static void
test_start_raises_attempt(void **state)
{
	struct fixture *f = *state;
	struct job job;
	int64_t id;

	id = dispatch(f, REPO1, C1, 0, NULL);
	assert_int_equal(store_job_start(f->store, id, "r1"), 0);
	assert_int_equal(store_job_get(f->store, id, &job), 1);
	assert_int_equal(job.state, JOB_RUNNING);
	assert_int_equal(job.attempt, 1);
	assert_string_equal(job.runner, "r1");
	assert_true(job.started_ms > 0);
	job_release(&job);

	unit_stderr_catch(&f->err);
	assert_int_equal(store_job_start(f->store, id, "r2"), -1);
	assert_non_null(strstr(unit_stderr_release(&f->err), "not queued"));

	assert_int_equal(store_job_requeue(f->store, id, "runner lost"), 0);
	assert_int_equal(store_job_start(f->store, id, "r2"), 0);
	assert_int_equal(store_job_get(f->store, id, &job), 1);
	assert_int_equal(job.attempt, 2);
	assert_string_equal(job.runner, "r2");
	job_release(&job);
}

static void
test_requeue_goes_first(void **state)
{
	struct fixture *f = *state;
	struct job job;
	int64_t a, b, c, d;

	a = dispatch(f, REPO1, C1, 0, NULL);
	b = dispatch(f, REPO1, C2, 0, NULL);
	c = dispatch(f, REPO1, C3, 0, NULL);
	assert_int_equal(store_job_start(f->store, a, "r1"), 0);
	assert_int_equal(store_job_start(f->store, b, "r2"), 0);
	d = dispatch(f, REPO1, C4, 0, NULL);

	assert_int_equal(store_job_requeue(f->store, b, "runner lost"), 0);
	assert_int_equal(front(f), b);
	assert_int_equal(store_job_requeue(f->store, a, "runner lost"), 0);
	assert_int_equal(store_next_queued(f->store, &job), 1);
	assert_int_equal(job.id, a);
	assert_string_equal(job.reason, "runner lost");
	assert_string_equal(job.runner, "r1");
	assert_int_equal(job.attempt, 1);
	job_release(&job);

	/* The rest keep their order: a, b, c, d. */
	assert_int_equal(store_job_start(f->store, a, "r1"), 0);
	assert_int_equal(front(f), b);
	assert_int_equal(store_job_start(f->store, b, "r1"), 0);
	assert_int_equal(front(f), c);
	assert_int_equal(store_job_start(f->store, c, "r1"), 0);
	assert_int_equal(front(f), d);

	unit_stderr_catch(&f->err);
	assert_int_equal(store_job_requeue(f->store, d, "x"), -1);
	assert_non_null(strstr(unit_stderr_release(&f->err), "not running"));
}

static void
test_requeue_running_after_restart(void **state)
{
	struct fixture *f = *state;
	struct job job;
	int64_t a, b, c, d;

	a = dispatch(f, REPO1, C1, 0, NULL);
	b = dispatch(f, REPO1, C2, 0, NULL);
	c = dispatch(f, REPO1, C3, 0, NULL);
	d = dispatch(f, REPO1, C4, 0, NULL);
	assert_int_equal(store_job_start(f->store, a, "r1"), 0);
	assert_int_equal(store_job_start(f->store, b, "r1"), 0);
	assert_int_equal(store_job_start(f->store, c, "r2"), 0);
	assert_int_equal(store_job_finish(f->store, &(struct job_result){
	    .job = a, .state = JOB_PASSED, .exit_code = 0,
	    .tests = { -1, -1, -1 } }), 0);

	reopen(f);
	assert_int_equal(store_requeue_running(f->store), 2);
	assert_int_equal(store_count_state(f->store, JOB_RUNNING), 0);
	assert_int_equal(store_count_state(f->store, JOB_QUEUED), 3);
	assert_int_equal(state_of(f, a), JOB_PASSED);

	/* b and c in front of d, in their old order, attempt kept. */
	assert_int_equal(store_next_queued(f->store, &job), 1);
	assert_int_equal(job.id, b);
	assert_int_equal(job.attempt, 1);
	assert_non_null(job.reason);
	job_release(&job);
	assert_int_equal(store_job_start(f->store, b, "r3"), 0);
	assert_int_equal(front(f), c);
	assert_int_equal(store_job_start(f->store, c, "r3"), 0);
	assert_int_equal(front(f), d);
	assert_int_equal(store_requeue_running(f->store), 2);
	assert_int_equal(front(f), b);
}

static void
test_finish_once(void **state)
{
	struct fixture *f = *state;
	struct job_result res = {
		.state = JOB_FAILED, .exit_code = 1, .duration_ms = 1234,
		.tests = { 10, 2, 3 },
	};
	struct job job;

	res.job = dispatch(f, REPO1, C1, 0, NULL);
	assert_int_equal(store_job_start(f->store, res.job, "r1"), 0);
	assert_int_equal(store_job_finish(f->store, &res), 0);

	/* A second, different result changes nothing. */
	assert_int_equal(store_job_finish(f->store, &(struct job_result){
	    .job = res.job, .state = JOB_PASSED, .exit_code = 0,
	    .duration_ms = 1, .tests = { 1, 0, 0 } }), 1);

	assert_int_equal(store_job_get(f->store, res.job, &job), 1);
	assert_int_equal(job.state, JOB_FAILED);
	assert_int_equal(job.exit_code, 1);
	assert_int_equal(job.duration_ms, 1234);
	assert_int_equal(job.tests.run, 10);
	assert_int_equal(job.tests.failed, 2);
	assert_int_equal(job.tests.skipped, 3);
	assert_true(job.finished_ms >= job.started_ms && job.started_ms > 0);
	assert_null(job.reason);
	job_release(&job);
	assert_int_equal(store_count_state(f->store, JOB_FAILED), 1);
}

static void
test_finish_unknowns(void **state)
{
	struct fixture *f = *state;
	struct job job;
	int64_t running, queued;

	running = dispatch(f, REPO1, C1, 0, NULL);
	queued = dispatch(f, REPO1, C2, 0, NULL);
	assert_int_equal(store_job_start(f->store, running, "r1"), 0);
	assert_int_equal(store_job_finish(f->store, &(struct job_result){
	    .job = running, .state = JOB_ERROR, .exit_code = -1,
	    .duration_ms = -1, .tests = { -1, -1, -1 },
	    .message = "gave up after 3 attempts" }), 0);
	/* A queued job may end too: cancel. */
	assert_int_equal(store_job_finish(f->store, &(struct job_result){
	    .job = queued, .state = JOB_CANCELLED, .exit_code = -1,
	    .duration_ms = -1, .tests = { -1, -1, -1 } }), 0);

	assert_int_equal(store_job_get(f->store, running, &job), 1);
	assert_int_equal(job.state, JOB_ERROR);
	assert_int_equal(job.exit_code, -1);
	assert_int_equal(job.duration_ms, -1);
	assert_int_equal(job.tests.run, -1);
	assert_int_equal(job.tests.skipped, -1);
	assert_string_equal(job.reason, "gave up after 3 attempts");
	job_release(&job);
	assert_int_equal(state_of(f, queued), JOB_CANCELLED);
	assert_int_equal(front(f), 0);
}

static void
test_finish_nonfinal_refused(void **state)
{
	struct fixture *f = *state;
	int64_t id;

	id = dispatch(f, REPO1, C1, 0, NULL);
	assert_int_equal(store_job_start(f->store, id, "r1"), 0);
	unit_stderr_catch(&f->err);
	assert_int_equal(store_job_finish(f->store, &(struct job_result){
	    .job = id, .state = JOB_QUEUED, .exit_code = 0 }), -1);
	assert_non_null(strstr(unit_stderr_release(&f->err), "not a final state"));
	assert_int_equal(state_of(f, id), JOB_RUNNING);
}

static void
test_unknown_job(void **state)
{
	struct fixture *f = *state;
	struct job job;
	const char *err;

	assert_int_equal(store_job_get(f->store, 42, &job), 0);
	unit_stderr_catch(&f->err);
	assert_int_equal(store_job_finish(f->store, &(struct job_result){
	    .job = 42, .state = JOB_PASSED, .exit_code = 0 }), -1);
	assert_int_equal(store_job_start(f->store, 42, "r1"), -1);
	assert_int_equal(store_job_requeue(f->store, 42, "x"), -1);
	err = unit_stderr_release(&f->err);
	assert_non_null(strstr(err, "unable to finish job 42: no such job"));
	assert_non_null(strstr(err, "unable to start job 42"));
	assert_int_equal(store_count_state(f->store, JOB_QUEUED), 0);
}

static void
test_reopen_keeps_everything(void **state)
{
	struct fixture *f = *state;
	struct job job;
	int64_t a, b;
	int existing;

	a = dispatch(f, REPO1, C1, 0, NULL);
	b = dispatch(f, REPO2, C2, 0, NULL);
	assert_int_equal(store_job_start(f->store, a, "r1"), 0);
	assert_int_equal(store_job_finish(f->store, &(struct job_result){
	    .job = a, .state = JOB_PASSED, .exit_code = 0, .duration_ms = 7,
	    .tests = { 4, 0, 1 } }), 0);
	assert_int_equal(store_runner_seen(f->store, "r1", "10.0.0.1:4000"),
	    0);

	reopen(f);
	assert_int_equal(store_requeue_running(f->store), 0);
	assert_int_equal(store_job_get(f->store, a, &job), 1);
	assert_int_equal(job.state, JOB_PASSED);
	assert_string_equal(job.runner, "r1");
	assert_int_equal(job.duration_ms, 7);
	assert_int_equal(job.tests.run, 4);
	assert_int_equal(job.tests.skipped, 1);
	job_release(&job);
	assert_int_equal(front(f), b);
	assert_int_equal(dispatch(f, REPO1, C1, 0, &existing), a);
	assert_int_equal(existing, 1);
	/* Ids are never reused: a new job comes after both. */
	assert_true(dispatch(f, REPO1, C3, 0, NULL) > b);
	assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM runners"), 1);
}

static void
test_runner_seen_upserts(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(store_runner_seen(f->store, "r1", "10.0.0.1:1"), 0);
	assert_int_equal(store_runner_seen(f->store, "r2", NULL), 0);
	assert_int_equal(store_runner_seen(f->store, "r1", "10.0.0.2:2"), 0);
	assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM runners"), 2);
	assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM runners "
	    "WHERE name = 'r1' AND address = '10.0.0.2:2' "
	    "AND last_seen_ms >= first_seen_ms"), 1);
}

static void
test_future_version_refused(void **state)
{
	struct fixture *f = *state;

	dispatch(f, REPO1, C1, 0, NULL);
	store_close(f->store);
	f->store = NULL;
	sql_exec(f, "PRAGMA user_version = 99");
	assert_int_equal(sql_int(f, "PRAGMA user_version"), 99);

	unit_stderr_catch(&f->err);
	assert_null(store_open(f->state));
	assert_non_null(strstr(unit_stderr_release(&f->err), "schema version 99 is newer"));
	/* Refusing did not touch it. */
	assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM jobs"), 1);
}

static void
test_open_unwritable(void **state)
{
	struct fixture *f = *state;
	char file[400], under[500];
	const char *err;
	FILE *fp;

	snprintf(file, sizeof file, "%s/plain", f->dir);
	snprintf(under, sizeof under, "%s/state", file);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);

	unit_stderr_catch(&f->err);
	assert_null(store_open(under));
	err = unit_stderr_release(&f->err);
	assert_non_null(strstr(err, "unable to create"));
	assert_non_null(strstr(err, file));
}

static void
test_open_not_a_database(void **state)
{
	struct fixture *f = *state;
	char other[400], db[450];
	FILE *fp;

	snprintf(other, sizeof other, "%s/other", f->dir);
	snprintf(db, sizeof db, "%s/ssci.db", other);
	assert_int_equal(mkdir(other, 0755), 0);
	fp = fopen(db, "w");
	assert_non_null(fp);
	for (int i = 0; i < 256; i++)
		fputs("this is not an SQLite database\n", fp);
	fclose(fp);

	unit_stderr_catch(&f->err);
	assert_null(store_open(other));
	assert_non_null(strstr(unit_stderr_release(&f->err), db));
}

/* A full queue refuses new jobs but still answers with existing ones. */
static void
test_queue_limit(void **state)
{
	struct fixture *f = *state;
	enum job_state st;
	int64_t first, id;
	int existing;

	store_set_queue_limit(f->store, 2);
	first = dispatch(f, REPO1, C1, 0, NULL);
	dispatch(f, REPO1, C2, 0, NULL);
	assert_int_equal(store_dispatch(f->store, REQ(REPO1, C3, "main", 0), &id,
	    &st, &existing), -2);
	assert_int_equal(store_dispatch(f->store, REQ(REPO1, C1, "main", 0), &id,
	    &st, &existing), 0);
	assert_int_equal(id, first);
	assert_int_equal(existing, 1);
	/* Another repository has its own queue. */
	dispatch(f, REPO2, C3, 0, NULL);
	assert_int_equal(store_count_state(f->store, JOB_QUEUED), 3);
}

/* The lists for the web side and the client. */
static void
test_lists(void **state)
{
	struct fixture *f = *state;
	struct job_filter all = { .limit = 10 }, one = { .repo = REPO2,
	    .limit = 10 };
	struct job job;
	int64_t counts[JOB_STATES], oldest;
	int n = 0;

	dispatch(f, REPO1, C1, 0, NULL);
	dispatch(f, REPO1, C2, 0, NULL);
	dispatch(f, REPO2, C3, 0, NULL);
	assert_int_equal(store_list_jobs(f->store, &all, unit_count_job, &n),
	    3);
	n = 0;
	assert_int_equal(store_list_jobs(f->store, &one, unit_count_job, &n),
	    1);
	assert_int_equal(store_list_queue(f->store, 2, unit_count_job, &n), 2);
	assert_int_equal(store_list_heads(f->store, unit_count_job, &n), 2);
	assert_int_equal(store_count_states(f->store, counts), 0);
	assert_int_equal(counts[JOB_QUEUED], 3);
	assert_int_equal(store_oldest_queued(f->store, &oldest), 1);
	assert_int_equal(store_job_by_commit(f->store, "2222", &job), 1);
	assert_string_equal(job.commit, C2);
	job_release(&job);
	assert_int_equal(store_job_by_commit(f->store, "9999", &job), 0);
	assert_int_equal(store_job_by_commit(f->store, "zz%_", &job), -1);
}

/* Ids that share a prefix up to a digit at either end of the hex range. */
#define P9A "abc9000000000000000000000000000000000000"
#define P9B "abc9ffffffffffffffffffffffffffffffffffff"
#define PA "abca000000000000000000000000000000000000"
#define PF "abcf000000000000000000000000000000000000"
#define PG "abd0000000000000000000000000000000000000"

static void
test_commit_prefix_is_a_range(void **state)
{
	struct fixture *f = *state;
	struct job job;
	int64_t a, b;

	a = dispatch(f, REPO1, P9A, 0, NULL);
	b = dispatch(f, REPO1, P9B, 0, NULL);
	dispatch(f, REPO1, PA, 0, NULL);
	dispatch(f, REPO1, PF, 0, NULL);
	dispatch(f, REPO1, PG, 0, NULL);
	/* The latest of the commits the prefix names. */
	assert_int_equal(store_job_by_commit(f->store, "abc9", &job), 1);
	assert_int_equal(job.id, b);
	job_release(&job);
	assert_int_equal(store_job_by_commit(f->store, "ABC90", &job), 1);
	assert_int_equal(job.id, a);
	job_release(&job);
	assert_int_equal(store_job_by_commit(f->store, "abcf", &job), 1);
	assert_string_equal(job.commit, PF);
	job_release(&job);
	assert_int_equal(store_job_by_commit(f->store, "abca", &job), 1);
	assert_string_equal(job.commit, PA);
	job_release(&job);
	assert_int_equal(store_job_by_commit(f->store, P9B, &job), 1);
	assert_int_equal(job.id, b);
	job_release(&job);
	assert_int_equal(store_job_by_commit(f->store, "abce", &job), 0);
	assert_int_equal(store_job_by_commit(f->store, "abc", &job), -1);
}

/* What EXPLAIN QUERY PLAN says of statement st, its lines joined. */
static void
query_plan(struct fixture *f, enum store_stmt st, char *out, size_t size)
{
	char path[400], *sql;
	sqlite3_stmt *stmt;
	sqlite3 *db;
	size_t n = 0;

	snprintf(path, sizeof path, "%s/ssci.db", f->state);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	xasprintf(&sql, "EXPLAIN QUERY PLAN %s", store_sql[st].sql);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	    SQLITE_OK);
	out[0] = '\0';
	while (sqlite3_step(stmt) == SQLITE_ROW && n < size)
		n += (size_t)snprintf(out + n, size - n, "%s\n",
		    (const char *)sqlite3_column_text(stmt, 3));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	free(sql);
}

static void
test_commit_lookup_uses_the_index(void **state)
{
	struct fixture *f = *state;
	char plan[1024];

	dispatch(f, REPO1, C1, 0, NULL);
	query_plan(f, ST_JOB_BY_COMMIT, plan, sizeof plan);
	assert_non_null(strstr(plan, "USING INDEX jobs_commit_id"));
	assert_null(strstr(plan, "SCAN jobs"));
}

/*
 * A test's history on a branch is an index seek, and a job's counts and
 * failed tests never walk other jobs' runs (nor, for the counts, its own).
 */
static void
test_test_queries_use_their_indexes(void **state)
{
	struct fixture *f = *state;
	char plan[1024];

	dispatch(f, REPO1, C1, 0, NULL);
	query_plan(f, ST_TEST_HISTORY, plan, sizeof plan);
	assert_non_null(strstr(plan, "USING INDEX test_runs_history (test_id=? "
	    "AND branch=?"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	query_plan(f, ST_JOB_TEST_COUNTS, plan, sizeof plan);
	assert_non_null(strstr(plan, "USING INDEX tests_quarantined"));
	assert_non_null(strstr(plan, "test_runs_history (test_id=? AND "
	    "branch=? AND job_id=? AND attempt=?)"));
	assert_null(strstr(plan, "SCAN"));
	/* A split reads each test's last runs, never all of them. */
	query_plan(f, ST_TEST_DURATIONS, plan, sizeof plan);
	assert_non_null(strstr(plan, "CORRELATED LIST SUBQUERY"));
	assert_non_null(strstr(plan, "test_runs_history (test_id=? AND "
	    "branch=? AND job_id<?)"));
	assert_non_null(strstr(plan, "jobs_shard_of (shard_of=?)"));
	assert_null(strstr(plan, "SCAN"));
	query_plan(f, ST_SHARDED_TESTS_FAILED, plan, sizeof plan);
	assert_non_null(strstr(plan, "jobs_shard_of (shard_of=?)"));
	assert_non_null(strstr(plan, "test_runs_job (job_id=? AND "
	    "attempt=?)"));
	assert_null(strstr(plan, "SCAN"));
	query_plan(f, ST_JOB_TESTS_FAILED, plan, sizeof plan);
	assert_non_null(strstr(plan, "USING INDEX test_runs_job (job_id=? AND "
	    "attempt=?)"));
	assert_null(strstr(plan, "SCAN"));
	assert_null(strstr(plan, "TEMP B-TREE"));
}

static void
test_dispatch_keeps_subject_author_and_retry(void **state)
{
	struct fixture *f = *state;
	struct job_request request = {
		.repo = REPO1, .commit = C1, .branch = "main",
		.subject = "Fix the frobnicator", .author = "Ada <ada@x.org>",
	};
	enum job_state st;
	struct job job;
	int64_t id, again;
	int existing;

	assert_int_equal(store_dispatch(f->store, &request, &id, &st,
	    &existing), 0);
	request.rebuild = 1;
	request.retry_of = id;
	assert_int_equal(store_dispatch(f->store, &request, &again, &st,
	    &existing), 0);
	assert_int_equal(store_job_get(f->store, id, &job), 1);
	assert_string_equal(job.subject, "Fix the frobnicator");
	assert_string_equal(job.author, "Ada <ada@x.org>");
	assert_int_equal(job.retry_of, 0);
	job_release(&job);
	assert_int_equal(store_job_get(f->store, again, &job), 1);
	assert_int_equal(job.retry_of, id);
	assert_string_equal(job.subject, "Fix the frobnicator");
	job_release(&job);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates),
		T(test_dispatch_queues),
		T(test_dispatch_duplicate),
		T(test_dispatch_rebuild),
		T(test_dispatch_two_repos),
		T(test_queue_fifo),
		T(test_start_raises_attempt),
		T(test_requeue_goes_first),
		T(test_requeue_running_after_restart),
		T(test_finish_once),
		T(test_finish_unknowns),
		T(test_finish_nonfinal_refused),
		T(test_unknown_job),
		T(test_reopen_keeps_everything),
		T(test_runner_seen_upserts),
		T(test_future_version_refused),
		T(test_open_unwritable),
		T(test_open_not_a_database),
		T(test_queue_limit),
		T(test_lists),
		T(test_commit_prefix_is_a_range),
		T(test_commit_lookup_uses_the_index),
		T(test_test_queries_use_their_indexes),
		T(test_dispatch_keeps_subject_author_and_retry),
	};

	log_init("test_store", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

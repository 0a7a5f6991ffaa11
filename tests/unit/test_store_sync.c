/* SPDX-License-Identifier: MIT */
/*
 * test_store_sync.c - which of the SQLite store's commits wait for the
 * disk.  A dispatch and a result are acknowledged as kept through a power
 * cut, so each commit syncs the log; a job's start need not (the job is
 * queued again and its runner adopts it), so it syncs nothing.  Between
 * store_sync_hold and store_sync_release the commits sync nothing and
 * the release syncs them all once.  The
 * store's calls of fdatasync and fsync, from inside SQLite, are counted by
 * this file's own definitions, which the dynamic linker finds before the
 * C library's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "unit_stderr.h"
#include "unit_store.h"

static int syncs;
static int fail_next_sync;

int
fdatasync(int fd)
{
	syncs++;
	if (fail_next_sync) {
		fail_next_sync = 0;
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_fdatasync, fd);
}

int
fsync(int fd)
{
	syncs++;
	return (int)syscall(SYS_fsync, fd);
}

UNIT_STORE_FIXTURE("store-sync")

/* Syncs that fn(u, id) made. */
static int
syncs_of(int (*fn)(struct unit_store *, int64_t), struct unit_store *u,
    int64_t id, int want)
{
	int before = syncs;

	assert_int_equal(fn(u, id), want);
	return syncs - before;
}

#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"

/* A new job of commit; the store must have synced its dispatch. */
static int64_t
dispatch_synced(struct unit_store *u, const char *commit)
{
	int before = syncs;
	int64_t id = unit_dispatch(u, "https://example.org/a.git", commit,
	    NULL, 0);

	assert_true(syncs > before);
	return id;
}

static int
start(struct unit_store *u, int64_t id)
{
	return store_job_start(u->store, id, "r1");
}

static int
finish(struct unit_store *u, int64_t id)
{
	return store_job_finish(u->store, &(struct job_result){ .job = id,
	    .state = JOB_PASSED, .exit_code = 0, .duration_ms = 1 });
}

static void
test_start_unsynced_the_rest_synced(void **state)
{
	struct unit_store *u = *state;
	int64_t id = dispatch_synced(u, C1);

	assert_int_equal(syncs_of(start, u, id, 0), 0);
	assert_int_equal(unit_job_state(u, id), JOB_RUNNING);
	assert_true(syncs_of(finish, u, id, 0) > 0);
}

/* A start that is refused is rolled back with synchronous=NORMAL still
 * set: the next commit that must be kept is synced all the same. */
static void
test_refused_start_leaves_the_next_synced(void **state)
{
	struct unit_store *u = *state;
	int64_t id = dispatch_synced(u, C1);

	assert_int_equal(syncs_of(start, u, id, 0), 0);
	assert_int_equal(syncs_of(start, u, id, -1), 0);
	dispatch_synced(u, C2);
	assert_true(syncs_of(finish, u, id, 0) > 0);
}

/* The unsynced start is in the store for whoever opens it next. */
static void
test_unsynced_start_kept(void **state)
{
	struct unit_store *u = *state;
	int64_t id = dispatch_synced(u, C1);

	assert_int_equal(start(u, id), 0);
	store_close(u->store);
	u->store = store_open(u->state);
	assert_non_null(u->store);
	assert_int_equal(unit_job_state(u, id), JOB_RUNNING);
}

#define C3 "3333333333333333333333333333333333333333"

static int64_t
dispatch(struct unit_store *u, const char *commit)
{
	return unit_dispatch(u, "https://example.org/a.git", commit, NULL, 0);
}

/* A burst of dispatches held: none syncs, the release syncs once. */
static void
test_held_commits_synced_once(void **state)
{
	struct unit_store *u = *state;
	int64_t before;
	int n;

	dispatch_synced(u, C1);
	before = store_syncs(u->store);
	n = syncs;
	store_sync_hold(u->store);
	dispatch(u, C2);
	dispatch(u, C3);
	finish(u, dispatch(u, "4444444444444444444444444444444444444444"));
	assert_int_equal(syncs, n);
	store_sync_release(u->store);
	assert_int_equal(syncs, n + 1);
	assert_int_equal(store_syncs(u->store), before + 1);
	/* Released: the next commit syncs by itself again. */
	dispatch_synced(u, "5555555555555555555555555555555555555555");
	assert_int_equal(store_syncs(u->store), before + 2);
}

/* Nothing to keep (no commit, or only a start): the release waits for
 * nothing. */
static void
test_release_without_a_change_syncs_nothing(void **state)
{
	struct unit_store *u = *state;
	int64_t id = dispatch_synced(u, C1);
	int n = syncs;

	store_sync_hold(u->store);
	store_sync_release(u->store);
	store_sync_hold(u->store);
	assert_int_equal(start(u, id), 0);
	store_sync_release(u->store);
	assert_int_equal(syncs, n);
	assert_true(syncs_of(finish, u, id, 0) > 0);
}

/* The child's store, closed as it exits: nothing left for valgrind. */
static struct unit_store *exiting;

static void
close_at_exit(void)
{
	store_close(exiting->store);
	exiting->store = NULL;
}

/*
 * A release whose sync fails ends the process, saying why: after it the
 * kernel may have dropped the log's pages, and no later sync could say
 * that what was answered is kept.  Run in a child, which exits.
 */
static void
test_failed_release_ends_the_process(void **state)
{
	struct unit_store *u = *state;
	struct unit_stderr err;
	const char *said;
	int status;
	pid_t pid;

	dispatch_synced(u, C1);
	unit_stderr_catch(&err);
	if ((pid = fork()) == 0) {
		exiting = u;
		atexit(close_at_exit);
		store_sync_hold(u->store);
		dispatch(u, C2);
		fail_next_sync = 1;
		store_sync_release(u->store);
		_exit(0);
	}
	assert_int_not_equal(pid, -1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	said = unit_stderr_release(&err);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_non_null(strstr(said, "unable to sync '"));
	assert_non_null(strstr(said, "ssci.db-wal': disk I/O error; "
	    "stopping"));
}

/* What was committed while holding is in the store at once: a kill -9
 * before the release loses none of it. */
static void
test_held_commits_kept(void **state)
{
	struct unit_store *u = *state;
	int64_t id;

	store_sync_hold(u->store);
	id = dispatch(u, C1);
	store_close(u->store);
	u->store = store_open(u->state);
	assert_non_null(u->store);
	assert_int_equal(unit_job_state(u, id), JOB_QUEUED);
}

static int
adopt(struct unit_store *u, int64_t id)
{
	return store_job_adopt(u->store, id, "r2");
}

/* A change that commits by itself (no BEGIN), made while holding after
 * a start left synchronous=NORMAL, is owed to the release as a commit
 * is; outside a hold the same change syncs by itself. */
static void
test_held_change_alone_owed(void **state)
{
	struct unit_store *u = *state;
	int64_t id = dispatch_synced(u, C1);
	int n;

	store_sync_hold(u->store);
	assert_int_equal(start(u, id), 0);
	n = syncs;
	assert_int_equal(adopt(u, id), 0);
	assert_int_equal(syncs, n);
	store_sync_release(u->store);
	assert_int_equal(syncs, n + 1);
	assert_int_equal(syncs_of(start, u, id, -1), 0);
	assert_true(syncs_of(adopt, u, id, 0) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_start_unsynced_the_rest_synced, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_refused_start_leaves_the_next_synced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsynced_start_kept,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_commits_synced_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_release_without_a_change_syncs_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_release_ends_the_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_commits_kept,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_change_alone_owed,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

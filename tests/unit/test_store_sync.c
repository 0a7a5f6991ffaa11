/* SPDX-License-Identifier: MIT */
/*
 * test_store_sync.c - which of the SQLite store's commits wait for the
 * disk.  A dispatch and a result are acknowledged as kept through a power
 * cut, so each commit syncs the log; a job's start need not (the job is
 * queued again and its runner adopts it), so it syncs nothing.  The
 * store's calls of fdatasync and fsync, from inside SQLite, are counted by
 * this file's own definitions, which the dynamic linker finds before the
 * C library's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "unit_store.h"

static int syncs;

int
fdatasync(int fd)
{
	syncs++;
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

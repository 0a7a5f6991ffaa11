/* SPDX-License-Identifier: MIT */
/*
 * test_store_read_errors.c - a list that the database cannot read is an
 * error, not an empty list: the page or the API shows "unable to" rather
 * than "no jobs".  The disk's refusal is made by this file's own pread64,
 * which the dynamic linker finds before the C library's; a change from a
 * second connection makes the store read its pages again.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "unit_stderr.h"
#include "unit_store.h"

static int fail_reads;

ssize_t pread64(int fd, void *buf, size_t count, off_t offset);

ssize_t
pread64(int fd, void *buf, size_t count, off_t offset)
{
	if (fail_reads) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)syscall(SYS_pread64, fd, buf, count, offset);
}

UNIT_STORE_FIXTURE("store-read-errors")

/* A change by another connection: the store's cached pages are stale. */
static void
change_behind(struct unit_store *u)
{
	char path[400];
	sqlite3 *db;

	snprintf(path, sizeof path, "%s/ssci.db", u->state);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "UPDATE jobs SET subject = 'changed'", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
}

static void
test_unreadable_list_is_an_error(void **state)
{
	struct unit_store *u = *state;
	struct job_filter filter = { .limit = 10 };
	struct unit_stderr caught;
	const char *said;
	int seen = 0;

	unit_dispatch(u, "https://example.org/a.git",
	    "1111111111111111111111111111111111111111", NULL, 0);
	unit_dispatch(u, "https://example.org/a.git",
	    "2222222222222222222222222222222222222222", NULL, 0);
	change_behind(u);
	unit_stderr_catch(&caught);
	fail_reads = 1;
	assert_int_equal(store_list_jobs(u->store, &filter, unit_count_job,
	    &seen), -1);
	fail_reads = 0;
	said = unit_stderr_release(&caught);
	assert_non_null(strstr(said, "unable to"));
	assert_int_equal(seen, 0);
	assert_int_equal(store_list_jobs(u->store, &filter, unit_count_job,
	    &seen), 2);
	assert_int_equal(seen, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_unreadable_list_is_an_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

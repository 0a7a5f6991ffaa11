/* SPDX-License-Identifier: MIT */
/*
 * test_joblog.c - a job's log file where the store keeps logs too (as
 * PostgreSQL's does; here a real SQLite store told to): a first attempt
 * makes its file at its first output, and until then a reader does not
 * look in the store, which holds nothing of it; any other log missing
 * here is read from the store into its file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "joblog.h"
#include "unit_store.h"
#include "util.h"

UNIT_STORE_FIXTURE("joblog")

struct fixture {
	struct unit_store *u;
	struct joblogs logs;
	int64_t job;
};

static struct fixture
fixture(void **state)
{
	struct fixture f = { .u = *state };

	assert_int_equal(joblogs_init(&f.logs, f.u->state, 1 << 20), 0);
	f.logs.store = f.u->store;	/* keeping logs, as PostgreSQL's */
	f.job = unit_dispatch(f.u, "/r", "0123456789abcdef0123456789abcdef"
	    "01234567", NULL, 0);
	return f;
}

/* The job's log file: its text, or NULL when there is none. */
static char *
file_of(struct fixture *f, int64_t job)
{
	char *path = joblog_path(&f->logs, job), *data = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) != NULL) {
		data = calloc(1, 4096);
		assert_non_null(data);
		len = fread(data, 1, 4095, fp);
		data[len] = '\0';
		fclose(fp);
	}
	free(path);
	return data;
}

/* Read as a reader does: the path, the log fetched first if need be. */
static char *
read_as_reader(struct fixture *f, int64_t job)
{
	free(joblog_read_path(&f->logs, job));
	return file_of(f, job);
}

static void
test_first_attempt_makes_its_file_at_its_first_output(void **state)
{
	struct fixture f = fixture(state);
	struct joblog log;
	char *data;

	assert_int_equal(joblog_open(&f.logs, &log, f.job, 2), 0);
	assert_null(file_of(&f, f.job));
	joblog_append(&f.logs, &log, "hello\n", 6);
	data = file_of(&f, f.job);
	assert_string_equal(data, "hello\n");
	free(data);
	joblog_close(&log);
	joblogs_release(&f.logs);
}

static void
test_quiet_first_attempt_is_not_looked_for_in_the_store(void **state)
{
	struct fixture f = fixture(state);
	struct joblog log;
	char *data;

	assert_int_equal(joblog_open(&f.logs, &log, f.job, 2), 0);
	/*
	 * What only the store holds is not read for a first attempt begun
	 * here (it cannot be its log): no file is made for it.
	 */
	assert_int_equal(store_log_append(f.u->store, f.job, "other\n", 6), 0);
	assert_null(read_as_reader(&f, f.job));
	/* Its first output makes the file, and then it is read as written. */
	joblog_append(&f.logs, &log, "mine\n", 5);
	data = read_as_reader(&f, f.job);
	assert_string_equal(data, "mine\n");
	free(data);
	joblog_close(&log);
	joblogs_release(&f.logs);
}

static void
test_a_log_missing_here_is_read_from_the_store(void **state)
{
	struct fixture f = fixture(state);
	char *data;

	/* Written under another dispatcher: the store's, no file here. */
	assert_int_equal(store_log_append(f.u->store, f.job, "there\n", 6), 0);
	data = read_as_reader(&f, f.job);
	assert_string_equal(data, "there\n");
	free(data);
	joblogs_release(&f.logs);
}

static void
test_a_new_attempt_is_no_longer_quiet(void **state)
{
	struct fixture f = fixture(state);
	struct joblog log;
	char *data, *path;

	assert_int_equal(joblog_open(&f.logs, &log, f.job, 2), 0);
	joblog_close(&log);
	/* A second attempt begins with its log emptied, file and store. */
	assert_int_equal(joblog_open(&f.logs, &log, f.job, 1), 0);
	joblog_close(&log);
	path = joblog_path(&f.logs, f.job);
	assert_int_equal(unlink(path), 0);	/* as a restart drops it */
	free(path);
	assert_int_equal(store_log_append(f.u->store, f.job, "again\n", 6), 0);
	data = read_as_reader(&f, f.job);
	assert_string_equal(data, "again\n");
	free(data);
	joblogs_release(&f.logs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_first_attempt_makes_its_file_at_its_first_output,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_quiet_first_attempt_is_not_looked_for_in_the_store,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_log_missing_here_is_read_from_the_store,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_new_attempt_is_no_longer_quiet, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

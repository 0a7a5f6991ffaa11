/* SPDX-License-Identifier: MIT */
/*
 * test_pg_message.c - a PostgreSQL error as the store logs it: on one
 * line, its control characters escaped, and without the server's DETAIL,
 * HINT and CONTEXT, where a failing row (a secret's value among its
 * columns) is quoted whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store_pg.h"

static void
test_detail_left_out(void **state)
{
	char buf[512];

	(void)state;
	pg_message("ERROR:  new row for relation \"secrets\" violates check "
	    "constraint \"x\"\nDETAIL:  Failing row contains (repo, NAME, "
	    "hunter2).\nHINT:  hunter3\nCONTEXT:  hunter4\n", buf,
	    sizeof buf);
	assert_string_equal(buf, "ERROR: new row for relation \"secrets\" "
	    "violates check constraint \"x\"");
	pg_message("ERROR:  boom\nHINT:  hunter3\n", buf, sizeof buf);
	assert_string_equal(buf, "ERROR: boom");
}

static void
test_one_line(void **state)
{
	char buf[512];

	(void)state;
	/* A connection's failure spans lines with no DETAIL: kept whole. */
	pg_message("connection to server on socket \"/s/.s.PGSQL.5\" "
	    "failed: No such file or directory\n\tIs the server running "
	    "locally?\n", buf, sizeof buf);
	assert_string_equal(buf, "connection to server on socket "
	    "\"/s/.s.PGSQL.5\" failed: No such file or directory Is the "
	    "server running locally?");
	pg_message(NULL, buf, sizeof buf);
	assert_string_equal(buf, "no answer from the server");
	pg_message("", buf, sizeof buf);
	assert_string_equal(buf, "no answer from the server");
}

static void
test_controls_escaped(void **state)
{
	char buf[512];

	(void)state;
	pg_message("ERROR:  bad \x1b[31mred\x7f\r branch\n", buf, sizeof buf);
	assert_null(strchr(buf, '\x1b'));
	assert_null(strchr(buf, '\x7f'));
	assert_null(strchr(buf, '\r'));
	assert_non_null(strstr(buf, "red"));
	assert_non_null(strstr(buf, "branch"));
}

static void
test_cut_to_buffer(void **state)
{
	char big[2000], buf[64];

	(void)state;
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	pg_message(big, buf, sizeof buf);
	assert_true(strlen(buf) < sizeof buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detail_left_out),
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_cut_to_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

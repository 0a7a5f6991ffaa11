/* SPDX-License-Identifier: MIT */
/*
 * test_shard.c - a `list` command's ids (blank lines, banners and
 * summaries skipped, duplicates once, hostile lines refused) and the split
 * of tests into shards by expected time (longest first to the least
 * loaded; unknown durations as the median; the same split every time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard.h"
#include "util.h"

static void
test_list_of_pytest(void **state)
{
	static const char out[] =
	    "tests/test_a.py::test_one\n"
	    "  tests/test_a.py::test_two  \r\n"
	    "\n"
	    "tests/test_b.py::TestX::test_three[1-2]\n"
	    "tests/test_a.py::test_one\n"
	    "\n"
	    "3 tests collected in 0.03s\n";
	char err[200], **ids;
	size_t n;

	(void)state;
	assert_int_equal(shard_list_parse(out, strlen(out), &ids, &n, err,
	    sizeof err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ids[0], "tests/test_a.py::test_one");
	assert_string_equal(ids[1], "tests/test_a.py::test_two");
	assert_string_equal(ids[2], "tests/test_b.py::TestX::test_three[1-2]");
	assert_null(ids[3]);
	strv_free(ids, n);
}

static void
test_list_skips_what_is_no_id(void **state)
{
	static const char out[] =
	    "===== warnings summary =====\n"
	    "no tests ran in 0.01s\n"
	    "1 error in 0.05s\n"
	    "test_in_3s\n"			/* an id, not a summary */
	    "mod.Class.test_x";			/* no newline at the end */
	char err[200], **ids;
	size_t n;

	(void)state;
	assert_int_equal(shard_list_parse(out, strlen(out), &ids, &n, err,
	    sizeof err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "test_in_3s");
	assert_string_equal(ids[1], "mod.Class.test_x");
	strv_free(ids, n);
	assert_int_equal(shard_list_parse("", 0, &ids, &n, err, sizeof err), 0);
	assert_int_equal(n, 0);
	strv_free(ids, n);
}

static void
refused(const char *text, size_t len, const char *want)
{
	char err[200] = "", **ids = NULL;
	size_t n = 0;

	assert_int_equal(shard_list_parse(text, len, &ids, &n, err, sizeof err),
	    -1);
	if (strcmp(err, want) != 0)
		fail_msg("got '%s', want '%s'", err, want);
}

static void
test_list_refuses_hostile_lines(void **state)
{
	char *big, *many;
	size_t len = 0;

	(void)state;
	refused("ok\nbad\x1b[2Jid\n", 11, "list: line 2: a test id holds a "
	    "control character");
	refused("a\0b\n", 4, "list: line 1: a test id holds a control "
	    "character");
	refused("\xff\xfe\n", 3, "list: line 1: a test id is not UTF-8");
	big = xmalloc(SHARD_MAX_ID + 2);
	memset(big, 'x', SHARD_MAX_ID + 1);
	big[SHARD_MAX_ID + 1] = '\0';
	refused(big, strlen(big), "list: line 1: a test id is longer than "
	    "1024 bytes");
	free(big);
	many = xmalloc((SHARD_MAX_TESTS + 1) * 8);
	for (int i = 0; i <= SHARD_MAX_TESTS; i++)
		len += (size_t)sprintf(many + len, "t%d\n", i);
	refused(many, len, "list: line 100001: more than 100000 test ids");
	free(many);
}

static void
test_split_longest_first(void **state)
{
	/* One long test, a few middling, many short: 4 shards. */
	struct shard_test tests[12] = {
		{ "long", 20000 }, { "m1", 5000 }, { "m2", 5000 },
		{ "m3", 5000 }, { "m4", 5000 },
	};
	char names[7][16];
	int shard[12];
	int64_t totals[4];

	(void)state;
	for (int i = 0; i < 7; i++) {
		snprintf(names[i], sizeof names[i], "s%d", i);
		tests[5 + i] = (struct shard_test){ names[i], 1000 };
	}
	assert_int_equal(shard_split(tests, 12, 4, shard, totals), 0);
	/* long alone on shard 0; the middling ones each on another. */
	assert_int_equal(shard[0], 0);
	for (int i = 5; i < 12; i++)
		assert_int_not_equal(shard[i], -1);
	assert_int_equal(totals[0] + totals[1] + totals[2] + totals[3], 47000);
	/* The long test alone sets the wall time; the rest fills in around
	 * it, each to the least loaded: m4 joins m1, the short ones go to
	 * the two lighter shards in turn. */
	assert_int_equal(totals[0], 20000);
	assert_int_equal(totals[1], 10000);
	assert_int_equal(totals[2], 9000);
	assert_int_equal(totals[3], 8000);
	assert_int_equal(shard[1], 1);
	assert_int_equal(shard[4], 1);
	assert_int_equal(shard_split(tests, 12, 0, shard, totals), -1);
	assert_int_equal(shard_split(tests, 12, SHARD_MAX_SHARDS + 1, shard,
	    NULL), -1);
}

static void
test_split_unknown_as_median_and_stable(void **state)
{
	struct shard_test tests[] = {
		{ "b", 300 }, { "a", -1 }, { "c", 100 }, { "d", 200 },
		{ "e", -1 },
	};
	int shard[5], again[5];
	int64_t totals[5];

	(void)state;
	/* Median of 100, 200, 300: 200 for a and e. */
	assert_int_equal(shard_split(tests, 5, 2, shard, totals), 0);
	assert_int_equal(totals[0] + totals[1], 1000);
	/* Longest first, ties by id: b, a, d, e, c, each to the least
	 * loaded shard, the lower on a tie. */
	assert_int_equal(shard[0], 0);		/* b: 0 and 0 */
	assert_int_equal(shard[1], 1);		/* a: 300 and 0 */
	assert_int_equal(shard[3], 1);		/* d: 300 and 200 */
	assert_int_equal(shard[4], 0);		/* e: 300 and 400 */
	assert_int_equal(shard[2], 1);		/* c: 500 and 400 */
	assert_int_equal(totals[0], 500);
	assert_int_equal(totals[1], 500);
	assert_int_equal(shard_split(tests, 5, 2, again, NULL), 0);
	assert_memory_equal(shard, again, sizeof shard);
	/* Nothing known: 1 ms each, round the shards. */
	tests[0].duration_us = tests[2].duration_us = tests[3].duration_us = -1;
	assert_int_equal(shard_split(tests, 5, 5, shard, totals), 0);
	for (int s = 0; s < 5; s++)
		assert_int_equal(totals[s], 1000);
	/* One shard takes all. */
	assert_int_equal(shard_split(tests, 5, 1, shard, totals), 0);
	assert_int_equal(totals[0], 5000);
}

/* A listed id finds its recorded name: pytest's node ids, others as is. */
static void
test_id_names(void **state)
{
	char out[64];

	(void)state;
	shard_id_name("tests/test_x.py::TestK::test_y[1-a]", out, sizeof out);
	assert_string_equal(out, "tests.test_x.TestK.test_y[1-a]");
	shard_id_name("test_x.py::test_y", out, sizeof out);
	assert_string_equal(out, "test_x.test_y");
	shard_id_name("pkg.mod.Class.test_a", out, sizeof out);
	assert_string_equal(out, "pkg.mod.Class.test_a");
	shard_id_name("dir/check::case", out, sizeof out);
	assert_string_equal(out, "dir.check.case");
	shard_id_name("tests/test_long_name.py::t", out, 8);
	assert_string_equal(out, "tests.t");
}

/* $SSCI_TESTS: bare words where a shell leaves them be, else quoted. */
static void
test_tests_words(void **state)
{
	char *ids[] = { "tests/a.py::t[1]", "it's two", "x$y" };
	char *s;

	(void)state;
	s = shard_tests_words(ids, 3, 1000);
	assert_string_equal(s, "tests/a.py::t[1] 'it'\\''s two' 'x$y'");
	free(s);
	s = shard_tests_words(ids, 1, 16);
	assert_string_equal(s, "tests/a.py::t[1]");
	free(s);
	assert_null(shard_tests_words(ids, 1, 15));
	assert_null(shard_tests_words(ids, 3, 30));
	s = shard_tests_words(ids, 0, 10);
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_of_pytest),
		cmocka_unit_test(test_list_skips_what_is_no_id),
		cmocka_unit_test(test_list_refuses_hostile_lines),
		cmocka_unit_test(test_split_longest_first),
		cmocka_unit_test(test_split_unknown_as_median_and_stable),
		cmocka_unit_test(test_id_names),
		cmocka_unit_test(test_tests_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

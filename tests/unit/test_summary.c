/* SPDX-License-Identifier: MIT */
/*
 * test_summary.c - the test-count reader on real unittest, pytest, go,
 * cargo, ctest, Maven and TAP output, fed whole, a byte at a time and split at every position, since a
 * runner hands it whatever chunks the pipe gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "summary.h"

/* unittest's rules, 70 characters wide. */
#define DASHES "-----------------------------------"	\
	"-----------------------------------\n"
#define EQUALS "==================================="	\
	"===================================\n"

/* python3.11 -m unittest -v, one skip and one expected failure. */
static const char ut_ok[] =
	"test_a (test_ok.T.test_a) ... ok\n"
	"test_b (test_ok.T.test_b) ... ok\n"
	"test_c (test_ok.T.test_c) ... skipped 'no network'\n"
	"test_xf (test_ok.T.test_xf) ... expected failure\n"
	"\n"
	DASHES
	"Ran 4 tests in 0.000s\n"
	"\n"
	"OK (skipped=1, expected failures=1)\n";

/* python3.11 -m unittest with every kind of outcome. */
static const char ut_failed[] =
	"EF.sxu\n"
	EQUALS
	"ERROR: test_err (test_x.T.test_err)\n"
	DASHES
	"Traceback (most recent call last):\n"
	"  File \"/tmp/samp/test_x.py\", line 5, in test_err\n"
	"    def test_err(self): raise ValueError(\"boom\")\n"
	"                        ^^^^^^^^^^^^^^^^^^^^^^^^\n"
	"ValueError: boom\n"
	"\n"
	EQUALS
	"FAIL: test_fail (test_x.T.test_fail)\n"
	DASHES
	"Traceback (most recent call last):\n"
	"  File \"/tmp/samp/test_x.py\", line 4, in test_fail\n"
	"    def test_fail(self): self.assertEqual(1, 2)\n"
	"                         ^^^^^^^^^^^^^^^^^^^^^^\n"
	"AssertionError: 1 != 2\n"
	"\n"
	EQUALS
	"UNEXPECTED SUCCESS: test_xp (test_x.T.test_xp)\n"
	DASHES
	"Ran 6 tests in 0.001s\n"
	"\n"
	"FAILED (failures=1, errors=1, skipped=1, expected failures=1, "
	"unexpected successes=1)\n";

/* pytest 7.2.1 with every kind of outcome. */
static const char py_mixed[] =
	"============================= test session starts "
	"==============================\n"
	"platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0+repack\n"
	"rootdir: /tmp/samp\n"
	"collected 10 items\n"
	"\n"
	"test_py.py ...FFsxX.E                                                "
	"    [100%]\n"
	"\n"
	"==================================== ERRORS "
	"====================================\n"
	"___________________________ ERROR at setup of test_e "
	"___________________________\n"
	"\n"
	"    @pytest.fixture\n"
	">   def broken(): raise RuntimeError(\"fixture\")\n"
	"E   RuntimeError: fixture\n"
	"\n"
	"test_py.py:15: RuntimeError\n"
	"=================================== FAILURES "
	"===================================\n"
	"___________________________________ test_f1 "
	"____________________________________\n"
	"\n"
	">   def test_f1(): assert 1 == 2\n"
	"E   assert 1 == 2\n"
	"\n"
	"test_py.py:5: AssertionError\n"
	"=============================== warnings summary "
	"===============================\n"
	"test_py.py::test_w\n"
	"  /tmp/samp/test_py.py:13: UserWarning: old api\n"
	"\n"
	"-- Docs: https://docs.pytest.org/en/stable/how-to/"
	"capture-warnings.html\n"
	"=========================== short test summary info "
	"============================\n"
	"FAILED test_py.py::test_f1 - assert 1 == 2\n"
	"ERROR test_py.py::test_e - RuntimeError: fixture\n"
	"= 2 failed, 4 passed, 1 skipped, 1 xfailed, 1 xpassed, 1 warning, "
	"1 error in 0.02s =\n";

/* perl Test::More: a failure, a skip, a TODO and an escaped '#'. */
static const char tap_mixed[] =
	"1..6\n"
	"ok 1 - first\n"
	"not ok 2 - second\n"
	"#   Failed test 'second'\n"
	"ok 3 # skip no network\n"
	"not ok 4 - later # TODO not done\n"
	"#   Failed (TODO) test 'later'\n"
	"ok 5 - two \\# hash in name\n"
	"ok 6\n";

/* Feed data in pieces of at most step bytes and return the format name. */
static const char *
parse_steps(const char *data, size_t len, size_t step, struct job_tests *t)
{
	struct summary_parser p;

	summary_init(&p);
	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;

		summary_feed(&p, data + off, n);
	}
	return summary_finish(&p, t);
}

static const char *
parse(const char *data, struct job_tests *t)
{
	return parse_steps(data, strlen(data), strlen(data) + 1, t);
}

/* The whole input must give name and counts run, failed, skipped. */
static void
check(const char *data, const char *name, int run, int failed, int skipped)
{
	struct job_tests t;
	const char *got = parse(data, &t);

	if (name == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, name);
	}
	assert_int_equal(t.run, run);
	assert_int_equal(t.failed, failed);
	assert_int_equal(t.skipped, skipped);
}

/* Chunking must never change the result: 1 byte, 2 pieces, 3 pieces. */
static void
check_splits(const char *data, size_t len)
{
	struct summary_parser p;
	struct job_tests whole, t;
	const char *name = parse_steps(data, len, len + 1, &whole);

	assert_ptr_equal(parse_steps(data, len, 1, &t), name);
	assert_memory_equal(&t, &whole, sizeof t);
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j += 97) {
			summary_init(&p);
			summary_feed(&p, data, i);
			summary_feed(&p, data + i, j - i);
			summary_feed(&p, data + j, len - j);
			assert_ptr_equal(summary_finish(&p, &t), name);
			assert_memory_equal(&t, &whole, sizeof t);
		}
	}
}

/* data with every "\n" made "\r\n"; free it. */
static char *
crlf(const char *data)
{
	char *out = malloc(strlen(data) * 2 + 1), *o = out;

	assert_non_null(out);
	for (; *data != '\0'; data++) {
		if (*data == '\n')
			*o++ = '\r';
		*o++ = *data;
	}
	*o = '\0';
	return out;
}

static void
test_unittest_ok(void **state)
{
	(void)state;
	check(ut_ok, "unittest", 4, 0, 1);
	check("Ran 1 test in 0.000s\n\nOK\n", "unittest", 1, 0, 0);
	check("Ran 0 tests in 0.000s\n\nNO TESTS RAN\n", "unittest", 0, 0, 0);
}

/* Failures, errors and unexpected successes all fail; xfail does not. */
static void
test_unittest_failed(void **state)
{
	(void)state;
	check(ut_failed, "unittest", 6, 3, 1);
	check("Ran 5 tests in 1.5s\nFAILED (errors=2)\n", "unittest", 5, 2, 0);
	check("Ran 5 tests in 1.5s\nFAILED (skipped=1, failures=4)\n",
	    "unittest", 5, 4, 1);
}

/* Verdict lines are read to their end; unknown names are skipped. */
static void
test_unittest_verdict_shapes(void **state)
{
	(void)state;
	check("Ran 4 tests in 0s\nFAILED (failures=1, flakes=2)\n", "unittest",
	    4, 1, 0);
	check("Ran 4 tests in 0s\nOK (skipped=1) now\n", "unittest", 4, -1,
	    -1);
	check("Ran 4 tests in 0s\nOK (skipped=1\n", "unittest", 4, -1, -1);
	check("Ran 4 tests in 0s\nFAILED ()\n", "unittest", 4, -1, -1);
	check("Ran 4 tests in 0s\nFAILED (failures=1, )\n", "unittest", 4,
	    -1, -1);
	check("Ran 4 tests in 0s\nOKAY\n", "unittest", 4, -1, -1);
	check("Ran 4 tests in 0s\n OK\n", "unittest", 4, -1, -1);
	/* Only the first verdict of a run counts. */
	check("Ran 4 tests in 0s\nOK\nFAILED (errors=4)\n", "unittest", 4, 0,
	    0);
}

/* A crash after "Ran" leaves failures unknown, not zero. */
static void
test_unittest_no_verdict(void **state)
{
	(void)state;
	check("Ran 7 tests in 0.1s\n\nSegmentation fault\n", "unittest", 7,
	    -1, -1);
	check("Ran 7 tests in 0.1s\nFAILED\n", "unittest", 7, -1, -1);
	check("Ran 7 tests in 0.1s\nOK (skipped=x)\n", "unittest", 7, -1, -1);
	check("OK\nFAILED (failures=1)\n", NULL, -1, -1, -1);
}

/* Several runs in one job ("python -m unittest a; python -m unittest b"). */
static void
test_unittest_several_runs(void **state)
{
	char *both;

	(void)state;
	assert_true(asprintf(&both, "%s%s", ut_ok, ut_failed) > 0);
	check(both, "unittest", 10, 3, 2);
	free(both);
	check("Ran 2 tests in 0s\nRan 3 tests in 0s\nOK\n", "unittest", 5,
	    -1, -1);
	check("Ran 2 tests in 0s\nOK\nRan 3 tests in 0s\n", "unittest", 5,
	    -1, -1);
}

static void
test_pytest(void **state)
{
	(void)state;
	check(py_mixed, "pytest", 9, 3, 1);
	check("======================= 2 passed, 8 deselected in 0.00s "
	    "========================\n", "pytest", 2, 0, 0);
	check("=== 1 error in 0.3s ===\n", "pytest", 1, 1, 0);
	check("== 1 failed, 1 passed, 2 xfailed, 1 xpassed, 3 deselected in "
	    "1.00s ==\n", "pytest", 5, 1, 0);
	check("==== 5 passed in 61.23s (0:01:01) ====\n", "pytest", 5, 0, 0);
	check("==== 3 passed, 2 subtests passed in 0.5 seconds ====\n",
	    "pytest", 3, 0, 0);
	check("============ no tests ran in 0.01s ============\n", "pytest",
	    0, 0, 0);
}

/* The last closing line wins; rules and near misses are not summaries. */
static void
test_pytest_near_misses(void **state)
{
	(void)state;
	check("== 1 failed in 1s ==\n== 4 passed in 2s ==\n", "pytest", 4, 0,
	    0);
	check("============================= test session starts "
	    "=============\n"
	    "=== 1 passed in 0.1s\n"
	    "1 passed in 0.1s ===\n"
	    "=== 1 passed ===\n"
	    "=== 1 passed in s ===\n"
	    "=== 1 passed in 0.1 ===\n"
	    "=== 1 passed in 0.1s === trailer\n"
	    "=== 1  in 0.1s ===\n"
	    "===1 passed in 0.1s ===\n"
	    "=== passed in 0.1s ===\n"
	    "=== 1 passed in 0.1s (soon) ===\n"
	    "  === 1 passed in 0.1s ===\n", NULL, -1, -1, -1);
}

static void
test_plain(void **state)
{
	(void)state;
	check("3 passed, 1 failed\n", "plain", 4, 1, 0);
	check("building...\ntests: 3 passed, 0 failed, 2 skipped\ndone\n",
	    "plain", 3, 0, 2);
	check("unit-tests:   10 passed, 2 failed\n", "plain", 12, 2, 0);
	check("1 passed, 1 failed\n2 passed, 0 failed\n", "plain", 2, 0, 0);
	check("we had 3 passed, 1 failed\n"
	    "3 passed, 1 failed.\n"
	    "3 passed, 1 failed, 2 ignored\n"
	    "3 failed, 1 passed\n"
	    "a: b: 3 passed, 1 failed\n"
	    ": 3 passed, 1 failed\n"
	    "3 passed,1 failed\n", NULL, -1, -1, -1);
}

static void
test_tap(void **state)
{
	(void)state;
	check(tap_mixed, "tap", 6, 1, 1);
	check("ok\nnot ok\nok # SKIP\nok - C\\# SKIP is a name\n", "tap", 4,
	    1, 1);
	check("not ok 1 # todo\nnot ok 2 #TODO x\nnot ok 3 # SKIP\n", "tap",
	    3, 1, 0);
	/* Prose and indented subtests are not test lines. */
	check("okay\nok, done\nnot okay\n    ok 1 - sub\n    not ok 2\n", NULL,
	    -1, -1, -1);
}

/* One output may hold several formats; the most specific wins. */
static void
test_priority(void **state)
{
	static const char tap_plain[] = "ok 1\nok 2\n5 passed, 0 failed\n";
	char *all;

	(void)state;
	check(tap_plain, "plain", 5, 0, 0);
	check("== 1 passed in 0s ==\n3 passed, 1 failed\nnot ok 1\n",
	    "pytest", 1, 0, 0);
	assert_true(asprintf(&all, "%s%s%s%s", tap_mixed, py_mixed, ut_ok,
	    tap_plain) > 0);
	check(all, "unittest", 4, 0, 1);
	free(all);
}

static void
test_splits_unittest(void **state)
{
	(void)state;
	check_splits(ut_ok, strlen(ut_ok));
	check_splits(ut_failed, strlen(ut_failed));
}

static void
test_splits_pytest_tap(void **state)
{
	char *all;

	(void)state;
	check_splits(py_mixed, strlen(py_mixed));
	assert_true(asprintf(&all, "%s3 passed, 1 failed\r\n", tap_mixed) > 0);
	check_splits(all, strlen(all));
	free(all);
}

static void
test_crlf(void **state)
{
	const char *samples[] = { ut_ok, ut_failed, py_mixed, tap_mixed,
	    "x: 3 passed, 1 failed, 1 skipped\n" };
	struct job_tests lf, cr;

	(void)state;
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		char *s = crlf(samples[i]);

		assert_ptr_equal(parse(s, &cr), parse(samples[i], &lf));
		assert_non_null(parse(s, &cr));
		assert_memory_equal(&cr, &lf, sizeof cr);
		check_splits(s, strlen(s));
		free(s);
	}
	check("Ran 2 tests in 0s\r\n\r\nOK\r\r\n", "unittest", 2, 0, 0);
	check("3 passed, 1 failed \t\r\n", "plain", 4, 1, 0);
}

/* A last line without '\n' still counts, once. */
static void
test_unterminated(void **state)
{
	struct summary_parser p;
	struct job_tests t;

	(void)state;
	check("Ran 2 tests in 0.1s\n\nOK (skipped=2)", "unittest", 2, 0, 2);
	check("== 3 passed in 0.1s ==", "pytest", 3, 0, 0);
	check("not ok 1", "tap", 1, 1, 0);
	summary_init(&p);
	summary_feed(&p, "ok 1\nok", 7);
	assert_string_equal(summary_finish(&p, &t), "tap");
	assert_string_equal(summary_finish(&p, &t), "tap");
	assert_int_equal(t.run, 2);
}

/* A line longer than the buffer ends at its '\n', not at the cut. */
static void
test_long_lines(void **state)
{
	size_t n = SUMMARY_LINE_MAX * 5;
	char *buf = malloc(n + 64);

	(void)state;
	assert_non_null(buf);
	memset(buf, 'x', n);
	strcpy(buf + n, "ok 1\n");
	check(buf, NULL, -1, -1, -1);
	strcpy(buf + SUMMARY_LINE_MAX, "3 passed, 1 failed\n");
	check(buf, NULL, -1, -1, -1);
	/* ... and the next line is read as usual. */
	memset(buf, 'x', n);
	strcpy(buf + n, "\nnot ok 2\n");
	check(buf, "tap", 1, 1, 0);
	/* The start of a long TAP line is enough; its directive is cut. */
	memset(buf, 'x', n);
	memcpy(buf, "ok 1 - ", 7);
	strcpy(buf + n, " # SKIP\nnot ok 2\n");
	check(buf, "tap", 2, 1, 0);
	check_splits(buf, strlen(buf));
	free(buf);
}

/* Up to the buffer's size a line is whole, even with "\r\n" past it. */
static void
test_line_at_limit(void **state)
{
	char buf[SUMMARY_LINE_MAX + 8];
	size_t pad = SUMMARY_LINE_MAX - strlen("1 passed, 1 failed");

	(void)state;
	memset(buf, ' ', pad);
	memcpy(buf, "t:", 2);
	strcpy(buf + pad, "1 passed, 1 failed\r\n");
	check(buf, "plain", 2, 1, 0);
	strcpy(buf + pad, "1 passed, 1 failed  \r\n");
	check(buf, "plain", 2, 1, 0);
	strcpy(buf + pad, "1 passed, 1 failed x\n");
	check(buf, NULL, -1, -1, -1);
	check_splits(buf, strlen(buf));
}

/* Counts past INT_MAX are refused; sums saturate. */
static void
test_huge_numbers(void **state)
{
	(void)state;
	check("Ran 2147483648 tests in 0s\nOK\n", NULL, -1, -1, -1);
	check("Ran 99999999999999999999999 tests in 0s\nOK\n", NULL, -1, -1,
	    -1);
	check("Ran 2147483647 tests in 0s\nOK (skipped=2147483647)\n"
	    "Ran 5 tests in 0s\nOK (skipped=1)\n", "unittest", 2147483647, 0,
	    2147483647);
	check("== 2147483647 passed, 2147483647 failed in 1s ==\n", "pytest",
	    2147483647, 2147483647, 0);
	check("2147483647 passed, 1 failed\n", "plain", 2147483647, 1, 0);
	check("== 1 passed, 2147483648 failed in 1s ==\n", NULL, -1, -1, -1);
}

/* Random bytes, NULs and high bytes: no crash, nothing invented. */
static void
test_garbage(void **state)
{
	static const char nul[] = "ok 1\0 - x\nRan 3\0 tests in 0s\nOK\n"
	    "3 passed\0, 1 failed\n";
	char buf[65536];
	uint32_t x = 12345;
	struct job_tests t;
	struct summary_parser p;

	(void)state;
	for (size_t i = 0; i < sizeof buf; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (char)(x >> 16);
	}
	summary_init(&p);
	summary_feed(&p, buf, sizeof buf);
	summary_feed(&p, "\xff\xfe\x00\n\x80", 5);
	summary_finish(&p, &t);
	check_splits(buf, 512);
	assert_string_equal(parse_steps(nul, sizeof nul - 1, 7, &t), "tap");
	assert_int_equal(t.run, 1);
}

/* summary_init makes a used parser new again. */
static void
test_reuse(void **state)
{
	struct summary_parser p;
	struct job_tests t;

	(void)state;
	summary_init(&p);
	summary_feed(&p, ut_failed, strlen(ut_failed));
	summary_feed(&p, "partial line", 12);
	assert_string_equal(summary_finish(&p, &t), "unittest");
	summary_init(&p);
	summary_feed(&p, "ok 1\n", 5);
	assert_string_equal(summary_finish(&p, &t), "tap");
	assert_int_equal(t.run, 1);
	assert_int_equal(t.failed, 0);
	assert_int_equal(t.skipped, 0);
}

/*
 * Real outputs of the tools Debian has, captured here into
 * tests/fixtures/summary/ (see its README): pytest 7.2 -q and in full,
 * go 1.19 test with and without -v, cargo 1.95 test, ctest 3.25, Maven
 * 3.8 with Surefire 2.22.  Read from the repository's root, where make
 * test runs.
 */
static char *
fixture(const char *name)
{
	char path[256], *data;
	FILE *f;
	long len;

	snprintf(path, sizeof path, "tests/fixtures/summary/%s.txt", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("unable to open '%s' (run from the repository's root)",
		    path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	data = malloc((size_t)len + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	data[len] = '\0';
	fclose(f);
	return data;
}

static void
test_tool_outputs(void **state)
{
	static const struct {
		const char *file, *name;
		int run, failed, skipped;
	} cases[] = {
		{ "pytest-q-pass", "pytest", 2, 0, 0 },
		{ "pytest-q-mixed", "pytest", 6, 2, 1 },
		{ "pytest-q-none", "pytest", 0, 0, 0 },
		{ "pytest-q-deselected", "pytest", 1, 0, 0 },
		{ "pytest-full-pass", "pytest", 2, 0, 0 },
		{ "go-v-pass", "go", 3, 0, 1 },
		{ "go-v-fail", "go", 4, 1, 1 },
		/* Without -v go gives no count of the run. */
		{ "go-pass", NULL, -1, -1, -1 },
		{ "go-fail", NULL, -1, -1, -1 },
		{ "cargo-pass", "cargo", 3, 0, 1 },
		{ "cargo-fail", "cargo", 2, 1, 1 },
		{ "ctest-pass", "ctest", 2, 0, 1 },
		{ "ctest-fail", "ctest", 3, 1, 1 },
		{ "maven-pass", "maven", 2, 0, 1 },
		{ "maven-fail", "maven", 2, 1, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *data = fixture(cases[i].file);

		print_message("%s\n", cases[i].file);
		check(data, cases[i].name, cases[i].run, cases[i].failed,
		    cases[i].skipped);
		free(data);
	}
}

/* pytest -q's closing line in the orders and words it may use. */
static void
test_pytest_quiet_lines(void **state)
{
	(void)state;
	check("..\n2 passed in 0.01s\n", "pytest", 2, 0, 0);
	check("3 warnings, 1 error, 2 skipped, 1 xpassed, 4 passed in 1.50s\n",
	    "pytest", 6, 1, 2);
	check("5 deselected in 0.01s\n", "pytest", 0, 0, 0);
	check("1 failed in 61.23s (0:01:01)\n", "pytest", 1, 1, 0);
	check("2 passed in\n", NULL, -1, -1, -1);
	check("passed in 0.1s\n", NULL, -1, -1, -1);
}

static void
test_nothing(void **state)
{
	(void)state;
	check("", NULL, -1, -1, -1);
	check("\n\n\r\n", NULL, -1, -1, -1);
	check("make: Nothing to be done for 'all'.\nAll good\nOK\n", NULL, -1,
	    -1, -1);
	check("Ran out of memory\nRan 3 tests\nRan 3 tasks in 1s\n", NULL, -1,
	    -1, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unittest_ok),
		cmocka_unit_test(test_unittest_failed),
		cmocka_unit_test(test_unittest_verdict_shapes),
		cmocka_unit_test(test_unittest_no_verdict),
		cmocka_unit_test(test_unittest_several_runs),
		cmocka_unit_test(test_pytest),
		cmocka_unit_test(test_pytest_near_misses),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_splits_unittest),
		cmocka_unit_test(test_splits_pytest_tap),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_line_at_limit),
		cmocka_unit_test(test_huge_numbers),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_tool_outputs),
		cmocka_unit_test(test_pytest_quiet_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

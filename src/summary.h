/* SPDX-License-Identifier: MIT */
/*
 * summary.h - read test counts from a test command's output as it streams
 * past, in constant memory.
 *
 * Recognised: Python unittest ("Ran N tests in ...", then "OK",
 * "OK (skipped=N)" or "FAILED (failures=N, errors=N, skipped=N)"), pytest's
 * closing line, with its "=" borders or without (-q): "2 failed, 3 passed,
 * 1 skipped, 1 warning in 0.1s", "no tests ran in 0.01s"; cargo test, Maven
 * Surefire, ctest and go test (summary_tools.c); the plain line "N passed,
 * N failed[, N skipped]" (optionally after one word and a colon), and TAP
 * ("ok N", "not ok N", "# SKIP").  Several unittest runs, cargo's test
 * binaries and Maven's modules in one output add up; of the other kinds
 * the last summary counts.  When several kinds appear, the most specific
 * wins: unittest, pytest, cargo, Maven, ctest, go, the plain line, TAP.
 *
 * Usage: summary_init, summary_feed as often as output arrives (chunks may
 * split lines anywhere), summary_finish once to get the counts.
 */
#ifndef SSCI_SUMMARY_H
#define SSCI_SUMMARY_H

#include <stddef.h>

#include "proto.h"

/* Longer lines are cut to this many bytes for matching; they still count. */
#define SUMMARY_LINE_MAX 1024

struct summary_parser {
	char line[SUMMARY_LINE_MAX];
	size_t linelen;
	/* unittest */
	int ut_seen;		/* "Ran N tests" seen */
	int ut_run;
	int ut_failed;
	int ut_skipped;
	/* pytest */
	int py_seen;
	int py_run;
	int py_failed;
	int py_skipped;
	/* plain "N passed, N failed" */
	int plain_seen;
	int plain_run;
	int plain_failed;
	int plain_skipped;
	/* go test: one line per test with -v, per failure without */
	int go_seen;
	int go_pass;
	int go_failed;
	int go_skipped;
	/* cargo test */
	int cargo_seen;
	int cargo_run;
	int cargo_failed;
	int cargo_skipped;
	/* ctest */
	int ctest_seen;
	int ctest_total;
	int ctest_failed;
	int ctest_listed_skipped;
	/* Maven Surefire */
	int maven_seen;
	int maven_run;
	int maven_failed;
	int maven_skipped;
	/* TAP */
	int tap_seen;
	int tap_run;
	int tap_failed;
	int tap_skipped;
};

void summary_init(struct summary_parser *p);
void summary_feed(struct summary_parser *p, const char *data, size_t len);

/*
 * Finish (a last line without '\n' is taken too) and store the counts in
 * *out: run, failed, skipped, each -1 if no summary was found.  Returns the
 * name of the format found ("unittest", "pytest", "cargo", "maven",
 * "ctest", "go", "plain", "tap") or NULL.
 */
const char *summary_finish(struct summary_parser *p, struct job_tests *out);

#endif

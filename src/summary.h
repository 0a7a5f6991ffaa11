/* SPDX-License-Identifier: MIT */
/*
 * summary.h - read test counts from a test command's output as it streams
 * past, in constant memory.
 *
 * Recognised: Python unittest ("Ran N tests in ...", then "OK",
 * "OK (skipped=N)" or "FAILED (failures=N, errors=N, skipped=N)"), pytest's
 * closing line ("== 2 failed, 3 passed, 1 skipped in 0.1s =="), the plain
 * line "N passed, N failed[, N skipped]" (optionally after one word and a
 * colon), and TAP ("ok N", "not ok N", "# SKIP").  Several unittest runs
 * in one output add up; of the other kinds the last summary counts.  When
 * several kinds appear, the most specific wins: unittest, then pytest,
 * then the plain line, then TAP.
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
 * name of the format found ("unittest", "pytest", "plain", "tap") or NULL.
 */
const char *summary_finish(struct summary_parser *p, struct proto_tests *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * report.h - per-test results read as they stream in, one struct
 * test_record (testrec.h) per test given to a callback: from a JUnit XML
 * report (report_junit.c) or from a job's own output, TAP and Python
 * unittest's verbose lines (report_lines.c).
 *
 * Both readers take their input in chunks of any size, cut anywhere, and
 * use memory bounded whatever the input: a report is written by whoever
 * can push a commit.
 *
 * Usage: *_new, *_feed as often as data comes, *_finish once, *_free.
 * A feed returns -1 once reading has stopped (an error, TESTREC_MAX_TESTS
 * reached, or the callback returned -1); what follows is then ignored.
 * A finish returns 0, or -1 with a one-line message in err (no control
 * characters) saying what was wrong.  The records already given stand
 * either way: a report cut short still names the tests it holds.
 */
#ifndef SSCI_REPORT_H
#define SSCI_REPORT_H

#include <stddef.h>

#include "testrec.h"

/*
 * JUnit XML, as pytest --junitxml, ctest --output-junit, Maven Surefire,
 * go-junit-report and most other tools write it:
 *
 *   <testsuites>                         (or a <testsuite> root)
 *     <testsuite name="S" file="F">      (suites may nest)
 *       <testcase name="N" classname="C" file="F" time="0.25">
 *         <failure message="M">text</failure>
 *
 * A testcase is passed unless it holds <failure> (TEST_FAILED), <error>
 * (TEST_ERROR) or <skipped> (TEST_SKIPPED), or its status attribute says
 * "notrun", "disabled" or "skipped" (gtest, ctest's disabled tests):
 * skipped.  Of several such children, a failure or error decides over a
 * skip, and of two failures or errors the first (pytest adds an <error>
 * for a teardown that failed after the test did).  Surefire's
 * <flakyFailure> and <rerunFailure> are reruns' records and do not change
 * the outcome.  The message is the element's message attribute, then a
 * newline and its text (CDATA or not, leading and trailing blanks
 * dropped), cut to TESTREC_MAX_MESSAGE.  The suite is the classname, else
 * the enclosing testsuite's name; the file is the testcase's file
 * attribute, else the enclosing testsuite's.  time is in seconds
 * ("0.25", "2.5e-05"); missing, or not a plain number: -1 (a comma is
 * refused, since "1,234" is a thousand seconds or one, as the locale
 * that wrote it had it).
 *
 * Reading stops, with a message "NAME:LINE:COL: ...", at: a DOCTYPE, so
 * that no entity is ever declared or expanded and nothing is ever
 * fetched; a root other than testsuites or testsuite; elements nested
 * more than JUNIT_MAX_DEPTH deep; a tag, comment or other markup of more
 * than JUNIT_MAX_TOKEN bytes (expat holds one whole); expat needing more
 * than JUNIT_MAX_MEMORY; more than TESTREC_MAX_TESTS tests; and anything
 * expat finds malformed.  Text is never kept beyond a message's bound, so
 * a report of any size is read in constant memory.
 */
#define JUNIT_MAX_DEPTH 64
#define JUNIT_MAX_TOKEN (1024 * 1024)
#define JUNIT_MAX_MEMORY (16 * 1024 * 1024)

struct junit_parser;

/* name is the report's, for messages ("build/junit.xml:3:7: ..."). */
struct junit_parser *junit_new(const char *name, testrec_cb cb, void *arg);
int junit_feed(struct junit_parser *p, const char *data, size_t len);
int junit_finish(struct junit_parser *p, char *err, size_t errsize);
void junit_free(struct junit_parser *p);
/* The most memory expat held at once so far, in bytes. */
size_t junit_peak_memory(const struct junit_parser *p);

/*
 * A job's output, line by line ("\n", "\r\n"); lines longer than
 * REPORT_LINE_MAX are skipped without being kept.
 *
 * TAP (report_tap.c): "ok N - name", "not ok N - name", a description's
 * "\#" as '#'; no description: the number is the name.  "# SKIP why"
 * makes a passing test skipped, message why (a "not ok" still fails, as
 * TAP::Parser and summary.c count it).  "# TODO": "not ok # TODO why" is
 * an expected failure, neither a pass nor a failure, so skipped with the
 * message "TODO: why" (as pytest's xfail is skipped in JUnit); "ok #
 * TODO" passed.  A failure's message is the YAML block indented under it
 * ("  ---" to "  ...") or the "#" lines that follow it (Test::More,
 * libtap); a YAML block's top-level duration_ms (node --test) is the
 * test's duration.  Only unindented lines count: indented ones are
 * subtests, which their parent's line sums up.  A plan ("1..N", first or
 * last) that the tests do not meet, and "Bail out!", are noted for
 * report_lines_finish; each plan starts the count again, as one job may
 * run several TAP programs.
 *
 * Python unittest -v (report_unittest.c): "test_x (mod.Class.test_x) ...
 * STATUS" (3.11 and later) or "test_x (mod.Class) ... STATUS" (before),
 * the description alone on its line when a docstring's first line follows
 * with " ... STATUS", and a status alone on a later line when the test
 * printed something first.  STATUS: ok (passed), FAIL (failed), ERROR
 * (error), skipped 'why' (skipped, message why), expected failure
 * (skipped) and unexpected success (failed), each with itself as the
 * message.  A subtest's line ("  test_x
 * (mod.Class.test_x) (i=1) ... FAIL") is a record of its own, named
 * "test_x (i=1)".  A failed test is given once its traceback has been
 * read from the list at the end ("FAIL: test_x (...)", its message), or
 * at "Ran N tests" or finish without one; up to REPORT_MAX_HELD wait.
 * Durations are unknown (-1); the suite is "mod.Class".
 */
#define REPORT_LINE_MAX (64 * 1024)
#define REPORT_MAX_HELD 1000

struct report_lines;

struct report_lines *report_lines_new(testrec_cb cb, void *arg);
int report_lines_feed(struct report_lines *p, const char *data, size_t len);
int report_lines_finish(struct report_lines *p, char *err, size_t errsize);
void report_lines_free(struct report_lines *p);

#endif

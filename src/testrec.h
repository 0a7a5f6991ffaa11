/* SPDX-License-Identifier: MIT */
/*
 * testrec.h - one test's result, as the report readers give it: from a
 * JUnit XML file (report_junit.c) or from a job's own output, TAP and
 * Python unittest's verbose lines (report_lines.c).
 *
 * The input is whatever a repository's tests write, so every string is
 * bounded and valid UTF-8 without NUL (bytes that are not UTF-8 become
 * U+FFFD), and a reader stops after TESTREC_MAX_TESTS records.
 */
#ifndef SSCI_TESTREC_H
#define SSCI_TESTREC_H

#include <stddef.h>
#include <stdint.h>

/* The most records one report or one output gives; the rest is refused. */
#define TESTREC_MAX_TESTS 100000
/* Names, suites and files longer than this many bytes are cut. */
#define TESTREC_MAX_NAME 1024
/* A message is cut to this many bytes, between two characters. */
#define TESTREC_MAX_MESSAGE 4096

enum test_status {
	TEST_PASSED,
	TEST_FAILED,		/* an assertion did not hold */
	TEST_ERROR,		/* the test could not run to its end */
	TEST_SKIPPED		/* not run, or an expected failure */
};

struct test_record {
	char *name;
	char *suite;		/* its class or suite, may be NULL */
	char *file;		/* may be NULL */
	enum test_status status;
	int64_t duration_us;	/* -1: unknown */
	/* Why it failed, errored or was skipped; may be NULL. */
	char *message;		/* at most TESTREC_MAX_MESSAGE bytes */
};

/*
 * A reader calls this once per test, in the order it reads them.  The
 * record and its strings are the reader's and last only for the call.
 * Return 0 to go on, -1 to stop the reader (it then reports an error).
 */
typedef int (*testrec_cb)(const struct test_record *rec, void *arg);

/*
 * What a test is known by across jobs: its suite and name joined by a dot
 * ("tests.test_math.test_add"), or its name alone when it has no suite
 * or its name begins with the suite already; malloc'd.
 */
char *testrec_key(const char *suite, const char *name);

/* "passed", "failed", "error", "skipped"; NULL for anything else. */
const char *testrec_status_name(enum test_status status);
/* The status a name above stands for: 0, or -1 if none. */
int testrec_status_parse(const char *name, enum test_status *out);

/*
 * A duration written as a plain decimal number of units, perhaps with an
 * exponent ("0.25", "2.5e-05"), blanks around it, as whole microseconds
 * (rounded); unit_exp says what a unit is worth: 6 for seconds, 3 for
 * milliseconds.  -1 for anything else, negative or past
 * TESTREC_MAX_DURATION_US.  By hand, since strtod depends on the locale.
 */
#define TESTREC_MAX_DURATION_US 1000000000000000LL	/* 31 years */
int64_t testrec_parse_us(const char *s, size_t len, int unit_exp);

/*
 * Text kept up to a bound, fed in pieces: at most max bytes of UTF-8 (each
 * byte that is not, and each NUL, becomes U+FFFD), cut between two
 * characters.  Once a character did not fit, nothing more is added, so
 * what is kept is always a prefix of the text.
 */
struct testrec_text {
	char *buf;		/* max + 1 bytes, NUL-terminated */
	size_t len;
	size_t max;
	int full;
};

void testrec_text_init(struct testrec_text *t, char *buf, size_t max);
void testrec_text_add(struct testrec_text *t, const char *s, size_t len);
/* Drop trailing spaces, tabs, "\r" and "\n". */
void testrec_text_rtrim(struct testrec_text *t);

#endif

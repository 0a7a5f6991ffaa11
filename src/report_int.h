/* SPDX-License-Identifier: MIT */
/*
 * report_int.h - what the output reader's files share: its state, TAP's
 * (report_tap.c) and unittest's (report_unittest.c), which
 * report_lines.c feeds one line at a time, and the two ways out of any of
 * them, a record given or a note on what was wrong, inline here so that
 * the format files need nothing of report_lines.c.
 */
#ifndef SSCI_REPORT_INT_H
#define SSCI_REPORT_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "report.h"

/* The test line read last, its record held until we know what follows. */
struct report_tap {
	int pending;
	int block;		/* TAP_NONE, TAP_DIAG, TAP_YAML */
	size_t indent;		/* the YAML block's */
	int fails;		/* what follows is the pending test's message */
	enum test_status status;
	int64_t duration_us;
	char name[TESTREC_MAX_NAME + 1];
	char msgbuf[TESTREC_MAX_MESSAGE + 1];
	struct testrec_text msg;
	/* The tests since the last plan: a job may run several programs. */
	long long plan;		/* -1 if none yet */
	long long count;
	int closed;		/* the plan came last: a test starts anew */
};

/* A failed unittest test, waiting for its traceback. */
struct report_held {
	char *name;
	char *suite;
	enum test_status status;
};

struct report_ut {
	int verbose;		/* a test's status line was seen */
	int open;		/* the test below awaits its status */
	int described;		/* its description was alone on its line */
	char name[TESTREC_MAX_NAME + 1];
	char suite[TESTREC_MAX_NAME + 1];
	struct report_held held[REPORT_MAX_HELD];
	size_t nheld;
	int sep1;		/* the line before was unittest's "=" rule */
	int tb;			/* reading the list's entry: UT_TB_* */
	char tbname[TESTREC_MAX_NAME + 1];
	char tbsuite[TESTREC_MAX_NAME + 1];
	enum test_status tbstatus;
	int tblines;		/* lines of its traceback kept */
	char msgbuf[TESTREC_MAX_MESSAGE + 1];	/* the traceback */
	struct testrec_text msg;
};

struct report_lines {
	testrec_cb cb;
	void *arg;
	size_t ntests;
	unsigned long lineno;
	int stopped;		/* no more reading; err says why */
	char err[256];		/* the first note, or why it stopped */
	char *line;		/* REPORT_LINE_MAX bytes */
	size_t linelen;
	int toolong;		/* the line is being skipped */
	struct report_tap tap;
	struct report_ut ut;
};

void report_tap_init(struct report_tap *t);
/*
 * 1 if the line is the held test's YAML or diagnostics; else the held
 * test is given (before anything the line may give).
 */
int report_tap_follow(struct report_lines *p, const char *s, size_t len);
/* 1 if the line was TAP's: a test, a plan, "Bail out!". */
int report_tap_line(struct report_lines *p, const char *s, size_t len);
void report_tap_finish(struct report_lines *p);

/* 1 if the line was unittest's and is no one else's. */
int report_ut_line(struct report_lines *p, const char *s, size_t len);
void report_ut_finish(struct report_lines *p);
void report_ut_free(struct report_ut *u);

static inline void
report_vsay(struct report_lines *p, const char *fmt, va_list ap)
{
	int n = snprintf(p->err, sizeof p->err, "output:%lu: ", p->lineno);

	if (n > 0 && (size_t)n < sizeof p->err)
		vsnprintf(p->err + n, sizeof p->err - (size_t)n, fmt, ap);
}

/* Something was wrong, but reading goes on; the first note is kept. */
static inline void
report_note(struct report_lines *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void
report_note(struct report_lines *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err[0] != '\0')
		return;
	va_start(ap, fmt);
	report_vsay(p, fmt, ap);
	va_end(ap);
}

/* Give a record: 0, or -1 once reading has stopped. */
static inline int
report_emit(struct report_lines *p, const struct test_record *rec)
{
	if (p->stopped)
		return -1;
	if (p->ntests == TESTREC_MAX_TESTS) {
		p->err[0] = '\0';
		report_note(p, "more than %d tests", TESTREC_MAX_TESTS);
		p->stopped = 1;
		return -1;
	}
	p->ntests++;
	if (p->cb(rec, p->arg) == -1) {
		p->err[0] = '\0';
		report_note(p, "reading stopped after %zu tests", p->ntests);
		p->stopped = 1;
		return -1;
	}
	return 0;
}

#endif

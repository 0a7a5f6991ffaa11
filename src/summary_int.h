/* SPDX-License-Identifier: MIT */
/*
 * summary_int.h - what the summary parser's files share: a span of the
 * line being matched and the small readers over it (summary.c), and the
 * matchers of the build tools' formats (summary_tools.c).
 */
#ifndef SSCI_SUMMARY_INT_H
#define SSCI_SUMMARY_INT_H

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "summary.h"

#define nitems(a) (sizeof (a) / sizeof (a)[0])
#define DIGITS "0123456789"
#define WORD DIGITS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-"

/* The part of a line not matched yet; lines may hold NULs, so no strlen. */
struct span {
	const char *p;
	const char *end;
};

/* Counts come from untrusted text: saturate rather than overflow. */
static inline int
add_sat(int a, int b)
{
	return a > INT_MAX - b ? INT_MAX : a + b;
}

/* Trailing blanks, "\r" of "\r\n" included, do not change a line's meaning. */
static inline int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Whether the span starts with lit. */
static inline int
span_at(const struct span *sp, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(sp->end - sp->p) >= n && memcmp(sp->p, lit, n) == 0;
}

/* Consume lit if the span starts with it. */
static inline int
span_lit(struct span *sp, const char *lit)
{
	if (!span_at(sp, lit))
		return 0;
	sp->p += strlen(lit);
	return 1;
}

/* Consume a run of bytes from set (never NUL); returns how many. */
static inline size_t
span_while(struct span *sp, const char *set)
{
	const char *start = sp->p;

	while (sp->p < sp->end && *sp->p != '\0' && strchr(set, *sp->p))
		sp->p++;
	return (size_t)(sp->p - start);
}

/*
 * Consume a decimal count.  One over INT_MAX is no real test count, so the
 * line is refused rather than clamped.
 */
static inline int
span_num(struct span *sp, int *out)
{
	const char *q = sp->p;
	int v = 0;

	for (; q < sp->end && *q >= '0' && *q <= '9'; q++) {
		if (v > (INT_MAX - (*q - '0')) / 10)
			return 0;
		v = v * 10 + (*q - '0');
	}
	if (q == sp->p)
		return 0;
	sp->p = q;
	*out = v;
	return 1;
}

/*
 * summary.c: every format tried on a line without its trailing blanks (cut:
 * it was longer than SUMMARY_LINE_MAX), as summary_feed does but without
 * its quick checks of which lines may be summaries; the tests compare them.
 */
void summary_match_line(struct summary_parser *p, const char *line,
    size_t len, int cut);

/* summary_tools.c: each returns 1 if the line was one of its format's. */
int summary_match_go(struct summary_parser *p, struct span sp);
int summary_match_cargo(struct summary_parser *p, struct span sp);
int summary_match_ctest(struct summary_parser *p, struct span sp);
int summary_match_maven(struct summary_parser *p, struct span sp);

#endif

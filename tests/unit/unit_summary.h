/* SPDX-License-Identifier: MIT */
/*
 * unit_summary.h - the test-count reader as it was before its quick checks
 * (summary_feed matches only the lines that may be summaries, where they
 * are): every line gathered into the parser's buffer and given to every
 * format (summary_match_line).  test_summary_quick.c and fuzz_summary.c
 * compare the two.
 */
#ifndef UNIT_SUMMARY_H
#define UNIT_SUMMARY_H

#include <stddef.h>
#include <string.h>

#include "summary.h"
#include "summary_int.h"

static inline void
ref_summary_line(struct summary_parser *p)
{
	int cut = p->linelen > SUMMARY_LINE_MAX;
	size_t len = cut ? SUMMARY_LINE_MAX : p->linelen;

	p->linelen = 0;
	while (len > 0 && is_blank(p->line[len - 1]))
		len--;
	summary_match_line(p, p->line, len, cut);
}

static inline void
ref_summary_append(struct summary_parser *p, const char *data, size_t len)
{
	size_t room, n;

	if (p->linelen > SUMMARY_LINE_MAX)
		return;
	room = SUMMARY_LINE_MAX - p->linelen;
	n = len < room ? len : room;
	memcpy(p->line + p->linelen, data, n);
	p->linelen += n;
	for (; n < len; n++) {
		if (!is_blank(data[n])) {
			p->linelen = SUMMARY_LINE_MAX + 1;
			return;
		}
	}
}

static inline void
ref_summary_feed(struct summary_parser *p, const char *data, size_t len)
{
	const char *nl;
	size_t n;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		ref_summary_append(p, data, n);
		if (nl == NULL)
			return;
		ref_summary_line(p);
		data += n + 1;
		len -= n + 1;
	}
}

static inline const char *
ref_summary_finish(struct summary_parser *p, struct job_tests *out)
{
	if (p->linelen > 0)
		ref_summary_line(p);
	return summary_finish(p, out);
}

/* Whether two parsers hold the same counts (their buffers aside). */
static inline int
summary_same(const struct summary_parser *a, const struct summary_parser *b)
{
#define SAME(f) (a->f == b->f)
	return SAME(linelen) && SAME(ut_seen) && SAME(ut_run) &&
	    SAME(ut_failed) && SAME(ut_skipped) && SAME(py_seen) &&
	    SAME(py_run) && SAME(py_failed) && SAME(py_skipped) &&
	    SAME(plain_seen) &&
	    SAME(plain_run) && SAME(plain_failed) && SAME(plain_skipped) &&
	    SAME(go_seen) && SAME(go_pass) && SAME(go_failed) &&
	    SAME(go_skipped) && SAME(cargo_seen) && SAME(cargo_run) &&
	    SAME(cargo_failed) && SAME(cargo_skipped) && SAME(ctest_seen) &&
	    SAME(ctest_total) && SAME(ctest_failed) &&
	    SAME(ctest_listed_skipped) && SAME(maven_seen) &&
	    SAME(maven_run) && SAME(maven_failed) && SAME(maven_skipped) &&
	    SAME(tap_seen) && SAME(tap_run) && SAME(tap_failed) &&
	    SAME(tap_skipped);
#undef SAME
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * report_lines.c - per-test records read from a job's own output: the
 * output cut into lines in one fixed buffer (a line longer than it is
 * skipped as it streams past, never kept whole), each line offered to
 * TAP's held test (its YAML or diagnostics), then to unittest's reader,
 * then to TAP's.
 *
 * unittest goes before TAP's tests because a status alone on its line
 * ("ok", after what a test printed) would otherwise pass for a TAP test;
 * what unittest takes is otherwise nothing TAP would.
 */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util.h"

struct report_lines *
report_lines_new(testrec_cb cb, void *arg)
{
	struct report_lines *p = xcalloc(1, sizeof *p);

	p->cb = cb;
	p->arg = arg;
	p->line = xmalloc(REPORT_LINE_MAX);
	report_tap_init(&p->tap);
	return p;
}

static void
report_line(struct report_lines *p)
{
	size_t len = p->linelen;

	p->lineno++;
	p->linelen = 0;
	if (p->toolong) {
		p->toolong = 0;
		return;
	}
	if (len > 0 && p->line[len - 1] == '\r')
		len--;
	if (!report_tap_follow(p, p->line, len) &&
	    !report_ut_line(p, p->line, len))
		report_tap_line(p, p->line, len);
}

int
report_lines_feed(struct report_lines *p, const char *data, size_t len)
{
	const char *nl;
	size_t n;

	while (len > 0 && !p->stopped) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		if (!p->toolong && n > REPORT_LINE_MAX - p->linelen)
			p->toolong = 1;
		if (!p->toolong) {
			memcpy(p->line + p->linelen, data, n);
			p->linelen += n;
		}
		if (nl == NULL)
			break;
		report_line(p);
		data += n + 1;
		len -= n + 1;
	}
	return p->stopped ? -1 : 0;
}

int
report_lines_finish(struct report_lines *p, char *err, size_t errsize)
{
	/* A last line without "\n" counts. */
	if (!p->stopped && (p->linelen > 0 || p->toolong))
		report_line(p);
	report_ut_finish(p);
	report_tap_finish(p);
	if (p->err[0] == '\0')
		return 0;
	if (errsize > 0)
		snprintf(err, errsize, "%s", p->err);
	return -1;
}

void
report_lines_free(struct report_lines *p)
{
	if (p == NULL)
		return;
	report_ut_free(&p->ut);
	free(p->line);
	free(p);
}

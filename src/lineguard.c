/* SPDX-License-Identifier: MIT */
/*
 * lineguard.c - mark a test's lines that look like ssci's.  Bytes are
 * passed on in runs; only the first few bytes of a line are held back,
 * while they may still turn out to be "result:" or "ssci:".
 */
#include <string.h>

#include "lineguard.h"

static const char *const line_guard_words[] = { "result:", "ssci:" };

void
line_guard_init(struct line_guard *g)
{
	g->at_start = 1;
	g->nheld = 0;
}

/* 2: held is a whole word; 1: the start of one; 0: neither. */
static int
line_guard_match(const struct line_guard *g)
{
	int partial = 0;

	for (size_t i = 0; i < sizeof line_guard_words /
	    sizeof line_guard_words[0]; i++) {
		size_t n = strlen(line_guard_words[i]);

		if (g->nheld <= n &&
		    memcmp(g->held, line_guard_words[i], g->nheld) == 0) {
			if (g->nheld == n)
				return 2;
			partial = 1;
		}
	}
	return partial;
}

/*
 * Output goes out in as few calls as there are marks to insert: bytes are
 * passed on as runs of the input, and only the first bytes of a line that
 * may still be a word are held back, across feeds if need be.
 */
void
line_guard_feed(struct line_guard *g, const char *in, size_t len,
    line_guard_out out, void *arg)
{
	size_t run = 0;			/* in[run..] not yet passed on */
	size_t before = g->nheld;	/* held bytes from earlier feeds */
	size_t start = 0;		/* where the held line began in in */

	for (size_t i = 0; i < len; i++) {
		int m;

		if (!g->at_start) {
			/* Inside a line: on to its end at once. */
			const char *nl = memchr(in + i, '\n', len - i);

			if (nl == NULL)
				break;
			i = (size_t)(nl - in);
			g->at_start = 1;
			continue;
		}
		if (g->nheld == 0)
			start = i;
		g->held[g->nheld++] = in[i];
		if ((m = line_guard_match(g)) == 1)
			continue;
		if (m == 2) {
			out(in + run, start - run, arg);
			out(LINE_GUARD_MARK, strlen(LINE_GUARD_MARK), arg);
			run = start;
		}
		/* Held bytes of this feed are in the run already. */
		if (before > 0)
			out(g->held, before, arg);
		before = 0;
		g->at_start = in[i] == '\n';
		g->nheld = 0;
	}
	/* What is still held stays held: the last bytes of in. */
	if (len - run > g->nheld - before)
		out(in + run, len - run - (g->nheld - before), arg);
}

void
line_guard_flush(struct line_guard *g, line_guard_out out, void *arg)
{
	if (g->nheld > 0) {
		out(g->held, g->nheld, arg);
		g->nheld = 0;
		g->at_start = 0;
	}
	if (!g->at_start)
		out("\n", 1, arg);
	g->at_start = 1;
}

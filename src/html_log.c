/* SPDX-License-Identifier: MIT */
/*
 * html_log.c - a job's log on a page: the test's colours (SGR sequences,
 * as term.c lets them through) become spans with classes the stylesheet
 * colours, everything else a terminal would act on is taken out, and all
 * of it is HTML-escaped.  The page's script draws what follows the same
 * way (src/web/app.js), class for class.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "html_int.h"
#include "term.h"
#include "util.h"

#define ESC 0x1b

/* What the colour sequences so far have set; -1 for the default colour. */
struct html_sgr {
	int fg, bg;
	int bold, dim, italic, underline;
};

static void
html_sgr_reset(struct html_sgr *st)
{
	memset(st, 0, sizeof *st);
	st->fg = st->bg = -1;
}

/*
 * Apply the parameters of one "ESC [ params m" (digits, ';' and ':').
 * 38;5;N and 48;5;N take the first 16 colours; other extended colours
 * are skipped with their arguments.
 */
static void
html_sgr_apply(struct html_sgr *st, const char *p, size_t len)
{
	int v[32], n = 0, cur = 0, have = 0;

	for (size_t i = 0; i <= len && n < 32; i++) {
		if (i == len || p[i] == ';' || p[i] == ':') {
			v[n++] = have ? cur : 0;
			cur = have = 0;
		} else if (cur < 100000) {
			cur = cur * 10 + (p[i] - '0');
			have = 1;
		}
	}
	for (int i = 0; i < n; i++) {
		int c = v[i];

		if (c == 0)
			html_sgr_reset(st);
		else if (c == 1)
			st->bold = 1;
		else if (c == 2)
			st->dim = 1;
		else if (c == 3)
			st->italic = 1;
		else if (c == 4)
			st->underline = 1;
		else if (c == 22)
			st->bold = st->dim = 0;
		else if (c == 23)
			st->italic = 0;
		else if (c == 24)
			st->underline = 0;
		else if (c >= 30 && c <= 37)
			st->fg = c - 30;
		else if (c >= 90 && c <= 97)
			st->fg = c - 90 + 8;
		else if (c == 39)
			st->fg = -1;
		else if (c >= 40 && c <= 47)
			st->bg = c - 40;
		else if (c >= 100 && c <= 107)
			st->bg = c - 100 + 8;
		else if (c == 49)
			st->bg = -1;
		else if ((c == 38 || c == 48) && i + 2 < n && v[i + 1] == 5) {
			if (v[i + 2] < 16)
				*(c == 38 ? &st->fg : &st->bg) = v[i + 2];
			i += 2;
		} else if ((c == 38 || c == 48) && i + 1 < n && v[i + 1] == 2)
			i += 4;
	}
}

/* Open a span for st if it differs from the default; 1 if one was. */
static int
html_sgr_open(struct evbuffer *out, const struct html_sgr *st)
{
	char cls[64] = "";
	size_t n = 0;

	if (st->fg >= 0)
		n += (size_t)snprintf(cls + n, sizeof cls - n, " fg-%d", st->fg);
	if (st->bg >= 0)
		n += (size_t)snprintf(cls + n, sizeof cls - n, " bg-%d", st->bg);
	if (st->bold)
		n += (size_t)snprintf(cls + n, sizeof cls - n, " sgr-b");
	if (st->dim)
		n += (size_t)snprintf(cls + n, sizeof cls - n, " sgr-d");
	if (st->italic)
		n += (size_t)snprintf(cls + n, sizeof cls - n, " sgr-i");
	if (st->underline)
		n += (size_t)snprintf(cls + n, sizeof cls - n, " sgr-u");
	if (n == 0)
		return 0;
	evbuffer_add_printf(out, "<span class=\"%s\">", cls + 1);
	return 1;
}

/* Safe text (term.c's: ESC only as "ESC [ params m") as HTML. */
static void
html_sgr_text(struct evbuffer *out, const char *s, size_t len)
{
	struct html_sgr st;
	size_t i = 0, run = 0, end;
	int open = 0;

	html_sgr_reset(&st);
	while (i < len) {
		if (s[i] != ESC) {
			i++;
			continue;
		}
		html_escape_len(out, s + run, i - run);
		end = i + 2;
		while (end < len && s[end] != 'm')
			end++;
		html_sgr_apply(&st, s + i + 2, end - (i + 2));
		if (open)
			evbuffer_add_printf(out, "</span>");
		open = html_sgr_open(out, &st);
		i = run = end < len ? end + 1 : len;
	}
	html_escape_len(out, s + run, len - run);
	if (open)
		evbuffer_add_printf(out, "</span>");
}

void
html_escape_log(struct evbuffer *out, const char *text, size_t len)
{
	struct term_filter f;
	struct term_buf safe = { 0 };

	term_filter_init(&f);
	term_filter_feed(&f, text, len, &safe);
	term_filter_end(&f, &safe);
	html_sgr_text(out, safe.data, safe.len);
	free(safe.data);
}

/*
 * The length of the escape sequence at s (s[0] is ESC), at most len;
 * *done is 0 if the text ended before the sequence did.  String sequences
 * (OSC, DCS, ...) end at BEL or ST as in a terminal, and also before a
 * newline, so that one unterminated title cannot hide the rest of a log.
 */
static size_t
html_ansi_len(const unsigned char *s, size_t len, int *done)
{
	size_t i;

	*done = 1;
	if (len < 2) {
		*done = 0;
		return len;
	}
	switch (s[1]) {
	case '[':
		for (i = 2; i < len && s[i] >= 0x30 && s[i] <= 0x3f; i++)
			;
		for (; i < len && s[i] >= 0x20 && s[i] <= 0x2f; i++)
			;
		if (i == len)
			*done = 0;
		else if (s[i] >= 0x40 && s[i] <= 0x7e)
			i++;
		return i;
	case ']':
	case 'P':
	case 'X':
	case '^':
	case '_':
		for (i = 2; i < len; i++) {
			if (s[i] == 0x07)
				return i + 1;
			if (s[i] == '\n')
				return i;
			if (s[i] == ESC && i + 1 < len)
				return s[i + 1] == '\\' ? i + 2 : i;
			if (s[i] == ESC)
				break;
		}
		*done = 0;
		return len;
	}
	for (i = 1; i < len && s[i] >= 0x20 && s[i] <= 0x2f; i++)
		;
	if (i == len)
		*done = 0;
	else if (s[i] >= 0x30 && s[i] <= 0x7e)
		i++;
	return i;
}

size_t
html_log_whole(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, n, lead, need;
	int done;

	for (i = 0; i < len; i++) {
		if (s[i] != ESC)
			continue;
		n = html_ansi_len(s + i, len - i, &done);
		if (!done)
			return i;
		i += n - 1;
	}
	/* A UTF-8 character cut short: its lead byte and 0 to 2 more. */
	for (lead = len; lead > 0 && len - lead < 4; lead--) {
		if ((s[lead - 1] & 0xc0) == 0x80)
			continue;
		lead--;
		if (s[lead] < 0xc0)
			return len;
		need = s[lead] >= 0xf0 ? 4 : s[lead] >= 0xe0 ? 3 : 2;
		return len - lead < need ? lead : len;
	}
	return len;
}


/* SPDX-License-Identifier: MIT */
/*
 * term.c - a small state machine over the escape sequences of ECMA-48 as
 * terminals read them: ESC [ ... final (CSI), ESC ] P X ^ _ ... BEL or
 * ESC \ (strings: OSC, DCS, SOS, PM, APC), ESC and one more byte, and the
 * same introduced by the C1 controls U+009B, U+009D, ...  Only CSI ... m
 * with plain parameters is written out again.  Unlike a terminal, a newline
 * ends any sequence left open, so that one cut short hides no more than
 * the rest of its line.
 */
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "util.h"

enum {
	T_TEXT,
	T_ESC,		/* after ESC */
	T_CSI,		/* after ESC [ or U+009B: parameters, then a final byte */
	T_STRING,	/* inside OSC, DCS, ...: until BEL or ST */
	T_STRING_ESC,	/* ESC inside a string: ST if '\' follows */
	T_CR,		/* after CR: a following LF is the same line end */
};

static void
buf_add(struct term_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		if (b->cap < 256)
			b->cap = 256;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
term_filter_init(struct term_filter *f)
{
	memset(f, 0, sizeof *f);
	f->state = T_TEXT;
}

/* A C0 control or DEL shown as ^X; newline and tab kept. */
static void
term_control(struct term_buf *out, unsigned char c)
{
	char caret[2] = { '^', c == 0x7f ? '?' : (char)(c + '@') };

	if (c == '\n' || c == '\t')
		buf_add(out, &c, 1);
	else if (c != 0x07)	/* a bell is only noise */
		buf_add(out, caret, 2);
}

/* The end of a CSI: kept if it sets colours with plain parameters. */
static void
term_csi_end(struct term_filter *f, unsigned char final, struct term_buf *out)
{
	if (final == 'm' && f->params_ok) {
		buf_add(out, "\033[", 2);
		buf_add(out, f->params, f->nparams);
		buf_add(out, "m", 1);
	}
	f->state = T_TEXT;
}

static void
term_csi_start(struct term_filter *f)
{
	f->state = T_CSI;
	f->nparams = 0;
	f->params_ok = 1;
}

/* One code point below U+00A0 (ASCII or C1) in the current state. */
static void
term_code(struct term_filter *f, unsigned int c, struct term_buf *out)
{
	unsigned char b = (unsigned char)c;

	if (f->state == T_CR) {
		f->state = T_TEXT;
		buf_add(out, "\n", 1);
		if (c == '\n')
			return;
	}
	/* C1 controls do in one character what ESC and a byte do. */
	if (c >= 0x80 && c <= 0x9f) {
		if (f->state == T_STRING && c == 0x9c)
			f->state = T_TEXT;	/* ST */
		else if (f->state == T_STRING)
			return;
		else if (c == 0x9b)
			term_csi_start(f);
		else if (c == 0x90 || c == 0x98 || c == 0x9d || c == 0x9e ||
		    c == 0x9f)
			f->state = T_STRING;
		else
			f->state = T_TEXT;
		return;
	}
	switch (f->state) {
	case T_TEXT:
		if (c == 0x1b)
			f->state = T_ESC;
		else if (c == '\r')
			f->state = T_CR;
		else if (c < 0x20 || c == 0x7f)
			term_control(out, b);
		else
			buf_add(out, &b, 1);
		break;
	case T_ESC:
		if (c == '[')
			term_csi_start(f);
		else if (c == ']' || c == 'P' || c == 'X' || c == '^' ||
		    c == '_')
			f->state = T_STRING;
		else if (c == 0x1b)
			f->state = T_ESC;
		else if (c >= 0x20 && c < 0x30)
			f->state = T_ESC;	/* intermediate bytes: more to come */
		else
			f->state = T_TEXT;	/* ESC and its byte, dropped */
		break;
	case T_CSI:
		if (c >= 0x40 && c <= 0x7e) {
			term_csi_end(f, b, out);
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			/*
			 * A control inside a CSI: ESC starts another; a
			 * newline ends this one unfinished, so that a cut
			 * sequence cannot swallow the next line.
			 */
			if (c == 0x1b)
				f->state = T_ESC;
			else if (c == '\n') {
				f->state = T_TEXT;
				buf_add(out, &b, 1);
			} else if (c == '\t')
				buf_add(out, &b, 1);
			break;
		}
		if (!((c >= '0' && c <= '9') || c == ';' || c == ':') ||
		    f->nparams == sizeof f->params)
			f->params_ok = 0;
		else
			f->params[f->nparams++] = (char)c;
		break;
	case T_STRING:
	case T_STRING_ESC:
		/* A title never ended must not hide the rest of the log. */
		if (c == '\n') {
			f->state = T_TEXT;
			buf_add(out, &b, 1);
		} else if (f->state == T_STRING_ESC)
			f->state = c == 0x1b ? T_STRING_ESC : c == '\\' ?
			    T_TEXT : T_STRING;
		else if (c == 0x07)
			f->state = T_TEXT;
		else if (c == 0x1b)
			f->state = T_STRING_ESC;
		break;
	}
}

/* A whole character of two bytes or more: C1, or text. */
static void
term_wide(struct term_filter *f, const unsigned char *s, size_t n,
    struct term_buf *out)
{
	unsigned int cp = n == 2 ? ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu) :
	    0xa0;

	if (cp < 0xa0) {
		term_code(f, cp, out);
		return;
	}
	if (f->state == T_CR) {
		buf_add(out, "\n", 1);
		f->state = T_TEXT;
	}
	/* Not a sequence after all: what was read of it is dropped. */
	if (f->state == T_CSI || f->state == T_ESC)
		f->state = T_TEXT;
	if (f->state == T_TEXT)
		buf_add(out, s, n);
}

/* Whether s[0..n) is a valid UTF-8 character of exactly n bytes. */
static int
utf8_whole(const unsigned char *s, size_t n)
{
	char copy[4];

	memcpy(copy, s, n);
	return utf8_valid(copy, n);
}

/* Expected length of a character from its first byte; 0 if none. */
static size_t
utf8_want(unsigned char c)
{
	return c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
	    c >= 0xf0 && c <= 0xf4 ? 4 : 0;
}

static void
term_invalid(struct term_filter *f, struct term_buf *out)
{
	if (f->state == T_CR) {
		buf_add(out, "\n", 1);
		f->state = T_TEXT;
	}
	if (f->state == T_TEXT)
		buf_add(out, "\xef\xbf\xbd", 3);
}

void
term_filter_feed(struct term_filter *f, const char *in, size_t len,
    struct term_buf *out)
{
	const unsigned char *s = (const unsigned char *)in;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (f->nutf8 > 0) {
			if ((c & 0xc0) == 0x80) {
				f->utf8[f->nutf8++] = c;
				if (f->nutf8 < f->want)
					continue;
				if (utf8_whole(f->utf8, f->nutf8))
					term_wide(f, f->utf8, f->nutf8, out);
				else
					term_invalid(f, out);
				f->nutf8 = 0;
				continue;
			}
			/* Cut short: U+FFFD, and c is looked at afresh. */
			term_invalid(f, out);
			f->nutf8 = 0;
		}
		if (c < 0x80) {
			term_code(f, c, out);
			continue;
		}
		if ((f->want = utf8_want(c)) == 0) {
			term_invalid(f, out);
			continue;
		}
		f->utf8[0] = c;
		f->nutf8 = 1;
	}
}

void
term_filter_end(struct term_filter *f, struct term_buf *out)
{
	if (f->nutf8 > 0)
		term_invalid(f, out);
	if (f->state == T_CR)
		buf_add(out, "\n", 1);
	term_filter_init(f);
}

/* SPDX-License-Identifier: MIT */
/*
 * term.h - test output made safe for a terminal: of the escape sequences a
 * test may print, only colours (SGR: ESC [ digits and ; m) pass; every
 * other sequence (titles, OSC 52 clipboard writes, screen clears, cursor
 * moves), the C1 controls that do the same in eight bits, and the C0
 * controls but newline and tab are taken out or shown as text.  A carriage
 * return becomes a newline, so that no line can be drawn over another.
 * Bytes that are not UTF-8 become U+FFFD.
 *
 * Usage: term_filter_init, then term_filter_feed with the output as it
 * comes (a sequence may be cut anywhere between two feeds), and
 * term_filter_end at the end.  Safe text is appended to a struct term_buf,
 * whose data the caller frees.
 */
#ifndef SSCI_TERM_H
#define SSCI_TERM_H

#include <stddef.h>

/* Parameters of a colour sequence longer than this are not kept. */
#define TERM_SGR_MAX 32

struct term_buf {
	char *data;
	size_t len;
	size_t cap;
};

struct term_filter {
	int state;
	char params[TERM_SGR_MAX];	/* of the CSI being read */
	size_t nparams;
	int params_ok;			/* only digits, ';' and ':' so far */
	unsigned char utf8[4];		/* a character cut by a feed */
	size_t nutf8;
	size_t want;			/* its length */
};

void term_filter_init(struct term_filter *f);
void term_filter_feed(struct term_filter *f, const char *in, size_t len,
    struct term_buf *out);
/* The end of the output: what a cut character left becomes U+FFFD. */
void term_filter_end(struct term_filter *f, struct term_buf *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * lineguard.h - a test's output cannot pass for ssci's own lines: a line
 * of it that begins with "result:" or "ssci:" is written with "> " in
 * front, so that in a job's log and results file those words at the start
 * of a line always come from ssci (the first and last "result:" line of a
 * results file are the real one).
 *
 * Usage: line_guard_init, then line_guard_feed with the output as it comes
 * (a line may be cut anywhere between two feeds); line_guard_flush before
 * ssci writes a line of its own, which then starts on a line of its own.
 */
#ifndef SSCI_LINEGUARD_H
#define SSCI_LINEGUARD_H

#include <stddef.h>

#define LINE_GUARD_MARK "> "

struct line_guard {
	int at_start;		/* the next byte begins a line */
	char held[8];		/* the start of a line that may be "result:" */
	size_t nheld;
};

/* Guarded output goes to out(data, len, arg). */
typedef void (*line_guard_out)(const char *data, size_t len, void *arg);

void line_guard_init(struct line_guard *g);
void line_guard_feed(struct line_guard *g, const char *in, size_t len,
    line_guard_out out, void *arg);
/*
 * Write out what is held, and, if the output stopped inside a line, a
 * newline, so that what comes next starts a line.
 */
void line_guard_flush(struct line_guard *g, line_guard_out out, void *arg);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_guard.c - libFuzzer target for the line guard.  Whatever a test
 * prints, cut into two reads anywhere, no line of the output begins with
 * "result:" or "ssci:", and taking out the marks gives back the input
 * (with a last newline).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lineguard.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct sink {
	char *buf;
	size_t len;
};

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
collect(const char *data, size_t len, void *arg)
{
	struct sink *s = arg;

	memcpy(s->buf + s->len, data, len);
	s->len += len;
}

static int
starts(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct sink s = { malloc(size * 3 + 2), 0 };
	size_t cut = size > 0 ? data[0] % size : 0, j = 0;
	struct line_guard g;
	const char *p, *end;

	line_guard_init(&g);
	line_guard_feed(&g, in, cut, collect, &s);
	line_guard_feed(&g, in + cut, size - cut, collect, &s);
	line_guard_flush(&g, collect, &s);
	end = s.buf + s.len;
	for (p = s.buf; p < end; ) {
		check(!starts(p, end, "result:") && !starts(p, end, "ssci:"));
		/* A mark is ours where the input's line begins with a word. */
		if ((starts(p, end, LINE_GUARD_MARK "result:") &&
		    starts(in + j, in + size, "result:")) ||
		    (starts(p, end, LINE_GUARD_MARK "ssci:") &&
		    starts(in + j, in + size, "ssci:")))
			p += strlen(LINE_GUARD_MARK);
		/* The rest of the line is the input's own. */
		while (p < end) {
			check(j < size ? in[j] == *p : *p == '\n');
			j++;
			if (*p++ == '\n')
				break;
		}
	}
	check(j >= size);
	free(s.buf);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * utf8.c - UTF-8: checking it, and making any bytes into it; and the
 * runs of plain text that need neither, found eight bytes at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
size_t
utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t need;
	unsigned int cp;

	if (s[0] < 0x80)
		return s[0] == 0 ? 0 : 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (avail < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

/*
 * Word-at-a-time tests, on eight bytes loaded with memcpy (any alignment).
 * BYTE_BELOW(w, n), for n <= 0x80, is nonzero if and only if some byte of
 * w is below n: a borrow only starts at such a byte, so none is made up
 * (which byte it flags is not exact, so callers look again byte by byte).
 */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define BYTE_BELOW(w, n) (((w) - ONES * (n)) & ~(w) & HIGHS)
#define BYTE_IS(w, c) BYTE_BELOW((w) ^ (ONES * (c)), 1)

static inline uint64_t
load8(const unsigned char *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof w);
	return w;
}

size_t
utf8_ascii_len(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0;

	for (; len - i >= 8; i += 8) {
		uint64_t w = load8(s + i);

		if (((w & HIGHS) | BYTE_BELOW(w, 1)) != 0)
			break;
	}
	while (i < len && s[i] != 0 && s[i] < 0x80)
		i++;
	return i;
}

size_t
json_plain_len(const char *data, size_t len, int ascii)
{
	const unsigned char *s = (const unsigned char *)data;
	uint64_t high = ascii ? HIGHS : 0;
	size_t i = 0;

	for (; len - i >= 8; i += 8) {
		uint64_t w = load8(s + i);

		if (((w & high) | BYTE_BELOW(w, 0x20) | BYTE_IS(w, '"') |
		    BYTE_IS(w, '\\')) != 0)
			break;
	}
	while (i < len && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' &&
	    (!ascii || s[i] < 0x80))
		i++;
	return i;
}

int
utf8_valid(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;

	for (size_t i = 0, n; i < len; i += n) {
		/* Runs of ASCII (not NUL) eight bytes at a time. */
		if ((i += utf8_ascii_len(data + i, len - i)) == len)
			break;
		if ((n = utf8_seq_len(s + i, len - i)) == 0)
			return 0;
	}
	return 1;
}

char *
utf8_sanitize(const char *data, size_t len, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)data;
	char *out = xmalloc(len * 3 + 1);
	size_t o = 0, i = 0;

	while (i < len) {
		size_t n, run = i + utf8_ascii_len(data + i, len - i);

		/* Output is mostly ASCII: copy runs of it at once. */
		if (run > i) {
			memcpy(out + o, s + i, run - i);
			o += run - i;
			i = run;
			continue;
		}
		n = utf8_seq_len(s + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;
}

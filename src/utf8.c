/* SPDX-License-Identifier: MIT */
/*
 * utf8.c - UTF-8: checking it, and making any bytes into it.
 */
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

int
utf8_valid(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;

	for (size_t i = 0, n; i < len; i += n) {
		if (s[i] != 0 && s[i] < 0x80) {
			n = 1;
			continue;
		}
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
		size_t n, run = i;

		/* Output is mostly ASCII: copy runs of it at once. */
		while (run < len && s[run] != 0 && s[run] < 0x80)
			run++;
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

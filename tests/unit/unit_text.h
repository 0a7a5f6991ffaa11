/* SPDX-License-Identifier: MIT */
/*
 * unit_text.h - random text for the tests that compare the fast paths of
 * the log's way (UTF-8 checks, JSON escaping, chunking) with the plain
 * byte-at-a-time code they replaced: reproducible (a fixed seed), and made
 * of what those paths treat differently: runs of plain ASCII, control
 * bytes, quotes, backslashes, valid UTF-8 of every length, and the ways
 * UTF-8 goes wrong (stray continuation bytes, overlong forms, surrogates,
 * past U+10FFFF, sequences cut short, NUL).
 */
#ifndef UNIT_TEXT_H
#define UNIT_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* What the text is made of. */
enum text_kind {
	TEXT_MIXED,		/* anything below */
	TEXT_VALID,		/* valid UTF-8 but NUL, controls too */
	TEXT_ASCII,		/* printable ASCII and newlines */
	TEXT_WIDE		/* mostly characters of 2 to 4 bytes */
};

static inline uint32_t
text_rand(uint64_t *rng)
{
	/* xorshift64*, enough to cover the cases. */
	*rng ^= *rng >> 12;
	*rng ^= *rng << 25;
	*rng ^= *rng >> 27;
	return (uint32_t)((*rng * UINT64_C(2685821657736338717)) >> 32);
}

/* The UTF-8 of code point cp (valid or not: surrogates too) into out. */
static inline size_t
text_utf8(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A valid character of 2..4 bytes, often at the edge of its length. */
static inline size_t
text_wide(uint64_t *rng, unsigned char *out)
{
	static const uint32_t edges[] = { 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000,
	    0xfffd, 0xffff, 0x10000, 0x10ffff };
	uint32_t r = text_rand(rng), cp;

	if (r % 4 == 0)
		cp = edges[(r >> 8) % (sizeof edges / sizeof edges[0])];
	else {
		cp = 0x80 + (r >> 8) % (0x110000 - 0x80);
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp -= 0x800;
	}
	return text_utf8(cp, out);
}

/* One piece of text of the kind (1..16 bytes) into out. */
static inline size_t
text_piece(uint64_t *rng, enum text_kind kind, unsigned char *out)
{
	static const char *const bad[] = { "\x80", "\xbf", "\xc0\xaf",
	    "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf",
	    "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
	    "\xff", "\xfe", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xc3\xc3" };
	uint32_t r = text_rand(rng);
	size_t n;

	if (kind == TEXT_WIDE && r % 8 != 0)
		return text_wide(rng, out);
	switch ((r >> 4) % (kind == TEXT_MIXED ? 10 : kind == TEXT_VALID ?
	    8 : 3)) {
	case 0:
	case 1:
	case 2:
		/* A run of letters, long enough to fill whole words. */
		n = 1 + (r >> 12) % 16;
		for (size_t i = 0; i < n; i++)
			out[i] = (unsigned char)('a' + (r >> (i % 16)) % 26);
		if (kind == TEXT_ASCII && (r >> 30) == 0)
			out[n - 1] = '\n';
		return n;
	case 3:
		/* Printable, and DEL. */
		out[0] = (unsigned char)(0x20 + (r >> 12) % 0x60);
		return 1;
	case 4:
		out[0] = (unsigned char)(1 + (r >> 12) % 0x1f);	/* C0 */
		return 1;
	case 5:
		out[0] = (r >> 12) % 2 ? '"' : '\\';
		return 1;
	case 6:
	case 7:
		return text_wide(rng, out);
	case 8:
		out[0] = '\0';
		return 1;
	default:
		n = strlen(bad[(r >> 12) % (sizeof bad / sizeof bad[0])]);
		memcpy(out, bad[(r >> 12) % (sizeof bad / sizeof bad[0])], n);
		return n;
	}
}

/* Fill buf with n bytes of the kind (its last piece may be cut short). */
static inline void
text_fill(uint64_t *rng, enum text_kind kind, unsigned char *buf, size_t n)
{
	unsigned char piece[16];
	size_t have = 0, k;

	while (have < n) {
		k = text_piece(rng, kind, piece);
		if (k > n - have)
			k = n - have;
		memcpy(buf + have, piece, k);
		have += k;
	}
}

/* utf8_valid as it was before its fast path: the reference. */
static inline int
text_ref_valid(const char *data, size_t len)
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

/* utf8_sanitize as it was before its fast path: the reference. */
static inline char *
text_ref_sanitize(const char *data, size_t len, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)data;
	char *out = malloc(len * 3 + 1);
	size_t o = 0, i = 0;

	if (out == NULL)
		abort();
	while (i < len) {
		size_t n, run = i;

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
	*outlen = o;
	return out;
}

#endif

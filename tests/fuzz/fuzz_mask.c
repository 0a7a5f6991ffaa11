/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mask.c - libFuzzer target for the secret masker.  The input's first
 * bytes choose 1 to 3 secrets; the rest is the output (0xfe K puts secret
 * K there, so that the fuzzer need not guess them; a flag base64-encodes
 * the whole, so that their base64 forms turn up at every alignment).  Fed
 * whole or in random pieces the output is the same, the same as a naive
 * replace of the whole buffer, holds back fewer bytes than the longest
 * pattern, and contains neither a secret nor any of its base64 forms.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NPATS 32

struct buf {
	char *s;
	size_t len, cap;
};

struct pats {
	char *s[NPATS];
	size_t len[NPATS];
	size_t n, maxlen;
};

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
put(struct buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->s = realloc(b->s, b->cap);
		check(b->s != NULL);
	}
	memcpy(b->s + b->len, data, len);
	b->len += len;
	b->s[b->len] = '\0';
}

static void
collect(const char *data, size_t len, void *arg)
{
	check(len > 0);
	put(arg, data, len);
}

/* Base64 a bit at a time, unlike mask.c's. */
static char *
ref_base64(const unsigned char *in, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t bits = 8 * n, nchars = (bits + 5) / 6, k = 0;
	char *out = malloc(nchars + 4);

	check(out != NULL);
	for (size_t c = 0; c < nchars; c++) {
		unsigned v = 0;

		for (size_t b = 6 * c; b < 6 * c + 6; b++)
			v = v << 1 | (b < bits ? in[b / 8] >> (7 - b % 8) & 1 :
			    0);
		out[k++] = a[v];
	}
	while (k % 4 != 0)
		out[k++] = '=';
	out[k] = '\0';
	return out;
}

static void
pats_add(struct pats *p, const char *s, size_t len)
{
	check(p->n < NPATS);
	p->s[p->n] = malloc(len);
	check(p->s[p->n] != NULL);
	memcpy(p->s[p->n], s, len);
	p->len[p->n++] = len;
	if (len > p->maxlen)
		p->maxlen = len;
}

static void
pats_of(struct pats *p, const char *v, size_t len)
{
	unsigned char buf[64];
	char *e = ref_base64((const unsigned char *)v, len);

	pats_add(p, v, len);
	pats_add(p, e, strlen(e));
	pats_add(p, e, strcspn(e, "="));
	free(e);
	for (size_t a = 0; a < 3; a++) {
		size_t from = (8 * a + 5) / 6, to = 8 * (a + len) / 6;

		memset(buf, 0x5a, a);
		memcpy(buf + a, v, len);
		e = ref_base64(buf, a + len);
		if (to - from >= 8)
			pats_add(p, e + from, to - from);
		free(e);
	}
}

/* Leftmost, then longest, over the whole buffer. */
static void
naive(const struct pats *p, const char *in, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; ) {
		size_t best = 0;

		for (size_t k = 0; k < p->n; k++)
			if (p->len[k] > best && p->len[k] <= len - i &&
			    memcmp(in + i, p->s[k], p->len[k]) == 0)
				best = p->len[k];
		if (best > 0) {
			put(out, MASK_REPLACEMENT, strlen(MASK_REPLACEMENT));
			i += best;
		} else
			put(out, in + i++, 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char secrets[3][33], *values[3];
	struct pats p = { .n = 0, .maxlen = 0 };
	struct buf in = { 0 }, whole = { 0 }, pieces = { 0 }, ref = { 0 };
	size_t ns, at = 1;
	uint32_t rng;
	struct mask *m;
	char *masked;

	if (size < 1)
		return 0;
	ns = 1 + data[0] % 3;
	for (size_t k = 0; k < ns; k++) {
		size_t len;

		if (at >= size)
			return 0;
		len = 4 + data[at++] % 29;
		if (size - at < len)
			return 0;
		for (size_t i = 0; i < len; i++) {
			char c = (char)data[at++];

			/* No NUL (C strings); no '*', which "***" could
			 * complete into a secret. */
			secrets[k][i] = c == '\0' ? '\1' : c == '*' ? '+' : c;
		}
		secrets[k][len] = '\0';
		values[k] = secrets[k];
	}
	for (size_t k = 0; k < ns; k++)
		pats_of(&p, values[k], strlen(values[k]));
	rng = 2166136261u ^ (uint32_t)size;
	for (size_t i = at; i < size; i++) {
		rng = (rng ^ data[i]) * 16777619u;
		if (data[i] == 0xfe && i + 1 < size) {
			put(&in, values[data[i + 1] % ns],
			    strlen(values[data[i + 1] % ns]));
			i++;
		} else
			put(&in, data + i, 1);
	}
	if (in.s == NULL)
		put(&in, "", 0);
	if (data[0] & 0x80) {
		char *e = ref_base64((const unsigned char *)in.s, in.len);

		in.len = 0;
		put(&in, e, strlen(e));
		free(e);
	}

	m = mask_new(values, ns);
	check(m != NULL);
	mask_feed(m, in.s, in.len, collect, &whole);
	check(mask_held(m) <= p.maxlen - 1);
	mask_flush(m, collect, &whole);
	check(mask_held(m) == 0);
	for (size_t i = 0; i < in.len; ) {
		size_t n;

		rng = rng * 1103515245u + 12345u;
		n = (rng >> 16) % ((rng >> 8 & 1) ? 5 : 97);
		if (n > in.len - i)
			n = in.len - i;
		mask_feed(m, in.s + i, n, collect, &pieces);
		check(mask_held(m) <= p.maxlen - 1);
		i += n;
	}
	mask_flush(m, collect, &pieces);
	naive(&p, in.s, in.len, &ref);
	put(&ref, "", 0);
	put(&whole, "", 0);
	put(&pieces, "", 0);
	check(whole.len == pieces.len &&
	    memcmp(whole.s, pieces.s, whole.len) == 0);
	check(whole.len == ref.len && memcmp(whole.s, ref.s, ref.len) == 0);
	for (size_t k = 0; k < p.n; k++)
		check(memmem(whole.s, whole.len, p.s[k], p.len[k]) == NULL);
	/* The same as one string, when it is one. */
	if (strlen(in.s) == in.len) {
		masked = NULL;
		if (mask_string(m, in.s, &masked)) {
			check(strcmp(masked, whole.s) == 0);
			free(masked);
		} else
			check(strcmp(in.s, whole.s) == 0);
	}
	mask_free(m);
	for (size_t k = 0; k < p.n; k++)
		free(p.s[k]);
	free(in.s);
	free(whole.s);
	free(pieces.s);
	free(ref.s);
	return 0;
}

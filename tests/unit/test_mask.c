/* SPDX-License-Identifier: MIT */
/*
 * test_mask.c - secrets and their base64 forms are replaced by "***"
 * wherever a job's output is cut into reads, overlapping occurrences
 * greedily from the left (the longest at a place first), with few bytes
 * held back and time linear in the output.  A reference here (its own
 * base64, a naive whole-buffer replace) says what the output must be.
 *
 * SSCI_MASK_BENCH=1 also measures the throughput (1 GiB of text and 1 GiB
 * of random bytes through 3 secrets).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mask.h"
#include "util.h"

struct sink {
	char *buf;
	size_t len, cap;
	size_t calls;
};

static void
collect(const char *data, size_t len, void *arg)
{
	struct sink *s = arg;

	assert_true(len > 0);
	if (s->len + len + 1 > s->cap) {
		s->cap = (s->len + len + 1) * 2;
		s->buf = xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	s->buf[s->len] = '\0';
	s->calls++;
}

static void
count(const char *data, size_t len, void *arg)
{
	(void)data;
	*(size_t *)arg += len;
}

/* The reference: base64 a bit at a time, and the patterns of a value. */
static char *
ref_base64(const unsigned char *in, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t bits = 8 * n, nchars = (bits + 5) / 6, k = 0;
	char *out = xmalloc(nchars + 4);

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

struct pats {
	char *s[64];
	size_t len[64];
	size_t n;
	size_t maxlen;
};

static void
pats_add(struct pats *p, const char *s, size_t len)
{
	assert_true(p->n < 64);
	p->s[p->n] = xstrndup(s, len);
	p->len[p->n++] = len;
	if (len > p->maxlen)
		p->maxlen = len;
}

static void
pats_of(struct pats *p, const char *v)
{
	size_t len = strlen(v);
	unsigned char *buf = xmalloc(len + 2);
	char *e = ref_base64((const unsigned char *)v, len);
	size_t elen = strlen(e);

	pats_add(p, v, len);
	pats_add(p, e, elen);
	pats_add(p, e, strcspn(e, "="));
	free(e);
	for (size_t a = 0; a < 3; a++) {
		/* Characters [ceil(8a/6), floor(8(a+len)/6)): value bits. */
		size_t from = (8 * a + 5) / 6, to = 8 * (a + len) / 6;

		memset(buf, '?', a);
		memcpy(buf + a, v, len);
		e = ref_base64(buf, a + len);
		if (to - from >= 8)
			pats_add(p, e + from, to - from);
		free(e);
	}
	free(buf);
}

static void
pats_free(struct pats *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->s[i]);
	p->n = 0;
}

/* Leftmost, then longest, over the whole buffer. */
static char *
naive(const struct pats *p, const char *in, size_t len, size_t *outlen)
{
	char *out = xmalloc(len * 3 + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; ) {
		size_t best = 0;

		for (size_t k = 0; k < p->n; k++)
			if (p->len[k] > best && p->len[k] <= len - i &&
			    memcmp(in + i, p->s[k], p->len[k]) == 0)
				best = p->len[k];
		if (best > 0) {
			memcpy(out + o, "***", 3);
			o += 3;
			i += best;
		} else
			out[o++] = in[i++];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* in fed at the cuts (sorted offsets), then flushed. */
static char *
feed_cuts(struct mask *m, const char *in, size_t len, const size_t *cuts,
    size_t ncuts, size_t maxheld, size_t *outlen)
{
	struct sink s = { NULL, 0, 0, 0 };
	size_t at = 0;

	for (size_t i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		mask_feed(m, in + at, to - at, collect, &s);
		assert_true(mask_held(m) <= maxheld);
		at = to;
	}
	mask_flush(m, collect, &s);
	assert_int_equal(mask_held(m), 0);
	if (s.buf == NULL)
		s.buf = xstrdup("");
	*outlen = s.len;
	return s.buf;
}

static char *
feed_step(struct mask *m, const char *in, size_t step, size_t maxheld)
{
	size_t len = strlen(in), n = 0, outlen;
	size_t *cuts = xmalloc((len / (step ? step : 1) + 1) * sizeof *cuts);
	char *out;

	for (size_t at = step; step > 0 && at < len; at += step)
		cuts[n++] = at;
	out = feed_cuts(m, in, len, cuts, n, maxheld, &outlen);
	free(cuts);
	return out;
}

/* in masked is want however it is fed: whole, cut once anywhere, bytes. */
static void
expect(char *const *secrets, size_t nsecrets, const char *in,
    const char *want)
{
	struct mask *m = mask_new(secrets, nsecrets);
	struct pats p = { .n = 0 };
	size_t len = strlen(in), outlen;
	char *out;

	for (size_t i = 0; i < nsecrets; i++)
		pats_of(&p, secrets[i]);
	/* The reference agrees with what the test says. */
	out = naive(&p, in, len, &outlen);
	assert_string_equal(out, want);
	free(out);
	for (size_t step = 0; step <= 3; step++) {
		out = feed_step(m, in, step, p.maxlen - 1);
		assert_string_equal(out, want);
		free(out);
	}
	for (size_t cut = 0; cut <= len; cut++) {
		out = feed_cuts(m, in, len, &cut, 1, p.maxlen - 1, &outlen);
		assert_string_equal(out, want);
		free(out);
	}
	if (mask_string(m, in, &out)) {
		assert_string_equal(out, want);
		free(out);
	} else
		assert_string_equal(in, want);
	pats_free(&p);
	mask_free(m);
}

static void
test_whole_secret(void **state)
{
	char *s[] = { "hunter2hunter2" };

	(void)state;
	expect(s, 1, "password is hunter2hunter2.\n", "password is ***.\n");
	expect(s, 1, "hunter2hunter2", "***");
	expect(s, 1, "hunter2hunter2hunter2hunter2 and hunter2hunter2",
	    "****** and ***");
	expect(s, 1, "hunter2hunter hunter2hunter22",
	    "hunter2hunter ***2");
	expect(s, 1, "no secret here", "no secret here");
	expect(s, 1, "", "");
}

/* A secret cut in two at every place, as a test that writes half and
 * sleeps makes it, and the rest of the output around it. */
static void
test_split_everywhere(void **state)
{
	char *s[] = { "correct horse battery staple" };
	const char *in = "before correct horse battery staple after";
	struct mask *m = mask_new(s, 1);
	struct pats p = { .n = 0 };
	size_t len = strlen(in), outlen;

	(void)state;
	pats_of(&p, s[0]);
	for (size_t a = 0; a <= len; a++)
		for (size_t b = a; b <= len; b++) {
			size_t cuts[2] = { a, b };
			char *out = feed_cuts(m, in, len, cuts, 2,
			    p.maxlen - 1, &outlen);

			assert_string_equal(out, "before *** after");
			free(out);
		}
	pats_free(&p);
	mask_free(m);
}

static void
test_single_bytes(void **state)
{
	char *s[] = { "s3cr3t-t0ken", "other-secret" };
	const char *in = "x s3cr3t-t0kens3cr3t-t0ke other-secret\n";
	struct mask *m = mask_new(s, 2);
	char *out = feed_step(m, in, 1, 100);

	(void)state;
	assert_string_equal(out, "x ***s3cr3t-t0ke ***\n");
	free(out);
	mask_free(m);
}

static void
test_overlapping_secrets(void **state)
{
	char *s[] = { "abcd", "abcdef" };
	char *t[] = { "wxab", "abcd" };
	char *u[] = { "aaaa" };
	char *v[] = { "abab", "babab" };

	(void)state;
	/* The longest at a place first; a prefix of another alone too. */
	expect(s, 2, "xabcdefy", "x***y");
	expect(s, 2, "xabcdey", "x***ey");
	expect(s, 2, "abcdabcdef", "******");
	expect(s, 2, "abcabcdeabcdef", "abc***e***");
	expect(s, 2, "abcdefabcd", "******");
	expect(s, 2, "abcde", "***e");
	expect(s, 2, "abc", "abc");
	/* Left to right: the first place wins over a longer one after. */
	expect(t, 2, "wxabcd", "***cd");
	expect(t, 2, "wxwxabcdabcd", "wx***cd***");
	/* Repeated and adjacent occurrences. */
	expect(u, 1, "aaaaaaaaaa", "******aa");
	expect(u, 1, "aaa", "aaa");
	expect(v, 2, "xbababababy", "x******y");
	expect(v, 2, "abababab", "******");
}

/* Known vectors of `printf %s "$S" | base64 -w0` and longer data. */
static void
test_base64_vectors(void **state)
{
	char *s[] = { "hunter2hunter2" };
	char *t[] = { "hunter2hunter" };

	(void)state;
	expect(s, 1, "aHVudGVyMmh1bnRlcjI=", "***");
	expect(s, 1, "token=aHVudGVyMmh1bnRlcjI\n", "token=***\n");
	/* "x" + S: alignment 1. */
	expect(s, 1, "eGh1bnRlcjJodW50ZXIy", "eG***");
	/* "xy" + S: alignment 2. */
	expect(s, 1, "eHlodW50ZXIyaHVudGVyMg==", "eHl***g==");
	/* S + "\n" (echo | base64): alignment 0 and more after it. */
	expect(s, 1, "aHVudGVyMmh1bnRlcjIK", "***K");
	expect(t, 1, "aHVudGVyMmh1bnRlcg==", "***");
	/* "x" + S + "z". */
	expect(t, 1, "eGh1bnRlcjJodW50ZXJ6", "eG***J6");
}

/* A value inside longer data, base64'd, at every alignment and length
 * of what surrounds it: its own characters never show. */
static void
test_base64_inside(void **state)
{
	const char *v = "Zq9#kT!pL0_w";
	char *s[] = { (char *)v };
	struct mask *m = mask_new(s, 1);
	struct pats p = { .n = 0 };
	size_t vlen = strlen(v);

	(void)state;
	pats_of(&p, v);
	for (size_t before = 0; before < 7; before++)
		for (size_t after = 0; after < 7; after++) {
			unsigned char data[64];
			size_t n = 0, outlen, wantlen;
			char *e, *out, *want, *mid;
			size_t from = (8 * before + 5) / 6;
			size_t to = 8 * (before + vlen) / 6;

			for (size_t i = 0; i < before; i++)
				data[n++] = (unsigned char)(0x41 + 37 * i);
			memcpy(data + n, v, vlen);
			n += vlen;
			for (size_t i = 0; i < after; i++)
				data[n++] = (unsigned char)(0xc3 ^ 11 * i);
			e = ref_base64(data, n);
			out = feed_step(m, e, 1, p.maxlen - 1);
			want = naive(&p, e, strlen(e), &wantlen);
			assert_string_equal(out, want);
			mid = xstrndup(e + from, to - from);
			assert_null(strstr(out, mid));
			assert_non_null(strstr(out, "***"));
			free(mid);
			free(want);
			free(out);
			free(e);
			(void)outlen;
		}
	pats_free(&p);
	mask_free(m);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/*
 * Random output of a small alphabet (many near misses) with secrets and
 * their base64 forms embedded, cut at random places: the same as the
 * naive replace of the whole buffer, and no secret left in it.
 */
static void
test_random_against_naive(void **state)
{
	char *s[] = { "abcab", "bcabcabc", "cab\xff\x01zz", "abcabcabca" };
	struct pats p = { .n = 0 };
	struct mask *m = mask_new(s, 4);

	(void)state;
	for (size_t i = 0; i < 4; i++)
		pats_of(&p, s[i]);
	for (int round = 0; round < 2000; round++) {
		char in[600];
		size_t len = 0, cuts[40], ncuts = 0, outlen, wantlen;
		char *out, *want;

		while (len < 500) {
			uint32_t r = rnd() % 16;

			if (r < 2) {
				const char *v = s[rnd() % 4];

				memcpy(in + len, v, strlen(v));
				len += strlen(v);
			} else if (r < 4) {
				/* A pattern (a base64 form), maybe cut short. */
				size_t k = rnd() % p.n, n = p.len[k];

				if (rnd() % 2)
					n -= rnd() % n;
				memcpy(in + len, p.s[k], n);
				len += n;
			} else
				in[len++] = "abcABCaY=2\n"[rnd() % 11];
		}
		for (size_t at = 0; ncuts < 40; ncuts++) {
			at += rnd() % (rnd() % 2 ? 4 : 40);
			if (at > len)
				break;
			cuts[ncuts] = at;
		}
		out = feed_cuts(m, in, len, cuts, ncuts, p.maxlen - 1,
		    &outlen);
		want = naive(&p, in, len, &wantlen);
		assert_int_equal(outlen, wantlen);
		assert_memory_equal(out, want, outlen);
		for (size_t k = 0; k < p.n; k++)
			assert_null(memmem(out, outlen, p.s[k], p.len[k]));
		free(out);
		free(want);
	}
	pats_free(&p);
	mask_free(m);
}

/* Only bytes that may begin a secret are held, and never more than the
 * longest pattern less one. */
static void
test_held_bounded(void **state)
{
	char *s[] = { "hunter2hunter2" };
	struct mask *m = mask_new(s, 1);
	struct sink out = { NULL, 0, 0, 0 };
	struct pats p = { .n = 0 };

	(void)state;
	pats_of(&p, s[0]);
	mask_feed(m, "plain text, no secret\n", 22, collect, &out);
	assert_int_equal(mask_held(m), 0);
	assert_int_equal(out.len, 22);
	mask_feed(m, "then hunter2hun", 15, collect, &out);
	assert_int_equal(mask_held(m), 10);
	assert_string_equal(out.buf, "plain text, no secret\nthen ");
	mask_feed(m, "ter", 3, collect, &out);
	assert_int_equal(mask_held(m), 13);
	mask_feed(m, "X", 1, collect, &out);
	assert_int_equal(mask_held(m), 0);
	assert_string_equal(out.buf, "plain text, no secret\nthen "
	    "hunter2hunterX");
	/* The longest pattern (the padded base64) less one, at most. */
	mask_feed(m, "aHVudGVyMmh1bnRlcjI", 19, collect, &out);
	assert_true(mask_held(m) <= p.maxlen - 1);
	assert_int_equal(mask_held(m), 19);
	mask_flush(m, collect, &out);
	assert_int_equal(mask_held(m), 0);
	assert_string_equal(out.buf, "plain text, no secret\nthen "
	    "hunter2hunterX***");
	mask_flush(m, collect, &out);
	free(out.buf);
	pats_free(&p);
	mask_free(m);
}

/* What began inside a replaced occurrence is forgotten: the bytes after
 * it that begin nothing go out at once. */
static void
test_held_after_match(void **state)
{
	char *s[] = { "abcd", "cdxyzw" };
	struct mask *m = mask_new(s, 2);
	struct sink out = { NULL, 0, 0, 0 };

	(void)state;
	mask_feed(m, "abcdxy", 6, collect, &out);
	assert_string_equal(out.buf, "***xy");
	assert_int_equal(mask_held(m), 0);
	mask_free(m);
	free(out.buf);
	expect(s, 2, "abcdxyzw", "***xyzw");
	expect(s, 2, "abcxyzw abcdxyz", "abcxyzw ***xyz");
}

/*
 * The longest secret, 64 KiB of one byte then another, and output of
 * megabytes of its prefix in small reads: linear time (a naive matcher
 * would compare 64 KiB at each place), nothing masked, nothing lost.
 */
static void
test_long_prefix_linear(void **state)
{
	char *v = xmalloc(65537);
	char *s[1] = { v };
	char *chunk = xmalloc(4096);
	struct mask *m;
	size_t total = 0, fed = 0;

	(void)state;
	memset(v, 'a', 65535);
	v[65535] = 'b';
	v[65536] = '\0';
	m = mask_new(s, 1);
	memset(chunk, 'a', 4096);
	for (int i = 0; i < 1024; i++) {
		size_t n = i % 2 ? 4096 : 1 + (size_t)i % 7;

		mask_feed(m, chunk, n, count, &total);
		fed += n;
		assert_true(mask_held(m) < 65536 * 4 / 3 + 4);
	}
	assert_int_equal(mask_held(m), 65535);
	mask_feed(m, "b", 1, count, &total);
	assert_int_equal(mask_held(m), 0);
	assert_int_equal(total, fed - 65535 + 3);
	mask_free(m);
	free(chunk);
	free(v);
}

static void
test_null_mask(void **state)
{
	char *e[] = { "" };
	struct sink out = { NULL, 0, 0, 0 };
	char *masked = NULL;

	(void)state;
	assert_null(mask_new(NULL, 0));
	assert_null(mask_new(e, 1));
	mask_feed(NULL, "hunter2", 7, collect, &out);
	mask_feed(NULL, "", 0, collect, &out);
	assert_int_equal(mask_held(NULL), 0);
	mask_flush(NULL, collect, &out);
	assert_string_equal(out.buf, "hunter2");
	assert_int_equal(out.calls, 1);
	assert_int_equal(mask_string(NULL, "hunter2", &masked), 0);
	assert_null(masked);
	mask_free(NULL);
	free(out.buf);
}

static void
test_mask_string(void **state)
{
	char *s[] = { "hunter2hunter2", "pa55word" };
	struct mask *m = mask_new(s, 2);
	struct sink out = { NULL, 0, 0, 0 };
	char *masked = NULL;

	(void)state;
	/* A stream being fed keeps its held bytes. */
	mask_feed(m, "x hunter2", 9, collect, &out);
	assert_int_equal(mask_string(m, "AssertionError: 'pa55word' != "
	    "'hunter2hunter2'", &masked), 1);
	assert_string_equal(masked, "AssertionError: '***' != '***'");
	free(masked);
	masked = NULL;
	assert_int_equal(mask_string(m, "nothing to hide", &masked), 0);
	assert_null(masked);
	assert_int_equal(mask_string(m, "", &masked), 0);
	assert_int_equal(mask_held(m), 7);
	mask_feed(m, "hunter2", 7, collect, &out);
	mask_flush(m, collect, &out);
	assert_string_equal(out.buf, "x ***");
	free(out.buf);
	mask_free(m);
}

/* MiB/s of 1 GiB of chunk, fed a chunk at a time. */
static double
bench_one(struct mask *m, const char *chunk, size_t len)
{
	size_t n = (size_t)1 << 30, total = 0;
	int64_t t0 = mono_us();

	for (size_t done = 0; done < n; done += len)
		mask_feed(m, chunk, len, count, &total);
	mask_flush(m, count, &total);
	return 1024.0 * 1e6 / (double)(mono_us() - t0);
}

static void
bench_words(char *buf, size_t len, const char *const *w, size_t nw)
{
	for (size_t i = 0; i < len; ) {
		const char *word = w[rnd() % nw];

		for (size_t k = 0; word[k] != '\0' && i < len; k++)
			buf[i++] = word[k];
	}
}

/*
 * 1 GiB through 3 secrets, in 64 KiB reads: log-like text, random
 * bytes, and text full of near misses (the secrets' and their base64
 * forms' first bytes) with a whole secret now and then.
 */
static void
test_bench(void **state)
{
	char *s[] = { "ghp_R4nd0mT0k3nV4lu3F0rTh3B3nchm4rk000001",
	    "AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMIK7MDENGbP",
	    "xoxb-1234567890-0987654321-abcdefghijklmnop" };
	static const char *const text[] = { "test_", "ok ", "PASSED ",
	    "tests/test_api.py::", "GET /api/v1/jobs ", "200 ",
	    "Traceback ", "at ", "0x7ffd3a ", "gcc -O2 -Wall ",
	    "src/", ".c ", "aHR0cHM6 ", "[ 12%] ", "\n" };
	static const char *const near[] = { "ghp_R4nd0 ", "AKIAIOSFOD ",
	    "xoxb-12345 ", "Z2hwX1I0bm ", "QUtJQUlPU0 ", "eG94Yi0xMj ",
	    "ok ", "\n", "ghp_R4nd0mT0k3nV4lu3F0rTh3B3nchm4rk000001\n" };
	struct mask *m = mask_new(s, 3);
	size_t chunk = 65536;
	char *buf = xmalloc(chunk);
	double t, b, nm;

	(void)state;
	bench_words(buf, chunk, text, 15);
	t = bench_one(m, buf, chunk);
	for (size_t i = 0; i < chunk; i++)
		buf[i] = (char)rnd();
	b = bench_one(m, buf, chunk);
	bench_words(buf, chunk, near, 9);
	nm = bench_one(m, buf, chunk);
	printf("mask: text %.0f MiB/s, random bytes %.0f MiB/s, "
	    "near misses %.0f MiB/s\n", t, b, nm);
	mask_free(m);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_secret),
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_single_bytes),
		cmocka_unit_test(test_overlapping_secrets),
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_inside),
		cmocka_unit_test(test_random_against_naive),
		cmocka_unit_test(test_held_bounded),
		cmocka_unit_test(test_held_after_match),
		cmocka_unit_test(test_long_prefix_linear),
		cmocka_unit_test(test_null_mask),
		cmocka_unit_test(test_mask_string),
	};
	const struct CMUnitTest bench[] = {
		cmocka_unit_test(test_bench),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	/* Seconds of work, not a check: only when asked. */
	if (getenv("SSCI_MASK_BENCH") != NULL)
		failed += cmocka_run_group_tests(bench, NULL, NULL);
	return failed;
}

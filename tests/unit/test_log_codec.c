/* SPDX-License-Identifier: MIT */
/*
 * test_log_codec.c - log lines, both ends: proto_encode_log (which makes
 * the output valid UTF-8 and escapes it in one pass, in runs) against the
 * sanitize-then-escape-a-byte-at-a-time code it replaced, byte for byte;
 * proto_encode_log_part's cut at any size; and proto_parse's shortcut for
 * log lines (which copies runs) against the byte-at-a-time decoder it
 * replaced, both falling back to the general parser, on random lines.  The
 * old code is kept here as the reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "util.h"
#include "unit_text.h"

/* The encoder before: its escaping loop, on sanitized text. */
static char *
ref_encode_line(int64_t job, const char *clean, size_t n, size_t *len)
{
	static const char hex[] = "0123456789abcdef";
	char *line = malloc(n * 6 + 64);
	size_t o;

	assert_non_null(line);
	o = (size_t)sprintf(line, "{\"type\":\"log\",\"id\":%lld,\"data\":\"",
	    (long long)job);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)clean[i];
		const char *e = NULL;

		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\t': e = "\\t"; break;
		case '\r': e = "\\r"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		}
		if (e != NULL) {
			line[o++] = e[0];
			line[o++] = e[1];
		} else if (c < 0x20) {
			memcpy(line + o, "\\u00", 4);
			line[o + 4] = hex[c >> 4];
			line[o + 5] = hex[c & 15];
			o += 6;
		} else
			line[o++] = (char)c;
	}
	memcpy(line + o, "\"}\n", 4);
	*len = o + 3;
	return line;
}

/* proto_encode_log before; *cleanlen: the data's length in the line. */
static char *
ref_encode_log(int64_t job, const char *data, size_t datalen, size_t *len,
    size_t *cleanlen)
{
	char *clean, *line;
	size_t n;

	clean = text_ref_sanitize(data, datalen, &n);
	if (n > PROTO_MAX_LOG_CHUNK) {
		n = PROTO_MAX_LOG_CHUNK;
		while (n > 0 && ((unsigned char)clean[n] & 0xc0) == 0x80)
			n--;
	}
	line = ref_encode_line(job, clean, n, len);
	free(clean);
	if (cleanlen != NULL)
		*cleanlen = n;
	return line;
}

/* The decoder before: json_unescape, utf8_valid and their callers. */
static int
ref_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static long
ref_hex4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = ref_hexval(s[i]);

		if (h == -1)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static long
ref_unescape(const char *s, size_t avail, char *out, size_t *used)
{
	static const char esc_in[] = "\"\\/bfnrt";
	static const char esc_out[] = "\"\\/\b\f\n\r\t";
	size_t i = 0, o = 0;
	const char *e;
	long cp, lo;

	while (i < avail && s[i] != '"') {
		if ((unsigned char)s[i] < 0x20)
			return -1;
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		if (i + 1 >= avail)
			return -1;
		if (s[i + 1] != 'u') {
			if ((e = strchr(esc_in, s[i + 1])) == NULL ||
			    s[i + 1] == 0)
				return -1;
			out[o++] = esc_out[e - esc_in];
			i += 2;
			continue;
		}
		if (i + 6 > avail || (cp = ref_hex4(s + i + 2)) <= 0)
			return -1;
		i += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 6 > avail || s[i] != '\\' || s[i + 1] != 'u' ||
			    (lo = ref_hex4(s + i + 2)) < 0xdc00 || lo > 0xdfff)
				return -1;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		} else if (cp >= 0xdc00 && cp <= 0xdfff)
			return -1;
		o += text_utf8((uint32_t)cp, (unsigned char *)out + o);
	}
	if (i >= avail)
		return -1;
	*used = i + 1;
	return (long)o;
}

#define LOG_PREFIX "{\"type\":\"log\",\"id\":"
#define LOG_DATA ",\"data\":\""

/* proto_parse_log_fast before; data and its length, or -1. */
static long
ref_parse_fast(const char *line, size_t len, int64_t *job, char **data)
{
	size_t plen = sizeof LOG_PREFIX - 1, dlen = sizeof LOG_DATA - 1;
	size_t i = plen, used;
	int64_t id = 0;
	long n;

	if (len < plen || memcmp(line, LOG_PREFIX, plen) != 0)
		return -1;
	if (i >= len || line[i] < '1' || line[i] > '9')
		return -1;
	for (; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		if (id > (INT64_MAX - 9) / 10)
			return -1;
		id = id * 10 + (line[i] - '0');
	}
	if (len - i < dlen || memcmp(line + i, LOG_DATA, dlen) != 0)
		return -1;
	i += dlen;
	*data = malloc(len - i + 1);
	assert_non_null(*data);
	n = ref_unescape(line + i, len - i, *data, &used);
	if (n < 0 || (size_t)n > PROTO_MAX_LOG_CHUNK || i + used + 1 != len ||
	    line[i + used] != '}' || !text_ref_valid(*data, (size_t)n)) {
		free(*data);
		return -1;
	}
	*job = id;
	return n;
}

/*
 * proto_parse on line, against the old shortcut or the general parser:
 * 0 taken by the shortcut, 1 by the general parser, 2 refused.
 */
static int
check_parse(const char *line, size_t len)
{
	struct proto_msg msg, ref;
	struct proto_error err, referr;
	int rc, refrc;
	char *data;
	long n;

	rc = proto_parse(line, len, &msg, &err);
	if (len <= PROTO_MAX_LINE &&
	    (n = ref_parse_fast(line, len, &ref.job, &data)) >= 0) {
		assert_int_equal(rc, 0);
		assert_int_equal(msg.type, PROTO_LOG);
		assert_int_equal(msg.job, ref.job);
		assert_int_equal(msg.data_len, (size_t)n);
		assert_memory_equal(msg.data, data, (size_t)n);
		assert_int_equal(msg.data[n], '\0');
		free(data);
		proto_msg_release(&msg);
		return 0;
	}
	refrc = proto_parse_general(line, len, &ref, &referr);
	assert_int_equal(rc, refrc);
	if (rc == -1) {
		assert_string_equal(err.code, referr.code);
		assert_string_equal(err.message, referr.message);
		return 2;
	}
	assert_int_equal(msg.type, ref.type);
	assert_int_equal(msg.job, ref.job);
	assert_int_equal(msg.data_len, ref.data_len);
	if (ref.data != NULL)
		assert_memory_equal(msg.data, ref.data, ref.data_len);
	proto_msg_release(&msg);
	proto_msg_release(&ref);
	return 1;
}

/*
 * proto_encode_log_part with max: the line of the old encoder for its
 * part, as long as fits; the next character would not have fitted.
 */
static void
check_part(int64_t job, const char *data, size_t n, size_t max)
{
	size_t partlen, reflen, used, clean, unit, most;
	char *part, *ref, *whole;

	most = max < 4 || max > PROTO_MAX_LOG_CHUNK ? PROTO_MAX_LOG_CHUNK : max;
	part = proto_encode_log_part(job, data, n, max, &used, &partlen);
	assert_true(used <= n && (n == 0 || used > 0));
	ref = ref_encode_log(job, data, used, &reflen, &clean);
	assert_int_equal(partlen, reflen);
	assert_memory_equal(part, ref, partlen + 1);
	assert_true(clean <= most);
	free(part);
	free(ref);
	if (used == n)
		return;
	unit = utf8_seq_len((const unsigned char *)data + used, n - used);
	whole = text_ref_sanitize(data, used + (unit > 0 ? unit : 1), &clean);
	assert_true(clean > most);
	free(whole);
}

/* proto_encode_log and proto_encode_log_part on data, against the old. */
static void
check_encode(int64_t job, const char *data, size_t n)
{
	static const size_t maxes[] = { 0, 4, 5, 6, 7, 9, 16, 33,
	    PROTO_MAX_LOG_CHUNK / 2, PROTO_MAX_LOG_CHUNK,
	    PROTO_MAX_LOG_CHUNK + 1, (size_t)-1 };
	struct proto_msg msg;
	struct proto_error err;
	size_t len, reflen, cleanlen;
	char *line, *ref;

	line = proto_encode_log(job, data, n, &len);
	ref = ref_encode_log(job, data, n, &reflen, &cleanlen);
	assert_int_equal(len, reflen);
	assert_memory_equal(line, ref, len + 1);
	assert_true(len - 1 <= PROTO_MAX_LOG_LINE);
	/* The dispatcher takes it: the same text as the old line's. */
	assert_int_equal(proto_parse(line, len - 1, &msg, &err), 0);
	assert_int_equal(msg.data_len, cleanlen);
	proto_msg_release(&msg);
	free(line);
	free(ref);

	for (size_t i = 0; i < sizeof maxes / sizeof maxes[0]; i++)
		if (n < 200 || maxes[i] >= PROTO_MAX_LOG_CHUNK / 2)
			check_part(job, data, n, maxes[i]);
}

/* Every length 0..100 at every offset, of each kind of text. */
static void
test_encode_random(void **state)
{
	unsigned char buf[108];
	uint64_t rng = 7;

	(void)state;
	for (int kind = TEXT_MIXED; kind <= TEXT_WIDE; kind++)
		for (int round = 0; round < 20; round++)
			for (size_t len = 0; len <= 100; len++)
				for (size_t off = 0; off < 8; off++) {
					text_fill(&rng, (enum text_kind)kind,
					    buf + off, len);
					check_encode(round * 1000 + 1,
					    (char *)buf + off, len);
				}
	check_encode(INT64_MAX, "", 0);
	check_encode(1, NULL, 0);
}

/*
 * Around the limit: the cut of the old encoder (after sanitizing) and
 * where the part stops, with characters, U+FFFD and escapes astride it.
 */
static void
test_encode_at_the_limit(void **state)
{
	size_t cap = PROTO_MAX_LOG_CHUNK + 64;
	char *buf = malloc(cap);
	uint64_t rng = 99;

	(void)state;
	assert_non_null(buf);
	for (int kind = TEXT_MIXED; kind <= TEXT_WIDE; kind++)
		for (size_t before = PROTO_MAX_LOG_CHUNK - 12;
		    before <= PROTO_MAX_LOG_CHUNK + 2; before++) {
			memset(buf, 'x', before);
			text_fill(&rng, (enum text_kind)kind,
			    (unsigned char *)buf + before, 24);
			check_encode(3, buf, before + 24);
			check_encode(3, buf, before);
		}
	/* Whole buffers of invalid bytes, controls, and wide characters. */
	memset(buf, '\xff', PROTO_MAX_LOG_CHUNK);
	check_encode(1, buf, PROTO_MAX_LOG_CHUNK);
	memset(buf, '\x01', PROTO_MAX_LOG_CHUNK + 1);
	check_encode(1, buf, PROTO_MAX_LOG_CHUNK + 1);
	text_fill(&rng, TEXT_WIDE, (unsigned char *)buf, cap);
	check_encode(1, buf, cap);
	text_fill(&rng, TEXT_MIXED, (unsigned char *)buf, cap);
	check_encode(1, buf, cap);
	free(buf);
}

/* The worst case, every byte a "\u00XX", is within the protocol's line. */
static void
test_encode_worst_case(void **state)
{
	char *buf = malloc(3 * PROTO_MAX_LOG_CHUNK);
	size_t used, len;
	char *line;

	(void)state;
	assert_non_null(buf);
	memset(buf, '\x1f', 3 * PROTO_MAX_LOG_CHUNK);
	line = proto_encode_log_part(1, buf, 3 * PROTO_MAX_LOG_CHUNK,
	    PROTO_MAX_LOG_CHUNK, &used, &len);
	assert_int_equal(used, PROTO_MAX_LOG_CHUNK);
	assert_true(len - 1 <= PROTO_MAX_LOG_LINE);
	assert_true(len - 1 <= PROTO_MAX_LINE);
	free(line);
	/* 64 KiB of plain text is one line. */
	memset(buf, 'x', 3 * PROTO_MAX_LOG_CHUNK);
	line = proto_encode_log_part(1, buf, 3 * PROTO_MAX_LOG_CHUNK,
	    PROTO_MAX_LOG_CHUNK, &used, &len);
	assert_int_equal(used, PROTO_MAX_LOG_CHUNK);
	free(line);
	free(buf);
}

/*
 * A random JSON string body: plain runs, escapes and raw UTF-8, all good
 * unless noisy, which brings bad escapes, raw controls and NULs, invalid
 * UTF-8 and quotes that end the string early.
 */
static size_t
random_body(uint64_t *rng, char *out, size_t most, int noisy)
{
	static const char *const esc[] = { "\\\"", "\\\\", "\\/", "\\b",
	    "\\f", "\\n", "\\r", "\\t", "\\u001f", "\\u00e9", "\\u20AC",
	    "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\uffff", "\\u0080",
	    "\\u07ff", "\\u0800", "\\u0001",
	    /* the bad ones, from here */
	    "\\u0000", "\\ud800", "\\udc00", "\\ud800\\u0041", "\\ud800x",
	    "\\x", "\\u12", "\\u12g4", "\\" };
	size_t nesc = sizeof esc / sizeof esc[0], good = 18, o = 0, n, k;
	uint32_t r;

	while (o + 16 < most) {
		r = text_rand(rng);
		if (r % 64 == 0)
			break;
		if (r % 5 == 0) {
			k = (r >> 8) % (noisy ? nesc : good);
			n = strlen(esc[k]);
			if (n == 1 && (r >> 20) % 2)
				n = 2;	/* a backslash and a NUL */
			memcpy(out + o, esc[k], n);
			o += n;
		} else if (noisy && r % 5 == 1 && (r >> 8) % 16 == 0)
			out[o++] = '"';	/* the string ends early */
		else {
			n = text_piece(rng, noisy && r % 5 == 2 ? TEXT_MIXED :
			    r % 5 == 3 ? TEXT_WIDE : TEXT_ASCII,
			    (unsigned char *)out + o);
			/* A raw newline would end the line: only if noisy. */
			for (k = o; !noisy && k < o + n; k++)
				if (out[k] == '\n')
					out[k] = ' ';
			o += n;
		}
	}
	return o;
}

/* Log lines, mostly well formed, some not: the same answer as before. */
static void
test_parse_random(void **state)
{
	static const char *const heads[] = { "{\"type\":\"log\",\"id\":",
	    "{\"type\":\"log\", \"id\":", "{\"type\":\"log\",\"id\":0",
	    "{\"type\":\"log\",\"id\":-" };
	static const char *const ids[] = { "1", "42", "9223372036854775807",
	    "9223372036854775808", "01", "" };
	static const char *const tails[] = { "\"}", "\"}", "\"}", "\"} ",
	    "\"}}", "\"", "", "\",\"x\":1}" };
	char line[600];
	uint64_t rng = 2024;
	int seen[3] = { 0, 0, 0 };

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint32_t r = text_rand(&rng);
		size_t n = 0, k;

		k = r % 16 == 0 ? (r >> 4) % 4 : 0;
		n += (size_t)sprintf(line + n, "%s%s", heads[k],
		    ids[r % 8 == 1 ? (r >> 8) % 6 : (r >> 8) % 3]);
		n += (size_t)sprintf(line + n, ",\"data\":\"");
		n += random_body(&rng, line + n, 500, r % 3 == 0);
		k = r % 4 == 0 ? (r >> 12) % 8 : 0;
		memcpy(line + n, tails[k], strlen(tails[k]));
		n += strlen(tails[k]);
		seen[check_parse(line, n)]++;
	}
	/* Each way was taken often. */
	assert_true(seen[0] > 20000 && seen[1] > 2000 && seen[2] > 20000);
}

/* Long lines at the data limit, and lines the encoder wrote. */
static void
test_parse_long(void **state)
{
	size_t cap = 6 * PROTO_MAX_LOG_CHUNK + 200, n, len;
	char *line = malloc(cap), *enc;
	unsigned char *text = malloc(PROTO_MAX_LOG_CHUNK + 8);
	uint64_t rng = 5;

	(void)state;
	assert_non_null(line);
	assert_non_null(text);
	for (size_t extra = 0; extra < 3; extra++) {
		n = (size_t)sprintf(line, "{\"type\":\"log\",\"id\":7,"
		    "\"data\":\"");
		memset(line + n, 'y', PROTO_MAX_LOG_CHUNK - 1 + extra);
		n += PROTO_MAX_LOG_CHUNK - 1 + extra;
		memcpy(line + n, "\"}", 2);
		check_parse(line, n + 2);
		/* An escape at the end counts as one byte of data. */
		memcpy(line + n - 1, "\\n\"}", 4);
		check_parse(line, n + 3);
	}
	for (int kind = TEXT_MIXED; kind <= TEXT_WIDE; kind++) {
		text_fill(&rng, (enum text_kind)kind, text,
		    PROTO_MAX_LOG_CHUNK + 8);
		enc = proto_encode_log(11, (char *)text,
		    PROTO_MAX_LOG_CHUNK + 8, &len);
		check_parse(enc, len - 1);
		free(enc);
	}
	free(line);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_random),
		cmocka_unit_test(test_encode_at_the_limit),
		cmocka_unit_test(test_encode_worst_case),
		cmocka_unit_test(test_parse_random),
		cmocka_unit_test(test_parse_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

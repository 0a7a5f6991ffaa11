/* SPDX-License-Identifier: MIT */
/*
 * test_text_fast.c - utf8_ascii_len, json_plain_len, utf8_valid and
 * utf8_sanitize, which look at eight bytes at a time, against the plain
 * byte-at-a-time code they replaced (kept here as the reference): every
 * length 0..100 at every offset 0..7 of random text of each kind, and
 * every byte value at every place of a run of plain text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"
#include "unit_text.h"

#define MAXLEN 100
#define ROUNDS 40

/* The reference: each byte looked at alone. */
static size_t
ref_ascii_len(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] != 0 && s[i] < 0x80)
		i++;
	return i;
}

static size_t
ref_plain_len(const unsigned char *s, size_t len, int ascii)
{
	size_t i = 0;

	while (i < len && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' &&
	    (!ascii || s[i] < 0x80))
		i++;
	return i;
}

/* Every function on s[0..len), against its reference. */
static void
check_all(const unsigned char *s, size_t len)
{
	const char *c = (const char *)s;
	size_t n1, n2;
	char *a, *b;

	assert_int_equal(utf8_ascii_len(c, len), ref_ascii_len(s, len));
	assert_int_equal(json_plain_len(c, len, 0), ref_plain_len(s, len, 0));
	assert_int_equal(json_plain_len(c, len, 1), ref_plain_len(s, len, 1));
	assert_int_equal(utf8_valid(c, len), text_ref_valid(c, len));
	a = utf8_sanitize(c, len, &n1);
	b = text_ref_sanitize(c, len, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1 + 1);
	free(a);
	free(b);
}

/* Each kind of text, every length and alignment. */
static void
test_random_text(void **state)
{
	static const enum text_kind kinds[] = { TEXT_MIXED, TEXT_VALID,
	    TEXT_ASCII, TEXT_WIDE };
	unsigned char buf[MAXLEN + 8];
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	size_t valid = 0, total = 0;

	(void)state;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		for (int round = 0; round < ROUNDS; round++)
			for (size_t len = 0; len <= MAXLEN; len++)
				for (size_t off = 0; off < 8; off++) {
					text_fill(&rng, kinds[k], buf + off,
					    len);
					check_all(buf + off, len);
					valid += text_ref_valid((char *)buf + off,
					    len);
					total++;
				}
	/* Both answers are common enough to have been compared. */
	assert_true(valid > total / 4 && valid < total * 3 / 4);
}

/*
 * One byte of each value at each place in a run of letters: where the
 * eight-byte checks must stop, and where they must not.
 */
static void
test_every_byte_everywhere(void **state)
{
	unsigned char buf[40];

	(void)state;
	for (size_t len = 1; len <= 32; len++)
		for (size_t at = 0; at < len; at++)
			for (int v = 0; v < 256; v++) {
				memset(buf, 'x', sizeof buf);
				buf[at] = (unsigned char)v;
				check_all(buf, len);
				check_all(buf + 1, len);
			}
}

/* Two bytes that need a look, in every pair of places of a word or two. */
static void
test_pairs(void **state)
{
	static const unsigned char odd[] = { 0x00, 0x01, 0x1f, 0x20, '"',
	    '\\', 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xf0, 0xff, 0x21, 0x5b, 0x5d };
	unsigned char buf[24];

	(void)state;
	for (size_t a = 0; a < 16; a++)
		for (size_t b = a + 1; b < 16; b++)
			for (size_t i = 0; i < sizeof odd; i++)
				for (size_t j = 0; j < sizeof odd; j++) {
					memset(buf, 'q', sizeof buf);
					buf[a] = odd[i];
					buf[b] = odd[j];
					check_all(buf, 16);
					check_all(buf, 24);
				}
}

/* Long text, where the fast paths do most of the work. */
static void
test_long_text(void **state)
{
	size_t len = 1 << 16;
	unsigned char *buf = malloc(len + 8);
	uint64_t rng = 42;

	(void)state;
	assert_non_null(buf);
	for (int kind = TEXT_MIXED; kind <= TEXT_WIDE; kind++)
		for (size_t off = 0; off < 8; off += 3) {
			text_fill(&rng, (enum text_kind)kind, buf + off, len);
			check_all(buf + off, len);
		}
	memset(buf, 'x', len);
	check_all(buf, len);
	assert_int_equal(utf8_ascii_len((char *)buf, len), len);
	assert_true(utf8_valid((char *)buf, len));
	buf[len - 1] = '\n';
	assert_int_equal(json_plain_len((char *)buf, len, 1), len - 1);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_text),
		cmocka_unit_test(test_every_byte_everywhere),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_long_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

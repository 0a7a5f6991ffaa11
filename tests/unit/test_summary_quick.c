/* SPDX-License-Identifier: MIT */
/*
 * test_summary_quick.c - summary_feed looks for summaries only in lines
 * that may be some (by their first byte, a colon for the plain line) and
 * matches a line where it is when a chunk holds all of it: the counts must
 * be those of every line gathered and given to every format
 * (unit_summary.h), after each chunk, for lines of every format, changed
 * at random, behind every first byte, cut anywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "summary.h"
#include "unit_summary.h"
#include "unit_text.h"

/* Lines of each format, and near misses. */
static const char *const samples[] = {
	"Ran 3 tests in 0.002s", "Ran 1 test in 0.000s", "OK", "OK (skipped=1)",
	"FAILED (failures=1, errors=2)", "NO TESTS RAN",
	"OK (skipped=1, expected failures=1)",
	"FAILED (failures=1, unexpected successes=1)",
	"==== 2 failed, 3 passed, 1 skipped, 1 warning in 0.12s ====",
	"2 failed, 3 passed in 0.12s", "no tests ran in 0.01s",
	"=== no tests ran in 0.01s ===", "5 passed in 61.23s (0:01:01)",
	"1 passed in 0.12 seconds", "3 passed, 2 subtests passed in 0.1s",
	"3 passed, 0 failed", "unit: 3 passed, 1 failed, 2 skipped",
	"my-suite:   10 passed, 2 failed", "x: 3 passed, 0 failed:",
	"Unit_2: 4 passed, 0 failed", "z 3 passed, 0 failed",
	"ok 1 - name", "not ok 2 # TODO later", "ok 3 # SKIP no network",
	"not ok 4 - a \\# b # skip", "okay", "ok,", "1..3",
	"--- PASS: TestX (0.00s)", "    --- FAIL: TestY/sub (0.01s)",
	"--- SKIP: TestZ (0.00s)", "\t--- PASS: TestW (1.5s)",
	"ok  \tpkg/x\t0.1s", "FAIL\tpkg/y\t0.2s",
	"test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; "
	    "0 filtered out; finished in 0.00s",
	"test result: FAILED. 1 passed; 1 failed; 0 ignored",
	"75% tests passed, 1 tests failed out of 4",
	"100% tests passed, 0 tests failed out of 2",
	"\t  4 - later (Skipped)", "  12 - slow (Skipped)",
	"The following tests did not run:",
	"[WARNING] Tests run: 3, Failures: 0, Errors: 0, Skipped: 1",
	"Tests run: 5, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 1 s",
	"[INFO] Tests run: 2, Failures: 0, Errors: 0, Skipped: 0",
	"[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0", "Results:",
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	"some log line: the build passed", "passed", "", " ", "\r",
};
#define NSAMPLES (sizeof samples / sizeof samples[0])

/* A sample line, perhaps changed; its length (it holds no '\n'). */
static size_t
make_line(uint64_t *rng, char *out, size_t size)
{
	uint32_t r = text_rand(rng);
	const char *s = samples[r % NSAMPLES];
	size_t n = 0, len = strlen(s), k;

	switch ((r >> 8) % 10) {
	case 0:		/* a byte in front, any but '\n' */
		out[n] = (char)((r >> 16) % 256);
		if (out[n] != '\n')
			n++;
		break;
	case 1:		/* a word and a colon in front */
		n = (size_t)snprintf(out, size, "%s: ", (r >> 16) % 2 ?
		    "step" : "OK");
		break;
	case 2:		/* the first byte gone */
		if (len > 0) {
			s++;
			len--;
		}
		break;
	}
	memcpy(out + n, s, len);
	n += len;
	switch ((r >> 12) % 8) {
	case 0:		/* blanks after */
		for (k = (r >> 20) % 5; k > 0; k--)
			out[n++] = " \t\r"[k % 3];
		break;
	case 1:		/* a byte changed */
		if (n > 0) {
			k = (r >> 20) % n;
			out[k] = (char)(text_rand(rng) % 256);
			if (out[k] == '\n')
				out[k] = ':';
		}
		break;
	case 2:		/* cut short */
		n = n > 0 ? (r >> 20) % n : 0;
		break;
	case 3:		/* past the line buffer: cut, or blanks only */
		k = SUMMARY_LINE_MAX + 8 - n + (r >> 20) % 16;
		memset(out + n, (r >> 16) % 2 ? ' ' : 'y', k);
		n += k;
		break;
	case 4:		/* a long word in front, to the buffer's end */
		k = SUMMARY_LINE_MAX - 6 - n + (r >> 20) % 8;
		memmove(out + k + 2, out, n);
		memset(out, 'w', k);
		memcpy(out + k, ": ", 2);
		n += k + 2;
		if ((r >> 24) % 2) {
			memcpy(out + n, "zz", 2);
			n += 2;
		}
		break;
	}
	return n;
}

/* Feed both parsers; the same counts after each chunk, and at the end. */
static void
feed_both(struct summary_parser *p, struct summary_parser *ref,
    const char *data, size_t len)
{
	struct summary_parser a, b;
	struct job_tests ta, tb;
	const char *na, *nb;

	summary_feed(p, data, len);
	ref_summary_feed(ref, data, len);
	assert_true(summary_same(p, ref));
	a = *p;
	b = *ref;
	na = summary_finish(&a, &ta);
	nb = ref_summary_finish(&b, &tb);
	assert_ptr_equal(na, nb);
	assert_memory_equal(&ta, &tb, sizeof ta);
	assert_true(summary_same(&a, &b));
}

/* Outputs of random lines, in random chunks, whole lines or cut. */
static void
test_random_outputs(void **state)
{
	size_t size = 64 * (SUMMARY_LINE_MAX + 64), len, off, n;
	char *text = malloc(size);
	struct summary_parser p, ref;
	uint64_t rng = 12345;
	int found = 0;

	(void)state;
	assert_non_null(text);
	for (int round = 0; round < 3000; round++) {
		len = 0;
		for (int i = 0; i < 40 && len + SUMMARY_LINE_MAX + 64 < size;
		    i++) {
			len += make_line(&rng, text + len, size - len);
			text[len++] = '\n';
		}
		if (round % 2)
			len--;	/* the last line without its '\n' */
		summary_init(&p);
		summary_init(&ref);
		for (off = 0; off < len; off += n) {
			uint32_t r = text_rand(&rng);

			n = r % 4 == 0 ? len - off : r % 4 == 1 ?
			    1 + (r >> 8) % 4 : 1 + (r >> 8) % 300;
			if (n > len - off)
				n = len - off;
			feed_both(&p, &ref, text + off, n);
		}
		found += p.ut_seen || p.py_seen || p.plain_seen ||
		    p.go_seen || p.cargo_seen || p.ctest_seen ||
		    p.maven_seen || p.tap_seen;
	}
	/* Summaries were found, or this would prove little. */
	assert_true(found > 2000);
	free(text);
}

/*
 * Each sample behind each first byte, alone and after a unittest "Ran"
 * (a verdict counts only then), whole in a chunk and a byte at a time.
 */
static void
test_every_first_byte(void **state)
{
	static const char *const before[] = { "", "Ran 2 tests in 0.1s\n" };
	struct summary_parser p, ref;
	char line[SUMMARY_LINE_MAX];
	size_t n;

	(void)state;
	for (size_t s = 0; s < NSAMPLES; s++)
		for (int c = 0; c < 256; c++)
			for (size_t b = 0; b < 2; b++) {
				if (c == '\n')
					continue;
				line[0] = (char)c;
				n = strlen(samples[s]);
				memcpy(line + 1, samples[s], n);
				line[++n] = '\n';
				summary_init(&p);
				summary_init(&ref);
				feed_both(&p, &ref, before[b],
				    strlen(before[b]));
				feed_both(&p, &ref, line, n + 1);
				feed_both(&p, &ref, line + 1, n);
				for (size_t i = 0; i <= n; i++)
					feed_both(&p, &ref, line + i, 1);
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_outputs),
		cmocka_unit_test(test_every_first_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_lineguard.c - a test's lines that begin like ssci's are marked,
 * wherever its output is cut into reads; nothing else changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lineguard.h"

struct sink {
	char buf[1024];
	size_t len;
};

static void
collect(const char *data, size_t len, void *arg)
{
	struct sink *s = arg;

	assert_true(s->len + len < sizeof s->buf);
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	s->buf[s->len] = '\0';
}

/* in, guarded in reads of step bytes (0: whole), then flushed, is want. */
static void
expect(const char *in, const char *want)
{
	for (size_t step = 0; step <= 3; step++) {
		struct line_guard g;
		struct sink s = { .len = 0 };
		size_t len = strlen(in), n = step ? step : len ? len : 1;

		line_guard_init(&g);
		for (size_t i = 0; i < len; i += n)
			line_guard_feed(&g, in + i, len - i < n ? len - i : n,
			    collect, &s);
		line_guard_flush(&g, collect, &s);
		assert_string_equal(s.buf, want);
	}
}

static void
test_forged_lines_marked(void **state)
{
	(void)state;
	expect("result: passed exit_code=0\n", "> result: passed exit_code=0\n");
	expect("ok\nssci: cancelled by me\nresult:x", "ok\n> ssci: cancelled "
	    "by me\n> result:x\n");
}

static void
test_other_lines_unchanged(void **state)
{
	(void)state;
	expect("a result: passed\n", "a result: passed\n");
	expect(" result: x\nresults: 3\nssci is great\nres", " result: x\n"
	    "results: 3\nssci is great\nres\n");
	expect("", "");
	expect("\n\nlast", "\n\nlast\n");
	/* The rest of a line is skipped to its end, within a read or not. */
	expect("a long line, ssci: and result: in it\nresult: x\nb\nssci:",
	    "a long line, ssci: and result: in it\n> result: x\nb\n> ssci:\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_lines_marked),
		cmocka_unit_test(test_other_lines_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

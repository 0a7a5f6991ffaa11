/* SPDX-License-Identifier: MIT */
/*
 * test_term.c - what "ssci log" lets through to a terminal: colours, text,
 * newlines and tabs; never a title, a clipboard write, a screen clear or
 * a C1 control, however the output is cut into reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "term.h"

/* in filtered, cut after every `step` bytes (0: in one piece). */
static char *
filtered(const char *in, size_t len, size_t step)
{
	struct term_filter f;
	struct term_buf out = { 0 };

	term_filter_init(&f);
	if (step == 0)
		step = len ? len : 1;
	for (size_t i = 0; i < len; i += step)
		term_filter_feed(&f, in + i, len - i < step ? len - i : step,
		    &out);
	term_filter_end(&f, &out);
	if (out.data == NULL)
		out.data = strdup("");
	return out.data;
}

/* in gives want, whole and cut into reads of 1, 2 and 3 bytes. */
static void
expect(const char *in, const char *want)
{
	for (size_t step = 0; step <= 3; step++) {
		char *got = filtered(in, strlen(in), step);

		assert_string_equal(got, want);
		free(got);
	}
}

static void
test_text_and_colours_pass(void **state)
{
	(void)state;
	expect("plain\n\ttabbed caf\xc3\xa9\n", "plain\n\ttabbed caf\xc3\xa9\n");
	expect("\x1b[1;31mred\x1b[0m \x1b[38:5:208mx\x1b[m",
	    "\x1b[1;31mred\x1b[0m \x1b[38:5:208mx\x1b[m");
}

static void
test_other_sequences_removed(void **state)
{
	(void)state;
	expect("\x1b]0;owned title\x07" "after", "after");
	expect("\x1b]52;c;ZXZpbA==\x1b\\ok", "ok");
	expect("\x1b[2J\x1b[Hx\x1b[10;5Hy\x1b[?25l", "xy");
	expect("\x1bPq#0;2;0;0;0\x1b\\z\x1b" "c", "z");
	expect("\x1b[31;<mno", "no");
	expect("\x1b[" "11111111112222222222333333333344444m" "long", "long");
	/* A sequence left open ends at the line. */
	expect("\x1b]0;never ends\nnext", "\nnext");
	expect("a\x1b[31\nb", "a\nb");
}

static void
test_c1_controls_removed(void **state)
{
	(void)state;
	expect("\xc2\x9b" "2Jy", "y");
	expect("\xc2\x9d" "0;t\xc2\x9cz", "z");
	expect("a\xc2\x85" "b", "ab");
}

static void
test_controls_shown_or_dropped(void **state)
{
	(void)state;
	expect("a\rb\r\nc\r", "a\nb\nc\n");
	expect("\x08\x01\x07\x7f", "^H^A^?");
	expect(" \xff \xc3(", " \xef\xbf\xbd \xef\xbf\xbd(");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_and_colours_pass),
		cmocka_unit_test(test_other_sequences_removed),
		cmocka_unit_test(test_c1_controls_removed),
		cmocka_unit_test(test_controls_shown_or_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

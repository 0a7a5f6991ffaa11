/* SPDX-License-Identifier: MIT */
/*
 * test_conf.c - the configuration file's syntax (conf.c): sections,
 * "name = value" lines, comments, blanks and CRLF; each kind of wrong line
 * refused with its line number; yes/no values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"

static void
test_sections_and_values(void **state)
{
	static const char text[] =
	    "# a comment\n"
	    "\n"
	    "[dispatcher]\n"
	    "port = 9000\n"
	    "  http=localhost:0  \r\n"
	    "test-cmd = make check # not a comment: values may hold '#'\n"
	    "\t# an indented comment\n"
	    "[ runner ]\n"
	    "label = a = b\n"
	    "label=c";				/* no newline at the end */
	struct conf c;
	char err[200];
	int line;

	(void)state;
	assert_int_equal(conf_parse(&c, text, strlen(text), &line, err,
	    sizeof err), 0);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.entries[0].section, "dispatcher");
	assert_string_equal(c.entries[0].name, "port");
	assert_string_equal(c.entries[0].value, "9000");
	assert_int_equal(c.entries[0].line, 4);
	assert_string_equal(c.entries[1].name, "http");
	assert_string_equal(c.entries[1].value, "localhost:0");
	assert_string_equal(c.entries[2].value,
	    "make check # not a comment: values may hold '#'");
	assert_string_equal(c.entries[3].section, "runner");
	assert_string_equal(c.entries[3].value, "a = b");
	assert_int_equal(c.entries[3].line, 9);
	assert_string_equal(c.entries[4].value, "c");
	assert_int_equal(c.entries[4].line, 10);
	assert_int_equal(c.nsections, 2);
	assert_string_equal(c.sections[1].section, "runner");
	assert_int_equal(c.sections[1].line, 8);
	conf_free(&c);
}

static void
test_empty_files(void **state)
{
	static const char *const texts[] = { "", "\n", "# only\n\n",
	    "[observer]\n" };
	struct conf c;
	char err[200];
	int line;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(conf_parse(&c, texts[i], strlen(texts[i]),
		    &line, err, sizeof err), 0);
		assert_int_equal(c.n, 0);
		conf_free(&c);
	}
}

/* text is refused at line, with a message holding want. */
static void
refused(const char *text, size_t len, int want_line, const char *want)
{
	struct conf c;
	char err[200];
	int line;

	assert_int_equal(conf_parse(&c, text, len, &line, err, sizeof err),
	    -1);
	assert_int_equal(line, want_line);
	if (strstr(err, want) == NULL)
		fail_msg("'%s' does not say '%s'", err, want);
	assert_int_equal(c.n, 0);
	assert_null(c.text);
	conf_free(&c);
}

static void
test_wrong_lines(void **state)
{
	static const char nul[] = "[runner]\njobs = 1\nname = a\0b\n";
	char *big;

	(void)state;
	refused("port = 1\n", 9, 1, "before any [section]");
	refused("[runner]\n\njobs\n", 15, 3, "expected 'option = value'");
	refused("[runner\n", 8, 1, "must end with ']'");
	refused("[]\n", 3, 1, "a section's name");
	refused("[Runner]\n", 9, 1, "a section's name");
	refused("[runner]\n--jobs = 2\n", 20, 2, "without '--'");
	refused("[runner]\n= 2\n", 13, 2, "an option's name");
	refused("[runner]\njobs =   \n", 19, 2, "'jobs' has no value");
	refused("[runner]\nname = a\033[31m\n", 23, 2, "control character");
	refused(nul, sizeof nul - 1, 3, "NUL");
	big = calloc(1, CONF_MAX_BYTES + 2);
	memset(big, '#', CONF_MAX_BYTES + 1);
	refused(big, CONF_MAX_BYTES + 1, 0, "over");
	free(big);
}

static void
test_yes_and_no(void **state)
{
	(void)state;
	assert_int_equal(conf_bool("yes"), 1);
	assert_int_equal(conf_bool("True"), 1);
	assert_int_equal(conf_bool("on"), 1);
	assert_int_equal(conf_bool("1"), 1);
	assert_int_equal(conf_bool("no"), 0);
	assert_int_equal(conf_bool("FALSE"), 0);
	assert_int_equal(conf_bool("off"), 0);
	assert_int_equal(conf_bool("0"), 0);
	assert_int_equal(conf_bool("maybe"), -1);
	assert_int_equal(conf_bool("yes please"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_values),
		cmocka_unit_test(test_empty_files),
		cmocka_unit_test(test_wrong_lines),
		cmocka_unit_test(test_yes_and_no),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

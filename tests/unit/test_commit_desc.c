/* SPDX-License-Identifier: MIT */
/*
 * test_commit_desc.c - commits described from git log's output: lines
 * without an id are skipped, ids come out lower case, authors and
 * subjects lose their control characters and are cut at COMMIT_DESC_MAX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "commit_desc.h"
#include "util.h"

#define ID1 "0123456789abcdef0123456789abcdef01234567"
#define ID2 "89abcdef0123456789abcdef0123456789abcdef"
#define ID256 "0123456789abcdef0123456789abcdef" \
	"0123456789abcdef0123456789abcdef"

static void
test_lines_in_order(void **state)
{
	struct commit_desc *d;
	size_t n;

	(void)state;
	n = commit_desc_parse(ID1 "\x1f" "Ann\x1f" "first\n"
	    ID2 "\x1f" "Bob\x1f" "second\n", &d);
	assert_int_equal(n, 2);
	assert_string_equal(d[0].id, ID1);
	assert_string_equal(d[0].author, "Ann");
	assert_string_equal(d[0].subject, "first");
	assert_string_equal(d[1].id, ID2);
	assert_string_equal(d[1].author, "Bob");
	assert_string_equal(d[1].subject, "second");
	commit_desc_free(d, n);
}

static void
test_ids_checked(void **state)
{
	struct commit_desc *d;
	size_t n;

	(void)state;
	/* Not an id, empty lines, a short id, a SHA-256 id in upper case. */
	n = commit_desc_parse("fatal: bad revision\n\n\n1234abcd\x1fx\x1fy\n"
	    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
	    "\x1f" "a\x1f" "s", &d);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].id, ID256);
	assert_string_equal(d[0].subject, "s");
	commit_desc_free(d, n);
	assert_int_equal(commit_desc_parse("", &d), 0);
	assert_null(d);
	assert_int_equal(commit_desc_parse("--upload-pack=x\x1f" "a\x1f" "b\n",
	    &d), 0);
	assert_null(d);
}

static void
test_missing_fields(void **state)
{
	struct commit_desc *d;
	size_t n;

	(void)state;
	n = commit_desc_parse(ID1 "\n" ID2 "\x1f" "only the author\n", &d);
	assert_int_equal(n, 2);
	assert_null(d[0].author);
	assert_null(d[0].subject);
	assert_string_equal(d[1].author, "only the author");
	assert_null(d[1].subject);
	commit_desc_free(d, n);
}

static void
test_control_characters_become_spaces(void **state)
{
	struct commit_desc *d;
	size_t n;

	(void)state;
	/* The subject keeps what follows a third separator, as a space. */
	n = commit_desc_parse(ID1 "\x1f" "A\tB\x7f\x1f" "a\rb\x1b[31mc\x1f"
	    "d \xc3\xa9\n", &d);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].author, "A B ");
	assert_string_equal(d[0].subject, "a b [31mc d \xc3\xa9");
	commit_desc_free(d, n);
}

static void
test_long_texts_cut(void **state)
{
	char *line, *author = malloc(COMMIT_DESC_MAX + 500);
	struct commit_desc *d;
	size_t n;

	(void)state;
	memset(author, 'a', COMMIT_DESC_MAX + 499);
	author[COMMIT_DESC_MAX + 499] = '\0';
	xasprintf(&line, "%s\x1f%s\x1f%.*s", ID1, author, COMMIT_DESC_MAX,
	    author);
	n = commit_desc_parse(line, &d);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(d[0].author), COMMIT_DESC_MAX);
	assert_int_equal(strlen(d[0].subject), COMMIT_DESC_MAX);
	commit_desc_free(d, n);
	free(line);
	free(author);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_in_order),
		cmocka_unit_test(test_ids_checked),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_control_characters_become_spaces),
		cmocka_unit_test(test_long_texts_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_files.c - the small files ssci keeps beside repositories and state:
 * a hook's undelivered commits (pending.c) and who holds a lock (lock.c);
 * and how a repository URL is classed before it reaches git.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lock.h"
#include "pending.h"
#include "util.h"

#define SHA1 "0123456789abcdef0123456789abcdef01234567"

static void
test_pending_lines(void **state)
{
	struct pending_item it;

	(void)state;
	assert_int_equal(pending_parse_line(SHA1 "\tmain\t/srv/r\t-", &it), 0);
	assert_string_equal(it.commit, SHA1);
	assert_string_equal(it.branch, "main");
	assert_string_equal(it.repo, "/srv/r");
	assert_int_equal(it.rebuild, 0);
	pending_item_release(&it);
	assert_int_equal(pending_parse_line("0123456789ABCDEF0123456789abcdef"
	    "01234567\t-\thttps://e.x/r git\trebuild", &it), 0);
	assert_string_equal(it.commit, SHA1);
	assert_null(it.branch);
	assert_string_equal(it.repo, "https://e.x/r git");
	assert_int_equal(it.rebuild, 1);
	pending_item_release(&it);
}

static void
test_pending_bad_lines(void **state)
{
	static const char *const bad[] = {
		"", SHA1, SHA1 "\tmain\t/srv/r", SHA1 "\tmain\t/srv/r\t-\textra",
		"xyz\tmain\t/srv/r\t-", SHA1 "\tbad..branch\t/srv/r\t-",
		SHA1 "\tmain\t-upload-pack=x\t-", SHA1 "\tmain\t/srv/r\tmaybe",
		SHA1 "\t\t/srv/r\t-",
	};
	struct pending_item it;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(pending_parse_line(bad[i], &it), -1);
}

static void
test_lock_notes(void **state)
{
	struct lock_holder h;

	(void)state;
	lock_parse("pid 42\nup 7\naddress 127.0.0.1:8888\nname build-1\n", &h);
	assert_int_equal(h.pid, 42);
	assert_int_equal(h.up, 7);
	assert_string_equal(h.address, "127.0.0.1:8888");
	assert_string_equal(h.name, "build-1");
	lock_parse("pid -3\nup x\ngarbage\n\n", &h);
	assert_int_equal(h.pid, 0);
	assert_int_equal(h.up, 0);
	assert_string_equal(h.address, "");
}

static void
test_repo_url_kinds(void **state)
{
	static const struct { const char *url; int kind; } cases[] = {
		{ "https://example.com/r.git", REPO_URL_REMOTE },
		{ "ssh://git@example.com/r", REPO_URL_REMOTE },
		{ "git://example.com/r", REPO_URL_REMOTE },
		{ "git@example.com:team/r.git", REPO_URL_REMOTE },
		{ "/srv/git/r", REPO_URL_LOCAL },
		{ "relative/r", REPO_URL_LOCAL },
		{ "file:///srv/git/r", REPO_URL_LOCAL },
		{ "./odd:name", REPO_URL_LOCAL },
		{ "ext::sh -c touch% /tmp/x", REPO_URL_REFUSED },
		{ "fd::3", REPO_URL_REFUSED },
		{ "hg::https://example.com/r", REPO_URL_REFUSED },
		{ "foo://example.com/r", REPO_URL_REFUSED },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(repo_url_kind(cases[i].url), cases[i].kind);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pending_lines),
		cmocka_unit_test(test_pending_bad_lines),
		cmocka_unit_test(test_lock_notes),
		cmocka_unit_test(test_repo_url_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_util.c - the validators that stand between a peer's text and git's
 * argv, the UTF-8 cleaner for logs, and the file helpers, each in a private
 * temporary folder.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

#define SHA1 "0123456789abcdef0123456789abcdef01234567"
#define SHA256 SHA1 "89abcdef0123456789abcdef"
#define FFFD "\xef\xbf\xbd"

static int saved_stderr = -1;

/*
 * Errors these tests expect are logged; keep a passing run silent.  No
 * assertion may run in between, or its message would be lost too.
 */
static void
quiet(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	assert_true(fd != -1);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr != -1);
	assert_true(dup2(fd, STDERR_FILENO) != -1);
	close(fd);
}

static void
loud(void)
{
	fflush(stderr);
	assert_true(dup2(saved_stderr, STDERR_FILENO) != -1);
	close(saved_stderr);
	saved_stderr = -1;
}

/* A new temporary folder for one test, as *state. */
static int
tmpdir_setup(void **state)
{
	char *dir = strdup("/tmp/ssci-test-util.XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

static int
is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* Remove the folder and everything in it; tests make at most two levels. */
static void
rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char *sub;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (is_dot(de->d_name))
			continue;
		xasprintf(&sub, "%s/%s", path, de->d_name);
		rm_tree(sub);
		free(sub);
	}
	closedir(d);
	rmdir(path);
}

static int
tmpdir_teardown(void **state)
{
	rm_tree(*state);
	free(*state);
	return 0;
}

/* How many entries the folder holds, "." and ".." aside. */
static int
count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (!is_dot(de->d_name))
			n++;
	}
	closedir(d);
	return n;
}

/* The file's content must be exactly want. */
static void
assert_file(const char *path, const char *want)
{
	char buf[256];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* What peers send cannot make a log line of its own, nor a terminal act. */
static void
test_log_escape(void **state)
{
	char out[256];

	(void)state;
	log_escape("plain text, caf\xc3\xa9", out, sizeof out);
	assert_string_equal(out, "plain text, caf\xc3\xa9");
	log_escape("x\ndispatcher: forged\r\t", out, sizeof out);
	assert_string_equal(out, "x\\ndispatcher: forged\\r\\t");
	log_escape("\x1b]0;title\x07\x7f", out, sizeof out);
	assert_string_equal(out, "\\x1b]0;title\\x07\\x7f");
	/* C1 controls as UTF-8, and bytes that are not UTF-8. */
	log_escape("a\xc2\x9b" "2Jb\xff\xc3", out, sizeof out);
	assert_string_equal(out, "a\\u009b2Jb\\xff\\xc3");
	/* A full buffer cuts the line short, still terminated. */
	log_escape("\n\n\n\n\n\n", out, 12);
	assert_true(strlen(out) < 12);
	assert_string_equal(out, "\\n\\n\\n");
}

static void
test_commit_id_valid(void **state)
{
	char out[65];

	(void)state;
	assert_int_equal(commit_id_normalize(SHA1, out), 0);
	assert_string_equal(out, SHA1);
	assert_int_equal(commit_id_normalize(SHA256, out), 0);
	assert_string_equal(out, SHA256);
	assert_int_equal(commit_id_normalize(
	    "0123456789ABCDEF0123456789AbCdEf01234567", out), 0);
	assert_string_equal(out, SHA1);
}

/* Anything else may end up in git's argv: refuse it. */
static void
test_commit_id_invalid(void **state)
{
	static const char *bad[] = {
		"", "../../x", "--upload-pack=x", "HEAD", "main",
		SHA1 "0",				/* 41 */
		SHA256 "0",				/* 65 */
		"0123456789abcdef0123456789abcdef0123456",	/* 39 */
		"0123456789abcdef0123456789abcdef0123456g",
		"0123456789abcdef0123456789abcdef0123456 ",
		" 0123456789abcdef0123456789abcdef0123456",
		"0x23456789abcdef0123456789abcdef01234567",
		"-123456789abcdef0123456789abcdef01234567",
	};
	char out[65];
	char sha255[64];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(out, 'z', sizeof out);
		assert_int_equal(commit_id_normalize(bad[i], out), -1);
		/* A refused id leaves out as it was. */
		assert_int_equal(out[0], 'z');
	}
	memcpy(sha255, SHA256, 63);
	sha255[63] = '\0';
	assert_int_equal(commit_id_normalize(sha255, out), -1);
}

static void
test_repo_url_valid(void **state)
{
	char *big = xmalloc(4098);

	(void)state;
	assert_true(repo_url_valid("https://example.com/x/repo.git"));
	assert_true(repo_url_valid("/srv/git/repo"));
	assert_true(repo_url_valid("git@example.com:x/repo.git"));
	assert_true(repo_url_valid("file:///tmp/repo with space"));
	assert_false(repo_url_valid(""));
	assert_false(repo_url_valid("-x"));
	assert_false(repo_url_valid("--upload-pack=touch /tmp/pwned"));
	assert_false(repo_url_valid("/srv/repo\nrm -rf /"));
	assert_false(repo_url_valid("/srv/re\tpo"));
	assert_false(repo_url_valid("/srv/re\x7fpo"));
	assert_false(repo_url_valid("/srv/\x1b[31mred"));
	memset(big, 'a', 4096);
	big[4096] = '\0';
	assert_true(repo_url_valid(big));
	big[4096] = 'a';
	big[4097] = '\0';
	assert_false(repo_url_valid(big));
	free(big);
}

static void
test_branch_name_valid(void **state)
{
	static const char *good[] = {
		"main", "feature/x", "release-1.0", "a@b", "x@", "@@",
		"foo.lock.x", "fix_123", "r/1.2/rc", "caf\xc3\xa9",
	};
	static const char *bad[] = {
		"", "-x", "a..b", "a b", "x.lock", "x/", "a~1", "a^1", "a:b",
		"a?b", "a*b", "a[b", "a\\b", "a@{1}", "@", "/x", "a//b", "x.",
		"a/.b", "a/./b", ".", "..", "a\x01b", "a\tb", "a\nb", "a\x7f",
		"a/x.lock", ".hidden", "a.lock/b", "a/x.lock/b", "HEAD",
	};
	char name[257];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (!branch_name_valid(good[i]))
			fail_msg("refused '%s'", good[i]);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (branch_name_valid(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
	}
	memset(name, 'b', 255);
	name[255] = '\0';
	assert_true(branch_name_valid(name));
	name[255] = 'b';
	name[256] = '\0';
	assert_false(branch_name_valid(name));
}

/* Sanitize len bytes and compare with want, length included. */
static void
check_utf8(const char *in, size_t len, const char *want)
{
	size_t outlen = (size_t)-1;
	char *out = utf8_sanitize(in, len, &outlen);

	assert_int_equal(outlen, strlen(want));
	assert_string_equal(out, want);
	free(out);
}

static void
test_utf8_valid_kept(void **state)
{
	static const char s[] = "ascii \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
	    "\xef\xbf\xbf \xf4\x8f\xbf\xbf " FFFD;
	char *out;

	(void)state;
	check_utf8(s, sizeof s - 1, s);
	check_utf8("", 0, "");
	out = utf8_sanitize("abc", 3, NULL);
	assert_string_equal(out, "abc");
	free(out);
}

/* Each bad byte becomes one U+FFFD; what follows is read afresh. */
static void
test_utf8_invalid_replaced(void **state)
{
	(void)state;
	check_utf8("\xff", 1, FFFD);
	check_utf8("a\x80z", 3, "a" FFFD "z");
	check_utf8("a\0b", 3, "a" FFFD "b");
	/* Overlong forms. */
	check_utf8("\xc0\xaf", 2, FFFD FFFD);
	check_utf8("\xc1\xbf", 2, FFFD FFFD);
	check_utf8("\xe0\x80\xaf", 3, FFFD FFFD FFFD);
	check_utf8("\xf0\x80\x80\xaf", 4, FFFD FFFD FFFD FFFD);
	/* Surrogates, and past U+10FFFF. */
	check_utf8("\xed\xa0\x80", 3, FFFD FFFD FFFD);
	check_utf8("\xed\xbf\xbf", 3, FFFD FFFD FFFD);
	check_utf8("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD);
	check_utf8("\xf5\x80\x80\x80", 4, FFFD FFFD FFFD FFFD);
	/* Sequences cut short. */
	check_utf8("\xe2\x82", 2, FFFD FFFD);
	check_utf8("\xe2\x82" "A", 3, FFFD FFFD "A");
	check_utf8("\xc3" "\xc3\xa9", 3, FFFD "\xc3\xa9");
}

/* Whatever goes in, the result is valid UTF-8: cleaning it again is a no-op. */
static void
test_utf8_random_idempotent(void **state)
{
	unsigned char buf[4096];
	uint32_t x = 1;
	size_t n1, n2;
	char *once, *twice;

	(void)state;
	for (int round = 0; round < 64; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x = x * 1664525 + 1013904223;
			buf[i] = (unsigned char)(x >> 24);
		}
		once = utf8_sanitize((char *)buf, sizeof buf, &n1);
		assert_int_equal(strlen(once), n1);
		twice = utf8_sanitize(once, n1, &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(once, twice, n1);
		free(once);
		free(twice);
	}
}

static void
test_write_file_atomic(void **state)
{
	const char *dir = *state;
	char *path;

	xasprintf(&path, "%s/state.json", dir);
	assert_int_equal(write_file_atomic(path, "{\"a\": 1}\n", 9), 0);
	assert_file(path, "{\"a\": 1}\n");
	/* Replacing with shorter content leaves no tail of the old. */
	assert_int_equal(write_file_atomic(path, "{}", 2), 0);
	assert_file(path, "{}");
	assert_int_equal(write_file_atomic(path, "", 0), 0);
	assert_file(path, "");
	assert_int_equal(count_entries(dir), 1);
	free(path);
}

/* On failure nothing is left behind and the old file is untouched. */
static void
test_write_file_atomic_fails(void **state)
{
	const char *dir = *state;
	char *missing, *sub;
	int r1, r2;

	xasprintf(&missing, "%s/nope/state.json", dir);
	xasprintf(&sub, "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	quiet();
	r1 = write_file_atomic(missing, "x", 1);
	/* rename(2) cannot put a file over a folder. */
	r2 = write_file_atomic(sub, "x", 1);
	loud();
	assert_int_equal(r1, -1);
	assert_int_equal(r2, -1);
	assert_int_equal(count_entries(dir), 1);
	assert_true(is_dir(sub));
	free(missing);
	free(sub);
}

static void
test_mkdir_p(void **state)
{
	const char *dir = *state;
	char *deep, *slash;

	xasprintf(&deep, "%s/a/b/c", dir);
	xasprintf(&slash, "%s/x//y/", dir);
	assert_int_equal(mkdir_p(deep), 0);
	assert_true(is_dir(deep));
	assert_int_equal(mkdir_p(deep), 0);
	assert_int_equal(mkdir_p(dir), 0);
	assert_int_equal(mkdir_p(slash), 0);
	assert_true(is_dir(slash));
	free(deep);
	free(slash);
}

/* A file where a folder should be is an error, never silently skipped. */
static void
test_mkdir_p_fails(void **state)
{
	const char *dir = *state;
	char *file, *below;
	int r1, r2, r3;

	xasprintf(&file, "%s/file", dir);
	xasprintf(&below, "%s/file/sub/deeper", dir);
	assert_int_equal(write_file_atomic(file, "x", 1), 0);
	quiet();
	r1 = mkdir_p(file);
	r2 = mkdir_p(below);
	r3 = mkdir_p("");
	loud();
	assert_int_equal(r1, -1);
	assert_int_equal(r2, -1);
	assert_int_equal(r3, -1);
	assert_file(file, "x");
	free(file);
	free(below);
}

static void
test_parse_host_port(void **state)
{
	static const char *bad[] = {
		"[bad", ":80", "h:70000", "h:x", "h:", "h", "", "h:-1", "h:+80",
		"h:80 ", "h: 80", "h:0x50", "h:65536", "h:99999999999999999999",
		"::1:80", "[::1]80", "[]:80", "[::1:80",
	};
	char *host = NULL;
	int port = -1;

	(void)state;
	assert_int_equal(parse_host_port("localhost:8888", &host, &port), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 8888);
	free(host);
	assert_int_equal(parse_host_port("127.0.0.1:0", &host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 0);
	free(host);
	assert_int_equal(parse_host_port("h:65535", &host, &port), 0);
	assert_int_equal(port, 65535);
	free(host);
	assert_int_equal(parse_host_port("[::1]:8888", &host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 8888);
	free(host);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		host = NULL;
		if (parse_host_port(bad[i], &host, &port) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_null(host);
	}
}

static void
test_parse_long(void **state)
{
	static const char *bad[] = {
		"", "-1", "+1", " 1", "1 ", "12a", "0x10", "1e3", "1.0",
		"99999999999999999999999", "-0",
	};
	char max[32];
	long v = 0;

	(void)state;
	assert_int_equal(parse_long("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_long("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse_long("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	snprintf(max, sizeof max, "%ld", LONG_MAX);
	assert_int_equal(parse_long(max, 0, LONG_MAX, &v), 0);
	assert_true(v == LONG_MAX);
	/* Out of range or malformed: -1 and *out left alone. */
	v = 1234;
	assert_int_equal(parse_long("11", 0, 10, &v), -1);
	assert_int_equal(parse_long("4", 5, 10, &v), -1);
	assert_int_equal(parse_long(NULL, 0, 10, &v), -1);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse_long(bad[i], 0, LONG_MAX, &v) != -1)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_int_equal(v, 1234);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_commit_id_valid),
		cmocka_unit_test(test_commit_id_invalid),
		cmocka_unit_test(test_repo_url_valid),
		cmocka_unit_test(test_branch_name_valid),
		cmocka_unit_test(test_utf8_valid_kept),
		cmocka_unit_test(test_utf8_invalid_replaced),
		cmocka_unit_test(test_utf8_random_idempotent),
		cmocka_unit_test_setup_teardown(test_write_file_atomic,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_write_file_atomic_fails,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_fails,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_parse_host_port),
		cmocka_unit_test(test_parse_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * testcmd.c - the test command a runner chooses for a tree, and the
 * look at tests/ that explains an empty run of the default.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testcmd.h"
#include "util.h"

/* At most this much of each of at most this many files is read. */
#define TESTCMD_PEEK_BYTES (64 * 1024)
#define TESTCMD_PEEK_FILES 64

void
testcmd_choose(struct testcmd *tc, const char *tree, const char *runner_cmd)
{
	/* -v: a line per test, which the runner reads as its results. */
	static const char *const fallback[] = { "python3", "-m", "unittest",
	    "discover", "-v", "-s", "tests", NULL };
	char *tests;
	struct stat st;

	memset(tc, 0, sizeof *tc);
	tc->argv = tc->own;
	xasprintf(&tc->script, "%s/.ssci/test", tree);
	xasprintf(&tests, "%s/tests", tree);
	if (stat(tc->script, &st) == 0 && S_ISREG(st.st_mode)) {
		tc->kind = access(tc->script, X_OK) == 0 ? TESTCMD_SCRIPT :
		    TESTCMD_NOT_EXECUTABLE;
		tc->own[0] = tc->script;
	} else if (runner_cmd != NULL) {
		tc->kind = TESTCMD_RUNNER;
		tc->own[0] = "/bin/sh";
		tc->own[1] = "-c";
		tc->own[2] = runner_cmd;
	} else if (stat(tests, &st) == 0 && S_ISDIR(st.st_mode)) {
		tc->kind = TESTCMD_DEFAULT;
		tc->argv = fallback;
	} else
		tc->kind = TESTCMD_NONE;
	free(tests);
}

void
testcmd_release(struct testcmd *tc)
{
	free(tc->script);
	tc->script = NULL;
}

/* Whether the text of a Python file is a test module written for pytest. */
static int
testcmd_pytest_text(const char *text)
{
	if (strstr(text, "import pytest") != NULL ||
	    strstr(text, "from pytest") != NULL)
		return 1;
	/* Test functions at the top level: unittest ignores those. */
	return (strncmp(text, "def test", 8) == 0 ||
	    strstr(text, "\ndef test") != NULL) &&
	    strstr(text, "unittest.TestCase") == NULL &&
	    strstr(text, "(TestCase)") == NULL;
}

/* Read up to TESTCMD_PEEK_BYTES of path as text. */
static int
testcmd_peek(const char *path)
{
	char *buf = xmalloc(TESTCMD_PEEK_BYTES + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), found = 0;
	ssize_t n;

	if (fd != -1) {
		n = read(fd, buf, TESTCMD_PEEK_BYTES);
		if (n > 0) {
			buf[n] = '\0';
			found = testcmd_pytest_text(buf);
		}
		close(fd);
	}
	free(buf);
	return found;
}

int
testcmd_pytest_style(const char *tree, char *file, size_t size)
{
	char *dir, *path;
	struct dirent *e;
	int seen = 0, found = 0;
	DIR *d;

	xasprintf(&dir, "%s/tests", tree);
	d = opendir(dir);
	while (d != NULL && !found && seen < TESTCMD_PEEK_FILES &&
	    (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 4 || strcmp(e->d_name + len - 3, ".py") != 0 ||
		    (strncmp(e->d_name, "test", 4) != 0 &&
		    (len < 8 || strcmp(e->d_name + len - 8, "_test.py") != 0)))
			continue;
		seen++;
		xasprintf(&path, "%s/%s", dir, e->d_name);
		if ((found = testcmd_peek(path)))
			snprintf(file, size, "tests/%s", e->d_name);
		free(path);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	return found;
}

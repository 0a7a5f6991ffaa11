/* SPDX-License-Identifier: MIT */
/*
 * testcmd.h - which command tests a commit's tree on a runner, and what
 * to say when that goes wrong: the repository's executable .ssci/test,
 * else the runner's --test-cmd, else Python unittest discovery in tests/
 * (the seed's default).  A .ssci/test that is there but not executable,
 * and a default that found no test, are errors a newcomer must see, never
 * a green pass.
 */
#ifndef SSCI_TESTCMD_H
#define SSCI_TESTCMD_H

#include <stddef.h>

enum testcmd_kind {
	TESTCMD_SCRIPT,		/* .ssci/test */
	TESTCMD_RUNNER,		/* the runner's --test-cmd, through sh -c */
	TESTCMD_DEFAULT,	/* python3 -m unittest discover -s tests */
	TESTCMD_NONE,		/* nothing to run: an error */
	TESTCMD_NOT_EXECUTABLE,	/* .ssci/test without its x bit: an error */
};

/* The test command for tree: argv (NULL-ended) and its kind. */
struct testcmd {
	enum testcmd_kind kind;
	const char *const *argv;	/* own, or the default's */
	const char *own[4];
	char *script;		/* tree/.ssci/test, owned */
};

void testcmd_choose(struct testcmd *tc, const char *tree,
    const char *runner_cmd);
void testcmd_release(struct testcmd *tc);

/*
 * After the default command ran no test: whether tests/ of tree holds
 * tests written for pytest (functions "def test_..." outside a
 * unittest.TestCase, or "import pytest"); *file gets one, relative.
 */
int testcmd_pytest_style(const char *tree, char *file, size_t size);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * test_spawn.c - what a child of spawn.c starts with (no blocked, caught
 * or ignored signal, whatever the parent had), that the parent's signal
 * mask is as it was after the fork, and that a child that could not start
 * says which step of its setup failed.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spawn.h"
#include "unit_stderr.h"

static void
on_usr2(int sig)
{
	(void)sig;
}

/*
 * The signals of a /proc/PID/status line ("SigIgn:" ...) that a program
 * can set: glibc keeps the two between 31 and SIGRTMIN for itself and
 * refuses to touch them, so whatever started us (make does) may have left
 * them ignored, for us and for every child.
 */
static unsigned long long
signal_set(const char *status, const char *line)
{
	const char *p = strstr(status, line);
	unsigned long long set;

	assert_non_null(p);
	set = strtoull(p + strlen(line), NULL, 16);
	for (int sig = 32; sig < SIGRTMIN; sig++)
		set &= ~(1ULL << (sig - 1));
	return set;
}

/* The child's "SigBlk:", "SigIgn:" and "SigCgt:" lines, all zero. */
static void
test_child_starts_with_default_signals(void **state)
{
	/* cat, which catches nothing itself (grep catches SIGSEGV). */
	const char *argv[] = { "cat", "/proc/self/status", NULL };
	struct sigaction sa = { .sa_handler = on_usr2 }, old_usr2, old_pipe;
	sigset_t usr1, before, after;
	char *out = NULL;

	(void)state;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &before);
	sigaction(SIGUSR2, &sa, &old_usr2);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	sigprocmask(SIG_BLOCK, NULL, &before);

	assert_int_equal(spawn_run_sync(argv, NULL, &out), 0);
	assert_int_equal(signal_set(out, "SigBlk:"), 0);
	assert_int_equal(signal_set(out, "SigIgn:"), 0);
	assert_int_equal(signal_set(out, "SigCgt:"), 0);
	free(out);

	/* All blocked around the fork, the parent's mask is back after it. */
	sigprocmask(SIG_BLOCK, NULL, &after);
	for (int sig = 1; sig < NSIG; sig++)
		assert_int_equal(sigismember(&after, sig),
		    sigismember(&before, sig));
	assert_true(sigismember(&after, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	sigaction(SIGUSR2, &old_usr2, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
}

/* What fn logged on stderr while it ran. */
static const char *
stderr_of(int (*fn)(void), int *rc)
{
	struct unit_stderr caught;

	unit_stderr_catch(&caught);
	*rc = fn();
	return unit_stderr_release(&caught);
}

static int
run_in_missing_folder(void)
{
	const char *argv[] = { "true", NULL };

	return spawn_run_sync(argv, "/nonexistent/ssci-test", NULL);
}

static int
run_a_directory(void)
{
	const char *argv[] = { "/", NULL };

	return spawn_run_sync(argv, NULL, NULL);
}

static void
test_failed_step_is_named(void **state)
{
	const char *said;
	int rc;

	(void)state;
	said = stderr_of(run_in_missing_folder, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(said, "unable to run 'true' in "
	    "'/nonexistent/ssci-test': changing to its folder: No such file "
	    "or directory"));
	said = stderr_of(run_a_directory, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(said, "unable to run '/': exec: Permission "
	    "denied"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_starts_with_default_signals),
		cmocka_unit_test(test_failed_step_is_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

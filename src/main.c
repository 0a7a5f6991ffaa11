/* SPDX-License-Identifier: MIT */
/*
 * main.c - "ssci COMMAND ...": find the command in the table and run it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

struct cmd_entry {
	const char *name;
	int (*exec)(int, char **);
	const char *summary;
};

static const struct cmd_entry cmd_table[] = {
	{ "up", cmd_up, "the whole system for one repository, in one command" },
	{ "dispatcher", cmd_dispatcher,
	    "keep the queue and hand commits to runners" },
	{ "runner", cmd_runner, "check commits out and run their tests" },
	{ "observer", cmd_observer,
	    "poll a clone and report every new commit" },
	{ "notify", cmd_notify, "report commits now (for a git hook)" },
	{ "hook", cmd_hook, "install or remove the git hook that notifies" },
	{ "status", cmd_status, "runners, queue, running and recent jobs" },
	{ "jobs", cmd_jobs, "list jobs" },
	{ "log", cmd_log, "print a job's output (-f to follow it)" },
	{ "cancel", cmd_cancel, "cancel a job's pipeline" },
	{ "retry", cmd_retry, "queue a finished job's pipeline again" },
	{ "run", cmd_run, "run a branch's tip again, with parameters" },
	{ "tests", cmd_tests, "show a job's tests, failed first" },
	{ "quarantine", cmd_quarantine, "quarantine a test, or let it out" },
	{ "secret", cmd_secret, "keep a repository's secrets for its jobs" },
	{ "artifacts", cmd_artifacts, "list a job's artifacts, or save them" },
	{ "config", cmd_config, "check a configuration file: config check FILE" },
	{ "backup", cmd_backup, "copy a dispatcher's store and logs, while it runs" },
	{ "restore", cmd_restore, "put a backup back into a state dir" },
	{ "migrate", cmd_migrate, "move a SQLite store into PostgreSQL" },
};

static void
main_usage(FILE *f)
{
	fprintf(f, "usage: ssci COMMAND [OPTIONS]\n"
	    "       ssci COMMAND --help\n"
	    "       ssci --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof cmd_table / sizeof cmd_table[0]; i++)
		fprintf(f, "  %-12s %s\n", cmd_table[i].name,
		    cmd_table[i].summary);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		main_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ssci %s\n", SSCI_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		main_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof cmd_table / sizeof cmd_table[0]; i++) {
		if (strcmp(argv[1], cmd_table[i].name) == 0)
			return cmd_table[i].exec(argc - 1, argv + 1);
	}
	fprintf(stderr, "ssci: unknown command '%s'\n", argv[1]);
	main_usage(stderr);
	return 2;
}

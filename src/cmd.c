/*
 * cmd.c - what the subcommands share for their command lines: usage,
 * numeric options, the token from the environment.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "util.h"

void
cmd_help(const char *usage)
{
	fputs(usage, stdout);
	exit(0);
}

void
cmd_usage(const char *usage)
{
	fputs(usage, stderr);
	exit(2);
}

long
cmd_number(const char *usage, const struct option *opts, int ch,
    const char *arg, long min, long max)
{
	const char *name = "?";
	long v;

	for (; opts->name != NULL; opts++) {
		if (opts->val == ch)
			name = opts->name;
	}
	if (parse_long(arg, min, max, &v) == -1) {
		fprintf(stderr, "ssci: invalid value '%s' for --%s: expected "
		    "a whole number from %ld to %ld\n", arg, name, min, max);
		cmd_usage(usage);
	}
	return v;
}

const char *
cmd_token(void)
{
	const char *t = getenv("SSCI_TOKEN");

	return t != NULL && *t != '\0' ? t : NULL;
}

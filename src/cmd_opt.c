/* SPDX-License-Identifier: MIT */
/*
 * cmd_opt.c - a command's options from one table: getopt_long's array,
 * the --help text (every option, its meaning and its default), the usage
 * line of a wrong option, and numbers checked against their range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

#define CMD_HELP_WIDTH 79
#define CMD_HELP_COLUMN 30

int
cmd_getopt(int argc, char **argv, const struct cmd_spec *spec)
{
	static const struct cmd_spec *made;
	static struct option longs[CMD_MAX_OPTS + 1];

	if (made != spec) {
		size_t n = 0;

		for (const struct cmd_opt *o = spec->opts; o->name != NULL &&
		    n < CMD_MAX_OPTS; o++, n++) {
			longs[n].name = o->name;
			longs[n].has_arg = o->has_arg;
			longs[n].flag = NULL;
			longs[n].val = o->val;
		}
		memset(&longs[n], 0, sizeof longs[n]);
		made = spec;
	}
	return getopt_long(argc, argv, spec->shorts, longs, NULL);
}

/* text, wrapped to the help's width from column col on. */
static void
cmd_help_wrap(const char *text, int col)
{
	const char *p = text;
	int at = col;

	while (*p != '\0') {
		size_t word = strcspn(p, " ");

		if (at > col && at + 1 + (int)word > CMD_HELP_WIDTH) {
			printf("\n%*s", CMD_HELP_COLUMN, "");
			at = CMD_HELP_COLUMN;
		} else if (at > col) {
			putchar(' ');
			at++;
		}
		printf("%.*s", (int)word, p);
		at += (int)word;
		p += word;
		while (*p == ' ')
			p++;
	}
	putchar('\n');
}

void
cmd_help(const struct cmd_spec *spec)
{
	char name[80], *text;

	fputs(spec->synopsis, stdout);
	printf("\noptions:\n");
	for (const struct cmd_opt *o = spec->opts; o->name != NULL; o++) {
		snprintf(name, sizeof name, "  --%s%s%s", o->name, o->arg ?
		    " " : "", o->arg ? o->arg : "");
		if ((int)strlen(name) < CMD_HELP_COLUMN - 1)
			printf("%-*s", CMD_HELP_COLUMN, name);
		else
			printf("%s\n%*s", name, CMD_HELP_COLUMN, "");
		if (o->def != NULL)
			xasprintf(&text, "%s (default: %s)", o->help, o->def);
		else
			text = xstrdup(o->help);
		cmd_help_wrap(text, CMD_HELP_COLUMN);
		free(text);
	}
	exit(0);
}

void
cmd_usage(const struct cmd_spec *spec)
{
	const char *name = spec->synopsis + strlen("usage: ssci ");

	fputs(spec->synopsis, stderr);
	fprintf(stderr, "run 'ssci %.*s --help' for every option\n",
	    (int)strcspn(name, " \n"), name);
	exit(2);
}

long
cmd_number(const struct cmd_spec *spec, int ch, const char *arg, long min,
    long max)
{
	const char *name = "?";
	long v;

	for (const struct cmd_opt *o = spec->opts; o->name != NULL; o++) {
		if (o->val == ch)
			name = o->name;
	}
	if (parse_long(arg, min, max, &v) == -1) {
		fprintf(stderr, "ssci: invalid value '%s' for --%s: expected "
		    "a whole number from %ld to %ld\n", arg, name, min, max);
		cmd_usage(spec);
	}
	return v;
}

int64_t
cmd_millis(const struct cmd_spec *spec, int ch, const char *arg,
    int64_t min, int64_t max)
{
	const char *name = "?";
	int64_t v;

	for (const struct cmd_opt *o = spec->opts; o->name != NULL; o++) {
		if (o->val == ch)
			name = o->name;
	}
	if (parse_millis(arg, min, max, &v) == -1) {
		fprintf(stderr, "ssci: invalid value '%s' for --%s: expected "
		    "seconds (up to three decimals) from %.3f to %.3f\n", arg,
		    name, (double)min / 1000, (double)max / 1000);
		cmd_usage(spec);
	}
	return v;
}

/* SPDX-License-Identifier: MIT */
/*
 * cmd_opt.c - a command's options from one table: getopt_long's array,
 * the --help text (every option, its meaning and its default), the usage
 * line of a wrong option, and each value checked and stored where its
 * option says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

#define CMD_HELP_WIDTH 79
#define CMD_HELP_COLUMN 30

/* The next option (getopt_long's answer) of argv by spec. */
static int
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

/* A number for o, checked against its range: 0, or -1 after saying why. */
static int
cmd_number(const struct cmd_opt *o, const char *arg, int64_t *v)
{
	long n;

	if (parse_long(arg, (long)o->min, (long)o->max, &n) == -1) {
		fprintf(stderr, "ssci: invalid value '%s' for --%s: expected "
		    "a whole number from %ld to %ld\n", arg, o->name,
		    (long)o->min, (long)o->max);
		return -1;
	}
	*v = n;
	return 0;
}

static int
cmd_millis(const struct cmd_opt *o, const char *arg, int64_t *v)
{
	if (parse_millis(arg, o->min, o->max, v) == -1) {
		fprintf(stderr, "ssci: invalid value '%s' for --%s: expected "
		    "seconds (up to three decimals) from %.3f to %.3f\n", arg,
		    o->name, (double)o->min / 1000, (double)o->max / 1000);
		return -1;
	}
	return 0;
}

/* Store arg where o says in dest: 0, or -1 after saying why. */
static int
cmd_store(const struct cmd_spec *spec, const struct cmd_opt *o,
    const char *arg, void *dest)
{
	void *to = (char *)dest + o->dest;
	struct cmd_list *list = to;
	int64_t v;

	if (o->valid != NULL && !o->valid(arg)) {
		fprintf(stderr, "ssci: invalid %s '%s'\n", o->what, arg);
		return -1;
	}
	switch (o->kind) {
	case CMD_KIND_HELP:
		cmd_help(spec);
	case CMD_KIND_FLAG:
		*(int *)to = 1;
		return 0;
	case CMD_KIND_STR:
		*(const char **)to = arg;
		return 0;
	case CMD_KIND_COPY:
		free(*(char **)to);
		*(char **)to = xstrdup(arg);
		return 0;
	case CMD_KIND_LIST:
		list->items = xrealloc(list->items, (list->n + 1) *
		    sizeof *list->items);
		list->items[list->n++] = arg;
		return 0;
	case CMD_KIND_INT:
		if (cmd_number(o, arg, &v) == -1)
			return -1;
		*(int *)to = (int)v;
		return 0;
	case CMD_KIND_INT64:
		return cmd_number(o, arg, to);
	case CMD_KIND_MILLIS:
		return cmd_millis(o, arg, to);
	case CMD_KIND_CALL:
		return o->call(dest, arg);
	case CMD_KIND_NONE:
		break;
	}
	fatalx("option --%s has nowhere to go", o->name);
}

int
cmd_parse(int argc, char **argv, const struct cmd_spec *spec, void *dest)
{
	const struct cmd_opt *o;
	int ch;

	while ((ch = cmd_getopt(argc, argv, spec)) != -1) {
		/* '?' matches none: getopt said what was wrong. */
		for (o = spec->opts; o->name != NULL && o->val != ch; o++)
			;
		if (o->name == NULL || cmd_store(spec, o, optarg, dest) == -1)
			cmd_usage(spec);
	}
	return optind;
}

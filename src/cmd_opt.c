/* SPDX-License-Identifier: MIT */
/*
 * cmd_opt.c - a command's options from one table: getopt_long's array,
 * the --help text (every option, its meaning and its default), the usage
 * line of a wrong option, and each value checked and stored where its
 * option says; before the command line, the configuration file's lines
 * for the command, checked by the same table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "conf.h"
#include "util.h"

/* The sections a configuration file may have: the commands that read it. */
static const char *const cmd_sections[] = { "dispatcher", "runner",
    "observer" };

/* While a file's line is stored: "FILE:LINE: ", for cmd_error. */
static char cmd_where[4200];

void
cmd_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ssci: %s", cmd_where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

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
		cmd_error("invalid value '%s' for --%s: expected a whole "
		    "number from %ld to %ld", arg, o->name, (long)o->min,
		    (long)o->max);
		return -1;
	}
	*v = n;
	return 0;
}

static int
cmd_millis(const struct cmd_opt *o, const char *arg, int64_t *v)
{
	if (parse_millis(arg, o->min, o->max, v) == -1) {
		cmd_error("invalid value '%s' for --%s: expected seconds (up "
		    "to three decimals) from %.3f to %.3f", arg, o->name,
		    (double)o->min / 1000, (double)o->max / 1000);
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
		cmd_error("invalid %s '%s'", o->what, arg);
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
	case CMD_KIND_CONFIG:
		return 0;	/* read before every other option */
	case CMD_KIND_NONE:
		break;
	}
	fatalx("option --%s has nowhere to go", o->name);
}

/* The option of spec named name (not --help or --config), or NULL. */
static const struct cmd_opt *
cmd_find(const struct cmd_spec *spec, const char *name)
{
	for (const struct cmd_opt *o = spec->opts; o->name != NULL; o++) {
		if (strcmp(o->name, name) == 0)
			return o->kind == CMD_KIND_HELP ||
			    o->kind == CMD_KIND_CONFIG ? NULL : o;
	}
	return NULL;
}

/* The whole file at path (NUL-ended) in *text: 0, or -1 after saying why. */
static int
cmd_read_file(const char *path, char **text, size_t *len)
{
	size_t cap = 4096;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		fprintf(stderr, "ssci: unable to open '%s': %s\n", path,
		    strerror(errno));
		return -1;
	}
	*text = xmalloc(cap);
	*len = 0;
	while ((n = read(fd, *text + *len, cap - *len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || *len + (size_t)n > CONF_MAX_BYTES) {
			fprintf(stderr, "ssci: unable to read '%s': %s\n", path,
			    n == -1 ? strerror(errno) : "over 1 MiB");
			free(*text);
			close(fd);
			return -1;
		}
		*len += (size_t)n;
		if (*len == cap)
			*text = xrealloc(*text, cap *= 2);
	}
	close(fd);
	return 0;
}

/* One "name = value" line of spec's section into dest: 0, or -1. */
static int
cmd_config_line(const struct cmd_spec *spec, const struct conf_entry *e,
    void *dest, unsigned char *from_file)
{
	const struct cmd_opt *o = cmd_find(spec, e->name);
	int yes;

	if (o == NULL && spec->borrow)
		return 0;
	if (o == NULL) {
		cmd_error("unknown option '%s' in [%s]", e->name, spec->section);
		return -1;
	}
	if (o->kind == CMD_KIND_LIST)
		from_file[o - spec->opts] = 1;
	if (o->has_arg == required_argument)
		return cmd_store(spec, o, e->value, dest);
	if ((yes = conf_bool(e->value)) == -1) {
		cmd_error("invalid value '%s' for %s: expected yes or no",
		    e->value, e->name);
		return -1;
	}
	*(int *)(void *)((char *)dest + o->dest) = yes;
	return 0;
}

/*
 * The file at path, parsed into c; then, with spec, its section's lines
 * stored in dest (from_file marks the lists it filled).  0, or -1 after
 * saying where the first wrong line is.
 */
static int
cmd_config_load(const char *path, struct conf *c, const struct cmd_spec *spec,
    void *dest, unsigned char *from_file)
{
	char *text, err[256];
	size_t len, i, k;
	int line, rc = 0;

	memset(c, 0, sizeof *c);
	if (cmd_read_file(path, &text, &len) == -1)
		return -1;
	rc = conf_parse(c, text, len, &line, err, sizeof err);
	free(text);
	if (rc == -1) {
		fprintf(stderr, "ssci: %s:%d: %s\n", path, line, err);
		return -1;
	}
	for (i = 0; i < c->nsections && rc == 0; i++) {
		for (k = 0; k < 3 && strcmp(cmd_sections[k],
		    c->sections[i].section) != 0; k++)
			;
		if (k == 3) {
			fprintf(stderr, "ssci: %s:%d: unknown section [%s]: "
			    "expected [dispatcher], [runner] or [observer]\n",
			    path, c->sections[i].line, c->sections[i].section);
			rc = -1;
		}
	}
	for (i = 0; i < c->n && rc == 0 && spec != NULL; i++) {
		if (strcmp(c->entries[i].section, spec->section) != 0)
			continue;
		snprintf(cmd_where, sizeof cmd_where, "%s:%d: ", path,
		    c->entries[i].line);
		rc = cmd_config_line(spec, &c->entries[i], dest, from_file);
	}
	cmd_where[0] = '\0';
	return rc;
}

/* What cmd_store put in dest that is ours to free: copies and lists. */
static void
cmd_release(const struct cmd_spec *spec, void *dest)
{
	for (const struct cmd_opt *o = spec->opts; o->name != NULL; o++) {
		void *at = (char *)dest + o->dest;

		if (o->kind == CMD_KIND_COPY)
			free(*(char **)at);
		else if (o->kind == CMD_KIND_LIST)
			free(((struct cmd_list *)at)->items);
	}
}

int
cmd_config_check(const char *path, const struct cmd_spec *const *specs,
    size_t nspecs)
{
	unsigned char from_file[CMD_MAX_OPTS] = { 0 };
	struct conf c;
	int rc;

	rc = cmd_config_load(path, &c, NULL, NULL, from_file);
	for (size_t i = 0; i < nspecs && rc == 0; i++) {
		void *scratch = xcalloc(1, specs[i]->size);
		struct conf again;

		/* Each spec reads the same text, as its command would. */
		rc = cmd_config_load(path, &again, specs[i], scratch,
		    from_file);
		cmd_release(specs[i], scratch);
		free(scratch);
		conf_free(&again);
	}
	conf_free(&c);
	return rc;
}

/*
 * --config FILE, or the default file if it exists, read into dest before
 * the command line's other options: a first pass over argv finds it.
 */
static int
cmd_parse_config(int argc, char **argv, const struct cmd_spec *spec,
    void *dest, unsigned char *from_file)
{
	/*
	 * What the files' options point into: kept while the process runs,
	 * each one read (a reload reads the file again; what the first
	 * reading set may still be in use).
	 */
	static struct conf *kept;
	static size_t nkept;
	const char *path = NULL;
	int ch;

	while ((ch = cmd_getopt(argc, argv, spec)) != -1) {
		if (ch == '?')
			cmd_usage(spec);
		if (ch == 'h')
			cmd_help(spec);
		if (ch == CMD_OPT_CONFIG_VAL)
			path = optarg;
	}
	optind = 0;	/* glibc: start afresh for the second pass */
	if (path == NULL && access(CMD_CONFIG_DEFAULT, F_OK) == 0)
		path = CMD_CONFIG_DEFAULT;
	if (path == NULL)
		return 0;
	kept = xrealloc(kept, (nkept + 1) * sizeof *kept);
	return cmd_config_load(path, &kept[nkept++], spec, dest, from_file);
}

/* cmd_parse, or after a wrong configuration file -1 if again, else exit. */
static int
cmd_parse_as(int argc, char **argv, const struct cmd_spec *spec, void *dest,
    int again)
{
	unsigned char from_file[CMD_MAX_OPTS] = { 0 };
	const struct cmd_opt *o;
	int ch;

	optind = 0;	/* glibc: a parse from the start, even a second one */
	if (spec->section != NULL &&
	    cmd_parse_config(argc, argv, spec, dest, from_file) == -1) {
		if (again)
			return -1;
		exit(2);
	}
	while ((ch = cmd_getopt(argc, argv, spec)) != -1) {
		/* '?' matches none: getopt said what was wrong. */
		for (o = spec->opts; o->name != NULL && o->val != ch; o++)
			;
		if (o->name == NULL)
			cmd_usage(spec);
		if (o->kind == CMD_KIND_LIST && from_file[o - spec->opts]) {
			/* The command line's list replaces the file's. */
			((struct cmd_list *)(void *)((char *)dest +
			    o->dest))->n = 0;
			from_file[o - spec->opts] = 0;
		}
		if (cmd_store(spec, o, optarg, dest) == -1)
			cmd_usage(spec);
	}
	return optind;
}

int
cmd_reparse(int argc, char **argv, const struct cmd_spec *spec, void *dest)
{
	return cmd_parse_as(argc, argv, spec, dest, 1);
}

int
cmd_parse(int argc, char **argv, const struct cmd_spec *spec, void *dest)
{
	return cmd_parse_as(argc, argv, spec, dest, 0);
}

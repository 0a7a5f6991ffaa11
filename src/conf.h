/* SPDX-License-Identifier: MIT */
/*
 * conf.h - the configuration file's lines: "[section]" headers and
 * "name = value" lines under them, "#" comment lines and blank lines.
 * What the names mean is the commands' option tables' business (cmd_opt.c).
 */
#ifndef SSCI_CONF_H
#define SSCI_CONF_H

#include <stddef.h>

#define CONF_MAX_BYTES (1 << 20)	/* a longer file is refused */
#define CONF_MAX_NAME 64		/* a section's or an option's name */

struct conf_entry {
	const char *section;	/* the header it is under */
	const char *name;	/* an option's long name, without "--" */
	const char *value;	/* the rest of the line, blanks trimmed */
	int line;		/* 1-based */
};

struct conf {
	char *text;		/* the entries' strings point in here */
	struct conf_entry *entries;
	size_t n;
	/* Every section header, in order, with its line (empty ones too). */
	struct conf_entry *sections;
	size_t nsections;
};

/*
 * Parse len bytes of text into c: 0, or -1 with *line the first wrong
 * line and err saying what is wrong with it (nothing of the line's bytes
 * is quoted but a name that passed the name check).  c is empty after a
 * failure; conf_free it either way.
 */
int conf_parse(struct conf *c, const char *text, size_t len, int *line,
    char *err, size_t errsize);

void conf_free(struct conf *c);

/* "yes"/"true"/"on"/"1" is 1, "no"/"false"/"off"/"0" is 0, else -1. */
int conf_bool(const char *value);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * conf.c - the configuration file's syntax: one "name = value" per line
 * under a "[section]" header; "#" starts a comment only as a line's first
 * character that is not a blank, since values (URLs, commands) may hold
 * one.  No quoting: a value is the rest of its line, blanks trimmed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "util.h"

static int
conf_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* s trimmed of blanks at both ends, in place. */
static char *
conf_trim(char *s)
{
	size_t n;

	while (conf_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && conf_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* A section's or an option's name: a-z, 0-9 and '-', a letter first. */
static int
conf_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_MAX_NAME || *s < 'a' || *s > 'z')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* Control characters other than a tab have no place in a value. */
static int
conf_value_clean(const char *s)
{
	for (; *s != '\0'; s++) {
		if (((unsigned char)*s < ' ' && *s != '\t') || *s == 0x7f)
			return 0;
	}
	return 1;
}

static void
conf_add(struct conf_entry **v, size_t *n, const char *section,
    const char *name, const char *value, int line)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[*n] = (struct conf_entry){ section, name, value, line };
	(*n)++;
}

/* One line, NUL-ended in place: 0, or -1 with err said. */
static int
conf_line(struct conf *c, char *s, int line, const char **section,
    char *err, size_t errsize)
{
	char *eq, *name, *value;

	s = conf_trim(s);
	if (*s == '\0' || *s == '#')
		return 0;
	if (*s == '[') {
		size_t n = strlen(s);

		if (s[n - 1] != ']') {
			snprintf(err, errsize, "a section header must end "
			    "with ']'");
			return -1;
		}
		s[n - 1] = '\0';
		name = conf_trim(s + 1);
		if (!conf_name_valid(name)) {
			snprintf(err, errsize, "a section's name is made of "
			    "a-z, 0-9 and '-'");
			return -1;
		}
		*section = name;
		conf_add(&c->sections, &c->nsections, name, NULL, NULL, line);
		return 0;
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		snprintf(err, errsize, "expected 'option = value', "
		    "'[section]' or a '#' comment");
		return -1;
	}
	*eq = '\0';
	name = conf_trim(s);
	value = conf_trim(eq + 1);
	if (!conf_name_valid(name)) {
		snprintf(err, errsize, "an option's name is its long name "
		    "without '--': a-z, 0-9 and '-'");
		return -1;
	}
	if (*section == NULL) {
		snprintf(err, errsize, "'%s' comes before any [section]", name);
		return -1;
	}
	if (*value == '\0') {
		snprintf(err, errsize, "'%s' has no value", name);
		return -1;
	}
	if (!conf_value_clean(value)) {
		snprintf(err, errsize, "the value of '%s' has a control "
		    "character", name);
		return -1;
	}
	conf_add(&c->entries, &c->n, *section, name, value, line);
	return 0;
}

int
conf_parse(struct conf *c, const char *text, size_t len, int *line,
    char *err, size_t errsize)
{
	const char *section = NULL;
	char *p, *end;

	memset(c, 0, sizeof *c);
	*line = 0;
	if (len > CONF_MAX_BYTES) {
		snprintf(err, errsize, "over %d bytes", CONF_MAX_BYTES);
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		*line = 1;
		for (const char *q = text; *q != '\0'; q++)
			*line += *q == '\n';
		snprintf(err, errsize, "a NUL byte");
		return -1;
	}
	c->text = xstrndup(text, len);
	for (p = c->text; *p != '\0' || *line == 0; p = end + 1) {
		end = strchr(p, '\n');
		(*line)++;
		if (end != NULL)
			*end = '\0';
		if (end != NULL && end > p && end[-1] == '\r')
			end[-1] = '\0';
		if (conf_line(c, p, *line, &section, err, errsize) == -1) {
			conf_free(c);
			return -1;
		}
		if (end == NULL)
			break;
	}
	*line = 0;
	return 0;
}

void
conf_free(struct conf *c)
{
	free(c->text);
	free(c->entries);
	free(c->sections);
	memset(c, 0, sizeof *c);
}

int
conf_bool(const char *value)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0)
			return 1;
		if (strcasecmp(value, no[i]) == 0)
			return 0;
	}
	return -1;
}

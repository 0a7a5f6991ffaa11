/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf.c - libFuzzer target for the configuration file's syntax
 * (conf.h).  The bytes are read as a file: refused with a line number
 * inside the file and a message, or read into entries that each keep the
 * rules: under a section, a name of a-z, 0-9 and '-' starting with a
 * letter, a value that is not empty, has no blank at either end and no
 * control character but a tab, and lines in order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_name(const char *s)
{
	size_t n = strlen(s);

	check(n > 0 && n <= CONF_MAX_NAME && s[0] >= 'a' && s[0] <= 'z');
	check(strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char err[256];
	int line, lines = 1, last = 0;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (conf_parse(&c, (const char *)data, size, &line, err,
	    sizeof err) == -1) {
		check(line >= 1 && line <= lines && err[0] != '\0');
		check(c.n == 0 && c.text == NULL);
		conf_free(&c);
		return 0;
	}
	for (size_t i = 0; i < c.n; i++) {
		const struct conf_entry *e = &c.entries[i];
		size_t n = strlen(e->value);

		check_name(e->section);
		check_name(e->name);
		check(n > 0 && e->value[0] != ' ' && e->value[0] != '\t' &&
		    e->value[n - 1] != ' ' && e->value[n - 1] != '\t');
		for (size_t k = 0; k < n; k++)
			check((unsigned char)e->value[k] >= ' ' ?
			    e->value[k] != 0x7f : e->value[k] == '\t');
		check(e->line > last && e->line <= lines);
		last = e->line;
	}
	for (size_t i = 0; i < c.nsections; i++)
		check_name(c.sections[i].section);
	conf_free(&c);
	return 0;
}

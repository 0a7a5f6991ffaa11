/* SPDX-License-Identifier: MIT */
/*
 * unit_stderr.h - what a unit test's code under test logs: stderr caught
 * in a temporary file between unit_stderr_catch and unit_stderr_release.
 */
#ifndef SSCI_UNIT_STDERR_H
#define SSCI_UNIT_STDERR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct unit_stderr {
	FILE *file;		/* where stderr goes meanwhile, or NULL */
	int saved;		/* the real stderr */
};

static inline void
unit_stderr_catch(struct unit_stderr *c)
{
	fflush(stderr);
	c->file = tmpfile();
	c->saved = dup(2);
	if (c->file == NULL || c->saved == -1) {
		perror("unit_stderr_catch");
		abort();
	}
	dup2(fileno(c->file), 2);
}

/* stderr back; what was written meanwhile (a static buffer). */
static inline const char *
unit_stderr_release(struct unit_stderr *c)
{
	static char text[8192];
	size_t n = 0;

	text[0] = '\0';
	if (c->file == NULL)
		return text;
	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	rewind(c->file);
	n = fread(text, 1, sizeof text - 1, c->file);
	text[n] = '\0';
	fclose(c->file);
	c->file = NULL;
	return text;
}

#endif

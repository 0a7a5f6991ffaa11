/* SPDX-License-Identifier: MIT */
/*
 * commit_desc.c - commits described from git log's output: ids checked,
 * authors and subjects cleaned for the protocol.
 */
#include <stdlib.h>
#include <string.h>

#include "commit_desc.h"
#include "util.h"

/* len bytes of s, control characters made spaces, cut at the maximum. */
static char *
commit_desc_text(const char *s, size_t len)
{
	char *text = xstrndup(s, len > COMMIT_DESC_MAX ? COMMIT_DESC_MAX : len);

	for (char *c = text; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	}
	return text;
}

/* One line ("id US author US subject") into d: 0, or -1 if no id leads. */
static int
commit_desc_line(const char *line, size_t len, struct commit_desc *d)
{
	const char *end = line + len, *sep = memchr(line, '\x1f', len), *next;
	char id[80];
	size_t idlen = sep != NULL ? (size_t)(sep - line) : len;

	memset(d, 0, sizeof *d);
	if (idlen >= sizeof id)
		return -1;
	memcpy(id, line, idlen);
	id[idlen] = '\0';
	if (commit_id_normalize(id, d->id) == -1)
		return -1;
	if (sep == NULL)
		return 0;
	next = memchr(sep + 1, '\x1f', (size_t)(end - sep - 1));
	d->author = commit_desc_text(sep + 1, (size_t)((next != NULL ? next :
	    end) - sep - 1));
	if (next != NULL)
		d->subject = commit_desc_text(next + 1,
		    (size_t)(end - next - 1));
	return 0;
}

size_t
commit_desc_parse(const char *out, struct commit_desc **descs)
{
	struct commit_desc d;
	size_t n = 0;

	*descs = NULL;
	for (const char *p = out; *p != '\0'; ) {
		size_t len = strcspn(p, "\n");

		if (commit_desc_line(p, len, &d) == 0) {
			*descs = xrealloc(*descs, (n + 1) * sizeof **descs);
			(*descs)[n++] = d;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return n;
}

void
commit_desc_free(struct commit_desc *descs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(descs[i].author);
		free(descs[i].subject);
	}
	free(descs);
}

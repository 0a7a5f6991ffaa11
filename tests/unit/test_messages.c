/* SPDX-License-Identifier: MIT */
/*
 * test_messages.c - docs/PROTOCOL.md against the code: its table of the
 * messages the dispatcher takes has one row per entry of peer_messages[]
 * (src/peer.c), with the same roles, the same "when" and the parser's
 * fields (proto.c); its table of what the dispatcher sends a runner has
 * the parser's fields too.  A message added to the code and not to the
 * document, or documented and not handled, fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <cmocka.h>

#include "dispatcher.h"
#include "proto.h"

#ifndef SSCI_SOURCE_DIR
#define SSCI_SOURCE_DIR "."
#endif

#define MAX_ROWS 64
#define MAX_CELLS 6

struct row {
	char cells[MAX_CELLS][512];
	int ncells;
};

/* The rows of the table under heading (a "## " line) that start "| `". */
static int
read_table(const char *heading, struct row *rows, int max)
{
	FILE *f = fopen(SSCI_SOURCE_DIR "/docs/PROTOCOL.md", "r");
	char line[2048];
	int in = 0, n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "## ", 3) == 0) {
			in = strcmp(line + 3, heading) == 0;
			continue;
		}
		if (!in || strncmp(line, "| `", 3) != 0 || n == max)
			continue;
		/* Cells between '|'s; a "\|" inside a cell is not a border. */
		char *p = line + 1;
		rows[n].ncells = 0;
		while (*p != '\0' && rows[n].ncells < MAX_CELLS) {
			char *cell = rows[n].cells[rows[n].ncells];
			size_t len = 0;

			while (*p != '\0' && !(*p == '|' && p[-1] != '\\')) {
				if (len < sizeof rows[n].cells[0] - 1)
					cell[len++] = *p;
				p++;
			}
			cell[len] = '\0';
			rows[n].ncells++;
			if (*p == '|')
				p++;
		}
		n++;
	}
	fclose(f);
	return n;
}

/* The i-th `quoted` word of cell (from 0) into word, or 0 past the last. */
static int
quoted(const char *cell, int i, char *word, size_t size)
{
	const char *p = cell, *end;

	for (;;) {
		if ((p = strchr(p, '`')) == NULL ||
		    (end = strchr(p + 1, '`')) == NULL)
			return 0;
		if (i-- == 0) {
			snprintf(word, size, "%.*s", (int)(end - p - 1), p + 1);
			return 1;
		}
		p = end + 1;
	}
}

/* The row for message name, or NULL. */
static const struct row *
row_of(const struct row *rows, int n, const char *name)
{
	char word[64];

	for (int i = 0; i < n; i++) {
		if (quoted(rows[i].cells[0], 0, word, sizeof word) &&
		    strcmp(word, name) == 0)
			return &rows[i];
	}
	return NULL;
}

/* The cell lists exactly the fields the parser reads for type. */
static void
check_fields(enum proto_type type, const char *cell)
{
	const char *field;
	char word[64];
	size_t i;

	for (i = 0; (field = proto_field_name(type, i)) != NULL; i++) {
		if (!quoted(cell, (int)i, word, sizeof word))
			fail_msg("%s: field '%s' not in docs/PROTOCOL.md",
			    proto_type_name(type), field);
		if (strcmp(word, field) != 0)
			fail_msg("%s: docs/PROTOCOL.md says '%s' where the "
			    "parser reads '%s'", proto_type_name(type), word,
			    field);
	}
	if (quoted(cell, (int)i, word, sizeof word))
		fail_msg("%s: docs/PROTOCOL.md lists '%s', which the parser "
		    "does not read", proto_type_name(type), word);
}

static unsigned
roles_of(const char *cell)
{
	static const enum proto_role all[] = { PROTO_ROLE_RUNNER,
	    PROTO_ROLE_OBSERVER, PROTO_ROLE_CLIENT };
	unsigned mask = 0;

	if (strstr(cell, "any") != NULL)
		return (1u << PROTO_ROLE_RUNNER) | (1u << PROTO_ROLE_OBSERVER) |
		    (1u << PROTO_ROLE_CLIENT);
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strstr(cell, proto_role_name(all[i])) != NULL)
			mask |= 1u << all[i];
	}
	return mask;
}

static int
when_of(const char *cell)
{
	if (strstr(cell, "first") != NULL)
		return PEER_BEFORE_HELLO;
	if (strstr(cell, "registered") != NULL)
		return PEER_REGISTERED;
	assert_non_null(strstr(cell, "after hello"));
	return 0;
}

static void
test_messages_to_the_dispatcher(void **state)
{
	struct row rows[MAX_ROWS];
	int n = read_table("Messages to the dispatcher", rows, MAX_ROWS);

	(void)state;
	assert_int_equal((size_t)n, peer_nmessages);
	for (size_t i = 0; i < peer_nmessages; i++) {
		const struct peer_message *m = &peer_messages[i];
		const char *name = proto_type_name(m->type);
		const struct row *r = row_of(rows, n, name);

		if (r == NULL)
			fail_msg("'%s' is handled but not in docs/PROTOCOL.md",
			    name);
		assert_int_equal(r->ncells, 5);
		if (roles_of(r->cells[1]) != m->from)
			fail_msg("'%s': docs/PROTOCOL.md says it comes from "
			    "'%s', which is not what peer.c allows", name,
			    r->cells[1]);
		if (when_of(r->cells[2]) != m->when)
			fail_msg("'%s': docs/PROTOCOL.md says '%s'", name,
			    r->cells[2]);
		check_fields(m->type, r->cells[3]);
	}
}

static void
test_messages_to_a_runner(void **state)
{
	static const enum proto_type sent[] = { PROTO_JOB, PROTO_CANCEL,
	    PROTO_PING, PROTO_ARTIFACT_DATA };
	struct row rows[MAX_ROWS];
	int n = read_table("Messages from the dispatcher to a runner", rows,
	    MAX_ROWS);

	(void)state;
	assert_int_equal(n, 4);
	for (size_t i = 0; i < sizeof sent / sizeof sent[0]; i++) {
		const struct row *r = row_of(rows, n, proto_type_name(sent[i]));

		assert_non_null(r);
		check_fields(sent[i], r->cells[1]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages_to_the_dispatcher),
		cmocka_unit_test(test_messages_to_a_runner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * address.c - the dispatcher's table of client addresses (address.h):
 * guessing penalties and HTTP rate budgets in one fixed-size table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "util.h"

struct address_entry {
	char address[64];		/* "" when free */
	int failures;
	int64_t failed_ms;		/* of the last failure */
	int has_bucket;
	double tokens;			/* the HTTP budget left */
	int64_t bucket_ms;		/* when tokens was last refilled */
	uint64_t seen;			/* when last heard of, on t->clock */
};

struct address_table {
	struct address_entry entries[ADDRESS_TABLE];
	uint64_t clock;			/* counts lookups: no two are equal */
};

struct address_table *
address_table_new(void)
{
	return xcalloc(1, sizeof(struct address_table));
}

void
address_table_free(struct address_table *t)
{
	free(t);
}

/* address's entry; a new one (in a free or the stalest place) if create. */
static struct address_entry *
address_find(struct address_table *t, const char *address, int create)
{
	struct address_entry *victim = &t->entries[0];
	uint64_t now = ++t->clock;

	for (int i = 0; i < ADDRESS_TABLE; i++) {
		struct address_entry *e = &t->entries[i];

		if (e->address[0] != '\0' && strcmp(e->address, address) == 0) {
			e->seen = now;
			return e;
		}
		if (victim->address[0] != '\0' && (e->address[0] == '\0' ||
		    e->seen < victim->seen))
			victim = e;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof *victim);
	snprintf(victim->address, sizeof victim->address, "%s", address);
	victim->seen = now;
	return victim;
}

void
address_failed(struct address_table *t, const char *address)
{
	struct address_entry *e = address_find(t, address, 1);

	if (e->failures > 0 && mono_ms() - e->failed_ms > ADDRESS_FORGET_MS)
		e->failures = 0;
	e->failures++;
	e->failed_ms = mono_ms();
}

int64_t
address_penalty(struct address_table *t, const char *address)
{
	struct address_entry *e = address_find(t, address, 0);
	int64_t delay = 100, left, now = mono_ms();

	if (e == NULL || e->failures < ADDRESS_FREE_FAILURES ||
	    now - e->failed_ms > ADDRESS_FORGET_MS)
		return 0;
	for (int i = ADDRESS_FREE_FAILURES; i < e->failures && delay <
	    ADDRESS_MAX_DELAY_MS; i++)
		delay *= 2;
	if (delay > ADDRESS_MAX_DELAY_MS)
		delay = ADDRESS_MAX_DELAY_MS;
	left = e->failed_ms + delay - now;
	return left > 0 ? left : 0;
}

void
address_succeeded(struct address_table *t, const char *address)
{
	struct address_entry *e = address_find(t, address, 0);

	if (e != NULL)
		e->failures = 0;
}

int
address_rate_ok(struct address_table *t, const char *address, double rate)
{
	struct address_entry *e = address_find(t, address, 1);
	double burst = 2.0 * rate;
	int64_t now = mono_ms();

	if (!e->has_bucket) {
		e->has_bucket = 1;
		e->tokens = burst;
		e->bucket_ms = now;
	}
	e->tokens += rate * (double)(now - e->bucket_ms) / 1000.0;
	if (e->tokens > burst)
		e->tokens = burst;
	e->bucket_ms = now;
	if (e->tokens < 1.0)
		return 0;
	e->tokens -= 1.0;
	return 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * idmap.c - numbers by job id in one open-addressed table of
 * IDMAP_SLOTS, forgotten all at once when three quarters full.
 */
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "util.h"

static size_t
idmap_slot(int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 32) % IDMAP_SLOTS;
}

void
idmap_init(struct idmap *m)
{
	m->keys = xcalloc(IDMAP_SLOTS, sizeof *m->keys);
	m->values = xcalloc(IDMAP_SLOTS, sizeof *m->values);
	m->used = 0;
}

void
idmap_release(struct idmap *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof *m);
}

int
idmap_get(const struct idmap *m, int64_t id, int *value)
{
	for (size_t i = idmap_slot(id); m->keys[i] != 0;
	    i = (i + 1) % IDMAP_SLOTS) {
		if (m->keys[i] == id) {
			*value = m->values[i];
			return 1;
		}
	}
	return 0;
}

void
idmap_set(struct idmap *m, int64_t id, int value)
{
	size_t i;

	if (id == 0)
		return;
	if (m->used >= IDMAP_SLOTS / 4 * 3) {
		memset(m->keys, 0, IDMAP_SLOTS * sizeof *m->keys);
		m->used = 0;
	}
	for (i = idmap_slot(id); m->keys[i] != 0 && m->keys[i] != id;
	    i = (i + 1) % IDMAP_SLOTS)
		;
	if (m->keys[i] == 0)
		m->used++;
	m->keys[i] = id;
	m->values[i] = value;
}

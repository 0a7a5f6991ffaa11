/* SPDX-License-Identifier: MIT */
/*
 * idmap.h - a small memory of numbers by job id (idmap.c): what was last
 * told of a job, so that a state is told once.  It is bounded: when
 * full it forgets everything, at the cost of telling a state again.
 */
#ifndef SSCI_IDMAP_H
#define SSCI_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#define IDMAP_SLOTS 16384

struct idmap {
	int64_t *keys;		/* 0: a free slot */
	int *values;
	size_t used;
};

void idmap_init(struct idmap *m);
void idmap_release(struct idmap *m);
/* The value of id: 1 and *value, or 0 if none. */
int idmap_get(const struct idmap *m, int64_t id, int *value);
void idmap_set(struct idmap *m, int64_t id, int value);

#endif

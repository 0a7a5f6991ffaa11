/* SPDX-License-Identifier: MIT */
/*
 * unit_store.h - a unit test's store: a real SQLite store in a temporary
 * folder of its own (unit_dir.h), opened for a test and removed after.
 */
#ifndef SSCI_UNIT_STORE_H
#define SSCI_UNIT_STORE_H

#include <stdio.h>
#include <stdlib.h>

#include "store.h"
#include "unit_dir.h"

struct unit_store {
	char dir[256];		/* the test's temporary folder */
	char state[300];	/* dir/state, the store's folder */
	struct store *store;
};

/* Open a new store in a folder named for name: 0, or -1. */
static inline int
unit_store_open(struct unit_store *u, const char *name)
{
	if (unit_dir_make(u->dir, sizeof u->dir, name) == -1)
		return -1;
	snprintf(u->state, sizeof u->state, "%s/state", u->dir);
	u->store = store_open(u->state);
	return u->store == NULL ? -1 : 0;
}

static inline void
unit_store_close(struct unit_store *u)
{
	store_close(u->store);
	unit_dir_remove(u->dir);
}

/* cmocka's setup and teardown of a test on a store of its own. */
static inline int
unit_store_setup(void **state, const char *name)
{
	struct unit_store *u = calloc(1, sizeof *u);

	*state = u;
	return u == NULL ? -1 : unit_store_open(u, name);
}

static inline int
unit_store_teardown(void **state)
{
	unit_store_close(*state);
	free(*state);
	return 0;
}

#endif

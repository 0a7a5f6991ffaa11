/* SPDX-License-Identifier: MIT */
/*
 * unit_store.h - a unit test's store: a real SQLite store in a temporary
 * folder of its own (unit_dir.h), opened for a test and removed after;
 * and what the store's tests share.  Include it after cmocka.h.
 */
#ifndef SSCI_UNIT_STORE_H
#define SSCI_UNIT_STORE_H

#include <stdint.h>
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

/* Job id, which must be there (cmocka.h comes first), and its state. */
static inline struct job
unit_job(struct unit_store *u, int64_t id)
{
	struct job job;

	assert_int_equal(store_job_get(u->store, id, &job), 1);
	return job;
}

static inline enum job_state
unit_job_state(struct unit_store *u, int64_t id)
{
	struct job job = unit_job(u, id);
	enum job_state st = job.state;

	job_release(&job);
	return st;
}

/*
 * A new pipeline of repo's commit on main (a rebuild), with plan and
 * retry_of if given: its first job's id.
 */
static inline int64_t
unit_dispatch(struct unit_store *u, const char *repo, const char *commit,
    const struct job_plan *plan, int64_t retry_of)
{
	struct job_request req = { .repo = repo, .commit = commit,
	    .branch = "main", .rebuild = 1, .retry_of = retry_of,
	    .plan = plan };
	enum job_state st;
	int64_t id = 0;
	int existing;

	assert_int_equal(store_dispatch(u->store, &req, &id, &st, &existing),
	    0);
	assert_false(existing);
	return id;
}

/* A test file's setup and teardown, each test on a store of its own. */
#define UNIT_STORE_FIXTURE(name) \
	static int setup(void **state) \
	{ return unit_store_setup(state, name); } \
	static int teardown(void **state) \
	{ return unit_store_teardown(state); }

/* A store_job_cb that counts the jobs of a list in *(int *)arg. */
static inline int
unit_count_job(const struct job *job, void *arg)
{
	(void)job;
	(*(int *)arg)++;
	return 0;
}

/* What store_test_durations gave: names and medians, in its order. */
struct unit_medians {
	char names[8][32];
	int64_t median[8];
	int n;
};

static inline int
unit_collect_median(const char *name, int64_t median_us, void *arg)
{
	struct unit_medians *m = arg;

	if (m->n == 8)
		return -1;
	snprintf(m->names[m->n], sizeof m->names[0], "%s", name);
	m->median[m->n++] = median_us;
	return 0;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * testhist.c - a test's history read for what it says (testhist.h).
 */
#include <string.h>

#include "store.h"
#include "testhist.h"

static int
testhist_failed(enum test_status status)
{
	return status == TEST_FAILED || status == TEST_ERROR;
}

struct since_walk {
	int64_t job;
	int started;		/* the job asked about was seen failing */
	int over;		/* a pass ended the streak */
	int rows;
	struct failing_since *since;
};

static int
since_row(const struct test_run *run, void *arg)
{
	struct since_walk *w = arg;

	w->rows++;
	if (!w->started) {
		/* The newest row is the job's own, when it has the test. */
		if (run->job != w->job || !testhist_failed(run->status))
			return -1;
		w->started = 1;
		memcpy(w->since->commit, run->commit, sizeof run->commit);
		w->since->job = run->job;
		return 0;
	}
	if (run->status == TEST_SKIPPED)
		return 0;
	if (!testhist_failed(run->status)) {
		w->over = 1;
		return -1;
	}
	if (strcmp(run->commit, w->since->commit) != 0)
		w->since->commits_ago++;
	memcpy(w->since->commit, run->commit, sizeof run->commit);
	w->since->job = run->job;
	return 0;
}

int
testhist_failing_since(struct store *store, const struct test_where *where,
    int64_t job, struct failing_since *since)
{
	struct since_walk w = { .job = job, .since = since };

	memset(since, 0, sizeof *since);
	if (store_test_history(store, where, job, TESTHIST_SINCE_RUNS,
	    since_row, &w) == -1)
		return -1;
	if (!w.started)
		return 0;
	since->at_least = !w.over && w.rows == TESTHIST_SINCE_RUNS;
	return 1;
}

struct flip_walk {
	int runs;
	int flips;
	int last;		/* the previous run failed: 1, passed: 0 */
};

static int
flip_row(const struct test_run *run, void *arg)
{
	struct flip_walk *w = arg;
	int failed = testhist_failed(run->status);

	if (run->status == TEST_SKIPPED)
		return 0;
	if (w->runs > 0 && failed != w->last)
		w->flips++;
	w->last = failed;
	w->runs++;
	return w->runs == TESTHIST_FLIP_RUNS ? -1 : 0;
}

int
testhist_flips(struct store *store, const struct test_where *where,
    int64_t upto, int *runs, int *flips)
{
	struct flip_walk w = { 0, 0, 0 };

	/* Skips are read but not counted: read a few more than needed. */
	if (store_test_history(store, where, upto, 2 * TESTHIST_FLIP_RUNS,
	    flip_row, &w) == -1)
		return -1;
	*runs = w.runs;
	*flips = w.flips;
	return 0;
}

int
testhist_flipping(int runs, int flips)
{
	return runs >= TESTHIST_FLIP_MIN && flips >= TESTHIST_FLIP_MIN_FLIPS &&
	    flips * 100 >= TESTHIST_FLIP_RATE * (runs - 1);
}

/* SPDX-License-Identifier: MIT */
/*
 * testhist.h - what a test's history on a branch says: since when it has
 * been failing, and how often its outcome flips.
 *
 * The flaky rules (docs/TESTS.md): a test is flaky when it failed and
 * passed on the same commit (a failure re-run, or a rebuild), which the
 * store marks as runs come; or when, over its last TESTHIST_FLIP_RUNS
 * runs on a branch (at least TESTHIST_FLIP_MIN of them), its outcome
 * changed at least TESTHIST_FLIP_MIN_FLIPS times and in at least
 * TESTHIST_FLIP_RATE percent of the steps: a test broken by a commit and
 * fixed by a later one flips twice, which a change explains.
 */
#ifndef SSCI_TESTHIST_H
#define SSCI_TESTHIST_H

#include <stdint.h>

#include "job.h"

struct store;

#define TESTHIST_FLIP_RUNS 30
#define TESTHIST_FLIP_MIN 8
#define TESTHIST_FLIP_MIN_FLIPS 4
#define TESTHIST_FLIP_RATE 30
/* How far back "failing since" looks. */
#define TESTHIST_SINCE_RUNS 200

struct failing_since {
	char commit[65];	/* the first commit of the failing streak */
	int64_t job;		/* its job */
	int commits_ago;	/* commits between it and the one asked about */
	int at_least;		/* the streak goes back past what was read */
};

/*
 * Since when the test, failing in job (one of where's), has been failing
 * there: 1 and *since, 0 if it did not fail in job, -1.
 */
int testhist_failing_since(struct store *store,
    const struct test_where *where, int64_t job, struct failing_since *since);

/*
 * Its outcome over its last TESTHIST_FLIP_RUNS runs of where, up to job
 * upto (0: the latest): runs (skips left out) and flips.  0 or -1.
 */
int testhist_flips(struct store *store, const struct test_where *where,
    int64_t upto, int *runs, int *flips);

/* Whether runs and flips make the flip rule's flaky. */
int testhist_flipping(int runs, int flips);

#endif

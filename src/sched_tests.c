/* SPDX-License-Identifier: MIT */
/*
 * sched_tests.c - per-test results in the scheduler: a runner's records
 * of a job it holds, kept for the attempt it runs.
 */
#include <stdio.h>

#include "sched.h"
#include "store.h"
#include "util.h"

void
sched_tests(struct sched *s, struct sched_runner *r, int64_t job, int attempt,
    int64_t first, const struct test_record *recs, size_t n)
{
	struct sched_assignment *a = sched_find(r, job);
	char message[200];
	int64_t started;
	int rc;

	if (!sched_runs_it(a) || a->attempt != attempt) {
		snprintf(message, sizeof message, "job %lld (attempt %d) is not "
		    "held by '%s'; its tests are refused", (long long)job,
		    attempt, r->name);
		s->ops->answer(r->conn, "not_yours", message);
		return;
	}
	if (first + (int64_t)n > TESTREC_MAX_TESTS) {
		snprintf(message, sizeof message, "job %lld: more than %d "
		    "tests", (long long)job, TESTREC_MAX_TESTS);
		s->ops->answer(r->conn, "bad_field", message);
		return;
	}
	started = mono_us();
	rc = store_tests_add(s->store, job, attempt, first, recs, n);
	if (rc == 0) {
		a->tests_later = 0;
		log_debug("job %lld: tests %lld to %lld stored in %lld us",
		    (long long)job, (long long)first, (long long)(first +
		    (int64_t)n - 1), (long long)(mono_us() - started));
		s->ops->answer(r->conn, NULL, NULL);
		return;
	}
	if (rc == -1 && store_error_transient(s->store)) {
		a->tests_later = 1;
		snprintf(message, sizeof message, "unable to record the tests "
		    "of job %lld now; send them again later", (long long)job);
		s->ops->answer(r->conn, "try_again", message);
		return;
	}
	snprintf(message, sizeof message, "unable to record the tests of job "
	    "%lld", (long long)job);
	s->ops->answer(r->conn, rc == 1 ? "not_yours" : "store", message);
}

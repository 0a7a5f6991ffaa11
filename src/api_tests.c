/* SPDX-License-Identifier: MIT */
/*
 * api_tests.c - per-test results as JSON (api.h), for the HTTP API, the
 * command-line client and the pages: a job's tests, a test's history on a
 * branch, the flakiest tests, the quarantined ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dispatcher.h"
#include "testhist.h"
#include "util.h"

json_t *
api_test_run(const struct test_run *run)
{
	json_t *obj = api_check(json_object());

	api_set(obj, "index", json_integer(run->index));
	api_set(obj, "name", api_string(run->name));
	api_set(obj, "suite", api_string(run->suite));
	api_set(obj, "file", api_string(run->file));
	api_set(obj, "status", json_string(testrec_status_name(run->status)));
	api_set(obj, "duration_us", api_known(run->duration_us));
	api_set(obj, "message", api_string(run->message));
	api_set(obj, "flaky", json_boolean(run->flaky));
	api_set(obj, "quarantined", json_boolean(run->quarantined));
	return obj;
}

struct api_tests_walk {
	json_t *list;
	struct dispatcher *d;
	const struct job *job;
	int since_left;		/* failed tests still given "failing_since" */
	size_t bytes_left;	/* of the answer, about: past it, no more */
	int limited;		/* some were left out for it */
};

/* About what a test takes as JSON: its texts, escaped, and the rest. */
static size_t
api_test_bytes(const struct test_run *run)
{
	size_t n = 256;

	n += run->name != NULL ? 2 * strlen(run->name) : 0;
	n += run->suite != NULL ? 2 * strlen(run->suite) : 0;
	n += run->file != NULL ? 2 * strlen(run->file) : 0;
	n += run->message != NULL ? 2 * strlen(run->message) : 0;
	return n;
}

static json_t *
api_since(const struct failing_since *since)
{
	return json_pack("{s:s, s:I, s:i, s:b}", "commit", since->commit,
	    "job", (json_int_t)since->job, "commits_ago", since->commits_ago,
	    "at_least", since->at_least);
}

static int
api_tests_row(const struct test_run *run, void *arg)
{
	struct api_tests_walk *w = arg;
	struct failing_since since;
	size_t bytes = api_test_bytes(run);
	json_t *obj;

	if (bytes > w->bytes_left) {
		w->limited = 1;
		return -1;
	}
	w->bytes_left -= bytes;
	obj = api_test_run(run);

	if ((run->status == TEST_FAILED || run->status == TEST_ERROR) &&
	    w->since_left > 0) {
		char *job_name = job_tests_name(w->job);
		struct test_where where = { w->job->repo, w->job->branch,
		    run->name, job_name, 0 };

		w->since_left--;
		/* Its own job's: a sharded job's tests are its shards'. */
		if (testhist_failing_since(w->d->store, &where, run->job,
		    &since) == 1)
			api_set(obj, "failing_since", api_check(api_since(&since)));
		free(job_name);
	}
	if (json_array_append_new(w->list, obj) == -1)
		fatalx("jansson: out of memory");
	return 0;
}

static json_t *
api_counts(const struct test_counts *c)
{
	return api_check(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "total",
	    (json_int_t)c->total, "passed", (json_int_t)c->passed, "failed",
	    (json_int_t)c->failed, "skipped", (json_int_t)c->skipped,
	    "quarantined_failed", (json_int_t)c->quarantined_failed, "flaky",
	    (json_int_t)c->flaky));
}

json_t *
api_job_tests(struct dispatcher *d, const struct job *job, int failed_only,
    int limit, int64_t offset, size_t max_bytes)
{
	struct api_tests_walk w = { .d = d, .job = job,
	    .since_left = API_SINCE_MAX, .bytes_left = max_bytes };
	struct test_counts counts;
	json_t *obj;

	if (store_job_test_counts(d->store, job->id, &counts) == -1)
		return NULL;
	w.list = api_check(json_array());
	if (store_job_tests(d->store, job->id, failed_only, limit, offset,
	    api_tests_row, &w) == -1) {
		json_decref(w.list);
		return NULL;
	}
	obj = api_check(json_object());
	api_set(obj, "job", json_integer(job->id));
	api_set(obj, "attempt", json_integer(job->attempt));
	api_set(obj, "flaky", json_boolean(job->flaky));
	api_set(obj, "counts", api_counts(&counts));
	api_set(obj, "offset", json_integer(offset));
	api_set(obj, "limited", json_boolean(w.limited));
	api_set(obj, "tests", w.list);
	return obj;
}

static int
api_history_row(const struct test_run *run, void *arg)
{
	json_t *obj = api_test_run(run);

	api_set(obj, "job", json_integer(run->job));
	api_set(obj, "job_name", api_string(run->job_name));
	api_set(obj, "attempt", json_integer(run->attempt));
	api_set(obj, "commit", json_string(run->commit));
	api_set(obj, "job_state", json_string(job_state_name(run->job_state)));
	api_set(obj, "finished_ms", run->finished_ms ?
	    json_integer(run->finished_ms) : json_null());
	if (json_array_append_new(arg, obj) == -1)
		fatalx("jansson: out of memory");
	return 0;
}

/* runs and flips as the flip rule sees them. */
static void
api_set_flips(json_t *obj, int runs, int flips)
{
	api_set(obj, "runs", json_integer(runs));
	api_set(obj, "flips", json_integer(flips));
	api_set(obj, "flip_rate", json_real(runs > 1 ?
	    (double)flips / (runs - 1) : 0.0));
	api_set(obj, "flipping", json_boolean(testhist_flipping(runs, flips)));
}

json_t *
api_test_history(struct dispatcher *d, const struct test_where *where,
    int limit)
{
	json_t *obj, *runs = api_check(json_array());
	int nruns, flips;

	if (store_test_history(d->store, where, 0, limit, api_history_row,
	    runs) == -1 || testhist_flips(d->store, where, 0, &nruns,
	    &flips) == -1) {
		json_decref(runs);
		return NULL;
	}
	obj = api_check(json_object());
	api_set(obj, "repo", api_string(where->repo));
	api_set(obj, "branch", api_string(where->branch));
	api_set(obj, "name", api_string(where->name));
	api_set(obj, "job_name", where->any_job ? json_null() :
	    api_string(where->job_name));
	api_set_flips(obj, nruns, flips);
	api_set(obj, "history", runs);
	return obj;
}

struct api_flaky_walk {
	struct dispatcher *d;
	json_t *list;
	int failed;
};

/* The commits of a test's runs marked flaky, newest first, up to 10. */
static int
api_flaky_commit(const struct test_run *run, void *arg)
{
	json_t *commits = arg;

	if (run->flaky && json_array_size(commits) < 10)
		json_array_append_new(commits, api_check(json_pack("{s:s, s:I, "
		    "s:s}", "commit", run->commit, "job", (json_int_t)run->job,
		    "status", testrec_status_name(run->status))));
	return 0;
}

static int
api_flaky_row(const struct flaky_test *f, void *arg)
{
	struct api_flaky_walk *w = arg;
	json_t *obj = api_check(json_object()), *commits;
	struct job job;
	int runs = 0, flips = 0, found;

	api_set(obj, "repo", api_string(f->repo));
	api_set(obj, "name", api_string(f->name));
	api_set(obj, "flakes", json_integer(f->flakes));
	api_set(obj, "quarantined", json_boolean(f->quarantined));
	commits = api_check(json_array());
	if ((found = store_job_get(w->d->store, f->last_job, &job)) == 1) {
		char *job_name = job_tests_name(&job);
		struct test_where where = { f->repo, job.branch, f->name,
		    job_name, 0 };

		api_set(obj, "last_flake", api_check(json_pack("{s:I, s:s, "
		    "s:o, s:o, s:o}", "job", (json_int_t)job.id, "commit",
		    job.commit, "branch", api_string(job.branch), "job_name",
		    api_string(job_name), "finished_ms", job.finished_ms ?
		    json_integer(job.finished_ms) : json_null())));
		if (testhist_flips(w->d->store, &where, 0, &runs, &flips) ==
		    -1 || store_test_history(w->d->store, &where, 0, 100,
		    api_flaky_commit, commits) == -1)
			w->failed = 1;
		free(job_name);
		job_release(&job);
	} else if (found == -1)
		w->failed = 1;
	api_set_flips(obj, runs, flips);
	api_set(obj, "commits", commits);
	if (json_array_append_new(w->list, obj) == -1)
		fatalx("jansson: out of memory");
	return w->failed ? -1 : 0;
}

json_t *
api_flaky(struct dispatcher *d, int limit)
{
	struct api_flaky_walk w = { .d = d };

	w.list = api_check(json_array());
	if (store_flaky_tests(d->store, limit, api_flaky_row, &w) == -1 ||
	    w.failed) {
		json_decref(w.list);
		return NULL;
	}
	return api_check(json_pack("{s:o}", "tests", w.list));
}

static void
api_quarantined_row(const char *repo, const char *name, int64_t since_ms,
    const char *by, void *arg)
{
	json_array_append_new(arg, api_check(json_pack("{s:o, s:o, s:I, s:o}",
	    "repo", api_string(repo), "name", api_string(name), "since_ms",
	    (json_int_t)since_ms, "by", api_string(by))));
}

json_t *
api_quarantined(struct dispatcher *d, const char *repo)
{
	json_t *list = api_check(json_array());

	if (store_quarantined(d->store, repo, api_quarantined_row, list) == -1) {
		json_decref(list);
		return NULL;
	}
	return api_check(json_pack("{s:o}", "quarantined", list));
}

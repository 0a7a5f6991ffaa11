/* SPDX-License-Identifier: MIT */
/*
 * html_tests.c - per-test results on the pages: a job's tests (failed
 * first, each with its message and since when it fails), a test's page
 * "/tests/REPO/BRANCH/TEST" (its recent results as a strip, its duration
 * as a chart, its quarantine), and "/flaky", the flakiest tests.  Built
 * from api_tests.c's objects; every name and message is escaped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api.h"
#include "html_int.h"
#include "svg.h"
#include "util.h"

/* A job's page lists this many tests; the API has them all. */
#define HTML_TESTS_MAX 500
/* And no more than about this much of them. */
#define HTML_TESTS_MAX_BYTES (4 * 1024 * 1024)
/* A test's page shows this many of its runs. */
#define HTML_TEST_RUNS 100

/*
 * "/tests/REPO/BRANCH/TEST", each part one segment ("-": no branch), and
 * "?job=NAME" for the runs of the jobs of that name in their plans.
 */
static void
html_test_href(struct evbuffer *out, const char *repo, const char *branch,
    const char *name, const char *job_name)
{
	evbuffer_add_printf(out, "/tests/");
	html_url_part(out, repo, 0);
	evbuffer_add_printf(out, "/");
	html_url_part(out, branch != NULL ? branch : "-", 0);
	evbuffer_add_printf(out, "/");
	html_url_part(out, name, 0);
	if (job_name != NULL) {
		evbuffer_add_printf(out, "?job=");
		html_url_query(out, job_name);
	}
}

static enum job_state
html_test_state(const char *status)
{
	if (strcmp(status, "passed") == 0)
		return JOB_PASSED;
	if (strcmp(status, "failed") == 0)
		return JOB_FAILED;
	if (strcmp(status, "error") == 0)
		return JOB_ERROR;
	return JOB_SKIPPED;
}

static void
html_test_duration(struct evbuffer *out, json_t *t)
{
	int64_t us = html_json_int(t, "duration_us", -1);

	if (us < 0)
		evbuffer_add_printf(out, "<span class=\"muted\">–</span>");
	else if (us < 1000000)
		evbuffer_add_printf(out, "%.1f ms", (double)us / 1000);
	else
		evbuffer_add_printf(out, "%.2f s", (double)us / 1e6);
}

static void
html_test_marks(struct evbuffer *out, json_t *t)
{
	if (json_is_true(json_object_get(t, "flaky")))
		evbuffer_add_printf(out, " <span class=\"tag flaky\">flaky"
		    "</span>");
	if (json_is_true(json_object_get(t, "quarantined")))
		evbuffer_add_printf(out, " <span class=\"tag quarantined\">"
		    "quarantined</span>");
}

/* "failing since abc1234, 3 commits ago" */
static void
html_failing_since(struct evbuffer *out, json_t *since)
{
	const char *commit = html_json_str(since, "commit");
	int64_t ago = html_json_int(since, "commits_ago", 0);

	if (commit == NULL)
		return;
	evbuffer_add_printf(out, "<div class=\"since\">failing since <a "
	    "class=\"sha\" href=\"/jobs/%" PRId64 "\">",
	    html_json_int(since, "job", 0));
	html_escape_len(out, commit, strnlen(commit, HTML_SHORT_ID));
	if (ago == 0)
		evbuffer_add_printf(out, "</a>, this commit");
	else
		evbuffer_add_printf(out, "</a>, %s%" PRId64 " commit%s ago",
		    json_is_true(json_object_get(since, "at_least")) ?
		    "at least " : "", ago, ago == 1 ? "" : "s");
	evbuffer_add_printf(out, "</div>");
}

static void
html_test_row(struct evbuffer *out, const struct job *job,
    const char *job_name, json_t *t)
{
	const char *status = html_json_str(t, "status");
	const char *name = html_json_str(t, "name");
	const char *message = html_json_str(t, "message");

	if (status == NULL || name == NULL)
		return;
	evbuffer_add_printf(out, "<tr class=\"test status-%s\"><td>", status);
	html_pill(out, html_test_state(status));
	evbuffer_add_printf(out, "</td><td class=\"name\"><a href=\"");
	html_test_href(out, job->repo, job->branch, name, job_name);
	evbuffer_add_printf(out, "\">");
	html_escape(out, name);
	evbuffer_add_printf(out, "</a>");
	html_test_marks(out, t);
	if (json_object_get(t, "failing_since") != NULL)
		html_failing_since(out, json_object_get(t, "failing_since"));
	if (message != NULL && strcmp(status, "passed") != 0) {
		evbuffer_add_printf(out, "<pre class=\"message\">");
		html_escape(out, message);
		evbuffer_add_printf(out, "</pre>");
	}
	evbuffer_add_printf(out, "</td><td class=\"took\">");
	html_test_duration(out, t);
	evbuffer_add_printf(out, "</td></tr>\n");
}

void
html_job_tests(struct dispatcher *d, const struct job *job,
    struct evbuffer *out)
{
	json_t *obj = api_job_tests(d, job, 0, HTML_TESTS_MAX, 0,
	    HTML_TESTS_MAX_BYTES), *t;
	json_t *counts = json_object_get(obj, "counts");
	int64_t total = html_json_int(counts, "total", 0);
	int64_t quarantined = html_json_int(counts, "quarantined_failed", 0);
	size_t i;
	char *job_name;

	if (obj == NULL || total == 0) {
		json_decref(obj);
		return;
	}
	html_section(out, "tests", "Tests", (size_t)total);
	evbuffer_add_printf(out, "<p class=\"test-counts\">%" PRId64 " passed, "
	    "%" PRId64 " failed, %" PRId64 " skipped",
	    html_json_int(counts, "passed", 0), html_json_int(counts, "failed",
	    0), html_json_int(counts, "skipped", 0));
	if (quarantined > 0)
		evbuffer_add_printf(out, "; %" PRId64 " of the failures are "
		    "quarantined and do not fail the job", quarantined);
	if (job->flaky)
		evbuffer_add_printf(out, "; <span class=\"tag flaky\">flaky"
		    "</span> it failed, then passed on a re-run");
	evbuffer_add_printf(out, "</p>\n<table class=\"tests\"><tbody>\n");
	/* A shard's tests link to their history as its job's. */
	job_name = job_tests_name(job);
	json_array_foreach(json_object_get(obj, "tests"), i, t)
		html_test_row(out, job, job_name, t);
	free(job_name);
	evbuffer_add_printf(out, "</tbody></table>\n");
	if (total > HTML_TESTS_MAX)
		evbuffer_add_printf(out, "<p class=\"note\">The first %d of "
		    "%" PRId64 " tests, failed first; all of them as JSON, "
		    "<a href=\"/api/jobs/%" PRId64 "/tests?limit=%d\">%d at a "
		    "time</a>.</p>\n", HTML_TESTS_MAX, total, job->id,
		    TEST_RUNS_PAGE_MAX, TEST_RUNS_PAGE_MAX);
	evbuffer_add_printf(out, "</section>\n");
	json_decref(obj);
}

/* The quarantine button of a test (app.js posts it). */
static void
html_quarantine_button(struct evbuffer *out, const char *repo,
    const char *name, int quarantined)
{
	evbuffer_add_printf(out, "<button type=\"button\" class=\"act "
	    "quarantine\" data-act=\"%s\" data-repo=\"", quarantined ?
	    "release" : "quarantine");
	html_escape(out, repo);
	evbuffer_add_printf(out, "\" data-test=\"");
	html_escape(out, name);
	evbuffer_add_printf(out, "\">%s</button>", quarantined ?
	    "Let out of quarantine" : "Quarantine");
}

/* Whether the test is quarantined, from the history's newest run. */
static int
html_test_quarantined(json_t *history)
{
	return json_is_true(json_object_get(json_array_get(history, 0),
	    "quarantined"));
}

static void
html_test_runs(struct evbuffer *out, json_t *history)
{
	json_t *run;
	size_t i;

	html_section(out, "runs", "Runs", json_array_size(history));
	evbuffer_add_printf(out, "<table class=\"tests\"><tbody>\n");
	json_array_foreach(history, i, run) {
		const char *status = html_json_str(run, "status");
		const char *message = html_json_str(run, "message");

		if (status == NULL)
			continue;
		evbuffer_add_printf(out, "<tr class=\"test status-%s\"><td>",
		    status);
		html_pill(out, html_test_state(status));
		evbuffer_add_printf(out, "</td><td>");
		json_object_set_new(run, "id", json_integer(html_json_int(run,
		    "job", 0)));
		html_job_link(out, run);
		if (html_json_int(run, "attempt", 1) > 1)
			evbuffer_add_printf(out, " <span class=\"muted\">attempt "
			    "%" PRId64 "</span>", html_json_int(run, "attempt",
			    1));
		if (json_is_true(json_object_get(run, "flaky")))
			evbuffer_add_printf(out, " <span class=\"tag flaky\">"
			    "flaky</span>");
		if (message != NULL && strcmp(status, "passed") != 0) {
			evbuffer_add_printf(out, "<pre class=\"message\">");
			html_escape(out, message);
			evbuffer_add_printf(out, "</pre>");
		}
		evbuffer_add_printf(out, "</td><td class=\"took\">");
		html_test_duration(out, run);
		evbuffer_add_printf(out, "</td></tr>\n");
	}
	evbuffer_add_printf(out, "</tbody></table>\n</section>\n");
}

/* The runs, newest first, as marks for svg.c, oldest first. */
static struct svg_mark *
html_test_marks_of(json_t *history, size_t *n)
{
	size_t count = json_array_size(history), i;
	struct svg_mark *marks = xcalloc(count > 0 ? count : 1, sizeof *marks);
	json_t *run;

	json_array_foreach(history, i, run) {
		struct svg_mark *m = &marks[count - 1 - i];
		const char *status = html_json_str(run, "status");
		int64_t us = html_json_int(run, "duration_us", -1);

		m->id = html_json_int(run, "job", 0);
		m->state = html_test_state(status != NULL ? status : "");
		m->duration_ms = us < 0 ? -1 : (us + 999) / 1000;
		m->title = NULL;
	}
	*n = count;
	return marks;
}

int
html_test_page(struct dispatcher *d, const struct test_where *where,
    struct evbuffer *out)
{
	const char *repo = where->repo, *branch = where->branch,
	    *name = where->name;
	json_t *obj = api_test_history(d, where, HTML_TEST_RUNS);
	json_t *history = json_object_get(obj, "history");
	struct svg_mark *marks;
	char *title;
	size_t n;

	if (obj == NULL || json_array_size(history) == 0) {
		json_decref(obj);
		return -1;
	}
	xasprintf(&title, "%s · test · SuperSimpleCI", name);
	html_page_start(d, out, title, "test", NULL);
	evbuffer_add_printf(out, "<section id=\"test\" class=\"card\"><h1>");
	html_escape(out, name);
	evbuffer_add_printf(out, "</h1>\n<dl id=\"summary\">\n");
	html_dd(out, "repo", "Repository", repo);
	html_dd(out, "branch", "Branch", branch);
	if (!where->any_job)
		html_dd(out, "job-name", "Job", where->job_name);
	evbuffer_add_printf(out, "<dt>Flips</dt><dd class=\"flips\">%" PRId64
	    " in its last %" PRId64 " runs%s</dd>\n", html_json_int(obj,
	    "flips", 0), html_json_int(obj, "runs", 0),
	    json_is_true(json_object_get(obj, "flipping")) ? " (flaky: its "
	    "outcome keeps changing)" : "");
	evbuffer_add_printf(out, "<dt>Quarantine</dt><dd class=\"quarantine\">"
	    "%s ", html_test_quarantined(history) ? "quarantined: its failures "
	    "do not fail a job" : "no");
	html_quarantine_button(out, repo, name, html_test_quarantined(history));
	evbuffer_add_printf(out, "</dd>\n</dl>\n");
	marks = html_test_marks_of(history, &n);
	evbuffer_add_printf(out, "<figure class=\"charts\">");
	svg_strip(out, marks, n, 1);
	svg_durations(out, marks, n);
	evbuffer_add_printf(out, "</figure>\n</section>\n");
	free(marks);
	html_test_runs(out, history);
	html_page_end(out);
	free(title);
	json_decref(obj);
	return 0;
}

static void
html_flaky_row(struct evbuffer *out, json_t *t)
{
	const char *repo = html_json_str(t, "repo"), *name =
	    html_json_str(t, "name");
	json_t *last = json_object_get(t, "last_flake"), *c;
	char age[HTML_FMT_SIZE];
	size_t i;

	if (repo == NULL || name == NULL)
		return;
	evbuffer_add_printf(out, "<tr class=\"flaky-test\"><td class=\"name\">"
	    "<a href=\"");
	html_test_href(out, repo, html_json_str(last, "branch"), name,
	    html_json_str(last, "job_name"));
	evbuffer_add_printf(out, "\">");
	html_escape(out, name);
	evbuffer_add_printf(out, "</a>");
	html_test_marks(out, t);
	evbuffer_add_printf(out, "<div class=\"muted\">");
	html_escape(out, repo);
	evbuffer_add_printf(out, "</div></td><td class=\"flakes\">%" PRId64
	    "</td><td class=\"flip-rate\">%.0f%% <span class=\"muted\">(%"
	    PRId64 " of %" PRId64 ")</span></td><td class=\"last\">",
	    html_json_int(t, "flakes", 0), 100 * json_real_value(
	    json_object_get(t, "flip_rate")), html_json_int(t, "flips", 0),
	    html_json_int(t, "runs", 0));
	html_fmt_age(age, sizeof age, now_ms() - html_json_int(last,
	    "finished_ms", now_ms()));
	evbuffer_add_printf(out, "%s</td><td class=\"commits\">", age);
	json_array_foreach(json_object_get(t, "commits"), i, c) {
		json_object_set_new(c, "id", json_integer(html_json_int(c,
		    "job", 0)));
		html_job_link(out, c);
		evbuffer_add_printf(out, " ");
	}
	evbuffer_add_printf(out, "</td><td>");
	html_quarantine_button(out, repo, name,
	    json_is_true(json_object_get(t, "quarantined")));
	evbuffer_add_printf(out, "</td></tr>\n");
}

int
html_flaky(struct dispatcher *d, struct evbuffer *out)
{
	json_t *obj = api_flaky(d, 100), *tests, *t;
	size_t i;

	if (obj == NULL)
		return -1;
	tests = json_object_get(obj, "tests");
	html_page_start(d, out, "flaky tests · SuperSimpleCI", "flaky", NULL);
	html_section(out, "flaky", "Flaky tests", json_array_size(tests));
	evbuffer_add_printf(out, "<p class=\"note\">A test is flaky when it "
	    "failed and passed on the same commit, or when its outcome keeps "
	    "changing on a branch (docs/TESTS.md).</p>\n");
	if (json_array_size(tests) == 0)
		evbuffer_add_printf(out, "<p class=\"empty\">No flaky test "
		    "seen.</p>\n");
	else {
		evbuffer_add_printf(out, "<table class=\"flaky\"><thead><tr>"
		    "<th>Test</th><th>Flaky runs</th><th>Flip rate</th>"
		    "<th>Last flake</th><th>Commits</th><th></th></tr></thead>"
		    "<tbody>\n");
		json_array_foreach(tests, i, t)
			html_flaky_row(out, t);
		evbuffer_add_printf(out, "</tbody></table>\n");
	}
	evbuffer_add_printf(out, "</section>\n");
	html_page_end(out);
	json_decref(obj);
	return 0;
}

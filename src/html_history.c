/* SPDX-License-Identifier: MIT */
/*
 * html_history.c - a branch's history, "/history/REPO/BRANCH": its recent
 * jobs as a strip of pass/fail marks over a chart of their durations, so
 * that one sees at a glance when it broke and when it got slow, and the
 * jobs as a table below; and the branch's status badge for a README.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api.h"
#include "dispatcher.h"
#include "html_int.h"
#include "svg.h"
#include "util.h"

#define HTML_HISTORY_JOBS 50

/* "#12 passed · 1a2b3c4 · Fix the parser · 1.2 s": a mark's tooltip. */
static void
html_history_counts(struct evbuffer *out, json_t *jobs)
{
	size_t counts[JOB_STATES] = { 0 }, i;
	const char *sep = ": ";
	json_t *job;

	json_array_foreach(jobs, i, job)
		counts[html_json_state(job)]++;
	evbuffer_add_printf(out, "<p class=\"counts\">%zu job%s",
	    json_array_size(jobs), json_array_size(jobs) == 1 ? "" : "s");
	for (i = 0; i < JOB_STATES; i++) {
		if (counts[i] == 0)
			continue;
		evbuffer_add_printf(out, "%s<span class=\"count-%s\">%zu %s"
		    "</span>", sep, job_state_name((enum job_state)i),
		    counts[i], job_state_name((enum job_state)i));
		sep = ", ";
	}
	evbuffer_add_printf(out, "</p>\n");
}

/* The data attributes of the page's <main>, escaped, as a new string. */
static char *
html_history_attrs(const char *repo, const char *branch)
{
	struct evbuffer *b = evbuffer_new();
	char *attrs;
	size_t len;

	if (b == NULL)
		fatalx("evbuffer_new: out of memory");
	evbuffer_add_printf(b, "data-repo=\"");
	html_escape(b, repo);
	evbuffer_add_printf(b, "\" data-branch=\"");
	html_escape(b, branch);
	evbuffer_add_printf(b, "\"");
	len = evbuffer_get_length(b);
	attrs = xmalloc(len + 1);
	evbuffer_remove(b, attrs, len);
	attrs[len] = '\0';
	evbuffer_free(b);
	return attrs;
}

/* The heading, the counts and both pictures. */
static void
html_history_pictures(struct evbuffer *out, json_t *jobs, const char *repo,
    const char *branch)
{
	struct svg_mark *marks;
	size_t n;

	evbuffer_add_printf(out, "<section id=\"history\" class=\"card\">"
	    "<h1><span class=\"branch\">");
	html_escape(out, branch);
	evbuffer_add_printf(out, "</span> <span class=\"muted\">of</span> "
	    "<span class=\"repo\">");
	html_escape(out, repo);
	evbuffer_add_printf(out, "</span> <span id=\"status\" "
	    "class=\"status\">");
	html_pill(out, html_json_state(json_array_get(jobs, 0)));
	evbuffer_add_printf(out, "</span></h1>\n");
	html_history_counts(out, jobs);
	marks = html_marks(jobs, &n);
	evbuffer_add_printf(out, "<figure class=\"charts\">");
	svg_strip(out, marks, n, 1);
	svg_durations(out, marks, n);
	evbuffer_add_printf(out, "<figcaption>Oldest on the left; "
	    "bar height is the job's duration.</figcaption></figure>"
	    "</section>\n");
	html_marks_free(marks, n);
}

/* The branch's latest jobs; repo is a URL or a repository's id. */
static json_t *
html_history_jobs(struct dispatcher *d, const char *repo, const char *branch)
{
	struct job_filter filter = { .repo = repo, .branch = branch,
	    .limit = HTML_HISTORY_JOBS };

	return api_jobs(d, &filter);
}

int
html_history(struct dispatcher *d, const char *repo, const char *branch,
    struct evbuffer *out)
{
	json_t *jobs = html_history_jobs(d, repo, branch);
	const char *url;
	char *title, *attrs;

	if (jobs == NULL || json_array_size(jobs) == 0) {
		json_decref(jobs);
		return -1;
	}
	/* repo may be an id: name the repository by its URL. */
	url = html_json_str(json_array_get(jobs, 0), "repo");
	if (url == NULL)
		url = repo;
	xasprintf(&title, "%s · history · SuperSimpleCI", branch);
	attrs = html_history_attrs(url, branch);
	html_page_start(d, out, title, "history", attrs);
	html_history_pictures(out, jobs, url, branch);
	html_section(out, "jobs", "Jobs", json_array_size(jobs));
	html_jobs_table(out, jobs, "No jobs");
	evbuffer_add_printf(out, "</section>\n");
	html_page_end(out);
	free(attrs);
	free(title);
	json_decref(jobs);
	return 0;
}

/* Stop at the first job that says something about the code. */
static int
html_badge_pick(const struct job *job, void *arg)
{
	enum job_state *state = arg;

	if (!job_state_final(job->state) || job->state == JOB_CANCELLED)
		return 0;
	*state = job->state;
	return -1;
}

void
html_badge(struct dispatcher *d, const char *repo, const char *branch,
    struct evbuffer *out)
{
	struct job_filter filter = { .repo = repo, .branch = branch,
	    .limit = 1000 };
	enum job_state state = JOB_QUEUED;
	const char *message = "unknown", *colour = "#9f9f9f";

	/* A cancelled job says nothing about the code: it is skipped too. */
	store_list_jobs(d->store, &filter, html_badge_pick, &state);
	if (state != JOB_QUEUED) {
		colour = svg_state_colour(state);
		switch (state) {
		case JOB_PASSED:
			message = "passing";
			break;
		case JOB_FAILED:
			message = "failing";
			break;
		default:
			message = job_state_name(state);
			break;
		}
	}
	svg_badge(out, "ssci", message, colour);
}

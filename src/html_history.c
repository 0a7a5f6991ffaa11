/* SPDX-License-Identifier: MIT */
/*
 * html_history.c - a branch's history, "/history/REPO/BRANCH": its recent
 * pipelines as a strip of pass/fail marks over a chart of their
 * durations, so that one sees at a glance when it broke and when it got
 * slow, a form that runs its tip again with parameters (app.js posts it
 * to /api/run), and its recent jobs as a table below; and the branch's
 * status badge for a README, from its latest finished pipeline.
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

/* "12 jobs: 9 passed, 2 failed, 1 error", counting only what happened. */
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

/*
 * A planned pipeline's duration, for its mark: from its first job's
 * queueing to its end (its jobs wait for each other and for runners with
 * their labels, so no one job's time is the pipeline's).
 */
static void
html_history_durations(struct dispatcher *d, json_t *pipelines,
    struct svg_mark *marks, size_t n)
{
	struct pipeline pipeline;
	json_t *job;

	for (size_t i = 0; i < n; i++) {
		job = json_array_get(pipelines, n - 1 - i);
		if (html_json_str(job, "name") == NULL ||
		    store_pipeline_get(d->store, marks[i].id, &pipeline) != 1)
			continue;
		if (job_state_final(pipeline.state) && pipeline.finished_ms > 0)
			marks[i].duration_ms = pipeline.finished_ms -
			    html_json_int(job, "created_ms", 0);
		pipeline_release(&pipeline);
	}
}

/* The heading, the counts and both pictures, one mark per pipeline. */
static void
html_history_pictures(struct dispatcher *d, struct evbuffer *out,
    json_t *pipelines, json_t *jobs, const char *repo, const char *branch)
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
	html_pill(out, html_json_pipeline_state(json_array_get(pipelines, 0)));
	evbuffer_add_printf(out, "</span></h1>\n");
	html_history_counts(out, jobs);
	marks = html_marks(pipelines, &n, 1);
	html_history_durations(d, pipelines, marks, n);
	evbuffer_add_printf(out, "<figure class=\"charts\">");
	svg_strip(out, marks, n, 1);
	svg_durations(out, marks, n);
	evbuffer_add_printf(out, "<figcaption>One mark per pipeline, oldest "
	    "on the left; bar height is how long it took (a pipeline of "
	    "planned jobs: from its queueing to its end).</figcaption>"
	    "</figure></section>\n");
	html_marks_free(marks, n);
}

/*
 * The Run form: the tip (the newest push's commit) queued again with
 * NAME=VALUE lines as its parameters.  app.js sends it to /api/run and
 * keeps it, as typed, when the page refreshes around it.
 */
static void
html_history_run(struct dispatcher *d, struct evbuffer *out,
    const char *repo, const char *branch)
{
	const char *commit = NULL;
	struct job tip;
	int found;

	/* The commit a run builds: the newest push (store_branch_tip). */
	found = store_branch_tip(d->store, repo, branch, &tip) == 1;
	if (found)
		commit = tip.commit;
	evbuffer_add_printf(out, "<section id=\"run\" class=\"card\">"
	    "<h2>Run</h2>\n<form id=\"run-form\" class=\"run-form\">\n"
	    "<p class=\"note\">Test the branch's latest commit");
	if (commit != NULL) {
		evbuffer_add_printf(out, " (<code class=\"sha\">");
		html_escape_len(out, commit, strnlen(commit, HTML_SHORT_ID));
		evbuffer_add_printf(out, "</code>)");
	}
	evbuffer_add_printf(out, " again, ahead of the queue's pushes, with "
	    "these parameters in its tests' environment.</p>\n"
	    "<label for=\"run-params\">Parameters, one <code>NAME=VALUE"
	    "</code> a line</label>\n<textarea id=\"run-params\" "
	    "name=\"params\" rows=\"3\" spellcheck=\"false\" "
	    "autocomplete=\"off\" placeholder=\"NAME=VALUE\"></textarea>\n"
	    "<div><button type=\"submit\" class=\"run\">Run</button> "
	    "<span id=\"run-error\" class=\"error\" role=\"alert\"></span>"
	    "</div>\n</form></section>\n");
	if (found)
		job_release(&tip);
}

/*
 * The branch's latest jobs, or with pipelines its latest pipelines (their
 * first jobs); repo is a URL or a repository's id.
 */
static json_t *
html_history_jobs(struct dispatcher *d, const char *repo, const char *branch,
    int pipelines)
{
	struct job_filter filter = { .repo = repo, .branch = branch,
	    .limit = HTML_HISTORY_JOBS, .pipelines = pipelines };

	return api_jobs(d, &filter);
}

int
html_history(struct dispatcher *d, const char *repo, const char *branch,
    struct evbuffer *out)
{
	json_t *pipelines = html_history_jobs(d, repo, branch, 1), *jobs;
	const char *url;
	char *title, *attrs;

	if (pipelines == NULL || json_array_size(pipelines) == 0 ||
	    (jobs = html_history_jobs(d, repo, branch, 0)) == NULL) {
		json_decref(pipelines);
		return -1;
	}
	/* repo may be an id: name the repository by its URL. */
	url = html_json_str(json_array_get(pipelines, 0), "repo");
	if (url == NULL)
		url = repo;
	xasprintf(&title, "%s · history · SuperSimpleCI", branch);
	attrs = html_history_attrs(url, branch);
	html_page_start(d, out, title, "history", attrs);
	html_history_pictures(d, out, pipelines, jobs, url, branch);
	html_history_run(d, out, url, branch);
	html_section(out, "jobs", "Jobs", json_array_size(jobs));
	html_jobs_table(out, jobs, "No jobs");
	evbuffer_add_printf(out, "</section>\n");
	html_page_end(out);
	free(attrs);
	free(title);
	json_decref(jobs);
	json_decref(pipelines);
	return 0;
}

/* Stop at the first pipeline that says something about the code. */
static int
html_badge_pick(const struct job *job, void *arg)
{
	enum job_state *state = arg;

	if (!job_state_final(job->pipeline_state) ||
	    job->pipeline_state == JOB_CANCELLED)
		return 0;
	*state = job->pipeline_state;
	return -1;
}

void
html_badge(struct dispatcher *d, const char *repo, const char *branch,
    struct evbuffer *out)
{
	struct job_filter filter = { .repo = repo, .branch = branch,
	    .limit = 1000, .pipelines = 1 };
	enum job_state state = JOB_QUEUED;
	const char *message = "unknown", *colour = "#9f9f9f";

	/*
	 * Each pipeline's first job stands for it.  A cancelled pipeline
	 * says nothing about the code: it is passed over too.
	 */
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

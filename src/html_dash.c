/* SPDX-License-Identifier: MIT */
/*
 * html_dash.c - the dashboard, "/": every branch with the state of its
 * latest pipeline and a strip of its recent pipelines, the running jobs,
 * the queue, the runners and the recent jobs.  It is drawn from the same JSON objects as the API
 * (api.c), so the page and the API never disagree; the script in assets.c
 * fetches the page again when an event arrives and swaps <main id="live">.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api.h"
#include "dispatcher.h"
#include "html_int.h"
#include "svg.h"
#include "util.h"

#define HTML_RECENT_JOBS 30
#define HTML_QUEUE_SHOWN 50
#define HTML_STRIP_JOBS 20

/* A repository's name as people say it: the last part of its URL. */
static void
html_repo_name(struct evbuffer *out, const char *url)
{
	size_t len = strlen(url), start;

	while (len > 1 && url[len - 1] == '/')
		len--;
	if (len > 4 && strncmp(url + len - 4, ".git", 4) == 0)
		len -= 4;
	for (start = len; start > 0 && url[start - 1] != '/' &&
	    url[start - 1] != ':'; start--)
		;
	if (start == len)
		start = 0;
	evbuffer_add_printf(out, "<span class=\"repo\" title=\"");
	html_escape(out, url);
	evbuffer_add_printf(out, "\">");
	html_escape_log(out, url + start, len - start);
	evbuffer_add_printf(out, "</span>");
}

/*
 * The small history strip of a branch, a mark per pipeline, linked to its
 * history page.
 */
static void
html_branch_strip(struct dispatcher *d, struct evbuffer *out,
    const char *repo, const char *branch)
{
	struct job_filter filter = { .repo = repo, .branch = branch,
	    .limit = HTML_STRIP_JOBS, .pipelines = 1 };
	struct svg_mark *marks;
	json_t *jobs;
	size_t n;

	/* Without a branch a filter would match every branch. */
	if (branch == NULL || (jobs = api_jobs(d, &filter)) == NULL)
		return;
	marks = html_marks(jobs, &n, 1);
	evbuffer_add_printf(out, "<a class=\"history\" href=\"");
	html_history_href(out, repo, branch);
	evbuffer_add_printf(out, "\" title=\"history\">");
	svg_strip(out, marks, n, 0);
	evbuffer_add_printf(out, "</a>");
	html_marks_free(marks, n);
	json_decref(jobs);
}

/* A branch's latest pipeline, given by its first job. */
static void
html_branch_row(struct dispatcher *d, struct evbuffer *out, json_t *job)
{
	const char *repo = html_json_str(job, "repo");
	const char *branch = html_json_str(job, "branch");
	enum job_state state = html_json_pipeline_state(job);
	char age[HTML_FMT_SIZE];

	if (repo == NULL)
		return;
	html_fmt_age(age, sizeof age, now_ms() -
	    html_json_int(job, "created_ms", 0));
	evbuffer_add_printf(out, "<tr class=\"branch state-%s\" data-repo=\"",
	    job_state_name(state));
	html_escape(out, repo);
	evbuffer_add_printf(out, "\" data-branch=\"");
	html_escape(out, branch != NULL ? branch : "");
	evbuffer_add_printf(out, "\"><td class=\"repo\">");
	html_repo_name(out, repo);
	evbuffer_add_printf(out, "</td><td class=\"branch\">");
	if (branch != NULL) {
		evbuffer_add_printf(out, "<a href=\"");
		html_history_href(out, repo, branch);
		evbuffer_add_printf(out, "\">");
		html_escape(out, branch);
		evbuffer_add_printf(out, "</a>");
	} else
		html_text(out, NULL);
	evbuffer_add_printf(out, "</td><td class=\"status\">");
	html_pill(out, state);
	html_bisection(out, json_object_get(job, "bisection"));
	evbuffer_add_printf(out, "</td>");
	html_commit_cell(out, job, 0);
	evbuffer_add_printf(out, "<td class=\"strip\">");
	html_branch_strip(d, out, repo, branch);
	evbuffer_add_printf(out, "</td><td class=\"age\">%s</td>"
	    "<td class=\"actions\">", age);
	/* The tip again: its latest pipeline, retried once it is over. */
	if (job_state_final(state))
		html_actions(out, state, html_json_int(job, "id", 0),
		    "Rebuild tip");
	evbuffer_add_printf(out, "</td></tr>\n");
}

static void
html_dash_branches(struct dispatcher *d, struct evbuffer *out, json_t *heads)
{
	size_t i;
	json_t *job;

	html_section(out, "branches", "Branches", json_array_size(heads));
	if (json_array_size(heads) == 0) {
		evbuffer_add_printf(out, "<p class=\"empty\">No jobs yet: "
		    "push a commit or dispatch one.</p></section>\n");
		return;
	}
	evbuffer_add_printf(out, "<div class=\"scroll\"><table><thead><tr>"
	    "<th>Repository</th><th>Branch</th><th>Status</th>"
	    "<th>Latest commit</th><th>Recent jobs</th><th>When</th><th></th>"
	    "</tr></thead><tbody>\n");
	json_array_foreach(heads, i, job)
		html_branch_row(d, out, job);
	evbuffer_add_printf(out, "</tbody></table></div></section>\n");
}

/* Sharded job id of pipeline p as a graph of its one box, its shards in. */
static void
html_dash_sharded_box(struct dispatcher *d, struct evbuffer *out,
    int64_t pipeline, int64_t id)
{
	json_t *p, *jobs, *job, *one;
	size_t i;

	if (api_pipeline(d, pipeline, &p) != 1)
		return;
	jobs = json_array();
	json_array_foreach(json_object_get(p, "jobs"), i, job) {
		if (html_json_int(job, "id", 0) == id) {
			json_t *copy = json_copy(job);

			json_object_set_new(copy, "needs", json_array());
			json_array_append_new(jobs, copy);
		} else if (html_json_int(job, "shard_of", 0) == id)
			json_array_append(jobs, job);
	}
	one = json_pack("{s:o}", "jobs", jobs);
	if (one != NULL)
		html_pipeline_graph(out, one, 0);
	json_decref(one);
	json_decref(p);
}

/* The running shards' jobs, each once, as boxes with their shards. */
static void
html_dash_sharded(struct dispatcher *d, struct evbuffer *out, json_t *running)
{
	json_t *job, *other;
	size_t i, k;
	int64_t of;

	json_array_foreach(running, i, job) {
		if ((of = html_json_int(job, "shard_of", 0)) <= 0)
			continue;
		json_array_foreach(running, k, other)
			if (k >= i || html_json_int(other, "shard_of", 0) == of)
				break;
		if (k < i)
			continue;	/* drawn for an earlier shard */
		html_dash_sharded_box(d, out, html_json_int(job, "pipeline", 0),
		    of);
	}
}

static void
html_dash_running(struct dispatcher *d, struct evbuffer *out, json_t *running)
{
	char elapsed[HTML_FMT_SIZE];
	int64_t id;
	size_t i;
	json_t *job;

	html_section(out, "running", "Running", json_array_size(running));
	if (json_array_size(running) == 0) {
		evbuffer_add_printf(out, "<p class=\"empty\">Nothing running"
		    "</p></section>\n");
		return;
	}
	evbuffer_add_printf(out, "<div class=\"scroll\"><table><thead><tr>"
	    "<th>Job</th><th>Commit</th><th>Branch</th><th>Runner</th>"
	    "<th>Elapsed</th><th></th></tr></thead><tbody>\n");
	json_array_foreach(running, i, job) {
		html_fmt_duration(elapsed, sizeof elapsed,
		    html_json_int(job, "elapsed_ms", 0));
		html_job_tr(out, job);
		id = html_json_int(job, "id", 0);
		html_job_number(out, job);
		html_commit_cell(out, job, 1);
		evbuffer_add_printf(out, "<td class=\"branch\">");
		html_text(out, html_json_str(job, "branch"));
		evbuffer_add_printf(out, "</td><td class=\"runner\">");
		html_text(out, html_json_str(job, "runner"));
		evbuffer_add_printf(out, "</td><td class=\"elapsed\">%s</td>"
		    "<td class=\"actions\">", elapsed);
		html_actions(out, JOB_RUNNING, id, "Retry");
		evbuffer_add_printf(out, "</td></tr>\n");
	}
	evbuffer_add_printf(out, "</tbody></table></div>\n");
	html_dash_sharded(d, out, running);
	evbuffer_add_printf(out, "</section>\n");
}

static void
html_dash_queue(struct evbuffer *out, json_t *queue)
{
	char age[HTML_FMT_SIZE];
	size_t i;
	json_t *job;

	html_section(out, "queue", "Queue", json_array_size(queue));
	if (json_array_size(queue) == 0) {
		evbuffer_add_printf(out, "<p class=\"empty\">Queue empty</p>"
		    "</section>\n");
		return;
	}
	evbuffer_add_printf(out, "<div class=\"scroll\"><table><thead><tr>"
	    "<th>#</th><th>Job</th><th>Commit</th><th>Branch</th>"
	    "<th>Waiting</th><th>Queued</th><th></th></tr></thead><tbody>\n");
	json_array_foreach(queue, i, job) {
		html_fmt_age(age, sizeof age, now_ms() -
		    html_json_int(job, "created_ms", 0));
		html_job_tr(out, job);
		evbuffer_add_printf(out, "<td class=\"position\">%lld</td>",
		    (long long)html_json_int(job, "position", 0));
		html_job_number(out, job);
		html_commit_cell(out, job, 1);
		evbuffer_add_printf(out, "<td class=\"branch\">");
		html_text(out, html_json_str(job, "branch"));
		evbuffer_add_printf(out, "</td><td class=\"waiting\">");
		html_text(out, html_json_str(job, "waiting"));
		evbuffer_add_printf(out, "</td><td class=\"age\">%s</td>"
		    "<td class=\"actions\">", age);
		html_actions(out, JOB_QUEUED, html_json_int(job, "id", 0),
		    "Retry");
		evbuffer_add_printf(out, "</td></tr>\n");
	}
	evbuffer_add_printf(out, "</tbody></table></div></section>\n");
}

/* "0.4 s ago": a runner's heartbeat is news at a finer grain than a job. */
static void
html_heard(struct evbuffer *out, int64_t ms)
{
	char buf[HTML_FMT_SIZE];

	if (ms < 60000)
		evbuffer_add_printf(out, "%lld.%lld s ago",
		    (long long)(ms / 1000), (long long)(ms % 1000 / 100));
	else {
		html_fmt_age(buf, sizeof buf, ms);
		evbuffer_add_printf(out, "%s", buf);
	}
}

static void
html_runner_row(struct evbuffer *out, json_t *r)
{
	const char *state = html_json_str(r, "state");
	json_t *jobs = json_object_get(r, "jobs"), *id, *label;
	size_t i;

	state = state != NULL && strcmp(state, "busy") == 0 ? "busy" : "idle";
	evbuffer_add_printf(out, "<tr class=\"runner runner-%s\" "
	    "data-runner=\"", state);
	html_escape(out, html_json_str(r, "name") != NULL ?
	    html_json_str(r, "name") : "");
	evbuffer_add_printf(out, "\"><td class=\"name\">");
	html_text(out, html_json_str(r, "name"));
	evbuffer_add_printf(out, " <span class=\"muted\">");
	html_escape(out, html_json_str(r, "address") != NULL ?
	    html_json_str(r, "address") : "");
	evbuffer_add_printf(out, "</span>");
	/* What it offers, for the jobs whose plan asks for labels. */
	json_array_foreach(json_object_get(r, "labels"), i, label) {
		evbuffer_add_printf(out, " <span class=\"tag label\">");
		html_text(out, json_string_value(label));
		evbuffer_add_printf(out, "</span>");
	}
	evbuffer_add_printf(out, "</td><td class=\"state\"><span "
	    "class=\"pill runner-%s\">%s</span></td><td class=\"current\">",
	    state, state);
	json_array_foreach(jobs, i, id)
		evbuffer_add_printf(out, "%s<a href=\"/jobs/%lld\">#%lld</a>",
		    i > 0 ? " " : "", (long long)json_integer_value(id),
		    (long long)json_integer_value(id));
	evbuffer_add_printf(out, "</td><td class=\"heard\">");
	html_heard(out, html_json_int(r, "last_heard_ms", 0));
	evbuffer_add_printf(out, "</td><td class=\"slots\">%lld / %lld</td>"
	    "</tr>\n", (long long)html_json_int(r, "busy", 0),
	    (long long)html_json_int(r, "slots", 0));
}

static void
html_dash_runners(struct evbuffer *out, json_t *runners)
{
	size_t i;
	json_t *r;

	html_section(out, "runners", "Runners", json_array_size(runners));
	if (json_array_size(runners) == 0) {
		evbuffer_add_printf(out, "<p class=\"empty\">No runner "
		    "connected</p></section>\n");
		return;
	}
	evbuffer_add_printf(out, "<table><thead><tr><th>Name</th>"
	    "<th>State</th><th>Jobs</th><th>Last heard</th><th>Busy / slots"
	    "</th></tr></thead><tbody>\n");
	json_array_foreach(runners, i, r)
		html_runner_row(out, r);
	evbuffer_add_printf(out, "</tbody></table></section>\n");
}

void
html_dashboard(struct dispatcher *d, struct evbuffer *out)
{
	struct job_filter filter = { .limit = HTML_RECENT_JOBS };
	json_t *heads = api_heads(d), *running = api_running(d);
	json_t *queue = api_queue(d, HTML_QUEUE_SHOWN);
	json_t *runners = api_runners(d), *recent = api_jobs(d, &filter);

	html_page_start(d, out, "SuperSimpleCI", "dashboard", NULL);
	html_dash_branches(d, out, heads);
	evbuffer_add_printf(out, "<div class=\"row\">\n");
	html_dash_running(d, out, running);
	html_dash_queue(out, queue);
	evbuffer_add_printf(out, "</div>\n");
	html_dash_runners(out, runners);
	html_section(out, "recent", "Recent jobs", json_array_size(recent));
	html_jobs_table(out, recent, recent != NULL ? "No jobs yet" :
	    "The jobs could not be read.");
	evbuffer_add_printf(out, "</section>\n");
	html_page_end(out);
	json_decref(heads);
	json_decref(running);
	json_decref(queue);
	json_decref(runners);
	json_decref(recent);
}

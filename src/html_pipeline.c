/* SPDX-License-Identifier: MIT */
/*
 * html_pipeline.c - a pipeline's page, "/pipelines/ID": its state, commit
 * and times, its jobs as a graph (svg_graph.c) and as a table; and the
 * graph alone, which a job's page shows too.  Both are drawn from the
 * pipeline object of the API (api_pipeline), so the page and
 * /api/pipelines/ID never disagree.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api.h"
#include "dispatcher.h"
#include "html_int.h"
#include "svg.h"
#include "util.h"

/* The index of job id among ids (the graph's boxes), or n. */
static size_t
html_pipeline_index(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return i;
	return n;
}

/*
 * The shards of the sharded jobs among the boxes, each in its job's box:
 * a shard is no box of its own.  current, a shard, becomes its job.
 */
static struct svg_shard *
html_pipeline_shards(json_t *jobs, struct svg_node *nodes, const int64_t *ids,
    size_t nboxes, int64_t *current)
{
	size_t n = json_array_size(jobs), i, at, used = 0;
	struct svg_shard *shards = xcalloc(n > 0 ? n : 1, sizeof *shards);
	json_t *job;

	for (size_t b = 0; b < nboxes; b++) {
		nodes[b].shards = shards + used;
		json_array_foreach(jobs, i, job) {
			if (html_json_int(job, "shard_of", 0) != ids[b])
				continue;
			at = used++;
			shards[at].id = html_json_int(job, "id", 0);
			shards[at].state = html_json_state(job);
			shards[at].index = (int)html_json_int(job, "shard_index",
			    0);
			shards[at].expected_ms = html_json_int(job,
			    "expected_ms", -1);
			shards[at].duration_ms = html_json_int(job,
			    "duration_ms", -1);
			nodes[b].nshards++;
			if (shards[at].id == *current)
				*current = ids[b];
		}
	}
	return shards;
}

void
html_pipeline_graph(struct evbuffer *out, json_t *pipeline, int64_t current)
{
	json_t *jobs = json_object_get(pipeline, "jobs"), *job, *need;
	size_t n = json_array_size(jobs), total = 0, used = 0, i, k, at, b = 0;
	struct svg_node *nodes = xcalloc(n > 0 ? n : 1, sizeof *nodes);
	int64_t *ids = xcalloc(n > 0 ? n : 1, sizeof *ids);
	struct svg_shard *shards;
	json_t **boxes = xcalloc(n > 0 ? n : 1, sizeof *boxes);
	size_t *needs;

	json_array_foreach(jobs, i, job) {
		if (html_json_int(job, "shard_of", 0) > 0)
			continue;
		boxes[b] = job;
		ids[b++] = html_json_int(job, "id", 0);
		total += json_array_size(json_object_get(job, "needs"));
	}
	needs = xcalloc(total > 0 ? total : 1, sizeof *needs);
	for (i = 0; i < b; i++) {
		nodes[i].id = ids[i];
		nodes[i].state = html_json_state(boxes[i]);
		nodes[i].name = html_json_str(boxes[i], "name");
		nodes[i].needs = needs + used;
		json_array_foreach(json_object_get(boxes[i], "needs"), k, need) {
			at = html_pipeline_index(ids, b, json_integer_value(need));
			if (at < b && used < total) {
				needs[used++] = at;
				nodes[i].nneeds++;
			}
		}
	}
	shards = html_pipeline_shards(jobs, nodes, ids, b, &current);
	evbuffer_add_printf(out, "<div class=\"graph\">");
	svg_pipeline(out, nodes, b, current);
	evbuffer_add_printf(out, "</div>\n");
	free(shards);
	free(boxes);
	free(needs);
	free(ids);
	free(nodes);
}

/* The heading: state, number, short commit id, actions, subject. */
static void
html_pipeline_title(struct evbuffer *out, json_t *p, int64_t id,
    enum job_state state)
{
	const char *commit = html_json_str(p, "commit");
	const char *subject = html_json_str(p, "subject");

	if (commit == NULL)
		commit = "";
	evbuffer_add_printf(out, "<h1><span id=\"status\" class=\"pill "
	    "state-%s\">%s</span> Pipeline #%" PRId64 " <code class=\"sha\">",
	    job_state_name(state), job_state_name(state), id);
	html_escape_len(out, commit, strnlen(commit, HTML_SHORT_ID));
	evbuffer_add_printf(out, "</code> <span class=\"actions\">");
	/* A job's actions act on its whole pipeline; the first stands for it. */
	html_actions(out, state, id, "Retry");
	evbuffer_add_printf(out, "</span></h1>\n<p class=\"subject\">");
	html_escape(out, subject != NULL ? subject : "");
	evbuffer_add_printf(out, "</p>\n");
}

/* Commit, branch (linked to its history), repository, times. */
static void
html_pipeline_summary(struct evbuffer *out, json_t *p)
{
	const char *repo = html_json_str(p, "repo");
	const char *branch = html_json_str(p, "branch");
	int64_t created = html_json_int(p, "created_ms", 0);
	int64_t finished = html_json_int(p, "finished_ms", 0);
	char buf[HTML_FMT_SIZE];

	evbuffer_add_printf(out, "<dl id=\"summary\">\n");
	html_dd(out, "commit", "Commit", html_json_str(p, "commit"));
	if (repo != NULL && branch != NULL) {
		evbuffer_add_printf(out, "<dt>Branch</dt><dd class=\"branch\">"
		    "<a href=\"");
		html_history_href(out, repo, branch);
		evbuffer_add_printf(out, "\">");
		html_escape(out, branch);
		evbuffer_add_printf(out, "</a></dd>\n");
	} else
		html_dd(out, "branch", "Branch", branch);
	html_dd(out, "repo", "Repository", repo);
	html_fmt_utc(buf, sizeof buf, created);
	html_dd(out, "queued", "Queued", buf);
	html_fmt_utc(buf, sizeof buf, finished);
	html_dd(out, "finished", "Finished", buf);
	html_fmt_duration(buf, sizeof buf, finished > 0 ? finished - created :
	    -1);
	html_dd(out, "duration", "Duration", buf);
	evbuffer_add_printf(out, "</dl>\n");
}

/* One job of the table: number, name, state, runner, duration, reason. */
static void
html_pipeline_row(struct evbuffer *out, json_t *job)
{
	enum job_state state = html_json_state(job);
	int64_t started = html_json_int(job, "started_ms", 0);
	json_t *tests = json_object_get(job, "tests");
	char took[3 * HTML_FMT_SIZE];

	int64_t expected = html_json_int(job, "expected_ms", -1);
	char est[HTML_FMT_SIZE];

	html_fmt_duration(took, sizeof took, state == JOB_RUNNING && started ?
	    now_ms() - started : html_json_int(job, "duration_ms", -1));
	/* A shard: how long the split expected it to take, too. */
	if (expected >= 0) {
		html_fmt_duration(est, sizeof est, expected);
		snprintf(took + strlen(took), sizeof took - strlen(took),
		    " (est. %s)", est);
	}
	html_job_tr(out, job);
	html_job_number(out, job);
	evbuffer_add_printf(out, "<td class=\"name%s\">",
	    html_json_int(job, "shard_of", 0) > 0 ? " shard" : "");
	html_text(out, html_json_str(job, "name"));
	if (html_json_int(job, "shards", 0) > 0)
		evbuffer_add_printf(out, " <span class=\"tag sharded\" "
		    "title=\"split over runners; its shards follow\">%lld "
		    "shards</span>", (long long)html_json_int(job, "shards", 0));
	if (json_is_true(json_object_get(job, "allow_failure")))
		evbuffer_add_printf(out, " <span class=\"tag allow-failure\" "
		    "title=\"its failure does not fail the pipeline\">allowed "
		    "to fail</span>");
	evbuffer_add_printf(out, "</td><td class=\"status\">");
	html_pill(out, state);
	html_no_tests(out, state, html_json_int(tests, "run", -1));
	evbuffer_add_printf(out, "</td><td class=\"runner\">");
	html_text(out, html_json_str(job, "runner"));
	evbuffer_add_printf(out, "</td><td class=\"duration\">%s</td>"
	    "<td class=\"reason\">", took);
	html_text(out, html_json_str(job, "reason"));
	evbuffer_add_printf(out, "</td></tr>\n");
}

static void
html_pipeline_table(struct evbuffer *out, json_t *jobs)
{
	size_t i;
	json_t *job;

	html_section(out, "jobs", "Jobs", json_array_size(jobs));
	evbuffer_add_printf(out, "<div class=\"scroll\"><table "
	    "class=\"pipeline-jobs\"><thead><tr><th>Job</th><th>Name</th>"
	    "<th>Status</th><th>Runner</th><th>Duration</th><th>Reason</th>"
	    "</tr></thead><tbody>\n");
	json_array_foreach(jobs, i, job)
		html_pipeline_row(out, job);
	evbuffer_add_printf(out, "</tbody></table></div></section>\n");
}

int
html_pipeline(struct dispatcher *d, int64_t id, struct evbuffer *out)
{
	json_t *p;
	enum job_state state;
	char *title, *attrs;

	if (api_pipeline(d, id, &p) != 1)
		return -1;
	state = html_json_state(p);
	xasprintf(&title, "%s · pipeline #%" PRId64 " %.*s · SuperSimpleCI",
	    job_state_name(state), id, HTML_SHORT_ID,
	    html_json_str(p, "commit") != NULL ? html_json_str(p, "commit") :
	    "");
	xasprintf(&attrs, "data-pipeline=\"%" PRId64 "\" data-state=\"%s\"",
	    id, job_state_name(state));
	html_page_start(d, out, title, "pipeline", attrs);
	evbuffer_add_printf(out, "<section id=\"pipeline\" class=\"card head "
	    "state-%s\">\n", job_state_name(state));
	html_pipeline_title(out, p, id, state);
	html_pipeline_summary(out, p);
	html_pipeline_graph(out, p, 0);
	evbuffer_add_printf(out, "</section>\n");
	html_pipeline_table(out, json_object_get(p, "jobs"));
	html_page_end(out);
	free(attrs);
	free(title);
	json_decref(p);
	return 0;
}

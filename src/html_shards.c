/* SPDX-License-Identifier: MIT */
/*
 * html_shards.c - a sharded job's page's own section (html_int.h): its
 * shards, each with its state, runner, attempt, tests, and how long the
 * split expected it to take next to how long it took.
 */
#include <stdio.h>

#include <event2/buffer.h>

#include "html_int.h"
#include "util.h"

static void
html_shard_row(struct evbuffer *out, json_t *shard)
{
	enum job_state state = html_json_state(shard);
	json_t *tests = json_object_get(shard, "tests");
	char expected[HTML_FMT_SIZE], took[HTML_FMT_SIZE], counts[HTML_FMT_SIZE];

	html_fmt_duration(expected, sizeof expected, html_json_int(shard,
	    "expected_ms", -1));
	html_fmt_duration(took, sizeof took, html_json_int(shard,
	    "duration_ms", -1));
	html_fmt_tests(counts, sizeof counts, html_json_int(tests, "run", -1),
	    html_json_int(tests, "failed", -1), html_json_int(tests,
	    "skipped", -1));
	html_job_tr(out, shard);
	html_job_number(out, shard);
	evbuffer_add_printf(out, "<td class=\"name\">");
	html_text(out, html_json_str(shard, "name"));
	evbuffer_add_printf(out, "</td><td class=\"status\">");
	html_pill(out, state);
	evbuffer_add_printf(out, "</td><td class=\"runner\">");
	html_text(out, html_json_str(shard, "runner"));
	evbuffer_add_printf(out, "</td><td class=\"attempt\">%lld</td>"
	    "<td class=\"expected\">%s</td><td class=\"duration\">%s</td>"
	    "<td class=\"tests\">", (long long)html_json_int(shard, "attempt",
	    0), expected, took);
	html_text(out, counts);
	evbuffer_add_printf(out, "</td></tr>\n");
}

void
html_job_shards(struct evbuffer *out, const struct job *job, json_t *pipeline)
{
	json_t *jobs = json_object_get(pipeline, "jobs"), *shard;
	size_t i;

	html_section(out, "shards", "Shards", (size_t)job->shards);
	evbuffer_add_printf(out, "<p class=\"note\">Split by the tests' "
	    "measured times; its log below is each shard's under a header."
	    "</p>\n<div class=\"scroll\"><table class=\"shards\"><thead><tr>"
	    "<th>Job</th><th>Shard</th><th>Status</th><th>Runner</th>"
	    "<th>Attempt</th><th>Expected</th><th>Took</th><th>Tests</th>"
	    "</tr></thead><tbody>\n");
	json_array_foreach(jobs, i, shard) {
		if (html_json_int(shard, "shard_of", 0) == job->id)
			html_shard_row(out, shard);
	}
	evbuffer_add_printf(out, "</tbody></table></div></section>\n");
}

/* SPDX-License-Identifier: MIT */
/*
 * html_rows.c - what the dashboard and a branch's history both show: the
 * table of jobs with their numbers and actions, the cells it is made of,
 * and the marks of the pictures (svg.c) drawn from job objects.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "html_int.h"
#include "svg.h"
#include "util.h"

/* Append s escaped, or an empty cell's dash when s is NULL or "". */
void
html_text(struct evbuffer *out, const char *s)
{
	if (s == NULL || *s == '\0')
		evbuffer_add_printf(out, "<span class=\"muted\">–</span>");
	else
		html_escape(out, s);
}

void
html_job_name(struct evbuffer *out, json_t *job)
{
	const char *name = html_json_str(job, "name");

	if (name == NULL || *name == '\0')
		return;
	evbuffer_add_printf(out, " <span class=\"job-name\">");
	html_escape(out, name);
	evbuffer_add_printf(out, "</span>");
}

/* The commit's short id linked to its job, its name, then its subject. */
void
html_commit_cell(struct evbuffer *out, json_t *job, int with_name)
{
	evbuffer_add_printf(out, "<td class=\"commit\">");
	html_job_link(out, job);
	if (with_name)
		html_job_name(out, job);
	evbuffer_add_printf(out, " <span class=\"subject\">");
	html_escape(out, html_json_str(job, "subject") != NULL ?
	    html_json_str(job, "subject") : "");
	evbuffer_add_printf(out, "</span></td>");
}

/* A row's start: <tr class="job state-X" data-job="ID">. */
void
html_job_tr(struct evbuffer *out, json_t *job)
{
	evbuffer_add_printf(out, "<tr class=\"job state-%s\" "
	    "data-job=\"%lld\">", job_state_name(html_json_state(job)),
	    (long long)html_json_int(job, "id", 0));
}

/* "#12 passed · 1a2b3c4 · Fix the parser · 1.2 s": a mark's tooltip. */
static char *
html_mark_title(json_t *job, const struct svg_mark *m, int pipeline)
{
	const char *commit = html_json_str(job, "commit");
	const char *subject = html_json_str(job, "subject");
	char took[HTML_FMT_SIZE];
	char *title;

	html_fmt_duration(took, sizeof took, m->duration_ms);
	xasprintf(&title, "%s#%lld %s · %.*s%s%s%s%s",
	    pipeline ? "pipeline " : "", (long long)m->id,
	    job_state_name(m->state), HTML_SHORT_ID,
	    commit != NULL ? commit : "", subject != NULL ? " · " : "",
	    subject != NULL ? subject : "", *took != '\0' ? " · " : "", took);
	return title;
}

struct svg_mark *
html_marks(json_t *jobs, size_t *n, int pipelines)
{
	struct svg_mark *marks;
	size_t i, count = json_array_size(jobs);
	json_t *job;

	marks = xcalloc(count > 0 ? count : 1, sizeof *marks);
	json_array_foreach(jobs, i, job) {
		struct svg_mark *m = &marks[count - 1 - i];
		/* A planned pipeline's first job has a name; an unplanned
		 * pipeline is its one job. */
		int planned = pipelines && html_json_str(job, "name") != NULL;

		m->id = html_json_int(job, "id", 0);
		m->state = pipelines ? html_json_pipeline_state(job) :
		    html_json_state(job);
		m->duration_ms = planned ? -1 :
		    html_json_int(job, "duration_ms", -1);
		m->title = html_mark_title(job, m, planned);
	}
	*n = count;
	return marks;
}

void
html_marks_free(struct svg_mark *marks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)marks[i].title);
	free(marks);
}

static void
html_job_row(struct evbuffer *out, json_t *job)
{
	enum job_state state = html_json_state(job);
	char tests[HTML_FMT_SIZE], took[HTML_FMT_SIZE], age[HTML_FMT_SIZE];
	char when[HTML_FMT_SIZE];
	json_t *t = json_object_get(job, "tests");
	int64_t started = html_json_int(job, "started_ms", 0);
	int64_t created = html_json_int(job, "created_ms", 0);
	int64_t finished = html_json_int(job, "finished_ms", 0);

	html_fmt_tests(tests, sizeof tests, html_json_int(t, "run", -1),
	    html_json_int(t, "failed", -1), html_json_int(t, "skipped", -1));
	html_fmt_duration(took, sizeof took, state == JOB_RUNNING && started ?
	    now_ms() - started : html_json_int(job, "duration_ms", -1));
	html_fmt_age(age, sizeof age, now_ms() - (finished ? finished :
	    created));
	html_fmt_utc(when, sizeof when, finished ? finished : created);
	html_job_tr(out, job);
	html_job_number(out, job);
	evbuffer_add_printf(out, "<td class=\"commit\">");
	html_job_link(out, job);
	html_job_name(out, job);
	evbuffer_add_printf(out, "</td><td class=\"subject\">");
	html_text(out, html_json_str(job, "subject"));
	evbuffer_add_printf(out, "</td><td class=\"author\">");
	html_text(out, html_json_str(job, "author"));
	evbuffer_add_printf(out, "</td><td class=\"branch\">");
	html_text(out, html_json_str(job, "branch"));
	evbuffer_add_printf(out, "</td><td class=\"status\">");
	html_pill(out, state);
	html_no_tests(out, state, html_json_int(t, "run", -1));
	evbuffer_add_printf(out, "</td><td class=\"tests\">%s</td>"
	    "<td class=\"duration\">%s</td><td class=\"runner\">", tests, took);
	html_text(out, html_json_str(job, "runner"));
	evbuffer_add_printf(out, "</td><td class=\"attempt\">%lld</td>"
	    "<td class=\"age\" title=\"%s\">%s</td><td class=\"actions\">",
	    (long long)html_json_int(job, "attempt", 0), when, age);
	html_actions(out, state, html_json_int(job, "id", 0), "Retry");
	evbuffer_add_printf(out, "</td></tr>\n");
}

void
html_jobs_table(struct evbuffer *out, json_t *jobs, const char *empty)
{
	size_t i;
	json_t *job;

	if (json_array_size(jobs) == 0) {
		evbuffer_add_printf(out, "<p class=\"empty\">%s</p>\n", empty);
		return;
	}
	evbuffer_add_printf(out, "<div class=\"scroll\"><table class=\"jobs\">"
	    "<thead><tr><th>Job</th><th>Commit</th><th>Subject</th>"
	    "<th>Author</th><th>Branch</th><th>Status</th><th>Tests</th>"
	    "<th>Duration</th><th>Runner</th><th>Attempt</th><th>When</th>"
	    "<th></th></tr></thead><tbody>\n");
	json_array_foreach(jobs, i, job)
		html_job_row(out, job);
	evbuffer_add_printf(out, "</tbody></table></div>\n");
}


void
html_job_number(struct evbuffer *out, json_t *job)
{
	int64_t id = html_json_int(job, "id", 0);

	evbuffer_add_printf(out, "<td class=\"id\"><a href=\"/jobs/%" PRId64
	    "\">#%" PRId64 "</a></td>", id, id);
}

void
html_actions(struct evbuffer *out, enum job_state state, int64_t id,
    const char *retry_label)
{
	/* The page's script posts them (app.js); a login may come first. */
	if (state == JOB_QUEUED || state == JOB_RUNNING)
		evbuffer_add_printf(out, "<button type=\"button\" class=\"act "
		    "cancel\" data-act=\"cancel\" data-job=\"%" PRId64 "\">"
		    "Cancel</button>", id);
	else if (id > 0)
		evbuffer_add_printf(out, "<button type=\"button\" class=\"act "
		    "retry\" data-act=\"retry\" data-job=\"%" PRId64 "\">"
		    "%s</button>", id, retry_label);
}

void
html_bisection(struct evbuffer *out, json_t *b)
{
	json_t *culprit = json_object_get(b, "culprit");
	const char *state = html_json_str(b, "state");
	const char *commit = html_json_str(culprit, "commit");
	int64_t runs = html_json_int(b, "runs", 0);

	if (!json_is_object(b) || state == NULL)
		return;
	evbuffer_add_printf(out, "<div class=\"bisection %s\">",
	    strcmp(state, "found") == 0 ? "found" : "other");
	if (strcmp(state, "found") == 0 && commit != NULL) {
		evbuffer_add_printf(out, "broken by <a href=\"/jobs/%" PRId64
		    "\"><code>", html_json_int(culprit, "pipeline", 0));
		html_escape(out, commit);
		evbuffer_add_printf(out, "</code></a> (");
		html_text(out, html_json_str(culprit, "subject"));
		evbuffer_add_printf(out, ", ");
		html_text(out, html_json_str(culprit, "author"));
		evbuffer_add_printf(out, "), found in %" PRId64 " run%s", runs,
		    runs == 1 ? "" : "s");
	} else if (strcmp(state, "running") == 0)
		evbuffer_add_printf(out, "bisecting the skipped commits since "
		    "<a href=\"/jobs/%" PRId64 "\">#%" PRId64 "</a> failed",
		    html_json_int(b, "bad", 0), html_json_int(b, "bad", 0));
	else {
		evbuffer_add_printf(out, "bisection stopped: ");
		html_text(out, html_json_str(b, "note"));
	}
	evbuffer_add_printf(out, "</div>");
}

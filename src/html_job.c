/* SPDX-License-Identifier: MIT */
/*
 * html_job.c - a job's page, "/jobs/ID" and "/commits/SHA": its status,
 * commit, times, runner and attempts, its pipeline's graph when it is
 * one of several jobs, its artifacts, and its log.  The log is read from
 * logs/<id>.log with a bound (the last HTML_LOG_MAX bytes), escaped and
 * stripped of ANSI codes; while the job runs, the script in assets.c
 * follows it from the byte this page stopped at (data-offset).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "api.h"
#include "dispatcher.h"
#include "html_int.h"
#include "util.h"

/* A cut log starts at a line: look this far for the first newline. */
#define HTML_LOG_LINE_MAX 65536

/* The part of a log the page shows. */
struct html_log {
	char *data;		/* what was read, from file offset start */
	size_t skip;		/* bytes of data not shown (a cut line) */
	size_t len;		/* bytes of data shown after skip */
	int64_t start;
	int64_t size;		/* the file's size when it was read */
};

/* Read up to len bytes at offset; how many were read. */
static size_t
html_pread_all(int fd, char *buf, size_t len, int64_t offset)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, buf + got, len - got, (off_t)offset + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* A sharded job's log, its shards' read now: the tail the page shows. */
static void
html_log_sharded(struct dispatcher *d, const struct job *job,
    struct html_log *log)
{
	char *nl;
	size_t len;

	if (api_log_read(d, job, 0, 0, &log->data, &len, &log->size) == -1)
		return;
	free(log->data);
	log->data = NULL;
	if (log->size > HTML_LOG_MAX)
		log->start = log->size - HTML_LOG_MAX;
	if (api_log_read(d, job, log->start, HTML_LOG_MAX, &log->data, &len,
	    &log->size) == -1)
		return;
	if (log->start > 0 && (nl = memchr(log->data, '\n', len <
	    HTML_LOG_LINE_MAX ? len : HTML_LOG_LINE_MAX)) != NULL)
		log->skip = (size_t)(nl + 1 - log->data);
	log->len = len - log->skip;
}

/*
 * Read the tail of a job's log.  A missing log is an empty one: a queued
 * job has none yet.  While the job goes on, a partial escape code or
 * character at the end is left for the script to fetch whole.
 */
static void
html_log_read(struct dispatcher *d, const struct job *job,
    struct html_log *log)
{
	struct stat st;
	char *path, *nl;
	size_t want, got;
	int fd;

	memset(log, 0, sizeof *log);
	if (d->logs.dir == NULL)
		return;
	if (job->shards > 0) {
		html_log_sharded(d, job, log);
		return;
	}
	path = joblog_read_path(&d->logs, job->id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT)
		log_warn("unable to open '%s'", path);
	free(path);
	if (fd == -1)
		return;
	if (fstat(fd, &st) == -1 || st.st_size <= 0) {
		close(fd);
		return;
	}
	log->size = st.st_size;
	if (log->size > HTML_LOG_MAX)
		log->start = log->size - HTML_LOG_MAX;
	want = (size_t)(log->size - log->start);
	log->data = xmalloc(want + 1);
	got = html_pread_all(fd, log->data, want, log->start);
	close(fd);
	if (log->start > 0 && (nl = memchr(log->data, '\n', got <
	    HTML_LOG_LINE_MAX ? got : HTML_LOG_LINE_MAX)) != NULL)
		log->skip = (size_t)(nl + 1 - log->data);
	log->len = got - log->skip;
	if (!job_state_final(job->state))
		log->len = html_log_whole(log->data + log->skip, log->len);
}

/* The heading: status, job number and name, short commit id, subject. */
static void
html_job_title(struct evbuffer *out, const struct job *job)
{
	const char *state = job_state_name(job->state);

	evbuffer_add_printf(out, "<h1><span id=\"status\" class=\"pill "
	    "state-%s\">%s</span>", state, state);
	html_no_tests(out, job->state, job->tests.run);
	evbuffer_add_printf(out, " Job #%" PRId64, job->id);
	if (job->name != NULL) {
		evbuffer_add_printf(out, " <span class=\"job-name\">");
		html_escape(out, job->name);
		evbuffer_add_printf(out, "</span>");
	}
	if (job->allow_failure)
		evbuffer_add_printf(out, " <span class=\"tag allow-failure\" "
		    "title=\"its failure does not fail the pipeline\">allowed "
		    "to fail</span>");
	evbuffer_add_printf(out, " <code class=\"sha\">%.*s"
	    "</code> <span class=\"actions\">", HTML_SHORT_ID, job->commit);
	html_actions(out, job->state, job->id, "Retry");
	evbuffer_add_printf(out, "</span></h1>\n<p class=\"subject\">");
	html_escape(out, job->subject != NULL ? job->subject : "");
	evbuffer_add_printf(out, "</p>\n");
}

/* Branch, linked to its history. */
static void
html_job_branch(struct evbuffer *out, const struct job *job)
{
	if (job->branch == NULL || job->repo == NULL) {
		html_dd(out, "branch", "Branch", job->branch);
		return;
	}
	evbuffer_add_printf(out, "<dt>Branch</dt><dd class=\"branch\">"
	    "<a href=\"");
	html_history_href(out, job->repo, job->branch);
	evbuffer_add_printf(out, "\">");
	html_escape(out, job->branch);
	evbuffer_add_printf(out, "</a></dd>\n");
}

/* The forge's pull request the pipeline tests: its title, linked. */
static void
html_job_pull_request(struct evbuffer *out, const struct job *job)
{
	if (job->pr_title == NULL && job->pr_url == NULL)
		return;
	evbuffer_add_printf(out, "<dt>Pull request</dt>"
	    "<dd class=\"pull-request\">");
	/* forge_hook.c took only an http(s) address. */
	if (job->pr_url != NULL) {
		evbuffer_add_printf(out, "<a href=\"");
		html_escape(out, job->pr_url);
		evbuffer_add_printf(out, "\" rel=\"noopener noreferrer\">");
	}
	html_escape(out, job->pr_title != NULL ? job->pr_title : job->pr_url);
	evbuffer_add_printf(out, "%s</dd>\n", job->pr_url != NULL ? "</a>" :
	    "");
}

/* Queued, started, finished and how long it took (or has taken). */
static void
html_job_times(struct evbuffer *out, const struct job *job)
{
	char buf[HTML_FMT_SIZE], took[HTML_FMT_SIZE + 16];

	html_fmt_utc(buf, sizeof buf, job->created_ms);
	html_dd(out, "queued", "Queued", buf);
	html_fmt_utc(buf, sizeof buf, job->started_ms);
	html_dd(out, "started", "Started", buf);
	html_fmt_utc(buf, sizeof buf, job->finished_ms);
	html_dd(out, "finished", "Finished", buf);
	if (job->state == JOB_RUNNING && job->started_ms > 0) {
		html_fmt_duration(buf, sizeof buf, now_ms() - job->started_ms);
		snprintf(took, sizeof took, "%s so far", buf);
	} else
		html_fmt_duration(took, sizeof took, job->duration_ms);
	html_dd(out, "duration", "Duration", took);
}

/* Its pipeline, linked, with the pipeline's state; its labels. */
static void
html_job_pipeline(struct evbuffer *out, const struct job *job, int shown)
{
	if (shown) {
		evbuffer_add_printf(out, "<dt>Pipeline</dt><dd class=\"pipeline\">"
		    "<a href=\"/pipelines/%" PRId64 "\">#%" PRId64 "</a> ",
		    job->pipeline, job->pipeline);
		html_pill(out, job->pipeline_state);
		evbuffer_add_printf(out, "</dd>\n");
	}
	if (job->labels != NULL && *job->labels != '\0')
		html_dd(out, "labels", "Labels", job->labels);
}

/*
 * The pipeline of several jobs this job is one of: its graph, this job's
 * box outlined, and a link to the pipeline's page.
 */
static void
html_job_graph(struct evbuffer *out, const struct job *job, json_t *pipeline)
{
	evbuffer_add_printf(out, "<section id=\"pipeline\" class=\"card\">"
	    "<h2>Pipeline <a href=\"/pipelines/%" PRId64 "\">#%" PRId64
	    "</a> ", job->pipeline, job->pipeline);
	html_pill(out, html_json_state(pipeline));
	evbuffer_add_printf(out, "</h2>\n");
	html_pipeline_graph(out, pipeline, job->id);
	evbuffer_add_printf(out, "</section>\n");
}

/*
 * What queued its pipeline ("manual by a client at ADDR", "hook", ...),
 * its priority when it is not the usual, and a manual run's parameters
 * as a table of NAME = VALUE, everything escaped.
 */
static void
html_job_trigger(struct evbuffer *out, const struct job *job)
{
	json_t *params, *v;
	const char *name;

	if (job->trigger != NULL)
		html_dd(out, "trigger", "Triggered by", job->trigger);
	if (job->priority != JOB_PRIORITY_NORMAL)
		html_dd(out, "priority", "Priority",
		    job_priority_name(job->priority));
	if (job->params == NULL ||
	    (params = json_loads(job->params, 0, NULL)) == NULL)
		return;
	if (json_is_object(params) && json_object_size(params) > 0) {
		evbuffer_add_printf(out, "<dt>Parameters</dt>"
		    "<dd class=\"params\"><table class=\"params\"><tbody>\n");
		json_object_foreach(params, name, v) {
			evbuffer_add_printf(out, "<tr><th scope=\"row\">");
			html_escape(out, name);
			evbuffer_add_printf(out, "</th><td class=\"eq\">=</td>"
			    "<td class=\"value\">");
			if (json_is_string(v))
				html_escape_len(out, json_string_value(v),
				    json_string_length(v));
			evbuffer_add_printf(out, "</td></tr>\n");
		}
		evbuffer_add_printf(out, "</tbody></table></dd>\n");
	}
	json_decref(params);
}

static void
html_job_summary(struct evbuffer *out, const struct job *job,
    int in_pipeline)
{
	char buf[HTML_FMT_SIZE];

	evbuffer_add_printf(out, "<section id=\"job\" class=\"card "
	    "state-%s\">\n", job_state_name(job->state));
	html_job_title(out, job);
	evbuffer_add_printf(out, "<dl id=\"summary\">\n");
	html_dd(out, "commit", "Commit", job->commit);
	html_job_pipeline(out, job, in_pipeline);
	html_dd(out, "author", "Author", job->author);
	html_job_branch(out, job);
	html_job_pull_request(out, job);
	html_dd(out, "repo", "Repository", job->repo);
	html_job_times(out, job);
	html_dd(out, "runner", "Runner", job->runner);
	snprintf(buf, sizeof buf, "%d", job->attempt);
	html_dd(out, "attempt", "Attempt", buf);
	if (job->retry_of > 0)
		evbuffer_add_printf(out, "<dt>Retry of</dt><dd class=\"retry-of\">"
		    "<a href=\"/jobs/%" PRId64 "\">#%" PRId64 "</a></dd>\n",
		    job->retry_of, job->retry_of);
	html_job_trigger(out, job);
	if (job->exit_code >= 0)
		snprintf(buf, sizeof buf, "%d", job->exit_code);
	else
		buf[0] = '\0';
	html_dd(out, "exit-code", "Exit code", buf);
	html_fmt_tests(buf, sizeof buf, job->tests.run, job->tests.failed,
	    job->tests.skipped);
	html_dd(out, "tests", "Tests", buf);
	if (job->reason != NULL && *job->reason != '\0')
		html_dd(out, "reason", "Reason", job->reason);
	if (job->shard_of > 0) {
		evbuffer_add_printf(out, "<dt>Shard</dt><dd class=\"shard\">"
		    "%d of <a href=\"/jobs/%" PRId64 "\">#%" PRId64 "</a></dd>\n",
		    job->shard_index, job->shard_of, job->shard_of);
		html_fmt_duration(buf, sizeof buf, job->expected_ms);
		html_dd(out, "expected", "Expected", buf);
	}
	evbuffer_add_printf(out, "</dl>\n</section>\n");
}

static void
html_job_log(struct evbuffer *out, const struct job *job,
    const struct html_log *log)
{
	char size[HTML_FMT_SIZE];

	evbuffer_add_printf(out, "<section id=\"output\" class=\"card\">"
	    "<h2>Log</h2>\n");
	if (log->start > 0) {
		snprintf(size, sizeof size, "%.1f MiB",
		    (double)log->size / (1024 * 1024));
		evbuffer_add_printf(out, "<p id=\"log-note\" class=\"note\">"
		    "The log is %s: earlier output not shown, only the last "
		    "%d MiB.</p>\n", size, HTML_LOG_MAX / (1024 * 1024));
	}
	if (log->len == 0 && job->state == JOB_QUEUED)
		evbuffer_add_printf(out, "<p id=\"log-empty\" class=\"empty\">"
		    "%s</p>\n", job->needs_pending > 0 ? "Waiting for the jobs "
		    "it needs." : "Waiting for a runner.");
	evbuffer_add_printf(out, "<pre id=\"log\" class=\"log\">");
	if (log->data != NULL)
		html_escape_log(out, log->data + log->skip, log->len);
	evbuffer_add_printf(out, "</pre>\n</section>\n");
}

/*
 * The bisection this job took part in (docs/QUEUE.md): the failed push
 * that started it, a push it skipped, one of its runs, or the culprit it
 * named; "broken by ..., found in K runs" while it is the branch's latest.
 */
static void
html_job_bisection(struct dispatcher *d, const struct job *job,
    struct evbuffer *out)
{
	struct bisection b;
	json_t *obj;

	if (job->branch == NULL ||
	    store_bisect_latest(d->store, job->repo, job->branch, &b) != 1)
		return;
	if (job->bisection == b.id || job->pipeline == b.bad ||
	    job->pipeline == b.culprit || (job->superseded_by != NULL &&
	    job->pipeline > b.good && job->pipeline < b.bad)) {
		obj = api_bisection(&b);
		evbuffer_add_printf(out, "<section id=\"bisection\" "
		    "class=\"card\"><h2>Bisection</h2>");
		html_bisection(out, obj);
		evbuffer_add_printf(out, "</section>\n");
		json_decref(obj);
	}
	bisection_release(&b);
}

void
html_job(struct dispatcher *d, const struct job *job, struct evbuffer *out)
{
	struct html_log log;
	char *title, *attrs;
	json_t *pipeline = NULL;
	int several;

	html_log_read(d, job, &log);
	/* A pipeline of one job is that job: nothing more to show. */
	if (job->pipeline <= 0 ||
	    api_pipeline(d, job->pipeline, &pipeline) != 1)
		pipeline = NULL;
	several = json_array_size(json_object_get(pipeline, "jobs")) > 1;
	xasprintf(&title, "%s · #%" PRId64 " %.*s · SuperSimpleCI",
	    job_state_name(job->state), job->id, HTML_SHORT_ID, job->commit);
	xasprintf(&attrs, "data-job=\"%" PRId64 "\" data-state=\"%s\" "
	    "data-offset=\"%" PRId64 "\"", job->id,
	    job_state_name(job->state),
	    log.start + (int64_t)(log.skip + log.len));
	/*
	 * A sharded job's log is put together from its shards': the page is
	 * drawn again as they go, not followed from an offset.
	 */
	html_page_start(d, out, title, job->shards > 0 ? "sharded" : "job",
	    attrs);
	html_job_summary(out, job, several);
	html_job_bisection(d, job, out);
	if (several)
		html_job_graph(out, job, pipeline);
	if (job->shards > 0 && pipeline != NULL)
		html_job_shards(out, job, pipeline);
	html_job_tests(d, job, out);
	html_job_artifacts(d, job, out);
	html_job_log(out, job, &log);
	html_page_end(out);
	json_decref(pipeline);
	free(attrs);
	free(title);
	free(log.data);
}

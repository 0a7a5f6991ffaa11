/* SPDX-License-Identifier: MIT */
/*
 * html_int.h - what the files of the web pages share and nobody else sees:
 * the page frame, number and time formats, links, and reading job objects
 * built by api.c.  html.c holds these and the escaping; html_dash.c the
 * dashboard; html_job.c a job's page; html_pipeline.c a pipeline's page
 * and graph; html_history.c the history and the badge; svg.c and
 * svg_graph.c the pictures; assets.c the stylesheet and the script.
 */
#ifndef SSCI_HTML_INT_H
#define SSCI_HTML_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "html.h"
#include "job.h"

struct evbuffer;
struct dispatcher;
struct svg_mark;

/* Append len bytes of s, HTML-escaped. */
void html_escape_len(struct evbuffer *out, const char *s, size_t len);

/* A commit's id as shown in a page: its first characters. */
#define HTML_SHORT_ID 7

/* The most of a log a page holds; the rest is left to the API. */
#define HTML_LOG_MAX (2 * 1024 * 1024)

/* Room for any text html_fmt_* writes. */
#define HTML_FMT_SIZE 64

/*
 * Start a page: doctype, head with title (unescaped), the header bar with
 * the uptime, and <main id="live" data-page="page" ...>; attrs, if not
 * NULL, is trusted markup added inside the <main> tag.
 */
void html_page_start(struct dispatcher *d, struct evbuffer *out,
    const char *title, const char *page, const char *attrs);
/* Close <main> and the page. */
void html_page_end(struct evbuffer *out);

/* "850 ms", "1.2 s", "3 min 4 s", "2 h 5 min"; "" if ms < 0. */
void html_fmt_duration(char *buf, size_t size, int64_t ms);
/* How long ago: "just now", "5 s ago", "3 min ago", "2 h ago", "4 d ago". */
void html_fmt_age(char *buf, size_t size, int64_t ms);
/* A wall-clock time in ms as "2024-05-01 12:03:04 UTC"; "" for 0. */
void html_fmt_utc(char *buf, size_t size, int64_t ms);
/* "3 run, 1 failed" (", 2 skipped" when some were); "" if unknown. */
void html_fmt_tests(char *buf, size_t size, int64_t run, int64_t failed,
    int64_t skipped);

/*
 * Append s percent-encoded for a URL path, all but unreserved characters
 * (and '/', when keep_slash is set).
 */
void html_url_part(struct evbuffer *out, const char *s, int keep_slash);
/* Append "/history/REPO/BRANCH" for a repository URL and a branch. */
void html_history_href(struct evbuffer *out, const char *repo,
    const char *branch);
/* Append a status pill: <span class="pill state-X">X</span>. */
void html_pill(struct evbuffer *out, enum job_state state);
/* A "no tests" mark after a pass whose command reported 0 tests. */
void html_no_tests(struct evbuffer *out, enum job_state state, int64_t run);

/* Members of a job object from api.c, or the fallback when absent. */
const char *html_json_str(json_t *obj, const char *key);
int64_t html_json_int(json_t *obj, const char *key, int64_t fallback);
enum job_state html_json_state(json_t *obj);
/* The state of a job object's pipeline (its own state if not given). */
enum job_state html_json_pipeline_state(json_t *obj);

/*
 * One line of a summary: <dt>label</dt><dd class="cls">value</dd>, value
 * escaped, a dash when it is NULL or "".
 */
void html_dd(struct evbuffer *out, const char *cls, const char *label,
    const char *value);

/* html_rows.c */
/*
 * A table of job objects with the columns of the dashboard's recent jobs;
 * the history page shows the same table.
 */
void html_jobs_table(struct evbuffer *out, json_t *jobs, const char *empty);
/* s escaped, or an empty cell's dash when s is NULL or "". */
void html_text(struct evbuffer *out, const char *s);
/*
 * The commit's short id linked to its job, then (with_name) the job's
 * name when it has one, then its subject, as a cell.
 */
void html_commit_cell(struct evbuffer *out, json_t *job, int with_name);
/* " <span class="job-name">NAME</span>" when the job has a name. */
void html_job_name(struct evbuffer *out, json_t *job);
/* A row's start: <tr class="job state-X" data-job="ID">. */
void html_job_tr(struct evbuffer *out, json_t *job);
/* The job's number linked to its page, as a cell. */
void html_job_number(struct evbuffer *out, json_t *job);
/*
 * The buttons a job in state has: Cancel while queued or running, else a
 * retry labelled retry_label ("Retry", "Rebuild").
 */
/*
 * What a branch's bisection found ("broken by <commit> (subject, author),
 * found in K runs"), is doing, or why it stopped: api_bisection's JSON.
 */
void html_bisection(struct evbuffer *out, json_t *bisection);
void html_actions(struct evbuffer *out, enum job_state state, int64_t id,
    const char *retry_label);

/*
 * The jobs of a newest-first array as marks for svg.c, oldest first, with
 * tooltips; *n gets how many.  With pipelines, each job (the first of its
 * pipeline) stands for its pipeline: its pipeline's state, and for a
 * planned pipeline no duration (the job's own is not the pipeline's).
 * Free with html_marks_free.
 */
struct svg_mark *html_marks(json_t *jobs, size_t *n, int pipelines);
void html_marks_free(struct svg_mark *marks, size_t n);

/* html_tests.c */
/* A job's tests as a section of its page (none without records). */
void html_job_tests(struct dispatcher *d, const struct job *job,
    struct evbuffer *out);

/* html_artifacts.c */
/* A job's artifacts as a section of its page (none without any). */
void html_job_artifacts(struct dispatcher *d, const struct job *job,
    struct evbuffer *out);

/* html_shards.c */
/* A sharded job's shards (from its pipeline's API object) as a section. */
void html_job_shards(struct evbuffer *out, const struct job *job,
    json_t *pipeline);

/* html_pipeline.c */
/*
 * A pipeline object of api_pipeline as a graph (svg_graph.c) in a
 * <div class="graph">, the box of job current (0: none) outlined.
 */
void html_pipeline_graph(struct evbuffer *out, json_t *pipeline,
    int64_t current);

/* Append <a href="/jobs/ID">SHORT</a> for a job object. */
void html_job_link(struct evbuffer *out, json_t *job);
/* Append a section's start: <section id="id" class="card"><h2>... */
void html_section(struct evbuffer *out, const char *id, const char *title,
    size_t count);

/*
 * The length of the longest prefix of a growing log that ends neither in
 * an unfinished escape sequence nor in a part of a UTF-8 character, so that
 * the page and the script that follows the log meet cleanly.
 */
size_t html_log_whole(const char *s, size_t len);

#endif

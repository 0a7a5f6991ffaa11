/* SPDX-License-Identifier: MIT */
/*
 * html.h - the web pages, server-rendered: the dashboard, a job's page with
 * its log, a pipeline's page, a branch's history picture and the status
 * badge; and the static stylesheet and script they use.  Everything a
 * test printed or a commit says is HTML-escaped before it reaches a page;
 * of a log's escape sequences only its colours stay, as classes.
 */
#ifndef SSCI_HTML_H
#define SSCI_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct dispatcher;
struct evbuffer;

/* Append s to out, HTML-escaped (& < > " '). */
void html_escape(struct evbuffer *out, const char *s);

/*
 * Append len bytes of log text, escaped: colours (SGR) as spans with
 * classes ("fg-1 sgr-b"), every other escape sequence and control taken
 * out as term.c does for a terminal.
 */
void html_escape_log(struct evbuffer *out, const char *s, size_t len);

/* The dashboard, "/". */
void html_dashboard(struct dispatcher *d, struct evbuffer *out);

/* A job's page, "/jobs/ID" and "/commits/SHA". */
void html_job(struct dispatcher *d, const struct job *job,
    struct evbuffer *out);

/*
 * A pipeline's page, "/pipelines/ID": its jobs as a graph and a table.
 * Returns 0, or -1 if there is no such pipeline.
 */
int html_pipeline(struct dispatcher *d, int64_t id, struct evbuffer *out);

/*
 * A branch's history, "/history/REPO/BRANCH" (REPO is the repository's id):
 * recent jobs as a strip of pass/fail marks and their durations as a chart,
 * both inline SVG.  Returns 0, or -1 if the branch has no jobs.
 */
int html_history(struct dispatcher *d, const char *repo, const char *branch,
    struct evbuffer *out);

/*
 * A test's page, "/tests/REPO/BRANCH/TEST[?job=NAME]" (branch NULL: jobs
 * without one; without NAME the runs of every job): its recent runs as a
 * strip and a duration chart, flips, quarantine.  0, or -1 if it never
 * ran there.
 */
struct test_where;
int html_test_page(struct dispatcher *d, const struct test_where *where,
    struct evbuffer *out);
/* "/flaky": the flakiest tests.  0, or -1 if the store failed. */
int html_flaky(struct dispatcher *d, struct evbuffer *out);

/* The status badge of a branch's latest finished job, as SVG. */
void html_badge(struct dispatcher *d, const char *repo, const char *branch,
    struct evbuffer *out);

/*
 * The login form (html_page.c): the token, then back to next (a path of
 * ours); error, if not NULL, says why the last try failed.
 */
void html_login(struct dispatcher *d, struct evbuffer *out, const char *next,
    const char *error);

/*
 * An error page in the site's style: status and its title ("Not found"),
 * and a sentence saying more.  d may be NULL (then no uptime is shown).
 */
void html_error_page(struct dispatcher *d, struct evbuffer *out, int status,
    const char *title, const char *message);

/* Append s percent-encoded as a URL query's value. */
void html_url_query(struct evbuffer *out, const char *s);

/*
 * A static file by name ("style.css", "app.js"): its bytes, length and
 * content type, or NULL.
 */
const char *html_asset(const char *name, size_t *len,
    const char **content_type);

#endif

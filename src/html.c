/* SPDX-License-Identifier: MIT */
/*
 * html.c - what every page needs: escaping (a test's output and a commit's
 * words are never trusted), the page frame, number and time formats and
 * links.  The pages themselves are in html_dash.c, html_job.c,
 * html_pipeline.c and html_history.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "dispatcher.h"
#include "html_int.h"
#include "util.h"

/* The entity for a byte HTML gives a meaning to, or NULL. */
static const char *
html_entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	}
	return NULL;
}

void
html_escape_len(struct evbuffer *out, const char *s, size_t len)
{
	const char *run = s, *end = s + len, *entity;

	/* Runs of plain bytes go in whole; a byte at a time would be slow. */
	for (; s < end; s++) {
		if ((entity = html_entity((unsigned char)*s)) == NULL)
			continue;
		evbuffer_add(out, run, (size_t)(s - run));
		evbuffer_add(out, entity, strlen(entity));
		run = s + 1;
	}
	evbuffer_add(out, run, (size_t)(s - run));
}

void
html_escape(struct evbuffer *out, const char *s)
{
	html_escape_len(out, s, strlen(s));
}

void
html_page_start(struct dispatcher *d, struct evbuffer *out,
    const char *title, const char *page, const char *attrs)
{
	char up[HTML_FMT_SIZE] = "";

	/* An error page may be made without the dispatcher at hand. */
	if (d != NULL)
		html_fmt_duration(up, sizeof up, now_ms() - d->started_ms);
	evbuffer_add_printf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n<title>");
	html_escape(out, title);
	evbuffer_add_printf(out, "</title>\n"
	    "<link rel=\"icon\" href=\"data:,\">\n"
	    "<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
	    "<script src=\"/static/app.js\" defer></script>\n"
	    "</head><body>\n<header class=\"top\"><a class=\"brand\" "
	    "href=\"/\"><span class=\"logo\"></span>SuperSimpleCI</a>"
	    "<span id=\"uptime\" class=\"uptime\">%s%s</span>"
	    "<a class=\"login\" href=\"/login\">log in</a></header>\n"
	    "<main id=\"live\" data-page=\"%s\"%s%s>\n", up[0] ? "up " : "",
	    up, page,
	    attrs != NULL ? " " : "", attrs != NULL ? attrs : "");
}

void
html_page_end(struct evbuffer *out)
{
	evbuffer_add_printf(out, "</main>\n<footer>ssci %s</footer>\n"
	    "</body></html>\n", SSCI_VERSION);
}

void
html_fmt_duration(char *buf, size_t size, int64_t ms)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		snprintf(buf, size, "%s", "");
	else if (ms < 1000)
		snprintf(buf, size, "%" PRId64 " ms", ms);
	else if (ms < 10000)
		snprintf(buf, size, "%" PRId64 ".%" PRId64 " s", s,
		    ms % 1000 / 100);
	else if (s < 60)
		snprintf(buf, size, "%" PRId64 " s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRId64 " min %" PRId64 " s", s / 60,
		    s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRId64 " h %" PRId64 " min", s / 3600,
		    s % 3600 / 60);
	else
		snprintf(buf, size, "%" PRId64 " d %" PRId64 " h", s / 86400,
		    s % 86400 / 3600);
}

void
html_fmt_age(char *buf, size_t size, int64_t ms)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;

	if (s < 5)
		snprintf(buf, size, "just now");
	else if (s < 60)
		snprintf(buf, size, "%" PRId64 " s ago", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRId64 " min ago", s / 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRId64 " h ago", s / 3600);
	else
		snprintf(buf, size, "%" PRId64 " d ago", s / 86400);
}

void
html_fmt_utc(char *buf, size_t size, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "%s", "");
}

void
html_fmt_tests(char *buf, size_t size, int64_t run, int64_t failed,
    int64_t skipped)
{
	if (run < 0) {
		snprintf(buf, size, "%s", "");
		return;
	}
	if (run == 0) {
		snprintf(buf, size, "%s", "no tests");
		return;
	}
	snprintf(buf, size, "%" PRId64 " run, %" PRId64 " failed%s", run,
	    failed < 0 ? 0 : failed, skipped > 0 ? ", " : "");
	if (skipped > 0)
		snprintf(buf + strlen(buf), size - strlen(buf),
		    "%" PRId64 " skipped", skipped);
}

void
html_url_part(struct evbuffer *out, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL ||
		    (keep_slash && c == '/'))
			evbuffer_add(out, s, 1);
		else
			evbuffer_add_printf(out, "%%%c%c", hex[c >> 4],
			    hex[c & 15]);
	}
}

/*
 * The repository's URL is encoded twice: a router that decodes the path
 * before it splits it at '/' would otherwise cut the URL in pieces, and
 * html_history decodes what is left (html_url_decode).
 */
void
html_history_href(struct evbuffer *out, const char *repo,
    const char *branch)
{
	/* The router decodes each segment: the URL is one, slashes and all. */
	evbuffer_add_printf(out, "/history/");
	html_url_part(out, repo, 0);
	evbuffer_add_printf(out, "/");
	html_url_part(out, branch, 1);
}

void
html_pill(struct evbuffer *out, enum job_state state)
{
	const char *name = job_state_name(state);

	evbuffer_add_printf(out, "<span class=\"pill state-%s\">%s</span>",
	    name, name);
}

void
html_no_tests(struct evbuffer *out, enum job_state state, int64_t run)
{
	/* A pass that tested nothing must never look like a normal pass. */
	if (state == JOB_PASSED && run == 0)
		evbuffer_add_printf(out, " <span class=\"tag no-tests\" "
		    "title=\"the test command reported 0 tests\">no tests"
		    "</span>");
}

const char *
html_json_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t
html_json_int(json_t *obj, const char *key, int64_t fallback)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : fallback;
}

enum job_state
html_json_state(json_t *obj)
{
	const char *name = html_json_str(obj, "state");
	enum job_state state;

	if (name == NULL || job_state_parse(name, &state) == -1)
		return JOB_ERROR;
	return state;
}

enum job_state
html_json_pipeline_state(json_t *obj)
{
	const char *name = html_json_str(obj, "pipeline_state");
	enum job_state state;

	if (name == NULL || job_state_parse(name, &state) == -1)
		return html_json_state(obj);
	return state;
}

void
html_dd(struct evbuffer *out, const char *cls, const char *label,
    const char *value)
{
	evbuffer_add_printf(out, "<dt>%s</dt><dd class=\"%s\">", label, cls);
	if (value == NULL || *value == '\0')
		evbuffer_add_printf(out, "<span class=\"muted\">–</span>");
	else
		html_escape(out, value);
	evbuffer_add_printf(out, "</dd>\n");
}

void
html_job_link(struct evbuffer *out, json_t *job)
{
	const char *commit = html_json_str(job, "commit");

	if (commit == NULL)
		commit = "";
	evbuffer_add_printf(out, "<a class=\"sha\" href=\"/jobs/%lld\" "
	    "title=\"", (long long)html_json_int(job, "id", 0));
	html_escape(out, commit);
	evbuffer_add_printf(out, "\">");
	html_escape_len(out, commit, strnlen(commit, HTML_SHORT_ID));
	evbuffer_add_printf(out, "</a>");
}

void
html_section(struct evbuffer *out, const char *id, const char *title,
    size_t count)
{
	evbuffer_add_printf(out, "<section id=\"%s\" class=\"card\"><h2>%s "
	    "<span class=\"count\">%zu</span></h2>\n", id, title, count);
}

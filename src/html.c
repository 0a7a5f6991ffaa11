/* SPDX-License-Identifier: MIT */
/*
 * html.c - what every page needs: escaping (a test's output and a commit's
 * words are never trusted), the page frame, number and time formats and
 * links.  The pages themselves are in html_dash.c, html_job.c and
 * html_history.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "dispatcher.h"
#include "html_int.h"
#include "util.h"

#define ESC 0x1b

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
html_escape(struct evbuffer *out, const char *s)
{
	const char *run = s, *entity;

	/* Runs of plain bytes go in whole; a byte at a time would be slow. */
	for (; *s != '\0'; s++) {
		if ((entity = html_entity((unsigned char)*s)) == NULL)
			continue;
		evbuffer_add(out, run, (size_t)(s - run));
		evbuffer_add(out, entity, strlen(entity));
		run = s + 1;
	}
	evbuffer_add(out, run, (size_t)(s - run));
}

/*
 * The length of the escape sequence at s (s[0] is ESC), at most len;
 * *done is 0 if the text ended before the sequence did.  String sequences
 * (OSC, DCS, ...) end at BEL or ST as in a terminal, and also before a
 * newline, so that one unterminated title cannot hide the rest of a log.
 */
static size_t
html_ansi_len(const unsigned char *s, size_t len, int *done)
{
	size_t i;

	*done = 1;
	if (len < 2) {
		*done = 0;
		return len;
	}
	switch (s[1]) {
	case '[':
		for (i = 2; i < len && s[i] >= 0x30 && s[i] <= 0x3f; i++)
			;
		for (; i < len && s[i] >= 0x20 && s[i] <= 0x2f; i++)
			;
		if (i == len)
			*done = 0;
		else if (s[i] >= 0x40 && s[i] <= 0x7e)
			i++;
		return i;
	case ']':
	case 'P':
	case 'X':
	case '^':
	case '_':
		for (i = 2; i < len; i++) {
			if (s[i] == 0x07)
				return i + 1;
			if (s[i] == '\n')
				return i;
			if (s[i] == ESC && i + 1 < len)
				return s[i + 1] == '\\' ? i + 2 : i;
			if (s[i] == ESC)
				break;
		}
		*done = 0;
		return len;
	}
	for (i = 1; i < len && s[i] >= 0x20 && s[i] <= 0x2f; i++)
		;
	if (i == len)
		*done = 0;
	else if (s[i] >= 0x30 && s[i] <= 0x7e)
		i++;
	return i;
}

/* A C1 control in UTF-8 (U+0080..U+009F): a page has no use for one. */
static int
html_is_c1(const unsigned char *s, size_t left)
{
	return s[0] == 0xc2 && left > 1 && s[1] >= 0x80 && s[1] <= 0x9f;
}

/* Whether a log byte goes to the page as it is. */
static int
html_log_plain(const unsigned char *s, size_t left)
{
	if (s[0] == '\n' || s[0] == '\t')
		return 1;
	if (s[0] < 0x20 || s[0] == 0x7f || html_entity(s[0]) != NULL)
		return 0;
	return !html_is_c1(s, left);
}

void
html_escape_log(struct evbuffer *out, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	const char *entity;
	size_t i = 0, run = 0;
	int done;

	while (i < len) {
		if (html_log_plain(s + i, len - i)) {
			i++;
			continue;
		}
		evbuffer_add(out, s + run, i - run);
		if (s[i] == ESC)
			i += html_ansi_len(s + i, len - i, &done);
		else if ((entity = html_entity(s[i])) != NULL) {
			evbuffer_add(out, entity, strlen(entity));
			i++;
		} else if (html_is_c1(s + i, len - i))
			i += 2;
		else
			i++;	/* \r and the other control characters */
		run = i;
	}
	evbuffer_add(out, s + run, i - run);
}

size_t
html_log_whole(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, n, lead, need;
	int done;

	for (i = 0; i < len; i++) {
		if (s[i] != ESC)
			continue;
		n = html_ansi_len(s + i, len - i, &done);
		if (!done)
			return i;
		i += n - 1;
	}
	/* A UTF-8 character cut short: its lead byte and 0 to 2 more. */
	for (lead = len; lead > 0 && len - lead < 4; lead--) {
		if ((s[lead - 1] & 0xc0) == 0x80)
			continue;
		lead--;
		if (s[lead] < 0xc0)
			return len;
		need = s[lead] >= 0xf0 ? 4 : s[lead] >= 0xe0 ? 3 : 2;
		return len - lead < need ? lead : len;
	}
	return len;
}

void
html_page_start(struct dispatcher *d, struct evbuffer *out,
    const char *title, const char *page, const char *attrs)
{
	char up[HTML_FMT_SIZE];

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
	    "<span id=\"uptime\" class=\"uptime\">up %s</span></header>\n"
	    "<main id=\"live\" data-page=\"%s\"%s%s>\n", up, page,
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
	html_escape_log(out, commit, strnlen(commit, HTML_SHORT_ID));
	evbuffer_add_printf(out, "</a>");
}

void
html_section(struct evbuffer *out, const char *id, const char *title,
    size_t count)
{
	evbuffer_add_printf(out, "<section id=\"%s\" class=\"card\"><h2>%s "
	    "<span class=\"count\">%zu</span></h2>\n", id, title, count);
}

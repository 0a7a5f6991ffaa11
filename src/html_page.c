/* SPDX-License-Identifier: MIT */
/*
 * html_page.c - the small pages around the others: the login form, which
 * turns the token into a session cookie for a browser, and the error pages
 * (not found, refused, bad request) in the site's own style.
 */
#include <stdio.h>

#include <event2/buffer.h>

#include "dispatcher.h"
#include "html_int.h"
#include "util.h"

void
html_login(struct dispatcher *d, struct evbuffer *out, const char *next,
    const char *error)
{
	html_page_start(d, out, "Log in · SuperSimpleCI", "login", NULL);
	evbuffer_add_printf(out, "<section id=\"login\" class=\"card narrow\">"
	    "<h1>Log in</h1>\n<p>Cancelling, retrying and rebuilding need the "
	    "dispatcher's token (its <code>--token-file</code>). It is sent "
	    "once and kept as a session cookie that scripts in pages cannot "
	    "read.</p>\n");
	if (error != NULL) {
		evbuffer_add_printf(out, "<p id=\"login-error\" class=\"error\">");
		html_escape(out, error);
		evbuffer_add_printf(out, "</p>\n");
	}
	evbuffer_add_printf(out, "<form method=\"post\" action=\"/login\">"
	    "<input type=\"hidden\" name=\"next\" value=\"");
	html_escape(out, next);
	evbuffer_add_printf(out, "\"><label>Token <input type=\"password\" "
	    "name=\"token\" id=\"token\" autocomplete=\"current-password\" "
	    "required></label> <button type=\"submit\">Log in</button>"
	    "</form>\n</section>\n");
	html_page_end(out);
}

void
html_error_page(struct dispatcher *d, struct evbuffer *out, int status,
    const char *title, const char *message)
{
	char head[160];

	snprintf(head, sizeof head, "%d %s · SuperSimpleCI", status, title);
	html_page_start(d, out, head, "error", NULL);
	evbuffer_add_printf(out, "<section id=\"error\" class=\"card narrow\">"
	    "<h1><span class=\"code\">%d</span> ", status);
	html_escape(out, title);
	evbuffer_add_printf(out, "</h1>\n<p class=\"message\">");
	html_escape(out, message);
	evbuffer_add_printf(out, "</p>\n<p><a href=\"/\">Back to the "
	    "dashboard</a></p>\n</section>\n");
	html_page_end(out);
}

void
html_url_query(struct evbuffer *out, const char *s)
{
	html_url_part(out, s, 1);
}

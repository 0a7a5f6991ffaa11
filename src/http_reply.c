/* SPDX-License-Identifier: MIT */
/*
 * http_reply.c - how the HTTP side answers: JSON for the API, pages for
 * browsers, each with the headers every reply carries.  Shared by the
 * routing (http.c), the API (http_api.c) and the checks (http_auth.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "html.h"
#include "http.h"
#include "util.h"

void
http_send(struct evhttp_request *req, int status, const char *type,
    struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, status, NULL, body);
}

void
http_json(struct evhttp_request *req, int status, json_t *value)
{
	struct evbuffer *body = evbuffer_new();
	char *text = json_dumps(value, JSON_COMPACT);

	json_decref(value);
	if (text == NULL)
		fatalx("jansson: out of memory");
	evbuffer_add(body, text, strlen(text));
	evbuffer_add(body, "\n", 1);
	free(text);
	http_send(req, status, "application/json", body);
	evbuffer_free(body);
}

/* What a person is told a status means. */
static const char *
http_status_title(int status)
{
	switch (status) {
	case 400:
		return "Bad request";
	case 401:
		return "Log in first";
	case 403:
		return "Refused";
	case 404:
		return "Not found";
	case 405:
		return "Not here";
	case 409:
		return "Not now";
	case 429:
		return "Too many requests";
	case 503:
		return "Busy";
	}
	return "Error";
}

/* Whether the request is for the API, which answers in JSON. */
static int
http_for_api(struct evhttp_request *req)
{
	const char *uri = evhttp_request_get_uri(req);

	/* A forge reads the answers to its webhooks as JSON too. */
	return uri != NULL && ((strncmp(uri, "/api", 4) == 0 &&
	    (uri[4] == '/' || uri[4] == '?' || uri[4] == '\0')) ||
	    strncmp(uri, "/hooks/", 7) == 0);
}

void
http_error(struct evhttp_request *req, int status, const char *code,
    const char *fmt, ...)
{
	char message[300];
	struct evbuffer *body;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	if (http_for_api(req)) {
		http_json(req, status, json_pack("{s:{s:s, s:s}}", "error",
		    "code", code, "message", message));
		return;
	}
	/* A browser's error: a page in the site's style. */
	body = evbuffer_new();
	(void)code;
	html_error_page(NULL, body, status, http_status_title(status),
	    message);
	http_page(req, status, body);
	evbuffer_free(body);
}

/* A page or an error for the browser. */
void
http_page(struct evhttp_request *req, int status, struct evbuffer *body)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Security-Policy", "default-src 'self'; "
	    "style-src 'self'; script-src 'self'; img-src 'self' data:");
	http_send(req, status, "text/html; charset=utf-8", body);
}

/* A job id from a path segment: > 0, or 0 if it is not one. */
int64_t
http_job_id(const char *s)
{
	long v;

	if (parse_long(s, 1, 2147483647L, &v) == -1)
		return 0;
	return v;
}

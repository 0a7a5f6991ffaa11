/* SPDX-License-Identifier: MIT */
/*
 * http_parse.c - a request's path and query taken apart: decoded, split
 * into segments, checked.  Kept apart from the server so that a fuzzer can
 * drive it without sockets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "http.h"
#include "util.h"

/*
 * A test's page holds a repository's URL and a test's name of up to 2
 * KiB, each percent-encoded: three times as long at worst.
 */
#define HTTP_MAX_PATH 12288

/*
 * Split the raw path at '/' first and decode each segment after, so that
 * an encoded slash (a repository URL as one segment) stays inside its
 * segment.  parts[i] is segment i decoded; rest[i] is segments i.. joined
 * by '/'.  Empty segments ("a//b") are skipped.
 */
static const char *
http_split(struct http_ctx *h, const char *raw)
{
	size_t cap = strlen(raw) + 1, used = 0;
	const char *p = raw;

	h->split = xmalloc(cap);
	h->rest_buf = xmalloc(cap);
	h->nparts = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, "/"), len;
		char *seg, *dec;

		if (n == 0) {
			p++;
			continue;
		}
		if (h->nparts == HTTP_MAX_PARTS)
			return "path too deep";
		seg = xstrndup(p, n);
		dec = evhttp_uridecode(seg, 0, &len);
		free(seg);
		/* A %00 would cut a name short where we look at it. */
		if (dec == NULL || strlen(dec) != len || len == 0) {
			free(dec);
			return "invalid path";
		}
		/* Decoding only shrinks, so the buffers are big enough. */
		memcpy(h->split + used, dec, len + 1);
		memcpy(h->rest_buf + used, dec, len);
		h->rest_buf[used + len] = '/';
		h->parts[h->nparts] = h->split + used;
		h->rest[h->nparts++] = h->rest_buf + used;
		used += len + 1;
		free(dec);
		p += n;
	}
	if (used > 0)
		h->rest_buf[used - 1] = '\0';
	else
		h->rest_buf[0] = '\0';
	return NULL;
}

const char *
http_parse(struct http_ctx *h, const char *raw, const char *query)
{
	size_t len;

	h->query.tqh_first = NULL;	/* TAILQ_INIT, which libevent hides */
	h->query.tqh_last = &h->query.tqh_first;
	if (raw == NULL || *raw == '\0')
		raw = "/";
	if (strlen(raw) > HTTP_MAX_PATH)
		return "path too long";
	h->path = evhttp_uridecode(raw, 0, &len);
	if (h->path == NULL || strlen(h->path) != len)
		return "invalid path";
	if (query != NULL && evhttp_parse_query_str(query, &h->query) == -1)
		return "invalid query string";
	return http_split(h, raw);
}

void
http_release(struct http_ctx *h)
{
	evhttp_clear_headers(&h->query);
	free(h->path);
	free(h->split);
	free(h->rest_buf);
	h->path = h->split = h->rest_buf = NULL;
}

int
http_strip_suffix(char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (n <= m || strcmp(s + n - m, suffix) != 0)
		return 0;
	s[n - m] = '\0';
	return 1;
}

/* Does pattern (see struct http_route) match h's path segments? */
static int
http_route_matches(const char *pattern, const struct http_ctx *h)
{
	const char *p = pattern;
	int i = 0;

	while (*p == '/')
		p++;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 2 && strncmp(p, "**", 2) == 0)
			return i < h->nparts;
		if (i == h->nparts)
			return 0;
		if (!(n == 1 && *p == '*') && (strlen(h->parts[i]) != n ||
		    strncmp(h->parts[i], p, n) != 0))
			return 0;
		i++;
		p += n;
		while (*p == '/')
			p++;
	}
	return i == h->nparts;
}

const struct http_route *
http_route_find(const struct http_ctx *h, const struct http_route *table,
    const char **allowed)
{
	static const char *const names[] = {
		[HTTP_GET] = "GET", [HTTP_POST] = "POST", [HTTP_PUT] = "PUT",
		[HTTP_DELETE] = "DELETE",
	};
	static char methods[64];
	int method;

	switch (h->method) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		method = HTTP_GET;
		break;
	case EVHTTP_REQ_POST:
		method = HTTP_POST;
		break;
	case EVHTTP_REQ_PUT:
		method = HTTP_PUT;
		break;
	case EVHTTP_REQ_DELETE:
		method = HTTP_DELETE;
		break;
	default:
		method = -1;	/* none of ours */
		break;
	}
	*allowed = NULL;
	methods[0] = '\0';
	for (const struct http_route *r = table; r->pattern != NULL; r++) {
		if (!http_route_matches(r->pattern, h))
			continue;
		if ((int)r->method == method)
			return r;
		/* "GET", or "GET or PUT" where a path takes several. */
		snprintf(methods + strlen(methods), sizeof methods -
		    strlen(methods), "%s%s", methods[0] != '\0' ? " or " : "",
		    names[r->method]);
		*allowed = methods;
	}
	return NULL;
}

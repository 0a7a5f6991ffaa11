/*
 * http_parse.c - a request's path and query taken apart: decoded, split
 * into segments, checked.  Kept apart from the server so that a fuzzer can
 * drive it without sockets.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "http.h"
#include "util.h"

#define HTTP_MAX_PATH 4096

/* Split the decoded path into segments; rest[i] is the path from part i. */
static int
http_split(struct http_ctx *h)
{
	char *p = h->split;

	h->nparts = 0;
	while (*p == '/')
		p++;
	while (*p != '\0' && h->nparts < HTTP_MAX_PARTS) {
		h->rest[h->nparts] = h->rest_buf + (p - h->split);
		h->parts[h->nparts++] = p;
		p += strcspn(p, "/");
		/* "a//b" is "a/b": no segment is ever empty. */
		while (*p == '/')
			*p++ = '\0';
	}
	return *p == '\0' ? 0 : -1;
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
	/* A %00 would cut the path short where we look and not where git does. */
	if (h->path == NULL || strlen(h->path) != len)
		return "invalid path";
	h->split = xstrdup(h->path);
	h->rest_buf = xstrdup(h->path);
	if (query != NULL && evhttp_parse_query_str(query, &h->query) == -1)
		return "invalid query string";
	if (http_split(h) == -1)
		return "path too deep";
	return NULL;
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

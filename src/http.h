/* SPDX-License-Identifier: MIT */
/*
 * http.h - what http.c (server, routing, pages) and http_api.c (the JSON
 * API) share.
 */
#ifndef SSCI_HTTP_H
#define SSCI_HTTP_H

#include <stdint.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

struct dispatcher;

#define HTTP_MAX_PARTS 16
#define HTTP_PING_S 15

/* One request: its decoded path split into segments, its query. */
struct http_ctx {
	struct dispatcher *d;
	struct evhttp_request *req;
	enum evhttp_cmd_type method;
	const char *ip;			/* the client's address */
	char *path;			/* decoded */
	char *split;			/* a copy cut into parts */
	char *rest_buf;			/* a copy that rest points into */
	char *parts[HTTP_MAX_PARTS];
	char *rest[HTTP_MAX_PARTS];	/* the path from parts[i] on */
	int nparts;
	struct evkeyvalq query;
};

/* http_reply.c: the answers. */
/* Answer with body as type, with the headers every reply has. */
void http_send(struct evhttp_request *req, int status, const char *type,
    struct evbuffer *body);
/* A page for the browser, under the site's content security policy. */
void http_page(struct evhttp_request *req, int status, struct evbuffer *body);
/* Answer with value (reference taken) as JSON. */
void http_json(struct evhttp_request *req, int status, json_t *value);

/* Answer {"error":{"code":code,"message":...}} with status. */
void http_error(struct evhttp_request *req, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A job id from a path segment or parameter: > 0, or 0 if not one. */
int64_t http_job_id(const char *s);

/* Cut suffix off s if it ends with it: 1, else 0. */
int http_strip_suffix(char *s, const char *suffix);

/*
 * Take raw (the request's path, NULL for "/") and query (may be NULL)
 * apart into h: path decoded, parts, rest, query.  NULL, or why the
 * request is refused.  http_release frees it either way.
 */
const char *http_parse(struct http_ctx *h, const char *raw,
    const char *query);
void http_release(struct http_ctx *h);

/*
 * A route: a path pattern, the method it answers and its handler.  The
 * pattern's segments are literal, "*" (any one segment) or a last "**"
 * (one segment or more).  GET routes answer HEAD too; PUT and DELETE, like
 * POST, are writes (http_auth.c).  A handler returns
 * 1 once it has answered, 0 when there is nothing at that path (the
 * router then answers 404).
 */
enum http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE };

struct http_route {
	const char *pattern;		/* "/metrics", "/history/STAR/STARSTAR" */
	enum http_method method;
	int (*handle)(struct http_ctx *h);
};

/*
 * The route of table (ended by a NULL pattern) for h's path and method,
 * or NULL; then *allowed is the method the path takes, if another does,
 * else NULL.
 */
const struct http_route *http_route_find(const struct http_ctx *h,
    const struct http_route *table, const char **allowed);

/* http_input.c: what a request brings. */
/* A query parameter, or NULL. */
const char *http_param(struct http_ctx *h, const char *name);
/* A numeric parameter in [min, max], def if absent; -1 after answering. */
int http_number(struct http_ctx *h, const char *name, long min, long max,
    long def, long *out);
/*
 * The body as a JSON object, or a form's fields as one ("rebuild" and
 * "remove" as booleans); NULL after answering.
 */
json_t *http_body_object(struct http_ctx *h);
/*
 * The body as the protocol message of type, checked by the protocol's own
 * parser (so the rules are the same on both doors): 0 and *msg (release
 * it), or -1 after answering 400.
 */
struct proto_msg;
int http_body_message(struct http_ctx *h, const char *type,
    struct proto_msg *msg);

/*
 * The object obj (reference taken) as the protocol message of type,
 * checked by the protocol's parser: as http_body_message.
 */
int http_object_message(struct http_ctx *h, json_t *obj, const char *type,
    struct proto_msg *msg);

/* http_secrets.c: GET, PUT and DELETE /api/secrets. */
int http_api_secrets(struct http_ctx *h);

/*
 * http_artifacts.c: GET /jobs/ID/artifacts/PATH and /jobs/ID/artifacts.tar,
 * streamed; 0 if there is no such job or artifact.
 */
int http_artifact(struct http_ctx *h);
int http_artifacts_tar(struct http_ctx *h);

/* http_hooks.c: POST /hooks/KIND, a forge's webhook; 0 if no such forge. */
int http_hook(struct http_ctx *h);

/* http_api.c: the routes under /api. */
extern const struct http_route http_api_routes[];

/* http_api_pipe.c: GET /api/pipelines/ID; its cancel and retry. */
int http_api_pipeline(struct http_ctx *h);
int http_api_pipeline_action(struct http_ctx *h);

/* http_api_tests.c: per-test results. */
int http_api_job_tests(struct http_ctx *h);
int http_api_test_history(struct http_ctx *h);
int http_api_flaky(struct http_ctx *h);
/* GET lists, POST changes. */
int http_api_quarantine(struct http_ctx *h);

#endif

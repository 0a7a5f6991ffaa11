/* SPDX-License-Identifier: MIT */
/*
 * http.c - the dispatcher's HTTP side on libevent's evhttp: the web pages
 * (html.c), the JSON API (api.c), the event stream (events.c) and
 * /metrics.  One generic callback routes by a table of paths (and /api by
 * http_api.c's); every error is JSON with
 * a status that fits for /api, a short page otherwise.  Requests are
 * bounded in size and time, and no reply is larger than a few MiB, so a
 * slow client costs memory, never the loop.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "auth.h"
#include "tls.h"
#include "dispatcher.h"
#include "events.h"
#include "forge.h"
#include "gate.h"
#include "html.h"
#include "http.h"
#include "http_auth.h"
#include "http_conn.h"
#include "util.h"

#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_HEADERS (16 * 1024)

static void
http_not_found(struct http_ctx *h)
{
	struct evbuffer *body = evbuffer_new();
	char *message;

	xasprintf(&message, "There is nothing at %.300s.", h->path);
	html_error_page(h->d, body, HTTP_NOTFOUND, "Not found", message);
	http_page(h->req, HTTP_NOTFOUND, body);
	evbuffer_free(body);
	free(message);
}

static int
http_job_page(struct http_ctx *h, struct job *job, int found)
{
	struct evbuffer *body;

	if (found != 1)
		return 0;
	body = evbuffer_new();
	html_job(h->d, job, body);
	http_page(h->req, HTTP_OK, body);
	evbuffer_free(body);
	job_release(job);
	return 1;
}

static int
page_dashboard(struct http_ctx *h)
{
	struct evbuffer *body = evbuffer_new();

	html_dashboard(h->d, body);
	http_page(h->req, HTTP_OK, body);
	evbuffer_free(body);
	return 1;
}

static int
page_job(struct http_ctx *h)
{
	int64_t id = http_job_id(h->parts[1]);
	struct job job;

	return http_job_page(h, &job, id > 0 ?
	    store_job_get(h->d->store, id, &job) : 0);
}

static int
page_commit(struct http_ctx *h)
{
	struct job job;

	return http_job_page(h, &job, store_job_by_commit(h->d->store,
	    h->parts[1], &job));
}

static int
page_pipeline(struct http_ctx *h)
{
	int64_t id = http_job_id(h->parts[1]);
	struct evbuffer *body;
	int found;

	if (id <= 0)
		return 0;
	body = evbuffer_new();
	found = html_pipeline(h->d, id, body) == 0;
	if (found)
		http_page(h->req, HTTP_OK, body);
	evbuffer_free(body);
	return found;
}

/* /history/REPO/BRANCH: the branch may hold slashes. */
static int
page_history(struct http_ctx *h)
{
	struct evbuffer *body = evbuffer_new();
	int found = html_history(h->d, h->parts[1], h->rest[2], body) != -1;

	if (found)
		http_page(h->req, HTTP_OK, body);
	evbuffer_free(body);
	return found;
}

static int
page_test(struct http_ctx *h)
{
	struct evbuffer *body = evbuffer_new();
	struct test_where where = { .repo = h->parts[1], .name = h->parts[3],
	    .branch = strcmp(h->parts[2], "-") == 0 ? NULL : h->parts[2],
	    .job_name = http_param(h, "job") };
	int found;

	where.any_job = where.job_name == NULL;
	found = html_test_page(h->d, &where, body) != -1;

	if (found)
		http_page(h->req, HTTP_OK, body);
	evbuffer_free(body);
	return found;
}

static int
page_flaky(struct http_ctx *h)
{
	struct evbuffer *body = evbuffer_new();

	if (html_flaky(h->d, body) == 0)
		http_page(h->req, HTTP_OK, body);
	else
		http_error(h->req, HTTP_INTERNAL, "store", "unable to read the "
		    "flaky tests");
	evbuffer_free(body);
	return 1;
}

static int
page_badge(struct http_ctx *h)
{
	struct evbuffer *body;

	if (!http_strip_suffix(h->rest[2], ".svg"))
		return 0;
	body = evbuffer_new();
	html_badge(h->d, h->parts[1], h->rest[2], body);
	evhttp_add_header(evhttp_request_get_output_headers(h->req),
	    "Cache-Control", "no-cache");
	http_send(h->req, HTTP_OK, "image/svg+xml", body);
	evbuffer_free(body);
	return 1;
}

static int
page_static(struct http_ctx *h)
{
	const char *data, *type;
	struct evbuffer *body;
	size_t len;

	if ((data = html_asset(h->parts[1], &len, &type)) == NULL)
		return 0;
	body = evbuffer_new();
	evbuffer_add_reference(body, data, len, NULL, NULL);
	http_send(h->req, HTTP_OK, type, body);
	evbuffer_free(body);
	return 1;
}

static int
page_metrics(struct http_ctx *h)
{
	struct evbuffer *body = evbuffer_new();

	metrics_write(h->d, body);
	http_send(h->req, HTTP_OK, "text/plain; version=0.0.4", body);
	evbuffer_free(body);
	return 1;
}

static const struct http_route http_page_routes[] = {
	{ "/", HTTP_GET, page_dashboard },
	{ "/jobs/*", HTTP_GET, page_job },
	{ "/jobs/*/artifacts/**", HTTP_GET, http_artifact },
	{ "/jobs/*/artifacts.tar", HTTP_GET, http_artifacts_tar },
	{ "/commits/*", HTTP_GET, page_commit },
	{ "/pipelines/*", HTTP_GET, page_pipeline },
	{ "/history/*/**", HTTP_GET, page_history },
	{ "/badge/*/**", HTTP_GET, page_badge },
	{ "/tests/*/*/*", HTTP_GET, page_test },
	{ "/flaky", HTTP_GET, page_flaky },
	{ "/static/*", HTTP_GET, page_static },
	{ "/metrics", HTTP_GET, page_metrics },
	{ NULL, HTTP_GET, NULL }
};

/*
 * Answer h from its route: 404 where nothing is, 405 naming the method
 * the path takes; under /api both as JSON.
 */
static void
http_route(struct http_ctx *h)
{
	int api = h->nparts > 0 && strcmp(h->parts[0], "api") == 0;
	const struct http_route *r;
	const char *allowed;

	r = http_route_find(h, api ? http_api_routes : http_page_routes,
	    &allowed);
	if (r != NULL && r->handle(h))
		return;
	if (r == NULL && allowed != NULL)
		http_error(h->req, HTTP_BADMETHOD, "bad_method",
		    "use %s here", allowed);
	else if (api)
		http_error(h->req, HTTP_NOTFOUND, "not_found",
		    "no such API");
	else
		http_not_found(h);
}

/* /hooks/KIND: a forge's webhook, POST only. */
static void
http_hook_route(struct http_ctx *h)
{
	if (h->method != EVHTTP_REQ_POST)
		http_error(h->req, HTTP_BADMETHOD, "bad_method", "use POST "
		    "here");
	else if (!http_hook(h))
		http_error(h->req, HTTP_NOTFOUND, "not_found", "no forge of "
		    "that kind is configured");
}

static void
http_cb(struct evhttp_request *req, void *arg)
{
	struct http_ctx h = { .d = arg, .req = req };
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	char *peer = NULL;
	const char *why, *ip;
	ev_uint16_t port;

	http_conn_answered(&h.d->http_conns, req);
	h.method = evhttp_request_get_command(req);
	evhttp_connection_get_peer(evhttp_request_get_connection(req), &peer,
	    &port);
	ip = peer != NULL ? peer : "?";
	h.ip = ip;
	why = http_parse(&h, uri != NULL ? evhttp_uri_get_path(uri) : NULL,
	    uri != NULL ? evhttp_uri_get_query(uri) : NULL);
	if (!http_auth_rate(&h))
		;	/* refused and answered */
	else if (why != NULL)
		http_error(req, HTTP_BADREQUEST, "bad_request", "%s", why);
	else if (h.nparts == 2 && strcmp(h.parts[0], "hooks") == 0)
		http_hook_route(&h);	/* signed, not authorized by a token */
	else if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    HTTP_MAX_BODY)
		http_error(req, 413, "too_large", "a request's body is at "
		    "most %d KiB", HTTP_MAX_BODY >> 10);
	else if (http_auth_login(&h))
		;	/* the login form, or its answer */
	else if (!http_auth_check(&h))
		;	/* refused and answered */
	else
		http_route(&h);
	http_release(&h);
}

/* Each connection's bufferevent is ours, to count and time it. */
static struct bufferevent *
http_new_bev(struct event_base *base, void *arg)
{
	struct dispatcher *d = arg;

	return http_conn_new(&d->http_conns, base, d->tls);
}

static void
http_ping_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	events_ping(arg);
}

void
http_start(struct dispatcher *d)
{
	struct evhttp_bound_socket *sock;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	char *host, addr[INET6_ADDRSTRLEN] = "?";
	struct timeval tv = { HTTP_PING_S, 0 };
	struct timeval idle;
	int port;

	if (parse_host_port(d->cfg.http, &host, &port) == -1)
		fatalx("invalid --http address '%s': expected HOST:PORT or off",
		    d->cfg.http);
	d->http = evhttp_new(d->base);
	if (d->http == NULL)
		fatalx("unable to create the HTTP server");
	/*
	 * A forge's webhook may weigh 25 MiB (http_hooks.c); every other
	 * request's body is refused past 64 KiB once it has arrived.  A
	 * body over the limit is refused (413) by evhttp itself.
	 */
	evhttp_set_max_body_size(d->http, d->forges.n > 0 ?
	    FORGE_HOOK_MAX_BODY : HTTP_MAX_BODY);
	evhttp_set_max_headers_size(d->http, HTTP_MAX_HEADERS);
	idle.tv_sec = d->cfg.http_timeout_ms / 1000;
	idle.tv_usec = d->cfg.http_timeout_ms % 1000 * 1000;
	evhttp_set_timeout_tv(d->http, &idle);
	evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(d->http, http_cb, d);
	evhttp_set_bevcb(d->http, http_new_bev, d);
	sock = evhttp_bind_socket_with_handle(d->http, host, (ev_uint16_t)port);
	if (sock == NULL)
		fatal("unable to listen for HTTP on '%s'", d->cfg.http);
	/* Kept: it is one of the names a write may use (http_auth.c). */
	d->cfg.http_listen_host = host;
	gate_init(&d->http_gate, d->base, evhttp_bound_socket_get_listener(sock),
	    "HTTP");
	d->http_conns.max = d->cfg.max_http_connections;
	d->http_conns.deadline_ms = d->cfg.http_timeout_ms;
	d->http_conns.gate = &d->http_gate;
	http_conn_init(&d->http_conns, d->base);
	getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss,
	    &sslen);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof addr);
		printf("http listening on [%s]:%d\n", addr,
		    ntohs(in6->sin6_port));
		if (d->public_url == NULL)
			xasprintf(&d->public_url, "%s://[%s]:%d", d->tls ?
			    "https" : "http", addr, ntohs(in6->sin6_port));
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
		printf("http listening on %s:%d\n", addr, ntohs(in->sin_port));
		/* Where the job pages are, unless --public-url says. */
		if (d->public_url == NULL)
			xasprintf(&d->public_url, "%s://%s:%d", d->tls ?
			    "https" : "http", addr, ntohs(in->sin_port));
	}
	fflush(stdout);
	d->ev_ping = event_new(d->base, -1, EV_PERSIST, http_ping_cb, d);
	event_add(d->ev_ping, &tv);
}

void
http_stop(struct dispatcher *d)
{
	if (d->http == NULL)
		return;
	events_close_all(d);
	event_free(d->ev_ping);
	http_conn_stop(&d->http_conns);
	evhttp_free(d->http);
	http_conn_release(&d->http_conns);
	d->http = NULL;
	free((char *)d->cfg.http_listen_host);
	d->cfg.http_listen_host = NULL;
	gate_release(&d->http_gate);
}

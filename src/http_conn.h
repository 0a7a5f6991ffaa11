/* SPDX-License-Identifier: MIT */
/*
 * http_conn.h - counting the HTTP side's connections and bounding each
 * request in time (http_conn.c).
 *
 * Usage: fill max, deadline_ms and gate of a struct http_conns, call
 * http_conn_init, have evhttp's bevcb call http_conn_new, and call
 * http_conn_answered when a request has arrived whole (evhttp called the
 * request callback).  At the end: http_conn_stop before evhttp_free (which
 * frees the listener before the connections), http_conn_release after.
 */
#ifndef SSCI_HTTP_CONN_H
#define SSCI_HTTP_CONN_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct event;
struct event_base;
#include <sys/queue.h>

struct evhttp_request;
struct gate;
struct http_conn;
struct ssl_ctx_st;

/* How soon a connection evhttp let go is closed and uncounted. */
#define HTTP_CONN_SWEEP_MS 250

struct http_conns {
	LIST_HEAD(, http_conn) conns;
	int count;
	int max;		/* the gate closes at this many */
	int64_t deadline_ms;	/* a request's headers and body arrive within */
	struct gate *gate;	/* the HTTP listener's */
	struct event *ev_sweep;
};

void http_conn_init(struct http_conns *all, struct event_base *base);

/* A new connection's bufferevent (TLS if tls), counted; NULL on failure. */
struct bufferevent *http_conn_new(struct http_conns *all,
    struct event_base *base, struct ssl_ctx_st *tls);

/* req arrived whole: its connection's deadline stops. */
void http_conn_answered(struct http_conns *all, struct evhttp_request *req);

void http_conn_stop(struct http_conns *all);
void http_conn_release(struct http_conns *all);

/* Bytes of req's connection not yet sent to the client. */
size_t http_conn_backlog(struct evhttp_request *req);

#endif

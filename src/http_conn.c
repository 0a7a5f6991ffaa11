/* SPDX-License-Identifier: MIT */
/*
 * http_conn.c - the HTTP side's connections, which evhttp can neither
 * count nor bound in time.  Each accepted connection gets a bufferevent of
 * ours (evhttp_set_bevcb) that we keep a reference to, and a callback on
 * its input buffer that sees every byte come in.  With that:
 *   - connections are counted, and the listener pauses at the limit, so
 *     idle browsers cannot take the descriptors runners need;
 *   - a request must arrive whole (headers and body) within a deadline
 *     from its first byte, however slowly it trickles.
 * evhttp tells nobody when it lets a connection go, but it clears the
 * bufferevent's callbacks when it does: a sweep every HTTP_CONN_SWEEP_MS
 * sees that and drops our reference, which closes the socket.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "gate.h"
#include "http_conn.h"
#include "tls.h"
#include "util.h"

struct http_conn {
	struct http_conns *all;
	struct bufferevent *bev;	/* evhttp's, with a reference of ours */
	struct evbuffer_cb_entry *watch;
	struct event *ev_deadline;
	int in_request;			/* bytes of a request came, no answer yet */
	LIST_ENTRY(http_conn) entry;
};

/* Whether evhttp has let c's connection go (it clears the callbacks). */
static int
http_conn_gone(struct http_conn *c)
{
	bufferevent_data_cb readcb, writecb;
	bufferevent_event_cb eventcb;
	void *arg;

	bufferevent_getcb(c->bev, &readcb, &writecb, &eventcb, &arg);
	return readcb == NULL && eventcb == NULL;
}

static void
http_conn_drop(struct http_conn *c)
{
	struct http_conns *all = c->all;

	LIST_REMOVE(c, entry);
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
	event_free(c->ev_deadline);
	/* Ours was the last reference: this closes the socket. */
	bufferevent_decref(c->bev);
	free(c);
	all->count--;
	if (all->gate != NULL) {
		gate_set_full(all->gate, all->count >= all->max);
		gate_closed(all->gate);
	}
}

static void
http_conn_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conns *all = arg;
	struct http_conn *c, *next;

	(void)fd;
	(void)what;
	for (c = LIST_FIRST(&all->conns); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		if (http_conn_gone(c))
			http_conn_drop(c);
	}
}

static void
http_conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)fd;
	(void)what;
	if (http_conn_gone(c))
		return;
	log_info("HTTP request not complete within %.10g s: connection closed",
	    (double)c->all->deadline_ms / 1000);
	/* evhttp closes a connection whose read timed out. */
	bufferevent_trigger_event(c->bev, BEV_EVENT_READING |
	    BEV_EVENT_TIMEOUT, 0);
}

static void
http_conn_arm(struct http_conn *c)
{
	struct timeval tv = { c->all->deadline_ms / 1000,
	    c->all->deadline_ms % 1000 * 1000 };

	c->in_request = 1;
	evtimer_add(c->ev_deadline, &tv);
}

/* Bytes came in: the first of a request starts its clock. */
static void
http_conn_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct http_conn *c = arg;

	(void)buf;
	if (info->n_added > 0 && !c->in_request)
		http_conn_arm(c);
}

void
http_conn_init(struct http_conns *all, struct event_base *base)
{
	struct timeval tv = { 0, HTTP_CONN_SWEEP_MS * 1000 };

	LIST_INIT(&all->conns);
	all->ev_sweep = event_new(base, -1, EV_PERSIST, http_conn_sweep_cb,
	    all);
	event_add(all->ev_sweep, &tv);
}

struct bufferevent *
http_conn_new(struct http_conns *all, struct event_base *base,
    struct ssl_ctx_st *tls)
{
	struct bufferevent *bev;
	struct http_conn *c;

	if (all->gate != NULL)
		gate_accepted(all->gate);
	bev = tls != NULL ? tls_accept(base, tls, -1) :
	    bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	c = xcalloc(1, sizeof *c);
	c->all = all;
	c->bev = bev;
	bufferevent_incref(bev);
	c->watch = evbuffer_add_cb(bufferevent_get_input(bev),
	    http_conn_input_cb, c);
	c->ev_deadline = evtimer_new(base, http_conn_deadline_cb, c);
	LIST_INSERT_HEAD(&all->conns, c, entry);
	if (++all->count >= all->max && all->gate != NULL)
		gate_set_full(all->gate, 1);
	return bev;
}

void
http_conn_answered(struct http_conns *all, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ?
	    evhttp_connection_get_bufferevent(evcon) : NULL;

	struct http_conn *c;

	LIST_FOREACH(c, &all->conns, entry) {
		if (c->bev != bev)
			continue;
		c->in_request = 0;
		evtimer_del(c->ev_deadline);
		/* The next request may have come in the same read. */
		if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
			http_conn_arm(c);
		return;
	}
}

void
http_conn_stop(struct http_conns *all)
{
	all->gate = NULL;
	if (all->ev_sweep != NULL)
		event_free(all->ev_sweep);
	all->ev_sweep = NULL;
}

void
http_conn_release(struct http_conns *all)
{
	/* After evhttp_free: every connection is let go by now. */
	while (!LIST_EMPTY(&all->conns))
		http_conn_drop(LIST_FIRST(&all->conns));
}

size_t
http_conn_backlog(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;

	if (evcon == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(bev));
}

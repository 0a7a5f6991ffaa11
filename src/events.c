/* SPDX-License-Identifier: MIT */
/*
 * events.c - the "/api/events" stream: each event is formatted once and
 * written to every listening client's connection.  Nothing is done when
 * nobody listens, so the scheduler may announce freely.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "dispatcher.h"
#include "events.h"
#include "http_conn.h"
#include "util.h"

struct events_client {
	struct dispatcher *d;
	struct evhttp_request *req;
	char ip[64];
	LIST_ENTRY(events_client) entry;
};

/* The browser went away. */
static void
events_closed(struct evhttp_connection *evcon, void *arg)
{
	struct events_client *c = arg;

	(void)evcon;
	LIST_REMOVE(c, entry);
	/*
	 * A request cut off mid-reply is left to us to free once its
	 * connection has let go of it.
	 */
	if (evhttp_request_get_connection(c->req) == NULL)
		evhttp_request_free(c->req);
	free(c);
}

/* End one client's stream ourselves. */
static void
events_end(struct events_client *c)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);

	evhttp_connection_set_closecb(evcon, NULL, NULL);
	LIST_REMOVE(c, entry);
	evhttp_send_reply_end(c->req);
	free(c);
}

/*
 * Slow readers hold what we send them in memory: one past its own cap is
 * cut off, and while all of them together hold more than the total cap,
 * the one holding most goes.
 */
static void
events_trim(struct dispatcher *d)
{
	struct events_client *c, *worst;
	size_t total, most, n;

	for (;;) {
		total = most = 0;
		worst = NULL;
		LIST_FOREACH(c, &d->events, entry) {
			n = http_conn_backlog(c->req);
			total += n;
			if (worst == NULL || n > most) {
				worst = c;
				most = n;
			}
		}
		if (worst == NULL || total <= EVENTS_TOTAL_BACKLOG)
			return;
		log_info("event stream clients hold %zu KiB unsent: the "
		    "slowest (%s) cut off", total / 1024, worst->ip);
		events_end(worst);
	}
}

/* Send "event: type" with data (reference taken) to every client. */
static void
events_send(struct dispatcher *d, const char *type, json_t *data)
{
	struct events_client *c, *next;
	struct evbuffer *buf;
	char *json;

	json = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	if (json == NULL)
		fatalx("jansson: out of memory");
	events_trim(d);
	for (c = LIST_FIRST(&d->events); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		if (http_conn_backlog(c->req) > EVENTS_CLIENT_BACKLOG) {
			log_info("event stream client too slow: cut off");
			events_end(c);
			continue;
		}
		buf = evbuffer_new();
		evbuffer_add_printf(buf, "event: %s\ndata: ", type);
		evbuffer_add(buf, json, strlen(json));
		evbuffer_add(buf, "\n\n", 2);
		evhttp_send_reply_chunk(c->req, buf);
		evbuffer_free(buf);
	}
	free(json);
}

void
events_job(struct dispatcher *d, int64_t id, const char *event)
{
	struct job job;
	json_t *obj;

	if (LIST_EMPTY(&d->events) || store_job_get(d->store, id, &job) != 1)
		return;
	obj = api_job(&job);
	json_object_set_new(obj, "event", json_string(event));
	job_release(&job);
	events_send(d, "job", obj);
}

void
events_runner(struct dispatcher *d, const char *event, const char *name)
{
	if (LIST_EMPTY(&d->events))
		return;
	events_send(d, "runner", json_pack("{s:s, s:s?}", "event", event,
	    "name", name));
}

void
events_log(struct dispatcher *d, int64_t job, int64_t offset,
    const char *data, size_t len)
{
	json_t *obj;

	if (LIST_EMPTY(&d->events))
		return;
	/* data came through proto, so it is already valid UTF-8. */
	obj = json_pack("{s:I, s:I, s:s%}", "id", (json_int_t)job, "offset",
	    (json_int_t)offset, "data", data, len);
	if (obj != NULL)
		events_send(d, "log", obj);
}

int
events_subscribe(struct dispatcher *d, struct evhttp_request *req,
    const char *ip)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
	struct events_client *c;
	struct evbuffer *hello;
	int all = 0, same = 0;

	LIST_FOREACH(c, &d->events, entry) {
		all++;
		same += strcmp(c->ip, ip) == 0;
	}
	if (same >= EVENTS_MAX_PER_ADDRESS)
		return -1;
	if (all >= EVENTS_MAX_CLIENTS || all >= d->cfg.max_http_connections / 2)
		return -2;
	c = xcalloc(1, sizeof *c);
	hello = evbuffer_new();
	snprintf(c->ip, sizeof c->ip, "%s", ip);
	c->d = d;
	c->req = req;
	LIST_INSERT_HEAD(&d->events, c, entry);
	evhttp_add_header(headers, "Content-Type", "text/event-stream");
	evhttp_add_header(headers, "Cache-Control", "no-cache");
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    events_closed, c);
	evbuffer_add_printf(hello, ": ssci events\n\n");
	evhttp_send_reply_chunk(req, hello);
	evbuffer_free(hello);
	return 0;
}

void
events_ping(struct dispatcher *d)
{
	struct evbuffer *buf;

	struct events_client *c;

	LIST_FOREACH(c, &d->events, entry) {
		buf = evbuffer_new();
		evbuffer_add_printf(buf, ": ping\n\n");
		evhttp_send_reply_chunk(c->req, buf);
		evbuffer_free(buf);
	}
}

void
events_close_all(struct dispatcher *d)
{
	while (!LIST_EMPTY(&d->events))
		events_end(LIST_FIRST(&d->events));
}

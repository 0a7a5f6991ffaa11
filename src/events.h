/* SPDX-License-Identifier: MIT */
/*
 * events.h - server-sent events for browsers and scripts ("/api/events"):
 * job queued, started, finished; log output as it arrives; runners joined
 * and lost.  A client that cannot keep up is cut off, never waited for.
 */
#ifndef SSCI_EVENTS_H
#define SSCI_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct dispatcher;
struct evhttp_request;

/* Beyond this much unsent output a client is dropped. */
#define EVENTS_CLIENT_BACKLOG (1024 * 1024)
/*
 * All clients together: past it, the one holding most is dropped.  Bytes,
 * which small events hold several times over in buffers: kept low.
 */
#define EVENTS_TOTAL_BACKLOG (4 * 1024 * 1024)
/* Streams from one address, and in all (and at most half the HTTP limit). */
#define EVENTS_MAX_PER_ADDRESS 16
#define EVENTS_MAX_CLIENTS 256

/* Job id changed: event is "queued", "started" or "finished". */
void events_job(struct dispatcher *d, int64_t job, const char *event);

/* A runner "joined" or was "lost". */
void events_runner(struct dispatcher *d, const char *event, const char *name);

/* Output of job at offset in its log. */
void events_log(struct dispatcher *d, int64_t job, int64_t offset,
    const char *data, size_t len);

/*
 * Turn req (from ip) into an event stream that gets every event from now
 * on: 0; or -1 if ip has EVENTS_MAX_PER_ADDRESS streams already, -2 if
 * there are as many as may be in all (req is then not answered).
 */
int events_subscribe(struct dispatcher *d, struct evhttp_request *req,
    const char *ip);

/* A comment line to every client, so idle streams stay open. */
void events_ping(struct dispatcher *d);

/* End every stream (at shutdown). */
void events_close_all(struct dispatcher *d);

#endif

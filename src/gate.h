/* SPDX-License-Identifier: MIT */
/*
 * gate.h - a listening socket that never spins: when accept() fails for
 * want of descriptors (EMFILE, ENFILE) the listener pauses, says so once
 * per episode, and tries again on a timer or as soon as one of its
 * connections closes.  An episode ends once connections have been
 * accepted for GATE_CALM_MS without a failure: a flood that takes every
 * descriptor freed is one episode, not a warning per job that ends; the owner can also close the gate while it is at its
 * own connection limit, so that the kernel's backlog holds the rest.
 */
#ifndef SSCI_GATE_H
#define SSCI_GATE_H

struct event;
struct event_base;
struct evconnlistener;

#define GATE_RETRY_MS 250
#define GATE_CALM_MS 1000
/* Listeners a process gates: the dispatcher's protocol and HTTP ones. */
#define GATE_MAX 4

struct gate {
	struct evconnlistener *listener;
	const char *what;	/* "protocol", "HTTP": for the log */
	struct event *ev_retry;
	struct event *ev_calm;	/* ends an episode after GATE_CALM_MS */
	int starved;		/* accept failed for want of descriptors */
	int full;		/* the owner is at its connection limit */
	int enabled;
	int logging;		/* a starved episode was logged, not yet ended */
};

/* Watch listener's accept errors; what names it in the log. */
void gate_init(struct gate *g, struct event_base *base,
    struct evconnlistener *listener, const char *what);
void gate_release(struct gate *g);

/* A connection was accepted: a starved episode, if any, may be over. */
void gate_accepted(struct gate *g);

/* One of its connections closed: a descriptor may be free again. */
void gate_closed(struct gate *g);

/* The owner's own limit: closed while full is set. */
void gate_set_full(struct gate *g, int full);

#endif

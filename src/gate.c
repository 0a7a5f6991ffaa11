/* SPDX-License-Identifier: MIT */
/*
 * gate.c - pause a listener that cannot accept, instead of spinning on it.
 * libevent's listener, left alone, logs and returns on EMFILE and is
 * called again at once, since the connection still waits: millions of log
 * lines a second and a loop that serves no one.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "gate.h"
#include "util.h"

/* Open the listener unless starved or full. */
static void
gate_update(struct gate *g)
{
	int want = !g->starved && !g->full;

	if (want == g->enabled)
		return;
	if (want)
		evconnlistener_enable(g->listener);
	else
		evconnlistener_disable(g->listener);
	g->enabled = want;
}

static void
gate_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gate *g = arg;

	(void)fd;
	(void)what;
	/* Try once more; a failure brings us back here after the timer. */
	g->starved = 0;
	gate_update(g);
}

/* Accepting without a failure for GATE_CALM_MS: the episode is over. */
static void
gate_calm_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gate *g = arg;

	(void)fd;
	(void)what;
	g->logging = 0;
	log_info("accepting %s connections again", g->what);
}

/*
 * libevent hands the error callback the listener's own argument (evhttp's
 * for the HTTP side), so the gate is found by its listener.
 */
static struct gate *gates[GATE_MAX];

static void
gate_error_cb(struct evconnlistener *l, void *arg)
{
	struct gate *g = NULL;
	struct timeval tv = { 0, GATE_RETRY_MS * 1000 };
	int err = EVUTIL_SOCKET_ERROR();
	struct rlimit rl;
	static int logged_other;

	(void)arg;
	for (int i = 0; i < GATE_MAX && g == NULL; i++) {
		if (gates[i] != NULL && gates[i]->listener == l)
			g = gates[i];
	}
	if (g == NULL)
		return;
	if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM) {
		event_del(g->ev_calm);
		if (!g->logging) {
			getrlimit(RLIMIT_NOFILE, &rl);
			log_warnx("unable to accept %s connections: %s (limit %ld "
			    "descriptors); paused until one is free", g->what,
			    strerror(err),
			    (long)rl.rlim_cur);
			g->logging = 1;
		}
	} else if (!logged_other++)
		log_warnx("unable to accept %s connections: %s; trying again "
		    "in %d ms", g->what, strerror(err),
		    GATE_RETRY_MS);
	g->starved = 1;
	gate_update(g);
	evtimer_add(g->ev_retry, &tv);
}

void
gate_init(struct gate *g, struct event_base *base,
    struct evconnlistener *listener, const char *what)
{
	g->listener = listener;
	g->what = what;
	g->starved = g->full = 0;
	g->enabled = 1;
	g->logging = 0;
	g->ev_retry = evtimer_new(base, gate_retry_cb, g);
	g->ev_calm = evtimer_new(base, gate_calm_cb, g);
	for (int i = 0; i < GATE_MAX; i++) {
		if (gates[i] == NULL) {
			gates[i] = g;
			break;
		}
	}
	evconnlistener_set_error_cb(listener, gate_error_cb);
}

void
gate_release(struct gate *g)
{
	for (int i = 0; i < GATE_MAX; i++) {
		if (gates[i] == g)
			gates[i] = NULL;
	}
	if (g->ev_retry != NULL)
		event_free(g->ev_retry);
	if (g->ev_calm != NULL)
		event_free(g->ev_calm);
	g->ev_retry = g->ev_calm = NULL;
}

void
gate_accepted(struct gate *g)
{
	struct timeval tv = { GATE_CALM_MS / 1000, GATE_CALM_MS % 1000 * 1000 };

	if (g->logging && !evtimer_pending(g->ev_calm, NULL))
		evtimer_add(g->ev_calm, &tv);
}

void
gate_closed(struct gate *g)
{
	if (g->starved && g->ev_retry != NULL) {
		event_del(g->ev_retry);
		g->starved = 0;
		gate_update(g);
	}
}

void
gate_set_full(struct gate *g, int full)
{
	g->full = full;
	gate_update(g);
}

/* SPDX-License-Identifier: MIT */
/*
 * store_watch.c - when the dispatcher's database connection is lost, so
 * is the session's active lock: another dispatcher may be active already,
 * and this one can commit nothing.  It starts itself again (exec), which
 * closes its runners' and clients' connections (every descriptor is
 * close-on-exec), so that they move to the active one, and waits for the
 * lock as a standby does.  Nothing is lost: whatever was done is in the
 * database, and whatever was not committed is done again by the active.
 */
#include <event2/event.h>

#include <stdlib.h>
#include <unistd.h>

#include "store.h"
#include "store_watch.h"
#include "util.h"

struct store_watch {
	struct store *store;
	struct event *ev;
	int argc;
	char **argv;
};

static void
store_watch_lost(void *arg)
{
	struct store_watch *w = arg;
	char **argv = xcalloc((size_t)w->argc + 2, sizeof *argv);

	log_warnx("no longer active: closing every connection and standing "
	    "by again");
	argv[0] = "ssci";
	/* Its server may be out of reach for a while: wait for it then. */
	setenv(STORE_WATCH_AGAIN, "1", 1);
	for (int i = 0; i < w->argc; i++)
		argv[i + 1] = w->argv[i];
	execv("/proc/self/exe", argv);
	fatal("unable to start the dispatcher again");
}

static void
store_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store_watch *w = arg;

	(void)fd;
	(void)what;
	store_poll(w->store);
}

struct store_watch *
store_watch_new(struct event_base *base, struct store *store, int argc,
    char **argv)
{
	struct store_watch *w;
	int fd;

	w = xcalloc(1, sizeof *w);
	w->store = store;
	w->argc = argc;
	w->argv = argv;
	/* A connection lost before now has us stand by at once. */
	store_on_lost(store, store_watch_lost, w);
	if ((fd = store_fd(store)) == -1)
		return w;	/* a file's store: nothing to watch */
	w->ev = event_new(base, fd, EV_READ | EV_PERSIST, store_watch_cb, w);
	if (w->ev == NULL || event_add(w->ev, NULL) == -1)
		fatalx("unable to watch the store's connection");
	return w;
}

void
store_watch_free(struct store_watch *w)
{
	if (w == NULL)
		return;
	store_on_lost(w->store, NULL, NULL);
	if (w->ev != NULL)
		event_free(w->ev);
	free(w);
}

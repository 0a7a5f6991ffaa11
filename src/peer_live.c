/* SPDX-License-Identifier: MIT */
/*
 * peer_live.c - the liveness of protocol connections: runners holding a
 * job are pinged every heartbeat and lost when silent for the runner
 * timeout; runners holding none are pinged every idle heartbeat and lost
 * when silent for that plus the runner timeout (an idle runner has no
 * job to lose, and with thousands of them the pings are most of an idle
 * dispatcher's work: docs/PERFORMANCE.md); a connection that never says
 * hello, a client idle for the client timeout and a line that trickles in
 * a byte at a time are closed.  Called DISPATCHER_TICKS times per
 * heartbeat, so that with thousands of runners the pings go out in small
 * groups, not one burst.
 */
#include <event2/event.h>

#include "dispatcher.h"
#include "sched.h"
#include "util.h"

/* Close p, telling it why: a timeout of some kind. */
static void
peer_time_out(struct peer *p, const char *why)
{
	peer_send(p, proto_encode_error("timeout", why, NULL));
	peer_close_after_flush(p, why);
}

/*
 * A registered runner: lost if silent too long (counted from its last line
 * or, if later, its last hand-out), else pinged when due.  Its pace is the
 * heartbeat while it holds a job, the idle heartbeat while it holds none.
 */
static void
peer_live_runner(struct peer *p, int64_t now)
{
	struct dispatcher *d = p->d;
	int64_t idle_every = d->cfg.idle_heartbeat_ms > d->cfg.heartbeat_ms ?
	    d->cfg.idle_heartbeat_ms : d->cfg.heartbeat_ms;
	int holds = sched_runner_holds(p->runner);
	int64_t silent = now - (p->last_heard_ms > p->busy_since_ms ?
	    p->last_heard_ms : p->busy_since_ms);
	size_t pinglen;
	const char *ping;

	if (p->suspect && p->last_heard_ms > p->busy_since_ms)
		p->suspect = 0;		/* it answered: alive after all */
	if (holds && !p->in_busy) {
		/* Given a job some other way: watched every tick from now. */
		LIST_INSERT_HEAD(&d->busy, p, busy_entry);
		p->in_busy = 1;
	}
	if (silent > d->cfg.runner_timeout_ms +
	    (holds || p->suspect ? 0 : idle_every)) {
		sched_runner_went_silent(p->runner);
		peer_lost(p, "no answer to heartbeats");
		return;
	}
	if (now < p->next_ping_ms)
		return;
	ping = proto_ping_line(&pinglen);
	peer_send_static(p, ping, pinglen);
	p->next_ping_ms = now + (holds || p->suspect ? d->cfg.heartbeat_ms :
	    idle_every);
}

/* Whether p's line under way took too long (then p is closing). */
static int
peer_live_trickled(struct peer *p, int64_t now)
{
	if (p->partial_since_ms == 0 ||
	    now - p->partial_since_ms <= p->d->cfg.client_timeout_ms)
		return 0;
	/* A line trickled in a byte at a time holds a slot. */
	peer_time_out(p, "line not finished in time");
	return 1;
}

/* Any other peer: the timeouts of connections that are not busy runners. */
static void
peer_live_other(struct peer *p, int64_t now)
{
	int64_t client_limit = p->d->cfg.client_timeout_ms;

	if (peer_live_trickled(p, now))
		return;
	if (!p->said_hello) {
		/* Silent connections would hold slots for nothing. */
		if (now - p->last_heard_ms > DISPATCHER_HELLO_TIMEOUT_MS)
			peer_time_out(p, "no hello in time");
		return;
	}
	if (p->runner == NULL) {
		/*
		 * Only runners are pinged: a client's silence is idleness.
		 * One with a line under way is not idle; the check above
		 * times that line out.
		 */
		if (p->partial_since_ms == 0 &&
		    now - p->last_heard_ms > client_limit)
			peer_time_out(p, "idle for too long");
		return;
	}
	peer_live_runner(p, now);
}

/*
 * Called DISPATCHER_TICKS times a heartbeat.  Runners holding a job are
 * looked at every tick, so that one gone silent is lost within a tenth of
 * a heartbeat of --runner-timeout.  Everything else (idle runners,
 * clients, connections before hello) is looked at in slices, each peer
 * once a heartbeat: with ten thousand idle runners, visiting every one
 * ten times a second cost more than pinging them.
 */
void
peer_heartbeat(struct dispatcher *d)
{
	int64_t now = mono_ms();
	struct peer *p, *next;
	int slice = d->npeers / DISPATCHER_TICKS + 1;

	for (p = LIST_FIRST(&d->busy); p != NULL; p = next) {
		next = LIST_NEXT(p, busy_entry);
		if (p->closing || p->runner == NULL ||
		    (!sched_runner_holds(p->runner) && !p->suspect)) {
			/* Idle (or going) now: the slices look at it. */
			LIST_REMOVE(p, busy_entry);
			p->in_busy = 0;
			continue;
		}
		if (!peer_live_trickled(p, now))
			peer_live_runner(p, now);
	}
	/* The cursor, not a saved next: peer_free moves it off a freed peer. */
	if (d->live_next == NULL)
		d->live_next = LIST_FIRST(&d->peers);
	while ((p = d->live_next) != NULL && slice-- > 0) {
		d->live_next = LIST_NEXT(p, entry);
		if (p->closing || p->in_busy)
			continue;
		peer_live_other(p, now);
	}
}

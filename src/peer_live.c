/* SPDX-License-Identifier: MIT */
/*
 * peer_live.c - the liveness of protocol connections: runners holding a
 * job are pinged every heartbeat and lost when silent for the runner
 * timeout; runners holding none are pinged every idle heartbeat and lost
 * when silent for that plus the runner timeout (an idle runner has no
 * job to lose, and with thousands of them the pings are most of an idle
 * dispatcher's work: docs/PERFORMANCE.md); a
 * connection that never says hello, a client idle for the client timeout
 * and a line that trickles in a byte at a time are closed.  Called
 * DISPATCHER_TICKS times per heartbeat, so that with thousands of runners
 * the pings go out in small groups, not one burst.
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

void
peer_heartbeat(struct dispatcher *d)
{
	int64_t now = mono_ms();
	int64_t runner_limit = d->cfg.runner_timeout_ms;
	int64_t idle_every = d->cfg.idle_heartbeat_ms > d->cfg.heartbeat_ms ?
	    d->cfg.idle_heartbeat_ms : d->cfg.heartbeat_ms;
	int64_t silent;
	int holds;
	int64_t client_limit = d->cfg.client_timeout_ms;
	struct peer *p, *next;
	size_t pinglen;
	const char *ping = proto_ping_line(&pinglen);

	for (p = LIST_FIRST(&d->peers); p != NULL; p = next) {
		next = LIST_NEXT(p, entry);
		if (p->closing)
			continue;
		if (p->partial_since_ms != 0 &&
		    now - p->partial_since_ms > client_limit) {
			/* A line trickled in a byte at a time holds a slot. */
			peer_time_out(p, "line not finished in time");
			continue;
		}
		if (!p->said_hello) {
			/* Silent connections would hold slots for nothing. */
			if (now - p->last_heard_ms > DISPATCHER_HELLO_TIMEOUT_MS)
				peer_time_out(p, "no hello in time");
			continue;
		}
		if (p->runner == NULL) {
			/*
			 * Only runners are pinged: a client's silence is
			 * idleness.  One with a line under way is not idle;
			 * the check above times that line out.
			 */
			if (p->partial_since_ms == 0 &&
			    now - p->last_heard_ms > client_limit)
				peer_time_out(p, "idle for too long");
			continue;
		}
		holds = sched_runner_holds(p->runner);
		silent = now - (p->last_heard_ms > p->busy_since_ms ?
		    p->last_heard_ms : p->busy_since_ms);
		if (silent > (holds ? runner_limit : idle_every + runner_limit)) {
			peer_lost(p, "no answer to heartbeats");
			continue;
		}
		if (now < p->next_ping_ms)
			continue;
		peer_send_static(p, ping, pinglen);
		p->next_ping_ms = now + (holds ? d->cfg.heartbeat_ms : idle_every);
	}
}

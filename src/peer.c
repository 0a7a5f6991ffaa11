/* SPDX-License-Identifier: MIT */
/*
 * peer.c - one connection to the dispatcher.  Reads lines, parses them,
 * checks that the sender may say what it says (hello first, runner messages
 * only from a registered runner) and hands the message to the scheduler.
 * Bad input is answered with an error and changes nothing; a peer that
 * keeps sending it, or a line over the limit, is disconnected.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "auth.h"
#include "dispatcher.h"
#include "tls.h"
#include "util.h"

static void
peer_unlink(struct peer *p)
{
	for (struct peer **pp = &p->d->peers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

static void
peer_free(struct peer *p)
{
	struct dispatcher *d = p->d;

	d->npeers--;
	peer_unlink(p);
	if (p->bev != NULL)
		bufferevent_free(p->bev);
	free(p->name);
	free(p);
	gate_closed(&d->proto_gate);
}

void
peer_lost(struct peer *p, const char *why)
{
	if (p->registered) {
		log_info("runner '%s' (%s) lost: %s", p->name, p->addr, why);
		sched_runner_lost(p, why);
	} else
		log_debug("peer %s closed: %s", p->addr, why);
	peer_free(p);
}

void
peer_send(struct peer *p, char *line)
{
	if (p->bev != NULL && !p->closing)
		bufferevent_write(p->bev, line, strlen(line));
	free(line);
}

void
peer_send_static(struct peer *p, const char *line, size_t len)
{
	ssize_t n = 0;

	if (p->bev == NULL || p->closing)
		return;
	/*
	 * Heartbeats go to every runner each second: when nothing waits to go
	 * out on a plain socket, write at once and spare the event loop the
	 * work of watching for writability.
	 */
	if (p->d->tls == NULL &&
	    evbuffer_get_length(bufferevent_get_output(p->bev)) == 0) {
		n = send(bufferevent_getfd(p->bev), line, len,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			n = 0;
	}
	if ((size_t)n < len)
		bufferevent_write(p->bev, line + n, len - (size_t)n);
}

void
peer_send_error(struct peer *p, const char *code, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	peer_send(p, proto_encode_error(code, message, NULL));
}

/* Send what is queued, then close (the write callback finishes it). */
void
peer_close_after_flush(struct peer *p, const char *why)
{
	if (p->registered) {
		log_info("runner '%s' (%s) disconnected: %s", p->name, p->addr,
		    why);
		sched_runner_lost(p, why);
		p->registered = 0;
	} else
		log_info("closing connection from %s: %s", p->addr, why);
	p->closing = 1;
	bufferevent_disable(p->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(p->bev)) == 0)
		peer_free(p);
}

/* A refused message: answered; too many of them close the connection. */
static int
peer_bad(struct peer *p, const char *code, const char *message)
{
	peer_send_error(p, code, "%s", message);
	if (++p->bad_messages >= DISPATCHER_BAD_MESSAGES_MAX) {
		peer_close_after_flush(p, "too many bad messages");
		return -1;
	}
	return 0;
}

static int
peer_hello(struct peer *p, const struct proto_msg *msg)
{
	const struct dispatcher_config *cfg = &p->d->cfg;
	const char *want = msg->role == PROTO_ROLE_RUNNER &&
	    cfg->runner_token != NULL ? cfg->runner_token : cfg->token;
	int64_t wait;

	if (p->said_hello)
		return peer_bad(p, "bad_state", "hello was already said");
	if (want != NULL) {
		/* A guesser's next try is not even looked at for a while. */
		if ((wait = auth_penalty(p->ip)) > 0) {
			peer_send_error(p, "slow_down", "too many refused "
			    "tokens from %s; try again in %lld ms", p->ip,
			    (long long)wait);
			peer_close_after_flush(p, "still waiting after refused "
			    "tokens");
			return -1;
		}
		if (msg->token == NULL || !auth_equal(msg->token, want)) {
			auth_failed(p->ip);
			log_warnx("refused %s hello from %s: %s token",
			    proto_role_name(msg->role), p->addr,
			    msg->token == NULL ? "no" : "wrong");
			peer_send_error(p, "bad_token", "%s token for role %s",
			    msg->token == NULL ? "no" : "wrong",
			    proto_role_name(msg->role));
			peer_close_after_flush(p, "refused token");
			return -1;
		}
		auth_succeeded(p->ip);
	}
	p->said_hello = 1;
	p->role = msg->role;
	peer_send(p, proto_encode_ok(NULL));
	return 0;
}

/* Whether the message type may come from this peer now; answers if not. */
static int
peer_allowed(struct peer *p, const struct proto_msg *msg)
{
	switch (msg->type) {
	case PROTO_HELLO:
		return 1;
	case PROTO_DISPATCH:
	case PROTO_STATUS:
	case PROTO_CANCEL:
	case PROTO_JOBS:
	case PROTO_SHOW:
	case PROTO_TAIL:
	case PROTO_RETRY:
		if (p->role == PROTO_ROLE_RUNNER) {
			peer_bad(p, "bad_role", "runners may not send this");
			return 0;
		}
		return 1;
	case PROTO_REGISTER:
		if (p->role != PROTO_ROLE_RUNNER) {
			peer_bad(p, "bad_role", "only a runner may register");
			return 0;
		}
		return 1;
	case PROTO_PONG:
		return 1;	/* every peer answers heartbeats */
	case PROTO_ACCEPTED:
	case PROTO_LOG:
	case PROTO_RESULT:
	case PROTO_OK:
	case PROTO_ERROR:
		if (!p->registered) {
			peer_bad(p, "bad_state", "register first");
			return 0;
		}
		return 1;
	default:
		peer_bad(p, "unknown_type", "not a message a dispatcher takes");
		return 0;
	}
}

/* One line.  Returns -1 if the peer is gone or closing. */
static int
peer_handle_line(struct peer *p, const char *line, size_t len)
{
	struct proto_msg msg;
	struct proto_error err;

	if (proto_parse(line, len, &msg, &err) == -1) {
		if (!p->said_hello && err.type == PROTO_HELLO) {
			/* A refused hello ends the connection. */
			peer_send_error(p, err.code, "%s", err.message);
			peer_close_after_flush(p, "hello refused");
			return -1;
		}
		return peer_bad(p, err.code, err.message);
	}
	if (!p->said_hello && msg.type != PROTO_HELLO) {
		proto_msg_release(&msg);
		return peer_bad(p, "bad_state", "say hello first");
	}
	if (!peer_allowed(p, &msg)) {
		proto_msg_release(&msg);
		return p->closing ? -1 : 0;
	}
	p->last_heard_ms = mono_ms();
	switch (msg.type) {
	case PROTO_HELLO:
		if (peer_hello(p, &msg) == -1) {
			proto_msg_release(&msg);
			return -1;
		}
		break;
	case PROTO_DISPATCH:
	case PROTO_STATUS:
	case PROTO_CANCEL:
	case PROTO_JOBS:
	case PROTO_SHOW:
	case PROTO_TAIL:
	case PROTO_RETRY:
		query_handle(p, &msg);
		break;
	case PROTO_REGISTER:
		sched_register(p, &msg);
		break;
	case PROTO_ACCEPTED:
		sched_accepted(p, &msg);
		break;
	case PROTO_LOG:
		sched_log(p, &msg);
		break;
	case PROTO_RESULT:
		sched_result(p, &msg);
		break;
	case PROTO_ERROR:
		log_warnx("runner '%s' answered with an error: %s", p->name,
		    msg.message);
		break;
	default:
		break;		/* pong, ok: hearing from it is enough */
	}
	proto_msg_release(&msg);
	return p->closing ? -1 : 0;
}

static void
peer_too_long(struct peer *p)
{
	peer_send_error(p, "too_long", "line longer than %d bytes",
	    PROTO_MAX_LINE);
	peer_close_after_flush(p, "line too long");
}

static void
peer_read_cb(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while (!p->closing &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		int rc = -1;

		if (len > PROTO_MAX_LINE)
			peer_too_long(p);
		else if (p->said_hello && proto_is_pong(line, len)) {
			/* Most lines from idle peers: no parse needed. */
			p->last_heard_ms = mono_ms();
			rc = 0;
		} else
			rc = peer_handle_line(p, line, len);
		free(line);
		if (rc == -1)
			return;
	}
	if (p->closing)
		return;
	if (evbuffer_get_length(in) > PROTO_MAX_LINE)
		peer_too_long(p);
	else if (evbuffer_get_length(in) == 0)
		p->partial_since_ms = 0;
	else if (p->partial_since_ms == 0)
		p->partial_since_ms = mono_ms();	/* a line has begun */
}

static void
peer_write_cb(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;

	if (p->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		peer_free(p);
}

static void
peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct peer *p = arg;
	const char *why;

	if (what & BEV_EVENT_EOF)
		peer_lost(p, "connection closed");
	else if (what & BEV_EVENT_ERROR) {
		why = p->d->tls != NULL ? tls_error(bev) : NULL;
		peer_lost(p, why != NULL ? why : evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
	}
}

struct peer *
peer_new(struct dispatcher *d, int fd, const char *addr)
{
	struct peer *p = xcalloc(1, sizeof *p);

	p->d = d;
	snprintf(p->addr, sizeof p->addr, "%s", addr);
	peer_ip(addr, p->ip, sizeof p->ip);
	p->last_heard_ms = mono_ms();
	p->bev = d->tls != NULL ? tls_accept(d->base, d->tls, fd) :
	    bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (p->bev == NULL) {
		log_warnx("unable to set up connection from %s", addr);
		evutil_closesocket(fd);
		free(p);
		return NULL;
	}
	bufferevent_setcb(p->bev, peer_read_cb, peer_write_cb, peer_event_cb, p);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	p->next = d->peers;
	d->peers = p;
	if (++d->npeers > d->cfg.max_connections) {
		peer_send_error(p, "too_many", "the dispatcher has %d "
		    "connections already", d->cfg.max_connections);
		peer_close_after_flush(p, "too many connections");
	}
	return p;
}

void
peer_ip(const char *addr, char *ip, size_t size)
{
	const char *colon = strrchr(addr, ':');
	size_t n = colon != NULL ? (size_t)(colon - addr) : strlen(addr);

	if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	snprintf(ip, size, "%.*s", (int)n, addr);
}

void
peer_free_all(struct dispatcher *d)
{
	while (d->peers != NULL) {
		struct peer *p = d->peers;

		/* Its jobs stay running in the store: the next start re-queues them. */
		sched_forget(p);
		peer_free(p);
	}
}

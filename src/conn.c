/* SPDX-License-Identifier: MIT */
/*
 * conn.c - the client side of the dispatcher protocol: connect, hello,
 * match replies to requests in order, reconnect with backoff.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conn.h"
#include "tls.h"
#include "util.h"

struct conn_pending {
	conn_reply_cb cb;
	void *arg;
	STAILQ_ENTRY(conn_pending) entry;
};

struct conn {
	struct event_base *base;
	char *servers;			/* HOST:PORT[,HOST:PORT...] as given */
	const char *server;		/* the one connected or tried last */
	const char *host;		/* its host, for TLS name checks */
	char **server_of;		/* each address's HOST:PORT */
	char **host_of;			/* and its host */
	struct ssl_ctx_st *tls;		/* NULL for plain TCP */
	enum proto_role role;
	char *token;
	int reconnect;
	struct conn_callbacks cbs;
	void *arg;

	struct sockaddr_storage *addrs;	/* IPv4 first, then the rest */
	socklen_t *addrlens;
	size_t naddrs;
	size_t next_addr;

	struct bufferevent *bev;
	int ready;
	int was_ready;
	int hello_pending;
	int refused;
	int idle_closed;	/* the dispatcher closed us for idleness */
	int backoff_ms;
	int64_t quick_until_ms;	/* monotonic: retry quickly until then */
	int no_quick;		/* this drop was asked for: back off */
	int later_ms;		/* conn_retry_later's backoff (hello resets
				   backoff_ms, and a refusal comes after it) */
	int64_t ready_ms;	/* monotonic: when the hello was answered ok */
	uint32_t jitter;	/* spreads the quick retries of many clients */
	struct event *ev_retry;
	STAILQ_HEAD(, conn_pending) pending;	/* replies awaited, in order */
	struct proto_msg *frame;	/* an artifact_data awaiting its bytes */
};

static void conn_connect(struct conn *c);

/* A frame's line whose bytes will not come now. */
static void
conn_drop_frame(struct conn *c)
{
	if (c->frame != NULL) {
		proto_msg_release(c->frame);
		free(c->frame);
		c->frame = NULL;
	}
}

static void
conn_free_addrs(struct conn *c)
{
	for (size_t i = 0; i < c->naddrs; i++) {
		free(c->server_of[i]);
		free(c->host_of[i]);
	}
	free(c->server_of);
	free(c->host_of);
	free(c->addrs);
	free(c->addrlens);
}

/*
 * Resolve one HOST:PORT of the list, once, at start-up, and add its
 * addresses after the others': IPv4 first, as the dispatcher binds.
 */
static int
conn_resolve(struct conn *c, const char *server, const char *host, int port)
{
	struct addrinfo hints, *res, *ai;
	char portstr[16];
	size_t n = c->naddrs;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof portstr, "%d", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		log_warnx("unable to resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	c->addrs = xrealloc(c->addrs, n * sizeof *c->addrs);
	c->addrlens = xrealloc(c->addrlens, n * sizeof *c->addrlens);
	c->server_of = xrealloc(c->server_of, n * sizeof *c->server_of);
	c->host_of = xrealloc(c->host_of, n * sizeof *c->host_of);
	for (int pass = 0; pass < 2; pass++) {
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if ((ai->ai_family == AF_INET) != (pass == 0))
				continue;
			memcpy(&c->addrs[c->naddrs], ai->ai_addr, ai->ai_addrlen);
			c->addrlens[c->naddrs] = ai->ai_addrlen;
			c->server_of[c->naddrs] = xstrdup(server);
			c->host_of[c->naddrs++] = xstrdup(host);
		}
	}
	freeaddrinfo(res);
	return 0;
}

/*
 * Every HOST:PORT of the comma-separated list: 0 if at least one was
 * resolved (the others are said), -1 if the list is malformed or none was.
 */
static int
conn_resolve_all(struct conn *c, const char *servers)
{
	char *list = xstrdup(servers), *rest = list, *one, *host;
	int port;

	while ((one = strsep(&rest, ",")) != NULL) {
		if (parse_host_port(one, &host, &port) == -1 || port == 0) {
			log_warnx("unable to use dispatcher address '%s': "
			    "expected HOST:PORT, or several separated by "
			    "commas", servers);
			free(list);
			return -1;
		}
		(void)conn_resolve(c, one, host, port);
		free(host);
	}
	free(list);
	return c->naddrs > 0 ? 0 : -1;
}

/* Answer every pending request with NULL. */
static void
conn_fail_pending(struct conn *c)
{
	struct conn_pending *p;

	while ((p = STAILQ_FIRST(&c->pending)) != NULL) {
		STAILQ_REMOVE_HEAD(&c->pending, entry);
		p->cb(c, NULL, p->arg);
		free(p);
	}
}

static void
conn_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_connect(arg);
}

/* Drop the current connection; retry later unless refused. */
static void
conn_drop(struct conn *c, const char *why)
{
	struct timeval tv;
	int was_ready = c->ready;
	int64_t now = mono_ms();
	int delay_ms;

	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	conn_drop_frame(c);
	c->ready = 0;
	c->hello_pending = 0;
	if (was_ready && c->idle_closed)
		log_debug("dispatcher %s closed an idle connection", c->server);
	else if (was_ready)
		log_warnx("lost dispatcher %s: %s", c->server, why);
	conn_fail_pending(c);
	if (was_ready && c->cbs.on_lost != NULL)
		c->cbs.on_lost(c, c->arg);
	if (!c->reconnect || c->refused) {
		if (!was_ready && !c->refused && c->cbs.on_lost != NULL) {
			log_warnx("unable to connect to %s: %s", c->servers, why);
			c->cbs.on_lost(c, c->arg);
		}
		return;
	}
	if (was_ready && !c->no_quick &&
	    now - c->ready_ms >= CONN_QUICK_MIN_UP_MS) {
		c->quick_until_ms = now + CONN_QUICK_FOR_MS;
		c->later_ms = 0;	/* it was up a while: a fresh start */
	}
	if (c->no_quick) {
		c->no_quick = 0;
		c->quick_until_ms = 0;
		delay_ms = c->later_ms > 0 ? c->later_ms : CONN_LATER_MIN_MS;
		c->later_ms = delay_ms * 2 > CONN_BACKOFF_MAX_MS ?
		    CONN_BACKOFF_MAX_MS : delay_ms * 2;
	} else if (now < c->quick_until_ms) {
		c->jitter += 2654435769u;	/* 2^32 / the golden ratio */
		delay_ms = CONN_QUICK_RETRY_MS / 2 +
		    (int)((uint64_t)c->jitter * CONN_QUICK_RETRY_MS >> 32);
	} else {
		delay_ms = c->backoff_ms;
		c->backoff_ms *= 2;
		if (c->backoff_ms > CONN_BACKOFF_MAX_MS)
			c->backoff_ms = CONN_BACKOFF_MAX_MS;
	}
	if (!was_ready && delay_ms >= 1600)
		log_warnx("unable to connect to %s: %s; retrying in %d ms",
		    c->servers, why, delay_ms);
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	evtimer_add(c->ev_retry, &tv);
}

/* The reply to hello. */
static void
conn_hello_reply(struct conn *c, struct proto_msg *msg)
{
	c->hello_pending = 0;
	if (msg->type != PROTO_OK && msg->code != NULL &&
	    (strcmp(msg->code, "slow_down") == 0 ||
	    strcmp(msg->code, "too_many") == 0)) {
		/* Not about us: try again later, as after a lost connection. */
		log_warnx("dispatcher %s is busy: %s", c->server,
		    msg->message ? msg->message : "no reason given");
		c->quick_until_ms = 0;	/* it asked for less, not more */
		conn_drop(c, "asked to come back later");
		return;
	}
	if (msg->type != PROTO_OK) {
		log_warnx("dispatcher %s refused us: %s", c->server,
		    msg->message ? msg->message : "no reason given");
		c->refused = 1;
		if (c->cbs.on_refused != NULL)
			c->cbs.on_refused(c, msg->message, c->arg);
		conn_drop(c, "refused");
		return;
	}
	c->ready = 1;
	c->ready_ms = mono_ms();
	c->backoff_ms = CONN_BACKOFF_MIN_MS;
	if (c->was_ready && !c->idle_closed)
		log_info("reconnected to dispatcher %s", c->server);
	c->idle_closed = 0;
	c->was_ready = 1;
	c->cbs.on_ready(c, c->arg);
}

/* One line from the dispatcher.  Returns -1 if the conn was dropped. */
static int
conn_handle_line(struct conn *c, const char *line, size_t len)
{
	struct proto_msg msg;
	struct proto_error err;
	struct conn_pending *p;

	if (proto_parse(line, len, &msg, &err) == -1) {
		log_warnx("bad message from dispatcher %s: %s", c->server,
		    err.message);
		conn_drop(c, "protocol error");
		return -1;
	}
	if (msg.type == PROTO_ARTIFACT_DATA) {
		/* Its bytes follow: given on once they are all in. */
		c->frame = xmalloc(sizeof *c->frame);
		*c->frame = msg;
		return 0;
	}
	if (msg.type == PROTO_OK || msg.type == PROTO_ERROR) {
		if (c->hello_pending) {
			conn_hello_reply(c, &msg);
			proto_msg_release(&msg);
			return c->bev == NULL ? -1 : 0;
		}
		p = STAILQ_FIRST(&c->pending);
		if (p == NULL && msg.type == PROTO_ERROR && msg.code != NULL &&
		    strcmp(msg.code, "timeout") == 0) {
			/* Closed for idleness: reconnect, without alarm. */
			c->idle_closed = 1;
			proto_msg_release(&msg);
			return 0;
		}
		if (p == NULL) {
			log_warnx("unexpected %s from dispatcher %s",
			    proto_type_name(msg.type), c->server);
			proto_msg_release(&msg);
			return 0;
		}
		STAILQ_REMOVE_HEAD(&c->pending, entry);
		p->cb(c, &msg, p->arg);
		free(p);
	} else if (msg.type == PROTO_PING) {
		/* Any client answers a heartbeat; no caller needs to. */
		if (c->ready)
			conn_send(c, proto_encode_pong(NULL));
	} else if (c->ready && c->cbs.on_message != NULL)
		c->cbs.on_message(c, &msg, c->arg);
	proto_msg_release(&msg);
	return c->bev == NULL ? -1 : 0;
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	for (;;) {
		int rc;

		if (c->frame != NULL) {
			struct proto_msg *msg = c->frame;

			if (evbuffer_get_length(in) < (size_t)msg->frame_len)
				break;
			c->frame = NULL;
			msg->data_len = (size_t)msg->frame_len;
			msg->data = xmalloc(msg->data_len + 1);
			evbuffer_remove(in, msg->data, msg->data_len);
			if (c->ready && c->cbs.on_message != NULL)
				c->cbs.on_message(c, msg, c->arg);
			proto_msg_release(msg);
			free(msg);
			if (c->bev == NULL)
				return;
			continue;
		}
		if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) == NULL)
			break;
		rc = conn_handle_line(c, line, len);
		free(line);
		if (rc == -1)
			return;
	}
	if (evbuffer_get_length(in) > PROTO_MAX_LINE)
		conn_drop(c, "line too long");
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->cbs.on_drained != NULL)
		c->cbs.on_drained(c, c->arg);
}

/*
 * A dispatcher whose machine vanished sends no FIN: keepalives (after 5 s
 * of silence, every 1 s, 3 unanswered) make that a lost connection, so
 * that we move to another address in the time a standby takes to be
 * active (docs/SCALING.md); data unanswered for 15 s does too (a busy
 * dispatcher's kernel still answers).  Best effort: without them we
 * only wait longer.
 */
static void
conn_keepalive(int fd)
{
	int one = 1, idle = 5, interval = 1, count = 3;
	unsigned timeout_ms = 15000;

	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval,
	    sizeof interval);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms,
	    sizeof timeout_ms);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	size_t len;
	char *line;
	int one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
		    &one, sizeof one);
		conn_keepalive(bufferevent_getfd(bev));
		line = proto_encode_hello(c->role, c->token, &len);
		bufferevent_write(bev, line, len);
		free(line);
		c->hello_pending = 1;
		return;
	}
	if (what & BEV_EVENT_EOF)
		conn_drop(c, "connection closed");
	else if (what & BEV_EVENT_ERROR) {
		const char *why = c->tls != NULL ? tls_error(bev) : NULL;

		if (why == NULL)
			why = evutil_socket_error_to_string(
			    EVUTIL_SOCKET_ERROR());

		if (!c->ready && c->naddrs > 1 && c->next_addr != 0) {
			/* Another address may answer: try it at once. */
			bufferevent_free(c->bev);
			c->bev = NULL;
			conn_connect(c);
			return;
		}
		conn_drop(c, why);
	}
}

static void
conn_connect(struct conn *c)
{
	size_t i = c->next_addr;
	int fd;

	c->next_addr = (c->next_addr + 1) % c->naddrs;
	c->server = c->server_of[i];
	c->host = c->host_of[i];
	/*
	 * Our own socket, close-on-exec: libevent would make one without,
	 * and every test the runner starts would hold this connection.
	 */
	fd = socket(c->addrs[i].ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		conn_drop(c, strerror(errno));
		return;
	}
	c->bev = c->tls != NULL ? tls_connect(c->base, c->tls, c->host, fd) :
	    bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		conn_drop(c, "unable to set up the connection");
		return;
	}
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_setwatermark(c->bev, EV_WRITE, CONN_HIGH_WATER / 2, 0);
	/* An artifact's frame in one read or write, not sixteen. */
	bufferevent_set_max_single_read(c->bev, PROTO_MAX_FRAME);
	bufferevent_set_max_single_write(c->bev, PROTO_MAX_FRAME);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&c->addrs[i],
	    (int)c->addrlens[i]) == -1)
		conn_drop(c, strerror(errno));
}

struct conn *
conn_new(struct event_base *base, const char *server, enum proto_role role,
    const struct conn_auth *auth, int reconnect,
    const struct conn_callbacks *cbs, void *arg)
{
	struct conn *c;

	c = xcalloc(1, sizeof *c);
	if (conn_resolve_all(c, server) == -1) {
		conn_free_addrs(c);
		free(c);
		return NULL;
	}
	c->servers = xstrdup(server);
	c->server = c->server_of[0];
	c->host = c->host_of[0];
	c->base = base;
	c->role = role;
	c->token = auth->token ? xstrdup(auth->token) : NULL;
	c->tls = auth->tls;
	c->reconnect = reconnect;
	c->cbs = *cbs;
	c->arg = arg;
	c->backoff_ms = CONN_BACKOFF_MIN_MS;
	/* Clients started together start their quick retries apart. */
	c->jitter = (uint32_t)getpid() * 2654435769u;
	STAILQ_INIT(&c->pending);
	c->ev_retry = evtimer_new(base, conn_retry_cb, c);
	conn_connect(c);
	return c;
}

void
conn_set_token(struct conn *c, const char *token)
{
	free(c->token);
	c->token = token != NULL ? xstrdup(token) : NULL;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	c->ready = 0;
	conn_drop_frame(c);
	conn_fail_pending(c);
	event_free(c->ev_retry);
	conn_free_addrs(c);
	free(c->servers);
	free(c->token);
	free(c);
}

int
conn_is_ready(const struct conn *c)
{
	return c->ready;
}

int
conn_congested(const struct conn *c)
{
	return c->bev != NULL &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    CONN_HIGH_WATER;
}

int
conn_request(struct conn *c, char *line, conn_reply_cb cb, void *arg)
{
	struct conn_pending *p;

	if (!c->ready) {
		free(line);
		return -1;
	}
	bufferevent_write(c->bev, line, strlen(line));
	free(line);
	p = xcalloc(1, sizeof *p);
	p->cb = cb;
	p->arg = arg;
	STAILQ_INSERT_TAIL(&c->pending, p, entry);
	return 0;
}

int
conn_send(struct conn *c, char *line)
{
	if (!c->ready) {
		free(line);
		return -1;
	}
	bufferevent_write(c->bev, line, strlen(line));
	free(line);
	return 0;
}

int
conn_send_frame(struct conn *c, char *line, const void *data, size_t len)
{
	struct evbuffer *out;

	if (!c->ready) {
		free(line);
		return -1;
	}
	/* One add each, back to back: no other line can come between. */
	out = bufferevent_get_output(c->bev);
	evbuffer_add(out, line, strlen(line));
	evbuffer_add(out, data, len);
	free(line);
	return 0;
}

const char *
conn_server(const struct conn *c)
{
	return c->server;
}

void *
conn_arg(const struct conn *c)
{
	return c->arg;
}

void
conn_retry_later(struct conn *c, const char *why)
{
	c->no_quick = 1;
	conn_drop(c, why);
}

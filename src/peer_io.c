/* SPDX-License-Identifier: MIT */
/*
 * peer_io.c - the bytes of one protocol connection on the dispatcher: a
 * plain socket watched by one event, or a TLS bufferevent (tls.c).  With
 * 10,000 runners connected, a bufferevent and its two buffers were two
 * thirds of what a runner cost the dispatcher (docs/PERFORMANCE.md).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "peer_io.h"
#include "proto.h"
#include "tls.h"
#include "util.h"

static void peer_io_cb(evutil_socket_t fd, short what, void *arg);

/* Watch for what is wanted now: reading, and writing while output waits. */
static void
peer_io_watch(struct peer_io *io)
{
	short want = (io->reading ? EV_READ : 0) |
	    (io->out != NULL ? EV_WRITE : 0);

	if (want == io->watching)
		return;
	/* Not pending after event_del: event_assign may change it, even
	 * from inside its own callback. */
	event_del(io->ev);
	io->watching = want;
	if (want == 0)
		return;
	event_assign(io->ev, event_get_base(io->ev), io->fd, want | EV_PERSIST,
	    peer_io_cb, io);
	/* Only out of memory: the peer then falls silent and is lost for it
	 * (a runner), or its client gives up. */
	if (event_add(io->ev, NULL) == -1)
		log_warnx("unable to watch a connection's socket");
}

/* Write what the socket takes: 1 if a callback was called (io may be
 * gone), else 0. */
static int
peer_io_flush(struct peer_io *io)
{
	int n = evbuffer_write_atmost(io->out, io->fd, PROTO_MAX_FRAME);

	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		io->ops->on_error(io->arg, strerror(errno));
		return 1;
	}
	if (evbuffer_get_length(io->out) == 0) {
		evbuffer_free(io->out);
		io->out = NULL;
		peer_io_watch(io);
	}
	if (n > 0 && peer_io_pending(io) <= io->write_low) {
		io->ops->on_write(io->arg);
		return 1;
	}
	return 0;
}

static void
peer_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer_io *io = arg;
	int n;

	(void)fd;
	if ((what & EV_WRITE) && io->out != NULL && peer_io_flush(io))
		return;	/* still readable, if it was: the next turn reads */
	if (!(what & EV_READ) || !io->reading)
		return;
	/* libevent 2.1 reads at most 4 KiB a call, as the bufferevent did
	 * (reading more a turn was measured slower with big logs). */
	n = evbuffer_read(io->in, io->fd, PROTO_MAX_FRAME);
	if (n == 0)
		io->ops->on_error(io->arg, "connection closed");
	else if (n > 0)
		io->ops->on_read(io->arg);
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		io->ops->on_error(io->arg, strerror(errno));
}

static void
peer_io_bev_read(struct bufferevent *bev, void *arg)
{
	struct peer_io *io = arg;

	(void)bev;
	io->ops->on_read(io->arg);
}

static void
peer_io_bev_write(struct bufferevent *bev, void *arg)
{
	struct peer_io *io = arg;

	(void)bev;
	io->ops->on_write(io->arg);
}

static void
peer_io_bev_event(struct bufferevent *bev, short what, void *arg)
{
	struct peer_io *io = arg;
	const char *why;

	if (what & BEV_EVENT_EOF)
		io->ops->on_error(io->arg, "connection closed");
	else if (what & BEV_EVENT_ERROR) {
		why = tls_error(bev);
		io->ops->on_error(io->arg, why != NULL ? why :
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
}

int
peer_io_start(struct peer_io *io, struct event_base *base, int fd,
    struct ssl_ctx_st *tls, const struct peer_io_ops *ops, void *arg)
{
	memset(io, 0, sizeof *io);
	io->ops = ops;
	io->arg = arg;
	io->fd = fd;
	if (tls != NULL) {
		if ((io->bev = tls_accept(base, tls, fd)) == NULL) {
			close(fd);
			return -1;
		}
		bufferevent_setcb(io->bev, peer_io_bev_read, peer_io_bev_write,
		    peer_io_bev_event, io);
		bufferevent_set_max_single_read(io->bev, PROTO_MAX_FRAME);
		bufferevent_set_max_single_write(io->bev, PROTO_MAX_FRAME);
		bufferevent_enable(io->bev, EV_READ | EV_WRITE);
		return 0;
	}
	io->ev = event_new(base, fd, EV_READ | EV_PERSIST, peer_io_cb, io);
	io->in = evbuffer_new();
	if (io->ev == NULL || io->in == NULL || event_add(io->ev, NULL) == -1) {
		if (io->ev != NULL)
			event_free(io->ev);
		if (io->in != NULL)
			evbuffer_free(io->in);
		close(fd);
		return -1;
	}
	io->watching = io->reading = EV_READ;
	return 0;
}

void
peer_io_close(struct peer_io *io)
{
	if (io->bev != NULL) {
		bufferevent_free(io->bev);	/* closes fd */
		return;
	}
	event_free(io->ev);
	evbuffer_free(io->in);
	if (io->out != NULL)
		evbuffer_free(io->out);
	close(io->fd);
}

struct evbuffer *
peer_io_input(struct peer_io *io)
{
	return io->bev != NULL ? bufferevent_get_input(io->bev) : io->in;
}

void
peer_io_write(struct peer_io *io, const void *data, size_t len)
{
	if (io->bev != NULL) {
		bufferevent_write(io->bev, data, len);
		return;
	}
	if (len == 0)
		return;
	/* Out of memory ends the process, as xmalloc does: the caller
	 * must find its peer still there after a write. */
	if (io->out == NULL && (io->out = evbuffer_new()) == NULL)
		fatalx("out of memory for a connection's output");
	if (evbuffer_add(io->out, data, len) == -1)
		fatalx("out of memory for a connection's output");
	peer_io_watch(io);
}

void
peer_io_write_now(struct peer_io *io, const void *data, size_t len)
{
	ssize_t n = 0;

	if (io->bev == NULL && io->out == NULL) {
		n = send(io->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			n = 0;
	}
	if ((size_t)n < len)
		peer_io_write(io, (const char *)data + n, len - (size_t)n);
}

size_t
peer_io_pending(struct peer_io *io)
{
	if (io->bev != NULL)
		return evbuffer_get_length(bufferevent_get_output(io->bev));
	return io->out != NULL ? evbuffer_get_length(io->out) : 0;
}

void
peer_io_stop_reading(struct peer_io *io)
{
	if (io->bev != NULL) {
		bufferevent_disable(io->bev, EV_READ);
		return;
	}
	io->reading = 0;
	peer_io_watch(io);
}

void
peer_io_write_low(struct peer_io *io, size_t low)
{
	if (io->bev != NULL)
		bufferevent_setwatermark(io->bev, EV_WRITE, low, 0);
	else
		io->write_low = (uint32_t)low;
}

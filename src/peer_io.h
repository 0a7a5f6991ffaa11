/* SPDX-License-Identifier: MIT */
/*
 * peer_io.h - the bytes of one protocol connection on the dispatcher.
 * What is written is queued and goes out when the event loop comes back,
 * never at once (peer_io_write_now aside): peer.c answers only after the
 * store has synced what the answers acknowledge.
 */
#ifndef SSCI_PEER_IO_H
#define SSCI_PEER_IO_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct event;
struct event_base;
struct evbuffer;
struct ssl_ctx_st;

/* What the connection tells its owner; each may free the peer_io. */
struct peer_io_ops {
	void (*on_read)(void *arg);	/* bytes came: peer_io_input */
	void (*on_write)(void *arg);	/* written down to the low mark */
	void (*on_error)(void *arg, const char *why);	/* closed, or failed */
};

/*
 * A plain socket has one event (read, and write while output waits) and
 * an input evbuffer, and an output evbuffer only while something waits
 * to go out: an idle runner's connection holds 0.6 KiB less than with a
 * bufferevent.  TLS goes through tls.c's bufferevent.
 */
struct peer_io {
	const struct peer_io_ops *ops;
	void *arg;
	struct bufferevent *bev;	/* TLS; NULL for a plain socket */
	struct event *ev;		/* plain */
	struct evbuffer *in;		/* plain */
	struct evbuffer *out;		/* plain; NULL while nothing waits */
	uint32_t write_low;		/* on_write at or under this */
	int fd;
	short watching;			/* plain: EV_READ, EV_WRITE of ev */
	short reading;
};

/* Watch fd (ours from now on, even on failure), through TLS if tls is
 * not NULL: 0, or -1 (fd closed). */
int peer_io_start(struct peer_io *io, struct event_base *base, int fd,
    struct ssl_ctx_st *tls, const struct peer_io_ops *ops, void *arg);
/* Stop watching and close, dropping what was not written. */
void peer_io_close(struct peer_io *io);
struct evbuffer *peer_io_input(struct peer_io *io);
/* Queue data; the event loop writes it. */
void peer_io_write(struct peer_io *io, const void *data, size_t len);
/* Write at once what the socket takes when nothing else waits, without
 * a turn of the loop (a heartbeat); the rest as peer_io_write. */
void peer_io_write_now(struct peer_io *io, const void *data, size_t len);
/* Bytes waiting to go out. */
size_t peer_io_pending(struct peer_io *io);
void peer_io_stop_reading(struct peer_io *io);
/* on_write is called when a write leaves at most low bytes waiting. */
void peer_io_write_low(struct peer_io *io, size_t low);

#endif

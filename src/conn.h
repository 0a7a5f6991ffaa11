/* SPDX-License-Identifier: MIT */
/*
 * conn.h - a client's connection to the dispatcher, as runners, observers
 * and the command-line clients keep it.
 *
 * conn_new resolves the dispatcher's address and connects; once connected
 * it says hello and, when the dispatcher answers ok, calls on_ready.  The
 * dispatcher answers every request in order, so replies (ok, error) go to
 * the callbacks of conn_request in the order the requests were sent; pings
 * are answered here; other messages (job, cancel) go to on_message, which
 * may be NULL for a client that expects none.  When the connection is
 * lost, every pending request is answered with NULL, on_lost is called and,
 * if reconnect is set, a new connection is tried with capped exponential
 * backoff (CONN_BACKOFF_MIN_MS doubling up to CONN_BACKOFF_MAX_MS).  A
 * connection that was up and is lost is most often a dispatcher
 * restarting: for CONN_QUICK_FOR_MS after such a loss it is tried every
 * CONN_QUICK_RETRY_MS or so (50 to 150 ms, so that many runners do not
 * come in step), so runners are back within that of it listening again,
 * and backs off after.  A connection lost within CONN_QUICK_MIN_UP_MS of
 * its hello (a dispatcher that drops us at once) backs off at once.
 */
#ifndef SSCI_CONN_H
#define SSCI_CONN_H

#include <stddef.h>

#include "proto.h"

struct event_base;
struct conn;
struct ssl_ctx_st;

#define CONN_BACKOFF_MIN_MS 100
#define CONN_BACKOFF_MAX_MS 30000
#define CONN_QUICK_RETRY_MS 100
#define CONN_QUICK_FOR_MS 5000
/* Only a connection up this long is retried quickly once lost. */
#define CONN_QUICK_MIN_UP_MS 1000
/* conn_retry_later's first wait, doubling up to CONN_BACKOFF_MAX_MS. */
#define CONN_LATER_MIN_MS 1000
/* Output queued beyond this makes conn_congested true. */
#define CONN_HIGH_WATER (1024 * 1024)

struct conn_callbacks {
	void (*on_ready)(struct conn *c, void *arg);
	void (*on_message)(struct conn *c, struct proto_msg *msg, void *arg);
	/* The hello was refused: the connection will not be retried. */
	void (*on_refused)(struct conn *c, const char *why, void *arg);
	void (*on_lost)(struct conn *c, void *arg);
	/* Queued output fell below CONN_HIGH_WATER / 2; may be NULL. */
	void (*on_drained)(struct conn *c, void *arg);
};

/* The reply to a request, or NULL if the connection was lost first. */
typedef void (*conn_reply_cb)(struct conn *c, struct proto_msg *reply,
    void *arg);

/* How a client proves itself: a token (or NULL), TLS (or NULL). */
struct conn_auth {
	const char *token;
	struct ssl_ctx_st *tls;
};

/*
 * Connect to "HOST:PORT".  Returns NULL (after logging) if the address
 * cannot be resolved.
 */
struct conn *conn_new(struct event_base *base, const char *server,
    enum proto_role role, const struct conn_auth *auth, int reconnect,
    const struct conn_callbacks *cbs, void *arg);
void conn_free(struct conn *c);
/* The token the next hello says (a reload); the connection there stays. */
void conn_set_token(struct conn *c, const char *token);

/* Whether hello has been answered ok on the current connection. */
int conn_is_ready(const struct conn *c);

/* Whether more than CONN_HIGH_WATER bytes wait to be sent. */
int conn_congested(const struct conn *c);

/*
 * Send a request line (NUL-terminated, taken over and freed) and have cb called with its
 * reply, or with NULL if the connection is lost first.  Returns 0, or -1
 * if the connection is not ready (the line is freed, cb is not called).
 */
int conn_request(struct conn *c, char *line, conn_reply_cb cb, void *arg);

/* Send a line that gets no reply (log, pong, accepted); taken and freed. */
int conn_send(struct conn *c, char *line);
/* An artifact_data line (taken and freed) and the len bytes it announces. */
int conn_send_frame(struct conn *c, char *line, const void *data,
    size_t len);

/* The arg given to conn_new. */
void *conn_arg(const struct conn *c);

/* The dispatcher's address as given ("HOST:PORT"). */
const char *conn_server(const struct conn *c);

/*
 * Close the connection and try again later: after 1 s, doubling up to
 * CONN_BACKOFF_MAX_MS (never the quick retries of a lost connection), for
 * a refusal that may pass.
 */
void conn_retry_later(struct conn *c, const char *why);

#endif

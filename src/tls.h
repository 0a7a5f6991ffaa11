/* SPDX-License-Identifier: MIT */
/*
 * tls.h - TLS for the dispatcher's port and its HTTP side, with OpenSSL
 * through libevent's bufferevents.  The dispatcher presents a certificate;
 * runners and clients check it against a CA file or the system's store and
 * the name they connected to, and refuse a wrong one.
 */
#ifndef SSCI_TLS_H
#define SSCI_TLS_H

#include <stddef.h>

struct ssl_ctx_st;
struct ssl_st;
struct event_base;
struct bufferevent;

/* A server context from a certificate chain and key; exits if unusable. */
struct ssl_ctx_st *tls_server(const char *cert, const char *key);

/* A client context trusting ca (a PEM file) or, if NULL, the system store. */
struct ssl_ctx_st *tls_client(const char *ca);

/* A server-side bufferevent on accepted fd. */
struct bufferevent *tls_accept(struct event_base *base,
    struct ssl_ctx_st *ctx, int fd);

/*
 * A client-side bufferevent on the unconnected socket fd, to be connected,
 * that checks host's name.
 */
struct bufferevent *tls_connect(struct event_base *base,
    struct ssl_ctx_st *ctx, const char *host, int fd);

/* Why the last TLS failure on bev happened, for a log line. */
const char *tls_error(struct bufferevent *bev);

void tls_free(struct ssl_ctx_st *ctx);

/*
 * HMAC-SHA256 of data with key (a forge's webhook signature), as 64
 * lowercase hex digits into hex.
 */
void tls_hmac_sha256_hex(const char *key, const void *data, size_t len,
    char hex[65]);

/*
 * SHA-256 as it goes (a runner's cache key over files of the tree), and
 * at once: tls_sha256_new, any number of updates, then tls_sha256_end,
 * which writes 64 lowercase hex digits into hex and frees h.
 */
struct tls_sha256;
struct tls_sha256 *tls_sha256_new(void);
void tls_sha256_update(struct tls_sha256 *h, const void *data, size_t len);
void tls_sha256_end(struct tls_sha256 *h, char hex[65]);
void tls_sha256_hex(const void *data, size_t len, char hex[65]);

#endif

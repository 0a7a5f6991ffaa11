/* SPDX-License-Identifier: MIT */
/*
 * http_auth.h - the checks every HTTP request passes before it is served
 * (http_auth.c).  Each returns 1 if the request may go on, or 0 after
 * answering it with the refusal.
 */
#ifndef SSCI_HTTP_AUTH_H
#define SSCI_HTTP_AUTH_H

struct http_ctx;

/* At most --http-rate requests a second from one address. */
int http_auth_rate(struct http_ctx *h);

/*
 * Writes: from our own pages and host names, with the token when one is
 * set; reads too with --http-auth.
 */
int http_auth_check(struct http_ctx *h);

/* The cookie a login sets: a session's id, never the token itself. */
#define HTTP_SESSION_COOKIE "ssci_session"

/*
 * GET /login: the form; POST /login: the token checked (same origin and
 * host as every write), then a session cookie (HttpOnly, SameSite=Strict)
 * and back to next.  1 if the request was /login and is answered, else 0.
 */
int http_auth_login(struct http_ctx *h);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * http_auth.c - who may ask the HTTP side what: a request rate per
 * address, writes only from this server's own pages (no cross-site POST,
 * and no host name that is not ours: DNS rebinding), and the bearer token
 * for writes (and for reads with --http-auth).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <stdlib.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "address.h"
#include "auth.h"
#include "dispatcher.h"
#include "html.h"
#include "http.h"
#include "http_auth.h"
#include "util.h"

/*
 * A browser says where a page came from: a POST carrying an Origin that is
 * not this server comes from another site's page (CSRF) and is refused.
 * Scripts and curl send no Origin.
 */
static int
http_same_origin(struct http_ctx *h)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(h->req);
	const char *origin = evhttp_find_header(in, "Origin");
	const char *host = evhttp_find_header(in, "Host");
	const char *rest;

	if (origin == NULL)
		return 1;
	if (host == NULL)
		return 0;
	rest = strstr(origin, "://");
	return rest != NULL && strcmp(rest + 3, host) == 0;
}

/*
 * Whether the Host header names this server.  A page of evil.example whose
 * name was made to point at us (DNS rebinding) sends Host: evil.example
 * and a matching Origin; an address cannot be rebound, a name can.  Ours
 * are localhost, the name --http listens on and those of --http-host.
 * Requests without Host (HTTP/1.0 scripts) do not come from a browser.
 */
static int
http_host_ours(struct http_ctx *h)
{
	const struct dispatcher_config *cfg = &h->d->cfg;
	const char *host = evhttp_find_header(
	    evhttp_request_get_input_headers(h->req), "Host");
	char name[256], addr[16];
	const char *colon;
	size_t n;

	if (host == NULL)
		return 1;
	if (host[0] == '[') {
		n = strcspn(host + 1, "]");
		snprintf(name, sizeof name, "%.*s", (int)n, host + 1);
		return inet_pton(AF_INET6, name, addr) == 1;
	}
	colon = strchr(host, ':');
	n = colon != NULL ? (size_t)(colon - host) : strlen(host);
	if (n == 0 || n >= sizeof name)
		return 0;
	snprintf(name, sizeof name, "%.*s", (int)n, host);
	if (inet_pton(AF_INET, name, addr) == 1 ||
	    strcasecmp(name, "localhost") == 0 ||
	    (cfg->http_listen_host != NULL &&
	    strcasecmp(name, cfg->http_listen_host) == 0))
		return 1;
	for (int i = 0; i < cfg->nhttp_hosts; i++) {
		if (strcasecmp(name, cfg->http_hosts[i]) == 0)
			return 1;
	}
	return 0;
}

/* Whether the request's cookie names a live session (a login's). */
static int
http_session(struct http_ctx *h)
{
	const char *cookie = evhttp_find_header(
	    evhttp_request_get_input_headers(h->req), "Cookie");
	const char *p = cookie;
	char id[80];
	size_t n;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ;");
		if (strncmp(p, HTTP_SESSION_COOKIE "=",
		    strlen(HTTP_SESSION_COOKIE) + 1) == 0) {
			p += strlen(HTTP_SESSION_COOKIE) + 1;
			n = strcspn(p, ";");
			if (n >= sizeof id)
				return 0;
			snprintf(id, sizeof id, "%.*s", (int)n, p);
			return auth_session_valid(id);
		}
		p = strchr(p, ';');
	}
	return 0;
}

/* Whether next is a path of ours to go back to after the login. */
static int
http_next_ok(const char *next)
{
	return next != NULL && next[0] == '/' && next[1] != '/' &&
	    strlen(next) < 1024 && strpbrk(next, "\\\r\n\t ") == NULL;
}

/* Whether a browser asked for a page (scripts and curl ask for anything). */
static int
http_wants_page(struct http_ctx *h)
{
	const char *accept = evhttp_find_header(
	    evhttp_request_get_input_headers(h->req), "Accept");

	return strncmp(h->path, "/api", 4) != 0 && accept != NULL &&
	    strstr(accept, "text/html") != NULL;
}

/* A page a browser asked for without its login: to the login, and back. */
static void
http_to_login(struct http_ctx *h)
{
	struct evbuffer *loc = evbuffer_new();
	char *url;

	evbuffer_add_printf(loc, "/login?next=");
	html_url_query(loc, h->path);
	url = xstrndup((const char *)evbuffer_pullup(loc, -1),
	    evbuffer_get_length(loc));
	evhttp_add_header(evhttp_request_get_output_headers(h->req),
	    "Location", url);
	evhttp_send_reply(h->req, 303, "See Other", NULL);
	free(url);
	evbuffer_free(loc);
}

/*
 * Reads that need what a write needs: a repository's secrets, though
 * their answer holds only names.
 */
static int
http_private(const struct http_ctx *h)
{
	/* By segments, as routes match: "/api//secrets/" is the same. */
	return h->nparts == 2 && strcmp(h->parts[0], "api") == 0 &&
	    strcmp(h->parts[1], "secrets") == 0;
}

/*
 * Writes (and, with --http-auth, everything) need "Authorization: Bearer
 * TOKEN"; so do writes by a host name that is not ours.  Returns 1 if the
 * request may go on, 0 after refusing it.
 */
static int
http_authorized(struct http_ctx *h, const char *ip)
{
	const char *want = h->d->cfg.token, *given;
	/* POST, PUT and DELETE change things: every method but a read. */
	int post = (h->method != EVHTTP_REQ_GET &&
	    h->method != EVHTTP_REQ_HEAD) || http_private(h);
	int foreign = 0;
	int64_t wait;

	if (post && !http_same_origin(h)) {
		http_error(h->req, 403, "cross_origin", "a write from "
		    "another site's page is refused");
		return 0;
	}
	if (post && !http_host_ours(h)) {
		if (want == NULL) {
			http_error(h->req, 403, "bad_host", "a write to this "
			    "server by another host name is refused; name it "
			    "with --http-host");
			return 0;
		}
		foreign = 1;
	}
	if (want == NULL || (!post && !h->d->cfg.http_auth && !foreign))
		return 1;
	if ((wait = address_penalty(h->d->addresses, ip)) > 0) {
		http_error(h->req, 429, "slow_down", "too many refused tokens; "
		    "try again in %lld ms", (long long)wait);
		return 0;
	}
	given = evhttp_find_header(evhttp_request_get_input_headers(h->req),
	    "Authorization");
	if (given != NULL && strncmp(given, "Bearer ", 7) == 0 &&
	    auth_equal(given + 7, want)) {
		address_succeeded(h->d->addresses, ip);
		return 1;
	}
	/* A browser logged in with the token carries its session instead. */
	if (given == NULL && http_session(h))
		return 1;
	if (given == NULL && !post && http_wants_page(h)) {
		http_to_login(h);
		return 0;
	}
	address_failed(h->d->addresses, ip);
	log_warnx("refused HTTP %s %s from %s: %s token", h->method ==
	    EVHTTP_REQ_POST ? "POST" : h->method == EVHTTP_REQ_PUT ? "PUT" :
	    h->method == EVHTTP_REQ_DELETE ? "DELETE" : "GET", h->path, ip,
	    given == NULL ? "no" : "wrong");
	evhttp_add_header(evhttp_request_get_output_headers(h->req),
	    "WWW-Authenticate", "Bearer");
	http_error(h->req, 401, "bad_token",
	    "this needs the token: Authorization: Bearer TOKEN");
	return 0;
}


int
http_auth_rate(struct http_ctx *h)
{
	if (address_rate_ok(h->d->addresses, h->ip, h->d->cfg.http_rate))
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(h->req),
	    "Retry-After", "1");
	http_error(h->req, 429, "too_many_requests",
	    "more than %d requests a second", h->d->cfg.http_rate);
	return 0;
}

int
http_auth_check(struct http_ctx *h)
{
	return http_authorized(h, h->ip);
}

/* The login form's answer: the page again, with why it failed. */
static void
http_login_page(struct http_ctx *h, int status, const char *next,
    const char *error)
{
	struct evbuffer *body = evbuffer_new();

	html_login(h->d, body, next, error);
	http_page(h->req, status, body);
	evbuffer_free(body);
}

/* POST /login with token=...&next=...: a session cookie, then next. */
static void
http_login_post(struct http_ctx *h, const char *want)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(h->req);
	struct evkeyvalq form;
	const char *token, *next;
	char *text, id[65], cookie[200];
	int64_t wait;

	text = xstrndup((const char *)evbuffer_pullup(in, -1),
	    evbuffer_get_length(in));
	TAILQ_INIT(&form);
	evhttp_parse_query_str(text, &form);
	token = evhttp_find_header(&form, "token");
	next = evhttp_find_header(&form, "next");
	if (!http_next_ok(next))
		next = "/";
	if ((wait = address_penalty(h->d->addresses, h->ip)) > 0)
		http_login_page(h, 429, next, "Too many wrong tokens: wait a "
		    "moment and try again.");
	else if (token == NULL || !auth_equal(token, want)) {
		address_failed(h->d->addresses, h->ip);
		log_warnx("refused a login from %s: wrong token", h->ip);
		http_login_page(h, 401, next, "That is not the token.");
	} else if (auth_session_new(id) == -1) {
		log_warn("unable to make a session");
		http_login_page(h, 500, next, "No session could be made.");
	} else {
		address_succeeded(h->d->addresses, h->ip);
		snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; "
		    "SameSite=Strict; Max-Age=%lld%s", HTTP_SESSION_COOKIE, id,
		    AUTH_SESSION_MS / 1000, h->d->tls != NULL ? "; Secure" : "");
		evhttp_add_header(evhttp_request_get_output_headers(h->req),
		    "Set-Cookie", cookie);
		evhttp_add_header(evhttp_request_get_output_headers(h->req),
		    "Location", next);
		evhttp_send_reply(h->req, 303, "See Other", NULL);
		log_info("login from %s", h->ip);
	}
	evhttp_clear_headers(&form);
	free(text);
}

int
http_auth_login(struct http_ctx *h)
{
	const char *want = h->d->cfg.token, *next = NULL;

	if (strcmp(h->path, "/login") != 0)
		return 0;
	/* A login form posted from another site's page, or by a rebound name. */
	if (h->method == EVHTTP_REQ_POST && (!http_same_origin(h) ||
	    !http_host_ours(h))) {
		http_error(h->req, 403, "cross_origin", "a login from another "
		    "site's page or host name is refused");
		return 1;
	}
	next = evhttp_find_header(&h->query, "next");
	if (!http_next_ok(next))
		next = "/";
	if (h->method == EVHTTP_REQ_POST && want != NULL)
		http_login_post(h, want);
	else
		http_login_page(h, HTTP_OK, next, want == NULL ? "This "
		    "dispatcher has no token: nothing to log in for." : NULL);
	return 1;
}

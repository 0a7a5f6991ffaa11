/* SPDX-License-Identifier: MIT */
/*
 * http_secrets.c - a repository's secrets in the JSON API (docs/API.md):
 *
 *   GET    /api/secrets?repo=URL              their names, never values
 *   PUT    /api/secrets?repo=URL&name=NAME    {"value":V[, "branches":G]}
 *   DELETE /api/secrets?repo=URL&name=NAME
 *
 * Each is checked by the protocol's own parser (as secret_list,
 * secret_set, secret_rm) and done by secrets.c, so both doors refuse the
 * same; PUT and DELETE are writes, which need the token (http_auth.c),
 * and with --http-auth so does GET.
 */
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "dispatcher.h"
#include "http.h"
#include "secrets.h"
#include "util.h"

/* The HTTP status of a refusal's code (secrets.h). */
static int
http_secrets_status(const char *code)
{
	if (strcmp(code, "bad_field") == 0)
		return HTTP_BADREQUEST;
	if (strcmp(code, "no_such_secret") == 0)
		return HTTP_NOTFOUND;
	return HTTP_INTERNAL;
}

/*
 * The query's repo and name into obj (reference taken), then obj as the
 * message of type: 0 and *msg, or -1 after answering.
 */
static int
http_secrets_message(struct http_ctx *h, json_t *obj, const char *type,
    struct proto_msg *msg)
{
	const char *keys[] = { "repo", "name" };

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = http_param(h, keys[i]);

		if (v != NULL)
			json_object_set_new(obj, keys[i], json_string(v));
	}
	return http_object_message(h, obj, type, msg);
}

static void
http_secrets_list(struct http_ctx *h)
{
	struct proto_msg msg;
	json_t *list;

	if (http_secrets_message(h, json_object(), "secret_list", &msg) == -1)
		return;
	if ((list = secrets_list_json(h->d->store, msg.repo)) == NULL)
		http_error(h->req, HTTP_INTERNAL, "store", "unable to list the "
		    "secrets of '%s'", msg.repo);
	else
		http_json(h->req, HTTP_OK, list);
	proto_msg_release(&msg);
}

static void
http_secrets_change(struct http_ctx *h, int set)
{
	struct secret_change c = { 0 };
	struct proto_msg msg;
	json_t *obj;
	char who[100];
	int rc;

	if (set && (obj = http_body_object(h)) == NULL)
		return;
	if (http_secrets_message(h, set ? obj : json_object(), set ?
	    "secret_set" : "secret_rm", &msg) == -1)
		return;
	snprintf(who, sizeof who, "the web, from %s", h->ip);
	c = (struct secret_change){ .repo = msg.repo, .name = msg.name,
	    .value = msg.value, .len = msg.value != NULL ?
	    strlen(msg.value) : 0, .branches = msg.branches, .who = who };
	rc = set ? secrets_set(h->d->store, &c) :
	    secrets_remove(h->d->store, &c);
	if (rc == -1)
		http_error(h->req, http_secrets_status(c.code), c.code, "%s",
		    c.why);
	else
		http_json(h->req, HTTP_OK, json_pack("{s:s, s:s, s:b}", "repo",
		    msg.repo, "name", msg.name, set ? "set" : "removed", 1));
	proto_msg_release(&msg);
}

int
http_api_secrets(struct http_ctx *h)
{
	if (h->method == EVHTTP_REQ_PUT)
		http_secrets_change(h, 1);
	else if (h->method == EVHTTP_REQ_DELETE)
		http_secrets_change(h, 0);
	else
		http_secrets_list(h);
	return 1;
}

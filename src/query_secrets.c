/* SPDX-License-Identifier: MIT */
/*
 * query_secrets.c - the command-line client's secrets on the protocol
 * port ("ssci secret set|list|rm"): secret_set, secret_list and
 * secret_rm, answered by secrets.c as the API's /api/secrets is.  A list
 * names the secrets; no answer ever holds a value.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dispatcher.h"
#include "secrets.h"
#include "util.h"

char *
query_secret_set(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	struct secret_change c = { .repo = msg->repo, .name = msg->name,
	    .value = msg->value, .branches = msg->branches };
	char by[100];

	snprintf(by, sizeof by, "a client at %s", who);
	c.who = by;
	c.len = msg->value != NULL ? strlen(msg->value) : 0;
	if (secrets_set(d->store, &c) == -1)
		return proto_encode_error(c.code, c.why, NULL);
	return proto_encode_ok(NULL);
}

char *
query_secret_list(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	json_t *list;

	(void)who;
	if ((list = secrets_list_json(d->store, msg->repo)) == NULL)
		return proto_encode_error("store", "unable to list the secrets",
		    NULL);
	return proto_encode_ok_json(list, NULL);
}

char *
query_secret_rm(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	struct secret_change c = { .repo = msg->repo, .name = msg->name };
	char by[100];

	snprintf(by, sizeof by, "a client at %s", who);
	c.who = by;
	if (secrets_remove(d->store, &c) == -1)
		return proto_encode_error(c.code, c.why, NULL);
	return proto_encode_ok(NULL);
}

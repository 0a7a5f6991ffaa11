/* SPDX-License-Identifier: MIT */
/*
 * pending_send.c - deliver the commits a hook could not report, from a
 * process that keeps a connection (the observer of "ssci up").
 */
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "pending.h"
#include "util.h"

struct pending_send {
	struct pending list;
	char *taken;		/* per item: delivered or refused for good */
	size_t answered;
	void (*done)(void *);
	void *arg;
};

int
pending_refusal_passes(const char *code)
{
	return code != NULL && (strcmp(code, "try_again") == 0 ||
	    strcmp(code, "queue_full") == 0 || strcmp(code, "store") == 0 ||
	    strcmp(code, "disk_full") == 0);
}

/* Write back what is left, unlock, and tell the caller. */
static void
pending_send_end(struct pending_send *ps)
{
	size_t kept = 0;

	for (size_t i = 0; i < ps->list.n; i++) {
		if (ps->taken[i]) {
			pending_item_release(&ps->list.items[i]);
			continue;
		}
		ps->list.items[kept++] = ps->list.items[i];
	}
	ps->list.n = kept;
	pending_close(&ps->list);
	ps->done(ps->arg);
	free(ps->taken);
	free(ps);
}

static void
pending_send_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct pending_send *ps = arg;
	const struct pending_item *it = &ps->list.items[ps->answered];

	(void)c;
	if (reply != NULL && reply->type == PROTO_OK) {
		log_info("reported %s, kept since a hook could not: job %lld",
		    it->commit, (long long)reply->job);
		ps->taken[ps->answered] = 1;
	} else if (reply != NULL) {
		log_warnx("dispatcher refused %s: %s", it->commit,
		    reply->message);
		ps->taken[ps->answered] = !pending_refusal_passes(reply->code);
	}
	/* A lost connection answers the rest with NULL: they stay. */
	if (++ps->answered == ps->list.n)
		pending_send_end(ps);
}

int
pending_send(struct conn *c, const char *path, void (*done)(void *),
    void *arg)
{
	struct pending_send *ps;
	int rc;

	if (!conn_is_ready(c))
		return 1;
	ps = xcalloc(1, sizeof *ps);
	rc = pending_open(&ps->list, path, 0);
	if (rc != 0 || ps->list.n == 0) {
		if (rc == 0)
			pending_release(&ps->list);
		free(ps);
		return rc == -1 ? -1 : 1;
	}
	ps->taken = xcalloc(ps->list.n, 1);
	ps->done = done;
	ps->arg = arg;
	/* The connection is ready: every request is taken, and answered. */
	for (size_t i = 0; i < ps->list.n; i++) {
		const struct pending_item *it = &ps->list.items[i];
		/* What a hook could not report: the hook's push still. */
		struct proto_dispatch msg = { .repo = it->repo,
		    .commit = it->commit, .branch = it->branch,
		    .rebuild = it->rebuild, .trigger = "hook" };

		conn_request(c, proto_encode_dispatch_msg(&msg, NULL),
		    pending_send_reply, ps);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * outbox.h - messages that must reach someone outside, sent from the
 * store's outbox (outbox.c): commit statuses to forges, notifications to
 * URLs (JSON POSTs) and by mail (sendmail).
 *
 * A message is kept in the store before anything is sent, and taken out
 * only once its target took it (2xx, sendmail's 0) or refused it for
 * good (4xx, logged): so a restart, even a kill -9, loses none.  Messages
 * of one key (a commit's status in one context) go one at a time, in
 * order.  A target that fails (no answer, 5xx, 429) is paused with
 * backoff: 1 s, doubling, at most OUTBOX_BACKOFF_MAX_MS.  HTTP goes
 * through libcurl's multi interface on the loop, so a slow forge costs
 * the loop nothing; libcurl is loaded at run time, and only with an HTTP
 * target (outbox_load).
 */
#ifndef SSCI_OUTBOX_H
#define SSCI_OUTBOX_H

#include <stddef.h>

struct event_base;
struct forges;
struct outbox;
struct store;

#define OUTBOX_BACKOFF_MAX_MS 30000
/* A target's messages on their way at once (one while it fails). */
#define OUTBOX_INFLIGHT 4
/* What one answer of a target may say in the log. */
#define OUTBOX_REPLY_MAX 300

/*
 * What outbox_new will need for these targets, loaded at start-up,
 * before the dispatcher listens: libcurl if any target is HTTP (a forge
 * of f with a token, one of nurls URLs), nothing for mail alone.  0, or
 * -1 with the reason logged: the dispatcher must not start.
 */
int outbox_load(const struct forges *f, size_t nurls);

/*
 * Send the outbox's messages to forges (target "forge:NAME", those of f
 * with a token), to urls ("url:URL") and, if mail, by mail ("mail");
 * state_dir keeps a mail's text while sendmail reads it.
 */
struct outbox *outbox_new(struct event_base *base, struct store *store,
    const struct forges *f, const char *const *urls, size_t nurls, int mail,
    const char *state_dir);
void outbox_free(struct outbox *o);

/* Keep a message in the store and send it soon: 0 or -1. */
int outbox_put(struct outbox *o, const char *target, const char *key,
    const char *url, const char *body);

/* Messages on their way now, of every target (for /metrics). */
int outbox_inflight(const struct outbox *o);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * statuses.h - what the dispatcher tells others when jobs change: commit
 * statuses for forges (statuses.c) and broken/fixed notifications
 * (notices.c), both put in the outbox (outbox.h) to be sent.
 */
#ifndef SSCI_STATUSES_H
#define SSCI_STATUSES_H

#include <stddef.h>
#include <stdint.h>

struct bisection;
struct forges;
struct outbox;
struct statuses;
struct notices;
struct store;

/*
 * Statuses of the jobs of allowed repositories of forges with a token,
 * linking to public_url's job pages (no trailing '/').
 */
struct statuses *statuses_new(struct store *store, struct outbox *outbox,
    const struct forges *forges, const char *public_url);
void statuses_free(struct statuses *st);

/*
 * Job id was queued, started or finished: the statuses of its pipeline
 * (context "ssci") and, in a pipeline of several jobs, of the job
 * ("ssci/NAME"), each sent when its state changed.
 */
void statuses_job(struct statuses *st, int64_t id);

/*
 * Notifications of branches that broke or were fixed (and, with all,
 * every failure) to urls (JSON) and mail addresses.
 */
struct notices *notices_new(struct store *store, struct outbox *outbox,
    const char *const *urls, size_t nurls, const char *const *mails,
    size_t nmails, int all, const char *public_url);
void notices_free(struct notices *n);

/* Job id finished: if its pipeline is over, whether its branch changed. */
void notices_job(struct notices *n, int64_t id);
/* A bisection ended: the culprit it found is told ("culprit"). */
void notices_bisection(struct notices *n, const struct bisection *b);

/*
 * A mail header's text (malloc'd): control characters made spaces, and
 * past ASCII as RFC 2047 encoded words, folded.
 */
char *notices_header_text(const char *s);

/* A mail address --notify-email takes: local@domain, nothing else. */
int notices_address_valid(const char *address);

#endif

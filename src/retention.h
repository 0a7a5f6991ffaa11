/* SPDX-License-Identifier: MIT */
/*
 * retention.h - old jobs go: --keep-days and --keep-jobs, applied by a
 * timer in small steps (store_prune), each job's log and artifacts
 * removed with it, so that the loop never waits long and the disk does
 * not grow without end.
 */
#ifndef SSCI_RETENTION_H
#define SSCI_RETENTION_H

#include <stdint.h>

struct artifact_prune;
struct event_base;
struct joblogs;
struct store;

#define RETENTION_FIRST_MS 1000		/* the first pass, after start */
#define RETENTION_PASS_MS (10 * 60 * 1000)	/* between passes */
/* A dispatch that comes during a step waits for it: short steps. */
#define RETENTION_GAP_MS 10		/* between steps of a pass */
#define RETENTION_STEP_US 3000		/* what a step aims to take */

struct retention;

/*
 * Prune the store's jobs that ended over keep_days days ago and are
 * beyond the newest keep_jobs of their branch, with their logs and their
 * artifacts' folders (artifacts may be NULL); NULL (and nothing to do)
 * when either is 0, which keeps everything.
 */
struct retention *retention_new(struct event_base *base, struct store *store,
    const struct joblogs *logs, struct artifact_prune *artifacts,
    int keep_days, int keep_jobs);
void retention_free(struct retention *r);
/* New limits (a reload), both 1 or more: from the next step on. */
void retention_set(struct retention *r, int keep_days, int keep_jobs);

/* For /metrics: jobs removed since start, the slowest step (µs). */
int64_t retention_removed(const struct retention *r);
int64_t retention_slowest_us(const struct retention *r);

#endif

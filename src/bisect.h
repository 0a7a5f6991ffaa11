/* SPDX-License-Identifier: MIT */
/*
 * bisect.h - finding the first failing push of a coalescing branch
 * (docs/QUEUE.md).  When a push fails after pushes that were skipped
 * (superseded), and the push tested before them passed, the skipped
 * pushes are tested halfway, one run at a time, until the first failing
 * one is named.  Everything it knows is in the store (the bisection, its
 * runs as pipelines), so it resumes after a restart.
 */
#ifndef SSCI_BISECT_H
#define SSCI_BISECT_H

#include <stdint.h>

#include "job.h"

struct sched;
struct store;

/* Told when a bisection ends; b's state says "found" or "stopped". */
typedef void (*bisect_ended_cb)(const struct bisection *b, void *arg);

struct bisect *bisect_new(struct store *store, struct sched *sched,
    bisect_ended_cb ended, void *arg);
void bisect_free(struct bisect *b);
/* A job finished: if that ended its pipeline, a bisection may start or go
 * on. */
void bisect_job_finished(struct bisect *b, int64_t job);
/*
 * Each running bisection takes its next step if it has none queued or
 * running: at start (after a kill mid-bisection) and once a heartbeat
 * (a run the full queue or disk refused).
 */
void bisect_resume(struct bisect *b);

#endif

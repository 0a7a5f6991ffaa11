/* SPDX-License-Identifier: MIT */
/*
 * schedule.h - the dispatcher's scheduled builds (--schedule 'REPO BRANCH
 * CRON', docs/QUEUE.md): at each time the cron expression names, in the
 * dispatcher's time zone, the branch's tip (its latest pipeline not run
 * by a bisection) is queued again as a rebuild whose trigger is
 * "schedule", unless that pipeline has not started yet.  Each schedule's
 * last run is kept in the store, so a time missed while the dispatcher
 * was down is run once when it returns, not once per missed time.
 */
#ifndef SSCI_SCHEDULE_H
#define SSCI_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sched;
struct store;

/*
 * Whether text is a schedule, "REPO BRANCH CRON" (a repository URL or
 * path, a branch name, five cron fields): 0, or -1 with err saying why.
 */
int schedule_spec_check(const char *text, char *err, size_t size);

/*
 * --test-schedule-clock EPOCH[,SPEED], for tests: the schedules' clock
 * starts at EPOCH (seconds since 1970) when the dispatcher starts and
 * runs SPEED times as fast as the real one (default 1).  0, or -1 with
 * err saying why.
 */
int schedule_clock_parse(const char *text, int64_t *epoch_s, double *speed,
    char *err, size_t size);

/*
 * Start the schedules (texts checked by schedule_spec_check), each with a
 * timer on base; a run missed while the dispatcher was down is queued
 * from the loop, not before this returns.  clock is
 * --test-schedule-clock's text (checked by schedule_clock_parse) or NULL
 * for the real clock.  NULL if there are none.
 */
struct schedules *schedules_new(struct event_base *base, struct store *store,
    struct sched *sched, const char *const *specs, size_t n,
    const char *clock);
void schedules_free(struct schedules *s);

#endif

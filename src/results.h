/* SPDX-License-Identifier: MIT */
/*
 * results.h - the seed's plain results files, RESULTS/<commit>: once a
 * pipeline ends, its jobs' logs followed by one "result:" line (see
 * results_body.c), written atomically
 * (temporary file, fsync, rename).  A file that cannot be written now is
 * tried again on a timer with backoff (up to RESULTS_RETRY_MAX_S apart),
 * with the commit's latest result then; at start-up every finished
 * commit's file is checked, RESULTS_SWEEP_PAGE commits a turn of the loop,
 * and written again if it is missing or holds an older result.
 */
#ifndef SSCI_RESULTS_H
#define SSCI_RESULTS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct job;
struct joblogs;
struct pipeline;
struct store;

#define RESULTS_RETRY_MAX_S 30
#define RESULTS_SWEEP_PAGE 200

struct results;

/* Files in dir (which exists), from the jobs of store and their logs. */
struct results *results_new(struct event_base *base, struct store *store,
    const struct joblogs *logs, const char *dir);
void results_free(struct results *results);
/*
 * Job id has ended: once its pipeline is over, write the file of its
 * commit now, or later.  0 if written now or not due yet.
 */
int results_write(struct results *results, int64_t id);
/* Begin the start-up check. */
void results_check_all(struct results *results);

/* results_body.c */
/*
 * What the file of pipeline p holds, written to out (outpath, for
 * messages): 0, or -1 (logged).  own: p's own job as just read, or NULL
 * to read it when p is one job.
 */
int results_body(struct store *store, const struct joblogs *logs,
    const struct pipeline *p, const struct job *own, int out,
    const char *outpath);
/* How p's file ends (" job=N\n" or " pipeline=N\n") into buf: its length. */
size_t results_tail(const struct pipeline *p, char *buf, size_t size);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * artifact_prune.h - the dispatcher's artifact files (docs/ARTIFACTS.md):
 * where they live, STATE/artifacts/JOB/PATH; the expired ones removed by a
 * pass every ARTIFACT_EXPIRE_PASS_MS (and at start), in steps; and the
 * folder of each job retention prunes moved aside at once and removed by
 * an rm child, so that a folder of thousands of files never holds the
 * loop.
 */
#ifndef SSCI_ARTIFACT_PRUNE_H
#define SSCI_ARTIFACT_PRUNE_H

#include <stdint.h>

struct event_base;
struct store;

#define ARTIFACT_EXPIRE_PASS_MS (60 * 1000)	/* between expiry passes */
#define ARTIFACT_EXPIRE_STEP 256	/* rows (and files) a step removes */
#define ARTIFACT_EXPIRE_GAP_MS 10	/* between steps of a pass */
#define ARTIFACT_RM_BATCH 64		/* folders one rm child removes */

/* STATE/artifacts/JOB, and STATE/artifacts/JOB/PATH (malloc'd). */
char *artifact_job_dir(const char *state_dir, int64_t job);
char *artifact_file(const char *state_dir, int64_t job, const char *path);

struct artifact_prune;

/*
 * Start the expiry passes on base (the first at once) and remove what a
 * stopped dispatcher left moved aside; NULL if STATE/artifacts cannot be
 * made (said).
 */
struct artifact_prune *artifact_prune_new(struct event_base *base,
    struct store *store, const char *state_dir);
/* A running rm child is left to spawn_shutdown. */
void artifact_prune_free(struct artifact_prune *ap);

/*
 * Job's rows are gone from the store (retention): its folder, if it has
 * one, is moved aside now and removed by an rm child soon.  ap may be NULL.
 */
void artifact_prune_job(struct artifact_prune *ap, int64_t job);

#endif

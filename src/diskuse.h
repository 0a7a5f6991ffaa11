/* SPDX-License-Identifier: MIT */
/*
 * diskuse.h - the disk under the state dir and the results dir: how much
 * each folder holds (a walk in small steps, for /metrics and the status),
 * how much room is left, and while either file system has less than
 * --min-free, new dispatches refused with the reason (sched_set_refusal)
 * instead of a job failing halfway; jobs already taken go on.
 */
#ifndef SSCI_DISKUSE_H
#define SSCI_DISKUSE_H

#include <stdint.h>

struct event_base;
struct sched;

#define DISKUSE_TICK_MS 250		/* free space checked this often */
#define DISKUSE_STEP_ENTRIES 1000	/* folder entries a tick looks at */
#define DISKUSE_WALK_MS 60000		/* a new walk at most this often */
#define DISKUSE_DEPTH 8			/* folders deeper are not counted */
#define DISKUSE_DEFAULT_MIN_FREE (1LL << 30)
#define DISKUSE_DEFAULT_MIN_PERCENT 5

enum diskuse_dir { DISKUSE_STATE, DISKUSE_RESULTS, DISKUSE_DIRS };

/* --min-free: bytes, or a percentage of the file system's size. */
struct diskuse_min {
	int64_t bytes;		/* -1: the default */
	int percent;		/* 1 to 99, or 0: bytes */
};

/* "512M", "2G", "5%": 0 and *min, or -1. */
int diskuse_min_parse(const char *s, struct diskuse_min *min);

struct diskuse;

struct diskuse *diskuse_new(struct event_base *base, struct sched *sched,
    const char *state_dir, const char *results_dir,
    const struct diskuse_min *min);
void diskuse_free(struct diskuse *du);
/* A new --min-free (a reload), applied at once. */
void diskuse_set_min(struct diskuse *du, const struct diskuse_min *min);

struct diskuse_figures {
	const char *path;
	int64_t used;		/* bytes the folder holds; -1 until walked */
	int64_t free;		/* bytes free for us on its file system */
	int64_t size;		/* the file system's size */
	int64_t min_free;	/* under this, dispatches are refused */
};

void diskuse_get(const struct diskuse *du, enum diskuse_dir which,
    struct diskuse_figures *out);
/* Why dispatches are refused now, or NULL. */
const char *diskuse_refusing(const struct diskuse *du);

#endif

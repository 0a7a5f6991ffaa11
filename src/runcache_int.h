/* SPDX-License-Identifier: MIT */
/*
 * runcache_int.h - what the files of a runner's caches share: runcache.c
 * (restores and saves, tar on the loop) calls runcache_disk.c (paths,
 * keys, the folder ROOT), never the other way.
 */
#ifndef SSCI_RUNCACHE_INT_H
#define SSCI_RUNCACHE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runcache.h"

/* ROOT/.tmp: tar's folders, each holding the links tree and home. */
#define RUNCACHE_STAGES ".tmp"

/* A size for a note: "12 KiB", "3.4 MiB", "1.2 GiB"; buf returned. */
const char *runcache_size(int64_t bytes, char *buf, size_t size);

/*
 * Where base/rel (base resolved) leads: 1 if inside base, *exists saying
 * whether it is there and, when it is not, *top (if not NULL, malloc'd)
 * the first of its steps that is missing; 0 if a symbolic link on the way
 * (or at its end) leads out of base or nowhere, or a step cannot be
 * looked at.
 */
int runcache_inside(const char *base, const char *rel, int *exists,
    char **top);

/* ROOT/<repo>/<branch>, each the start of its SHA-256 (malloc'd). */
char *runcache_dir(const char *root, const char *repo, const char *branch);

/* A tar folder's two links removed, then the folder. */
void runcache_unstage_dir(const char *stage);

/* The temporary tars of dir that another process than except left. */
void runcache_clean_tmp(const char *dir, pid_t except);

/*
 * The least recently used caches of root (by mtime) removed, keep never,
 * until they hold at most max bytes: how many went, *freed their bytes.
 */
int runcache_evict(const char *root, int64_t max, const char *keep,
    int64_t *freed);

#endif

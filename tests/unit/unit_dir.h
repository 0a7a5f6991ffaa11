/* SPDX-License-Identifier: MIT */
/*
 * unit_dir.h - a unit test's temporary folder: made under $TMPDIR (else
 * /tmp) as "ssci-NAME-XXXXXX", removed with all it holds.
 */
#ifndef SSCI_UNIT_DIR_H
#define SSCI_UNIT_DIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* dir (size bytes) becomes a new folder's path: 0, or -1. */
static inline int
unit_dir_make(char *dir, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, size, "%s/ssci-%s-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", name);
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static inline int
unit_dir_remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void
unit_dir_remove(const char *dir)
{
	nftw(dir, unit_dir_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif

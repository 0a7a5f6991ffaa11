/* SPDX-License-Identifier: MIT */
/*
 * reportglob.h - the files a report pattern ("build/junit-*.xml", as
 * plan_report_valid allows) names inside a job's tree, found without ever
 * following a symbolic link, looking at a bounded number of directory
 * entries: a commit can hold a link to "/" and a pattern of many "*"
 * levels, and the runner's loop must not walk the machine's disk.
 *
 * Each part of the pattern between slashes is matched against one level
 * of the tree, with fnmatch (a leading '.' only by a '.' of the pattern;
 * no "**"); "." parts are skipped.  A part without "*", "?" or "[" is
 * looked up directly, reading no directory.
 */
#ifndef SSCI_REPORTGLOB_H
#define SSCI_REPORTGLOB_H

#include <stddef.h>

enum report_glob_kind {
	REPORT_GLOB_FILE,	/* a regular file */
	REPORT_GLOB_LINK,	/* a symbolic link: not followed */
	REPORT_GLOB_OTHER,	/* a FIFO, a device, a folder, ... */
};

/* rel: the path found, relative to the tree. */
typedef void (*report_glob_cb)(const char *rel, enum report_glob_kind kind,
    void *arg);

/*
 * Call cb for what pattern names under tree (a real path), in order (each
 * folder's names sorted).  *budget is how many directory entries may
 * still be read, and is lowered by those read.  0, or -1 when the budget
 * ran out first (what was found before was given).
 */
int report_glob(const char *tree, const char *pattern, size_t *budget,
    report_glob_cb cb, void *arg);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * runplan.h - the runner's part of pipelines (runplan.c).
 */
#ifndef SSCI_RUNPLAN_H
#define SSCI_RUNPLAN_H

#include <stddef.h>

/*
 * Read TREE/.ssci.yml: 1 and *text (malloc'd, NUL-terminated) and *len;
 * 0 if there is none; -1 with err saying why it cannot be used (a link,
 * not a regular file, too large, unreadable).
 */
int runplan_read(const char *tree, char **text, size_t *len, char *err,
    size_t errsize);

/*
 * The argument vector that runs run's commands in order, stopping at the
 * first that fails (malloc'd array; the strings are run's).
 */
const char **runplan_argv(char *const *run, size_t nrun);

#endif

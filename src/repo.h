/* SPDX-License-Identifier: MIT */
/*
 * repo.h - facts about a local git repository, asked of git at start-up
 * (these run git synchronously: never from inside the event loop).
 */
#ifndef SSCI_REPO_H
#define SSCI_REPO_H

/* The absolute .git folder of the repository at path, or NULL (logged). */
char *repo_git_dir(const char *path);
/* The same, or NULL without a word: path need not be in a repository. */
char *repo_git_dir_quiet(const char *path);

/* The repository's own absolute path: its work tree, or its git dir if bare. */
char *repo_self(const char *path);

/*
 * The URL runners should fetch from: the origin remote's URL (a relative
 * local path made absolute), or, with no origin, the repository's own
 * absolute path (its work tree, or the git dir when bare).  NULL on error.
 * *has_origin tells which.
 */
char *repo_url(const char *path, int *has_origin);

/* The checked-out branch's short name, or NULL if HEAD is detached. */
char *repo_current_branch(const char *path);

/* Resolve a revision to a full commit id in out; 0, or -1 (logged). */
int repo_resolve_commit(const char *path, const char *rev, char out[65]);

#endif

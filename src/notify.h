/* SPDX-License-Identifier: MIT */
/*
 * notify.h - "ssci notify": notify.c reports the commits to the
 * dispatcher and keeps what it could not deliver (pending.c);
 * notify_git.c finds the commits and what git knows of them.
 */
#ifndef SSCI_NOTIFY_H
#define SSCI_NOTIFY_H

#include <stddef.h>

#include "cmd_client.h"

enum notify_outcome {
	NOTIFY_UNSENT,		/* not answered (yet) */
	NOTIFY_DELIVERED,
	NOTIFY_REFUSED,		/* for good: dropped */
	NOTIFY_LATER,		/* refused for now: kept */
};

struct notify_item {
	char commit[65];
	char *branch;		/* may be NULL */
	char *repo;		/* a pending item's own, else NULL: notify's */
	int rebuild;
	int described;		/* git log said who wrote it and what it is */
	char *author;		/* from git log, or NULL */
	char *subject;		/* the same */
	enum notify_outcome outcome;
};

struct notify {
	struct cmd_client client;	/* the loop and the connection */
	char *repo;
	char *branch;
	int rebuild;
	char *priority;		/* --priority: high, normal or low, or NULL */
	int post_receive;	/* the commits come as a hook's lines */
	int flush;		/* only what earlier runs kept */
	struct notify_item *items;
	size_t nitems;
	size_t answered;
	int failed;
	char *gitdir;		/* of the repository it runs in, or NULL */
};

/* notify_git.c */
/* Add commit (a full id) on branch (may be NULL) to the items. */
void notify_add(struct notify *n, const char *commit, const char *branch);
/* Describe every item not described yet, with one git log. */
void notify_describe(struct notify *n);
/* The git dir, the repository's name and its branch: 0, or -1 (logged). */
int notify_repo_facts(struct notify *n);
/* Items for the revisions named: 0, or -1 (logged). */
int notify_revisions(struct notify *n, char **revs, int nrevs);
/* Items for the "old new ref" lines of a post-receive hook on stdin. */
int notify_post_receive(struct notify *n);

#endif

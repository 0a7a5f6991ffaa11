/* SPDX-License-Identifier: MIT */
/*
 * pending.h - commits that could not be reported, kept in the repository
 * (.git/ssci/pending) until they are: "ssci notify" adds what its
 * dispatcher did not take, and the next notify, "notify --flush" or the
 * observer of "ssci up" delivers them, oldest first.
 *
 * The file has a line per commit, "COMMIT TAB BRANCH TAB REPO TAB FLAGS"
 * (BRANCH "-" for none; FLAGS "rebuild" or "-"), and is replaced
 * atomically under a lock (FILE.lock), so that two hooks at once lose
 * nothing.  Lines that do not read as that are dropped.
 */
#ifndef SSCI_PENDING_H
#define SSCI_PENDING_H

#include <stddef.h>

struct pending_item {
	char commit[65];
	char *branch;		/* may be NULL */
	char *repo;
	int rebuild;
};

struct pending {
	char *path;
	int lock_fd;		/* held while the list is ours */
	struct pending_item *items;
	size_t n;
};

/*
 * Lock path and read it (absent: no items).  wait: block until the lock is
 * free, else give up at once.  0; 1 if another process holds it (not
 * waiting); -1 on error (logged).
 */
int pending_open(struct pending *p, const char *path, int wait);

/* Add an item, unless the same commit of the same repository is there. */
void pending_add(struct pending *p, const char *commit, const char *branch,
    const char *repo, int rebuild);

/* Write the items back (the file goes when none is left) and unlock. */
int pending_close(struct pending *p);

/* Release without writing. */
void pending_release(struct pending *p);

/*
 * pending_send.c: deliver the list at path over c (a connection to the
 * dispatcher, ready), as an observer does between polls, and write back
 * what was not taken; done(arg) is called when that is over.  Returns 0
 * when it started, 1 if there is nothing to send (or another process has
 * the list now: next time), -1 on error; done is called only after 0.
 */
struct conn;
int pending_send(struct conn *c, const char *path, void (*done)(void *),
    void *arg);

/* Whether a dispatcher's refusal (its error code) may pass by itself. */
int pending_refusal_passes(const char *code);

/* Parse one line (without its newline) into *item: 0, or -1. */
int pending_parse_line(const char *line, struct pending_item *item);
void pending_item_release(struct pending_item *item);

#endif

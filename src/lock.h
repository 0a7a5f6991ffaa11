/* SPDX-License-Identifier: MIT */
/*
 * lock.h - one process per folder: an exclusive flock on a lock file,
 * held for the life of the process.  The file says who holds it ("pid N",
 * and what the holder adds: its address, the "ssci up" that started it),
 * so that a second process can say whom it found there.
 *
 * Usage: lock_take, then lock_note to add lines once they are known; the
 * lock goes when the process exits (the descriptor is close-on-exec, so
 * no child keeps it).
 */
#ifndef SSCI_LOCK_H
#define SSCI_LOCK_H

#include <sys/types.h>

/* What a lock file says about its holder. */
struct lock_holder {
	pid_t pid;		/* 0 if it does not say */
	pid_t up;		/* the "ssci up" that started it, or 0 */
	char address[128];	/* "" if it does not say */
	char name[128];		/* a runner's name, "" if none */
};

/*
 * Take the lock at path (creating the file).  Returns its descriptor; -2
 * if another process holds it (*holder then says who, if holder is not
 * NULL); -1 after logging any other error.
 */
int lock_take(const char *path, struct lock_holder *holder);

/* Write the holder's lines again: pid, then "key value" for each set field. */
void lock_note(int fd, const struct lock_holder *self);

/*
 * Whether path is locked by a live process now: 1 and *holder filled, 0 if
 * not (or there is no such file), -1 on error.
 */
int lock_probe(const char *path, struct lock_holder *holder);

/* Read the lines of a lock file into *holder (zeroed first). */
void lock_parse(const char *text, struct lock_holder *holder);

#endif

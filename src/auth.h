/* SPDX-License-Identifier: MIT */
/*
 * auth.h - shared-secret tokens: reading them, comparing them in constant
 * time, and browser sessions.  (Slowing down an address that keeps
 * guessing is address.c's.)
 */
#ifndef SSCI_AUTH_H
#define SSCI_AUTH_H

#include <stdint.h>

/*
 * The token in file (its first line, without surrounding blanks), or NULL
 * after logging why not: unreadable, empty, or readable by others (a
 * secret in a world-readable file is no secret).
 */
char *auth_read_token(const char *file);

/*
 * The token a program should use: from file if given, else $SSCI_TOKEN,
 * else NULL.  Exits if file is given but unusable.
 */
char *auth_token(const char *file);

/* Whether a equals b, taking the same time wherever they differ. */
int auth_equal(const char *a, const char *b);

/*
 * Browser sessions, made by a login with the token: a random id that a
 * cookie carries instead of the token, valid for AUTH_SESSION_MS, at most
 * AUTH_SESSIONS at once (the oldest goes first).  They live in memory: a
 * restart logs everyone out.
 */
#define AUTH_SESSIONS 64
#define AUTH_SESSION_MS (7LL * 24 * 3600 * 1000)

/* A new session's id (64 hex digits) into id: 0, or -1 without randomness. */
int auth_session_new(char id[65]);

/* Whether id names a live session. */
int auth_session_valid(const char *id);

#endif

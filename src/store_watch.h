/* SPDX-License-Identifier: MIT */
/*
 * store_watch.h - the dispatcher's watch on its store's connection, when
 * the store is on a server (PostgreSQL): losing it loses the active lock,
 * and the dispatcher goes back to standing by.
 */
#ifndef SSCI_STORE_WATCH_H
#define SSCI_STORE_WATCH_H

/* Set for the dispatcher started again: it waits for its server. */
#define STORE_WATCH_AGAIN "SSCI_STORE_AGAIN"

struct event_base;
struct store;
struct store_watch;

/*
 * Watch store's connection on base; when it is lost, start this command
 * line (argv: "dispatcher" and its options) again in this process, which
 * closes every connection and waits for the active lock.  A store with no
 * connection (SQLite) is never lost.
 */
struct store_watch *store_watch_new(struct event_base *base,
    struct store *store, int argc, char **argv);
void store_watch_free(struct store_watch *watch);

#endif

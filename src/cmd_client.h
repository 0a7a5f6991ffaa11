/* SPDX-License-Identifier: MIT */
/*
 * cmd_client.h - the life of a program that runs one event loop and talks
 * to the dispatcher: the runner, the observer, notify, the client commands
 * (status, jobs, log, cancel, retry) and, without a connection, "ssci up".
 * What differs between them is said once, in a struct cmd_client_kind;
 * each keeps only what is its own.
 *
 * Usage: the command's option table fills the struct cmd_client in it
 * (--dispatcher-server, CMD_SECURITY_OPTIONS, -v); then cmd_client_init
 * (the log), the command's own start-up, cmd_client_start (the loop),
 * cmd_client_connect (token, TLS, connection), cmd_client_run; then, once
 * the command has freed its own events, cmd_client_end.
 */
#ifndef SSCI_CMD_CLIENT_H
#define SSCI_CMD_CLIENT_H

#include "cmd.h"
#include "conn.h"

struct cmd_client_kind {
	const char *log_name;	/* what its log lines say it is: "runner" */
	int daemon;		/* runs for long: time-stamped log lines */
	int spawns;		/* runs children on the loop (spawn.c) */
	/*
	 * On SIGINT or SIGTERM: on_signal(sig, arg) if set, else leave the
	 * loop if stop_on_signals, else the default (the process dies).
	 */
	int stop_on_signals;
	void (*on_signal)(int sig, void *arg);
	/* The connection; cbs NULL for a program without one. */
	const struct conn_callbacks *cbs;
	enum proto_role role;
	int reconnect;		/* try again when the connection is lost */
	/*
	 * Without --dispatcher-server: the dispatcher cmd_target_find finds,
	 * with the token "ssci up" left beside its address; else the default.
	 */
	int find_dispatcher;
};

struct cmd_client {
	/* From the command line. */
	const char *server;	/* --dispatcher-server, or NULL */
	struct cmd_security sec;
	int verbose;
	/* Where "ssci up" left its address; NULL: the current folder's. */
	const char *gitdir;
	/* Made from here on, and undone by cmd_client_end. */
	const struct cmd_client_kind *kind;
	void *arg;		/* for the connection's callbacks and on_signal */
	struct event_base *base;
	struct cmd_signals *sigs;
	struct conn_auth auth;
	struct cmd_target target;
	struct conn *conn;
};

/* Set the log up as kind says and ignore SIGPIPE; nothing is made yet. */
void cmd_client_init(struct cmd_client *c, const struct cmd_client_kind *kind,
    void *arg);

/* The event loop, children's watch and signals, as kind says. */
void cmd_client_start(struct cmd_client *c);

/*
 * Load the token and TLS (exits if one is unusable) and connect: 0, or -1
 * if the dispatcher's address is unusable (logged).
 */
int cmd_client_connect(struct cmd_client *c);

/* Run the loop until something leaves it. */
void cmd_client_run(struct cmd_client *c);

/* Kill children, close the connection, free what the steps above made. */
void cmd_client_end(struct cmd_client *c);

#endif

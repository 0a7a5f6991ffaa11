/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the ssci subcommands and the helpers they share for their
 * command lines.  Each command is one entry in main.c's table.
 */
#ifndef SSCI_CMD_H
#define SSCI_CMD_H

#include <getopt.h>

int cmd_dispatcher(int argc, char **argv);
int cmd_runner(int argc, char **argv);
int cmd_observer(int argc, char **argv);
int cmd_notify(int argc, char **argv);
int cmd_hook(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_retry(int argc, char **argv);

/*
 * Leave base's loop on SIGINT or SIGTERM, logging which; the events are
 * freed by cmd_signals_free.
 */
struct cmd_signals;
struct event_base;
struct cmd_signals *cmd_stop_on_signals(struct event_base *base);
void cmd_signals_free(struct cmd_signals *s);

/* Print usage to stdout and exit 0 (for --help). */
void cmd_help(const char *usage) __attribute__((noreturn));

/* Print usage to stderr and exit 2 (for a wrong option). */
void cmd_usage(const char *usage) __attribute__((noreturn));

/*
 * The number given to the option whose getopt value is ch, within
 * [min, max]; a bad one is reported with the option's name and exits 2.
 */
long cmd_number(const char *usage, const struct option *opts, int ch,
    const char *arg, long min, long max);

/*
 * How a client command reaches the dispatcher: --token-file FILE (else
 * $SSCI_TOKEN), --tls-ca FILE or --tls (the system's CA store).  Put
 * CMD_SECURITY_OPTIONS in the option table, pass every option to
 * cmd_security_option, then cmd_conn_auth makes what conn_new takes.
 */
struct conn_auth;

struct cmd_security {
	const char *token_file;
	const char *tls_ca;
	int tls;
};

#define CMD_OPT_TOKEN_FILE 256
#define CMD_OPT_TLS_CA 257
#define CMD_OPT_TLS 258
#define CMD_SECURITY_OPTIONS \
	{ "token-file", required_argument, NULL, CMD_OPT_TOKEN_FILE }, \
	{ "tls-ca", required_argument, NULL, CMD_OPT_TLS_CA }, \
	{ "tls", no_argument, NULL, CMD_OPT_TLS }
#define CMD_SECURITY_USAGE "[--token-file FILE] [--tls | --tls-ca FILE]"

/* 1 if ch was one of the security options (and is noted in sec), else 0. */
int cmd_security_option(struct cmd_security *sec, int ch, const char *arg);

/* Load the token and the TLS context; exits if one is unusable. */
void cmd_conn_auth(const struct cmd_security *sec, struct conn_auth *auth);

/* Free what cmd_conn_auth loaded. */
void cmd_conn_auth_release(struct conn_auth *auth);

#endif

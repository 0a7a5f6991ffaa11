/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the ssci subcommands and the helpers they share for their
 * command lines.  Each command is one entry in main.c's table.
 */
#ifndef SSCI_CMD_H
#define SSCI_CMD_H

#include <getopt.h>
#include <stdint.h>

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
/* The same, but fn(sig, arg) is called instead, if it is not NULL. */
struct cmd_signals *cmd_on_signals(struct event_base *base,
    void (*fn)(int sig, void *arg), void *arg);
void cmd_signals_free(struct cmd_signals *s);

/*
 * cmd_opt.c: a command's options as one table, from which both getopt's
 * and the help are made, so that they cannot drift apart.  Each command
 * has a struct cmd_spec; cmd_getopt is getopt_long over it.
 */
struct cmd_opt {
	const char *name;	/* the long name, without "--" */
	int has_arg;		/* no_argument or required_argument */
	int val;		/* what cmd_getopt returns for it */
	const char *arg;	/* its value's name in the help: "PORT" */
	const char *def;	/* its default as the help says it, or NULL */
	const char *help;	/* what it does */
};

struct cmd_spec {
	const char *synopsis;	/* "usage: ssci NAME ...\n", whole lines */
	const char *shorts;	/* getopt's short options: "vh" */
	const struct cmd_opt *opts;	/* ended by a NULL name */
};

#define CMD_MAX_OPTS 48
#define CMD_OPT_VERBOSE { "verbose", no_argument, 'v', NULL, NULL, \
	"log more (-v)" }
#define CMD_OPT_HELP { "help", no_argument, 'h', NULL, NULL, \
	"print this help (-h)" }
#define CMD_OPT_END { NULL, 0, 0, NULL, NULL, NULL }

/* The next option (getopt_long's answer) of argv by spec. */
int cmd_getopt(int argc, char **argv, const struct cmd_spec *spec);

/* The synopsis and every option with its meaning and default; exit 0. */
void cmd_help(const struct cmd_spec *spec) __attribute__((noreturn));

/* The synopsis and where the help is, on stderr; exit 2. */
void cmd_usage(const struct cmd_spec *spec) __attribute__((noreturn));

/*
 * The number given to the option whose value is ch, within [min, max]; a
 * bad one is reported with the option's name and exits 2.
 */
long cmd_number(const struct cmd_spec *spec, int ch, const char *arg,
    long min, long max);

/* The same for seconds with up to three decimals, in milliseconds. */
int64_t cmd_millis(const struct cmd_spec *spec, int ch, const char *arg,
    int64_t min, int64_t max);

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
	{ "token-file", required_argument, CMD_OPT_TOKEN_FILE, "FILE", \
	    "$SSCI_TOKEN", "the token to say hello with" }, \
	{ "tls-ca", required_argument, CMD_OPT_TLS_CA, "FILE", NULL, \
	    "speak TLS and check the dispatcher's certificate against this " \
	    "CA" }, \
	{ "tls", no_argument, CMD_OPT_TLS, NULL, NULL, \
	    "speak TLS, checking the certificate against the system's CAs" }

/* 1 if ch was one of the security options (and is noted in sec), else 0. */
int cmd_security_option(struct cmd_security *sec, int ch, const char *arg);

/* Load the token and the TLS context; exits if one is unusable. */
void cmd_conn_auth(const struct cmd_security *sec, struct conn_auth *auth);

/* Free what cmd_conn_auth loaded. */
void cmd_conn_auth_release(struct conn_auth *auth);

/*
 * The dispatcher a client talks to: --dispatcher-server as given, else
 * the address "ssci up" left in the repository the command runs in
 * (gitdir/ssci/dispatcher.addr), else $SSCI_DISPATCHER, else
 * localhost:8888.  from says which, for -v and "ssci status"; token_file
 * is the token "ssci up" left beside the address (gitdir/ssci/token), if
 * there is one.
 */
#define CMD_DEFAULT_DISPATCHER "localhost:8888"

struct cmd_target {
	char *server;
	const char *from;
	int is_default;
	char *token_file;
};

/* gitdir may be NULL: then the repository of the current folder, if any. */
void cmd_target_find(struct cmd_target *t, const char *given,
    const char *gitdir);
void cmd_target_release(struct cmd_target *t);

#endif

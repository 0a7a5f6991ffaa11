/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the ssci subcommands and the helpers they share for their
 * command lines.  Each command is one entry in main.c's table.
 */
#ifndef SSCI_CMD_H
#define SSCI_CMD_H

#include <getopt.h>
#include <stddef.h>
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
int cmd_run(int argc, char **argv);
int cmd_tests(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);
int cmd_secret(int argc, char **argv);
int cmd_artifacts(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_migrate(int argc, char **argv);

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
/* On SIGHUP, fn(arg) (a reload), where it would end the process. */
void cmd_on_hangup(struct cmd_signals *s, void (*fn)(void *arg), void *arg);

/*
 * cmd_opt.c: a command's options as one table, from which getopt's array,
 * the help and the parsing are made, so that they cannot drift apart.
 * Each option names where its value goes (an offset into the struct given
 * to cmd_parse, its type checked by CMD_DEST) and how it is checked; the
 * few that need real code name a function (CMD_CALL).
 */
enum cmd_kind {
	CMD_KIND_NONE,		/* a table's end */
	CMD_KIND_HELP,		/* print the help, exit 0 */
	CMD_KIND_FLAG,		/* int: set to 1 */
	CMD_KIND_STR,		/* const char *: the argument as given */
	CMD_KIND_COPY,		/* char *: a copy (an earlier one freed) */
	CMD_KIND_LIST,		/* struct cmd_list: the argument added */
	CMD_KIND_INT,		/* int: a whole number in [min, max] */
	CMD_KIND_INT64,		/* int64_t: the same */
	CMD_KIND_MILLIS,	/* int64_t: seconds (three decimals) in ms */
	CMD_KIND_CALL,		/* call(dest, argument) */
	CMD_KIND_CONFIG,	/* the configuration file: read by cmd_parse */
};

/* What a repeatable option was given, in order (grown by cmd_parse). */
struct cmd_list {
	const char **items;
	size_t n;
};

struct cmd_opt {
	const char *name;	/* the long name, without "--" */
	int has_arg;		/* no_argument or required_argument */
	int val;		/* getopt's answer for it: a letter or 256+ */
	const char *arg;	/* its value's name in the help: "PORT" */
	const char *def;	/* its default as the help says it, or NULL */
	const char *help;	/* what it does */
	enum cmd_kind kind;
	size_t dest;		/* where: an offset into cmd_parse's struct */
	int64_t min, max;	/* INT, INT64: the range; MILLIS: in ms */
	/* STR, COPY, LIST: refused if it says 0, as "invalid WHAT 'ARG'". */
	int (*valid)(const char *arg);
	const char *what;
	/* CALL: 0, or -1 after saying why with cmd_error. */
	int (*call)(void *dest, const char *arg);
};

/*
 * The offset of field in type, which must be of type ctype: a destination
 * of the wrong type does not compile.
 */
#define CMD_DEST(type, field, ctype) \
	_Generic(((type *)0)->field, ctype: offsetof(type, field))

/* What follows an option's help in its table entry, by kind. */
#define CMD_FLAG(type, field) \
	.kind = CMD_KIND_FLAG, .dest = CMD_DEST(type, field, int)
#define CMD_STR(type, field) \
	.kind = CMD_KIND_STR, .dest = CMD_DEST(type, field, const char *)
#define CMD_COPY(type, field) \
	.kind = CMD_KIND_COPY, .dest = CMD_DEST(type, field, char *)
#define CMD_COPY_VALID(type, field, fn, whatis) CMD_COPY(type, field), \
	.valid = (fn), .what = (whatis)
#define CMD_LIST_VALID(type, field, fn, whatis) \
	.kind = CMD_KIND_LIST, .dest = CMD_DEST(type, field, struct cmd_list), \
	.valid = (fn), .what = (whatis)
#define CMD_INT(type, field, lo, hi) .kind = CMD_KIND_INT, \
	.dest = CMD_DEST(type, field, int), .min = (lo), .max = (hi)
#define CMD_INT64(type, field, lo, hi) .kind = CMD_KIND_INT64, \
	.dest = CMD_DEST(type, field, int64_t), .min = (lo), .max = (hi)
#define CMD_MILLIS(type, field, lo, hi) .kind = CMD_KIND_MILLIS, \
	.dest = CMD_DEST(type, field, int64_t), .min = (lo), .max = (hi)
#define CMD_CALL(fn) .kind = CMD_KIND_CALL, .call = (fn)

struct cmd_spec {
	const char *synopsis;	/* "usage: ssci NAME ...\n", whole lines */
	const char *shorts;	/* getopt's short options: "vh" */
	const struct cmd_opt *opts;	/* ended by CMD_OPT_END */
	/*
	 * With CMD_OPT_CONFIG in opts: the configuration file's [section]
	 * whose "option = value" lines come before the command line's, and
	 * the size of the struct the options go in (for "ssci config check").
	 */
	const char *section;
	size_t size;
	/*
	 * The section is another command's whose options this one shares
	 * some of (backup's --state-dir is the dispatcher's): the others
	 * are skipped, not refused.
	 */
	int borrow;
};

/* The commands that read the configuration file, for "ssci config". */
extern const struct cmd_spec cmd_dispatcher_spec;
extern const struct cmd_spec cmd_runner_spec;
extern const struct cmd_spec cmd_observer_spec;

#define CMD_MAX_OPTS 48
#define CMD_OPT_VERBOSE(type, field) { "verbose", no_argument, 'v', NULL, \
	NULL, "log more (-v)", CMD_FLAG(type, field) }
#define CMD_OPT_HELP { "help", no_argument, 'h', NULL, NULL, \
	"print this help (-h)", .kind = CMD_KIND_HELP }
#define CMD_OPT_END { .name = NULL }
#define CMD_OPT_CONFIG_VAL 259
#ifndef SSCI_SYSCONFDIR
#define SSCI_SYSCONFDIR "/etc"
#endif
#define CMD_CONFIG_DEFAULT SSCI_SYSCONFDIR "/ssci/ssci.conf"
#define CMD_OPT_CONFIG { "config", required_argument, CMD_OPT_CONFIG_VAL, \
	"FILE", CMD_CONFIG_DEFAULT " if it exists", "read options from this " \
	"file's section for the command; options given here come after it " \
	"(a repeatable one replaces the file's)", .kind = CMD_KIND_CONFIG }

/*
 * Parse argv's options by spec into dest (the struct the options' offsets
 * are in); a wrong option or value is reported, naming the option, and
 * exits 2 with the usage; --help exits 0.  Returns the index in argv of
 * the first argument that is not an option.
 */
int cmd_parse(int argc, char **argv, const struct cmd_spec *spec,
    void *dest);

/*
 * Say what is wrong with an option's value on stderr, once: "ssci: " and,
 * while a configuration file is read, its name and line first.
 */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * "ssci config check": every section of the file at path whose name is a
 * spec's section is read into a scratch struct by that spec: 0 if every
 * line is right, else -1 after saying where the first wrong one is.
 */
int cmd_config_check(const char *path, const struct cmd_spec *const *specs,
    size_t nspecs);

/*
 * cmd_parse again, as a reload does (argv was parsed once already): a
 * configuration file that has gone wrong since is said and gives -1,
 * where cmd_parse would exit.
 */
int cmd_reparse(int argc, char **argv, const struct cmd_spec *spec,
    void *dest);

/* The synopsis and every option with its meaning and default; exit 0. */
void cmd_help(const struct cmd_spec *spec) __attribute__((noreturn));

/* The synopsis and where the help is, on stderr; exit 2. */
void cmd_usage(const struct cmd_spec *spec) __attribute__((noreturn));

/*
 * How a client command reaches the dispatcher: --token-file FILE (else
 * $SSCI_TOKEN), --tls-ca FILE or --tls (the system's CA store).  Put
 * CMD_SECURITY_OPTIONS, naming a struct cmd_security, in the option
 * table; then cmd_conn_auth makes what conn_new takes.
 */
struct conn_auth;

struct cmd_security {
	const char *token_file;
	const char *tls_ca;	/* speak TLS, checking against this CA */
	int tls;		/* speak TLS (the system's CAs without tls_ca) */
};

#define CMD_OPT_TOKEN_FILE 256
#define CMD_OPT_TLS_CA 257
#define CMD_OPT_TLS 258
#define CMD_SECURITY_OPTIONS(type, sec) \
	{ "token-file", required_argument, CMD_OPT_TOKEN_FILE, "FILE", \
	    "$SSCI_TOKEN", "the token to say hello with", \
	    CMD_STR(type, sec.token_file) }, \
	{ "tls-ca", required_argument, CMD_OPT_TLS_CA, "FILE", NULL, \
	    "speak TLS and check the dispatcher's certificate against this " \
	    "CA", CMD_STR(type, sec.tls_ca) }, \
	{ "tls", no_argument, CMD_OPT_TLS, NULL, NULL, \
	    "speak TLS, checking the certificate against the system's CAs", \
	    CMD_FLAG(type, sec.tls) }

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
/* --dispatcher-server's help, the same in every command that has it. */
#define CMD_DISPATCHER_ABOUT \
	"the dispatcher; several, separated by commas, are tried in turn"

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

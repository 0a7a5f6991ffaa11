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

/* The token from SSCI_TOKEN, or NULL. */
const char *cmd_token(void);

#endif

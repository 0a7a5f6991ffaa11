/* SPDX-License-Identifier: MIT */
/*
 * client.h - the command-line client's commands (client_cmds.c) and the
 * machinery that runs them (client.c).
 */
#ifndef SSCI_CLIENT_H
#define SSCI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cmd.h"

struct client_args {
	const struct cmd_target *target;	/* the dispatcher found */
	int json;
	const char *repo;
	const char *branch;
	const char *state;
	int limit;
	int follow;
	int raw;		/* log: the bytes, even to a terminal */
	const char *which;	/* JOB or COMMIT, for commands that take one */
	char *const *words;	/* the arguments, which the first */
	int nwords;
	char *params;		/* run: its NAME=VALUE words as JSON (owned) */
	const char *secret_file;	/* secret set: --file */
	const char *secret_branches;	/* secret set: --branches */
	char *secret_globs;	/* the same, checked and joined (owned) */
	char *secret;		/* secret set: the value read (owned, wiped) */
	const char *output_dir;	/* artifacts: -o, where to save them */
	size_t secret_len;
};

struct client_cmd {
	const char *name;
	const char *usage;
	const char *options;	/* getopt letters allowed beyond -d, --json */
	int nargs;		/* arguments: exactly N, or -N for 1 to N */
	/* Check the arguments before connecting: 0, or -1 after saying why. */
	int (*check)(struct client_args *a);
	/* The request line (offset: for log, where to go on). */
	char *(*request)(const struct client_args *a, int64_t offset);
	/* Print the answer for a person; color on a terminal. */
	void (*print)(json_t *reply, const struct client_args *a, int color);
};

/* client_tests.c: "ssci tests JOB", "ssci quarantine ...". */
char *client_request_tests(const struct client_args *a, int64_t offset);
void client_print_tests(json_t *reply, const struct client_args *a,
    int color);
int client_check_quarantine(struct client_args *a);
char *client_request_quarantine(const struct client_args *a, int64_t offset);
void client_print_quarantine(json_t *reply, const struct client_args *a,
    int color);

/* client_artifacts.c: "ssci artifacts JOB [-o DIR]". */
char *client_request_artifacts(const struct client_args *a, int64_t offset);
void client_print_artifacts(json_t *reply, const struct client_args *a,
    int color);
struct conn;
struct client_fetch;
/*
 * Fetch the artifacts a reply lists into dir, one after the other, their
 * frames given to client_fetch_frame; done(arg, status) at the end.
 */
struct client_fetch *client_fetch_start(struct conn *c, json_t *reply,
    const char *dir, void (*done)(void *arg, int status), void *arg);
void client_fetch_frame(struct client_fetch *f, const char *data,
    size_t len);
void client_fetch_free(struct client_fetch *f);

/* client_secrets.c: "ssci secret set|list|rm". */
extern const char client_secret_usage[];
int client_check_secret(struct client_args *a);
char *client_request_secret(const struct client_args *a, int64_t offset);
void client_print_secret(json_t *reply, const struct client_args *a,
    int color);

/* Run cmd with its command line; the exit status. */
int client_run(const struct client_cmd *cmd, int argc, char **argv);

#endif

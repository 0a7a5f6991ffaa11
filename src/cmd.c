/*
 * cmd.c - what the subcommands share for their command lines: usage,
 * numeric options, the token from the environment.
 */
#include <stdio.h>
#include <stdlib.h>

#include "auth.h"
#include "cmd.h"
#include "conn.h"
#include "tls.h"
#include "util.h"

void
cmd_help(const char *usage)
{
	fputs(usage, stdout);
	exit(0);
}

void
cmd_usage(const char *usage)
{
	fputs(usage, stderr);
	exit(2);
}

long
cmd_number(const char *usage, const struct option *opts, int ch,
    const char *arg, long min, long max)
{
	const char *name = "?";
	long v;

	for (; opts->name != NULL; opts++) {
		if (opts->val == ch)
			name = opts->name;
	}
	if (parse_long(arg, min, max, &v) == -1) {
		fprintf(stderr, "ssci: invalid value '%s' for --%s: expected "
		    "a whole number from %ld to %ld\n", arg, name, min, max);
		cmd_usage(usage);
	}
	return v;
}

int
cmd_security_option(struct cmd_security *sec, int ch, const char *arg)
{
	switch (ch) {
	case CMD_OPT_TOKEN_FILE:
		sec->token_file = arg;
		return 1;
	case CMD_OPT_TLS_CA:
		sec->tls_ca = arg;
		sec->tls = 1;
		return 1;
	case CMD_OPT_TLS:
		sec->tls = 1;
		return 1;
	}
	return 0;
}

void
cmd_conn_auth(const struct cmd_security *sec, struct conn_auth *auth)
{
	auth->token = auth_token(sec->token_file);
	auth->tls = sec->tls ? tls_client(sec->tls_ca) : NULL;
}

void
cmd_conn_auth_release(struct conn_auth *auth)
{
	free((char *)auth->token);
	if (auth->tls != NULL)
		tls_free(auth->tls);
	auth->token = NULL;
	auth->tls = NULL;
}

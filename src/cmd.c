/* SPDX-License-Identifier: MIT */
/*
 * cmd.c - what the subcommands share for their command lines: usage,
 * numeric options, the token from the environment.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

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

struct cmd_signals {
	struct event *ev_int;
	struct event *ev_term;
};

static void
cmd_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("stopping on signal %d", (int)sig);
	event_base_loopexit(arg, NULL);
}

struct cmd_signals *
cmd_stop_on_signals(struct event_base *base)
{
	struct cmd_signals *s = xcalloc(1, sizeof *s);

	s->ev_int = evsignal_new(base, SIGINT, cmd_signal_cb, base);
	s->ev_term = evsignal_new(base, SIGTERM, cmd_signal_cb, base);
	if (s->ev_int == NULL || s->ev_term == NULL ||
	    evsignal_add(s->ev_int, NULL) == -1 ||
	    evsignal_add(s->ev_term, NULL) == -1)
		fatalx("unable to watch SIGINT and SIGTERM");
	return s;
}

void
cmd_signals_free(struct cmd_signals *s)
{
	event_free(s->ev_int);
	event_free(s->ev_term);
	free(s);
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

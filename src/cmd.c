/* SPDX-License-Identifier: MIT */
/*
 * cmd.c - what the subcommands share beyond their options: stopping on
 * signals, a client's token and TLS, and which dispatcher a client talks
 * to.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth.h"
#include "cmd.h"
#include "conn.h"
#include "repo.h"
#include "tls.h"
#include "util.h"

struct cmd_signals {
	struct event_base *base;
	void (*fn)(int sig, void *arg);
	void *arg;
	struct event *ev_int;
	struct event *ev_term;
	struct event *ev_hup;
	void (*hangup)(void *arg);
	void *hangup_arg;
};

static void
cmd_hangup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct cmd_signals *s = arg;

	(void)sig;
	(void)what;
	log_info("SIGHUP: reloading");
	s->hangup(s->hangup_arg);
}

void
cmd_on_hangup(struct cmd_signals *s, void (*fn)(void *arg), void *arg)
{
	s->hangup = fn;
	s->hangup_arg = arg;
	s->ev_hup = evsignal_new(s->base, SIGHUP, cmd_hangup_cb, s);
	if (s->ev_hup == NULL || evsignal_add(s->ev_hup, NULL) == -1)
		fatalx("unable to watch SIGHUP");
}

static void
cmd_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct cmd_signals *s = arg;

	(void)what;
	if (s->fn != NULL) {
		s->fn((int)sig, s->arg);
		return;
	}
	log_info("stopping on signal %d", (int)sig);
	event_base_loopexit(s->base, NULL);
}

struct cmd_signals *
cmd_on_signals(struct event_base *base, void (*fn)(int sig, void *arg),
    void *arg)
{
	struct cmd_signals *s = xcalloc(1, sizeof *s);

	s->base = base;
	s->fn = fn;
	s->arg = arg;
	s->ev_int = evsignal_new(base, SIGINT, cmd_signal_cb, s);
	s->ev_term = evsignal_new(base, SIGTERM, cmd_signal_cb, s);
	if (s->ev_int == NULL || s->ev_term == NULL ||
	    evsignal_add(s->ev_int, NULL) == -1 ||
	    evsignal_add(s->ev_term, NULL) == -1)
		fatalx("unable to watch SIGINT and SIGTERM");
	return s;
}

struct cmd_signals *
cmd_stop_on_signals(struct event_base *base)
{
	return cmd_on_signals(base, NULL, NULL);
}

void
cmd_signals_free(struct cmd_signals *s)
{
	if (s == NULL)
		return;
	event_free(s->ev_int);
	event_free(s->ev_term);
	if (s->ev_hup != NULL)
		event_free(s->ev_hup);
	free(s);
}

void
cmd_conn_auth(const struct cmd_security *sec, struct conn_auth *auth)
{
	auth->token = auth_token(sec->token_file);
	auth->tls = sec->tls || sec->tls_ca != NULL ? tls_client(sec->tls_ca) :
	    NULL;
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

/* The first line of path, or NULL. */
static char *
cmd_first_line(const char *path)
{
	char buf[300];
	FILE *f = fopen(path, "re");
	char *line = NULL;

	if (f == NULL)
		return NULL;
	if (fgets(buf, sizeof buf, f) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		if (buf[0] != '\0')
			line = xstrdup(buf);
	}
	fclose(f);
	return line;
}

void
cmd_target_find(struct cmd_target *t, const char *given, const char *gitdir)
{
	const char *env = getenv("SSCI_DISPATCHER");
	char *found = NULL, *path;

	memset(t, 0, sizeof *t);
	if (gitdir == NULL)
		found = repo_git_dir_quiet(".");
	else
		found = xstrdup(gitdir);
	if (found != NULL) {
		xasprintf(&path, "%s/ssci/token", found);
		if (access(path, R_OK) == 0)
			t->token_file = path;
		else
			free(path);
	}
	if (given != NULL) {
		t->server = xstrdup(given);
		t->from = "--dispatcher-server";
	} else if (found != NULL) {
		xasprintf(&path, "%s/ssci/dispatcher.addr", found);
		t->server = cmd_first_line(path);
		free(path);
		t->from = ".git/ssci/dispatcher.addr";
	}
	free(found);
	if (t->server == NULL && env != NULL && *env != '\0') {
		t->server = xstrdup(env);
		t->from = "$SSCI_DISPATCHER";
	}
	if (t->server == NULL) {
		t->server = xstrdup(CMD_DEFAULT_DISPATCHER);
		t->from = "the default";
		t->is_default = 1;
	}
}

void
cmd_target_release(struct cmd_target *t)
{
	free(t->server);
	free(t->token_file);
	memset(t, 0, sizeof *t);
}

/* SPDX-License-Identifier: MIT */
/*
 * cmd_client.c - what every client program does around its own work: the
 * log, the event loop, signals, token and TLS, the connection to the
 * dispatcher, and their teardown in the one order that is safe (children
 * first, the loop last).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth.h"
#include "cmd_client.h"
#include "spawn.h"
#include "util.h"

void
cmd_client_init(struct cmd_client *c, const struct cmd_client_kind *kind,
    void *arg)
{
	c->kind = kind;
	c->arg = arg;
	if (kind->daemon)
		log_init_daemon(kind->log_name, c->verbose);
	else
		log_init(kind->log_name, c->verbose);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * SIGHUP: the token file read again, said at the next hello (the
 * connection there is stays); the other options take a restart.
 */
static void
cmd_client_hangup(void *arg)
{
	struct cmd_client *c = arg;
	char *token;

	if (c->sec.token_file == NULL) {
		log_info("reloaded: no token file to read again");
		return;
	}
	if ((token = auth_read_token(c->sec.token_file)) == NULL) {
		log_warnx("not reloaded (see above): the token stays as it was");
		return;
	}
	free((char *)c->auth.token);
	c->auth.token = token;
	if (c->conn != NULL)
		conn_set_token(c->conn, token);
	log_info("reloaded: the token file, said at the next connection");
}

void
cmd_client_start(struct cmd_client *c)
{
	c->base = event_base_new();
	if (c->base == NULL)
		fatalx("unable to create the event loop");
	if (c->kind->spawns)
		spawn_init(c->base);
	if (c->kind->on_signal != NULL)
		c->sigs = cmd_on_signals(c->base, c->kind->on_signal, c->arg);
	else if (c->kind->stop_on_signals)
		c->sigs = cmd_stop_on_signals(c->base);
	if (c->kind->daemon && c->sigs != NULL)
		cmd_on_hangup(c->sigs, cmd_client_hangup, c);
}

int
cmd_client_connect(struct cmd_client *c)
{
	const char *server = c->server != NULL ? c->server :
	    CMD_DEFAULT_DISPATCHER;

	if (c->kind->find_dispatcher) {
		/* The dispatcher of the repository, if "ssci up" runs it. */
		cmd_target_find(&c->target, c->server, c->gitdir);
		if (c->sec.token_file == NULL && getenv("SSCI_TOKEN") == NULL)
			c->sec.token_file = c->target.token_file;
		server = c->target.server;
		log_debug("dispatcher %s (from %s)", server, c->target.from);
	}
	cmd_conn_auth(&c->sec, &c->auth);
	c->conn = conn_new(c->base, server, c->kind->role, &c->auth,
	    c->kind->reconnect, c->kind->cbs, c->arg);
	return c->conn != NULL ? 0 : -1;
}

void
cmd_client_run(struct cmd_client *c)
{
	event_base_dispatch(c->base);
}

void
cmd_client_end(struct cmd_client *c)
{
	if (c->kind->spawns)
		spawn_shutdown();
	conn_free(c->conn);
	c->conn = NULL;
	cmd_conn_auth_release(&c->auth);
	cmd_target_release(&c->target);
	cmd_signals_free(c->sigs);
	c->sigs = NULL;
	if (c->base != NULL)
		event_base_free(c->base);
	c->base = NULL;
}

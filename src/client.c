/* SPDX-License-Identifier: MIT */
/*
 * client.c - the command-line client: "ssci status", "jobs", "log",
 * "cancel" and "retry".  Each opens one connection to the dispatcher, asks
 * one question (log -f keeps asking until the job ends) and prints the
 * answer as a table, or as the JSON the dispatcher sent with --json.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "client.h"
#include "cmd.h"
#include "conn.h"
#include "term.h"
#include "util.h"

#define CLIENT_FOLLOW_MS 500

struct client {
	struct event_base *base;
	struct conn *conn;
	const struct client_cmd *cmd;
	struct client_args args;
	struct event *ev_follow;
	int64_t offset;
	int status;		/* exit status */
	int to_terminal;	/* log output goes through term */
	struct term_filter term;
};

/*
 * A test's output, as it is unless it goes to a terminal: then only its
 * colours pass, never a sequence that would act on the terminal.
 */
static void
client_write_log(struct client *cl, const char *data, size_t len, int end)
{
	struct term_buf safe = { 0 };

	if (!cl->to_terminal) {
		fwrite(data, 1, len, stdout);
		return;
	}
	term_filter_feed(&cl->term, data, len, &safe);
	if (end)
		term_filter_end(&cl->term, &safe);
	if (safe.len > 0)
		fwrite(safe.data, 1, safe.len, stdout);
	free(safe.data);
}

static void client_ask(struct client *cl);

/* The reply's JSON, or NULL after reporting why there is none. */
static json_t *
client_reply_json(struct client *cl, struct proto_msg *reply)
{
	json_error_t jerr;
	json_t *obj;

	if (reply == NULL) {
		fprintf(stderr, "ssci: lost the dispatcher at %s\n",
		    conn_server(cl->conn));
		return NULL;
	}
	if (reply->type == PROTO_ERROR) {
		fprintf(stderr, "ssci: %s\n", reply->message);
		return NULL;
	}
	obj = json_loads(reply->raw, 0, &jerr);
	if (obj == NULL)
		fprintf(stderr, "ssci: unreadable answer: %s\n", jerr.text);
	return obj;
}

static void
client_follow_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	client_ask(arg);
}

/* Print a tail reply's data; keep following while the job runs. */
static int
client_tail(struct client *cl, json_t *obj)
{
	const char *data = json_string_value(json_object_get(obj, "data"));
	json_t *detail = json_object_get(obj, "detail");
	const char *state = json_string_value(json_object_get(detail, "state"));
	int64_t offset = json_integer_value(json_object_get(obj, "offset"));
	int64_t size = json_integer_value(json_object_get(obj, "size"));
	struct timeval tv = { 0, CLIENT_FOLLOW_MS * 1000 };
	int final = state != NULL && strcmp(state, "queued") != 0 &&
	    strcmp(state, "running") != 0;

	if (data != NULL && !cl->args.json)
		client_write_log(cl, data, strlen(data), 0);
	fflush(stdout);
	cl->offset = offset;
	if (offset < size) {
		client_ask(cl);	/* more is there already */
		return 1;
	}
	if (cl->args.follow && !final) {
		evtimer_add(cl->ev_follow, &tv);
		return 1;
	}
	if (cl->args.follow)
		cl->status = state != NULL && strcmp(state, "passed") == 0 ?
		    0 : 1;
	client_write_log(cl, "", 0, 1);
	return 0;
}

static void
client_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct client *cl = arg;
	json_t *obj = client_reply_json(cl, reply);

	(void)c;
	if (obj == NULL) {
		cl->status = 1;
		event_base_loopexit(cl->base, NULL);
		return;
	}
	if (cl->args.json) {
		printf("%s\n", reply->raw);
		fflush(stdout);
	}
	if (strcmp(cl->cmd->name, "log") == 0 && client_tail(cl, obj)) {
		json_decref(obj);
		return;
	}
	if (!cl->args.json)
		cl->cmd->print(obj, &cl->args, isatty(STDOUT_FILENO));
	json_decref(obj);
	event_base_loopexit(cl->base, NULL);
}

static void
client_ask(struct client *cl)
{
	char *line = cl->cmd->request(&cl->args, cl->offset);

	if (line == NULL || conn_request(cl->conn, line, client_reply,
	    cl) == -1) {
		cl->status = 1;
		event_base_loopexit(cl->base, NULL);
	}
}

static void
client_ready(struct conn *c, void *arg)
{
	(void)c;
	client_ask(arg);
}

static void
client_gone(struct conn *c, void *arg)
{
	struct client *cl = arg;

	(void)c;
	cl->status = 1;
	event_base_loopexit(cl->base, NULL);
}

static void
client_refused(struct conn *c, const char *why, void *arg)
{
	(void)why;
	client_gone(c, arg);
}

/* Options shared by every client command; exits on a bad one. */
static void
client_options(const struct client_cmd *cmd, int argc, char **argv,
    struct client_args *a)
{
	static const struct option opts[] = {
		{ "dispatcher-server", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'J' },
		{ "repo", required_argument, NULL, 'r' },
		{ "branch", required_argument, NULL, 'b' },
		{ "state", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'f' },
		{ "raw", no_argument, NULL, 'R' },
		CMD_SECURITY_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	a->server = "localhost:8888";
	while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		if (cmd_security_option(&a->sec, ch, optarg))
			continue;
		if (ch == 'h')
			cmd_help(cmd->usage);
		if (ch == '?' || (strchr(cmd->options, ch) == NULL &&
		    ch != 'd' && ch != 'J'))
			cmd_usage(cmd->usage);
		switch (ch) {
		case 'd':
			a->server = optarg;
			break;
		case 'J':
			a->json = 1;
			break;
		case 'r':
			a->repo = optarg;
			break;
		case 'b':
			a->branch = optarg;
			break;
		case 's':
			a->state = optarg;
			break;
		case 'l':
			a->limit = (int)cmd_number(cmd->usage, opts, ch, optarg,
			    1, 1000);
			break;
		case 'f':
			a->follow = 1;
			break;
		case 'R':
			a->raw = 1;
			break;
		}
	}
	if (argc - optind != (cmd->takes_job ? 1 : 0))
		cmd_usage(cmd->usage);
	if (cmd->takes_job)
		a->which = argv[optind];
}

int
client_run(const struct client_cmd *cmd, int argc, char **argv)
{
	const struct conn_callbacks cbs = {
		.on_ready = client_ready, 
		.on_refused = client_refused, .on_lost = client_gone,
	};
	struct client cl = { .cmd = cmd };
	struct conn_auth auth;

	client_options(cmd, argc, argv, &cl.args);
	log_init("ssci", 0);
	signal(SIGPIPE, SIG_IGN);
	if (cmd->check != NULL && cmd->check(&cl.args) == -1)
		return 2;
	cl.base = event_base_new();
	if (cl.base == NULL)
		fatalx("unable to create the event loop");
	cl.ev_follow = evtimer_new(cl.base, client_follow_cb, &cl);
	cl.to_terminal = !cl.args.raw && isatty(STDOUT_FILENO);
	term_filter_init(&cl.term);
	cmd_conn_auth(&cl.args.sec, &auth);
	cl.conn = conn_new(cl.base, cl.args.server, PROTO_ROLE_CLIENT, &auth,
	    0, &cbs, &cl);
	if (cl.conn == NULL)
		cl.status = 1;
	else
		event_base_dispatch(cl.base);
	conn_free(cl.conn);
	cmd_conn_auth_release(&auth);
	event_free(cl.ev_follow);
	event_base_free(cl.base);
	return cl.status;
}

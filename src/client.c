/* SPDX-License-Identifier: MIT */
/*
 * client.c - the command-line client: "ssci status", "jobs", "log",
 * "cancel", "retry", "run" and the tests' commands.  Each opens one connection to the dispatcher, asks
 * one question (log -f keeps asking until the job ends) and prints the
 * answer as a table, or as the JSON the dispatcher sent with --json.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "client.h"
#include "cmd.h"
#include "cmd_client.h"
#include "conn.h"
#include "term.h"
#include "util.h"

#define CLIENT_FOLLOW_MS 500

struct client {
	struct cmd_client client;	/* the loop and the connection */
	const struct client_cmd *cmd;
	struct client_args args;
	struct event *ev_follow;
	int64_t offset;
	int status;		/* exit status */
	int to_terminal;	/* log output goes through term */
	struct term_filter term;
	struct client_fetch *fetch;	/* artifacts -o: the fetch */
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
		    conn_server(cl->client.conn));
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

/* ssci artifacts -o DIR is over. */
static void
client_fetched(void *arg, int status)
{
	struct client *cl = arg;

	cl->status = status;
	event_base_loopexit(cl->client.base, NULL);
}

/* The frames of an artifact being fetched. */
static void
client_message(struct conn *c, struct proto_msg *msg, void *arg)
{
	struct client *cl = arg;

	(void)c;
	if (msg->type == PROTO_ARTIFACT_DATA)
		client_fetch_frame(cl->fetch, msg->data, msg->data_len);
}

static void
client_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct client *cl = arg;
	json_t *obj = client_reply_json(cl, reply);

	(void)c;
	if (obj == NULL) {
		cl->status = 1;
		event_base_loopexit(cl->client.base, NULL);
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
	if (cl->args.output_dir != NULL && !cl->args.json) {
		cl->fetch = client_fetch_start(cl->client.conn, obj,
		    cl->args.output_dir, client_fetched, cl);
		json_decref(obj);
		return;
	}
	if (!cl->args.json)
		cl->cmd->print(obj, &cl->args, isatty(STDOUT_FILENO));
	json_decref(obj);
	event_base_loopexit(cl->client.base, NULL);
}

static void
client_ask(struct client *cl)
{
	char *line = cl->cmd->request(&cl->args, cl->offset);

	if (line == NULL || conn_request(cl->client.conn, line, client_reply,
	    cl) == -1) {
		cl->status = 1;
		event_base_loopexit(cl->client.base, NULL);
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
	event_base_loopexit(cl->client.base, NULL);
}

static void
client_refused(struct conn *c, const char *why, void *arg)
{
	(void)why;
	client_gone(c, arg);
}

/*
 * Every client option; each command takes those of its letters
 * (client_cmd.options) and the ones all take (dispatcher, JSON, auth,
 * verbose, help).
 */
static const struct cmd_opt client_all_opts[] = {
	{ "dispatcher-server", required_argument, 'd', "HOST:PORT",
	    "the repository's .git/ssci/dispatcher.addr, $SSCI_DISPATCHER, "
	    "localhost:8888", CMD_DISPATCHER_ABOUT,
	    CMD_STR(struct client, client.server) },
	{ "json", no_argument, 'J', NULL, NULL,
	    "print the dispatcher's answer as JSON",
	    CMD_FLAG(struct client, args.json) },
	{ "repo", required_argument, 'r', "URL", NULL,
	    "only this repository's jobs (its URL or id)",
	    CMD_STR(struct client, args.repo) },
	{ "branch", required_argument, 'b', "NAME", NULL,
	    "only this branch's jobs", CMD_STR(struct client, args.branch) },
	{ "state", required_argument, 's', "STATE", NULL,
	    "only jobs in this state", CMD_STR(struct client, args.state) },
	{ "limit", required_argument, 'l', "N", "20", "at most N jobs",
	    CMD_INT(struct client, args.limit, 1, 1000) },
	/* The same word for tests: its own count and default. */
	{ "limit", required_argument, 'L', "N", "1000", "at most N tests",
	    CMD_INT(struct client, args.limit, 1, 1000) },
	{ "follow", no_argument, 'f', NULL, NULL,
	    "follow a running job until it ends (-f): exit 0 if it passed",
	    CMD_FLAG(struct client, args.follow) },
	{ "raw", no_argument, 'R', NULL, NULL,
	    "write the test's bytes as they are, even to a terminal",
	    CMD_FLAG(struct client, args.raw) },
	{ "output", required_argument, 'o', "DIR", NULL,
	    "save the job's artifacts in DIR (made if need be) instead of "
	    "listing them", CMD_STR(struct client, args.output_dir) },
	{ "file", required_argument, 'F', "FILE", "standard input",
	    "read the secret's value from FILE",
	    CMD_STR(struct client, args.secret_file) },
	{ "branches", required_argument, 'B', "GLOBS",
	    "every branch but pull requests' (pr/N)",
	    "give the secret only to jobs of branches these globs match "
	    "(\"main release/*\")", CMD_STR(struct client, args.secret_branches) },
	CMD_SECURITY_OPTIONS(struct client, client.sec),
	CMD_OPT_VERBOSE(struct client, client.verbose),
	CMD_OPT_HELP,
	CMD_OPT_END,
};

/* cmd's own spec: the options it takes, in the table's order. */
static void
client_spec(const struct client_cmd *cmd, struct cmd_spec *spec,
    struct cmd_opt *opts)
{
	size_t n = 0;

	for (const struct cmd_opt *o = client_all_opts; o->name != NULL; o++) {
		if (o->val > 255 || strchr("dJvh", o->val) != NULL ||
		    strchr(cmd->options, o->val) != NULL)
			opts[n++] = *o;
	}
	opts[n] = (struct cmd_opt)CMD_OPT_END;
	spec->synopsis = cmd->usage;
	spec->shorts = strchr(cmd->options, 'f') != NULL ? "fhv" :
	    strchr(cmd->options, 'o') != NULL ? "o:hv" : "hv";
	spec->opts = opts;
}

/* Options of a client command; exits on a bad one. */
static void
client_options(struct client *cl, int argc, char **argv)
{
	static struct cmd_opt opts[CMD_MAX_OPTS + 1];
	struct cmd_spec spec = { .section = NULL };
	int first;

	client_spec(cl->cmd, &spec, opts);
	int n, min, max;

	first = cmd_parse(argc, argv, &spec, cl);
	n = argc - first;
	min = cl->cmd->nargs < 0 ? 1 : cl->cmd->nargs;
	max = cl->cmd->nargs < 0 ? -cl->cmd->nargs : cl->cmd->nargs;
	if (n < min || n > max)
		cmd_usage(&spec);
	if (n > 0)
		cl->args.which = argv[first];
	cl->args.words = argv + first;
	cl->args.nwords = n;
}

static const struct conn_callbacks client_conn_cbs = {
	.on_ready = client_ready, .on_refused = client_refused,
	.on_lost = client_gone, .on_message = client_message,
};

static const struct cmd_client_kind client_kind = {
	.log_name = "ssci", .cbs = &client_conn_cbs, .role = PROTO_ROLE_CLIENT,
	.find_dispatcher = 1,
};

int
client_run(const struct client_cmd *cmd, int argc, char **argv)
{
	struct client cl = { .cmd = cmd };

	client_options(&cl, argc, argv);
	cmd_client_init(&cl.client, &client_kind, &cl);
	if (cmd->check != NULL && cmd->check(&cl.args) == -1)
		return 2;
	cmd_client_start(&cl.client);
	cl.ev_follow = evtimer_new(cl.client.base, client_follow_cb, &cl);
	cl.to_terminal = !cl.args.raw && isatty(STDOUT_FILENO);
	term_filter_init(&cl.term);
	if (cmd_client_connect(&cl.client) == 0) {
		cl.args.target = &cl.client.target;
		cmd_client_run(&cl.client);
	} else
		cl.status = 1;
	event_free(cl.ev_follow);
	client_fetch_free(cl.fetch);
	cmd_client_end(&cl.client);
	free(cl.args.params);
	free(cl.args.secret_globs);
	if (cl.args.secret != NULL)
		explicit_bzero(cl.args.secret, cl.args.secret_len);
	free(cl.args.secret);
	return cl.status;
}

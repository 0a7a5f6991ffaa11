/*
 * notify.c - "ssci notify COMMIT...": report the commits named, once, for
 * a git hook.  Exits 0 when the dispatcher accepted every one, 1 if not.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd.h"
#include "conn.h"
#include "repo.h"
#include "util.h"

static const char notify_usage[] =
    "usage: ssci notify [--dispatcher-server HOST:PORT] [--repo URL]\n"
    "                   [--branch NAME] [--rebuild] [-v] COMMIT...\n";

struct notify {
	struct event_base *base;
	struct conn *conn;
	char *repo;
	char *branch;
	int rebuild;
	char (*commits)[65];
	int ncommits;
	int next;
	int failed;
};

static void notify_send_next(struct notify *n);

static void
notify_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct notify *n = arg;
	const char *id = n->commits[n->next];

	(void)c;
	if (reply == NULL) {
		n->failed = 1;
		event_base_loopexit(n->base, NULL);
		return;
	}
	if (reply->type != PROTO_OK) {
		log_warnx("dispatcher refused %s: %s", id, reply->message);
		n->failed = 1;
	} else
		printf("%s job %lld %s\n", id, (long long)reply->job,
		    reply->has_state ? job_state_name(reply->state) : "");
	n->next++;
	notify_send_next(n);
}

static void
notify_send_next(struct notify *n)
{
	char *line;

	if (n->next >= n->ncommits) {
		event_base_loopexit(n->base, NULL);
		return;
	}
	line = proto_encode_dispatch(n->repo, n->commits[n->next], n->branch,
	    n->rebuild, NULL);
	if (conn_request(n->conn, line, notify_reply, n) == -1) {
		n->failed = 1;
		event_base_loopexit(n->base, NULL);
	}
}

static void
notify_ready(struct conn *c, void *arg)
{
	(void)c;
	notify_send_next(arg);
}

static void
notify_message(struct conn *c, struct proto_msg *msg, void *arg)
{
	(void)arg;
	if (msg->type == PROTO_PING)
		conn_send(c, proto_encode_pong(NULL));
}

/* Refused, or could not connect at all. */
static void
notify_gone(struct conn *c, void *arg)
{
	struct notify *n = arg;

	(void)c;
	n->failed = 1;
	event_base_loopexit(n->base, NULL);
}

static void
notify_refused(struct conn *c, const char *why, void *arg)
{
	(void)why;
	notify_gone(c, arg);
}

/* Fill in the repository, branch and commit ids from the local repo. */
static int
notify_resolve(struct notify *n, char **revs, int nrevs)
{
	if (n->repo == NULL) {
		/* A hook runs in the repository itself: name that one. */
		n->repo = repo_self(".");
		if (n->repo == NULL)
			return -1;
	} else if (!repo_url_valid(n->repo)) {
		log_warnx("invalid repository URL '%s'", n->repo);
		return -1;
	}
	if (n->branch == NULL)
		n->branch = repo_current_branch(".");
	if (n->branch != NULL && !branch_name_valid(n->branch)) {
		free(n->branch);
		n->branch = NULL;
	}
	n->commits = xcalloc((size_t)nrevs, sizeof *n->commits);
	for (int i = 0; i < nrevs; i++) {
		if (commit_id_normalize(revs[i], n->commits[i]) == 0)
			continue;
		if (repo_resolve_commit(".", revs[i], n->commits[i]) == -1)
			return -1;
	}
	n->ncommits = nrevs;
	return 0;
}

int
cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dispatcher-server", required_argument, NULL, 'd' },
		{ "repo", required_argument, NULL, 'r' },
		{ "branch", required_argument, NULL, 'b' },
		{ "rebuild", no_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct conn_callbacks cbs = {
		.on_ready = notify_ready, .on_message = notify_message,
		.on_refused = notify_refused, .on_lost = notify_gone,
	};
	const char *server = "localhost:8888";
	struct notify n = { 0 };
	int ch, verbose = 0;

	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			server = optarg;
			break;
		case 'r':
			free(n.repo);
			n.repo = xstrdup(optarg);
			break;
		case 'b':
			if (!branch_name_valid(optarg)) {
				fprintf(stderr, "ssci: invalid branch name "
				    "'%s'\n", optarg);
				cmd_usage(notify_usage);
			}
			free(n.branch);
			n.branch = xstrdup(optarg);
			break;
		case 'R':
			n.rebuild = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			cmd_help(notify_usage);
		default:
			cmd_usage(notify_usage);
		}
	}
	if (optind >= argc)
		cmd_usage(notify_usage);
	log_init("notify", verbose);
	signal(SIGPIPE, SIG_IGN);
	if (notify_resolve(&n, argv + optind, argc - optind) == -1) {
		n.failed = 1;
		goto out;
	}
	n.base = event_base_new();
	if (n.base == NULL)
		fatalx("unable to create the event loop");
	n.conn = conn_new(n.base, server, PROTO_ROLE_OBSERVER, cmd_token(), 0,
	    &cbs, &n);
	if (n.conn == NULL)
		n.failed = 1;
	else
		event_base_dispatch(n.base);
	conn_free(n.conn);
	event_base_free(n.base);
out:
	free(n.commits);
	free(n.repo);
	free(n.branch);
	return n.failed ? 1 : 0;
}

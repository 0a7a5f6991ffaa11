/* SPDX-License-Identifier: MIT */
/*
 * notify.c - "ssci notify COMMIT...": report the commits named, once, for
 * a git hook.  With --post-receive it reads the "old new ref" lines git
 * gives that hook and reports every new commit of every pushed branch,
 * oldest first.  What the dispatcher does not take (it is down, or cannot
 * store the job now) is kept in the repository's .git/ssci/pending and
 * reported first by the next notify (or "notify --flush").  Exits 0 when
 * the dispatcher accepted every one, 1 if not.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd.h"
#include "cmd_client.h"
#include "conn.h"
#include "notify.h"
#include "pending.h"
#include "util.h"

/* --priority's word. */
static int
notify_priority_valid(const char *s)
{
	int level;

	return job_priority_parse(s, &level) == 0;
}

static const struct cmd_opt notify_opts[] = {
	{ "dispatcher-server", required_argument, 'd', "HOST:PORT",
	    "the repository's .git/ssci/dispatcher.addr, $SSCI_DISPATCHER, "
	    "localhost:8888", CMD_DISPATCHER_ABOUT,
	    CMD_STR(struct notify, client.server) },
	{ "repo", required_argument, 'r', "URL", "the repository it runs in",
	    "repository runners fetch from",
	    CMD_COPY_VALID(struct notify, repo, repo_url_valid,
	    "repository URL") },
	{ "branch", required_argument, 'b', "NAME", "the current branch",
	    "branch the commits are on",
	    CMD_COPY_VALID(struct notify, branch, branch_name_valid,
	    "branch name") },
	{ "rebuild", no_argument, 'R', NULL, NULL,
	    "queue a new job even if the commit was tested",
	    CMD_FLAG(struct notify, rebuild) },
	{ "priority", required_argument, 'p', "LEVEL", "the branch's",
	    "high, normal or low: how soon these commits are tested, before "
	    "or after others waiting",
	    CMD_COPY_VALID(struct notify, priority, notify_priority_valid,
	    "priority (high, normal or low)") },
	{ "post-receive", no_argument, 'P', NULL, NULL,
	    "read 'old new ref' lines as git gives a post-receive hook and "
	    "report every new commit of each pushed branch",
	    CMD_FLAG(struct notify, post_receive) },
	{ "flush", no_argument, 'F', NULL, NULL,
	    "report only what earlier runs kept in .git/ssci/pending",
	    CMD_FLAG(struct notify, flush) },
	CMD_SECURITY_OPTIONS(struct notify, client.sec),
	CMD_OPT_VERBOSE(struct notify, client.verbose),
	CMD_OPT_HELP,
	CMD_OPT_END,
};

static const struct cmd_spec notify_spec = {
	"usage: ssci notify [OPTIONS] COMMIT...\n"
	"       ssci notify [OPTIONS] --post-receive < \"old new ref\" lines\n"
	"       ssci notify [OPTIONS] --flush\n", "vh", notify_opts,
	NULL, 0, 0,
};

static void
notify_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct notify *n = arg;
	struct notify_item *it = &n->items[n->answered];

	(void)c;
	if (reply == NULL) {
		n->failed = 1;
		event_base_loopexit(n->client.base, NULL);
		return;
	}
	if (reply->type != PROTO_OK) {
		log_warnx("dispatcher refused %s: %s", it->commit,
		    reply->message);
		it->outcome = pending_refusal_passes(reply->code) ?
		    NOTIFY_LATER : NOTIFY_REFUSED;
		n->failed = 1;
	} else {
		it->outcome = NOTIFY_DELIVERED;
		printf("%s job %lld %s\n", it->commit, (long long)reply->job,
		    reply->has_state ? job_state_name(reply->state) : "");
	}
	if (++n->answered == n->nitems)
		event_base_loopexit(n->client.base, NULL);
}

/*
 * Every dispatch at once: the dispatcher answers in order, so the replies
 * need not be waited for one by one.
 */
static void
notify_send_all(struct notify *n)
{
	for (size_t i = 0; i < n->nitems; i++) {
		struct notify_item *it = &n->items[i];
		struct proto_dispatch msg = {
			.repo = it->repo ? it->repo : n->repo,
			.commit = it->commit, .branch = it->branch,
			.subject = it->subject, .author = it->author,
			.rebuild = it->rebuild || n->rebuild, .trigger = "hook",
		};

		/* Kept from an earlier run (its own repo): not this one's. */
		if (n->priority != NULL && it->repo == NULL) {
			job_priority_parse(n->priority, &msg.priority);
			msg.priority_set = 1;
		}
		if (conn_request(n->client.conn, proto_encode_dispatch_msg(&msg,
		    NULL), notify_reply, n) == -1) {
			n->failed = 1;
			event_base_loopexit(n->client.base, NULL);
			return;
		}
	}
}

/*
 * What was kept from earlier runs goes first, oldest first, then the
 * commits of this one.  0, or -1 if the list could not be read (then
 * nothing is lost: it stays as it was).
 */
static int
notify_take_pending(struct notify *n, struct pending *pend)
{
	struct notify_item *mine = n->items;
	size_t nmine = n->nitems;
	char *path;
	int rc;

	xasprintf(&path, "%s/ssci/pending", n->gitdir);
	rc = pending_open(pend, path, 1);
	free(path);
	if (rc != 0)
		return -1;
	n->items = NULL;
	n->nitems = 0;
	for (size_t i = 0; i < pend->n; i++) {
		const struct pending_item *p = &pend->items[i];

		notify_add(n, p->commit, p->branch);
		n->items[n->nitems - 1].repo = xstrdup(p->repo);
		n->items[n->nitems - 1].rebuild = p->rebuild;
	}
	for (size_t i = 0; i < nmine; i++) {
		n->items = xrealloc(n->items, (n->nitems + 1) *
		    sizeof *n->items);
		n->items[n->nitems++] = mine[i];
	}
	free(mine);
	return 0;
}

/* Keep what was not delivered (nor refused for good) for the next run. */
static void
notify_keep_pending(struct notify *n, struct pending *pend)
{
	size_t kept = 0;

	for (size_t i = 0; i < pend->n; i++)
		pending_item_release(&pend->items[i]);
	pend->n = 0;
	for (size_t i = 0; i < n->nitems; i++) {
		const struct notify_item *it = &n->items[i];

		if (it->outcome == NOTIFY_DELIVERED ||
		    it->outcome == NOTIFY_REFUSED)
			continue;
		pending_add(pend, it->commit, it->branch, it->repo ? it->repo :
		    n->repo, it->rebuild || n->rebuild);
		kept++;
	}
	if (pending_close(pend) == 0 && kept > 0)
		log_warnx("%zu commit%s kept in %s/ssci/pending: the next ssci "
		    "notify, or the observer of ssci up, reports %s", kept,
		    kept == 1 ? "" : "s", n->gitdir, kept == 1 ? "it" : "them");
}

static void
notify_ready(struct conn *c, void *arg)
{
	(void)c;
	notify_send_all(arg);
}

/* Refused, or could not connect at all. */
static void
notify_gone(struct conn *c, void *arg)
{
	struct notify *n = arg;

	(void)c;
	n->failed = 1;
	event_base_loopexit(n->client.base, NULL);
}

static void
notify_refused(struct conn *c, const char *why, void *arg)
{
	(void)why;
	notify_gone(c, arg);
}

static void
notify_free(struct notify *n)
{
	for (size_t i = 0; i < n->nitems; i++) {
		free(n->items[i].branch);
		free(n->items[i].repo);
		free(n->items[i].author);
		free(n->items[i].subject);
	}
	free(n->items);
	free(n->repo);
	free(n->branch);
	free(n->priority);
	free(n->gitdir);
}

static const struct conn_callbacks notify_conn_cbs = {
	.on_ready = notify_ready, .on_refused = notify_refused,
	.on_lost = notify_gone,
};

static const struct cmd_client_kind notify_kind = {
	.log_name = "notify", .cbs = &notify_conn_cbs,
	.role = PROTO_ROLE_OBSERVER, .find_dispatcher = 1,
};

int
cmd_notify(int argc, char **argv)
{
	struct notify n = { 0 };
	struct pending pend = { .lock_fd = -1 };
	int first, rc = 0, have_pending = 0;

	first = cmd_parse(argc, argv, &notify_spec, &n);
	if (n.post_receive || n.flush ? first != argc : first >= argc)
		cmd_usage(&notify_spec);
	cmd_client_init(&n.client, &notify_kind, &n);
	/* A hook runs in the repository itself: name that one. */
	if (notify_repo_facts(&n) == -1) {
		n.failed = 1;
		goto out;
	}
	if (!n.flush)
		rc = n.post_receive ? notify_post_receive(&n) :
		    notify_revisions(&n, argv + first, argc - first);
	if (rc == 0 && n.gitdir != NULL)
		have_pending = notify_take_pending(&n, &pend) == 0;
	if (rc == -1 || n.nitems == 0) {
		n.failed = rc == -1;
		goto out;
	}
	/* Pushed commits and full ids have no author and subject yet. */
	notify_describe(&n);
	n.client.gitdir = n.gitdir;
	cmd_client_start(&n.client);
	if (cmd_client_connect(&n.client) == 0)
		cmd_client_run(&n.client);
	else
		n.failed = 1;
out:
	cmd_client_end(&n.client);
	if (have_pending)
		notify_keep_pending(&n, &pend);
	notify_free(&n);
	return n.failed ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * observer.c - "ssci observer CLONE": every interval, fetch, find the
 * commits on each watched branch that were not reported yet and dispatch
 * them, oldest first.  The mark of what was reported lives in a state file
 * in the clone's .git and moves only after the dispatcher's ok, so a
 * dispatcher that is down loses nothing: the same commits go next time.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd.h"
#include "cmd_client.h"
#include "commit_desc.h"
#include "conn.h"
#include "pending.h"
#include "repo.h"
#include "spawn.h"
#include "util.h"

#define OBSERVER_MAX_NEW 1000

struct watched {
	char *name;
	char mark[65];		/* last commit reported, "" if none */
	/*
	 * With no mark yet: the tip when the observer started, reported
	 * first, then everything after it, even if the dispatcher was not
	 * up at the time.
	 */
	char base[65];
	struct commit_desc *pending;	/* to dispatch, oldest first */
	size_t npending;
	size_t next;
};

struct observer {
	struct cmd_client client;	/* the loop and the connection */
	const char *clone;
	char *url;
	int has_origin;
	char *state_path;
	struct watched *branches;
	size_t nbranches;
	size_t current;		/* branch being polled */
	int busy;		/* a poll is under way */
	int all_branches;	/* watch every branch, new ones too */
	int status;		/* exit status: 1 once the dispatcher refused us */
	const char *pending;	/* a hook's undelivered commits, or NULL */
	int said_ready;
	struct event *ev_poll;
	int64_t interval_ms;	/* between polls */
	struct cmd_list given;	/* --branch: the branches to watch */
	char tip[65];
};

static const struct cmd_opt observer_opts[] = {
	{ "dispatcher-server", required_argument, 'd', "HOST:PORT",
	    "localhost:8888", CMD_DISPATCHER_ABOUT,
	    CMD_STR(struct observer, client.server) },
	{ "interval", required_argument, 'i', "SECONDS", "5",
	    "how often to fetch",
	    CMD_MILLIS(struct observer, interval_ms, 10, 86400000) },
	{ "branch", required_argument, 'b', "NAME", "the clone's current branch",
	    "branch to watch; repeat for more",
	    CMD_LIST_VALID(struct observer, given, branch_name_valid,
	    "branch name") },
	{ "all-branches", no_argument, 'a', NULL, NULL,
	    "watch every branch; a new one is tested from its tip",
	    CMD_FLAG(struct observer, all_branches) },
	{ "pending", required_argument, 'p', "FILE", NULL,
	    "also report the commits a hook kept in FILE (a repository's "
	    ".git/ssci/pending)", CMD_STR(struct observer, pending) },
	CMD_OPT_CONFIG,
	CMD_SECURITY_OPTIONS(struct observer, client.sec),
	CMD_OPT_VERBOSE(struct observer, client.verbose),
	CMD_OPT_HELP,
	CMD_OPT_END,
};

const struct cmd_spec cmd_observer_spec = {
	"usage: ssci observer [OPTIONS] CLONE\n", "vh", observer_opts,
	"observer", sizeof(struct observer), 0,
};

static void observer_branch(struct observer *o);

static void
observer_save(struct observer *o)
{
	size_t len = 0, cap = 1;
	char *buf;

	for (size_t i = 0; i < o->nbranches; i++)
		cap += strlen(o->branches[i].name) + 67;
	buf = xmalloc(cap);
	for (size_t i = 0; i < o->nbranches; i++) {
		if (o->branches[i].mark[0] != '\0')
			len += (size_t)snprintf(buf + len, cap - len, "%s %s\n",
			    o->branches[i].name, o->branches[i].mark);
	}
	write_file_atomic(o->state_path, buf, len);
	free(buf);
}

/* Read "branch commit" lines; unknown branches and bad lines are skipped. */
static void
observer_load(struct observer *o)
{
	char line[512], name[300], id[80];
	FILE *f = fopen(o->state_path, "re");

	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%299s %79s", name, id) != 2)
			continue;
		for (size_t i = 0; i < o->nbranches; i++) {
			if (strcmp(o->branches[i].name, name) == 0 &&
			    commit_id_normalize(id, o->branches[i].mark) == -1)
				o->branches[i].mark[0] = '\0';
		}
	}
	fclose(f);
}

static void
observer_clear_pending(struct watched *w)
{
	commit_desc_free(w->pending, w->npending);
	w->pending = NULL;
	w->npending = w->next = 0;
}

/* This poll is over; the timer brings the next. */
static void
observer_poll_done(struct observer *o)
{
	for (size_t i = 0; i < o->nbranches; i++)
		observer_clear_pending(&o->branches[i]);
	o->busy = 0;
}

static void
observer_next_branch(struct observer *o)
{
	o->current++;
	observer_branch(o);
}

static void observer_send_next(struct observer *o);

static void
observer_dispatch_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct observer *o = arg;
	struct watched *w = &o->branches[o->current];
	const char *id = w->pending[w->next].id;

	(void)c;
	if (reply == NULL) {
		observer_poll_done(o);	/* lost: the mark stays */
		return;
	}
	if (reply->type != PROTO_OK) {
		log_warnx("dispatcher refused %s on '%s': %s", id, w->name,
		    reply->message);
		observer_poll_done(o);
		return;
	}
	log_info("%s %s on '%s': job %lld", reply->existing ? "known" :
	    "reported", id, w->name, (long long)reply->job);
	memcpy(w->mark, id, strlen(id) + 1);
	observer_save(o);
	w->next++;
	observer_send_next(o);
}

static void
observer_send_next(struct observer *o)
{
	struct watched *w = &o->branches[o->current];
	const struct commit_desc *d;
	struct proto_dispatch msg;
	char *line;

	if (w->next >= w->npending) {
		observer_next_branch(o);
		return;
	}
	d = &w->pending[w->next];
	msg = (struct proto_dispatch){ .repo = o->url, .commit = d->id,
	    .branch = w->name, .subject = d->subject, .author = d->author,
	    .trigger = "observer" };
	line = proto_encode_dispatch_msg(&msg, NULL);
	if (conn_request(o->client.conn, line, observer_dispatch_reply, o) == -1)
		observer_poll_done(o);
}

/* Take the new commits from rev-list's output (oldest first). */
static void
observer_revlist_done(int status, const char *out, size_t len, void *arg)
{
	struct observer *o = arg;
	struct watched *w = &o->branches[o->current];

	(void)len;
	if (status != 0) {
		log_warnx("git log failed on '%s': %s", w->name, out);
		observer_next_branch(o);
		return;
	}
	observer_clear_pending(w);
	w->npending = commit_desc_parse(out, &w->pending);
	if (w->npending > OBSERVER_MAX_NEW) {
		log_warnx("%zu new commits on '%s': reporting the newest %d",
		    w->npending, w->name, OBSERVER_MAX_NEW);
		w->next = w->npending - OBSERVER_MAX_NEW;
	}
	observer_send_next(o);
}

/* Where new commits start: after the mark, or from the start-up tip. */
static const char *
observer_from(const struct watched *w)
{
	return w->mark[0] != '\0' ? w->mark : w->base;
}

/* List commits with git log (args after the format); oldest first. */
static void
observer_list(struct observer *o, const char *a1, const char *a2)
{
	if (spawn_capture((const char *const[]){ "git", "log", "--reverse",
	    COMMIT_DESC_FORMAT, a1, a2, "--", NULL }, o->clone, 4 << 20,
	    observer_revlist_done, o) == NULL)
		observer_next_branch(o);
}

/* Only the tip: first start, or the mark is not an ancestor (force-push). */
static void
observer_tip_only(struct observer *o, struct watched *w)
{
	(void)w;
	observer_list(o, "-1", o->tip);
}

static void
observer_ancestor_done(int status, const char *out, size_t len, void *arg)
{
	struct observer *o = arg;
	struct watched *w = &o->branches[o->current];
	char *exclude;

	(void)out;
	(void)len;
	if (status != 0) {
		log_info("'%s' was rewritten: testing its new tip", w->name);
		observer_tip_only(o, w);
		return;
	}
	/* From the start-up tip, that tip itself is new too: ^BASE^@. */
	xasprintf(&exclude, "^%s%s", observer_from(w), w->mark[0] != '\0' ?
	    "" : "^@");
	observer_list(o, o->tip, exclude);
	free(exclude);
}

static void
observer_tip_done(int status, const char *out, size_t len, void *arg)
{
	struct observer *o = arg;
	struct watched *w = &o->branches[o->current];
	char first[80];

	(void)len;
	snprintf(first, sizeof first, "%.*s", (int)strcspn(out, "\n"), out);
	if (status != 0 || commit_id_normalize(first, o->tip) == -1) {
		log_warnx("branch '%s' not found in '%s'", w->name, o->clone);
		observer_next_branch(o);
		return;
	}
	if (strcmp(o->tip, w->mark) == 0) {
		observer_next_branch(o);
		return;
	}
	if (observer_from(w)[0] == '\0' || strcmp(o->tip, w->base) == 0) {
		observer_tip_only(o, w);
		return;
	}
	if (spawn_capture((const char *const[]){ "git", "merge-base",
	    "--is-ancestor", observer_from(w), o->tip, NULL }, o->clone, 4096,
	    observer_ancestor_done, o) == NULL)
		observer_next_branch(o);
}

/* Poll branch o->current, or end the poll after the last one. */
static void
observer_branch(struct observer *o)
{
	struct watched *w;
	char *ref;

	if (o->current >= o->nbranches || !conn_is_ready(o->client.conn)) {
		observer_poll_done(o);
		return;
	}
	w = &o->branches[o->current];
	xasprintf(&ref, "refs/%s/%s^{commit}", o->has_origin ?
	    "remotes/origin" : "heads", w->name);
	if (spawn_capture((const char *const[]){ "git", "rev-parse", "--verify",
	    "--quiet", ref, NULL }, o->clone, 4096, observer_tip_done,
	    o) == NULL)
		observer_next_branch(o);
	free(ref);
}

static void
observer_watch(struct observer *o, const char *name)
{
	o->branches = xrealloc(o->branches,
	    (o->nbranches + 1) * sizeof *o->branches);
	memset(&o->branches[o->nbranches], 0, sizeof *o->branches);
	o->branches[o->nbranches++].name = xstrdup(name);
}

/* Watch every branch named in for-each-ref's output not watched yet. */
static void
observer_add_listed(struct observer *o, const char *out)
{
	char *copy = xstrdup(out), *save = NULL;

	for (char *name = strtok_r(copy, "\n", &save); name != NULL;
	    name = strtok_r(NULL, "\n", &save)) {
		size_t i;

		if (!branch_name_valid(name) || strcmp(name, "HEAD") == 0)
			continue;
		for (i = 0; i < o->nbranches; i++) {
			if (strcmp(o->branches[i].name, name) == 0)
				break;
		}
		if (i == o->nbranches) {
			if (o->busy)
				log_info("new branch '%s': testing its tip",
				    name);
			observer_watch(o, name);
		}
	}
	free(copy);
}

/* for-each-ref's argument vector listing the branches of the clone. */
static const char *const *
observer_list_argv(const struct observer *o)
{
	static const char *const remote[] = { "git", "for-each-ref",
	    "--format=%(refname:lstrip=3)", "refs/remotes/origin", NULL };
	static const char *const local[] = { "git", "for-each-ref",
	    "--format=%(refname:lstrip=2)", "refs/heads", NULL };

	return o->has_origin ? remote : local;
}

static void
observer_list_done(int status, const char *out, size_t len, void *arg)
{
	struct observer *o = arg;

	(void)len;
	if (status == 0)
		observer_add_listed(o, out);
	o->current = 0;
	observer_branch(o);
}

static void
observer_fetch_done(int status, const char *out, size_t len, void *arg)
{
	struct observer *o = arg;

	(void)len;
	if (status != 0)
		log_warnx("git fetch in '%s' failed: %s", o->clone, out);
	if (o->all_branches && spawn_capture(observer_list_argv(o), o->clone,
	    1 << 20, observer_list_done, o) != NULL)
		return;
	o->current = 0;
	observer_branch(o);
}

static void
observer_fetch(struct observer *o)
{
	if (!o->has_origin) {
		observer_fetch_done(0, "", 0, o);
		return;
	}
	if (spawn_capture((const char *const[]){ "git", "fetch", "--quiet",
	    "--prune", "origin", NULL }, o->clone, 16384, observer_fetch_done,
	    o) == NULL)
		o->busy = 0;
}

static void
observer_pending_done(void *arg)
{
	observer_fetch(arg);
}

/*
 * A poll: first what a hook could not report (with --pending), then the
 * new commits of every branch.
 */
static void
observer_poll(struct observer *o)
{
	if (o->busy || !conn_is_ready(o->client.conn))
		return;
	o->busy = 1;
	if (o->pending != NULL && pending_send(o->client.conn, o->pending,
	    observer_pending_done, o) == 0)
		return;
	observer_fetch(o);
}

static void
observer_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	observer_poll(arg);
}

static void
observer_ready(struct conn *c, void *arg)
{
	struct observer *o = arg;

	(void)c;
	/* Said once the dispatcher took us: "ssci up" waits for it. */
	if (!o->said_ready++)
		log_info("reporting to dispatcher %s", conn_server(c));
	observer_poll(o);
}

static void
observer_refused(struct conn *c, const char *why, void *arg)
{
	struct observer *o = arg;

	(void)c;
	(void)why;
	o->status = 1;
	event_base_loopexit(o->client.base, NULL);
}

/*
 * First start of a branch: remember the tip the clone has now, before any
 * fetch, so that it and every commit after it are reported, those made
 * before the observer started and before the dispatcher answers included.
 */
static void
observer_baseline(struct observer *o)
{
	char *ref, *out;

	for (size_t i = 0; i < o->nbranches; i++) {
		struct watched *w = &o->branches[i];

		if (w->mark[0] != '\0')
			continue;
		xasprintf(&ref, "refs/%s/%s^{commit}", o->has_origin ?
		    "remotes/origin" : "heads", w->name);
		out = NULL;
		if (spawn_run_sync((const char *const[]){ "git", "rev-parse",
		    "--verify", "--quiet", ref, NULL }, o->clone, &out) == 0) {
			out[strcspn(out, "\n")] = '\0';
			if (commit_id_normalize(out, w->base) == -1)
				w->base[0] = '\0';
		}
		free(out);
		free(ref);
	}
}

/* Where the clone is, what it is called and what to watch. */
static int
observer_setup(struct observer *o)
{
	char *gitdir, *branch;

	gitdir = repo_git_dir(o->clone);
	if (gitdir == NULL)
		return -1;
	xasprintf(&o->state_path, "%s/ssci-observer", gitdir);
	free(gitdir);
	o->url = repo_url(o->clone, &o->has_origin);
	if (o->url == NULL)
		return -1;
	for (size_t i = 0; i < o->given.n; i++)
		observer_watch(o, o->given.items[i]);
	if (o->all_branches) {
		char *out = NULL;

		if (spawn_run_sync(observer_list_argv(o), o->clone, &out) == 0)
			observer_add_listed(o, out);
		free(out);
	} else if (o->nbranches == 0) {
		branch = repo_current_branch(o->clone);
		if (branch == NULL || !branch_name_valid(branch)) {
			log_warnx("unable to tell the branch of '%s': name one "
			    "with --branch", o->clone);
			free(branch);
			return -1;
		}
		observer_watch(o, branch);
		free(branch);
	}
	observer_load(o);
	observer_baseline(o);
	return 0;
}

static const struct conn_callbacks observer_conn_cbs = {
	.on_ready = observer_ready, .on_refused = observer_refused,
};

static const struct cmd_client_kind observer_kind = {
	.log_name = "observer", .daemon = 1, .spawns = 1, .stop_on_signals = 1,
	.cbs = &observer_conn_cbs, .role = PROTO_ROLE_OBSERVER, .reconnect = 1,
};

/* Poll every interval until stopped (or refused). */
static void
observer_run(struct observer *o)
{
	struct timeval interval = { o->interval_ms / 1000,
	    o->interval_ms % 1000 * 1000 };

	cmd_client_start(&o->client);
	if (cmd_client_connect(&o->client) == -1) {
		o->status = 1;
		return;
	}
	log_info("watching '%s' (%s) every %.10g s", o->clone, o->url,
	    (double)o->interval_ms / 1000);
	o->ev_poll = event_new(o->client.base, -1, EV_PERSIST,
	    observer_timer_cb, o);
	event_add(o->ev_poll, &interval);
	cmd_client_run(&o->client);
	event_free(o->ev_poll);
}

int
cmd_observer(int argc, char **argv)
{
	struct observer o = { .interval_ms = 5000 };
	int first;

	first = cmd_parse(argc, argv, &cmd_observer_spec, &o);
	if (argc - first != 1)
		cmd_usage(&cmd_observer_spec);
	o.clone = argv[first];
	cmd_client_init(&o.client, &observer_kind, &o);
	if (observer_setup(&o) == 0)
		observer_run(&o);
	else
		o.status = 1;
	cmd_client_end(&o.client);
	for (size_t i = 0; i < o.nbranches; i++) {
		observer_clear_pending(&o.branches[i]);
		free(o.branches[i].name);
	}
	free(o.branches);
	free(o.given.items);
	free(o.url);
	free(o.state_path);
	return o.status;
}

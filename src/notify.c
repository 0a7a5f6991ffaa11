/*
 * notify.c - "ssci notify COMMIT...": report the commits named, once, for
 * a git hook.  With --post-receive it reads the "old new ref" lines git
 * gives that hook and reports every new commit of every pushed branch,
 * oldest first.  Exits 0 when the dispatcher accepted every one, 1 if not.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd.h"
#include "conn.h"
#include "repo.h"
#include "spawn.h"
#include "util.h"

#define NOTIFY_DEFAULT_SERVER "localhost:8888"

static const char notify_usage[] =
    "usage: ssci notify [--dispatcher-server HOST:PORT] [--repo URL]\n"
    "                   [--branch NAME] [--rebuild] [" CMD_SECURITY_USAGE "]\n"
    "                   [-v] COMMIT...\n"
    "       ssci notify [--dispatcher-server HOST:PORT] [--repo URL]\n"
    "                   --post-receive < \"old new ref\" lines\n";

struct notify_item {
	char commit[65];
	char *branch;		/* may be NULL */
	char *info;		/* "author US subject" from git log, or NULL */
};

struct notify {
	struct event_base *base;
	struct conn *conn;
	char *repo;
	char *branch;
	int rebuild;
	struct notify_item *items;
	size_t nitems;
	size_t answered;
	int failed;
	char *gitdir;		/* of the repository it runs in, or NULL */
	char *token_file;	/* the one "ssci up" left, if any */
};

static void
notify_add(struct notify *n, const char *commit, const char *branch)
{
	struct notify_item *it;

	n->items = xrealloc(n->items, (n->nitems + 1) * sizeof *n->items);
	it = &n->items[n->nitems++];
	memcpy(it->commit, commit, sizeof it->commit);
	it->branch = branch ? xstrdup(branch) : NULL;
	it->info = NULL;
}

/*
 * Authors and subjects of every commit with one git log, before the loop
 * runs.  Commits git does not know keep none.
 */
static void
notify_describe(struct notify *n)
{
	const char **argv = xcalloc(n->nitems + 6, sizeof *argv);
	char *out = NULL, *save = NULL;
	size_t k = 0;

	argv[k++] = "git";
	argv[k++] = "log";
	argv[k++] = "--no-walk=unsorted";
	argv[k++] = "--format=%H%x1f%an%x1f%s";
	for (size_t i = 0; i < n->nitems; i++)
		argv[k++] = n->items[i].commit;
	argv[k++] = "--";
	if (spawn_run_sync(argv, ".", &out) == 0) {
		for (char *line = strtok_r(out, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			size_t idlen = strcspn(line, "\x1f");

			for (size_t i = 0; i < n->nitems; i++) {
				if (n->items[i].info == NULL && idlen ==
				    strlen(n->items[i].commit) && strncmp(line,
				    n->items[i].commit, idlen) == 0 &&
				    line[idlen] != '\0')
					n->items[i].info = xstrdup(line +
					    idlen + 1);
			}
		}
	}
	free(out);
	free(argv);
}

/* Author and subject from info, control characters made spaces. */
static void
notify_info(char *info, char **author, char **subject)
{
	char *sep;

	*author = *subject = NULL;
	if (info == NULL || (sep = strchr(info, '\x1f')) == NULL)
		return;
	*sep = '\0';
	info[strcspn(info, "\n")] = '\0';
	sep[1 + strcspn(sep + 1, "\n")] = '\0';
	for (char *c = info; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	}
	for (char *c = sep + 1; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	}
	if (strlen(info) > 1000)
		info[1000] = '\0';
	if (strlen(sep + 1) > 1000)
		sep[1001] = '\0';
	*author = info;
	*subject = sep + 1;
}

static void
notify_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct notify *n = arg;
	const char *id = n->items[n->answered].commit;

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
	if (++n->answered == n->nitems)
		event_base_loopexit(n->base, NULL);
}

/*
 * Every dispatch at once: the dispatcher answers in order, so the replies
 * need not be waited for one by one.
 */
static void
notify_send_all(struct notify *n)
{
	char *author, *subject;

	for (size_t i = 0; i < n->nitems; i++) {
		struct notify_item *it = &n->items[i];

		notify_info(it->info, &author, &subject);
		if (conn_request(n->conn, proto_encode_dispatch_info(n->repo,
		    it->commit, it->branch, subject, author, n->rebuild, NULL),
		    notify_reply, n) == -1) {
			n->failed = 1;
			event_base_loopexit(n->base, NULL);
			return;
		}
	}
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
	event_base_loopexit(n->base, NULL);
}

static void
notify_refused(struct conn *c, const char *why, void *arg)
{
	(void)why;
	notify_gone(c, arg);
}

/*
 * What notify needs of the repository it runs in, with one git for the
 * common case (a hook's): its git dir, whether it is bare, its branch.
 * The repository is named by its work tree, or its git dir when bare.
 */
static int
notify_repo_facts(struct notify *n)
{
	char *out = NULL, *save = NULL, *dir, *bare, *branch;
	size_t len;

	if (spawn_run_sync((const char *const[]){ "git", "rev-parse",
	    "--absolute-git-dir", "--is-bare-repository", "--abbrev-ref", "HEAD",
	    NULL }, ".", &out) != 0 || (dir = strtok_r(out, "\n", &save)) ==
	    NULL || (bare = strtok_r(NULL, "\n", &save)) == NULL ||
	    (branch = strtok_r(NULL, "\n", &save)) == NULL) {
		/* No commit yet, or not a repository: ask the long way. */
		free(out);
		n->gitdir = repo_git_dir(".");
		if (n->repo == NULL && (n->repo = repo_self(".")) == NULL)
			return -1;
		if (n->branch == NULL)
			n->branch = repo_current_branch(".");
		return 0;
	}
	n->gitdir = xstrdup(dir);
	len = strlen(dir);
	if (n->repo == NULL) {
		if (strcmp(bare, "true") == 0)
			n->repo = xstrdup(dir);
		else if (len > 5 && strcmp(dir + len - 5, "/.git") == 0)
			n->repo = xstrndup(dir, len - 5);
		else if ((n->repo = repo_self(".")) == NULL) {
			free(out);
			return -1;
		}
	}
	if (n->branch == NULL && strcmp(branch, "HEAD") != 0)
		n->branch = xstrdup(branch);
	free(out);
	return 0;
}

/*
 * Revisions that are not full ids resolved, with authors and subjects,
 * by the one git log that notify_describe would run anyway.  0 when every
 * revision got its line, -1 to go the long way.
 */
static int
notify_log_revisions(struct notify *n, char **revs, int nrevs)
{
	const char **argv = xcalloc((size_t)nrevs + 6, sizeof *argv);
	char *out = NULL, *save = NULL, *line, id[65];
	size_t k = 0;
	int got = 0;

	argv[k++] = "git";
	argv[k++] = "log";
	argv[k++] = "--no-walk=unsorted";
	argv[k++] = "--format=%H%x1f%an%x1f%s";
	for (int i = 0; i < nrevs; i++) {
		if (revs[i][0] == '-') {
			free(argv);
			return -1;
		}
		argv[k++] = revs[i];
	}
	argv[k++] = "--";
	if (spawn_run_sync(argv, ".", &out) == 0) {
		for (line = strtok_r(out, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			got++;
	}
	free(argv);
	/* One line each, or some revisions named the same commit. */
	if (got != nrevs) {
		free(out);
		return -1;
	}
	line = out;
	for (int i = 0; i < nrevs; i++, line += strlen(line) + 1) {
		size_t idlen = strcspn(line, "\x1f");

		snprintf(id, sizeof id, "%.*s", (int)idlen, line);
		if (commit_id_normalize(id, id) == -1) {
			n->nitems = 0;
			free(out);
			return -1;
		}
		notify_add(n, id, n->branch);
		if (line[idlen] != '\0')
			n->items[n->nitems - 1].info = xstrdup(line + idlen + 1);
	}
	free(out);
	return 0;
}

/* The commits named on the command line, on the given or current branch. */
static int
notify_revisions(struct notify *n, char **revs, int nrevs)
{
	char id[65];

	if (n->branch != NULL && !branch_name_valid(n->branch)) {
		free(n->branch);
		n->branch = NULL;
	}
	if (notify_log_revisions(n, revs, nrevs) == 0)
		return 0;
	for (size_t i = 0; i < n->nitems; i++) {
		free(n->items[i].branch);
		free(n->items[i].info);
	}
	n->nitems = 0;
	for (int i = 0; i < nrevs; i++) {
		if (commit_id_normalize(revs[i], id) == -1 &&
		    repo_resolve_commit(".", revs[i], id) == -1)
			return -1;
		notify_add(n, id, n->branch);
	}
	return 0;
}

/* Add the commits of one pushed branch: new ones oldest first, or the tip. */
static int
notify_pushed(struct notify *n, const char *old, const char *new,
    const char *branch)
{
	char *exclude, *out = NULL, id[65];
	int status = -1;

	if (strspn(old, "0") != strlen(old) && spawn_run_sync((const char *const[]){ "git", "merge-base",
	    "--is-ancestor", old, new, NULL }, ".", NULL) == 0) {
		xasprintf(&exclude, "^%s", old);
		status = spawn_run_sync((const char *const[]){ "git",
		    "rev-list", "--reverse", new, exclude, "--", NULL }, ".",
		    &out);
		free(exclude);
	}
	if (status != 0) {
		/* A new branch, or a force-push: its tip. */
		notify_add(n, new, branch);
		free(out);
		return 0;
	}
	for (char *line = strtok(out, "\n"); line != NULL;
	    line = strtok(NULL, "\n")) {
		if (commit_id_normalize(line, id) == 0)
			notify_add(n, id, branch);
	}
	free(out);
	return 0;
}

/* The "old new ref" lines of a post-receive hook, from stdin. */
static int
notify_post_receive(struct notify *n)
{
	char line[1024], oldarg[80], newarg[80], ref[600], old[65], new[65];

	while (fgets(line, sizeof line, stdin) != NULL) {
		if (sscanf(line, "%79s %79s %599s", oldarg, newarg, ref) != 3 ||
		    commit_id_normalize(oldarg, old) == -1 ||
		    commit_id_normalize(newarg, new) == -1) {
			log_warnx("unable to read the hook line '%.*s'",
			    (int)strcspn(line, "\n"), line);
			return -1;
		}
		if (strncmp(ref, "refs/heads/", 11) != 0 ||
		    strspn(new, "0") == strlen(new))
			continue;	/* a tag, or a deleted branch */
		if (!branch_name_valid(ref + 11)) {
			log_warnx("skipping branch '%s': name not supported",
			    ref + 11);
			continue;
		}
		notify_pushed(n, old, new, ref + 11);
	}
	return 0;
}

/*
 * The dispatcher to tell: as given, or the address "ssci up" left in the
 * repository's .git/ssci, or the default.
 */
static char *
notify_server(const struct notify *n, const char *given)
{
	char *path, buf[300];
	FILE *f;

	if (given != NULL)
		return xstrdup(given);
	if (n->gitdir == NULL)
		return xstrdup(NOTIFY_DEFAULT_SERVER);
	xasprintf(&path, "%s/ssci/dispatcher.addr", n->gitdir);
	f = fopen(path, "re");
	free(path);
	if (f != NULL && fgets(buf, sizeof buf, f) != NULL) {
		fclose(f);
		buf[strcspn(buf, "\n")] = '\0';
		return xstrdup(buf);
	}
	if (f != NULL)
		fclose(f);
	return xstrdup(NOTIFY_DEFAULT_SERVER);
}

/* The token "ssci up" left in the repository's .git/ssci, or NULL. */
static char *
notify_token_file(const struct notify *n)
{
	char *path;

	if (n->gitdir == NULL)
		return NULL;
	xasprintf(&path, "%s/ssci/token", n->gitdir);
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

int
cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dispatcher-server", required_argument, NULL, 'd' },
		{ "repo", required_argument, NULL, 'r' },
		{ "branch", required_argument, NULL, 'b' },
		{ "rebuild", no_argument, NULL, 'R' },
		{ "post-receive", no_argument, NULL, 'P' },
		CMD_SECURITY_OPTIONS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct conn_callbacks cbs = {
		.on_ready = notify_ready, 
		.on_refused = notify_refused, .on_lost = notify_gone,
	};
	const char *given = NULL;
	struct notify n = { 0 };
	int ch, verbose = 0, post_receive = 0, rc;
	struct cmd_security sec = { 0 };
	struct conn_auth auth = { 0 };
	char *server = NULL;

	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		if (cmd_security_option(&sec, ch, optarg))
			continue;
		switch (ch) {
		case 'd':
			given = optarg;
			break;
		case 'r':
			if (!repo_url_valid(optarg)) {
				fprintf(stderr, "ssci: invalid repository "
				    "URL '%s'\n", optarg);
				cmd_usage(notify_usage);
			}
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
		case 'P':
			post_receive = 1;
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
	if (post_receive ? optind != argc : optind >= argc)
		cmd_usage(notify_usage);
	log_init("notify", verbose);
	signal(SIGPIPE, SIG_IGN);
	/* A hook runs in the repository itself: name that one. */
	if (notify_repo_facts(&n) == -1) {
		n.failed = 1;
		goto out;
	}
	rc = post_receive ? notify_post_receive(&n) :
	    notify_revisions(&n, argv + optind, argc - optind);
	if (rc == -1 || n.nitems == 0) {
		n.failed = rc == -1;
		goto out;
	}
	/* Pushed commits and full ids have no author and subject yet. */
	for (size_t i = 0; i < n.nitems; i++) {
		if (n.items[i].info == NULL) {
			notify_describe(&n);
			break;
		}
	}
	server = notify_server(&n, given);
	n.base = event_base_new();
	if (n.base == NULL)
		fatalx("unable to create the event loop");
	if (sec.token_file == NULL && getenv("SSCI_TOKEN") == NULL)
		sec.token_file = n.token_file = notify_token_file(&n);
	cmd_conn_auth(&sec, &auth);
	n.conn = conn_new(n.base, server, PROTO_ROLE_OBSERVER, &auth, 0, &cbs,
	    &n);
	if (n.conn == NULL)
		n.failed = 1;
	else
		event_base_dispatch(n.base);
	conn_free(n.conn);
	event_base_free(n.base);
	cmd_conn_auth_release(&auth);
	free(n.token_file);
out:
	for (size_t i = 0; i < n.nitems; i++) {
		free(n.items[i].branch);
		free(n.items[i].info);
	}
	free(n.items);
	free(n.repo);
	free(n.branch);
	free(n.gitdir);
	free(server);
	return n.failed ? 1 : 0;
}

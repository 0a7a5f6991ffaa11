/* SPDX-License-Identifier: MIT */
/*
 * up.c - "ssci up REPO": the whole system on one machine in one command.
 * Starts a dispatcher, N runners and an observer as child processes of
 * this one, relays their logs, restarts any that dies, and stops them all
 * on SIGINT or SIGTERM.  State lives in REPO/.git/ssci (or --state-dir), so
 * a second "ssci up" resumes where the first left off.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth.h"
#include "cmd.h"
#include "cmd_client.h"
#include "lock.h"
#include "repo.h"
#include "spawn.h"
#include "util.h"

#define UP_RESTART_DELAY_MS 1000
#define UP_RESTART_MAX_MS 30000
#define UP_STOP_GRACE_MS 10000

struct up;

struct child {
	struct up *up;
	char name[32];
	const char **argv;	/* grown by child_arg, NULL-terminated */
	size_t argc;
	struct spawn *sp;
	struct event *ev_restart;
	char line[512];		/* the line being read of its output */
	size_t linelen;
	char last[512];		/* its last whole line, for its last words */
	const char *ready_mark;	/* the line that says it has started */
	int ready;		/* it said so */
	int restarts;		/* in a row, since it last started well */
	char runner_name[48];
	char *work_dir;
};

struct up {
	struct cmd_client client;	/* the loop; no connection */
	char self[PATH_MAX];
	char *repo;		/* absolute path, or the URL as given */
	char *state_dir;
	char *results_dir;
	char *observer_clone;
	char *pending;		/* REPO/.git/ssci/pending, for a local REPO */
	/* As the command line gave them (or NULL). */
	const char *given_state_dir;
	const char *given_results_dir;
	const char *token_file;
	const char *host;
	const char *http;	/* "HOST:PORT" or "off" */
	int port;		/* the dispatcher's: as asked, then as it said */
	char portarg[16];
	char address[300];
	int64_t interval_ms;	/* the observer's */
	char interval[16];
	const char *test_cmd;
	char *token_path;	/* STATE/token, when there is a token */
	struct cmd_list branches;
	int nrunners;
	struct child *children;	/* [0] dispatcher, then runners, observer */
	int nchildren;
	int started;		/* runners and observer are up */
	int stopping;
	int running;		/* children alive */
	int status;		/* our exit status: 1 once a child could not start */
	struct event *ev_kill;
	int lock_fd;		/* STATE/up.lock */
	struct lock_holder lock;
	char up_env[40];	/* "SSCI_UP_PID=N" for the children */
};

static const struct cmd_opt up_opts[] = {
	{ "runners", required_argument, 'n', "N", "the number of cores",
	    "local runners, each with its own clone in STATE/runner-N",
	    CMD_INT(struct up, nrunners, 1, 64) },
	{ "host", required_argument, 'H', "HOST", "127.0.0.1",
	    "the dispatcher's address", CMD_STR(struct up, host) },
	{ "port", required_argument, 'p', "PORT", "8888",
	    "the dispatcher's port; 0 takes a free one",
	    CMD_INT(struct up, port, 0, 65535) },
	{ "http", required_argument, 'w', "HOST:PORT|off", "localhost:8080",
	    "the web side; off for none, port 0 for a free one",
	    CMD_STR(struct up, http) },
	{ "state-dir", required_argument, 's', "DIR", "REPO/.git/ssci",
	    "where everything is kept", CMD_STR(struct up, given_state_dir) },
	{ "results-dir", required_argument, 'r', "DIR", "STATE/test_results",
	    "one file per tested commit",
	    CMD_STR(struct up, given_results_dir) },
	{ "interval", required_argument, 'i', "SECONDS", "5",
	    "the observer's polling interval",
	    CMD_MILLIS(struct up, interval_ms, 10, 86400000) },
	{ "branch", required_argument, 'b', "NAME", "the current branch",
	    "branch to watch; repeat for more",
	    CMD_LIST_VALID(struct up, branches, branch_name_valid,
	    "branch name") },
	{ "test-cmd", required_argument, 'c', "CMD", NULL,
	    "the runners' --test-cmd", CMD_STR(struct up, test_cmd) },
	{ "token-file", required_argument, 'T', "FILE", "$SSCI_TOKEN",
	    "require this token; kept in STATE/token (mode 600) for the "
	    "children and the hook", CMD_STR(struct up, token_file) },
	CMD_OPT_VERBOSE(struct up, client.verbose),
	CMD_OPT_HELP,
	CMD_OPT_END,
};

static const struct cmd_spec up_spec = {
	"usage: ssci up [OPTIONS] REPO\n", "vh", up_opts,
	NULL, 0, 0,
};

static void child_start(struct child *c);
static int up_lock(struct up *u);

/* Add arg (kept, not copied) to the argument vector of c. */
static void
child_arg(struct child *c, const char *arg)
{
	c->argv = xrealloc(c->argv, (c->argc + 2) * sizeof *c->argv);
	c->argv[c->argc++] = arg;
	c->argv[c->argc] = NULL;
}

/* The dispatcher said where it listens: tell everyone else. */
static void
up_dispatcher_ready(struct up *u, const char *address)
{
	const char *colon = strrchr(address, ':');
	char *path;

	u->port = atoi(colon + 1);
	snprintf(u->portarg, sizeof u->portarg, "%d", u->port);
	snprintf(u->address, sizeof u->address, "%s", address);
	printf("listening on %s\n", address);
	printf("results in %s\n", u->results_dir);
	fflush(stdout);
	snprintf(u->lock.address, sizeof u->lock.address, "%s", address);
	lock_note(u->lock_fd, &u->lock);
	xasprintf(&path, "%s/dispatcher.addr", u->state_dir);
	write_file_atomic(path, address, strlen(address));
	free(path);
	if (u->started)
		return;
	u->started = 1;
	for (int i = 1; i < u->nchildren; i++)
		child_start(&u->children[i]);
}

/* A whole line of a child's output. */
static void
child_line(struct child *c)
{
	struct up *u = c->up;

	snprintf(c->last, sizeof c->last, "%s", c->line);
	if (!c->ready && strstr(c->line, c->ready_mark) != NULL) {
		c->ready = 1;
		c->restarts = 0;
	}
	if (c != &u->children[0])
		return;
	if (strncmp(c->line, "listening on ", 13) == 0 &&
	    strchr(c->line, ':') != NULL)
		up_dispatcher_ready(u, c->line + 13);
	else if (strncmp(c->line, "http listening on ", 18) == 0) {
		printf("%s\ndashboard at http://%s/\n", c->line, c->line + 18);
		fflush(stdout);
	}
}

/* Relay a child's output; read it line by line for what it says. */
static void
child_output(struct spawn *sp, const char *data, size_t len, void *arg)
{
	struct child *c = arg;

	(void)sp;
	fwrite(data, 1, len, stderr);
	fflush(stderr);
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (c->linelen < sizeof c->line - 1)
				c->line[c->linelen++] = data[i];
			continue;
		}
		c->line[c->linelen] = '\0';
		c->linelen = 0;
		child_line(c);
	}
}

static void up_stop(struct up *u);

/*
 * A child that dies before it said it started (a port in use, a bad
 * option, a token it cannot read) would die again: stop, and say why.
 */
static void
child_could_not_start(struct child *c, int status)
{
	struct up *u = c->up;
	const char *why = c->last[0] != '\0' ? c->last : "no reason given";

	log_warnx("the %s could not start (exit status %d): %s", c->name,
	    status, why);
	if (strstr(why, "Address already in use") != NULL)
		log_warnx("another program listens there: stop it, or take a "
		    "free port with --port 0 (and --http 127.0.0.1:0)");
	u->status = 1;
	up_stop(u);
}

static void
child_restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;

	(void)fd;
	(void)what;
	if (!c->up->stopping)
		child_start(c);
}

static void
child_done(struct spawn *sp, int status, void *arg)
{
	struct child *c = arg;
	struct up *u = c->up;
	int delay = UP_RESTART_DELAY_MS;
	struct timeval tv;

	(void)sp;
	c->sp = NULL;
	u->running--;
	if (u->stopping) {
		if (u->running == 0)
			event_base_loopexit(u->client.base, NULL);
		return;
	}
	if (!c->ready && status != 0) {
		child_could_not_start(c, status);
		return;
	}
	/* Restarts back off: a child that keeps dying is not hammered. */
	for (int i = 0; i < c->restarts && delay < UP_RESTART_MAX_MS; i++)
		delay *= 2;
	if (delay > UP_RESTART_MAX_MS)
		delay = UP_RESTART_MAX_MS;
	c->restarts++;
	log_warnx("lost child: %s exited with status %d; restarting it in "
	    "%d s", c->name, status, delay / 1000);
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(c->ev_restart, &tv);
}

static void
child_start(struct child *c)
{
	const char *env[] = { c->up->up_env, NULL };
	/* SIGTERM if we die: the children stop cleanly, as on Ctrl-C. */
	struct spawn_opts opts = {
		.argv = c->argv, .env = env, .on_output = child_output,
		.on_done = child_done, .arg = c, .death_signal = SIGTERM,
	};

	c->linelen = 0;
	c->ready = 0;
	c->last[0] = '\0';
	c->sp = spawn_start(&opts);
	if (c->sp == NULL) {
		struct timeval tv = { UP_RESTART_DELAY_MS / 1000, 0 };

		evtimer_add(c->ev_restart, &tv);
		return;
	}
	c->up->running++;
	log_debug("started %s (pid %ld)", c->name, (long)spawn_pid(c->sp));
}

static void
up_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct up *u = arg;

	(void)fd;
	(void)what;
	for (int i = 0; i < u->nchildren; i++) {
		if (u->children[i].sp != NULL)
			spawn_kill(u->children[i].sp, SIGKILL);
	}
}

/* Stop every child: SIGTERM now, SIGKILL after the grace period. */
static void
up_stop(struct up *u)
{
	struct timeval tv = { UP_STOP_GRACE_MS / 1000, 0 };

	u->stopping = 1;
	if (u->running == 0) {
		event_base_loopexit(u->client.base, NULL);
		return;
	}
	/* Observer and runners first would be nicer; all at once is enough. */
	for (int i = 0; i < u->nchildren; i++) {
		if (u->children[i].sp != NULL)
			spawn_kill(u->children[i].sp, SIGTERM);
	}
	evtimer_add(u->ev_kill, &tv);
}

static void
up_on_signal(int sig, void *arg)
{
	struct up *u = arg;

	if (u->stopping)
		return;
	log_info("stopping on signal %d", sig);
	up_stop(u);
}

/*
 * "ssci up" is one repository's world, set by its own options: a machine's
 * configuration file (/etc/ssci/ssci.conf) is for its services, not for it.
 */
static void
up_no_config(struct child *c)
{
	child_arg(c, "--config");
	child_arg(c, "/dev/null");
}

/* The argument vectors of every child. */
static void
up_children(struct up *u)
{
	char host[64];
	struct child *c;

	u->nchildren = u->nrunners + 2;
	u->children = xcalloc((size_t)u->nchildren, sizeof *u->children);
	for (int i = 0; i < u->nchildren; i++) {
		c = &u->children[i];
		c->up = u;
		c->ev_restart = evtimer_new(u->client.base, child_restart_cb, c);
		child_arg(c, u->self);
	}
	c = &u->children[0];
	snprintf(c->name, sizeof c->name, "dispatcher");
	c->ready_mark = "listening on ";
	child_arg(c, "dispatcher");
	up_no_config(c);
	child_arg(c, "--host");
	child_arg(c, u->host);
	child_arg(c, "--port");
	child_arg(c, u->portarg);
	child_arg(c, "--state-dir");
	child_arg(c, u->state_dir);
	child_arg(c, "--results-dir");
	child_arg(c, u->results_dir);
	child_arg(c, "--http");
	child_arg(c, u->http);
	/* One machine, its own repositories: paths are what they are named by. */
	child_arg(c, "--local-repos");
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "local");
	host[sizeof host - 1] = '\0';
	for (int i = 1; i <= u->nrunners; i++) {
		c = &u->children[i];
		snprintf(c->name, sizeof c->name, "runner %d", i);
		c->ready_mark = "registered with ";
		snprintf(c->runner_name, sizeof c->runner_name, "%.24s-up-%d",
		    host, i);
		xasprintf(&c->work_dir, "%s/runner-%d", u->state_dir, i);
		child_arg(c, "runner");
		up_no_config(c);
		child_arg(c, "--dispatcher-server");
		child_arg(c, u->address);
		child_arg(c, "--name");
		child_arg(c, c->runner_name);
		child_arg(c, "--work-dir");
		child_arg(c, c->work_dir);
		if (u->test_cmd != NULL) {
			child_arg(c, "--test-cmd");
			child_arg(c, u->test_cmd);
		}
	}
	c = &u->children[u->nchildren - 1];
	snprintf(c->name, sizeof c->name, "observer");
	c->ready_mark = "reporting to dispatcher ";
	child_arg(c, "observer");
	up_no_config(c);
	child_arg(c, "--dispatcher-server");
	child_arg(c, u->address);
	child_arg(c, "--interval");
	child_arg(c, u->interval);
	for (size_t i = 0; i < u->branches.n; i++) {
		child_arg(c, "--branch");
		child_arg(c, u->branches.items[i]);
	}
	if (u->pending != NULL) {
		/* What the commit hook's notify could not report. */
		child_arg(c, "--pending");
		child_arg(c, u->pending);
	}
	child_arg(c, u->observer_clone);
	/* GNU getopt takes options after the clone too. */
	for (int i = 0; i < u->nchildren && u->token_path != NULL; i++) {
		child_arg(&u->children[i], "--token-file");
		child_arg(&u->children[i], u->token_path);
	}
}

/*
 * With a token (--token-file or $SSCI_TOKEN), keep it in STATE/token,
 * readable by us alone: the children and the commit hook read it there.
 */
static int
up_token(struct up *u)
{
	char *token = auth_token(u->token_file);
	mode_t old;
	int rc;

	if (token == NULL)
		return 0;
	xasprintf(&u->token_path, "%s/token", u->state_dir);
	old = umask(077);
	rc = write_file_atomic(u->token_path, token, strlen(token));
	umask(old);
	free(token);
	return rc;
}

/*
 * Where things go: REPO/.git/ssci for a local repository, else --state-dir
 * (default ./ssci-data); the observer's own clone inside it, made now.
 */
static int
up_setup(struct up *u, const char *repo)
{
	char resolved[PATH_MAX], *gitdir = NULL, *out = NULL;
	struct stat st;
	int status;

	if (stat(repo, &st) == 0) {
		if (realpath(repo, resolved) == NULL)
			fatal("unable to resolve '%s'", repo);
		u->repo = xstrdup(resolved);
		if ((gitdir = repo_git_dir(u->repo)) == NULL)
			return -1;
	} else if (!repo_url_valid(repo) || strstr(repo, ":") == NULL) {
		log_warnx("unable to use '%s': no such repository", repo);
		return -1;
	} else
		u->repo = xstrdup(repo);
	if (gitdir != NULL)
		xasprintf(&u->pending, "%s/ssci/pending", gitdir);
	if (u->given_state_dir != NULL)
		u->state_dir = xstrdup(u->given_state_dir);
	else if (gitdir != NULL)
		xasprintf(&u->state_dir, "%s/ssci", gitdir);
	else
		u->state_dir = xstrdup("ssci-data");
	free(gitdir);
	if (u->given_results_dir != NULL)
		u->results_dir = xstrdup(u->given_results_dir);
	else
		xasprintf(&u->results_dir, "%s/test_results", u->state_dir);
	if (mkdir_p(u->state_dir) == -1 || up_lock(u) == -1)
		return -1;
	xasprintf(&u->observer_clone, "%s/observer", u->state_dir);
	if (stat(u->observer_clone, &st) == 0)
		return 0;
	status = spawn_run_sync((const char *const[]){ "git", "clone",
	    "--quiet", "--no-checkout", "--", u->repo, u->observer_clone,
	    NULL }, NULL, &out);
	if (status != 0) {
		log_warnx("unable to clone '%s': %s", u->repo, out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

/* Wait up to ms for the lock at path to be let go: 1 if it was. */
static int
up_wait_unlocked(const char *path, int ms)
{
	struct lock_holder holder;
	struct timespec tick = { 0, 50 * 1000000L };

	for (int waited = 0; waited <= ms; waited += 50) {
		if (lock_probe(path, &holder) == 0)
			return 1;
		nanosleep(&tick, NULL);
	}
	return 0;
}

/*
 * A lock in the state dir held by a process of an earlier "ssci up"
 * (which is gone: we hold up.lock) is a leftover: stop it and take over.
 * One held by a process started by hand is not ours to stop.  Runs at
 * start-up, before the loop.  0, or -1 after saying why we cannot start.
 */
static int
up_take_over(struct up *u, const char *path, const char *what)
{
	struct lock_holder holder;

	if (lock_probe(path, &holder) != 1)
		return 0;
	if (holder.up == 0 || holder.pid <= 1) {
		log_warnx("unable to start: a %s not started by ssci up (pid %ld%s"
		    "%s) uses '%s'; stop it first", what, (long)holder.pid,
		    holder.address[0] ? ", listening on " : "", holder.address,
		    u->state_dir);
		return -1;
	}
	log_warnx("a %s left by an earlier ssci up (pid %ld) still runs in "
	    "'%s': stopping it", what, (long)holder.pid, u->state_dir);
	if (kill(holder.pid, SIGTERM) == -1 && errno != ESRCH)
		log_warn("unable to stop pid %ld", (long)holder.pid);
	if (up_wait_unlocked(path, UP_STOP_GRACE_MS))
		return 0;
	kill(holder.pid, SIGKILL);
	if (up_wait_unlocked(path, 5000))
		return 0;
	log_warnx("unable to start: pid %ld still holds '%s'",
	    (long)holder.pid, path);
	return -1;
}

/*
 * One "ssci up" per state dir, for its life: two would share the database
 * and the runners' clones, and mix commits.  Then whatever an earlier one
 * that died left running there is stopped.
 */
static int
up_lock(struct up *u)
{
	struct lock_holder holder;
	char *path;
	glob_t g;
	int rc = 0;

	xasprintf(&path, "%s/up.lock", u->state_dir);
	u->lock_fd = lock_take(path, &holder);
	free(path);
	if (u->lock_fd == -2)
		log_warnx("ssci up is already running on '%s' (pid %ld%s%s); "
		    "stop it first, or give this one another --state-dir",
		    u->repo, (long)holder.pid, holder.address[0] ?
		    ", dispatcher at " : "", holder.address);
	if (u->lock_fd < 0)
		return -1;
	u->lock.pid = getpid();
	snprintf(u->up_env, sizeof u->up_env, "SSCI_UP_PID=%ld",
	    (long)getpid());
	xasprintf(&path, "%s/dispatcher.lock", u->state_dir);
	rc = up_take_over(u, path, "dispatcher");
	free(path);
	xasprintf(&path, "%s/runner-*/runner.lock", u->state_dir);
	if (rc == 0 && glob(path, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
			rc = up_take_over(u, g.gl_pathv[i], "runner");
		globfree(&g);
	}
	free(path);
	return rc;
}

static void
up_free(struct up *u)
{
	for (int i = 0; i < u->nchildren; i++) {
		event_free(u->children[i].ev_restart);
		free(u->children[i].argv);
		free(u->children[i].work_dir);
	}
	free(u->children);
	free(u->branches.items);
	free(u->repo);
	free(u->state_dir);
	free(u->results_dir);
	free(u->observer_clone);
	free(u->pending);
	free(u->token_path);
	if (u->lock_fd >= 0)
		close(u->lock_fd);
}

static const struct cmd_client_kind up_kind = {
	.log_name = "up", .daemon = 1, .spawns = 1, .on_signal = up_on_signal,
};

int
cmd_up(int argc, char **argv)
{
	struct up u = { .host = "127.0.0.1", .http = "localhost:8080",
	    .port = 8888, .interval_ms = 5000, .lock_fd = -1 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int first;
	ssize_t n;

	u.nrunners = ncpu > 0 ? (int)ncpu : 1;
	first = cmd_parse(argc, argv, &up_spec, &u);
	if (argc - first != 1)
		cmd_usage(&up_spec);
	snprintf(u.portarg, sizeof u.portarg, "%d", u.port);
	snprintf(u.interval, sizeof u.interval, "%.3f",
	    (double)u.interval_ms / 1000);
	cmd_client_init(&u.client, &up_kind, &u);
	n = readlink("/proc/self/exe", u.self, sizeof u.self - 1);
	if (n == -1)
		fatal("unable to find the ssci binary");
	u.self[n] = '\0';
	if (up_setup(&u, argv[first]) == -1 || up_token(&u) == -1) {
		up_free(&u);
		return 1;
	}
	cmd_client_start(&u.client);
	u.ev_kill = evtimer_new(u.client.base, up_kill_cb, &u);
	up_children(&u);
	log_info("testing %s with %d runner%s; state in %s", u.repo,
	    u.nrunners, u.nrunners == 1 ? "" : "s", u.state_dir);
	child_start(&u.children[0]);
	cmd_client_run(&u.client);

	spawn_shutdown();	/* children first: they point into u.children */
	event_free(u.ev_kill);
	up_free(&u);
	cmd_client_end(&u.client);
	log_info("stopped");
	return u.status;
}

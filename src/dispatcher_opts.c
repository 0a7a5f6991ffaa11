/* SPDX-License-Identifier: MIT */
/*
 * dispatcher_opts.c - the dispatcher's options (the command line after
 * the configuration file's [dispatcher] section), checked together; and
 * on SIGHUP, the same read again: the log file reopened, the token files
 * and the forges' secret and token files read again, and the options that
 * can change while it runs applied (docs: README "Reloading"), all or
 * nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cmd.h"
#include "diskuse.h"
#include "dispatcher.h"
#include "forge.h"
#include "statuses.h"
#include "plan.h"
#include "retention.h"
#include "sched.h"
#include "schedule.h"
#include "store.h"
#include "util.h"

/* What the options set: the configuration, and what is read from it. */
struct dispatcher_args {
	struct dispatcher_config cfg;
	int verbose;
	const char *token_file;
	const char *runner_token_file;
	const char *log_file;
};

static int
dispatcher_http_host(void *arg, const char *host)
{
	struct dispatcher_args *a = arg;

	if (a->cfg.nhttp_hosts == DISPATCHER_MAX_HTTP_HOSTS) {
		cmd_error("at most %d --http-host", DISPATCHER_MAX_HTTP_HOSTS);
		return -1;
	}
	a->cfg.http_hosts[a->cfg.nhttp_hosts++] = host;
	return 0;
}

/* A branch glob (fnmatch's): not empty, no controls, not too long. */
static int
dispatcher_glob_valid(const char *glob)
{
	size_t n = 0;

	for (const char *c = glob; *c != '\0' && *c != '='; c++, n++) {
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			return 0;
	}
	return n > 0 && n <= 255;
}

static int
dispatcher_min_free(void *arg, const char *value)
{
	struct dispatcher_args *a = arg;

	if (diskuse_min_parse(value, &a->cfg.min_free) == -1) {
		cmd_error("invalid --min-free '%s': expected a size like 512M "
		    "or 2G, or a percentage of the disk like 5%%", value);
		return -1;
	}
	return 0;
}

/* --branch-priority GLOB=LEVEL. */
static int
dispatcher_branch_priority(void *arg, const char *value)
{
	struct dispatcher_args *a = arg;
	struct sched_branch_priority *p;
	const char *eq = strrchr(value, '=');
	int level;

	if (eq == NULL || eq == value || job_priority_parse(eq + 1,
	    &level) == -1 || !dispatcher_glob_valid(value)) {
		cmd_error("invalid --branch-priority '%s': expected "
		    "BRANCH-GLOB=high, normal or low", value);
		return -1;
	}
	if (a->cfg.nbranch_priorities == DISPATCHER_MAX_PRIORITIES) {
		cmd_error("at most %d --branch-priority",
		    DISPATCHER_MAX_PRIORITIES);
		return -1;
	}
	p = &a->cfg.branch_priorities[a->cfg.nbranch_priorities++];
	snprintf(p->glob, sizeof p->glob, "%.*s", (int)(eq - value), value);
	p->priority = level;
	return 0;
}

/* --schedule 'REPO BRANCH CRON', checked now so that a typo stops start. */
static int
dispatcher_schedule(void *arg, const char *value)
{
	struct dispatcher_args *a = arg;
	char err[300];

	if (schedule_spec_check(value, err, sizeof err) == -1) {
		cmd_error("invalid --schedule '%s': %s", value, err);
		return -1;
	}
	if (a->cfg.nschedules == DISPATCHER_MAX_SCHEDULES) {
		cmd_error("at most %d --schedule", DISPATCHER_MAX_SCHEDULES);
		return -1;
	}
	a->cfg.schedules[a->cfg.nschedules++] = value;
	return 0;
}

static int
dispatcher_schedule_clock(void *arg, const char *value)
{
	struct dispatcher_args *a = arg;
	char err[300];
	int64_t epoch;
	double speed;

	if (schedule_clock_parse(value, &epoch, &speed, err,
	    sizeof err) == -1) {
		cmd_error("invalid --test-schedule-clock '%s': %s", value, err);
		return -1;
	}
	a->cfg.schedule_clock = value;
	return 0;
}

/* A URL notifications may go to: http(s), no spaces or controls. */
static int
dispatcher_url_valid(const char *url)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return 0;
	for (const char *c = url; *c != '\0'; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return 0;
	}
	return strlen(url) <= 2000;
}

static const struct cmd_opt dispatcher_opts[] = {
	{ "host", required_argument, 'H', "HOST", "localhost",
	    "address to listen on", CMD_STR(struct dispatcher_args, cfg.host) },
	{ "port", required_argument, 'p', "PORT", "8888",
	    "port to listen on; 0 takes a free one",
	    CMD_INT(struct dispatcher_args, cfg.port, 0, 65535) },
	{ "http", required_argument, 'w', "HOST:PORT|off", "localhost:8080",
	    "web pages, JSON API and /metrics; off for none, port 0 for a free "
	    "one", CMD_STR(struct dispatcher_args, cfg.http) },
	{ "http-host", required_argument, 'N', "NAME", NULL,
	    "another name the web side is reached by (repeatable): writes by "
	    "other names need the token", CMD_CALL(dispatcher_http_host) },
	{ "state-dir", required_argument, 's', "DIR", "./ssci-data",
	    "the database ssci.db and the logs of jobs",
	    CMD_STR(struct dispatcher_args, cfg.state_dir) },
	{ "store", required_argument, 'e', "URL", "sqlite:DIR/ssci.db",
	    "where the jobs are kept: sqlite:FILE, or a PostgreSQL URL or "
	    "libpq connection string (postgresql://HOST/DB), which several "
	    "dispatchers may share: one is active, the others stand by",
	    CMD_STR(struct dispatcher_args, cfg.store_url) },
	{ "results-dir", required_argument, 'r', "DIR", "./test_results",
	    "one file per tested commit",
	    CMD_STR(struct dispatcher_args, cfg.results_dir) },
	{ "heartbeat", required_argument, 'b', "SECONDS", "1",
	    "how often runners holding a job are pinged",
	    CMD_MILLIS(struct dispatcher_args,
	    cfg.heartbeat_ms, 10, 1000000000) },
	{ "idle-heartbeat", required_argument, 'i', "SECONDS", "30",
	    "how often runners holding no job are pinged (never more often "
	    "than --heartbeat); such a runner is lost when silent this long "
	    "plus --runner-timeout",
	    CMD_MILLIS(struct dispatcher_args,
	    cfg.idle_heartbeat_ms, 10, 1000000000) },
	{ "runner-timeout", required_argument, 't', "SECONDS", "5",
	    "a runner holding a job and silent this long is lost",
	    CMD_MILLIS(struct dispatcher_args,
	    cfg.runner_timeout_ms, 10, 1000000000) },
	{ "client-timeout", required_argument, 'c', "SECONDS", "60",
	    "an observer or client silent this long, or a line not finished "
	    "in this time, is closed",
	    CMD_MILLIS(struct dispatcher_args,
	    cfg.client_timeout_ms, 100, 1000000000) },
	{ "http-timeout", required_argument, 'o', "SECONDS", "30",
	    "idle HTTP connections are closed, and a request must arrive "
	    "whole, in this time",
	    CMD_MILLIS(struct dispatcher_args,
	    cfg.http_timeout_ms, 100, 1000000000) },
	{ "job-timeout", required_argument, 'j', "SECONDS", "1800",
	    "a test running longer is killed and ends as timeout",
	    CMD_INT(struct dispatcher_args, cfg.job_timeout_s, 1, 1000000) },
	{ "max-attempts", required_argument, 'a', "N", "3",
	    "a job whose runner was lost this many times ends as error",
	    CMD_INT(struct dispatcher_args, cfg.max_attempts, 1, 1000000) },
	{ "retry-failed", required_argument, 'F', "N", "0",
	    "a failed job runs again up to N times (preferably on another "
	    "runner) to tell a flaky failure; a pass after one is 'flaky'",
	    CMD_INT(struct dispatcher_args, cfg.retry_failed, 0, PLAN_MAX_RETRY) },
	{ "max-log-bytes", required_argument, 'l', "N", "16777216",
	    "output past this is dropped, with a note in the log",
	    CMD_INT64(struct dispatcher_args,
	    cfg.max_log_bytes, 1, 1LL << 40) },
	{ "max-artifact-bytes", required_argument, 'Y', "N", "1073741824",
	    "a job whose artifacts hold more together ends as error",
	    CMD_INT64(struct dispatcher_args,
	    cfg.max_artifact_bytes, 1, 1LL << 50) },
	{ "token-file", required_argument, 'T', "FILE", "$SSCI_TOKEN",
	    "every hello and HTTP write must carry this token",
	    CMD_STR(struct dispatcher_args, token_file) },
	{ "runner-token-file", required_argument, 'R', "FILE", NULL,
	    "a token of their own for runners",
	    CMD_STR(struct dispatcher_args, runner_token_file) },
	{ "http-auth", no_argument, 'A', NULL, NULL,
	    "HTTP reads need the token too",
	    CMD_FLAG(struct dispatcher_args, cfg.http_auth) },
	{ "local-repos", no_argument, 'L', NULL, NULL,
	    "take local paths and file:// URLs as repositories",
	    CMD_FLAG(struct dispatcher_args, cfg.local_repos) },
	{ "tls-cert", required_argument, 'C', "FILE", NULL,
	    "serve TLS with this certificate (with --tls-key)",
	    CMD_STR(struct dispatcher_args, cfg.tls_cert) },
	{ "tls-key", required_argument, 'K', "FILE", NULL,
	    "the certificate's key",
	    CMD_STR(struct dispatcher_args, cfg.tls_key) },
	{ "max-connections", required_argument, 'M', "N",
	    "half the descriptors, at most 50000",
	    "protocol connections past this are refused",
	    CMD_INT(struct dispatcher_args, cfg.max_connections, 1, 1000000) },
	{ "max-http-connections", required_argument, 'W', "N",
	    "a quarter of the descriptors, at most 1024",
	    "HTTP connections past this wait in the kernel's queue",
	    CMD_INT(struct dispatcher_args,
	    cfg.max_http_connections, 1, 1000000) },
	{ "max-queued-per-repo", required_argument, 'Q', "N", "100000",
	    "dispatches past this many queued jobs of one repository are "
	    "refused",
	    CMD_INT(struct dispatcher_args,
	    cfg.max_queued_per_repo, 1, 100000000) },
	{ "forge", required_argument, 'G', "NAME=KIND,URL,SECRET_FILE"
	    "[,TOKEN_FILE]", NULL,
	    "take webhooks at /hooks/KIND from a forge (github, gitea, "
	    "forgejo, gitlab) at URL signed with the secret in SECRET_FILE, "
	    "and report statuses with the token in TOKEN_FILE (repeatable)",
	    CMD_LIST_VALID(struct dispatcher_args, cfg.forge_specs, NULL,
	    NULL) },
	{ "forge-repo", required_argument, 'g', "OWNER/NAME|*", NULL,
	    "a forge's repository that may be built (repeatable; * for all)",
	    CMD_LIST_VALID(struct dispatcher_args, cfg.forge_repos,
	    forge_repo_valid, "--forge-repo") },
	{ "public-url", required_argument, 'P', "URL", "http://HTTP-ADDRESS",
	    "where others reach the job pages (statuses and notifications "
	    "link to them)", CMD_STR(struct dispatcher_args, cfg.public_url) },
	{ "notify-url", required_argument, 'U', "URL", NULL,
	    "POST JSON (Slack-compatible) here when a branch breaks or is "
	    "fixed (repeatable)", CMD_LIST_VALID(struct dispatcher_args,
	    cfg.notify_urls, dispatcher_url_valid, "--notify-url") },
	{ "notify-email", required_argument, 'm', "ADDRESS", NULL,
	    "mail these events to ADDRESS with sendmail (repeatable)",
	    CMD_LIST_VALID(struct dispatcher_args, cfg.notify_emails,
	    notices_address_valid, "--notify-email") },
	{ "notify-all", no_argument, 'n', NULL, NULL,
	    "notify every failure, not only the first",
	    CMD_FLAG(struct dispatcher_args, cfg.notify_all) },
	{ "log-file", required_argument, 'O', "FILE", "standard error",
	    "log here instead, reopened on SIGHUP (for logrotate)",
	    CMD_STR(struct dispatcher_args, log_file) },
	{ "keep-days", required_argument, 'k', "DAYS", "90",
	    "jobs that ended longer ago are removed with their logs and "
	    "tests, unless among the newest --keep-jobs of their branch "
	    "(0: keep every job)",
	    CMD_INT(struct dispatcher_args, cfg.keep_days, 0, 1000000) },
	{ "keep-jobs", required_argument, 'J', "N", "10000",
	    "the newest N jobs of each repository and branch are kept, "
	    "however old (0: keep every job)",
	    CMD_INT(struct dispatcher_args, cfg.keep_jobs, 0, 1000000000) },
	{ "min-free", required_argument, 'Z', "SIZE|N%",
	    "1G, or 5% of a smaller disk",
	    "new dispatches are refused while the state or results dir's "
	    "disk has less room; running jobs go on",
	    CMD_CALL(dispatcher_min_free) },
	{ "http-rate", required_argument, 'E', "N", "100",
	    "HTTP requests per second per address (bursts of twice that)",
	    CMD_INT(struct dispatcher_args, cfg.http_rate, 1, 1000000) },
	{ "coalesce", required_argument, 'B', "BRANCH-GLOB", NULL,
	    "on matching branches only the newest queued push is tested; "
	    "the first failing one is then found by bisection (repeatable)",
	    CMD_LIST_VALID(struct dispatcher_args, cfg.coalesce,
	    dispatcher_glob_valid, "--coalesce") },
	{ "coalesce-wait", required_argument, 'D', "SECONDS", "0.3",
	    "a push on a coalescing branch waits this long for the rest of "
	    "its burst before a runner may take it",
	    CMD_MILLIS(struct dispatcher_args,
	    cfg.coalesce_wait_ms, 0, 600000) },
	{ "branch-priority", required_argument, 'I', "BRANCH-GLOB=LEVEL",
	    "pr/*=low",
	    "dispatches on matching branches that ask for no priority get "
	    "LEVEL (high, normal or low; repeatable, first match wins)",
	    CMD_CALL(dispatcher_branch_priority) },
	{ "schedule", required_argument, 'S', "SPEC", NULL,
	    "'REPO BRANCH CRON': build the branch's tip again at the times "
	    "of the five-field cron expression, in the dispatcher's time "
	    "zone (repeatable)",
	    CMD_CALL(dispatcher_schedule) },
	{ "test-schedule-clock", required_argument, 'X', "EPOCH[,SPEED]",
	    NULL, "for tests: the schedules' clock starts at EPOCH and runs "
	    "SPEED times as fast", CMD_CALL(dispatcher_schedule_clock) },
	CMD_OPT_CONFIG,
	CMD_OPT_VERBOSE(struct dispatcher_args, verbose),
	CMD_OPT_HELP,
	CMD_OPT_END,
};

const struct cmd_spec cmd_dispatcher_spec = {
	"usage: ssci dispatcher [OPTIONS]\n", "vh", dispatcher_opts,
	"dispatcher", sizeof(struct dispatcher_args), 0,
};

/* The options' defaults. */
static void
dispatcher_defaults(struct dispatcher_args *a)
{
	*a = (struct dispatcher_args){ .cfg = {
		.host = "localhost", .port = DISPATCHER_DEFAULT_PORT,
		.http = "localhost:8080",
		.state_dir = "ssci-data", .results_dir = "test_results",
		.heartbeat_ms = 1000, .idle_heartbeat_ms = 30000,
		.runner_timeout_ms = 5000,
		.job_timeout_s = 1800, .client_timeout_ms = 60000,
		.http_timeout_ms = 30000,
		.max_attempts = 3, .max_log_bytes = 16 << 20,
		.max_artifact_bytes = 1LL << 30,
		.max_queued_per_repo = 100000,
		.http_rate = 100,
		.keep_days = 90, .keep_jobs = 10000,
		.min_free = { .bytes = -1, .percent = 0 },
		.coalesce_wait_ms = 300,
	} };
}

/*
 * What cmd_parse cannot check alone, the options taken together: 0, or
 * -1 after saying why.
 */
static int
dispatcher_check(struct dispatcher_args *a)
{
	if (a->cfg.http != NULL && strcmp(a->cfg.http, "off") == 0)
		a->cfg.http = NULL;
	if ((a->cfg.tls_cert == NULL) != (a->cfg.tls_key == NULL)) {
		log_warnx("--tls-cert and --tls-key go together");
		return -1;
	}
	/* Not echoed: a connection string may hold a password. */
	if (a->cfg.store_url != NULL && !store_url_valid(a->cfg.store_url)) {
		log_warnx("invalid --store: not sqlite:FILE, postgresql://... "
		    "or a libpq connection string");
		return -1;
	}
	if (a->cfg.public_url != NULL &&
	    !dispatcher_url_valid(a->cfg.public_url)) {
		log_warnx("invalid --public-url '%s'", a->cfg.public_url);
		return -1;
	}
	if (a->cfg.forge_specs.n > 0 && a->cfg.http == NULL) {
		log_warnx("--forge needs the HTTP side (--http)");
		return -1;
	}
	for (size_t i = 0; i < a->cfg.nschedules; i++) {
		char repo[2048];

		/* A schedule's first word is its repository (schedule.h). */
		sscanf(a->cfg.schedules[i], "%2047s", repo);
		if (!a->cfg.local_repos &&
		    repo_url_kind(repo) == REPO_URL_LOCAL) {
			log_warnx("--schedule '%s': '%s' is a local path: "
			    "start the dispatcher with --local-repos to build "
			    "it", a->cfg.schedules[i], repo);
			return -1;
		}
	}
	if (a->cfg.http_auth && a->token_file == NULL &&
	    getenv("SSCI_TOKEN") == NULL) {
		log_warnx("--http-auth needs a token");
		return -1;
	}
	return 0;
}

static void
dispatcher_args_release(struct dispatcher_args *a)
{
	free(a->cfg.forge_specs.items);
	free(a->cfg.forge_repos.items);
	free(a->cfg.notify_urls.items);
	free(a->cfg.notify_emails.items);
	free(a->cfg.coalesce.items);
}

void
dispatcher_options(int argc, char **argv, struct dispatcher_config *cfg,
    struct dispatcher_files *files, int *verbose)
{
	struct dispatcher_args a;

	dispatcher_defaults(&a);
	if (cmd_parse(argc, argv, &cmd_dispatcher_spec, &a) != argc)
		cmd_usage(&cmd_dispatcher_spec);
	if (dispatcher_check(&a) == -1)
		cmd_usage(&cmd_dispatcher_spec);
	*cfg = a.cfg;
	*verbose = a.verbose;
	files->token = a.token_file;
	files->runner_token = a.runner_token_file;
	files->log = a.log_file;
}


/* a and b the same string, or both NULL. */
static int
dispatcher_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Two lists of the same strings in the same order. */
static int
dispatcher_same_list(const char *const *a, size_t na, const char *const *b,
    size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!dispatcher_same(a[i], b[i]))
			return 0;
	return 1;
}

/* The queue's rules: coalescing, its wait, priorities, schedules. */
static int
dispatcher_same_queue(const struct dispatcher_config *was,
    const struct dispatcher_config *now)
{
	if (was->coalesce_wait_ms != now->coalesce_wait_ms ||
	    was->nbranch_priorities != now->nbranch_priorities ||
	    !dispatcher_same_list(was->coalesce.items, was->coalesce.n,
	    now->coalesce.items, now->coalesce.n) ||
	    !dispatcher_same_list(was->schedules, was->nschedules,
	    now->schedules, now->nschedules))
		return 0;
	for (size_t i = 0; i < was->nbranch_priorities; i++)
		if (strcmp(was->branch_priorities[i].glob,
		    now->branch_priorities[i].glob) != 0 ||
		    was->branch_priorities[i].priority !=
		    now->branch_priorities[i].priority)
			return 0;
	return 1;
}

/* Say which options changed that only a restart applies. */
static void
dispatcher_restart_needed(const struct dispatcher_config *was,
    const struct dispatcher_config *now, const char *log_was,
    const char *log_now)
{
	char names[400] = "";

	if (!dispatcher_same(was->host, now->host) || was->port != now->port)
		strcat(names, " --host/--port");
	if (!dispatcher_same(was->http, now->http) ||
	    was->nhttp_hosts != now->nhttp_hosts)
		strcat(names, " --http/--http-host");
	if (!dispatcher_same(was->state_dir, now->state_dir) ||
	    !dispatcher_same(was->store_url, now->store_url) ||
	    !dispatcher_same(was->results_dir, now->results_dir))
		strcat(names, " --state-dir/--store/--results-dir");
	if (!dispatcher_same(was->tls_cert, now->tls_cert) ||
	    !dispatcher_same(was->tls_key, now->tls_key))
		strcat(names, " --tls-cert/--tls-key");
	if (was->heartbeat_ms != now->heartbeat_ms ||
	    was->idle_heartbeat_ms != now->idle_heartbeat_ms ||
	    was->runner_timeout_ms != now->runner_timeout_ms ||
	    was->client_timeout_ms != now->client_timeout_ms ||
	    was->http_timeout_ms != now->http_timeout_ms)
		strcat(names, " --*heartbeat/--*-timeout");
	if (was->http_auth != now->http_auth)
		strcat(names, " --http-auth");
	if (!dispatcher_same(was->public_url, now->public_url) ||
	    was->notify_all != now->notify_all ||
	    was->notify_urls.n != now->notify_urls.n ||
	    was->notify_emails.n != now->notify_emails.n ||
	    was->forge_repos.n != now->forge_repos.n)
		strcat(names, " --public-url/--notify-*/--forge-repo");
	if (!dispatcher_same_queue(was, now))
		strcat(names, " --coalesce/--branch-priority/--schedule");
	if (!dispatcher_same(log_was, log_now))
		strcat(names, " --log-file");
	if (names[0] != '\0')
		log_warnx("changed but applied only by a restart:%s", names);
}

/* The token in file, or $SSCI_TOKEN without one: 0 and *token, or -1. */
static int
dispatcher_read_token(const char *file, char **token)
{
	const char *env = getenv("SSCI_TOKEN");

	if (file == NULL) {
		*token = env != NULL && *env != '\0' ? xstrdup(env) : NULL;
		return 0;
	}
	return (*token = auth_read_token(file)) == NULL ? -1 : 0;
}

/* What may change while it runs, from a into d. */
static void
dispatcher_apply(struct dispatcher *d, const struct dispatcher_args *a)
{
	const struct dispatcher_config *c = &a->cfg;
	/* The queue's rules (coalescing, priorities) wait for a restart. */
	struct sched_config sc = d->sched->cfg;

	sc.job_timeout_s = c->job_timeout_s;
	sc.max_attempts = c->max_attempts;
	sc.local_repos = c->local_repos;
	sc.retry_failed = c->retry_failed;

	d->cfg.job_timeout_s = c->job_timeout_s;
	d->cfg.max_attempts = c->max_attempts;
	d->cfg.local_repos = c->local_repos;
	d->cfg.retry_failed = c->retry_failed;
	sched_set_config(d->sched, &sc);
	d->cfg.max_queued_per_repo = c->max_queued_per_repo;
	store_set_queue_limit(d->store, c->max_queued_per_repo);
	d->cfg.max_log_bytes = c->max_log_bytes;
	d->logs.max_bytes = c->max_log_bytes;
	d->cfg.http_rate = c->http_rate;
	d->cfg.keep_days = c->keep_days;
	d->cfg.keep_jobs = c->keep_jobs;
	if (c->keep_days == 0 || c->keep_jobs == 0) {
		retention_free(d->retention);
		d->retention = NULL;
	} else if (d->retention != NULL)
		retention_set(d->retention, c->keep_days, c->keep_jobs);
	else
		d->retention = retention_new(d->base, d->store, &d->logs,
		    d->artifacts, c->keep_days, c->keep_jobs);
	d->cfg.min_free = c->min_free;
	diskuse_set_min(d->diskuse, &c->min_free);
	log_init_daemon("dispatcher", a->verbose);
}

void
dispatcher_reload(struct dispatcher *d)
{
	struct dispatcher_args a;
	char *token = NULL, *runner_token = NULL;

	log_reopen();
	dispatcher_defaults(&a);
	if (cmd_reparse(d->argc, d->argv, &cmd_dispatcher_spec, &a) == -1 ||
	    dispatcher_check(&a) == -1 ||
	    dispatcher_read_token(a.token_file, &token) == -1 ||
	    (a.runner_token_file != NULL && (runner_token =
	    auth_read_token(a.runner_token_file)) == NULL) ||
	    forges_reread(&d->forges, a.cfg.forge_specs.items,
	    a.cfg.forge_specs.n) == -1) {
		log_warnx("not reloaded (see above): everything stays as it "
		    "was");
		free(token);
		free(runner_token);
		dispatcher_args_release(&a);
		return;
	}
	free(d->cfg.token);
	d->cfg.token = token;
	free(d->cfg.runner_token);
	d->cfg.runner_token = runner_token;
	dispatcher_restart_needed(&d->cfg, &a.cfg, d->log_file, a.log_file);
	dispatcher_apply(d, &a);
	dispatcher_args_release(&a);
	log_info("reloaded: the token files, the forges' secrets and tokens, "
	    "and the options a reload applies");
}

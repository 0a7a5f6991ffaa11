/* SPDX-License-Identifier: MIT */
/*
 * client_cmds.c - what "ssci status", "jobs", "log", "cancel", "retry" and
 * "run" ask and how they print the answer: compact tables, states in
 * colour on a terminal.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "job.h"
#include "params.h"
#include "proto.h"
#include "util.h"

static const char *
str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "-";
}

static long long
num(json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

/* A state, coloured on a terminal, padded to width. */
static void
print_state(const char *state, int color, int width)
{
	static const struct { const char *state, *code; } colors[] = {
		{ "passed", "32" }, { "failed", "31" }, { "error", "35" },
		{ "timeout", "33" }, { "cancelled", "90" }, { "running", "34" },
		{ "queued", "90" }, { "skipped", "90" },
	};
	const char *code = NULL;

	for (size_t i = 0; i < sizeof colors / sizeof colors[0]; i++) {
		if (strcmp(colors[i].state, state) == 0)
			code = colors[i].code;
	}
	if (color && code != NULL)
		printf("\033[%sm%-*s\033[0m", code, width, state);
	else
		printf("%-*s", width, state);
}

/* "1.2s", "3m04s", or "-". */
static const char *
duration(json_t *v, char *buf, size_t size)
{
	long long ms;

	if (!json_is_integer(v))
		return "-";
	ms = json_integer_value(v);
	if (ms < 60000)
		snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
	else
		snprintf(buf, size, "%lldm%02llds", ms / 60000,
		    (ms / 1000) % 60);
	return buf;
}

static void
print_job_row(json_t *job, int color, int named)
{
	json_t *tests = json_object_get(job, "tests");
	char tbuf[32] = "-", dbuf[32];

	if (json_is_true(json_object_get(job, "no_tests")))
		snprintf(tbuf, sizeof tbuf, "no tests");
	else if (json_is_integer(json_object_get(tests, "run")))
		snprintf(tbuf, sizeof tbuf, "%lld/%lld", num(tests, "run") -
		    num(tests, "failed"), num(tests, "run"));
	printf("  %-6lld ", num(job, "id"));
	print_state(str(job, "state"), color, 9);
	printf(" %.10s  %-14.14s ", str(job, "commit"), str(job, "branch"));
	/* A job's name in its pipeline's plan ("-": not planned). */
	if (named)
		printf("%-20.20s ", str(job, "name"));
	printf("%-8s %-8s %-16.16s %.40s\n", tbuf,
	    duration(json_object_get(job, "duration_ms"), dbuf, sizeof dbuf),
	    str(job, "runner"), str(job, "subject"));
}

static void
print_jobs_table(json_t *jobs, int color)
{
	size_t i;
	json_t *job;
	int named = 0;

	/* Without pipelines, the table is as it always was. */
	json_array_foreach(jobs, i, job)
		named |= json_is_string(json_object_get(job, "name"));
	printf("  %-6s %-9s %-10s  %-14s ", "JOB", "STATE", "COMMIT", "BRANCH");
	if (named)
		printf("%-20s ", "NAME");
	printf("%-8s %-8s %-16s %s\n", "PASSED", "TIME", "RUNNER", "SUBJECT");
	json_array_foreach(jobs, i, job)
		print_job_row(job, color, named);
}

/* bytes as "812 KiB", "3.2 GiB". */
static void
print_size(const char *what, json_t *bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB",
	    "TiB" };
	double v = (double)json_integer_value(bytes);
	int u = 0;

	if (!json_is_integer(bytes)) {
		printf("%s not counted yet", what);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	printf(u == 0 ? "%s %.0f %s" : "%s %.1f %s", what, v, units[u]);
}

/* The state and results folders' room, and a refusal if there is one. */
static void
print_disk(json_t *disk)
{
	static const char *const dirs[] = { "state", "results" };
	const char *refusing = json_string_value(json_object_get(disk,
	    "refusing"));
	char safe[2048];

	if (!json_is_object(disk))
		return;
	printf("DISK\n");
	for (size_t i = 0; i < 2; i++) {
		json_t *d = json_object_get(disk, dirs[i]);

		/* A folder's name is the dispatcher's to say, not to act on. */
		log_escape(str(d, "path"), safe, sizeof safe);
		printf("  %-8s %s  ", dirs[i], safe);
		print_size("used", json_object_get(d, "used"));
		print_size(",", json_object_get(d, "free"));
		print_size(" free (dispatches refused under",
		    json_object_get(d, "min_free"));
		printf(")\n");
	}
	if (refusing != NULL) {
		log_escape(refusing, safe, sizeof safe);
		printf("  refusing new dispatches: %s\n", safe);
	}
	printf("  retention: %lld jobs removed since the dispatcher started\n",
	    num(disk, "pruned_jobs"));
}

/* What the branches' bisections found (docs/QUEUE.md), escaped. */
static void
print_bisections(json_t *heads)
{
	char branch[256], repo[1024], subject[512], author[256], note[600];
	json_t *h, *b, *c;
	size_t i;
	int shown = 0;

	json_array_foreach(heads, i, h) {
		if (!json_is_object(b = json_object_get(h, "bisection")))
			continue;
		if (!shown++)
			printf("BISECTIONS\n");
		log_escape(str(h, "branch"), branch, sizeof branch);
		log_escape(str(h, "repo"), repo, sizeof repo);
		printf("  %s of %s: ", branch, repo);
		c = json_object_get(b, "culprit");
		if (strcmp(str(b, "state"), "found") == 0 && json_is_object(c)) {
			log_escape(str(c, "subject"), subject, sizeof subject);
			log_escape(str(c, "author"), author, sizeof author);
			printf("broken by %.12s (%s, %s), found in %lld runs\n",
			    str(c, "commit"), subject, author, num(b, "runs"));
		} else if (strcmp(str(b, "state"), "running") == 0)
			printf("bisecting since pipeline %lld failed\n",
			    num(b, "bad"));
		else {
			log_escape(str(b, "note"), note, sizeof note);
			printf("bisection stopped: %s\n", note);
		}
	}
}

static void
print_status(json_t *reply, const struct client_args *a, int color)
{
	char why[700];
	json_t *list = json_object_get(reply, "runners"), *r, *j;
	size_t i;

	/* Another dispatcher than the default: say which, and why. */
	if (a->target != NULL && !a->target->is_default)
		printf("DISPATCHER %s (from %s)\n", a->target->server,
		    a->target->from);
	printf("RUNNERS (%zu)\n", json_array_size(list));
	json_array_foreach(list, i, r) {
		json_t *labels = json_object_get(r, "labels"), *label;
		size_t k;

		printf("  %-24.24s ", str(r, "name"));
		print_state(str(r, "state"), color, 5);
		printf(" %lld/%lld slots  heard %.1fs ago", num(r, "busy"),
		    num(r, "slots"), (double)num(r, "last_heard_ms") / 1000.0);
		json_array_foreach(labels, k, label)
			printf("%s%s", k == 0 ? "  labels " : ",",
			    json_is_string(label) ? json_string_value(label) :
			    "?");
		printf("\n");
	}
	list = json_object_get(reply, "queue");
	printf("QUEUE (%lld)\n", num(reply, "queued"));
	json_array_foreach(list, i, j) {
		printf("  %3lld. job %-6lld %.10s %-14.14s ", num(j, "position"),
		    num(j, "id"), str(j, "commit"), str(j, "branch"));
		if (json_is_string(json_object_get(j, "name")))
			printf("%s: ", str(j, "name"));
		log_escape(str(j, "waiting"), why, sizeof why);
		printf("%s\n", why);
	}
	list = json_object_get(reply, "running");
	printf("RUNNING (%zu)\n", json_array_size(list));
	json_array_foreach(list, i, j)
		printf("  job %-6lld %.10s %-14.14s on %-16s %.1fs\n",
		    num(j, "id"), str(j, "commit"), str(j, "branch"),
		    str(j, "runner"), (double)num(j, "elapsed_ms") / 1000.0);
	print_bisections(json_object_get(reply, "heads"));
	printf("RECENT\n");
	print_jobs_table(json_object_get(reply, "recent"), color);
	print_disk(json_object_get(reply, "disk"));
}

static void
print_jobs(json_t *reply, const struct client_args *a, int color)
{
	(void)a;
	print_jobs_table(json_object_get(reply, "jobs"), color);
}

static void
print_nothing(json_t *reply, const struct client_args *a, int color)
{
	(void)reply;
	(void)a;
	(void)color;
}

static void
print_cancel(json_t *reply, const struct client_args *a, int color)
{
	(void)a;
	printf("job %lld: ", num(reply, "job"));
	print_state(str(reply, "state"), color, 0);
	printf("%s\n", strcmp(str(reply, "state"), "running") == 0 ?
	    " (its runner was told to stop it)" : "");
}

static void
print_retry(json_t *reply, const struct client_args *a, int color)
{
	(void)color;
	printf("job %s queued again as job %lld\n", a->which,
	    num(reply, "job"));
}

static void
print_run(json_t *reply, const struct client_args *a, int color)
{
	(void)color;
	printf("job %lld queued: a run of %s at %.12s\n", num(reply, "job"),
	    a->words[1], str(reply, "commit"));
}

static int
check_jobs(struct client_args *a)
{
	enum job_state state;

	if (a->state != NULL && job_state_parse(a->state, &state) == -1) {
		fprintf(stderr, "ssci: unknown state '%s'\n", a->state);
		return -1;
	}
	if ((a->branch != NULL && !branch_name_valid(a->branch)) ||
	    (a->repo != NULL && !repo_url_valid(a->repo))) {
		fprintf(stderr, "ssci: invalid --branch or --repo\n");
		return -1;
	}
	return 0;
}

/* JOB: a job number (fewer than 12 digits); COMMIT: 4 or more hex digits.
 * A word that could be both is sent as both: the job when there is one,
 * else the commit (about 1 commit in 27 has 7 leading decimal digits). */
static int
job_number(const char *s, int64_t *id)
{
	long v;

	if (strlen(s) < 12 && parse_long(s, 1, 2147483647L, &v) == 0) {
		*id = v;
		return 1;
	}
	return 0;
}

static int
check_job(struct client_args *a)
{
	int64_t id;

	if (job_number(a->which, &id))
		return 0;
	fprintf(stderr, "ssci: '%s' is not a job number\n", a->which);
	return -1;
}

static int
check_job_or_commit(struct client_args *a)
{
	int64_t id;
	size_t len = strlen(a->which);

	if (job_number(a->which, &id) || (len >= 4 && len <= 64 &&
	    strspn(a->which, "0123456789abcdefABCDEF") == len))
		return 0;
	fprintf(stderr, "ssci: '%s' is neither a job number nor a commit\n",
	    a->which);
	return -1;
}

#define RUN_USAGE "usage: ssci run [OPTIONS] REPO BRANCH [NAME=VALUE...]\n"

/* REPO BRANCH [NAME=VALUE...]: checked here as the dispatcher would. */
static int
check_run(struct client_args *a)
{
	char why[300], safe[300];

	if (a->nwords < 2) {
		fprintf(stderr, "%s", RUN_USAGE);
		return -1;
	}
	if (!repo_url_valid(a->words[0])) {
		log_escape(a->words[0], safe, sizeof safe);
		fprintf(stderr, "ssci: invalid repository '%s'\n", safe);
		return -1;
	}
	if (!branch_name_valid(a->words[1])) {
		log_escape(a->words[1], safe, sizeof safe);
		fprintf(stderr, "ssci: invalid branch name '%s'\n", safe);
		return -1;
	}
	if (params_from_pairs(a->words + 2, (size_t)a->nwords - 2, &a->params,
	    why, sizeof why) == -1) {
		fprintf(stderr, "ssci: %s\n", why);
		return -1;
	}
	return 0;
}

static char *
request_status(const struct client_args *a, int64_t offset)
{
	(void)a;
	(void)offset;
	return proto_encode_status(NULL);
}

static char *
request_jobs(const struct client_args *a, int64_t offset)
{
	(void)offset;
	return proto_encode_jobs(a->repo, a->branch, a->state, a->limit, 0,
	    NULL);
}

static char *
request_tail(const struct client_args *a, int64_t offset)
{
	int64_t id = 0;

	if (!job_number(a->which, &id))
		return proto_encode_tail(0, a->which, offset, NULL);
	return proto_encode_tail(id, strlen(a->which) >= 4 ? a->which : NULL,
	    offset, NULL);
}

static char *
request_cancel(const struct client_args *a, int64_t offset)
{
	int64_t id = 0;

	(void)offset;
	job_number(a->which, &id);
	return proto_encode_cancel(id, NULL);
}

static char *
request_retry(const struct client_args *a, int64_t offset)
{
	int64_t id = 0;

	(void)offset;
	job_number(a->which, &id);
	return proto_encode_retry(id, NULL);
}

static char *
request_run(const struct client_args *a, int64_t offset)
{
	(void)offset;
	return proto_encode_run(a->words[0], a->words[1], a->params, NULL);
}

static const struct client_cmd client_cmds[] = {
	{ "status", "usage: ssci status [OPTIONS]\n", "", 0, NULL,
	    request_status, print_status },
	{ "jobs", "usage: ssci jobs [OPTIONS]\n", "rbsl", 0, check_jobs,
	    request_jobs, print_jobs },
	{ "log", "usage: ssci log [OPTIONS] JOB|COMMIT\n", "fR", 1,
	    check_job_or_commit, request_tail, print_nothing },
	{ "cancel", "usage: ssci cancel [OPTIONS] JOB\n"
	    "Cancel the job's pipeline: every job of it that is queued or "
	    "running.\n", "", 1, check_job, request_cancel, print_cancel },
	{ "retry", "usage: ssci retry [OPTIONS] JOB\n"
	    "Queue the job's pipeline again once it is over, as a new "
	    "pipeline\nthat keeps the jobs that passed.\n", "", 1, check_job,
	    request_retry, print_retry },
	/* Any number of words here: check_run says how many may be. */
	{ "run", RUN_USAGE "Queue the branch's latest commit again, ahead of "
	    "pushes, with each NAME=VALUE\nin its tests' environment.\n", "",
	    -INT_MAX,
	    check_run, request_run, print_run },
	{ "tests", "usage: ssci tests [OPTIONS] JOB\n"
	    "The tests of the job's latest attempt, failed first.\n", "L", 1,
	    check_job, client_request_tests, client_print_tests },
	{ "quarantine", "usage: ssci quarantine [OPTIONS] add|remove REPO "
	    "TEST\n       ssci quarantine [OPTIONS] list [REPO]\n"
	    "A quarantined test's failures are shown but do not fail its "
	    "job.\n", "", -3, client_check_quarantine,
	    client_request_quarantine, client_print_quarantine },
	{ "secret", client_secret_usage, "FB", -3, client_check_secret,
	    client_request_secret, client_print_secret },
	{ "artifacts", "usage: ssci artifacts [OPTIONS] JOB\n"
	    "List the job's artifacts, or save them in a folder with -o.\n",
	    "o", 1, check_job, client_request_artifacts,
	    client_print_artifacts },
};

/* Run the client command named argv[0]. */
static int
client_cmd_run(const char *name, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof client_cmds / sizeof client_cmds[0];
	    i++) {
		if (strcmp(client_cmds[i].name, name) == 0)
			return client_run(&client_cmds[i], argc, argv);
	}
	fatalx("no client command '%s'", name);
}

int
cmd_status(int argc, char **argv)
{
	return client_cmd_run("status", argc, argv);
}

int
cmd_jobs(int argc, char **argv)
{
	return client_cmd_run("jobs", argc, argv);
}

int
cmd_log(int argc, char **argv)
{
	return client_cmd_run("log", argc, argv);
}

int
cmd_cancel(int argc, char **argv)
{
	return client_cmd_run("cancel", argc, argv);
}

int
cmd_retry(int argc, char **argv)
{
	return client_cmd_run("retry", argc, argv);
}

int
cmd_run(int argc, char **argv)
{
	return client_cmd_run("run", argc, argv);
}

int
cmd_tests(int argc, char **argv)
{
	return client_cmd_run("tests", argc, argv);
}

int
cmd_quarantine(int argc, char **argv)
{
	return client_cmd_run("quarantine", argc, argv);
}

int
cmd_artifacts(int argc, char **argv)
{
	return client_cmd_run("artifacts", argc, argv);
}

int
cmd_secret(int argc, char **argv)
{
	return client_cmd_run("secret", argc, argv);
}

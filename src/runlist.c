/* SPDX-License-Identifier: MIT */
/*
 * runlist.c - the runner's part of sharding (runjob_int.h): before a
 * plan is sent, each job that says `shards` and `list` has its list
 * command run once in the checked-out tree, as its tests would run there
 * (sandbox, the job's environment), and the ids it printed
 * (shard_list_parse's rules) go into the plan for the dispatcher to split.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "runjob_int.h"
#include "shard.h"
#include "spawn.h"
#include "util.h"

/* What one list may print; more is an error, not a cut list. */
#define RUNLIST_OUTPUT_MAX (16 * 1024 * 1024)
/* The end of a failed list's output, shown in the job's log. */
#define RUNLIST_SHOWN 4096
/* The most of a list's command its note shows. */
#define RUNLIST_COMMAND_SHOWN 512

struct runlist {
	struct runjob *job;
	struct plan *plan;
	size_t next;		/* the plan's job being listed */
	char *out;
	size_t len, cap;
	int too_much;
	runlist_done_cb done;
};

static void runlist_next(struct runlist *l);

static void
runlist_free(struct runlist *l)
{
	free(l->out);
	free(l);
}

/* The job ends here as error: err said in its log, the plan dropped. */
static void
runlist_fail(struct runlist *l, const char *err)
{
	struct runjob *j = l->job;

	runjob_note(j, "%s", err);
	plan_release(l->plan);
	free(l->plan);
	runlist_free(l);
	runjob_finish(j, JOB_ERROR, -1, err);
}

static void
runlist_output(struct spawn *sp, const char *data, size_t len, void *arg)
{
	struct runlist *l = arg;

	if (l->too_much || len > RUNLIST_OUTPUT_MAX - l->len) {
		/* No use going on: the list is refused already. */
		if (!l->too_much)
			spawn_kill(sp, SIGKILL);
		l->too_much = 1;
		return;
	}
	if (l->len + len + 1 > l->cap) {
		l->cap = (l->len + len + 1) * 2;
		l->out = xrealloc(l->out, l->cap);
	}
	memcpy(l->out + l->len, data, len);
	l->len += len;
	l->out[l->len] = '\0';
}

/* The list of job l->next ended with status: its ids, or the job ends. */
static void
runlist_listed(struct spawn *sp, int status, void *arg)
{
	struct runlist *l = arg;
	struct runjob *j = l->job;
	struct plan_job *pj = &l->plan->jobs[l->next];
	char err[700], perr[300];
	size_t from;
	int oom;

	(void)sp;
	j->child = NULL;
	oom = runjob_child_done(j);
	if (j->ending != JOB_RUNNING) {
		plan_release(l->plan);
		free(l->plan);
		runlist_free(l);
		runjob_finish(j, j->ending, -1, j->ending == JOB_TIMEOUT ?
		    "job timeout" : "cancelled");
		return;
	}
	if (oom) {
		snprintf(err, sizeof err, "the list of job '%s' exceeded the "
		    "memory limit of %lld MiB", pj->name,
		    j->cfg->job_memory >> 20);
		runlist_fail(l, err);
		return;
	}
	if (l->too_much || status != 0) {
		/* The repository's output: it cannot pass for ours. */
		if (l->len > 0) {
			from = l->len > RUNLIST_SHOWN ? l->len - RUNLIST_SHOWN :
			    0;
			line_guard_feed(&j->guard, l->out + from, l->len - from,
			    runjob_guarded, j);
		}
		if (l->too_much)
			snprintf(err, sizeof err, "the list of job '%s' printed "
			    "more than %d MiB", pj->name,
			    RUNLIST_OUTPUT_MAX / (1024 * 1024));
		else
			snprintf(err, sizeof err, "the list of job '%s' "
			    "failed (exit %d)", pj->name, status);
		runlist_fail(l, err);
		return;
	}
	if (shard_list_parse(l->out != NULL ? l->out : "", l->len, &pj->listed,
	    &pj->nlisted, perr, sizeof perr) == -1) {
		snprintf(err, sizeof err, "the list of job '%s': %s", pj->name,
		    perr);
		runlist_fail(l, err);
		return;
	}
	pj->has_listed = 1;
	runjob_note(j, "the list of job '%s' printed %zu test ids", pj->name,
	    pj->nlisted);
	l->next++;
	runlist_next(l);
}

/* List the next job that asks for it, or hand the plan on. */
static void
runlist_next(struct runlist *l)
{
	struct runjob *j = l->job;
	struct spawn_opts opts = { 0 };
	struct runjob_what w = { 0 };
	struct plan_job *pj;
	char shown[RUNLIST_COMMAND_SHOWN];

	while (l->next < l->plan->njobs &&
	    (l->plan->jobs[l->next].shards == 0 ||
	    l->plan->jobs[l->next].list == NULL))
		l->next++;
	if (l->next == l->plan->njobs) {
		runlist_done_cb done = l->done;
		struct plan *plan = l->plan;

		runlist_free(l);
		done(j, plan);
		return;
	}
	pj = &l->plan->jobs[l->next];
	l->len = 0;
	l->too_much = 0;
	/* One line of ours: the file's command with its newlines escaped. */
	log_escape(pj->list, shown, sizeof shown);
	runjob_note(j, "listing the tests of job '%s': %s", pj->name, shown);
	w.name = pj->name;
	w.env = pj->spec.env;
	w.nenv = pj->spec.nenv;
	/* The repository's code: the job's limits hold for it too. */
	if (runjob_limits(j, &opts) == -1) {
		plan_release(l->plan);
		free(l->plan);
		runlist_free(l);
		return;
	}
	opts.on_output = runlist_output;
	opts.on_done = runlist_listed;
	opts.arg = l;
	/* Its output is the list: nothing of ours echoed into it. */
	j->child = runjob_spawn_in_tree(j, &w, (const char *const[]){ "/bin/sh",
	    "-c", pj->list, NULL }, &opts);
	if (j->child == NULL) {
		char err[200];

		snprintf(err, sizeof err, "unable to start the list of job "
		    "'%s'", pj->name);
		runlist_fail(l, err);
	}
}

void
runlist_start(struct runjob *j, struct plan *plan, runlist_done_cb done)
{
	struct runlist *l = xcalloc(1, sizeof *l);

	l->job = j;
	l->plan = plan;
	l->done = done;
	runlist_next(l);
}

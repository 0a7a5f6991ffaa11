/* SPDX-License-Identifier: MIT */
/*
 * manual.c - a manual run (manual.h): the branch's tip found in the
 * store, the repository checked as a dispatch's is, and a rebuild of
 * that commit queued for the person who asked, ahead of the pushes
 * (high priority) and with the parameters they gave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dispatcher.h"
#include "manual.h"
#include "sched.h"
#include "store.h"
#include "util.h"

/* Fill m's error; -1. */
static int __attribute__((format(printf, 3, 4)))
manual_refuse(struct manual_run *m, const char *code, const char *fmt, ...)
{
	va_list ap;

	m->code = code;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof m->why, fmt, ap);
	va_end(ap);
	return -1;
}

/* The store failed: for now (try again), or for good. */
static int
manual_store_failed(struct dispatcher *d, struct manual_run *m)
{
	if (store_error_transient(d->store))
		return manual_refuse(m, "try_again", "unable to record the "
		    "job now; send it again later");
	return manual_refuse(m, "store", "unable to record the job");
}

int
manual_run(struct dispatcher *d, struct manual_run *m)
{
	struct job_request request;
	struct job tip;
	char trigger[200];
	int existing, rc;

	m->code = NULL;
	m->why[0] = '\0';
	if (sched_repo_refused(d->sched, m->repo, m->why, sizeof m->why)) {
		m->code = "bad_repo";
		return -1;
	}
	rc = store_branch_tip(d->store, m->repo, m->branch, &tip);
	if (rc == -1)
		return manual_store_failed(d, m);
	if (rc == 0)
		return manual_refuse(m, "no_commit", "no commit of %s of %s is "
		    "known yet: notify one first", m->branch, m->repo);
	snprintf(trigger, sizeof trigger, "manual by %s", m->who);
	/* A person is waiting for it: it goes first, as a retry does. */
	request = (struct job_request){
		.repo = tip.repo, .commit = tip.commit, .branch = tip.branch,
		.subject = tip.subject, .author = tip.author, .rebuild = 1,
		.pr_title = tip.pr_title, .pr_url = tip.pr_url,
		.priority = JOB_PRIORITY_HIGH, .priority_set = 1,
		.trigger = trigger, .params = m->params,
	};
	rc = sched_queue_job(d->sched, &request, &m->id, &m->state, &existing);
	snprintf(m->commit, sizeof m->commit, "%s", tip.commit);
	job_release(&tip);
	if (rc == -3)
		return manual_refuse(m, "disk_full", "%s",
		    sched_refusal(d->sched));
	if (rc == -2)
		return manual_refuse(m, "queue_full", "the queue of %s is full "
		    "(%d jobs)", m->repo, d->cfg.max_queued_per_repo);
	if (rc == -1)
		return manual_store_failed(d, m);
	log_info("job %lld: a manual run of %s of %s at %s, by %s",
	    (long long)m->id, m->branch, m->repo, m->commit, m->who);
	return 0;
}

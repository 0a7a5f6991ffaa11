/* SPDX-License-Identifier: MIT */
/*
 * manual.h - a manual run (docs/QUEUE.md): the tip of a branch queued
 * again because a person asked, over the protocol ("ssci run") or the
 * API (POST /api/run, the branch page's Run form).  Both doors call
 * manual_run, so they queue the same run and refuse with the same words.
 */
#ifndef SSCI_MANUAL_H
#define SSCI_MANUAL_H

#include <stdint.h>

#include "job.h"

struct dispatcher;

struct manual_run {
	/* What is asked; borrowed. */
	const char *repo;
	const char *branch;
	const char *params;	/* params.h's JSON text, or NULL */
	const char *who;	/* "a client at ADDR", "the web, from IP" */
	/* What came of it. */
	int64_t id;		/* the new pipeline's first job */
	enum job_state state;
	char commit[65];	/* the tip that was queued */
	/*
	 * NULL, or the error's code (docs/PROTOCOL.md): no_commit, bad_repo,
	 * disk_full, queue_full, try_again, store.
	 */
	const char *code;
	char why[512];		/* the error's message */
};

/*
 * Queue a run of m->branch's tip (its latest pipeline's commit) in
 * m->repo again, at high priority, with m->params, triggered "manual by
 * WHO".  0 with id, state and commit; or -1 with code and why.
 */
int manual_run(struct dispatcher *d, struct manual_run *m);

#endif

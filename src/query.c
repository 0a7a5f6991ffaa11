/* SPDX-License-Identifier: MIT */
/*
 * query.c - what observers, notify and the command-line client ask of the
 * dispatcher over the protocol: dispatch, status, jobs, show, tail,
 * cancel, retry.  Each returns its answer, one line, for peer.c to send;
 * the answers' contents are built by api.c, as the HTTP API's are.  A
 * run (manual.c) queues a branch's tip again with parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "dispatcher.h"
#include "manual.h"
#include "sched.h"
#include "store.h"
#include "util.h"

/* The most log one tail reply carries: escaped, it stays under a line. */
#define QUERY_TAIL_MAX (128 * 1024)

char *
query_dispatch(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	struct job_request request = {
		.repo = msg->repo, .commit = msg->commit, .branch = msg->branch,
		.subject = msg->subject, .author = msg->author,
		.rebuild = msg->rebuild, .trigger = msg->trigger,
		.priority = msg->priority, .priority_set = msg->priority_set,
	};
	enum job_state state;
	char why[400];
	int64_t id;
	int existing, rc;

	(void)who;
	if (sched_repo_refused(d->sched, msg->repo, why, sizeof why))
		return proto_encode_error("bad_repo", why, NULL);
	rc = sched_queue_job(d->sched, &request, &id, &state, &existing);
	if (rc == -3)
		return proto_encode_error("disk_full", sched_refusal(d->sched),
		    NULL);
	if (rc == -2)
		return proto_encode_errorf("queue_full", "the queue of %s is "
		    "full (%d jobs)", msg->repo, d->cfg.max_queued_per_repo);
	if (rc == -1 && store_error_transient(d->store))
		return proto_encode_error("try_again", "unable to record the "
		    "job now; send it again later", NULL);
	if (rc == -1)
		return proto_encode_error("store", "unable to record the job",
		    NULL);
	return proto_encode_ok_job(id, state, existing, NULL);
}

char *
query_run(struct dispatcher *d, const struct proto_msg *msg, const char *who)
{
	struct manual_run m = { .repo = msg->repo, .branch = msg->branch,
	    .params = msg->params };
	char by[100];

	snprintf(by, sizeof by, "a client at %s", who);
	m.who = by;
	if (manual_run(d, &m) == -1)
		return proto_encode_error(m.code, m.why, NULL);
	return proto_encode_ok_json(json_pack("{s:I, s:s, s:b, s:s}", "job",
	    (json_int_t)m.id, "state", job_state_name(m.state), "existing", 0,
	    "commit", m.commit), NULL);
}

char *
query_status(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	(void)msg;
	(void)who;
	return proto_encode_ok_json(api_status(d), NULL);
}

char *
query_jobs(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	struct job_filter f = {
		.repo = msg->repo, .branch = msg->branch,
		.state = msg->has_state ? job_state_name(msg->state) : NULL,
		.before = msg->before, .limit = msg->limit,
	};
	json_t *jobs = api_jobs(d, &f);

	(void)who;
	if (jobs == NULL)
		return proto_encode_error("store", "unable to list jobs", NULL);
	return proto_encode_ok_json(json_pack("{s:o}", "jobs", jobs), NULL);
}

/* The job a show or tail names, by id or commit: 1, or 0 and *reply. */
static int
query_find(struct dispatcher *d, const struct proto_msg *msg,
    struct job *job, char **reply)
{
	int found = 0;

	/* Both may come: a word like 1450586 is a job number or a commit
	 * prefix, and the job wins when there is one. */
	if (msg->job > 0)
		found = store_job_get(d->store, msg->job, job);
	if (found == 0 && msg->commit[0] != '\0')
		found = store_job_by_commit(d->store, msg->commit, job);
	if (found == 1)
		return 1;
	if (msg->job > 0 && msg->commit[0] != '\0')
		*reply = proto_encode_errorf("no_such_job", "no job %lld and "
		    "no job for commit %s", (long long)msg->job, msg->commit);
	else if (msg->job > 0)
		*reply = proto_encode_errorf("no_such_job", "no job %lld",
		    (long long)msg->job);
	else
		*reply = proto_encode_errorf("no_such_job", "no job for "
		    "commit %s", msg->commit);
	return 0;
}

char *
query_show(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	struct job job;
	char *reply;

	(void)who;
	if (!query_find(d, msg, &job, &reply))
		return reply;
	reply = proto_encode_ok_json(json_pack("{s:o}", "detail",
	    api_job(&job)), NULL);
	job_release(&job);
	return reply;
}

char *
query_tail(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	struct job job;
	char *data = NULL, *clean, *reply;
	size_t len = 0, cleanlen;
	int64_t size = 0;

	(void)who;
	if (!query_find(d, msg, &job, &reply))
		return reply;
	if (api_log_read(d, &job, msg->offset, QUERY_TAIL_MAX, &data, &len,
	    &size) == -1)
		len = 0;
	clean = utf8_sanitize(data != NULL ? data : "", len, &cleanlen);
	reply = proto_encode_ok_json(json_pack("{s:o, s:s%, s:I, s:I}",
	    "detail", api_job(&job), "data", clean, cleanlen,
	    "offset", (json_int_t)(msg->offset + (int64_t)len),
	    "size", (json_int_t)size), NULL);
	free(clean);
	free(data);
	job_release(&job);
	return reply;
}

char *
query_cancel(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	enum job_state state;
	char by[100];

	snprintf(by, sizeof by, "a client at %s", who);
	switch (sched_cancel_job(d->sched, msg->job, by, &state)) {
	case 1:
		return proto_encode_errorf("no_such_job", "no job %lld",
		    (long long)msg->job);
	case 2:
		return proto_encode_errorf("bad_state", "job %lld has already "
		    "finished: %s", (long long)msg->job, job_state_name(state));
	default:
		return proto_encode_ok_json(json_pack("{s:I, s:s}", "job",
		    (json_int_t)msg->job, "state", job_state_name(state)),
		    NULL);
	}
}

char *
query_retry(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	int64_t id;

	(void)who;
	switch (sched_retry_job(d->sched, msg->job, &id)) {
	case 0:
		return proto_encode_ok_job(id, JOB_QUEUED, 0, NULL);
	case 1:
		return proto_encode_errorf("no_such_job", "no job %lld",
		    (long long)msg->job);
	case 2:
		return proto_encode_errorf("bad_state", "job %lld is not over "
		    "yet", (long long)msg->job);
	case -3:
		return proto_encode_error("disk_full", sched_refusal(d->sched),
		    NULL);
	default:
		return proto_encode_error("store", "unable to queue the job "
		    "again", NULL);
	}
}

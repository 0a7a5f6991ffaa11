/* SPDX-License-Identifier: MIT */
/*
 * query.c - what observers, notify and the command-line client ask of the
 * dispatcher over the protocol: dispatch, status, jobs, show, tail,
 * cancel, retry.  The answers are built by api.c, as the HTTP API's are.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "dispatcher.h"
#include "store.h"
#include "util.h"

/* The most log one tail reply carries: escaped, it stays under a line. */
#define QUERY_TAIL_MAX (128 * 1024)

static void
query_dispatch(struct peer *p, const struct proto_msg *msg)
{
	enum job_state state;
	char why[400];
	int64_t id;
	int existing, rc;

	if (sched_repo_refused(p->d, msg->repo, why, sizeof why)) {
		peer_send_error(p, "bad_repo", "%s", why);
		return;
	}
	rc = sched_queue_job(p->d, msg, &id, &state, &existing);
	if (rc == -2)
		peer_send_error(p, "queue_full", "the queue of %s is full "
		    "(%d jobs)", msg->repo, p->d->cfg.max_queued_per_repo);
	else if (rc == -1 && store_error_transient(p->d->store))
		peer_send_error(p, "try_again", "unable to record the job now; "
		    "send it again later");
	else if (rc == -1)
		peer_send_error(p, "store", "unable to record the job");
	else
		peer_send(p, proto_encode_ok_job(id, state, existing, NULL));
}

static void
query_jobs(struct peer *p, const struct proto_msg *msg)
{
	struct job_filter f = {
		.repo = msg->repo, .branch = msg->branch,
		.state = msg->has_state ? job_state_name(msg->state) : NULL,
		.before = msg->before, .limit = msg->limit,
	};
	json_t *jobs = api_jobs(p->d, &f);

	if (jobs == NULL) {
		peer_send_error(p, "store", "unable to list jobs");
		return;
	}
	peer_send(p, proto_encode_ok_json(json_pack("{s:o}", "jobs", jobs),
	    NULL));
}

/* The job a show or tail names, by id or commit; 1, or 0 after answering. */
static int
query_find(struct peer *p, const struct proto_msg *msg, struct job *job)
{
	int found = msg->job > 0 ? store_job_get(p->d->store, msg->job, job) :
	    store_job_by_commit(p->d->store, msg->commit, job);

	if (found == 1)
		return 1;
	if (msg->job > 0)
		peer_send_error(p, "no_such_job", "no job %lld",
		    (long long)msg->job);
	else
		peer_send_error(p, "no_such_job", "no job for commit %s",
		    msg->commit);
	return 0;
}

static void
query_show(struct peer *p, const struct proto_msg *msg)
{
	struct job job;

	if (!query_find(p, msg, &job))
		return;
	peer_send(p, proto_encode_ok_json(json_pack("{s:o}", "detail",
	    api_job(&job)), NULL));
	job_release(&job);
}

static void
query_tail(struct peer *p, const struct proto_msg *msg)
{
	struct job job;
	char *data = NULL, *clean;
	size_t len = 0, cleanlen;
	int64_t size = 0;

	if (!query_find(p, msg, &job))
		return;
	if (results_log_read(p->d, job.id, msg->offset, QUERY_TAIL_MAX, &data,
	    &len, &size) == -1)
		len = 0;
	clean = utf8_sanitize(data != NULL ? data : "", len, &cleanlen);
	peer_send(p, proto_encode_ok_json(json_pack("{s:o, s:s%, s:I, s:I}",
	    "detail", api_job(&job), "data", clean, cleanlen,
	    "offset", (json_int_t)(msg->offset + (int64_t)len),
	    "size", (json_int_t)size), NULL));
	free(clean);
	free(data);
	job_release(&job);
}

static void
query_cancel(struct peer *p, const struct proto_msg *msg)
{
	enum job_state state;
	char who[100];

	snprintf(who, sizeof who, "a client at %s", p->addr);
	switch (sched_cancel_job(p->d, msg->job, who, &state)) {
	case 1:
		peer_send_error(p, "no_such_job", "no job %lld",
		    (long long)msg->job);
		break;
	case 2:
		peer_send_error(p, "bad_state", "job %lld has already "
		    "finished: %s", (long long)msg->job, job_state_name(state));
		break;
	default:
		peer_send(p, proto_encode_ok_json(json_pack("{s:I, s:s}", "job",
		    (json_int_t)msg->job, "state", job_state_name(state)), NULL));
	}
}

static void
query_retry(struct peer *p, const struct proto_msg *msg)
{
	int64_t id;

	switch (sched_retry_job(p->d, msg->job, &id)) {
	case 0:
		peer_send(p, proto_encode_ok_job(id, JOB_QUEUED, 0, NULL));
		break;
	case 1:
		peer_send_error(p, "no_such_job", "no job %lld",
		    (long long)msg->job);
		break;
	case 2:
		peer_send_error(p, "bad_state", "job %lld is not over yet",
		    (long long)msg->job);
		break;
	default:
		peer_send_error(p, "store", "unable to queue the job again");
	}
}

void
query_handle(struct peer *p, const struct proto_msg *msg)
{
	switch (msg->type) {
	case PROTO_DISPATCH:
		query_dispatch(p, msg);
		break;
	case PROTO_STATUS:
		peer_send(p, proto_encode_ok_json(api_status(p->d), NULL));
		break;
	case PROTO_JOBS:
		query_jobs(p, msg);
		break;
	case PROTO_SHOW:
		query_show(p, msg);
		break;
	case PROTO_TAIL:
		query_tail(p, msg);
		break;
	case PROTO_CANCEL:
		query_cancel(p, msg);
		break;
	case PROTO_RETRY:
		query_retry(p, msg);
		break;
	default:
		peer_send_error(p, "unknown_type", "not a client request");
	}
}

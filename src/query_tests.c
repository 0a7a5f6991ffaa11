/* SPDX-License-Identifier: MIT */
/*
 * query_tests.c - the command-line client's questions about tests, on the
 * protocol port: a job's tests ("ssci tests JOB") and quarantine ("ssci
 * quarantine add|remove|list").  Answers are built by api_tests.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "dispatcher.h"
#include "store.h"
#include "util.h"

/* A reply line must fit in a protocol line, with room to spare. */
#define QUERY_TESTS_MAX_LINE (PROTO_MAX_LINE - 1024)

char *
query_job_tests(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	struct job job;
	json_t *tests;
	char *reply = NULL;
	size_t len;
	int found, limit = msg->limit;

	(void)who;
	if ((found = store_job_get(d->store, msg->job, &job)) != 1)
		return found == 0 ? proto_encode_errorf("no_such_job",
		    "no job %lld", (long long)msg->job) :
		    proto_encode_error("store", "unable to read the job", NULL);
	/* No more than fits a line, about; fewer if it still does not. */
	for (;;) {
		if ((tests = api_job_tests(d, &job, msg->failed_only, limit, 0,
		    QUERY_TESTS_MAX_LINE)) == NULL) {
			reply = proto_encode_error("store", "unable to read the "
			    "job's tests", NULL);
			break;
		}
		if (limit < msg->limit)
			api_set(tests, "limited", json_true());
		reply = proto_encode_ok_json(json_pack("{s:o}", "detail", tests),
		    &len);
		if (len <= QUERY_TESTS_MAX_LINE || limit == 1)
			break;
		free(reply);
		limit /= 2;
	}
	job_release(&job);
	return reply;
}

char *
query_quarantine(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	json_t *list;
	char by[100];

	if (msg->test == NULL) {
		if ((list = api_quarantined(d, msg->repo)) == NULL)
			return proto_encode_error("store", "unable to read the "
			    "quarantined tests", NULL);
		return proto_encode_ok_json(list, NULL);
	}
	if (msg->repo == NULL)
		return proto_encode_error("bad_field", "missing field 'repo'",
		    NULL);
	snprintf(by, sizeof by, "a client at %s", who);
	switch (store_test_quarantine(d->store, msg->repo, msg->test,
	    !msg->remove, by)) {
	case 0:
		log_info("test '%s' of %s %s by %s", msg->test, msg->repo,
		    msg->remove ? "let out of quarantine" : "quarantined", by);
		return proto_encode_ok(NULL);
	case 1:
		return proto_encode_errorf("no_such_repo", "no repository %s",
		    msg->repo);
	default:
		return proto_encode_error("store", "unable to record the "
		    "quarantine", NULL);
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * http_api_tests.c - per-test results in the JSON API (docs/API.md):
 *
 *   GET  /api/jobs/ID/tests[?failed=1&limit=N&offset=K]
 *   GET  /api/tests?repo=URL&branch=B&name=TEST[&job=NAME&limit=N]
 *   GET  /api/flaky[?limit=N]
 *   GET  /api/quarantine[?repo=URL]
 *   POST /api/quarantine  {"repo":URL, "test":TEST[, "remove":true]}
 *
 * A quarantine is checked by the protocol's own parser, as a dispatch is;
 * like every POST, it needs the token (or a logged-in browser).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "dispatcher.h"
#include "http.h"
#include "util.h"

/* An answer's tests, about: past this, fewer ("limited"). */
#define HTTP_TESTS_MAX_BYTES (8 * 1024 * 1024)

int
http_api_job_tests(struct http_ctx *h)
{
	int64_t id = http_job_id(h->parts[2]);
	long failed, limit, offset;
	struct job job;
	json_t *obj;

	if (http_number(h, "failed", 0, 1, 0, &failed) == -1 ||
	    http_number(h, "limit", 1, TEST_RUNS_PAGE_MAX, 1000, &limit) == -1 ||
	    http_number(h, "offset", 0, TESTREC_MAX_TESTS, 0, &offset) == -1)
		return 1;
	if (id <= 0 || store_job_get(h->d->store, id, &job) != 1) {
		http_error(h->req, HTTP_NOTFOUND, "no_such_job", "no job '%s'",
		    h->parts[2]);
		return 1;
	}
	if ((obj = api_job_tests(h->d, &job, (int)failed, (int)limit,
	    offset, HTTP_TESTS_MAX_BYTES)) == NULL)
		http_error(h->req, HTTP_INTERNAL, "store", "unable to read the "
		    "tests of job %lld", (long long)id);
	else
		http_json(h->req, HTTP_OK, obj);
	job_release(&job);
	return 1;
}

int
http_api_test_history(struct http_ctx *h)
{
	const char *repo = http_param(h, "repo"), *name = http_param(h, "name");
	struct test_where where;
	long limit;
	json_t *obj;

	if (http_number(h, "limit", 1, 1000, 100, &limit) == -1)
		return 1;
	if (repo == NULL || name == NULL) {
		http_error(h->req, HTTP_BADREQUEST, "bad_parameter", "'repo' "
		    "and 'name' are needed ('branch' too, but for jobs with "
		    "none)");
		return 1;
	}
	where = (struct test_where){ .repo = repo, .name = name,
	    .branch = http_param(h, "branch"), .job_name = http_param(h,
	    "job") };
	where.any_job = where.job_name == NULL;
	obj = api_test_history(h->d, &where, (int)limit);
	if (obj == NULL)
		http_error(h->req, HTTP_INTERNAL, "store", "unable to read the "
		    "test's history");
	else
		http_json(h->req, HTTP_OK, obj);
	return 1;
}

int
http_api_flaky(struct http_ctx *h)
{
	long limit;
	json_t *obj;

	if (http_number(h, "limit", 1, 1000, 50, &limit) == -1)
		return 1;
	if ((obj = api_flaky(h->d, (int)limit)) == NULL)
		http_error(h->req, HTTP_INTERNAL, "store", "unable to read the "
		    "flaky tests");
	else
		http_json(h->req, HTTP_OK, obj);
	return 1;
}

static int
http_api_quarantine_get(struct http_ctx *h)
{
	json_t *obj = api_quarantined(h->d, http_param(h, "repo"));

	if (obj == NULL)
		http_error(h->req, HTTP_INTERNAL, "store", "unable to read the "
		    "quarantined tests");
	else
		http_json(h->req, HTTP_OK, obj);
	return 1;
}

int
http_api_quarantine(struct http_ctx *h)
{
	struct proto_msg msg;
	char who[100];
	int rc;

	if (h->method != EVHTTP_REQ_POST)
		return http_api_quarantine_get(h);
	if (http_body_message(h, "quarantine", &msg) == -1)
		return 1;
	if (msg.test == NULL || msg.repo == NULL) {
		http_error(h->req, HTTP_BADREQUEST, "bad_field",
		    "missing field '%s'", msg.repo == NULL ? "repo" : "test");
		proto_msg_release(&msg);
		return 1;
	}
	snprintf(who, sizeof who, "the web, from %s", h->ip);
	rc = store_test_quarantine(h->d->store, msg.repo, msg.test, !msg.remove,
	    who);
	if (rc == 0) {
		log_info("test '%s' of %s %s by %s", msg.test, msg.repo,
		    msg.remove ? "let out of quarantine" : "quarantined", who);
		http_json(h->req, HTTP_OK, json_pack("{s:s, s:s, s:b}", "repo",
		    msg.repo, "test", msg.test, "quarantined", !msg.remove));
	} else if (rc == 1)
		http_error(h->req, HTTP_NOTFOUND, "no_such_repo",
		    "no repository '%s'", msg.repo);
	else
		http_error(h->req, HTTP_INTERNAL, "store",
		    "unable to record the quarantine");
	proto_msg_release(&msg);
	return 1;
}

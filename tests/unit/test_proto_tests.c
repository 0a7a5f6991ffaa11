/* SPDX-License-Identifier: MIT */
/*
 * test_proto_tests.c - per-test records on the wire: a runner's batches
 * (proto_tests_batch_*) parse back to the records they were made of, each
 * within a line; records that break a bound are refused whole; the
 * client's job_tests and quarantine questions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "util.h"

/* Parse a whole line (with its '\n'); 0 or -1 with *err filled. */
static int
parse_line(const char *line, struct proto_msg *msg, struct proto_error *err)
{
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\n')
		len--;
	return proto_parse(line, len, msg, err);
}

static void
test_batch_round_trip(void **state)
{
	struct proto_tests_batch *b = proto_tests_batch_new(42, 2, 0);
	struct test_record rec = { .name = "test_adds", .suite = "pkg.math",
	    .file = "tests/test_math.py", .status = TEST_FAILED,
	    .duration_us = 1234, .message = "assert 3 == 4\n\twith a \"quote\"" };
	struct test_record bare = { .name = "ok 1", .status = TEST_SKIPPED,
	    .duration_us = -1 };
	struct proto_error err;
	struct proto_msg msg;
	char *line;
	size_t len;

	(void)state;
	assert_true(proto_tests_batch_fits(b, &rec));
	proto_tests_batch_add(b, &rec);
	proto_tests_batch_add(b, &bare);
	assert_int_equal(proto_tests_batch_count(b), 2);
	line = proto_tests_batch_take(b, &len);
	assert_int_equal(len, strlen(line));
	assert_int_equal(proto_tests_batch_count(b), 0);
	assert_int_equal(parse_line(line, &msg, &err), 0);
	free(line);
	assert_int_equal(msg.type, PROTO_TESTS);
	assert_int_equal(msg.job, 42);
	assert_int_equal(msg.attempt, 2);
	assert_int_equal(msg.first, 0);
	assert_int_equal(msg.nrecords, 2);
	assert_string_equal(msg.records[0].name, "test_adds");
	assert_string_equal(msg.records[0].suite, "pkg.math");
	assert_string_equal(msg.records[0].file, "tests/test_math.py");
	assert_int_equal(msg.records[0].status, TEST_FAILED);
	assert_int_equal(msg.records[0].duration_us, 1234);
	assert_string_equal(msg.records[0].message, rec.message);
	assert_null(msg.records[1].suite);
	assert_null(msg.records[1].message);
	assert_int_equal(msg.records[1].duration_us, -1);
	assert_int_equal(msg.records[1].status, TEST_SKIPPED);
	proto_msg_release(&msg);
	/* The next batch counts on from where this one ended. */
	proto_tests_batch_add(b, &bare);
	line = proto_tests_batch_take(b, NULL);
	assert_int_equal(parse_line(line, &msg, &err), 0);
	assert_int_equal(msg.first, 2);
	proto_msg_release(&msg);
	free(line);
	proto_tests_batch_free(b);
}

/* A full batch stays within a line, however its bytes escape. */
static void
test_batch_fits_a_line(void **state)
{
	struct proto_tests_batch *b = proto_tests_batch_new(1, 1, 0);
	char name[TESTREC_MAX_NAME + 1], message[TESTREC_MAX_MESSAGE + 1];
	struct test_record rec = { .name = name, .suite = name, .file = name,
	    .status = TEST_ERROR, .duration_us = 1, .message = message };
	struct proto_error err;
	struct proto_msg msg;
	size_t n = 0, len;
	char *line;

	(void)state;
	/* Control characters: six bytes each once escaped. */
	memset(name, 0x01, TESTREC_MAX_NAME);
	name[TESTREC_MAX_NAME] = '\0';
	memset(message, 0x02, TESTREC_MAX_MESSAGE);
	message[TESTREC_MAX_MESSAGE] = '\0';
	while (proto_tests_batch_fits(b, &rec)) {
		proto_tests_batch_add(b, &rec);
		n++;
	}
	assert_true(n > 1 && n < PROTO_MAX_RECORDS);
	line = proto_tests_batch_take(b, &len);
	assert_true(len - 1 <= PROTO_MAX_LINE);
	assert_int_equal(parse_line(line, &msg, &err), 0);
	assert_int_equal(msg.nrecords, n);
	assert_string_equal(msg.records[0].message, message);
	proto_msg_release(&msg);
	free(line);
	proto_tests_batch_free(b);
}

static void
refused_as(const char *line, const char *code, const char *want)
{
	struct proto_error err;
	struct proto_msg msg;

	assert_int_equal(parse_line(line, &msg, &err), -1);
	assert_string_equal(err.code, code);
	if (strstr(err.message, want) == NULL)
		fail_msg("message '%s' lacks '%s'", err.message, want);
}

static void
refused(const char *line, const char *want)
{
	refused_as(line, "bad_field", want);
}

static void
test_bad_records(void **state)
{
	char *line, *big;

	(void)state;
	refused("{\"type\":\"tests\",\"id\":1,\"attempt\":1,\"first\":0,"
	    "\"tests\":[]}", "1 to 1000 tests");
	refused("{\"type\":\"tests\",\"id\":1,\"attempt\":1,\"first\":0,"
	    "\"tests\":[{\"status\":\"passed\"}]}", "no 'name'");
	refused("{\"type\":\"tests\",\"id\":1,\"attempt\":1,\"first\":0,"
	    "\"tests\":[{\"name\":\"x\",\"status\":\"green\"}]}",
	    "'status' must be");
	/* jansson refuses a NUL itself; the length check stands behind it. */
	refused_as("{\"type\":\"tests\",\"id\":1,\"attempt\":1,\"first\":0,"
	    "\"tests\":[{\"name\":\"a\\u0000b\",\"status\":\"passed\"}]}",
	    "bad_json", "");
	refused("{\"type\":\"tests\",\"id\":1,\"attempt\":1,\"first\":0,"
	    "\"tests\":[{\"name\":\"x\",\"status\":\"passed\","
	    "\"duration_us\":-5}]}", "microseconds");
	refused("{\"type\":\"tests\",\"id\":1,\"attempt\":1,\"first\":0,"
	    "\"tests\":[7]}", "must be an object");
	refused("{\"type\":\"tests\",\"id\":1,\"attempt\":1,\"first\":100001,"
	    "\"tests\":[{\"name\":\"x\",\"status\":\"passed\"}]}", "first");
	/* A message past 4 KiB. */
	big = xmalloc(TESTREC_MAX_MESSAGE + 2);
	memset(big, 'm', TESTREC_MAX_MESSAGE + 1);
	big[TESTREC_MAX_MESSAGE + 1] = '\0';
	xasprintf(&line, "{\"type\":\"tests\",\"id\":1,\"attempt\":1,"
	    "\"first\":0,\"tests\":[{\"name\":\"x\",\"status\":\"failed\","
	    "\"message\":\"%s\"}]}", big);
	refused(line, "'message'");
	free(line);
	free(big);
}

static void
test_client_questions(void **state)
{
	struct proto_error err;
	struct proto_msg msg;
	char *line;

	(void)state;
	line = proto_encode_job_tests(7, 1, 50, NULL);
	assert_int_equal(parse_line(line, &msg, &err), 0);
	assert_int_equal(msg.type, PROTO_JOB_TESTS);
	assert_int_equal(msg.job, 7);
	assert_true(msg.failed_only);
	assert_int_equal(msg.limit, 50);
	proto_msg_release(&msg);
	free(line);
	line = proto_encode_quarantine("/srv/r.git", "pkg.t", 1, NULL);
	assert_int_equal(parse_line(line, &msg, &err), 0);
	assert_string_equal(msg.repo, "/srv/r.git");
	assert_string_equal(msg.test, "pkg.t");
	assert_true(msg.remove);
	proto_msg_release(&msg);
	free(line);
	line = proto_encode_quarantine("/srv/r.git", NULL, 0, NULL);
	assert_int_equal(parse_line(line, &msg, &err), 0);
	assert_null(msg.test);
	assert_false(msg.remove);
	proto_msg_release(&msg);
	free(line);
	refused("{\"type\":\"quarantine\",\"repo\":\"-x\",\"test\":\"t\"}",
	    "repo");
	refused("{\"type\":\"quarantine\",\"repo\":\"/r\",\"test\":\"\"}",
	    "test");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_round_trip),
		cmocka_unit_test(test_batch_fits_a_line),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_client_questions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

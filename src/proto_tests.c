/* SPDX-License-Identifier: MIT */
/*
 * proto_tests.c - per-test records on the wire (proto.h): a "tests"
 * message's array checked and read (for proto.c), and a runner's records
 * gathered into batches that each fit in one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto.h"
#include "util.h"

/*
 * What a record may take on the wire, JSON escapes included: every byte
 * of a string may become "\u00XX" (six bytes).  A batch stays within
 * this, so a line stays within PROTO_MAX_LINE.
 */
#define RECORD_WIRE_MAX(len) (6 * (len) + 2)
#define BATCH_WIRE_MAX (PROTO_MAX_LINE - 4096)

struct proto_tests_batch {
	int64_t job;
	int attempt;
	int64_t first;		/* the index of the batch's first record */
	json_t *tests;
	size_t wire;		/* the most the batch takes on the wire */
};

/* A string member of a record: NULL if absent, -1 if wrong or too long. */
static int
record_string(json_t *obj, const char *key, size_t max, int required,
    char **out, char *err, size_t errsize)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(err, errsize, "a test has no '%s'", key);
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(err, errsize, "a test's '%s' must be a string", key);
		return -1;
	}
	s = json_string_value(v);
	/* jansson lets "\u0000" in: the length tells. */
	if (strlen(s) != json_string_length(v) || json_string_length(v) > max ||
	    (required && *s == '\0')) {
		snprintf(err, errsize, "a test's '%s' is empty, longer than "
		    "%zu bytes or holds a NUL", key, max);
		return -1;
	}
	*out = xstrdup(s);
	return 0;
}

static int
record_get(json_t *obj, struct test_record *rec, char *err, size_t errsize)
{
	json_t *v;
	const char *status;

	if (!json_is_object(obj)) {
		snprintf(err, errsize, "a test must be an object");
		return -1;
	}
	if (record_string(obj, "name", TESTREC_MAX_NAME, 1, &rec->name, err,
	    errsize) == -1 || record_string(obj, "suite", TESTREC_MAX_NAME, 0,
	    &rec->suite, err, errsize) == -1 || record_string(obj, "file",
	    TESTREC_MAX_NAME, 0, &rec->file, err, errsize) == -1 ||
	    record_string(obj, "message", TESTREC_MAX_MESSAGE, 0,
	    &rec->message, err, errsize) == -1)
		return -1;
	status = json_string_value(json_object_get(obj, "status"));
	if (status == NULL || testrec_status_parse(status, &rec->status) == -1) {
		snprintf(err, errsize, "a test's 'status' must be passed, "
		    "failed, error or skipped");
		return -1;
	}
	rec->duration_us = -1;
	if ((v = json_object_get(obj, "duration_us")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < -1 ||
		    json_integer_value(v) > TESTREC_MAX_DURATION_US) {
			snprintf(err, errsize, "a test's 'duration_us' must be "
			    "a number of microseconds");
			return -1;
		}
		rec->duration_us = json_integer_value(v);
	}
	return 0;
}

void
proto_records_free(struct test_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(recs[i].name);
		free(recs[i].suite);
		free(recs[i].file);
		free(recs[i].message);
	}
	free(recs);
}

int
proto_records_get(json_t *array, size_t max, struct test_record **out,
    size_t *n, char *err, size_t errsize)
{
	struct test_record *recs;
	json_t *item;
	size_t i;

	*out = NULL;
	*n = 0;
	if (json_array_size(array) == 0 || json_array_size(array) > max) {
		snprintf(err, errsize, "field 'tests' must hold 1 to %zu tests",
		    max);
		return -1;
	}
	recs = xcalloc(json_array_size(array), sizeof *recs);
	json_array_foreach(array, i, item) {
		if (record_get(item, &recs[i], err, errsize) == -1) {
			proto_records_free(recs, i + 1);
			return -1;
		}
	}
	*out = recs;
	*n = json_array_size(array);
	return 0;
}

struct proto_tests_batch *
proto_tests_batch_new(int64_t job, int attempt, int64_t first)
{
	struct proto_tests_batch *b = xcalloc(1, sizeof *b);

	b->job = job;
	b->attempt = attempt;
	b->first = first;
	b->tests = json_array();
	if (b->tests == NULL)
		fatalx("%s: out of memory", __func__);
	return b;
}

/* A string member, made valid UTF-8 (a record's strings are already). */
static void
record_set(json_t *obj, const char *key, const char *s)
{
	char *valid;

	if (s == NULL)
		return;
	valid = utf8_sanitize(s, strlen(s), NULL);
	if (json_object_set_new(obj, key, json_string(valid)) == -1)
		fatalx("%s: out of memory", __func__);
	free(valid);
}

static size_t
record_wire(const struct test_record *rec)
{
	size_t len = 0;

	len += rec->name != NULL ? strlen(rec->name) : 0;
	len += rec->suite != NULL ? strlen(rec->suite) : 0;
	len += rec->file != NULL ? strlen(rec->file) : 0;
	len += rec->message != NULL ? strlen(rec->message) : 0;
	return RECORD_WIRE_MAX(len) + 128;
}

int
proto_tests_batch_fits(const struct proto_tests_batch *b,
    const struct test_record *rec)
{
	return json_array_size(b->tests) < PROTO_MAX_RECORDS &&
	    b->wire + record_wire(rec) <= BATCH_WIRE_MAX;
}

void
proto_tests_batch_add(struct proto_tests_batch *b,
    const struct test_record *rec)
{
	json_t *obj = json_object();

	if (obj == NULL)
		fatalx("%s: out of memory", __func__);
	record_set(obj, "name", rec->name);
	record_set(obj, "suite", rec->suite);
	record_set(obj, "file", rec->file);
	json_object_set_new(obj, "status",
	    json_string(testrec_status_name(rec->status)));
	if (rec->duration_us >= 0)
		json_object_set_new(obj, "duration_us",
		    json_integer(rec->duration_us));
	record_set(obj, "message", rec->message);
	if (json_array_append_new(b->tests, obj) == -1)
		fatalx("%s: out of memory", __func__);
	b->wire += record_wire(rec);
}

size_t
proto_tests_batch_count(const struct proto_tests_batch *b)
{
	return json_array_size(b->tests);
}

char *
proto_tests_batch_take(struct proto_tests_batch *b, size_t *len)
{
	json_t *msg;
	char *text, *line;
	size_t n = json_array_size(b->tests);

	msg = json_pack("{s:s, s:I, s:i, s:I, s:O}", "type", "tests", "id",
	    (json_int_t)b->job, "attempt", b->attempt, "first",
	    (json_int_t)b->first, "tests", b->tests);
	if (msg == NULL || (text = json_dumps(msg, JSON_COMPACT)) == NULL)
		fatalx("%s: out of memory", __func__);
	json_decref(msg);
	xasprintf(&line, "%s\n", text);
	free(text);
	if (len != NULL)
		*len = strlen(line);
	json_array_clear(b->tests);
	b->first += (int64_t)n;
	b->wire = 0;
	return line;
}

void
proto_tests_batch_free(struct proto_tests_batch *b)
{
	if (b == NULL)
		return;
	json_decref(b->tests);
	free(b);
}

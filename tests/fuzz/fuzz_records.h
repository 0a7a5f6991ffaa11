/* SPDX-License-Identifier: MIT */
/*
 * fuzz_records.h - what the fuzz targets of the test report readers
 * share: records hashed as they come, and the input fed whole, a byte at
 * a time and in chunks the fuzzer picks, which must all agree.
 *
 * Input: byte 0 says how many size bytes follow (0..15); the sizes are used
 * in turn, 0 meaning an empty feed; the rest is the report.
 */
#ifndef SSCI_FUZZ_RECORDS_H
#define SSCI_FUZZ_RECORDS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testrec.h"
#include "util.h"

/* What the records were: their number and a hash of every field. */
struct seen {
	size_t n;
	uint64_t hash;
};

static void
hash_bytes(struct seen *s, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		s->hash ^= b[i];
		s->hash *= 1099511628211ULL;
	}
}

static void
hash_string(struct seen *s, const char *str, size_t max)
{
	size_t len;

	if (str == NULL) {
		hash_bytes(s, "\xff", 1);
		return;
	}
	len = strlen(str);
	if (len > max || !utf8_valid(str, len))
		abort();
	hash_bytes(s, str, len + 1);
}

static int
record(const struct test_record *r, void *arg)
{
	struct seen *s = arg;

	if (r->name == NULL || testrec_status_name(r->status) == NULL ||
	    r->duration_us < -1)
		abort();
	hash_string(s, r->name, TESTREC_MAX_NAME);
	hash_string(s, r->suite, TESTREC_MAX_NAME);
	hash_string(s, r->file, TESTREC_MAX_NAME);
	hash_string(s, r->message, TESTREC_MAX_MESSAGE);
	hash_bytes(s, &r->status, sizeof r->status);
	hash_bytes(s, &r->duration_us, sizeof r->duration_us);
	s->n++;
	return 0;
}

/* A reader as the driver sees it. */
struct fuzz_reader {
	void *(*open)(struct seen *s);
	int (*feed)(void *p, const char *data, size_t len);
	/* Finish and free: the verdict, with err written if -1. */
	int (*close)(void *p, char *err, size_t errsize);
	const char *prefix;	/* how a refusal begins */
};

/* Feed text in chunks of the given sizes, cycling; return the verdict. */
static int
feed_chunks(const struct fuzz_reader *rd, const char *text, size_t len,
    const uint8_t *sizes, size_t nsizes, struct seen *s)
{
	size_t off = 0, n, i = 0, empty = 0;
	char err[512];
	int fed = 0, rc;
	void *p;

	memset(s, 0, sizeof *s);
	s->hash = 14695981039346656037ULL;
	p = rd->open(s);
	while (off < len) {
		n = nsizes > 0 ? sizes[i++ % nsizes] : len;
		if (n > len - off)
			n = len - off;
		/* All-zero sizes must still make progress. */
		if (n == 0 && ++empty > nsizes)
			n = 1;
		if (n > 0)
			empty = 0;
		if (rd->feed(p, text + off, n) == -1)
			fed = -1;
		off += n;
	}
	rc = rd->close(p, err, sizeof err);
	if (fed == -1 && rc != -1)
		abort();
	if (rc == -1) {
		if (strncmp(err, rd->prefix, strlen(rd->prefix)) != 0)
			abort();
		for (const char *c = err; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				abort();
	}
	if (s->n > TESTREC_MAX_TESTS)
		abort();
	return rc;
}

/* The whole input through rd three ways, which must agree. */
static int
fuzz_records(const struct fuzz_reader *rd, const uint8_t *data, size_t size)
{
	static const uint8_t one = 1;
	struct seen whole, bytes, chunks;
	const char *text;
	size_t nsizes, len;
	int rc;

	if (size == 0)
		return 0;
	nsizes = data[0] % 16;
	if (nsizes > size - 1)
		nsizes = size - 1;
	text = (const char *)data + 1 + nsizes;
	len = size - 1 - nsizes;

	rc = feed_chunks(rd, text, len, NULL, 0, &whole);
	if (feed_chunks(rd, text, len, &one, 1, &bytes) != rc ||
	    memcmp(&whole, &bytes, sizeof whole) != 0)
		abort();
	if (feed_chunks(rd, text, len, data + 1, nsizes, &chunks) != rc ||
	    memcmp(&whole, &chunks, sizeof whole) != 0)
		abort();
	return 0;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_junit.c - libFuzzer target for the JUnit XML reader.  A runner
 * feeds it a file in whatever chunks it reads, so the records must not
 * depend on where the chunks end (fuzz_records.h); every record holds
 * bounded UTF-8, a refusal says where with no control character, and
 * expat's memory stays under its cap.
 */
#include "fuzz_records.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *
junit_open(struct seen *s)
{
	return junit_new("report.xml", record, s);
}

static int
junit_feed_any(void *p, const char *data, size_t len)
{
	return junit_feed(p, data, len);
}

static int
junit_close(void *p, char *err, size_t errsize)
{
	int rc = junit_finish(p, err, errsize);

	if (junit_peak_memory(p) > JUNIT_MAX_MEMORY)
		abort();
	junit_free(p);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_reader rd = { junit_open, junit_feed_any,
	    junit_close, "report.xml:" };

	return fuzz_records(&rd, data, size);
}

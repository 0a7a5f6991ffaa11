/* SPDX-License-Identifier: MIT */
/*
 * fuzz_report_lines.c - libFuzzer target for the reader of TAP and
 * unittest's lines in a job's output.  A runner feeds it whatever chunks
 * the pipe gives, so the records must not depend on where the chunks end
 * (fuzz_records.h); every record holds bounded UTF-8, and a note says on
 * which line, with no control character.
 */
#include "fuzz_records.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *
lines_open(struct seen *s)
{
	return report_lines_new(record, s);
}

static int
lines_feed(void *p, const char *data, size_t len)
{
	return report_lines_feed(p, data, len);
}

static int
lines_close(void *p, char *err, size_t errsize)
{
	int rc = report_lines_finish(p, err, errsize);

	report_lines_free(p);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_reader rd = { lines_open, lines_feed,
	    lines_close, "output:" };

	return fuzz_records(&rd, data, size);
}

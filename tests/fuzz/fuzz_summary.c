/* SPDX-License-Identifier: MIT */
/*
 * fuzz_summary.c - libFuzzer target for the test-count reader.  A runner
 * feeds it whatever chunks the pipe gives, so the counts must not depend on
 * where the chunks end: the input is fed once whole, once a byte at a time
 * and once in chunks whose sizes the fuzzer picks, and all three must agree,
 * and agree with every line given to every format (unit_summary.h).
 *
 * Input: byte 0 says how many size bytes follow (0..15); the sizes are used
 * in turn, 0 meaning an empty feed; the rest is the output to read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"
#include "../unit/unit_summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feed text in chunks of the given sizes, cycling; return the result. */
static const char *
feed_chunks(const char *text, size_t len, const uint8_t *sizes, size_t nsizes,
    struct job_tests *t)
{
	struct summary_parser p;
	size_t off = 0, n, i = 0, empty = 0;

	summary_init(&p);
	while (off < len) {
		n = nsizes > 0 ? sizes[i++ % nsizes] : len;
		if (n > len - off)
			n = len - off;
		/* All-zero sizes must still make progress. */
		if (n == 0 && ++empty > nsizes)
			n = 1;
		if (n > 0)
			empty = 0;
		summary_feed(&p, text + off, n);
		off += n;
	}
	return summary_finish(&p, t);
}

static void
check_same(const char *name1, const struct job_tests *t1,
    const char *name2, const struct job_tests *t2)
{
	if (name1 != name2 || memcmp(t1, t2, sizeof *t1) != 0)
		abort();
}

/* Counts hold together: all unknown or none; failures within the run. */
static void
check_sane(const char *name, const struct job_tests *t)
{
	if (name == NULL) {
		if (t->run != -1 || t->failed != -1 || t->skipped != -1)
			abort();
		return;
	}
	if (t->run < 0 || t->failed < -1 || t->skipped < -1)
		abort();
	/* unittest reports its own counts, which need not add up. */
	if (strcmp(name, "unittest") != 0 &&
	    (t->failed > t->run || t->skipped < 0))
		abort();
	if (strcmp(name, "tap") == 0 && t->skipped > t->run)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t one = 1;
	struct job_tests whole, bytes, chunks, reft;
	struct summary_parser ref;
	const char *nwhole, *nbytes, *nchunks, *nref, *text;
	size_t nsizes, len;

	if (size == 0)
		return 0;
	nsizes = data[0] % 16;
	if (nsizes > size - 1)
		nsizes = size - 1;
	text = (const char *)data + 1 + nsizes;
	len = size - 1 - nsizes;

	nwhole = feed_chunks(text, len, NULL, 0, &whole);
	check_sane(nwhole, &whole);
	/* Lines skipped by the quick checks are no summaries. */
	summary_init(&ref);
	ref_summary_feed(&ref, text, len);
	nref = ref_summary_finish(&ref, &reft);
	check_same(nwhole, &whole, nref, &reft);
	nbytes = feed_chunks(text, len, &one, 1, &bytes);
	check_same(nwhole, &whole, nbytes, &bytes);
	nchunks = feed_chunks(text, len, data + 1, nsizes, &chunks);
	check_same(nwhole, &whole, nchunks, &chunks);
	return 0;
}

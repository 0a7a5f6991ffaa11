/* SPDX-License-Identifier: MIT */
/*
 * fuzz_shard.c - libFuzzer target for a `list` command's output (shard.h)
 * and the split that follows.  The bytes are read as the output: refused
 * with a one-line message, or read into ids that are each within the
 * rules (not empty, no blanks at either end, no control character, at
 * most SHARD_MAX_ID bytes, each once).  The ids are then split into
 * shards with durations taken from their bytes: every test on one shard
 * in range, the shards' totals adding up, and the same split again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_id(const char *id)
{
	size_t len = strlen(id);

	check(len > 0 && len <= SHARD_MAX_ID);
	check(id[0] != ' ' && id[0] != '\t' && id[len - 1] != ' ' &&
	    id[len - 1] != '\t');
	for (size_t i = 0; i < len; i++)
		check((unsigned char)id[i] >= 0x20 && id[i] != 0x7f);
}

static void
check_split(char **ids, size_t n, int nshards)
{
	struct shard_test *tests = calloc(n + 1, sizeof *tests);
	int *shard = calloc(n + 1, sizeof *shard), *again = calloc(n + 1,
	    sizeof *again);
	int64_t totals[SHARD_MAX_SHARDS], sum = 0, expected = 0;

	for (size_t i = 0; i < n; i++) {
		tests[i].id = ids[i];
		/* Some unknown, the others from the id's first byte. */
		tests[i].duration_us = ids[i][0] % 3 == 0 ? -1 :
		    (int64_t)(unsigned char)ids[i][0] * 1000;
	}
	check(shard_split(tests, n, nshards, shard, totals) == 0);
	check(shard_split(tests, n, nshards, again, NULL) == 0);
	for (size_t i = 0; i < n; i++) {
		check(shard[i] >= 0 && shard[i] < nshards);
		check(shard[i] == again[i]);
	}
	for (int s = 0; s < nshards; s++)
		sum += totals[s];
	/* Unknown ones count the median of the known: at least 0. */
	for (size_t i = 0; i < n; i++)
		expected += tests[i].duration_us >= 0 ? tests[i].duration_us : 0;
	check(sum >= expected);
	free(tests);
	free(shard);
	free(again);
}

/* Each id's recorded name and the ids as $SSCI_TESTS stay in bounds. */
static void
check_words(char **ids, size_t n, size_t max)
{
	char name[SHARD_MAX_ID + 1], *words;

	for (size_t i = 0; i < n; i++) {
		shard_id_name(ids[i], name, sizeof name);
		check(strlen(name) <= strlen(ids[i]));
		if (strstr(ids[i], "::") == NULL)
			check(strcmp(name, ids[i]) == 0);
	}
	words = shard_tests_words(ids, n, max);
	if (words == NULL)
		return;
	check(strlen(words) <= max);
	for (size_t i = 0; n > 0 && i < n; i++)
		check(strstr(words, "'") != NULL ||
		    strstr(words, ids[i]) != NULL);
	free(words);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], **ids = NULL;
	size_t n = 0;

	if (shard_list_parse((const char *)data, size, &ids, &n, err,
	    sizeof err) == -1) {
		check(memchr(err, '\0', sizeof err) != NULL);
		check(strncmp(err, "list: line ", 11) == 0);
		return 0;
	}
	check(n <= SHARD_MAX_TESTS);
	check(n == 0 || ids[n] == NULL);
	for (size_t i = 0; i < n; i++) {
		check_id(ids[i]);
		/* Each once: a neighbour at least (the set is checked whole
		 * by the unit tests). */
		if (i > 0)
			check(strcmp(ids[i], ids[i - 1]) != 0);
	}
	check_split(ids, n, size > 0 ? 1 + data[0] % SHARD_MAX_SHARDS : 1);
	check_words(ids, n, size);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * shard.c - a `list` command's test ids read, and tests split into shards
 * by expected time (shard.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "util.h"

/* The ids seen so far, for "an id given twice counts once". */
struct id_set {
	size_t *slots;		/* index + 1 into ids; 0: empty */
	size_t cap;		/* a power of two */
};

static uint64_t
id_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* Whether s (len bytes) is among ids; if not, it will be ids[n]. */
static int
id_set_seen(struct id_set *set, char **ids, size_t n, const char *s,
    size_t len)
{
	size_t i;

	if (2 * (n + 1) > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64, *old = set->slots;

		set->slots = xcalloc(cap, sizeof *set->slots);
		for (size_t k = 0; k < set->cap; k++) {
			if (old[k] == 0)
				continue;
			i = id_hash(ids[old[k] - 1], strlen(ids[old[k] - 1])) &
			    (cap - 1);
			while (set->slots[i] != 0)
				i = (i + 1) & (cap - 1);
			set->slots[i] = old[k];
		}
		free(old);
		set->cap = cap;
	}
	for (i = id_hash(s, len) & (set->cap - 1); set->slots[i] != 0;
	    i = (i + 1) & (set->cap - 1)) {
		const char *other = ids[set->slots[i] - 1];

		if (strlen(other) == len && memcmp(other, s, len) == 0)
			return 1;
	}
	set->slots[i] = n + 1;
	return 0;
}

/* Whether s ends in " in 0.03s", the tail of a collector's summary. */
static int
ends_in_seconds(const char *s, size_t len)
{
	size_t end = len;

	if (end == 0 || s[end - 1] != 's')
		return 0;
	end--;
	while (end > 0 && (s[end - 1] == '.' ||
	    (s[end - 1] >= '0' && s[end - 1] <= '9')))
		end--;
	return end < len - 1 && end >= 4 && memcmp(s + end - 4, " in ", 4) == 0;
}

/*
 * A line that is no test id: a banner ("==== ... ====") or a summary
 * whose first word is a number or "no" ("12 tests collected in 0.03s").
 */
static int
shard_line_skipped(const char *s, size_t len)
{
	if (len >= 2 && s[0] == '=' && s[1] == '=')
		return 1;
	if (!ends_in_seconds(s, len))
		return 0;
	return (s[0] >= '0' && s[0] <= '9') || (len > 3 &&
	    memcmp(s, "no ", 3) == 0);
}

static int
shard_fail(char *err, size_t errsize, size_t line, const char *what)
{
	snprintf(err, errsize, "list: line %zu: %s", line, what);
	return -1;
}

/* Check one id (len bytes): NULL, or what is wrong with it. */
static const char *
shard_id_bad(const char *s, size_t len)
{
	if (len > SHARD_MAX_ID)
		return "a test id is longer than 1024 bytes";
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "a test id holds a control character";
	}
	if (!utf8_valid(s, len))
		return "a test id is not UTF-8";
	return NULL;
}

int
shard_list_parse(const char *text, size_t len, char ***out, size_t *nout,
    char *err, size_t errsize)
{
	struct id_set set = { NULL, 0 };
	char **ids = NULL;
	const char *p = text, *end = text + len, *why;
	size_t n = 0, cap = 0, line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end, *s = p;

		line++;
		p = nl != NULL ? nl + 1 : end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'))
			e--;
		if (s == e || shard_line_skipped(s, (size_t)(e - s)))
			continue;
		if ((why = shard_id_bad(s, (size_t)(e - s))) != NULL ||
		    (n == SHARD_MAX_TESTS && (why = "more than 100000 test "
		    "ids") != NULL)) {
			strv_free(ids, n);
			free(set.slots);
			return shard_fail(err, errsize, line, why);
		}
		if (id_set_seen(&set, ids, n, s, (size_t)(e - s)))
			continue;
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 64;
			ids = xrealloc(ids, cap * sizeof *ids);
		}
		ids[n++] = xstrndup(s, (size_t)(e - s));
		ids[n] = NULL;
	}
	free(set.slots);
	*out = ids;
	*nout = n;
	return 0;
}

static int
cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The median of the known durations, or 1 ms when none is known. */
static int64_t
shard_median(const struct shard_test *tests, size_t n)
{
	int64_t *known = xcalloc(n > 0 ? n : 1, sizeof *known), median;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (tests[i].duration_us >= 0)
			known[k++] = tests[i].duration_us;
	}
	qsort(known, k, sizeof *known, cmp_int64);
	if (k == 0)
		median = 1000;
	else if (k % 2 == 1)
		median = known[k / 2];
	else
		median = known[k / 2 - 1] + (known[k / 2] - known[k / 2 - 1]) / 2;
	free(known);
	return median;
}

struct shard_order {
	const char *id;
	int64_t expected;
	size_t index;
};

/* Longest first; ties by id, then by place, so the split is stable. */
static int
cmp_order(const void *a, const void *b)
{
	const struct shard_order *x = a, *y = b;
	int c;

	if (x->expected != y->expected)
		return x->expected > y->expected ? -1 : 1;
	if ((c = strcmp(x->id, y->id)) != 0)
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

int
shard_split(const struct shard_test *tests, size_t n, int nshards,
    int *shard, int64_t *totals)
{
	struct shard_order *order;
	int64_t loads[SHARD_MAX_SHARDS] = { 0 }, median;

	if (nshards < 1 || nshards > SHARD_MAX_SHARDS)
		return -1;
	median = shard_median(tests, n);
	order = xcalloc(n > 0 ? n : 1, sizeof *order);
	for (size_t i = 0; i < n; i++) {
		order[i].id = tests[i].id;
		order[i].expected = tests[i].duration_us >= 0 ?
		    tests[i].duration_us : median;
		order[i].index = i;
	}
	qsort(order, n, sizeof *order, cmp_order);
	for (size_t i = 0; i < n; i++) {
		int least = 0;

		for (int s = 1; s < nshards; s++) {
			if (loads[s] < loads[least])
				least = s;
		}
		shard[order[i].index] = least;
		loads[least] += order[i].expected;
	}
	free(order);
	if (totals != NULL)
		memcpy(totals, loads, (size_t)nshards * sizeof *totals);
	return 0;
}

void
shard_id_name(const char *id, char *out, size_t size)
{
	const char *sep = strstr(id, "::");
	size_t n = 0, path;

	if (size == 0)
		return;
	if (sep == NULL) {
		snprintf(out, size, "%s", id);
		return;
	}
	/* The file's path as a module: slashes are dots, no ".py". */
	path = (size_t)(sep - id);
	if (path >= 3 && strncmp(sep - 3, ".py", 3) == 0)
		path -= 3;
	for (size_t i = 0; i < path && n + 1 < size; i++)
		out[n++] = id[i] == '/' ? '.' : id[i];
	for (const char *p = sep; *p != '\0' && n + 1 < size;) {
		if (strncmp(p, "::", 2) == 0) {
			out[n++] = '.';
			p += 2;
		} else
			out[n++] = *p++;
	}
	out[n] = '\0';
}

/* What needs no quotes in a shell word (brackets only match files). */
#define SHARD_WORD_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789_./:=+,@%^-[]"

char *
shard_tests_words(char *const *ids, size_t n, size_t max)
{
	size_t len = 0, k = 0;
	char *s;

	for (size_t i = 0; i < n; i++) {
		size_t idlen = strlen(ids[i]), q = 0;

		if (strspn(ids[i], SHARD_WORD_CHARS) != idlen) {
			for (const char *p = ids[i]; *p != '\0'; p++)
				q += *p == '\'' ? 3 : 0;
			q += 2;
		}
		len += idlen + q + 1;
		if (len > max + 1)
			return NULL;
	}
	s = xmalloc(len + 1);
	for (size_t i = 0; i < n; i++) {
		const char *id = ids[i];
		int bare = strspn(id, SHARD_WORD_CHARS) == strlen(id);

		if (i > 0)
			s[k++] = ' ';
		if (!bare)
			s[k++] = '\'';
		for (; *id != '\0'; id++) {
			/* A quote inside quotes: close, escaped quote, open. */
			if (!bare && *id == '\'') {
				memcpy(s + k, "'\\''", 4);
				k += 4;
			} else
				s[k++] = *id;
		}
		if (!bare)
			s[k++] = '\'';
	}
	s[k] = '\0';
	return s;
}

/* SPDX-License-Identifier: MIT */
/*
 * shard.h - one suite over several runners (issue 18): the test ids a
 * job's `list` command printed, and those ids split into shards of about
 * equal expected time.
 *
 * The list is a command's output, so it is read as untrusted text: one
 * test id per line ("\n" or "\r\n"), each at most SHARD_MAX_ID bytes of
 * UTF-8 without control characters; leading and trailing blanks are
 * dropped; blank lines are skipped; and so are the lines a collector
 * prints around its ids: pytest's summary ("12 tests collected in
 * 0.03s", "no tests ran in 0.01s", "1 error in 0.05s") and its "====="
 * banners.  An id given twice counts once.  At most SHARD_MAX_TESTS ids.
 */
#ifndef SSCI_SHARD_H
#define SSCI_SHARD_H

#include <stddef.h>
#include <stdint.h>

#define SHARD_MAX_ID 1024
#define SHARD_MAX_TESTS 100000
#define SHARD_MAX_SHARDS 64

/* The ids in text, in order: 0 and *ids (n of them), or -1 and err. */
int shard_list_parse(const char *text, size_t len, char ***ids, size_t *n,
    char *err, size_t errsize);

/* A test to place: its id and its expected duration (-1: unknown). */
struct shard_test {
	const char *id;
	int64_t duration_us;
};

/*
 * Split n tests into nshards (1 to SHARD_MAX_SHARDS) by expected time:
 * a test of unknown duration counts the median of the known ones (1 ms
 * when none is known); then, longest first (ties by id), each goes to the
 * shard with the least expected time so far (ties: the lowest index).
 * shard[i] gets test i's shard (0 to nshards - 1) and totals[s] (if not
 * NULL) shard s's expected time.  The same tests always split the same
 * way.  0, or -1 for a bad nshards.
 */
int shard_split(const struct shard_test *tests, size_t n, int nshards,
    int *shard, int64_t *totals);

/*
 * The name a recorded test has (its suite and name joined by a dot) for a
 * listed id in pytest's form, "dir/test_x.py::Class::test_y[1]":
 * "dir.test_x.Class.test_y[1]", as pytest's JUnit report names it.  An
 * id without "::" is its own name.  out gets at most size - 1 bytes.
 */
void shard_id_name(const char *id, char *out, size_t size);

/*
 * ids joined by spaces for $SSCI_TESTS, each in single quotes when it
 * holds a character a shell would act on (brackets, which pytest's
 * parameters use, are left bare); malloc'd, or NULL if longer than max.
 */
char *shard_tests_words(char *const *ids, size_t n, size_t max);

#endif

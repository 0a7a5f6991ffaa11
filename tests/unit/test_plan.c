/* SPDX-License-Identifier: MIT */
/*
 * test_plan.c - .ssci.yml read into a plan: the example of
 * docs/PIPELINES.md, matrices, needs, and every way a file can be wrong,
 * each with the exact line and column its message must point at; and a
 * job's spec as JSON and back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

static const char example[] =
	"jobs:\n"
	"  build:\n"
	"    run: make\n"
	"  unit:\n"
	"    needs: [build]\n"
	"    run: make unit\n"
	"  integration:\n"
	"    needs: [build]\n"
	"    run: tests/run\n"
	"    labels: [linux]                  # only runners that have every "
	"label\n"
	"    matrix:\n"
	"      PY: [\"3.11\", \"3.12\"]           # one job per value\n"
	"    env: {LANG: C.UTF-8}\n"
	"    timeout: 600\n"
	"  lint:\n"
	"    run: make lint\n"
	"    allow_failure: true              # shown, never fails the "
	"pipeline\n";

static void
parse_ok(const char *text, struct plan *p)
{
	char err[512] = "";

	if (plan_parse(text, strlen(text), p, err, sizeof err) != 0)
		fail_msg("refused: %s\n%s", err, text);
}

/*
 * The text is refused with a message that begins with where
 * (".ssci.yml:3:5: ") and holds what; the plan is left empty.
 */
static void
refused_len(const char *text, size_t len, const char *where,
    const char *what)
{
	struct plan p;
	char err[512] = "";

	memset(&p, 0xa5, sizeof p);
	assert_int_equal(plan_parse(text, len, &p, err, sizeof err), -1);
	if (strncmp(err, where, strlen(where)) != 0 ||
	    strstr(err, what) == NULL)
		fail_msg("got \"%s\", want \"%s...%s\" for\n%.300s", err, where,
		    what, text);
	assert_int_equal(p.njobs, 0);
	assert_null(p.jobs);
}

static void
refused(const char *text, const char *where, const char *what)
{
	refused_len(text, strlen(text), where, what);
}

static void
assert_strings(char *const *got, size_t n, const char *const *want,
    size_t nwant)
{
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(got[i], want[i]);
}

#define STRINGS(got, n, ...) do {					\
	static const char *const want_[] = { __VA_ARGS__ };		\
	assert_strings((got), (n), want_, sizeof want_ / sizeof want_[0]); \
} while (0)

static void
assert_needs(const struct plan_job *j, const size_t *want, size_t n)
{
	assert_int_equal(j->nneeds, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(j->needs[i], want[i]);
}

static void
test_example(void **state)
{
	static const size_t on_build[] = { 0 };
	struct plan p;
	const struct plan_job *j;

	(void)state;
	parse_ok(example, &p);
	assert_int_equal(p.njobs, 5);
	assert_string_equal(p.jobs[0].name, "build");
	assert_string_equal(p.jobs[1].name, "unit");
	assert_string_equal(p.jobs[2].name, "integration[PY=3.11]");
	assert_string_equal(p.jobs[3].name, "integration[PY=3.12]");
	assert_string_equal(p.jobs[4].name, "lint");

	j = &p.jobs[0];
	STRINGS(j->spec.run, j->spec.nrun, "make");
	assert_int_equal(j->spec.nenv, 0);
	assert_int_equal(j->spec.timeout_s, 0);
	assert_int_equal(j->nlabels, 0);
	assert_int_equal(j->nneeds, 0);
	assert_int_equal(j->allow_failure, 0);

	assert_needs(&p.jobs[1], on_build, 1);
	STRINGS(p.jobs[1].spec.run, p.jobs[1].spec.nrun, "make unit");

	for (size_t i = 2; i < 4; i++) {
		j = &p.jobs[i];
		assert_needs(j, on_build, 1);
		STRINGS(j->spec.run, j->spec.nrun, "tests/run");
		STRINGS(j->labels, j->nlabels, "linux");
		assert_int_equal(j->spec.timeout_s, 600);
		assert_int_equal(j->allow_failure, 0);
	}
	STRINGS(p.jobs[2].spec.env, p.jobs[2].spec.nenv, "PY=3.11",
	    "LANG=C.UTF-8");
	STRINGS(p.jobs[3].spec.env, p.jobs[3].spec.nenv, "PY=3.12",
	    "LANG=C.UTF-8");

	j = &p.jobs[4];
	assert_int_equal(j->allow_failure, 1);
	assert_int_equal(j->nneeds, 0);
	STRINGS(j->spec.run, j->spec.nrun, "make lint");
	plan_release(&p);
	assert_int_equal(p.njobs, 0);
	assert_null(p.jobs);
}

/* Two keys: every combination, the first key varying slowest. */
static void
test_matrix_two_keys(void **state)
{
	static const size_t on_all[] = { 0, 1, 2, 3 };
	static const char text[] =
	    "jobs:\n"
	    "  test:\n"
	    "    run: [./configure, make check]\n"
	    "    matrix:\n"
	    "      CC: [gcc, clang]\n"
	    "      OPT: [\"-O0\", \"-O2\"]\n"
	    "    env:\n"
	    "      OPT: ignored\n"
	    "      MAKEFLAGS: -j4\n"
	    "  report:\n"
	    "    needs: test\n"
	    "    run: make report\n";
	struct plan p;

	(void)state;
	parse_ok(text, &p);
	assert_int_equal(p.njobs, 5);
	assert_string_equal(p.jobs[0].name, "test[CC=gcc,OPT=-O0]");
	assert_string_equal(p.jobs[1].name, "test[CC=gcc,OPT=-O2]");
	assert_string_equal(p.jobs[2].name, "test[CC=clang,OPT=-O0]");
	assert_string_equal(p.jobs[3].name, "test[CC=clang,OPT=-O2]");
	STRINGS(p.jobs[0].spec.env, p.jobs[0].spec.nenv, "CC=gcc", "OPT=-O0",
	    "MAKEFLAGS=-j4");
	STRINGS(p.jobs[3].spec.env, p.jobs[3].spec.nenv, "CC=clang",
	    "OPT=-O2", "MAKEFLAGS=-j4");
	for (size_t i = 0; i < 4; i++) {
		STRINGS(p.jobs[i].spec.run, p.jobs[i].spec.nrun,
		    "./configure", "make check");
		assert_int_equal(p.jobs[i].nneeds, 0);
	}
	/* Needing a matrix's name is needing every job it made. */
	assert_string_equal(p.jobs[4].name, "report");
	assert_needs(&p.jobs[4], on_all, 4);
	plan_release(&p);
}

/* Needs in any order, named twice, on later jobs and on matrices. */
static void
test_needs(void **state)
{
	static const size_t first[] = { 3, 1, 2 };
	static const size_t last[] = { 1, 2 };
	static const char text[] =
	    "jobs:\n"
	    "  a:\n"
	    "    needs: [d, m, d]\n"
	    "    run: a\n"
	    "  m:\n"
	    "    matrix: {V: [x, y]}\n"
	    "    run: m\n"
	    "  d: {run: d}\n"
	    "  e:\n"
	    "    needs: [m]\n"
	    "    needs_not: 1\n"
	    "    run: e\n";
	struct plan p;

	(void)state;
	refused(text, ".ssci.yml:11:5: ", "unknown key 'needs_not' in job 'e' "
	    "(known: run, needs, labels, matrix, env, timeout, "
	    "allow_failure, retry, reports, shards, max_shards, list, artifacts, cache, secrets)");
	parse_ok("jobs:\n"
	    "  a:\n"
	    "    needs: [d, m, d]\n"
	    "    run: a\n"
	    "  m:\n"
	    "    matrix: {V: [x, y]}\n"
	    "    run: m\n"
	    "  d: {run: d}\n"
	    "  e:\n"
	    "    needs: [m]\n"
	    "    run: e\n", &p);
	assert_int_equal(p.njobs, 5);
	assert_string_equal(p.jobs[1].name, "m[V=x]");
	assert_string_equal(p.jobs[3].name, "d");
	assert_needs(&p.jobs[0], first, 3);
	assert_needs(&p.jobs[4], last, 2);
	plan_release(&p);
}

/* Runs as lists and block texts, labels as one word, values as text. */
static void
test_values(void **state)
{
	static const char text[] =
	    "# a comment\n"
	    "jobs:\n"
	    "  a.b_c-1:\n"
	    "    run:\n"
	    "      - make\n"
	    "      - |\n"
	    "        cd sub\n"
	    "        make\n"
	    "      - 'true'\n"
	    "    labels: gpu\n"
	    "    matrix: {PY: [3.10, 3.9, v1:2+3@x/y]}\n"
	    "    env:\n"
	    "      EMPTY:\n"
	    "      NULL_TEXT: null\n"
	    "      QUOTED: \"a\\tb\"\n"
	    "    timeout: 604800\n"
	    "    allow_failure: Off\n"
	    "    retry: 2\n"
	    "    reports: [build/junit-*.xml, out/report.xml]\n";
	struct plan p;
	const struct plan_job *j;

	(void)state;
	parse_ok(text, &p);
	assert_int_equal(p.njobs, 3);
	j = &p.jobs[0];
	/* 3.10 stays 3.10: numbers are not read as numbers. */
	assert_string_equal(j->name, "a.b_c-1[PY=3.10]");
	assert_string_equal(p.jobs[2].name, "a.b_c-1[PY=v1:2+3@x/y]");
	STRINGS(j->spec.run, j->spec.nrun, "make", "cd sub\nmake\n", "true");
	STRINGS(j->labels, j->nlabels, "gpu");
	STRINGS(j->spec.env, j->spec.nenv, "PY=3.10", "EMPTY=",
	    "NULL_TEXT=null", "QUOTED=a\tb");
	assert_int_equal(j->spec.timeout_s, 604800);
	assert_int_equal(j->allow_failure, 0);
	assert_int_equal(j->spec.retry, 2);
	STRINGS(j->spec.reports, j->spec.nreports, "build/junit-*.xml",
	    "out/report.xml");
	plan_release(&p);

	parse_ok("jobs:\n  a: {run: x, reports: one.xml}\n", &p);
	STRINGS(p.jobs[0].spec.reports, p.jobs[0].spec.nreports, "one.xml");
	assert_int_equal(p.jobs[0].spec.retry, 0);
	plan_release(&p);

	for (size_t i = 0; i < 6; i++) {
		static const char *const yes[] = { "true", "True", "yes", "YES",
		    "on", "On" };
		char buf[128];

		snprintf(buf, sizeof buf, "jobs:\n  a: {run: x, "
		    "allow_failure: %s, timeout: 1}\n", yes[i]);
		parse_ok(buf, &p);
		assert_int_equal(p.jobs[0].allow_failure, 1);
		assert_int_equal(p.jobs[0].spec.timeout_s, 1);
		plan_release(&p);
	}
}

static void
test_bad_yaml(void **state)
{
	static const char nul[] = "jobs:\n  a:\n    run: x\0y\n";

	(void)state;
	refused("jobs:\n  build:\n    run: make\n  x: y: z\n",
	    ".ssci.yml:4:7: ", "mapping values are not allowed in this "
	    "context");
	refused("jobs:\n  build:\n   run: make\n  - a\n", ".ssci.yml:4:3: ",
	    "did not find expected key");
	refused("jobs: [a, b\n", ".ssci.yml:2:1: ", "did not find expected ',' "
	    "or ']'");
	refused("jobs:\n  a:\n    run: \"x\xffy\"\n", ".ssci.yml:3:12: ",
	    "invalid leading UTF-8 octet");
	refused("jobs:\n  a:\n    run: \"x\x01y\"\n", ".ssci.yml:3:12: ",
	    "control characters are not allowed");
	refused_len(nul, sizeof nul - 1, ".ssci.yml:3:11: ",
	    "control characters are not allowed");
	refused("jobs:\n  a:\n    run: \"x\\0y\"\n", ".ssci.yml:3:10: ",
	    "a NUL character is not allowed");
	refused("jobs:\n  a:\n    run: [x\n", ".ssci.yml:4:1: ",
	    "did not find expected ',' or ']'");
}

static void
test_bad_top(void **state)
{
	(void)state;
	refused("", ".ssci.yml:1:1: ", "no jobs");
	refused("# only a comment\n\n", ".ssci.yml:1:1: ", "no jobs");
	refused("---\n", ".ssci.yml:2:1: ", "no jobs");
	refused("jobs:\n", ".ssci.yml:1:6: ", "no jobs");
	refused("jobs: {}\n", ".ssci.yml:1:7: ", "no jobs");
	refused("jobs: ~\n", ".ssci.yml:1:7: ", "no jobs");
	refused("name: x\n", ".ssci.yml:1:1: ", "unknown key 'name' "
	    "(known: jobs)");
	refused("jobs:\n  a: {run: x}\nother: 1\n", ".ssci.yml:3:1: ",
	    "unknown key 'other' (known: jobs)");
	refused("jobs:\n  a: {run: x}\njobs:\n  b: {run: y}\n",
	    ".ssci.yml:3:1: ", "duplicate key 'jobs'");
	refused("- jobs\n", ".ssci.yml:1:1: ", "the file must be a mapping "
	    "with the key 'jobs', not a list");
	refused("hello\n", ".ssci.yml:1:1: ", "not 'hello'");
	refused("jobs: [a]\n", ".ssci.yml:1:7: ", "'jobs' must be a mapping "
	    "of job names to jobs, not a list");
	refused("jobs: {a: {run: x}}\n---\njobs: {b: {run: x}}\n",
	    ".ssci.yml:2:1: ", "only one document is allowed");
	refused("? [a]\n: 1\n", ".ssci.yml:1:3: ", "a key must be a text, not "
	    "a list");
}

static void
test_bad_jobs(void **state)
{
	(void)state;
	refused("jobs:\n  build:\n    run: make\n    foo: 1\n",
	    ".ssci.yml:4:5: ", "unknown key 'foo' in job 'build' (known: run, "
	    "needs, labels, matrix, env, timeout, allow_failure, retry, reports, shards, max_shards, list, artifacts, cache, secrets)");
	refused("jobs:\n  a:\n    labels: [linux]\n", ".ssci.yml:2:3: ",
	    "job 'a' has no 'run'");
	refused("jobs:\n  a:\n    run: x\n    retry: 11\n", ".ssci.yml:4:12: ",
	    "retry");
	refused("jobs:\n  a:\n    run: x\n    retry: -1\n", ".ssci.yml:4:12: ",
	    "retry");
	refused("jobs:\n  a:\n    run: x\n    reports: [ok.xml, ../up.xml]\n",
	    ".ssci.yml:4:23: ", "report path '../up.xml' in job 'a' must be "
	    "relative");
	refused("jobs:\n  a:\n    run: x\n    reports: /etc/x.xml\n",
	    ".ssci.yml:4:14: ", "must be relative");
	refused("jobs:\n  a:\n    run: x\n    reports: []\n", ".ssci.yml:4:14: ",
	    "reports");
	refused("jobs:\n  a:\n  b: {run: x}\n", ".ssci.yml:2:5: ",
	    "job 'a' must be a mapping with at least 'run', not nothing");
	refused("jobs:\n  a: make\n", ".ssci.yml:2:6: ",
	    "job 'a' must be a mapping with at least 'run', not 'make'");
	refused("jobs:\n  a:\n    run: x\n  b:\n    run: y\n  a:\n    run: z\n",
	    ".ssci.yml:6:3: ", "job 'a' is defined twice (first on line 2)");
	refused("jobs:\n  a:\n    run: x\n    run: y\n", ".ssci.yml:4:5: ",
	    "duplicate key 'run' in job 'a'");
	refused("jobs:\n  -a: {run: x}\n", ".ssci.yml:2:3: ",
	    "job name '-a' is not 1 to 64");
	refused("jobs:\n  .a: {run: x}\n", ".ssci.yml:2:3: ",
	    "job name '.a' is not");
	refused("jobs:\n  a[1]: {run: x}\n", ".ssci.yml:2:3: ",
	    "job name 'a[1]' is not");
	refused("jobs:\n  \"\": {run: x}\n", ".ssci.yml:2:3: ",
	    "job name '' is not");
	refused("jobs:\n  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaa: {run: x}\n", ".ssci.yml:2:3: ", "is not 1 to 64");
	/* Text from the file is escaped and cut in messages. */
	refused("jobs:\n  \"a\\x01b\\nc\": {run: x}\n", ".ssci.yml:2:3: ",
	    "job name 'a\\x01b\\nc' is not");
	refused("jobs:\n  a:\n    run: x\n    "
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: 1\n",
	    ".ssci.yml:4:5: ", "unknown key 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxx...' in job 'a'");
}

/* Each field given what it does not take. */
static void
test_wrong_types(void **state)
{
	(void)state;
	refused("jobs:\n  a:\n    run: {x: 1}\n", ".ssci.yml:3:10: ",
	    "'run' in job 'a' must be a command or a list of commands, not a "
	    "mapping");
	refused("jobs:\n  a:\n    run:\n", ".ssci.yml:3:9: ",
	    "'run' in job 'a' must be a command or a list of commands, not "
	    "nothing");
	refused("jobs:\n  a:\n    run: ''\n", ".ssci.yml:3:10: ",
	    "'run' in job 'a' is an empty command");
	refused("jobs:\n  a:\n    run: []\n", ".ssci.yml:3:10: ",
	    "'run' in job 'a' is an empty list");
	refused("jobs:\n  a:\n    run: [x, [y]]\n", ".ssci.yml:3:14: ",
	    "'run' in job 'a' must be a list of commands, not a list");
	refused("jobs:\n  a:\n    run: [x, \"\"]\n", ".ssci.yml:3:14: ",
	    "'run' in job 'a' has an empty command");
	refused("jobs:\n  a:\n    run: x\n    needs: {b: 1}\n",
	    ".ssci.yml:4:12: ", "'needs' in job 'a' must be a job's name or a "
	    "list of them, not a mapping");
	refused("jobs:\n  a:\n    run: x\n    needs: [[b]]\n",
	    ".ssci.yml:4:13: ", "'needs' in job 'a' must be a list of job "
	    "names, not a list");
	refused("jobs:\n  a:\n    run: x\n    labels: {a: b}\n",
	    ".ssci.yml:4:13: ", "'labels' in job 'a' must be a list of words, "
	    "not a mapping");
	refused("jobs:\n  a:\n    run: x\n    matrix: [a]\n", ".ssci.yml:4:13: ",
	    "'matrix' in job 'a' must be a mapping of variables to lists of "
	    "values, not a list");
	refused("jobs:\n  a:\n    run: x\n    matrix:\n      A: 1\n",
	    ".ssci.yml:5:10: ", "'A' in 'matrix' of job 'a' must be a list of "
	    "values, not '1'");
	refused("jobs:\n  a:\n    run: x\n    matrix: {A: [{b: 1}]}\n",
	    ".ssci.yml:4:18: ", "'A' in 'matrix' of job 'a' must list values, "
	    "not a mapping");
	refused("jobs:\n  a:\n    run: x\n    env: [A=1]\n", ".ssci.yml:4:10: ",
	    "'env' in job 'a' must be a mapping of variables to values, not a "
	    "list");
	refused("jobs:\n  a:\n    run: x\n    env: {A: [1]}\n",
	    ".ssci.yml:4:14: ", "'A' in 'env' of job 'a' must be a text, not a "
	    "list");
	refused("jobs:\n  a:\n    run: x\n    timeout: ten\n",
	    ".ssci.yml:4:14: ", "'timeout' in job 'a' must be a number of "
	    "seconds from 1 to 604800, not 'ten'");
	refused("jobs:\n  a:\n    run: x\n    timeout: 0\n", ".ssci.yml:4:14: ",
	    "not '0'");
	refused("jobs:\n  a:\n    run: x\n    timeout: 604801\n",
	    ".ssci.yml:4:14: ", "not '604801'");
	refused("jobs:\n  a:\n    run: x\n    timeout: -5\n",
	    ".ssci.yml:4:14: ", "not '-5'");
	refused("jobs:\n  a:\n    run: x\n    timeout: 1.5\n",
	    ".ssci.yml:4:14: ", "not '1.5'");
	refused("jobs:\n  a:\n    run: x\n    allow_failure: maybe\n",
	    ".ssci.yml:4:20: ", "'allow_failure' in job 'a' must be true or "
	    "false, not 'maybe'");
	refused("jobs:\n  a:\n    run: x\n    allow_failure: [true]\n",
	    ".ssci.yml:4:20: ", "not a list");
}

static void
test_bad_needs(void **state)
{
	(void)state;
	refused("jobs:\n  build:\n    run: make\n  unit:\n"
	    "    needs: [build, bild]\n    run: x\n", ".ssci.yml:5:20: ",
	    "job 'unit' needs 'bild', which is not a job");
	refused("jobs:\n  unit:\n    needs: build\n    run: x\n",
	    ".ssci.yml:3:12: ", "job 'unit' needs 'build', which is not a job");
	/* An expanded job's name is not a job's name in the file. */
	refused("jobs:\n  m: {run: x, matrix: {A: [1]}}\n"
	    "  u: {run: x, needs: \"m[A=1]\"}\n", ".ssci.yml:3:22: ",
	    "job 'u' needs 'm[A=1]', which is not a job");
	/* A cycle: at the need that closes it. */
	refused("jobs:\n  a:\n    needs: b\n    run: x\n  b:\n"
	    "    needs: [a]\n    run: x\n", ".ssci.yml:6:13: ",
	    "jobs 'a' -> 'b' -> 'a' form a cycle");
	refused("jobs:\n  a:\n    needs: [a]\n    run: x\n", ".ssci.yml:3:13: ",
	    "jobs 'a' -> 'a' form a cycle");
	refused("jobs:\n  x: {run: x}\n  a: {run: x, needs: [x, b]}\n"
	    "  b: {run: x, needs: [x, c]}\n  c: {run: x, needs: [a]}\n",
	    ".ssci.yml:5:23: ", "jobs 'a' -> 'b' -> 'c' -> 'a' form a cycle");
	/* A matrix needing itself. */
	refused("jobs:\n  m:\n    matrix: {A: [1, 2]}\n    needs: m\n"
	    "    run: x\n", ".ssci.yml:4:12: ", "jobs 'm' -> 'm' form a cycle");
}

static void
test_bad_matrix(void **state)
{
	(void)state;
	refused("jobs:\n  a:\n    run: x\n    matrix: {}\n", ".ssci.yml:4:13: ",
	    "empty matrix in job 'a'");
	refused("jobs:\n  a:\n    run: x\n    matrix:\n      PY: []\n",
	    ".ssci.yml:5:11: ", "empty matrix: 'PY' in job 'a' has no values");
	refused("jobs:\n  a:\n    run: x\n    matrix:\n      1A: [1]\n",
	    ".ssci.yml:5:7: ", "matrix key '1A' in job 'a' is not a variable "
	    "name");
	refused("jobs:\n  a:\n    run: x\n    matrix:\n      A-B: [1]\n",
	    ".ssci.yml:5:7: ", "matrix key 'A-B' in job 'a'");
	refused("jobs:\n  a:\n    run: x\n    matrix:\n      A: [1]\n"
	    "      A: [2]\n", ".ssci.yml:6:7: ",
	    "duplicate key 'A' in 'matrix' of job 'a'");
	refused("jobs:\n  a:\n    run: x\n    matrix:\n      A: [1, 1]\n",
	    ".ssci.yml:5:14: ", "matrix value '1' of 'A' in job 'a' is listed "
	    "twice");
	refused("jobs:\n  a:\n    run: x\n    matrix:\n      A: [\"a b\"]\n",
	    ".ssci.yml:5:11: ", "matrix value 'a b' of 'A' in job 'a' is not "
	    "1 to 64 of");
	refused("jobs:\n  a:\n    run: x\n    matrix:\n      A: [x, ~]\n",
	    ".ssci.yml:5:14: ", "'A' in 'matrix' of job 'a' must list values, "
	    "not nothing");
	refused("jobs:\n  a:\n    run: x\n    matrix: {A: [1], B: [1], C: [1], "
	    "D: [1], E: [1], F: [1], G: [1], H: [1], I: [1]}\n",
	    ".ssci.yml:4:13: ", "'matrix' in job 'a' has more than 8 keys");
}

static void
test_bad_labels_env(void **state)
{
	(void)state;
	refused("jobs:\n  a:\n    run: x\n    labels: [linux, \"has space\"]\n",
	    ".ssci.yml:4:21: ", "label 'has space' in job 'a' is not a word");
	refused("jobs:\n  a:\n    run: x\n    labels: -x\n", ".ssci.yml:4:13: ",
	    "label '-x' in job 'a' is not a word");
	refused("jobs:\n  a:\n    run: x\n    labels: [linux, ~]\n",
	    ".ssci.yml:4:21: ", "'labels' in job 'a' must be a list of words, "
	    "not nothing");
	refused("jobs:\n  a:\n    run: x\n    env:\n      A: 1\n      A: 2\n",
	    ".ssci.yml:6:7: ", "duplicate variable 'A' in 'env' of job 'a'");
	refused("jobs:\n  a:\n    run: x\n    env:\n      A=B: 1\n",
	    ".ssci.yml:5:7: ", "variable 'A=B' in 'env' of job 'a' is not a "
	    "variable name");
}

static void
test_refused_yaml_features(void **state)
{
	(void)state;
	refused("jobs:\n  a: &x\n    run: x\n  b: *x\n", ".ssci.yml:2:6: ",
	    "aliases are not supported");
	refused("jobs:\n  a:\n    run: x\n  b: *x\n", ".ssci.yml:4:6: ",
	    "aliases are not supported");
	refused("jobs:\n  a:\n    run: &r x\n", ".ssci.yml:3:10: ",
	    "aliases are not supported");
	refused("jobs:\n  a:\n    run: !!str x\n", ".ssci.yml:3:10: ",
	    "tags are not supported");
	refused("jobs: !custom\n  a: {run: x}\n", ".ssci.yml:1:7: ",
	    "tags are not supported");
}

/* A string of n copies of s, then tail. */
static char *
repeat(const char *head, const char *s, size_t n, const char *tail)
{
	size_t hl = strlen(head), sl = strlen(s), tl = strlen(tail);
	char *out = malloc(hl + sl * n + tl + 1);

	assert_non_null(out);
	memcpy(out, head, hl);
	for (size_t i = 0; i < n; i++)
		memcpy(out + hl + i * sl, s, sl);
	memcpy(out + hl + n * sl, tail, tl + 1);
	return out;
}

static void
append(char **s, const char *add)
{
	size_t len = *s != NULL ? strlen(*s) : 0;

	*s = realloc(*s, len + strlen(add) + 1);
	assert_non_null(*s);
	strcpy(*s + len, add);
}

static void
test_limits(void **state)
{
	static const char head[] = "jobs: {a: {run: x}}\n";
	char *text, *big, line[64];
	struct plan p;
	char err[512];
	size_t len;

	(void)state;
	/* 64 KiB is allowed, one byte more is not. */
	text = malloc(PLAN_MAX_BYTES + 2);
	assert_non_null(text);
	memset(text, '#', PLAN_MAX_BYTES + 1);
	memcpy(text, head, strlen(head));
	text[PLAN_MAX_BYTES - 1] = '\n';
	assert_int_equal(plan_parse(text, PLAN_MAX_BYTES, &p, err, sizeof err),
	    0);
	plan_release(&p);
	refused_len(text, PLAN_MAX_BYTES + 1, "", "");
	assert_int_equal(plan_parse(text, PLAN_MAX_BYTES + 1, &p, err,
	    sizeof err), -1);
	assert_string_equal(err, ".ssci.yml: larger than 65536 bytes");
	free(text);

	/* 17 x 16 = 272 jobs. */
	refused("jobs:\n  a:\n    run: x\n  big:\n    run: y\n    matrix:\n"
	    "      A: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n"
	    "      B: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]\n",
	    ".ssci.yml:4:3: ", "more than 256 jobs after matrix expansion");
	/* 255 + a matrix of 2: crossed by the matrix's job. */
	text = NULL;
	append(&text, "jobs:\n");
	for (size_t i = 0; i < 255; i++) {
		snprintf(line, sizeof line, "  j%zu: {run: x}\n", i);
		append(&text, line);
	}
	len = strlen(text);
	append(&text, "  m: {run: x, matrix: {A: [1]}}\n");
	parse_ok(text, &p);
	assert_int_equal(p.njobs, 256);
	plan_release(&p);
	text[len] = '\0';
	append(&text, "  m: {run: x, matrix: {A: [1, 2]}}\n");
	refused(text, ".ssci.yml:257:3: ", "more than 256 jobs");
	text[len] = '\0';
	append(&text, "  m: {run: x}\n  n: {run: x}\n");
	refused(text, ".ssci.yml:258:3: ", "more than 256 jobs");
	free(text);

	/* Nesting, and the number of values. */
	text = repeat("", "[", 40, "");
	refused(text, ".ssci.yml:1:33: ", "nested more than 32 deep");
	free(text);
	text = repeat("jobs: {a: {run: x, labels: [", "a,", 10000, "a]}}\n");
	refused(text, ".ssci.yml:1:20011: ", "more than 10000 values in the "
	    "file");
	free(text);
	text = repeat("jobs: {a: {run: x, labels: [", "a,", 32, "a]}}\n");
	refused(text, ".ssci.yml:1:28: ", "'labels' in job 'a' has more than "
	    "32 labels");
	free(text);
	text = repeat("jobs: {a: {run: [", "x,", 64, "x]}}\n");
	refused(text, ".ssci.yml:1:17: ", "'run' in job 'a' has more than 64 "
	    "commands");
	free(text);
	text = repeat("jobs: {a: {run: x, env: {A: ", "x", 4097, "}}}\n");
	refused(text, ".ssci.yml:1:29: ", "'A' in 'env' of job 'a' is longer "
	    "than 4096 bytes");
	free(text);

	/* 256 copies of a big job are refused as a whole. */
	text = NULL;
	append(&text, "jobs:\n  a:\n    matrix: {A: [0");
	for (size_t i = 1; i < 256; i++) {
		snprintf(line, sizeof line, ",%zu", i);
		append(&text, line);
	}
	append(&text, "]}\n    run:\n");
	big = repeat("      - ", "x", 880, "\n");
	for (size_t i = 0; i < 60; i++)
		append(&text, big);
	free(big);
	assert_true(strlen(text) < PLAN_MAX_BYTES);
	refused(text, ".ssci.yml:2:3: ", "the jobs take more than 4 MiB after "
	    "matrix expansion");
	free(text);
}

/* The message fits whatever room it is given. */
static void
test_small_err(void **state)
{
	struct plan p;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof err);
	assert_int_equal(plan_parse("jobs: 1", 7, &p, err, 0), -1);
	assert_int_equal(err[0], 'x');
	assert_int_equal(plan_parse("jobs: 1", 7, &p, err, sizeof err), -1);
	assert_string_equal(err, ".ssci.y");
	assert_int_equal(plan_parse(NULL, 0, &p, err, sizeof err), -1);
	assert_int_equal(plan_parse("x", 1, &p, err, 1), -1);
	assert_string_equal(err, "");
}

static void
test_spec(void **state)
{
	static char *run[] = { "make", "make \"check\"\n\tdone", "ünïcode" };
	static char *env[] = { "PY=3.11", "A=b=c", "E=" };
	static char *reports[] = { "build/junit-[a-z]*.xml" };
	struct plan_spec spec = { .run = run, .nrun = 3, .env = env,
	    .nenv = 3, .timeout_s = 600 }, back;
	char *text, *again;

	(void)state;
	text = plan_spec_encode(&spec);
	assert_string_equal(text, "{\"run\":[\"make\",\"make \\\"check\\\"\\n"
	    "\\tdone\",\"ünïcode\"],\"env\":[\"PY=3.11\",\"A=b=c\",\"E=\"],"
	    "\"timeout\":600}");
	assert_int_equal(plan_spec_decode(text, &back), 0);
	STRINGS(back.run, back.nrun, "make", "make \"check\"\n\tdone",
	    "ünïcode");
	STRINGS(back.env, back.nenv, "PY=3.11", "A=b=c", "E=");
	assert_int_equal(back.timeout_s, 600);
	again = plan_spec_encode(&back);
	assert_string_equal(again, text);
	free(again);
	free(text);
	plan_spec_release(&back);
	assert_null(back.run);

	spec.nenv = 0;
	spec.timeout_s = 0;
	text = plan_spec_encode(&spec);
	assert_null(strstr(text, "timeout"));
	assert_non_null(strstr(text, "\"env\":[]"));
	assert_int_equal(plan_spec_decode(text, &back), 0);
	assert_int_equal(back.nenv, 0);
	assert_int_equal(back.timeout_s, 0);
	plan_spec_release(&back);
	free(text);

	assert_int_equal(plan_spec_decode("{\"run\":[\"x\"]}", &back), 0);
	assert_int_equal(back.nrun, 1);
	assert_int_equal(back.nenv, 0);
	assert_int_equal(back.retry, 0);
	assert_int_equal(back.nreports, 0);
	plan_spec_release(&back);

	/* A job's re-runs and reports, kept when set. */
	spec.retry = 2;
	spec.reports = reports;
	spec.nreports = 1;
	text = plan_spec_encode(&spec);
	assert_non_null(strstr(text, "\"retry\":2"));
	assert_int_equal(plan_spec_decode(text, &back), 0);
	assert_int_equal(back.retry, 2);
	STRINGS(back.reports, back.nreports, "build/junit-[a-z]*.xml");
	plan_spec_release(&back);
	free(text);
	assert_int_equal(plan_spec_decode("{\"run\":[\"x\"],\"retry\":11}",
	    &back), -1);
	assert_int_equal(plan_spec_decode("{\"run\":[\"x\"],"
	    "\"reports\":[\"../x.xml\"]}", &back), -1);
	assert_int_equal(plan_spec_decode("{\"run\":[\"x\"],"
	    "\"reports\":[\"/etc/x.xml\"]}", &back), -1);
}

static void
test_spec_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"null",
		"[]",
		"{}",
		"{\"run\":\"make\"}",
		"{\"run\":[]}",
		"{\"run\":[\"\"]}",
		"{\"run\":[1]}",
		"{\"run\":[\"x\",null]}",
		"{\"run\":[\"x\"],\"env\":\"A=1\"}",
		"{\"run\":[\"x\"],\"env\":[\"A\"]}",
		"{\"run\":[\"x\"],\"env\":[\"=1\"]}",
		"{\"run\":[\"x\"],\"env\":[\"1A=1\"]}",
		"{\"run\":[\"x\"],\"env\":[\"A-B=1\"]}",
		"{\"run\":[\"x\"],\"env\":[\"A=1\",2]}",
		"{\"run\":[\"x\"],\"timeout\":-1}",
		"{\"run\":[\"x\"],\"timeout\":604801}",
		"{\"run\":[\"x\"],\"timeout\":1.5}",
		"{\"run\":[\"x\"],\"timeout\":\"5\"}",
		"{\"run\":[\"x\"],\"other\":1}",
		"{\"run\":[\"x\"],\"run\":[\"y\"]}",
		"{\"run\":[\"x\\u0000y\"]}",
		"{\"run\":[\"x\"]} trailing",
		"{\"run\":[\"x\"]",
	};
	struct plan_spec spec;
	char *many;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&spec, 0xa5, sizeof spec);
		if (plan_spec_decode(bad[i], &spec) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_null(spec.run);
		assert_null(spec.env);
		assert_int_equal(spec.nrun, 0);
		assert_int_equal(spec.nenv, 0);
	}
	assert_int_equal(plan_spec_decode(NULL, &spec), -1);
	many = repeat("{\"run\":[", "\"x\",", 64, "\"x\"]}");
	assert_int_equal(plan_spec_decode(many, &spec), -1);
	free(many);
	many = repeat("{\"run\":[", "\"x\",", 63, "\"x\"]}");
	assert_int_equal(plan_spec_decode(many, &spec), 0);
	assert_int_equal(spec.nrun, 64);
	plan_spec_release(&spec);
	free(many);
}

/* Every job of a parsed plan survives the trip to JSON and back. */
static void
test_spec_round_trip(void **state)
{
	struct plan p;
	struct plan_spec back;
	char *text, *again;

	(void)state;
	parse_ok(example, &p);
	for (size_t i = 0; i < p.njobs; i++) {
		text = plan_spec_encode(&p.jobs[i].spec);
		assert_int_equal(plan_spec_decode(text, &back), 0);
		again = plan_spec_encode(&back);
		assert_string_equal(again, text);
		plan_spec_release(&back);
		free(again);
		free(text);
	}
	text = plan_spec_encode(&p.jobs[2].spec);
	assert_string_equal(text, "{\"run\":[\"tests/run\"],\"env\":"
	    "[\"PY=3.11\",\"LANG=C.UTF-8\"],\"timeout\":600}");
	free(text);
	plan_release(&p);
}

static void
test_labels_join(void **state)
{
	static char *labels[] = { "linux", "gpu", "x86_64" };
	char *s;

	(void)state;
	s = plan_labels_join(labels, 3);
	assert_string_equal(s, "linux gpu x86_64");
	free(s);
	s = plan_labels_join(labels, 1);
	assert_string_equal(s, "linux");
	free(s);
	s = plan_labels_join(NULL, 0);
	assert_string_equal(s, "");
	free(s);
}

/* The plan a runner sends decodes to the same plan. */
static void
test_plan_json_round_trip(void **state)
{
	struct plan p, back;
	char err[512], *text, *again;

	(void)state;
	assert_int_equal(plan_parse(example, strlen(example), &p, err,
	    sizeof err), 0);
	text = plan_encode(&p);
	assert_int_equal(plan_decode(text, strlen(text), &back, err,
	    sizeof err), 0);
	assert_int_equal(back.njobs, 5);
	assert_string_equal(back.jobs[2].name, "integration[PY=3.11]");
	assert_int_equal(back.jobs[2].nneeds, 1);
	assert_int_equal(back.jobs[2].needs[0], 0);
	assert_string_equal(back.jobs[2].labels[0], "linux");
	assert_int_equal(back.jobs[2].spec.timeout_s, 600);
	assert_true(back.jobs[4].allow_failure);
	again = plan_encode(&back);
	assert_string_equal(text, again);
	free(again);
	free(text);
	plan_release(&back);
	plan_release(&p);
}

/* shards, max_shards and list, as written and as a runner sends them. */
static void
test_shards(void **state)
{
	const char *text = "jobs:\n"
	    "  unit:\n    run: pytest $SSCI_TESTS\n"
	    "    list: pytest --collect-only -q\n    shards: auto\n"
	    "  go:\n    run: go test\n    shards: 3\n"
	    "  small:\n    run: t\n    shards: auto\n    max_shards: 2\n";
	struct plan p, back;
	char err[512], *json, *again;
	char *listed[] = { "tests/a.py::t[1]", "b" };

	(void)state;
	parse_ok(text, &p);
	assert_int_equal(p.jobs[0].shards, PLAN_SHARDS_AUTO);
	assert_int_equal(p.jobs[0].max_shards, PLAN_DEFAULT_MAX_SHARDS);
	assert_string_equal(p.jobs[0].list, "pytest --collect-only -q");
	assert_int_equal(p.jobs[1].shards, 3);
	assert_int_equal(p.jobs[1].max_shards, 0);
	assert_null(p.jobs[1].list);
	assert_int_equal(p.jobs[2].max_shards, 2);
	/* What the list printed goes with the plan. */
	p.jobs[0].listed = listed;
	p.jobs[0].nlisted = 2;
	p.jobs[0].has_listed = 1;
	json = plan_encode(&p);
	p.jobs[0].listed = NULL;
	p.jobs[0].nlisted = 0;
	assert_non_null(strstr(json, "\"shards\":\"auto\",\"max_shards\":8,"
	    "\"list\":\"pytest --collect-only -q\",\"listed\":"
	    "[\"tests/a.py::t[1]\",\"b\"]"));
	assert_int_equal(plan_decode(json, strlen(json), &back, err,
	    sizeof err), 0);
	assert_int_equal(back.jobs[0].nlisted, 2);
	assert_true(back.jobs[0].has_listed);
	assert_false(back.jobs[1].has_listed);
	assert_int_equal(back.jobs[1].shards, 3);
	again = plan_encode(&back);
	assert_string_equal(again, json);
	free(again);
	free(json);
	plan_release(&back);
	plan_release(&p);

	refused("jobs:\n  a:\n    run: t\n    shards: 0\n", ".ssci.yml:4:13: ",
	    "'shards' in job 'a' must be a number of shards from 1 to 64, or "
	    "auto, not '0'");
	refused("jobs:\n  a:\n    run: t\n    shards: 65\n", ".ssci.yml:4:13: ",
	    "from 1 to 64");
	refused("jobs:\n  a:\n    run: t\n    shards: 'auto'\n",
	    ".ssci.yml:4:13: ", "not 'auto'");
	refused("jobs:\n  a:\n    run: t\n    shards: [2]\n", ".ssci.yml:4:13: ",
	    "not a list");
	refused("jobs:\n  a:\n    run: t\n    shards: 2\n    max_shards: 4\n",
	    ".ssci.yml:2:3: ", "'max_shards' in job 'a' caps 'shards: auto'");
	refused("jobs:\n  a:\n    run: t\n    shards: auto\n"
	    "    max_shards: x\n", ".ssci.yml:5:17: ", "'max_shards' in job "
	    "'a' must be a number from 1 to 64, not 'x'");
	refused("jobs:\n  a:\n    run: t\n    list: ls\n", ".ssci.yml:4:11: ",
	    "'list' in job 'a' lists tests to split, but the job has no "
	    "'shards'");
	refused("jobs:\n  a:\n    run: t\n    shards: 2\n    list: {}\n",
	    ".ssci.yml:5:11: ", "'list' in job 'a' must be a command, not a "
	    "mapping");
}

/* A shard's ids in its spec: sent to its runner, read back the same. */
static void
test_spec_tests(void **state)
{
	static char *run[] = { "t" };
	static char *tests[] = { "a::b", "c d" };
	struct plan_spec spec = { .run = run, .nrun = 1, .tests = tests,
	    .ntests = 2 };
	struct plan_spec back;
	char *text;

	(void)state;
	text = plan_spec_encode(&spec);
	assert_string_equal(text, "{\"run\":[\"t\"],\"env\":[],\"tests\":"
	    "[\"a::b\",\"c d\"]}");
	assert_int_equal(plan_spec_decode(text, &back), 0);
	assert_int_equal(back.ntests, 2);
	assert_string_equal(back.tests[1], "c d");
	plan_spec_release(&back);
	free(text);
	assert_int_equal(plan_spec_decode("{\"run\":[\"t\"],\"tests\":"
	    "[\"a\\nb\"]}", &back), -1);
	assert_int_equal(plan_spec_decode("{\"run\":[\"t\"],\"tests\":"
	    "[\"\"]}", &back), -1);
	assert_int_equal(plan_spec_decode("{\"run\":[\"t\"],\"tests\":"
	    "\"a\"}", &back), -1);
}

/* A runner's plan is checked whole: each of these is refused. */
/* artifacts, cache and secrets: read, copied into each matrix job, sent. */
static void
test_keep(void **state)
{
	struct plan p, back;
	char err[256], *text;
	const struct plan_keep *k;

	(void)state;
	parse_ok("jobs:\n  build:\n    run: make\n"
	    "    artifacts: {paths: [ssci, 'build/*.a', coverage/], "
	    "expire_in: 30d}\n"
	    "    cache: {paths: [~/.cache/pip, node_modules], "
	    "key: requirements.txt}\n"
	    "    secrets: [PYPI_TOKEN, _K2]\n"
	    "    matrix: {PY: ['3.11', '3.12']}\n"
	    "  other:\n    run: x\n    artifacts: out.bin\n", &p);
	assert_int_equal(p.njobs, 3);
	for (size_t i = 0; i < 2; i++) {
		k = &p.jobs[i].spec.keep;
		STRINGS(k->artifacts, k->nartifacts, "ssci", "build/*.a",
		    "coverage/");
		assert_int_equal(k->expire_s, 30 * 86400);
		STRINGS(k->cache_paths, k->ncache_paths, "~/.cache/pip",
		    "node_modules");
		STRINGS(k->cache_key, k->ncache_key, "requirements.txt");
		STRINGS(k->secrets, k->nsecrets, "PYPI_TOKEN", "_K2");
	}
	k = &p.jobs[2].spec.keep;
	STRINGS(k->artifacts, k->nartifacts, "out.bin");
	assert_int_equal(k->expire_s, 0);
	assert_int_equal(k->ncache_paths + k->nsecrets, 0);

	text = plan_encode(&p);
	assert_int_equal(plan_decode(text, strlen(text), &back, err,
	    sizeof err), 0);
	free(text);
	k = &back.jobs[1].spec.keep;
	STRINGS(k->artifacts, k->nartifacts, "ssci", "build/*.a",
	    "coverage/");
	assert_int_equal(k->expire_s, 30 * 86400);
	STRINGS(k->cache_key, k->ncache_key, "requirements.txt");
	STRINGS(k->secrets, k->nsecrets, "PYPI_TOKEN", "_K2");
	plan_release(&back);

	text = plan_spec_encode(&p.jobs[0].spec);
	assert_non_null(strstr(text, "\"artifacts\":[\"ssci\",\"build/*.a\","
	    "\"coverage/\"],\"expire_in\":2592000,\"cache\":[\"~/.cache/pip\","
	    "\"node_modules\"],\"cache_key\":[\"requirements.txt\"],"
	    "\"secrets\":[\"PYPI_TOKEN\",\"_K2\"]"));
	{
		struct plan_spec spec;

		assert_int_equal(plan_spec_decode(text, &spec), 0);
		STRINGS(spec.keep.cache_paths, spec.keep.ncache_paths,
		    "~/.cache/pip", "node_modules");
		plan_spec_release(&spec);
	}
	free(text);
	plan_release(&p);
}

static void
test_keep_refused(void **state)
{
	struct plan_spec spec;

	(void)state;
	refused("jobs:\n  a:\n    run: x\n    artifacts: ../x\n",
	    ".ssci.yml:4:16: ", "'../x' in 'artifacts' of job 'a' is not a "
	    "path or glob in the tree (no '..', not absolute, no part both "
	    "hidden and a pattern)");
	refused("jobs:\n  a:\n    run: x\n    artifacts: ['.*']\n",
	    ".ssci.yml:4:17: ", "'.*' in 'artifacts' of job 'a' is not a path");
	refused("jobs:\n  a:\n    run: x\n    artifacts: ['a/.[.]/b']\n",
	    ".ssci.yml:4:17: ", "'a/.[.]/b' in 'artifacts' of job 'a'");
	refused("jobs:\n  a:\n    run: x\n    artifacts: [./x]\n",
	    ".ssci.yml:4:17: ", "'./x' in 'artifacts' of job 'a'");
	refused("jobs:\n  a:\n    run: x\n    artifacts: [ok, /etc/passwd]\n",
	    ".ssci.yml:4:21: ", "'/etc/passwd' in 'artifacts' of job 'a'");
	refused("jobs:\n  a:\n    run: x\n    artifacts: [a, a]\n",
	    ".ssci.yml:4:20: ", "'a' is named twice in 'artifacts' of job 'a'");
	refused("jobs:\n  a:\n    run: x\n    artifacts: []\n",
	    ".ssci.yml:4:16: ", "'artifacts' in job 'a' must be a path or glob "
	    "in the tree (no '..', not absolute, no part both hidden and a "
	    "pattern), or a list of them, not a list");
	refused("jobs:\n  a:\n    run: x\n    artifacts: {expire_in: 3d}\n",
	    ".ssci.yml:4:16: ", "'artifacts' of job 'a' has no 'paths'");
	refused("jobs:\n  a:\n    run: x\n    artifacts: {paths: a, "
	    "keep: 3d}\n", ".ssci.yml:4:27: ", "unknown key 'keep' in "
	    "'artifacts' of job 'a' (known: paths, expire_in)");
	refused("jobs:\n  a:\n    run: x\n    artifacts: {paths: a, "
	    "expire_in: 3y}\n", ".ssci.yml:4:38: ", "'expire_in' in job 'a' "
	    "must be a time such as 30d");
	refused("jobs:\n  a:\n    run: x\n    artifacts: {paths: a, "
	    "expire_in: 3651d}\n", ".ssci.yml:4:38: ", "at most 3650d");
	refused("jobs:\n  a:\n    run: x\n    cache: [a]\n",
	    ".ssci.yml:4:12: ", "'cache' in job 'a' must be a mapping with "
	    "'paths' and maybe 'key', not a list");
	refused("jobs:\n  a:\n    run: x\n    cache: {key: a}\n",
	    ".ssci.yml:4:12: ", "'cache' of job 'a' has no 'paths'");
	refused("jobs:\n  a:\n    run: x\n    cache: {paths: 'd/*'}\n",
	    ".ssci.yml:4:20: ", "'d/*' in 'cache' of job 'a' is not a path in "
	    "the tree or under ~/");
	refused("jobs:\n  a:\n    run: x\n    cache: {paths: ~/../x}\n",
	    ".ssci.yml:4:20: ", "'~/../x' in 'cache'");
	refused("jobs:\n  a:\n    run: x\n    cache: {paths: d, key: ~/f}\n",
	    ".ssci.yml:4:28: ", "'~/f' in 'key' of job 'a' is not a file of "
	    "the tree");
	refused("jobs:\n  a:\n    run: x\n    secrets: [A-B]\n",
	    ".ssci.yml:4:15: ", "'A-B' in 'secrets' of job 'a' is not a "
	    "secret's name");
	refused("jobs:\n  a:\n    run: x\n    secrets: {A: 1}\n",
	    ".ssci.yml:4:14: ", "'secrets' in job 'a' must be");

	/* What crossed the wire is checked again. */
	assert_int_equal(plan_spec_decode("{\"run\":[\"x\"],\"artifacts\":"
	    "[\"../x\"]}", &spec), -1);
	assert_int_equal(plan_spec_decode("{\"run\":[\"x\"],\"secrets\":"
	    "[\"A B\"]}", &spec), -1);
	assert_int_equal(plan_spec_decode("{\"run\":[\"x\"],\"expire_in\":0}",
	    &spec), -1);
	assert_int_equal(plan_spec_decode("{\"run\":[\"x\"],\"cache_key\":"
	    "[\"f\"]}", &spec), -1);
	assert_int_equal(plan_spec_decode("{\"run\":[\"x\"],\"cache\":"
	    "[\"~/c\"],\"cache_key\":[\"f\"]}", &spec), 0);
	plan_spec_release(&spec);
}

static void
test_plan_json_refused(void **state)
{
#define JOB(extra) "{\"name\":\"a\",\"run\":[\"x\"],\"env\":[]," \
	"\"timeout\":0,\"labels\":[],\"needs\":[],\"allow_failure\":false" \
	extra "}"
	static const char *const bad[] = {
		"", "[]", "{\"jobs\":[]}", "{\"jobs\":{}}",
		"{\"jobs\":[" JOB("") "],\"more\":1}",
		"{\"jobs\":[" JOB(",\"other\":1") "]}",
		"{\"jobs\":[{\"name\":\"a\",\"run\":[\"x\"]}]}",
		"{\"jobs\":[" JOB("") "," JOB("") "]}",
		"{\"jobs\":[{\"name\":\"a\",\"run\":[],\"env\":[],"
		    "\"timeout\":0,\"labels\":[],\"needs\":[],"
		    "\"allow_failure\":false}]}",
		"{\"jobs\":[{\"name\":\"a\",\"run\":[\"x\"],\"env\":[\"1=2\"],"
		    "\"timeout\":0,\"labels\":[],\"needs\":[],"
		    "\"allow_failure\":false}]}",
		"{\"jobs\":[{\"name\":\"a\",\"run\":[\"x\"],\"env\":[],"
		    "\"timeout\":0,\"labels\":[\"no way\"],\"needs\":[],"
		    "\"allow_failure\":false}]}",
		"{\"jobs\":[{\"name\":\"a\",\"run\":[\"x\"],\"env\":[],"
		    "\"timeout\":-1,\"labels\":[],\"needs\":[],"
		    "\"allow_failure\":false}]}",
		"{\"jobs\":[{\"name\":\"a\",\"run\":[\"x\"],\"env\":[],"
		    "\"timeout\":0,\"labels\":[],\"needs\":[0],"
		    "\"allow_failure\":false}]}",
		"{\"jobs\":[{\"name\":\"a\",\"run\":[\"x\"],\"env\":[],"
		    "\"timeout\":0,\"labels\":[],\"needs\":[1],"
		    "\"allow_failure\":false}]}",
		"{\"jobs\":[{\"name\":\"a\",\"run\":[\"x\"],\"env\":[],"
		    "\"timeout\":0,\"labels\":[],\"needs\":[1],"
		    "\"allow_failure\":false},{\"name\":\"b\",\"run\":[\"x\"],"
		    "\"env\":[],\"timeout\":0,\"labels\":[],\"needs\":[0],"
		    "\"allow_failure\":false}]}",
		"{\"jobs\":[{\"name\":\"\\u0001\",\"run\":[\"x\"],"
		    "\"env\":[],\"timeout\":0,\"labels\":[],\"needs\":[],"
		    "\"allow_failure\":false}]}",
		/* Sharding: counts in range, keys only together. */
		"{\"jobs\":[" JOB(",\"shards\":0") "]}",
		"{\"jobs\":[" JOB(",\"shards\":65") "]}",
		"{\"jobs\":[" JOB(",\"shards\":\"all\"") "]}",
		"{\"jobs\":[" JOB(",\"shards\":\"auto\"") "]}",
		"{\"jobs\":[" JOB(",\"shards\":2,\"max_shards\":2") "]}",
		"{\"jobs\":[" JOB(",\"listed\":[]") "]}",
		"{\"jobs\":[" JOB(",\"shards\":2,\"list\":\"\"") "]}",
		"{\"jobs\":[" JOB(",\"shards\":2,\"listed\":[\"a\\u0007\"]")
		    "]}",
		"{\"jobs\":[" JOB(",\"shards\":2,\"listed\":[1]") "]}",
	};
	struct plan p;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (plan_decode(bad[i], strlen(bad[i]), &p, err,
		    sizeof err) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(p.njobs, 0);
		assert_null(p.jobs);
		assert_non_null(strstr(err, "plan: "));
	}
	assert_int_equal(plan_decode("{\"jobs\":[" JOB("") "]}",
	    strlen("{\"jobs\":[" JOB("") "]}"), &p, err, sizeof err), 0);
	plan_release(&p);
#undef JOB
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_matrix_two_keys),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_bad_yaml),
		cmocka_unit_test(test_bad_top),
		cmocka_unit_test(test_bad_jobs),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_bad_needs),
		cmocka_unit_test(test_bad_matrix),
		cmocka_unit_test(test_bad_labels_env),
		cmocka_unit_test(test_refused_yaml_features),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_small_err),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_spec_bad),
		cmocka_unit_test(test_spec_round_trip),
		cmocka_unit_test(test_labels_join),
		cmocka_unit_test(test_plan_json_round_trip),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_spec_tests),
		cmocka_unit_test(test_plan_json_refused),
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_keep_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_report.c - the per-test readers: JUnit XML as pytest, ctest,
 * Surefire and go-junit-report write it (tests/unit/data/junit), and TAP
 * and unittest's verbose lines in a job's output (tests/unit/data/lines),
 * each fed whole, a byte at a time and in small pieces; then hostile
 * reports (entities, DOCTYPEs, malformed XML, deep nesting, too many
 * tests, huge texts) refused with a message, in bounded memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>
/* Under valgrind the huge report is smaller: it runs 50 times slower. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "report.h"
#include "util.h"

/* A record as given, copied. */
struct rec {
	char *name;
	char *suite;
	char *file;
	enum test_status status;
	int64_t duration_us;
	char *message;
};

struct got {
	struct rec *v;
	size_t n;
	size_t cap;
	size_t calls;
	size_t stop_at;		/* return -1 at this call; 0: never */
	int keep;		/* copy the records */
};

/* What a record should be. */
struct want {
	const char *name;
	const char *suite;
	const char *file;
	enum test_status status;
	int64_t duration_us;
	const char *message;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Every string of every record is bounded UTF-8, whatever the input. */
static void
check_string(const char *s, size_t max)
{
	if (s == NULL)
		return;
	assert_true(strlen(s) <= max);
	assert_true(utf8_valid(s, strlen(s)));
}

static int
collect(const struct test_record *r, void *arg)
{
	struct got *g = arg;
	struct rec *c;

	assert_non_null(r->name);
	check_string(r->name, TESTREC_MAX_NAME);
	check_string(r->suite, TESTREC_MAX_NAME);
	check_string(r->file, TESTREC_MAX_NAME);
	check_string(r->message, TESTREC_MAX_MESSAGE);
	assert_non_null(testrec_status_name(r->status));
	assert_true(r->duration_us >= -1);
	g->calls++;
	if (g->keep) {
		if (g->n == g->cap) {
			g->cap = g->cap == 0 ? 16 : g->cap * 2;
			g->v = xrealloc(g->v, g->cap * sizeof *g->v);
		}
		c = &g->v[g->n++];
		c->name = xstrdup(r->name);
		c->suite = dup_or_null(r->suite);
		c->file = dup_or_null(r->file);
		c->status = r->status;
		c->duration_us = r->duration_us;
		c->message = dup_or_null(r->message);
	}
	return g->stop_at != 0 && g->calls == g->stop_at ? -1 : 0;
}

static void
got_init(struct got *g)
{
	memset(g, 0, sizeof *g);
	g->keep = 1;
}

static void
got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].name);
		free(g->v[i].suite);
		free(g->v[i].file);
		free(g->v[i].message);
	}
	free(g->v);
	memset(g, 0, sizeof *g);
}

static void
assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

static void
expect(const struct got *g, const struct want *w, size_t n)
{
	assert_int_equal(g->n, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(g->v[i].name, w[i].name);
		assert_str_or_null(g->v[i].suite, w[i].suite);
		assert_str_or_null(g->v[i].file, w[i].file);
		assert_int_equal(g->v[i].status, w[i].status);
		assert_int_equal(g->v[i].duration_us, w[i].duration_us);
		assert_str_or_null(g->v[i].message, w[i].message);
	}
}

/* Feed data in pieces of step bytes; the finish's result. */
static int
junit_run(const char *data, size_t len, size_t step, struct got *g,
    char *err, size_t errsize)
{
	struct junit_parser *p = junit_new("report.xml", collect, g);
	int fed = 0, rc;

	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;

		if (junit_feed(p, data + off, n) == -1) {
			fed = -1;
			break;
		}
	}
	rc = junit_finish(p, err, errsize);
	/* A feed that stopped means a finish that says why. */
	if (fed == -1)
		assert_int_equal(rc, -1);
	junit_free(p);
	return rc;
}

static int
lines_run(const char *data, size_t len, size_t step, struct got *g,
    char *err, size_t errsize)
{
	struct report_lines *p = report_lines_new(collect, g);
	int fed = 0, rc;

	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;

		if (report_lines_feed(p, data + off, n) == -1) {
			fed = -1;
			break;
		}
	}
	rc = report_lines_finish(p, err, errsize);
	if (fed == -1)
		assert_int_equal(rc, -1);
	report_lines_free(p);
	return rc;
}

typedef int (*run_fn)(const char *, size_t, size_t, struct got *, char *,
    size_t);

/* Whole, a byte at a time, and in 7- and 4096-byte pieces: the same. */
static void
check_all_ways(run_fn run, const char *data, size_t len, int want_rc,
    const char *want_err, const struct want *w, size_t n)
{
	const size_t steps[] = { len + 1, 1, 7, 4096 };
	char err[512];

	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct got g;

		got_init(&g);
		err[0] = '\0';
		assert_int_equal(run(data, len, steps[i], &g, err, sizeof err),
		    want_rc);
		if (want_err != NULL)
			assert_string_equal(err, want_err);
		expect(&g, w, n);
		got_free(&g);
	}
}

static char *
read_data(const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/tests/unit/data/%s", SSCI_SOURCE_DIR,
	    name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
check_file(run_fn run, const char *name, const struct want *w, size_t n)
{
	size_t len;
	char *data = read_data(name, &len);

	check_all_ways(run, data, len, 0, NULL, w, n);
	free(data);
}

#define NWANT(w) (sizeof (w) / sizeof (w)[0])

/* ---- JUnit: the real formats ---- */

static void
test_junit_pytest(void **state)
{
	static const struct want w[] = {
		{ "test_add", "tests.test_calc", "tests/test_calc.py",
		    TEST_PASSED, 1000, NULL },
		{ "test_divide", "tests.test_calc", "tests/test_calc.py",
		    TEST_FAILED, 2000,
		    "AssertionError: assert 2.0 == 3\n"
		    " +  where 2.0 = divide(4, 2)\n"
		    "def test_divide():\n"
		    ">       assert divide(4, 2) == 3\n"
		    "E       AssertionError: assert 2.0 == 3\n"
		    "E        +  where 2.0 = divide(4, 2)\n"
		    "\n"
		    "tests/test_calc.py:10: AssertionError" },
		{ "test_db", "tests.test_calc", "tests/test_calc.py",
		    TEST_ERROR, 0,
		    "failed on setup with \"RuntimeError: no database\"\n"
		    "@pytest.fixture\n"
		    "    def db():\n"
		    ">       raise RuntimeError(\"no database\")\n"
		    "E       RuntimeError: no database\n"
		    "\n"
		    "tests/test_calc.py:16: RuntimeError" },
		{ "test_network", "tests.test_calc", "tests/test_calc.py",
		    TEST_SKIPPED, 0,
		    "no network\n/home/ci/work/tests/test_calc.py:21: "
		    "no network" },
		{ "test_xfail", "tests.test_calc", "tests/test_calc.py",
		    TEST_SKIPPED, 1000, "bug #12" },
		{ "test_ascii", "tests.test_strings.TestUpper",
		    "tests/test_strings.py", TEST_PASSED, 1000, NULL },
		{ "test_unicode[\xc3\x9f-SS]", "tests.test_strings.TestUpper",
		    "tests/test_strings.py", TEST_PASSED, 250000, NULL },
	};

	(void)state;
	check_file(junit_run, "junit/pytest.xml", w, NWANT(w));
}

/* ctest: a disabled test has no <skipped>, only its status. */
static void
test_junit_ctest(void **state)
{
	static const struct want w[] = {
		{ "unit_parser", "unit_parser", NULL, TEST_PASSED, 12346,
		    NULL },
		{ "unit_network", "unit_network", NULL, TEST_FAILED, 500000,
		    "Failed" },
		{ "integration_db", "integration_db", NULL, TEST_SKIPPED, 0,
		    "SKIP_REGULAR_EXPRESSION_MATCHED" },
		{ "slow_fuzz", "slow_fuzz", NULL, TEST_SKIPPED, 0, NULL },
	};

	(void)state;
	check_file(junit_run, "junit/ctest.xml", w, NWANT(w));
}

/* Surefire: system-out ignored, a flaky test that passed on rerun passed. */
static void
test_junit_surefire(void **state)
{
	static const struct want w[] = {
		{ "addsItem", "com.example.shop.CartTest", NULL, TEST_PASSED,
		    11000, NULL },
		{ "totalWithDiscount", "com.example.shop.CartTest", NULL,
		    TEST_FAILED, 23000,
		    "expected: <90.0> but was: <100.0>\n"
		    "org.opentest4j.AssertionFailedError: expected: <90.0> "
		    "but was: <100.0>\n"
		    "\tat org.junit.jupiter.api.AssertionFailureBuilder.build("
		    "AssertionFailureBuilder.java:151)\n"
		    "\tat com.example.shop.CartTest.totalWithDiscount("
		    "CartTest.java:31)" },
		{ "removesMissingItem", "com.example.shop.CartTest", NULL,
		    TEST_ERROR, 4000,
		    "Cannot invoke \"com.example.shop.Item.price()\" because "
		    "\"item\" is null\n"
		    "java.lang.NullPointerException: Cannot invoke "
		    "\"com.example.shop.Item.price()\" because \"item\" is "
		    "null\n"
		    "\tat com.example.shop.Cart.remove(Cart.java:44)\n"
		    "\tat com.example.shop.CartTest.removesMissingItem("
		    "CartTest.java:40)" },
		{ "checkoutAbroad", "com.example.shop.CartTest", NULL,
		    TEST_SKIPPED, 0, "currency service not available" },
		{ "legacyFormat", "com.example.shop.CartTest", NULL,
		    TEST_SKIPPED, 0, NULL },
		{ "concurrentAdds", "com.example.shop.CartTest", NULL,
		    TEST_PASSED, 98000, NULL },
	};

	(void)state;
	check_file(junit_run, "junit/surefire.xml", w, NWANT(w));
}

/* go-junit-report: the text is in CDATA, "]" right before its end. */
static void
test_junit_go(void **state)
{
	static const struct want w[] = {
		{ "TestPut", "example.com/kv/store", NULL, TEST_PASSED, 0,
		    NULL },
		{ "TestGet/missing_key", "example.com/kv/store", NULL,
		    TEST_PASSED, 10000, NULL },
		{ "TestCompact", "example.com/kv/store", NULL, TEST_FAILED,
		    400000,
		    "Failed\n"
		    "store_test.go:88: compacted 3 segments, want 2\n"
		    "    store_test.go:89: segment sizes: [4096 4096 12]" },
		{ "TestReplication", "example.com/kv/store", NULL,
		    TEST_SKIPPED, 0,
		    "Skipped\nstore_test.go:120: needs a second node" },
		{ "TestEncode", "example.com/kv/wire", NULL, TEST_PASSED, 1000,
		    NULL },
		{ "TestDecode", "example.com/kv/wire", NULL, TEST_PASSED, 2000,
		    NULL },
	};

	(void)state;
	check_file(junit_run, "junit/go-junit-report.xml", w, NWANT(w));
}

static void
check_junit(const char *xml, int want_rc, const struct want *w, size_t n)
{
	check_all_ways(junit_run, xml, strlen(xml), want_rc, NULL, w, n);
}

/* Suites and files from the enclosing testsuite (jest, vitest). */
static void
test_junit_suite_fallback(void **state)
{
	static const struct want w[] = {
		{ "adds", "cart", "src/cart.test.js", TEST_PASSED, 3000, NULL },
		{ "deep", "inner", "src/cart.test.js", TEST_PASSED, -1, NULL },
		{ "outside", NULL, NULL, TEST_PASSED, -1, NULL },
	};

	(void)state;
	check_junit("<testsuites name=\"jest tests\">"
	    "<testsuite name=\"cart\" file=\"src/cart.test.js\">"
	    "<testcase name=\"adds\" time=\"0.003\"/>"
	    "<testsuite name=\"inner\">"
	    "<testcase name=\"deep\" classname=\"\" time=\"soon\"/>"
	    "</testsuite></testsuite>"
	    "<testcase name=\"outside\"/></testsuites>", 0, w, NWANT(w));
}

/* Which child decides, and what the message is made of. */
static void
test_junit_outcomes(void **state)
{
	static const struct want w[] = {
		{ "a", NULL, NULL, TEST_FAILED, -1, "f" },
		{ "b", NULL, NULL, TEST_ERROR, -1, "e\ntrace" },
		{ "c", NULL, NULL, TEST_FAILED, -1, "boom" },
		{ "d", NULL, NULL, TEST_FAILED, -1, "only text" },
		{ "e", NULL, NULL, TEST_FAILED, -1, "a < b && cA" },
		{ "f", NULL, NULL, TEST_SKIPPED, -1, NULL },
		{ "g", NULL, NULL, TEST_FAILED, -1, "x" },
		{ "", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "outer", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "h", NULL, NULL, TEST_FAILED, -1, NULL },
	};

	(void)state;
	check_junit("<testsuite>"
	    "<testcase name=\"a\"><skipped/><failure message=\"f\"/>"
	    "<error message=\"e\"/></testcase>"
	    "<testcase name=\"b\"><error message=\"e\">trace</error>"
	    "<failure message=\"f\"/></testcase>"
	    "<testcase name=\"c\"><failure message=\"boom\">boom</failure>"
	    "</testcase>"
	    "<testcase name=\"d\"><failure>  \n  only text \n </failure>"
	    "</testcase>"
	    "<testcase name=\"e\"><failure>a &lt; b &amp;&amp; c&#x41;"
	    "<!-- c --><![CDATA[]]></failure></testcase>"
	    "<testcase name=\"f\" status=\"notrun\"/>"
	    "<testcase name=\"g\" status=\"disabled\">"
	    "<failure message=\"x\"/></testcase>"
	    "<testcase/>"
	    "<testcase name=\"outer\"><testcase name=\"inner\"/></testcase>"
	    "<testcase name=\"h\"><failure message=\"\"><sub>no</sub>"
	    "</failure></testcase>"
	    "</testsuite>", 0, w, NWANT(w));
}

/* Long names and messages are cut between two characters. */
static void
test_junit_cut(void **state)
{
	const char *euro = "\xe2\x82\xac";
	char *xml = NULL, *name = xcalloc(1, 2000 * 3 + 1);
	char *msg = xcalloc(1, 5000 * 3 + 1);
	struct got g;
	char err[256];

	(void)state;
	for (int i = 0; i < 2000; i++)
		strcat(name, euro);
	for (int i = 0; i < 5000; i++)
		strcat(msg, euro);
	assert_true(xasprintf(&xml, "<testsuite><testcase name=\"%s\" "
	    "classname=\"%s\" file=\"%s\"><failure message=\"%s\"/>"
	    "</testcase></testsuite>", name, name, name, msg) > 0);
	got_init(&g);
	assert_int_equal(junit_run(xml, strlen(xml), 4096, &g, err,
	    sizeof err), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(strlen(g.v[0].name), 1023);
	assert_int_equal(strlen(g.v[0].suite), 1023);
	assert_int_equal(strlen(g.v[0].file), 1023);
	assert_int_equal(strlen(g.v[0].message), 4095);
	assert_memory_equal(g.v[0].message, msg, 4095);
	got_free(&g);
	free(xml);
	free(name);
	free(msg);
}

/* Latin-1 declared is read as such and given as UTF-8. */
static void
test_junit_latin1(void **state)
{
	static const struct want w[] = {
		{ "caf\xc3\xa9", NULL, NULL, TEST_PASSED, -1, NULL },
	};

	(void)state;
	check_junit("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
	    "<testsuite><testcase name=\"caf\xe9\"/></testsuite>", 0, w,
	    NWANT(w));
}

/* ---- JUnit: hostile and malformed reports ---- */

/* The whole report refused, err as given (or only its start). */
static void
check_refused(const char *xml, const char *err_start, size_t nrecords)
{
	const size_t steps[] = { strlen(xml) + 1, 1, 5 };
	char err[512];

	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct got g;

		got_init(&g);
		err[0] = '\0';
		assert_int_equal(junit_run(xml, strlen(xml), steps[i], &g, err,
		    sizeof err), -1);
		if (strncmp(err, err_start, strlen(err_start)) != 0)
			fail_msg("\"%s\" does not start \"%s\"", err,
			    err_start);
		for (const char *s = err; *s != '\0'; s++)
			assert_true((unsigned char)*s >= 0x20 && *s != 0x7f);
		assert_int_equal(g.calls, nrecords);
		got_free(&g);
	}
}

static void
test_junit_billion_laughs(void **state)
{
	(void)state;
	check_refused("<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n"
	    "<testsuite><testcase name=\"&lol9;\"><failure>&lol9;</failure>"
	    "</testcase></testsuite>\n",
	    "report.xml:2:16: a DOCTYPE is not allowed", 0);
}

/* No entity is ever declared, so none is ever fetched. */
static void
test_junit_external_entities(void **state)
{
	(void)state;
	check_refused("<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE testsuite [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
	    "<testsuite><testcase name=\"&xxe;\"/></testsuite>",
	    "report.xml:2:21: a DOCTYPE is not allowed", 0);
	check_refused("<!DOCTYPE t [<!ENTITY % p SYSTEM "
	    "\"http://127.0.0.1:1/x.dtd\"> %p;]><testsuite/>",
	    "report.xml:1:13: a DOCTYPE is not allowed", 0);
	check_refused("<!DOCTYPE testsuite SYSTEM \"junit.dtd\"><testsuite/>",
	    "report.xml:1:39: a DOCTYPE is not allowed", 0);
	/* Without a DOCTYPE an entity is only undefined. */
	check_refused("<testsuite><testcase name=\"&xxe;\"/></testsuite>",
	    "report.xml:1:12: undefined entity", 0);
}

static void
test_junit_malformed(void **state)
{
	(void)state;
	check_refused("", "report.xml:1:1: no element found", 0);
	check_refused("not xml at all", "report.xml:1:1: syntax error", 0);
	check_refused("<testsuite>", "report.xml:1:12: no element found", 0);
	check_refused("<testsuite><testcase name=\"a\"/>"
	    "<testcase name=\"b\"></testsuite>",
	    "report.xml:1:53: mismatched tag", 1);
	check_refused("<testsuite/><testsuite/>",
	    "report.xml:1:13: junk after document element", 0);
	check_refused("<html><body/></html>",
	    "report.xml:1:1: not a JUnit report: the root element is <html>",
	    0);
	check_refused("<testsuite><testcase name=\"\xff\"/></testsuite>",
	    "report.xml:1:28: not well-formed (invalid token)", 0);
	check_refused("<?xml version=\"1.0\" encoding=\"KOI8-R\"?><testsuite/>",
	    "report.xml:1:31: unknown encoding", 0);
	check_refused("<testsuite><testcase name=\"a\" name=\"b\"/>"
	    "</testsuite>",
	    "report.xml:1:31: duplicate attribute", 0);
	check_refused("<testsuite><failure>&#0;</failure></testsuite>",
	    "report.xml:1:21: reference to invalid character number", 0);
	check_refused("<testsuite><testcase name=\"a\"/>",
	    "report.xml:1:32: no element found", 1);
}

/* A report name with control characters is escaped in messages. */
static void
test_junit_name_escaped(void **state)
{
	struct junit_parser *p;
	struct got g;
	char err[256];

	(void)state;
	got_init(&g);
	p = junit_new("bad\nname.xml", collect, &g);
	assert_int_equal(junit_feed(p, "<a/>", 4), -1);
	assert_int_equal(junit_finish(p, err, sizeof err), -1);
	assert_string_equal(err, "bad\\nname.xml:1:1: not a JUnit report: "
	    "the root element is <a>");
	junit_free(p);
	got_free(&g);
}

/* Depth JUNIT_MAX_DEPTH is read, one more refused. */
static void
test_junit_deep(void **state)
{
	char *xml = xcalloc(JUNIT_MAX_DEPTH + 2, 32);
	static const struct want w[] = {
		{ "deep", "s", NULL, TEST_PASSED, -1, NULL },
	};

	(void)state;
	for (int i = 0; i < JUNIT_MAX_DEPTH - 1; i++)
		strcat(xml, "<testsuite name=\"s\">");
	strcat(xml, "<testcase name=\"deep\"/>");
	for (int i = 0; i < JUNIT_MAX_DEPTH - 1; i++)
		strcat(xml, "</testsuite>");
	check_junit(xml, 0, w, NWANT(w));

	xml[0] = '\0';
	for (int i = 0; i < JUNIT_MAX_DEPTH; i++)
		strcat(xml, "<testsuite>");
	strcat(xml, "<testcase name=\"deeper\"/>");
	check_refused(xml, "report.xml:1:705: elements nested more than 64 "
	    "deep", 0);
	free(xml);
}

/* Feed n copies of s, a batch at a time. */
static void
feed_repeated(struct junit_parser *p, const char *s, size_t n)
{
	size_t len = strlen(s), per = 65536 / len;
	char *batch = xmalloc(per * len);

	for (size_t i = 0; i < per; i++)
		memcpy(batch + i * len, s, len);
	while (n > 0) {
		size_t k = n < per ? n : per;

		if (junit_feed(p, batch, k * len) == -1)
			break;
		n -= k;
	}
	free(batch);
}

/* The 100,001st test stops reading; the first 100,000 are given. */
static void
test_junit_too_many(void **state)
{
	struct junit_parser *p;
	struct got g;
	char err[256];

	(void)state;
	got_init(&g);
	g.keep = 0;
	p = junit_new("report.xml", collect, &g);
	assert_int_equal(junit_feed(p, "<testsuite>", 11), 0);
	feed_repeated(p, "<testcase name=\"t\" time=\"0.001\"/>",
	    TESTREC_MAX_TESTS + 1);
	assert_int_equal(junit_feed(p, "</testsuite>", 12), -1);
	assert_int_equal(junit_finish(p, err, sizeof err), -1);
	assert_string_equal(err,
	    "report.xml:1:3300045: more than 100000 tests");
	assert_int_equal(g.calls, TESTREC_MAX_TESTS);
	junit_free(p);
}

/* The reader's callback can stop it. */
static void
test_junit_callback_stops(void **state)
{
	struct got g;
	char err[256];
	const char *xml = "<testsuite><testcase name=\"a\"/>"
	    "<testcase name=\"b\"/><testcase name=\"c\"/></testsuite>";

	(void)state;
	got_init(&g);
	g.stop_at = 2;
	assert_int_equal(junit_run(xml, strlen(xml), 1, &g, err, sizeof err),
	    -1);
	assert_string_equal(err, "report.xml:1:52: reading stopped after 2 "
	    "tests");
	assert_int_equal(g.calls, 2);
	got_free(&g);
}

static long
max_rss_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/*
 * 200 MB of one failure's text (8 under valgrind), fed in 64 KiB chunks
 * as a runner would read a file: one record, its message cut at 4096
 * bytes between two characters, and neither expat nor the process
 * growing with the text.
 */
static void
test_junit_huge_message(void **state)
{
	const size_t chunk = 64 * 1024;
	const size_t total = (RUNNING_ON_VALGRIND ? 8 : 200) * 1024 * 1024;
	char *text = xmalloc(chunk + 7);
	struct junit_parser *p;
	struct got g;
	char err[256];
	long rss = max_rss_kib();

	(void)state;
	/* "a", "é", "€", "\n": 7 bytes, so chunks cut characters. */
	for (size_t i = 0; i < chunk + 7; i++)
		text[i] = "a\xc3\xa9\xe2\x82\xac\n"[i % 7];
	got_init(&g);
	p = junit_new("report.xml", collect, &g);
	assert_int_equal(junit_feed(p, "<testsuite><testcase name=\"big\">"
	    "<failure message=\"m\">", 53), 0);
	/* Each chunk goes on where the one before left off. */
	for (size_t off = 0; off < total; off += chunk)
		assert_int_equal(junit_feed(p, text + off % 7, chunk), 0);
	/* The last character whole. */
	assert_int_equal(junit_feed(p, text + total % 7, (7 - total % 7) % 7),
	    0);
	assert_int_equal(junit_feed(p, "</failure></testcase></testsuite>",
	    33), 0);
	assert_int_equal(junit_finish(p, err, sizeof err), 0);
	assert_true(junit_peak_memory(p) < 1024 * 1024);
	junit_free(p);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].status, TEST_FAILED);
	assert_true(strlen(g.v[0].message) <= TESTREC_MAX_MESSAGE);
	assert_true(strlen(g.v[0].message) >= TESTREC_MAX_MESSAGE - 3);
	assert_memory_equal(g.v[0].message, "m\na\xc3\xa9\xe2\x82\xac\na", 10);
	/* Buffering the text whole would have taken 200 MB. */
	assert_true(max_rss_kib() - rss < 64 * 1024);
	got_free(&g);
	free(text);
}

/* A comment or attribute expat would hold whole is refused early. */
static void
test_junit_huge_token(void **state)
{
	size_t big = 2 * 1024 * 1024;
	char *fill = xmalloc(big);
	struct junit_parser *p;
	struct got g;
	char err[256];

	(void)state;
	memset(fill, 'x', big);
	got_init(&g);
	p = junit_new("report.xml", collect, &g);
	assert_int_equal(junit_feed(p, "<testsuite><!--", 15), 0);
	assert_int_equal(junit_feed(p, fill, big), -1);
	assert_int_equal(junit_finish(p, err, sizeof err), -1);
	assert_non_null(strstr(err, ": a tag, comment or declaration of more "
	    "than 1048576 bytes"));
	assert_true(junit_peak_memory(p) < 4 * 1024 * 1024);
	junit_free(p);

	p = junit_new("report.xml", collect, &g);
	assert_int_equal(junit_feed(p, "<testsuite><testcase name=\"a\">"
	    "<failure message=\"", 48), 0);
	assert_int_equal(junit_feed(p, fill, big), -1);
	assert_int_equal(junit_finish(p, err, sizeof err), -1);
	assert_non_null(strstr(err, ": a tag, comment or declaration of more "
	    "than 1048576 bytes"));
	junit_free(p);
	assert_int_equal(g.calls, 0);
	got_free(&g);
	free(fill);
}

/*
 * Tags under the bound each, but open together, would have expat hold
 * them all: its allocator's budget stops it.
 */
static void
test_junit_memory_budget(void **state)
{
	size_t namelen = 900 * 1024;
	char *tag = xmalloc(namelen + 2);
	struct junit_parser *p;
	struct got g;
	char err[256];
	int i, rc = 0;

	(void)state;
	tag[0] = '<';
	memset(tag + 1, 'a', namelen);
	tag[namelen + 1] = '>';
	got_init(&g);
	p = junit_new("report.xml", collect, &g);
	assert_int_equal(junit_feed(p, "<testsuite>", 11), 0);
	for (i = 0; i < 40 && rc == 0; i++)
		rc = junit_feed(p, tag, namelen + 2);
	assert_int_equal(rc, -1);
	assert_true(i < 40);
	assert_int_equal(junit_finish(p, err, sizeof err), -1);
	assert_non_null(strstr(err, ": reading it takes more than 16 MiB"));
	assert_true(junit_peak_memory(p) <= JUNIT_MAX_MEMORY);
	junit_free(p);
	got_free(&g);
	free(tag);
}

/* ---- the shared parts ---- */

static void
test_durations(void **state)
{
	static const struct {
		const char *s;
		int unit;
		int64_t us;
	} cases[] = {
		{ "0.25", 6, 250000 },
		{ "1", 6, 1000000 },
		{ " 0.5\n", 6, 500000 },
		{ "0.0000005", 6, 1 },
		{ "0.0000004", 6, 0 },
		{ "2.5e-05", 6, 25 },
		{ "1E2", 6, 100000000 },
		{ ".5", 6, 500000 },
		{ "5.", 6, 5000000 },
		{ "0.612345", 3, 612 },
		{ "1.5", 3, 1500 },
		{ "31536000", 6, 31536000000000 },
		{ "1e-400", 6, 0 },
		{ "000000000000000000000000001", 6, 1000000 },
		{ "", 6, -1 },
		{ "abc", 6, -1 },
		{ "-1", 6, -1 },
		{ "+1", 6, -1 },
		{ "1,234.5", 6, -1 },
		{ "0,5", 6, -1 },
		{ "1e400", 6, -1 },
		{ "1e", 6, -1 },
		{ "1e+", 6, -1 },
		{ "nan", 6, -1 },
		{ "inf", 6, -1 },
		{ "99999999999999999999", 6, -1 },
		{ "1 2", 6, -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t got = testrec_parse_us(cases[i].s, strlen(cases[i].s),
		    cases[i].unit);

		if (got != cases[i].us)
			fail_msg("\"%s\": %lld, not %lld", cases[i].s,
			    (long long)got, (long long)cases[i].us);
	}
}

static void
test_status_names(void **state)
{
	enum test_status st;

	(void)state;
	for (int i = TEST_PASSED; i <= TEST_SKIPPED; i++) {
		assert_int_equal(testrec_status_parse(
		    testrec_status_name((enum test_status)i), &st), 0);
		assert_int_equal(st, i);
	}
	assert_string_equal(testrec_status_name(TEST_ERROR), "error");
	assert_null(testrec_status_name((enum test_status)42));
	assert_int_equal(testrec_status_parse("flaky", &st), -1);
}

/* NUL and bytes that are not UTF-8 become U+FFFD; cuts keep characters. */
static void
test_text(void **state)
{
	char buf[8];
	struct testrec_text t;

	(void)state;
	testrec_text_init(&t, buf, 7);
	testrec_text_add(&t, "a\0\xff", 3);
	assert_int_equal(t.len, 7);
	assert_memory_equal(buf, "a\xef\xbf\xbd\xef\xbf\xbd", 8);
	testrec_text_init(&t, buf, 5);
	testrec_text_add(&t, "ab\xe2\x82\xac", 5);
	assert_string_equal(buf, "ab\xe2\x82\xac");
	testrec_text_init(&t, buf, 4);
	testrec_text_add(&t, "ab\xe2\x82\xac", 5);
	assert_string_equal(buf, "ab");
	assert_true(t.full);
	/* Nothing after a character that did not fit. */
	testrec_text_add(&t, "c", 1);
	assert_string_equal(buf, "ab");
	testrec_text_init(&t, buf, 7);
	testrec_text_add(&t, "x \t\r\n", 5);
	testrec_text_rtrim(&t);
	assert_string_equal(buf, "x");
}

/* ---- the job's output: TAP ---- */

static void
test_tap_perl(void **state)
{
	static const struct want w[] = {
		{ "parses an empty file", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "rejects a bad header", NULL, NULL, TEST_FAILED, -1,
		    "  Failed test 'rejects a bad header'\n"
		    "  at t/parse.t line 14.\n"
		    "         got: '0'\n"
		    "    expected: '1'" },
		{ "reads UTF-8 names \xc3\xbcn\xc3\xaf""c\xc3\xb6""d\xc3\xa9",
		    NULL, NULL, TEST_PASSED, -1, NULL },
		{ "4", NULL, NULL, TEST_SKIPPED, -1, "no network" },
		{ "compacts in place", NULL, NULL, TEST_SKIPPED, -1,
		    "TODO: not written yet" },
		{ "escaped # hash in name", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "rounds durations", NULL, NULL, TEST_FAILED, -1,
		    "message: 'got 1.4, expected 1.5'\n"
		    "severity: fail\n"
		    "data:\n"
		    "  got: 1.4\n"
		    "  expect: 1.5" },
	};

	(void)state;
	check_file(lines_run, "lines/tap.txt", w, NWANT(w));
}

/* node --test: a YAML block under every test, with its duration. */
static void
test_tap_node(void **state)
{
	static const struct want w[] = {
		{ "adds numbers", NULL, NULL, TEST_PASSED, 612, NULL },
		{ "divides by zero", NULL, NULL, TEST_FAILED, 1500,
		    "duration_ms: 1.5\n"
		    "failureType: 'testCodeFailure'\n"
		    "error: 'Expected values to be strictly equal:\\n\\n"
		    "Infinity !== 0\\n'\n"
		    "code: 'ERR_ASSERTION'\n"
		    "stack: |-\n"
		    "  TestContext.<anonymous> "
		    "(file:///home/ci/app/test/math.test.mjs:9:10)" },
	};

	(void)state;
	check_file(lines_run, "lines/node-tap.txt", w, NWANT(w));
}

static void
check_lines(const char *text, int want_rc, const char *want_err,
    const struct want *w, size_t n)
{
	check_all_ways(lines_run, text, strlen(text), want_rc, want_err, w, n);
}

/* The same for text that holds a NUL. */
#define CHECK_LINES_NUL(text, w) \
	check_all_ways(lines_run, text, sizeof text - 1, 0, NULL, w, NWANT(w))

/* Names from numbers, prose that is not TAP, subtests, "#" in names. */
static void
test_tap_shapes(void **state)
{
	static const struct want w[] = {
		{ "1", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "2", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "7", NULL, NULL, TEST_FAILED, -1, NULL },
		{ "issue #12 fixed", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "x", NULL, NULL, TEST_FAILED, -1, NULL },
		{ "y", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "a\xef\xbf\xbd\xef\xbf\xbd" "b", NULL, NULL, TEST_PASSED, -1,
		    NULL },
		{ "c", NULL, NULL, TEST_FAILED, -1, "d" },
	};

	(void)state;
	CHECK_LINES_NUL("ok\nok\nnot ok 7\nokay then\nok, fine\n"
	    "    ok 1 - a subtest\n"
	    "ok 4 - issue #12 fixed\n"
	    "not ok 5 - x # SKIP only on ok\n"
	    "ok 6 y # todo: passed anyway\n"
	    "ok 8 - a\xff\0b\r\n"
	    "not ok 9 - c\r\n# d\r\n", w);
}

static void
test_tap_plans(void **state)
{
	static const struct want two[] = {
		{ "a", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "b", NULL, NULL, TEST_PASSED, -1, NULL },
	};

	(void)state;
	check_lines("1..2\nok 1 - a\nok 2 - b\n", 0, NULL, two, 2);
	check_lines("ok 1 - a\nok 2 - b\n1..2\n", 0, NULL, two, 2);
	/* Two programs, one plan each, first or last. */
	check_lines("1..1\nok 1 - a\n1..1\nok 1 - b\n", 0, NULL, two, 2);
	check_lines("ok 1 - a\n1..1\nok 1 - b\n1..1\n", 0, NULL, two, 2);
	check_lines("1..0 # SKIP no database\n", 0, NULL, NULL, 0);
	check_lines("1..3\nok 1 - a\nok 2 - b\n", -1,
	    "output:3: TAP plan 1..3, but 2 tests ran", two, 2);
	check_lines("ok 1 - a\nok 2 - b\n1..1\n", -1,
	    "output:3: TAP plan 1..1, but 2 tests ran", two, 2);
	check_lines("1..3\nok 1 - a\nBail out! no \x1b[1mdisk\nok 1 - b\n", -1,
	    "output:3: TAP: Bail out! no \\x1b[1mdisk", two, 2);
}

/* A YAML block is kept within the message's bound. */
static void
test_tap_huge_yaml(void **state)
{
	char *text = xmalloc(20 * 10000 + 100), *o = text;
	struct got g;
	char err[256];

	(void)state;
	o += sprintf(o, "not ok 1 - big\n  ---\n");
	for (int i = 0; i < 10000; i++)
		o += sprintf(o, "  line: %d\n", i);
	sprintf(o, "  ...\nok 2 - after\n");
	got_init(&g);
	assert_int_equal(lines_run(text, strlen(text), 4096, &g, err,
	    sizeof err), 0);
	assert_int_equal(g.n, 2);
	/* Cut after a "\n", which the end's trim drops. */
	assert_true(strlen(g.v[0].message) >= TESTREC_MAX_MESSAGE - 1);
	assert_memory_equal(g.v[0].message, "line: 0\nline: 1\n", 16);
	assert_string_equal(g.v[1].name, "after");
	got_free(&g);
	free(text);
}

/* A line past REPORT_LINE_MAX is skipped, not kept. */
static void
test_lines_too_long(void **state)
{
	static const struct want w[] = {
		{ "fine", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "last", NULL, NULL, TEST_PASSED, -1, NULL },
	};
	size_t n = REPORT_LINE_MAX + 10;
	char *text = xmalloc(2 * n + 64);

	(void)state;
	memcpy(text, "ok 1 - ", 7);
	memset(text + 7, 'x', n);
	strcpy(text + 7 + n, "\nok 2 - fine\nok 3 - last");
	check_lines(text, 0, NULL, w, NWANT(w));
	/* And so is a last line without "\n". */
	strcpy(text + 7 + n, "\nok 2 - fine\nok 3 - last\nok 4 - ");
	memset(text + strlen(text), 'y', n);
	text[7 + n + 32 + n] = '\0';
	check_lines(text, 0, NULL, w, NWANT(w));
	free(text);
}

static void
test_lines_too_many(void **state)
{
	struct report_lines *p;
	struct got g;
	char err[256];
	char *batch = xmalloc(5 * 10000);

	(void)state;
	for (int i = 0; i < 10000; i++)
		memcpy(batch + 5 * i, "ok 1\n", 5);
	got_init(&g);
	g.keep = 0;
	p = report_lines_new(collect, &g);
	for (int i = 0; i < 10; i++)
		assert_int_equal(report_lines_feed(p, batch, 5 * 10000), 0);
	assert_int_equal(report_lines_feed(p, "ok\nok\n", 6), -1);
	assert_int_equal(report_lines_feed(p, "ok\n", 3), -1);
	assert_int_equal(report_lines_finish(p, err, sizeof err), -1);
	assert_string_equal(err, "output:100002: more than 100000 tests");
	assert_int_equal(g.calls, TESTREC_MAX_TESTS);
	report_lines_free(p);
	free(batch);
}

static void
test_lines_callback_stops(void **state)
{
	struct got g;
	char err[256];
	const char *text = "ok 1\nok 2\nok 3\n";

	(void)state;
	got_init(&g);
	g.stop_at = 1;
	assert_int_equal(lines_run(text, strlen(text), 1, &g, err, sizeof err),
	    -1);
	assert_string_equal(err, "output:2: reading stopped after 1 tests");
	assert_int_equal(g.calls, 1);
	got_free(&g);
}

/* ---- the job's output: unittest ---- */

/* unittest's rules, 70 characters wide. */
#define DASHES "-----------------------------------"	\
	"-----------------------------------\n"
#define EQUALS "==================================="	\
	"===================================\n"

static void
test_unittest_311(void **state)
{
	static const struct want w[] = {
		{ "test_add", "test_calc.TestCalc", NULL, TEST_PASSED, -1,
		    NULL },
		{ "test_network", "test_calc.TestCalc", NULL, TEST_SKIPPED, -1,
		    "needs network" },
		{ "test_rounding", "test_calc.TestCalc", NULL, TEST_PASSED, -1,
		    NULL },
		{ "test_old_api", "test_calc.TestCalc", NULL, TEST_SKIPPED, -1,
		    "expected failure" },
		{ "test_new_api", "test_calc.TestCalc", NULL, TEST_FAILED, -1,
		    "unexpected success" },
		{ "test_chatty", "test_calc.TestCalc", NULL, TEST_PASSED, -1,
		    NULL },
		{ "test_missing_file", "test_calc.TestCalc", NULL, TEST_ERROR,
		    -1,
		    "Traceback (most recent call last):\n"
		    "  File \"/home/ci/calc/test_calc.py\", line 15, in "
		    "test_missing_file\n"
		    "    open(\"missing.txt\")\n"
		    "FileNotFoundError: [Errno 2] No such file or directory: "
		    "'missing.txt'" },
		{ "test_divide", "test_calc.TestCalc", NULL, TEST_FAILED, -1,
		    "Traceback (most recent call last):\n"
		    "  File \"/home/ci/calc/test_calc.py\", line 9, in "
		    "test_divide\n"
		    "    self.assertEqual(divide(4, 2), 3)\n"
		    "AssertionError: 2.0 != 3" },
		{ "test_parts (n=3)", "test_calc.TestCalc", NULL, TEST_FAILED,
		    -1,
		    "Traceback (most recent call last):\n"
		    "  File \"/home/ci/calc/test_calc.py\", line 30, in "
		    "test_parts\n"
		    "    self.assertTrue(n % 3)\n"
		    "AssertionError: 0 is not true" },
	};

	(void)state;
	check_file(lines_run, "lines/unittest.txt", w, NWANT(w));
}

/* Python 3.10 and before: the id names the class only. */
static void
test_unittest_310(void **state)
{
	static const struct want w[] = {
		{ "test_add", "test_calc.TestCalc", NULL, TEST_PASSED, -1,
		    NULL },
		{ "test_skip", "test_calc.TestCalc", NULL, TEST_SKIPPED, -1,
		    "isn't ready" },
		{ "test_rounding", "test_calc.TestCalc", NULL, TEST_PASSED, -1,
		    NULL },
		{ "test_divide", "test_calc.TestCalc", NULL, TEST_FAILED, -1,
		    "Traceback (most recent call last):\n"
		    "  File \"/home/ci/calc/test_calc.py\", line 9, in "
		    "test_divide\n"
		    "    self.assertEqual(divide(4, 2), 3)\n"
		    "AssertionError: 2.0 != 3" },
	};

	(void)state;
	check_file(lines_run, "lines/unittest-3.10.txt", w, NWANT(w));
}

/* Without -v there are no tests' lines: the list alone gives nothing. */
static void
test_unittest_quiet(void **state)
{
	(void)state;
	check_lines(".F\n"
	    EQUALS
	    "FAIL: test_b (m.T.test_b)\n"
	    DASHES
	    "AssertionError\n"
	    "\n"
	    DASHES
	    "Ran 2 tests in 0.001s\n\nFAILED (failures=1)\n", 0, NULL, NULL, 0);
}

/*
 * A line like a list's header after a rule, but no rule after it: the
 * lines that follow are read as ever.
 */
static void
test_unittest_false_header(void **state)
{
	static const struct want w[] = {
		{ "after", NULL, NULL, TEST_PASSED, -1, NULL },
		{ "test_a", "m.T", NULL, TEST_PASSED, -1, NULL },
	};

	(void)state;
	check_lines(EQUALS
	    "ERROR: setup (deploy.step)\n"
	    "a docstring, perhaps\n"
	    "ok 1 - after\n"
	    "test_a (m.T.test_a) ... ok\n", 0, NULL, w, NWANT(w));
}

/* Failures past REPORT_MAX_HELD are given at once, none is lost. */
static void
test_unittest_many_failures(void **state)
{
	char *text = xmalloc(64 * (REPORT_MAX_HELD + 10)), *o = text;
	struct got g;
	char err[256];

	(void)state;
	for (int i = 0; i < REPORT_MAX_HELD + 10; i++)
		o += sprintf(o, "test_%d (m.T.test_%d) ... FAIL\n", i, i);
	sprintf(o, "Ran %d tests in 0.1s\n", REPORT_MAX_HELD + 10);
	got_init(&g);
	assert_int_equal(lines_run(text, strlen(text), 4096, &g, err,
	    sizeof err), 0);
	assert_int_equal(g.n, REPORT_MAX_HELD + 10);
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(g.v[i].status, TEST_FAILED);
	got_free(&g);
	free(text);
}

/* A job that runs both kinds (two steps) gets both. */
static void
test_lines_mixed(void **state)
{
	static const struct want w[] = {
		{ "test_a", "m.T", NULL, TEST_PASSED, -1, NULL },
		{ "test_b", "m.T", NULL, TEST_FAILED, -1, NULL },
		{ "t1", NULL, NULL, TEST_PASSED, -1, NULL },
	};

	(void)state;
	check_lines("test_a (m.T.test_a) ... ok\n"
	    "test_b (m.T.test_b) ... FAIL\n"
	    "Building (release) done\n"
	    "ok 1 - t1\n", 0, NULL, w, NWANT(w));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_junit_pytest),
		cmocka_unit_test(test_junit_ctest),
		cmocka_unit_test(test_junit_surefire),
		cmocka_unit_test(test_junit_go),
		cmocka_unit_test(test_junit_suite_fallback),
		cmocka_unit_test(test_junit_outcomes),
		cmocka_unit_test(test_junit_cut),
		cmocka_unit_test(test_junit_latin1),
		cmocka_unit_test(test_junit_billion_laughs),
		cmocka_unit_test(test_junit_external_entities),
		cmocka_unit_test(test_junit_malformed),
		cmocka_unit_test(test_junit_name_escaped),
		cmocka_unit_test(test_junit_deep),
		cmocka_unit_test(test_junit_too_many),
		cmocka_unit_test(test_junit_callback_stops),
		cmocka_unit_test(test_junit_huge_message),
		cmocka_unit_test(test_junit_huge_token),
		cmocka_unit_test(test_junit_memory_budget),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_tap_perl),
		cmocka_unit_test(test_tap_node),
		cmocka_unit_test(test_tap_shapes),
		cmocka_unit_test(test_tap_plans),
		cmocka_unit_test(test_tap_huge_yaml),
		cmocka_unit_test(test_lines_too_long),
		cmocka_unit_test(test_lines_too_many),
		cmocka_unit_test(test_lines_callback_stops),
		cmocka_unit_test(test_unittest_311),
		cmocka_unit_test(test_unittest_310),
		cmocka_unit_test(test_unittest_quiet),
		cmocka_unit_test(test_unittest_false_header),
		cmocka_unit_test(test_unittest_many_failures),
		cmocka_unit_test(test_lines_mixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

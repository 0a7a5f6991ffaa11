/* SPDX-License-Identifier: MIT */
/*
 * report_tap.c - TAP's tests read from a job's output, a line at a time
 * (report.h says what each line means).
 *
 * A test's record is held until the line after it, since a YAML block or
 * "#" diagnostics may follow to give its message and duration; the block
 * is kept within the message's bound as it is read.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "report_int.h"
#include "util.h"

enum { TAP_NONE, TAP_DIAG, TAP_YAML };

enum { DIR_NONE, DIR_SKIP, DIR_TODO };

static int
tap_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether s (len bytes) starts with lit; if so, *rest is what follows. */
static int
tap_lit(const char *s, size_t len, const char *lit, const char **rest)
{
	size_t n = strlen(lit);

	if (len < n || memcmp(s, lit, n) != 0)
		return 0;
	*rest = s + n;
	return 1;
}

void
report_tap_init(struct report_tap *t)
{
	memset(t, 0, sizeof *t);
	t->plan = -1;
}

static void
tap_flush(struct report_lines *p)
{
	struct report_tap *t = &p->tap;
	struct test_record rec;

	if (!t->pending)
		return;
	t->pending = 0;
	testrec_text_rtrim(&t->msg);
	rec.name = t->name;
	rec.suite = NULL;
	rec.file = NULL;
	rec.status = t->status;
	rec.duration_us = t->duration_us;
	rec.message = t->msg.len > 0 ? t->msgbuf : NULL;
	report_emit(p, &rec);
}

/*
 * The directive at s, just past a '#': DIR_SKIP or DIR_TODO with *why its
 * reason, or DIR_NONE.  "# skipped: no network" is a skip as well.
 */
static int
tap_directive(const char *s, const char *e, const char **why)
{
	int dir;

	while (s < e && tap_blank(*s))
		s++;
	if (e - s >= 4 && strncasecmp(s, "skip", 4) == 0)
		dir = DIR_SKIP;
	else if (e - s >= 4 && strncasecmp(s, "todo", 4) == 0)
		dir = DIR_TODO;
	else
		return DIR_NONE;
	for (s += 4; s < e && ((*s >= 'a' && *s <= 'z') ||
	    (*s >= 'A' && *s <= 'Z')); s++)
		;
	if (s < e && *s == ':')
		s++;
	while (s < e && tap_blank(*s))
		s++;
	*why = s;
	return dir;
}

/*
 * The description from s to e into the test's name, "\#" and "\\"
 * unescaped, up to the first '#' that starts a directive; returns that
 * directive, its reason in *why.
 */
static int
tap_describe(struct report_tap *t, const char *s, const char *e,
    const char **why)
{
	struct testrec_text name;
	const char *run = s, *end = e;
	int dir = DIR_NONE;

	testrec_text_init(&name, t->name, TESTREC_MAX_NAME);
	for (const char *q = s; q < e; q++) {
		if (*q == '\\' && q + 1 < e && (q[1] == '#' || q[1] == '\\')) {
			testrec_text_add(&name, run, (size_t)(q - run));
			run = ++q;
		} else if (*q == '#' &&
		    (dir = tap_directive(q + 1, e, why)) != DIR_NONE) {
			end = q;
			break;
		}
	}
	testrec_text_add(&name, run, (size_t)(end - run));
	testrec_text_rtrim(&name);
	return dir;
}

/* "ok 1 - name", "not ok 2 # TODO later", "ok 3 # SKIP no network". */
static int
tap_test(struct report_lines *p, const char *s, size_t len)
{
	struct report_tap *t = &p->tap;
	const char *e = s + len, *q, *why = NULL;
	long long num = 0;
	int ok, dir, digits = 0;

	if (tap_lit(s, len, "not ok", &q))
		ok = 0;
	else if (tap_lit(s, len, "ok", &q))
		ok = 1;
	else
		return 0;
	/* "okay" or "ok," is prose, not TAP. */
	if (q < e && !tap_blank(*q))
		return 0;
	while (q < e && tap_blank(*q))
		q++;
	for (; q < e && *q >= '0' && *q <= '9'; q++, digits++)
		if (num < 100000000000000LL)
			num = num * 10 + (*q - '0');
	while (q < e && tap_blank(*q))
		q++;
	if (q < e && *q == '-')
		q++;
	while (q < e && tap_blank(*q))
		q++;

	if (t->closed) {
		t->plan = -1;
		t->count = 0;
		t->closed = 0;
	}
	t->count++;
	dir = tap_describe(t, q, e, &why);
	if (t->name[0] == '\0')
		snprintf(t->name, sizeof t->name, "%lld",
		    digits > 0 ? num : t->count);
	t->pending = 1;
	t->block = TAP_NONE;
	t->duration_us = -1;
	testrec_text_init(&t->msg, t->msgbuf, TESTREC_MAX_MESSAGE);
	if (ok) {
		t->status = dir == DIR_SKIP ? TEST_SKIPPED : TEST_PASSED;
		if (dir == DIR_SKIP)
			testrec_text_add(&t->msg, why, (size_t)(e - why));
	} else if (dir == DIR_TODO) {
		/* An expected failure: neither a pass nor a failure. */
		t->status = TEST_SKIPPED;
		testrec_text_add(&t->msg, "TODO", 4);
		if (why < e) {
			testrec_text_add(&t->msg, ": ", 2);
			testrec_text_add(&t->msg, why, (size_t)(e - why));
		}
	} else
		t->status = TEST_FAILED;
	t->fails = t->status == TEST_FAILED;
	return 1;
}

/* Did the tests since the plan meet it? */
static void
tap_check_plan(struct report_lines *p)
{
	struct report_tap *t = &p->tap;

	if (t->plan >= 0 && t->count != t->plan)
		report_note(p, "TAP plan 1..%lld, but %lld test%s ran",
		    t->plan, t->count, t->count == 1 ? "" : "s");
}

/* "1..N", perhaps with "# SKIP why" (N is 0 then). */
static int
tap_plan(struct report_lines *p, const char *s, size_t len)
{
	struct report_tap *t = &p->tap;
	const char *e = s + len, *q;
	long long n = 0;
	int digits = 0;

	if (!tap_lit(s, len, "1..", &q))
		return 0;
	for (; q < e && *q >= '0' && *q <= '9'; q++, digits++)
		if (n < 100000000000000LL)
			n = n * 10 + (*q - '0');
	while (q < e && tap_blank(*q))
		q++;
	if (digits == 0 || (q < e && *q != '#'))
		return 0;
	if (t->plan < 0 && t->count > 0) {
		/* The plan comes last: it closes the tests before it. */
		t->plan = n;
		tap_check_plan(p);
		t->closed = 1;
		return 1;
	}
	/* The plan comes first: the tests before it were another run. */
	if (!t->closed)
		tap_check_plan(p);
	t->plan = n;
	t->count = 0;
	t->closed = 0;
	return 1;
}

static void
tap_message_line(struct report_tap *t, const char *s, size_t len)
{
	if (!t->fails)
		return;
	if (t->msg.len > 0)
		testrec_text_add(&t->msg, "\n", 1);
	testrec_text_add(&t->msg, s, len);
}

/*
 * A line after the pending test: its YAML block ("  ---" to "  ..."), or
 * for a failure the "#" lines of diagnostics.  0 if it is neither.
 */
static int
tap_follow(struct report_lines *p, const char *s, size_t len)
{
	struct report_tap *t = &p->tap;
	const char *e = s + len, *q = s, *v;
	size_t indent, rest;

	while (q < e && *q == ' ')
		q++;
	indent = (size_t)(q - s);
	while (e > q && tap_blank(e[-1]))
		e--;
	rest = (size_t)(e - q);
	if (t->block == TAP_YAML) {
		if (indent > 0 && rest == 3 && memcmp(q, "...", 3) == 0) {
			tap_flush(p);
			return 1;
		}
		if (rest == 0) {
			tap_message_line(t, "", 0);
			return 1;
		}
		if (indent < t->indent)
			return 0;
		if (indent == t->indent &&
		    tap_lit(q, rest, "duration_ms:", &v))
			t->duration_us = testrec_parse_us(v,
			    (size_t)(e - v), 3);
		tap_message_line(t, s + t->indent, len - t->indent);
		return 1;
	}
	if (t->block == TAP_NONE && indent > 0 && rest == 3 &&
	    memcmp(q, "---", 3) == 0) {
		t->block = TAP_YAML;
		t->indent = indent;
		return 1;
	}
	if (t->fails && len > 0 && s[0] == '#') {
		t->block = TAP_DIAG;
		s++;
		len--;
		if (len > 0 && *s == ' ') {
			s++;
			len--;
		}
		tap_message_line(t, s, len);
		return 1;
	}
	return 0;
}

/* "Bail out! why": the program gave up; later lines may be another's. */
static int
tap_bail(struct report_lines *p, const char *s, size_t len)
{
	char why[128], quoted[sizeof why * 4];
	const char *q;
	size_t n;

	if (!tap_lit(s, len, "Bail out!", &q))
		return 0;
	while (q < s + len && tap_blank(*q))
		q++;
	n = (size_t)(s + len - q);
	if (n > sizeof why - 1)
		n = sizeof why - 1;
	memcpy(why, q, n);
	why[n] = '\0';
	log_escape(why, quoted, sizeof quoted);
	report_note(p, "TAP: Bail out!%s%s", quoted[0] != '\0' ? " " : "",
	    quoted);
	return 1;
}

int
report_tap_follow(struct report_lines *p, const char *s, size_t len)
{
	if (!p->tap.pending)
		return 0;
	if (tap_follow(p, s, len))
		return 1;
	tap_flush(p);
	return 0;
}

int
report_tap_line(struct report_lines *p, const char *s, size_t len)
{
	return tap_test(p, s, len) || tap_plan(p, s, len) ||
	    tap_bail(p, s, len);
}

void
report_tap_finish(struct report_lines *p)
{
	tap_flush(p);
	if (!p->tap.closed)
		tap_check_plan(p);
}

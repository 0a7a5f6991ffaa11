/* SPDX-License-Identifier: MIT */
/*
 * summary.c - pick test counts out of a test command's output.
 *
 * Output arrives in chunks that may split lines anywhere, so a line cut
 * by a chunk's end is gathered into the parser's one fixed line buffer (a
 * whole one is matched where it is), and each line is matched against
 * every format that may begin as it does.  Each format keeps its own
 * counts; the most specific one found is chosen at the end.  Nothing here
 * allocates: the input is whatever a repository's tests print, so memory
 * must not depend on it.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "summary.h"
#include "summary_int.h"

/* Where unittest is: nothing yet, "Ran N tests" awaiting a verdict, done. */
enum { UT_NONE, UT_RAN, UT_DONE };

/* The counts a unittest verdict or a pytest closing line may name. */
enum {
	CNT_PASSED,
	CNT_FAILED,
	CNT_ERRORS,
	CNT_SKIPPED,
	CNT_XFAILED,
	CNT_XPASSED,
	CNT_UNEXPECTED,
	CNT_MAX
};

/*
 * unittest says "failures=1", pytest "1 failed"; one table serves both.
 * Names not listed (warnings, deselected, rerun, plug-ins' own) are skipped
 * rather than refused so that a new word does not hide the whole line.
 */
static const struct {
	const char *name;
	int idx;
} count_names[] = {
	{ "passed", CNT_PASSED },
	{ "failed", CNT_FAILED },
	{ "failures", CNT_FAILED },
	{ "error", CNT_ERRORS },
	{ "errors", CNT_ERRORS },
	{ "skipped", CNT_SKIPPED },
	{ "xfailed", CNT_XFAILED },
	{ "expected failures", CNT_XFAILED },
	{ "xpassed", CNT_XPASSED },
	{ "unexpected successes", CNT_UNEXPECTED },
};

/* Add n to the count called name (len bytes), if it is one we know. */
static void
count_add(int *c, const char *name, size_t len, int n)
{
	for (size_t i = 0; i < nitems(count_names); i++) {
		int idx = count_names[i].idx;

		if (strlen(count_names[i].name) == len &&
		    memcmp(count_names[i].name, name, len) == 0) {
			c[idx] = add_sat(c[idx], n);
			return;
		}
	}
}

/* "Ran 3 tests in 0.002s": the run count, ahead of its verdict line. */
static int
match_ut_ran(struct summary_parser *p, struct span sp)
{
	int n;

	if (!span_lit(&sp, "Ran ") || !span_num(&sp, &n) ||
	    !span_lit(&sp, " test"))
		return 0;
	span_lit(&sp, "s");
	if (!span_lit(&sp, " in "))
		return 0;
	/* A run that never gave a verdict leaves the totals unknown. */
	if (p->ut_seen == UT_RAN) {
		p->ut_failed = -1;
		p->ut_skipped = -1;
	}
	p->ut_run = add_sat(p->ut_run, n);
	p->ut_seen = UT_RAN;
	return 1;
}

/* "failures=1, errors=2)": the part of a verdict in brackets. */
static int
ut_infos(struct span *sp, int *c)
{
	const char *name, *eq;
	int n;

	do {
		name = sp->p;
		eq = memchr(name, '=', (size_t)(sp->end - name));
		if (eq == NULL)
			return 0;
		sp->p = eq + 1;
		if (!span_num(sp, &n))
			return 0;
		count_add(c, name, (size_t)(eq - name), n);
	} while (span_lit(sp, ", "));
	return span_lit(sp, ")");
}

/* "OK", "OK (skipped=1)", "FAILED (failures=1, errors=2)", "NO TESTS RAN". */
static int
match_ut_verdict(struct summary_parser *p, struct span sp)
{
	int c[CNT_MAX] = { 0 };
	int failed;

	if (p->ut_seen != UT_RAN)
		return 0;
	if (span_lit(&sp, "FAILED (")) {
		if (!ut_infos(&sp, c))
			return 0;
	} else if (span_lit(&sp, "OK") || span_lit(&sp, "NO TESTS RAN")) {
		if (sp.p != sp.end &&
		    !(span_lit(&sp, " (") && ut_infos(&sp, c)))
			return 0;
	} else
		return 0;
	if (sp.p != sp.end)
		return 0;
	p->ut_seen = UT_DONE;
	if (p->ut_failed < 0)
		return 1;
	failed = add_sat(add_sat(c[CNT_FAILED], c[CNT_ERRORS]),
	    c[CNT_UNEXPECTED]);
	p->ut_failed = add_sat(p->ut_failed, failed);
	p->ut_skipped = add_sat(p->ut_skipped, c[CNT_SKIPPED]);
	return 1;
}

/* "2 failed, 3 passed, 2 subtests passed in " - labels may be several words. */
static int
py_items(struct span *sp, int *c)
{
	const char *name;
	int n;

	do {
		if (!span_num(sp, &n) || !span_lit(sp, " "))
			return 0;
		name = sp->p;
		while (sp->p < sp->end && *sp->p != ',' && !span_at(sp, " in "))
			sp->p++;
		if (sp->p == name)
			return 0;
		count_add(c, name, (size_t)(sp->p - name), n);
	} while (span_lit(sp, ", "));
	return span_lit(sp, " in ");
}

/* "0.12s", "61.23s (0:01:01)" or, from old versions, "0.12 seconds". */
static int
py_duration(struct span *sp)
{
	if (span_while(sp, DIGITS) == 0 ||
	    (span_lit(sp, ".") && span_while(sp, DIGITS) == 0))
		return 0;
	if (!span_lit(sp, "s") && !span_lit(sp, " seconds"))
		return 0;
	if (span_lit(sp, " (") &&
	    !(span_while(sp, DIGITS ":") > 0 && span_lit(sp, ")")))
		return 0;
	return 1;
}

/*
 * "==== 2 failed, 3 passed, 1 skipped, 1 warning in 0.12s ====", or the
 * same without the borders from pytest -q.
 */
static int
match_pytest(struct summary_parser *p, struct span sp)
{
	int c[CNT_MAX] = { 0 };
	int run;

	/* "==== ... ====" in full, bare with -q. */
	int bordered = span_while(&sp, "=") > 0;

	if (bordered && !span_lit(&sp, " "))
		return 0;
	if (!span_lit(&sp, "no tests ran in ") && !py_items(&sp, c))
		return 0;
	if (!py_duration(&sp) || (bordered && (!span_lit(&sp, " ") ||
	    span_while(&sp, "=") == 0)) || sp.p != sp.end)
		return 0;
	run = add_sat(c[CNT_PASSED], c[CNT_FAILED]);
	run = add_sat(run, c[CNT_ERRORS]);
	run = add_sat(run, c[CNT_XFAILED]);
	p->py_seen = 1;
	p->py_run = add_sat(run, c[CNT_XPASSED]);
	p->py_failed = add_sat(c[CNT_FAILED], c[CNT_ERRORS]);
	p->py_skipped = c[CNT_SKIPPED];
	return 1;
}

/* "3 passed, 0 failed[, 1 skipped]", perhaps after "word: ". */
static int
match_plain(struct summary_parser *p, struct span sp)
{
	struct span word = sp;
	int passed, failed, skipped = 0;

	if (span_while(&word, WORD) > 0 && span_lit(&word, ":") &&
	    span_while(&word, " ") > 0)
		sp = word;
	if (!span_num(&sp, &passed) || !span_lit(&sp, " passed, ") ||
	    !span_num(&sp, &failed) || !span_lit(&sp, " failed"))
		return 0;
	if (span_lit(&sp, ", ") &&
	    !(span_num(&sp, &skipped) && span_lit(&sp, " skipped")))
		return 0;
	if (sp.p != sp.end)
		return 0;
	p->plain_seen = 1;
	p->plain_run = add_sat(passed, failed);
	p->plain_failed = failed;
	p->plain_skipped = skipped;
	return 1;
}

/*
 * The directive of a TAP line: 'S' for "# SKIP", 'T' for "# TODO", else 0.
 * The first '#' not escaped as "\#" starts it; case does not matter.
 */
static int
tap_directive(struct span sp)
{
	for (; sp.p < sp.end; sp.p++) {
		if (*sp.p == '\\' && sp.p + 1 < sp.end)
			sp.p++;
		else if (*sp.p == '#')
			break;
	}
	if (sp.p == sp.end)
		return 0;
	sp.p++;
	span_while(&sp, " \t");
	if (sp.end - sp.p < 4)
		return 0;
	if (strncasecmp(sp.p, "skip", 4) == 0)
		return 'S';
	if (strncasecmp(sp.p, "todo", 4) == 0)
		return 'T';
	return 0;
}

/* "ok 1 - name", "not ok 2 # TODO later", "ok 3 # SKIP no network". */
static int
match_tap(struct summary_parser *p, struct span sp)
{
	int ok = 1, directive;

	if (span_lit(&sp, "not ok"))
		ok = 0;
	else if (!span_lit(&sp, "ok"))
		return 0;
	/* "okay" or "ok," is prose, not TAP. */
	if (sp.p != sp.end && *sp.p != ' ' && *sp.p != '\t')
		return 0;
	directive = tap_directive(sp);
	p->tap_seen = 1;
	p->tap_run = add_sat(p->tap_run, 1);
	if (ok && directive == 'S')
		p->tap_skipped = add_sat(p->tap_skipped, 1);
	if (!ok && directive != 'T')
		p->tap_failed = add_sat(p->tap_failed, 1);
	return 1;
}

/*
 * Every format in turn; the first that takes the line wins.  A cut line
 * still counts where its start says enough ("Ran N tests", TAP); the
 * formats that are checked to the end of the line would only be guessing.
 */
void
summary_match_line(struct summary_parser *p, const char *line, size_t len,
    int cut)
{
	struct span sp = { line, line + len };

	if (match_ut_ran(p, sp) || summary_match_go(p, sp) ||
	    match_tap(p, sp) || cut)
		return;
	if (match_ut_verdict(p, sp) || match_pytest(p, sp) ||
	    summary_match_cargo(p, sp) || summary_match_maven(p, sp) ||
	    summary_match_ctest(p, sp))
		return;
	/* Most lines are no summary: a plain one must say "passed". */
	if (memmem(line, len, "passed", 6) != NULL)
		match_plain(p, sp);
}

/*
 * Whether some format but the plain line may begin with c: the first
 * bytes of ut_ran, go (blanks, "--- ", "ok", "FAIL"), TAP, a unittest
 * verdict, pytest ('=', "no tests", a count), cargo, Maven ('[', "Tests")
 * and ctest (blanks, a count).  A format added must add its first bytes
 * here (and a sample to test_summary_quick.c, which compares).
 */
static int
summary_may_begin(unsigned char c)
{
	return (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("RoFnON=t[T \t-", c) != NULL);
}

/*
 * A line without its trailing blanks.  Most lines of output are no
 * summary, and most begin with a byte none begins with: then only the
 * plain line may be one, after a word and a colon ("unit: 3 passed, ...").
 */
static void
summary_line(struct summary_parser *p, const char *line, size_t len, int cut)
{
	while (len > 0 && is_blank(line[len - 1]))
		len--;
	if (len == 0 || !summary_may_begin((unsigned char)line[0])) {
		if (!cut && memchr(line, ':', len) != NULL &&
		    memmem(line, len, "passed", 6) != NULL)
			match_plain(p, (struct span){ line, line + len });
		return;
	}
	summary_match_line(p, line, len, cut);
}

/* Match the line gathered in the buffer and empty it. */
static void
summary_buffered(struct summary_parser *p)
{
	int cut = p->linelen > SUMMARY_LINE_MAX;
	size_t len = cut ? SUMMARY_LINE_MAX : p->linelen;

	p->linelen = 0;
	summary_line(p, p->line, len, cut);
}

/*
 * Keep what fits.  Past the buffer only note that the line was cut, unless
 * the excess is blanks ("\r" of "\r\n") that matching would drop anyway.
 */
static void
summary_append(struct summary_parser *p, const char *data, size_t len)
{
	size_t room, n;

	if (p->linelen > SUMMARY_LINE_MAX)
		return;
	room = SUMMARY_LINE_MAX - p->linelen;
	n = len < room ? len : room;
	memcpy(p->line + p->linelen, data, n);
	p->linelen += n;
	for (; n < len; n++) {
		if (!is_blank(data[n])) {
			p->linelen = SUMMARY_LINE_MAX + 1;
			return;
		}
	}
}

void
summary_init(struct summary_parser *p)
{
	memset(p, 0, sizeof *p);
}

void
summary_feed(struct summary_parser *p, const char *data, size_t len)
{
	const char *nl;
	size_t n;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		if (nl == NULL) {
			summary_append(p, data, n);
			return;
		}
		/* A whole line in this chunk is matched where it is. */
		if (p->linelen == 0 && n <= SUMMARY_LINE_MAX)
			summary_line(p, data, n, 0);
		else {
			summary_append(p, data, n);
			summary_buffered(p);
		}
		data += n + 1;
		len -= n + 1;
	}
}

/* Store the counts of the chosen format and return its name. */
static const char *
summary_set(struct job_tests *out, int run, int failed, int skipped,
    const char *name)
{
	out->run = run;
	out->failed = failed;
	out->skipped = skipped;
	return name;
}

const char *
summary_finish(struct summary_parser *p, struct job_tests *out)
{
	if (p->linelen > 0)
		summary_buffered(p);
	if (p->ut_seen == UT_RAN)
		return summary_set(out, p->ut_run, -1, -1, "unittest");
	if (p->ut_seen == UT_DONE)
		return summary_set(out, p->ut_run, p->ut_failed, p->ut_skipped,
		    "unittest");
	if (p->py_seen)
		return summary_set(out, p->py_run, p->py_failed, p->py_skipped,
		    "pytest");
	if (p->cargo_seen)
		return summary_set(out, p->cargo_run, p->cargo_failed,
		    p->cargo_skipped, "cargo");
	/* Counts from text need not add up: failures stay within the run. */
	if (p->maven_seen)
		return summary_set(out, p->maven_run, p->maven_failed <
		    p->maven_run ? p->maven_failed : p->maven_run,
		    p->maven_skipped, "maven");
	if (p->ctest_seen) {
		int skipped = p->ctest_listed_skipped < p->ctest_total ?
		    p->ctest_listed_skipped : p->ctest_total;
		int run = p->ctest_total - skipped;

		return summary_set(out, run, p->ctest_failed < run ?
		    p->ctest_failed : run, skipped, "ctest");
	}
	/*
	 * Without -v, go names only the failures: a count of the run it
	 * does not give is left unknown rather than guessed.
	 */
	if (p->go_seen && p->go_pass + p->go_skipped > 0)
		return summary_set(out, add_sat(p->go_pass, p->go_failed),
		    p->go_failed, p->go_skipped, "go");
	if (p->plain_seen)
		return summary_set(out, p->plain_run, p->plain_failed,
		    p->plain_skipped, "plain");
	if (p->tap_seen)
		return summary_set(out, p->tap_run, p->tap_failed,
		    p->tap_skipped, "tap");
	return summary_set(out, -1, -1, -1, NULL);
}

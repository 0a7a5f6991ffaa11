/* SPDX-License-Identifier: MIT */
/*
 * summary_tools.c - test counts as build tools print them:
 *   go test -v:  "--- PASS: TestX (0.00s)", "--- FAIL: ...", "--- SKIP:
 *                ..." per test (without -v only failures are named, and
 *                no count is given); "ok  \tpkg\t0.1s" and "FAIL\tpkg\t0.1s"
 *                per package are taken for go's, never TAP's;
 *   cargo test:  "test result: ok. 2 passed; 0 failed; 1 ignored; ..."
 *                per test binary, added up;
 *   ctest:       "75% tests passed, 1 tests failed out of 4", and the
 *                tests listed as "(Skipped)" under "did not run";
 *   Maven:       "[WARNING] Tests run: 3, Failures: 0, Errors: 0,
 *                Skipped: 1" after "Results:", per module, added up (the
 *                per-class lines carry ", Time elapsed" and are not).
 * Each counts tests run (not the skipped), failed and skipped, as pytest's
 * closing line does.
 */
#include "summary_int.h"

/* "(0.00s)", the end of a go test line. */
static int
go_duration(struct span *sp)
{
	return span_lit(sp, "(") && span_while(sp, DIGITS) > 0 &&
	    span_lit(sp, ".") && span_while(sp, DIGITS) > 0 &&
	    span_lit(sp, "s)") && sp->p == sp->end;
}

int
summary_match_go(struct summary_parser *p, struct span sp)
{
	struct span pkg = sp;
	int pass = 0, fail = 0;

	/* A package's line: "ok  \tpkg\t0.002s", "FAIL\tpkg\t0.002s". */
	if ((span_lit(&pkg, "ok  \t") || span_lit(&pkg, "FAIL\t")) &&
	    memchr(pkg.p, '\t', (size_t)(pkg.end - pkg.p)) != NULL) {
		p->go_seen = 1;
		return 1;
	}
	span_while(&sp, " \t");
	if (!span_lit(&sp, "--- "))
		return 0;
	if (span_lit(&sp, "PASS: "))
		pass = 1;
	else if (span_lit(&sp, "FAIL: "))
		fail = 1;
	else if (!span_lit(&sp, "SKIP: "))
		return 0;
	if (span_while(&sp, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    DIGITS "_/#.-=+,:[]()'\"") == 0 || !span_lit(&sp, " ") ||
	    !go_duration(&sp))
		return 0;
	p->go_seen = 1;
	p->go_pass = add_sat(p->go_pass, pass);
	p->go_failed = add_sat(p->go_failed, fail);
	p->go_skipped = add_sat(p->go_skipped, !pass && !fail);
	return 1;
}

/* "N word; " items of cargo's result line, into *v if the word is name. */
static int
cargo_item(struct span *sp, const char *name, int *v)
{
	int n;

	if (!span_num(sp, &n) || !span_lit(sp, " "))
		return 0;
	if (!span_lit(sp, name))
		return 0;
	*v = n;
	return span_lit(sp, "; ") || sp->p == sp->end;
}

int
summary_match_cargo(struct summary_parser *p, struct span sp)
{
	int passed, failed, ignored;

	if (!span_lit(&sp, "test result: ") || (!span_lit(&sp, "ok. ") &&
	    !span_lit(&sp, "FAILED. ")))
		return 0;
	if (!cargo_item(&sp, "passed", &passed) ||
	    !cargo_item(&sp, "failed", &failed) ||
	    !cargo_item(&sp, "ignored", &ignored))
		return 0;
	p->cargo_seen = 1;
	p->cargo_run = add_sat(p->cargo_run, add_sat(passed, failed));
	p->cargo_failed = add_sat(p->cargo_failed, failed);
	p->cargo_skipped = add_sat(p->cargo_skipped, ignored);
	return 1;
}

int
summary_match_ctest(struct summary_parser *p, struct span sp)
{
	struct span listed = sp;
	int pct, failed, total;

	/* "\t  4 - later (Skipped)" under "The following tests did not run:". */
	span_while(&listed, " \t");
	if (span_while(&listed, DIGITS) > 0 && span_lit(&listed, " - ") &&
	    listed.end - listed.p > 10 &&
	    memcmp(listed.end - 10, " (Skipped)", 10) == 0) {
		p->ctest_listed_skipped = add_sat(p->ctest_listed_skipped, 1);
		return 1;
	}
	if (!span_num(&sp, &pct) || !span_lit(&sp, "% tests passed, ") ||
	    !span_num(&sp, &failed) || !span_lit(&sp, " test") ||
	    (span_lit(&sp, "s"), !span_lit(&sp, " failed out of ")) ||
	    !span_num(&sp, &total) || sp.p != sp.end || failed > total)
		return 0;
	p->ctest_seen = 1;
	p->ctest_total = total;
	p->ctest_failed = failed;
	p->ctest_listed_skipped = 0;	/* the list comes after this line */
	return 1;
}

/* "Tests run: 3, Failures: 0, Errors: 0, Skipped: 1" */
int
summary_match_maven(struct summary_parser *p, struct span sp)
{
	int run, failures, errors, skipped;

	/* Maven's "[INFO] ", "[WARNING] " or "[ERROR] " in front. */
	if (span_lit(&sp, "[")) {
		span_while(&sp, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
		if (!span_lit(&sp, "] "))
			return 0;
	}
	if (!span_lit(&sp, "Tests run: ") || !span_num(&sp, &run) ||
	    !span_lit(&sp, ", Failures: ") || !span_num(&sp, &failures) ||
	    !span_lit(&sp, ", Errors: ") || !span_num(&sp, &errors) ||
	    !span_lit(&sp, ", Skipped: ") || !span_num(&sp, &skipped))
		return 0;
	/* A class's line goes on (", Time elapsed: ..."); a total ends. */
	if (sp.p != sp.end)
		return 1;
	p->maven_seen = 1;
	p->maven_run = add_sat(p->maven_run, run > skipped ? run - skipped : 0);
	p->maven_failed = add_sat(p->maven_failed, add_sat(failures, errors));
	p->maven_skipped = add_sat(p->maven_skipped, skipped);
	return 1;
}

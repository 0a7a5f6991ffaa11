/* SPDX-License-Identifier: MIT */
/*
 * report_unittest.c - Python unittest's verbose lines read from a job's
 * output, a line at a time (report.h says which).
 *
 * A failure's message, its traceback, comes only in the list unittest
 * prints once every test has run, so failed tests are held (a bounded
 * number, names only) until their entry in that list has been read.
 */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util.h"

/* unittest's rules are 70 characters wide. */
#define UT_RULE 70

enum { UT_TB_NONE, UT_TB_HEAD, UT_TB_BODY };

/* A test as unittest describes it: "name (id)[ rest]". */
struct ut_desc {
	const char *name;
	size_t namelen;
	const char *id;
	size_t idlen;
	const char *rest;	/* a subtest's " (i=1)", or empty */
	size_t restlen;
};

static int
ut_lit(const char *s, const char *e, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(e - s) >= n && memcmp(s, lit, n) == 0;
}

/* Whether the line is one of unittest's rules of c. */
static int
ut_rule(const char *s, size_t len, char c)
{
	if (len != UT_RULE)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] != c)
			return 0;
	return 1;
}

/* Where " ... " first is in s..e, or NULL. */
static const char *
ut_dots(const char *s, const char *e)
{
	for (; e - s >= 5; s++)
		if (memcmp(s, " ... ", 5) == 0)
			return s;
	return NULL;
}

/*
 * Read "name (id)" at s; *end is then where the rest begins.  The name
 * holds no blank or bracket, the id no blank (it is a dotted path).
 */
static int
ut_desc(const char *s, const char *e, struct ut_desc *d, const char **end)
{
	const char *q = s;

	/* Most lines a test prints hold no '(': they are passed over with
	 * one memchr, not looked at byte by byte. */
	if (s >= e || memchr(s, '(', (size_t)(e - s)) == NULL)
		return 0;
	while (q < e && *q != ' ' && *q != '(' && *q != ')' && *q != '\t')
		q++;
	if (q == s || !ut_lit(q, e, " ("))
		return 0;
	d->name = s;
	d->namelen = (size_t)(q - s);
	d->id = q += 2;
	while (q < e && *q != ')' && *q != ' ' && *q != '(' && *q != '\t')
		q++;
	if (q == d->id || q == e || *q != ')')
		return 0;
	d->idlen = (size_t)(q - d->id);
	*end = q + 1;
	return 1;
}

/* A whole description, alone on its line ("FAIL: " lines, docstrings). */
static int
ut_desc_line(const char *s, const char *e, struct ut_desc *d)
{
	const char *rest;

	if (!ut_desc(s, e, d, &rest) || (rest < e && *rest != ' '))
		return 0;
	d->rest = rest;
	d->restlen = (size_t)(e - rest);
	return 1;
}

/*
 * A status, the whole of s..e: 0 with *st and *why (a skip's reason, or
 * NULL), or -1.
 */
static int
ut_status(const char *s, const char *e, enum test_status *st,
    const char **why, size_t *whylen)
{
	size_t n;

	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - s);
	*why = NULL;
	*whylen = 0;
	if (n == 2 && memcmp(s, "ok", 2) == 0)
		*st = TEST_PASSED;
	else if (n == 4 && memcmp(s, "FAIL", 4) == 0)
		*st = TEST_FAILED;
	else if (n == 5 && memcmp(s, "ERROR", 5) == 0)
		*st = TEST_ERROR;
	else if (n == 16 && memcmp(s, "expected failure", 16) == 0) {
		*st = TEST_SKIPPED;
		*why = s;
		*whylen = n;
	} else if (n == 18 && memcmp(s, "unexpected success", 18) == 0) {
		*st = TEST_FAILED;
		*why = s;
		*whylen = n;
	} else if (ut_lit(s, e, "skipped") && (n == 7 || s[7] == ' ')) {
		*st = TEST_SKIPPED;
		/* The reason as repr() wrote it: 'why' or "why". */
		if (n > 8) {
			s += 8;
			n -= 8;
			if (n >= 2 && (s[0] == '\'' || s[0] == '"') &&
			    s[n - 1] == s[0]) {
				s++;
				n -= 2;
			}
			*why = s;
			*whylen = n;
		}
	} else
		return -1;
	return 0;
}

/* Whether the id ends with ".name", as from Python 3.11 on. */
static int
ut_new_form(const struct ut_desc *d)
{
	return d->idlen > d->namelen + 1 &&
	    memcmp(d->id + d->idlen - d->namelen, d->name, d->namelen) == 0 &&
	    d->id[d->idlen - d->namelen - 1] == '.';
}

/* The record's name ("name" and a subtest's rest) and suite into bufs. */
static void
ut_names(const struct ut_desc *d, char *name, char *suite)
{
	struct testrec_text t;
	size_t idlen = d->idlen;

	testrec_text_init(&t, name, TESTREC_MAX_NAME);
	testrec_text_add(&t, d->name, d->namelen);
	testrec_text_add(&t, d->rest, d->restlen);
	testrec_text_rtrim(&t);
	/* 3.11 and later end the id with ".name"; older ones name the class. */
	if (ut_new_form(d))
		idlen -= d->namelen + 1;
	testrec_text_init(&t, suite, TESTREC_MAX_NAME);
	testrec_text_add(&t, d->id, idlen);
}

static void
ut_give(struct report_lines *p, const char *name, const char *suite,
    enum test_status st, const char *msg)
{
	struct test_record rec;

	rec.name = (char *)name;
	rec.suite = suite[0] != '\0' ? (char *)suite : NULL;
	rec.file = NULL;
	rec.status = st;
	rec.duration_us = -1;
	rec.message = msg != NULL && msg[0] != '\0' ? (char *)msg : NULL;
	report_emit(p, &rec);
}

/* A test's status read: given, or held for its traceback. */
static void
ut_result(struct report_lines *p, const char *name, const char *suite,
    enum test_status st, const char *why, size_t whylen)
{
	struct report_ut *u = &p->ut;
	struct report_held *h;
	struct testrec_text t;
	char msg[TESTREC_MAX_MESSAGE + 1];

	u->verbose = 1;
	if ((st == TEST_FAILED || st == TEST_ERROR) && why == NULL &&
	    u->nheld < REPORT_MAX_HELD) {
		h = &u->held[u->nheld++];
		h->name = xstrdup(name);
		h->suite = xstrdup(suite);
		h->status = st;
		return;
	}
	testrec_text_init(&t, msg, TESTREC_MAX_MESSAGE);
	if (why != NULL)
		testrec_text_add(&t, why, whylen);
	ut_give(p, name, suite, st, msg);
}

/* Every held test given, without the traceback that never came. */
static void
ut_give_held(struct report_lines *p)
{
	struct report_ut *u = &p->ut;

	for (size_t i = 0; i < u->nheld; i++)
		ut_give(p, u->held[i].name, u->held[i].suite,
		    u->held[i].status, NULL);
	report_ut_free(u);
}

/* The list's entry read: its held test given with the traceback. */
static void
ut_entry_done(struct report_lines *p)
{
	struct report_ut *u = &p->ut;
	struct report_held *h;

	u->tb = UT_TB_NONE;
	testrec_text_rtrim(&u->msg);
	for (size_t i = 0; i < u->nheld; i++) {
		h = &u->held[i];
		if (h->status != u->tbstatus ||
		    strcmp(h->name, u->tbname) != 0 ||
		    strcmp(h->suite, u->tbsuite) != 0)
			continue;
		ut_give(p, h->name, h->suite, h->status, u->msgbuf);
		free(h->name);
		free(h->suite);
		memmove(h, h + 1, (u->nheld - i - 1) * sizeof *h);
		u->nheld--;
		return;
	}
	/* Before 3.11 a failed subtest had no line of its own. */
	if (u->verbose)
		ut_give(p, u->tbname, u->tbsuite, u->tbstatus, u->msgbuf);
}

/* The list at the end: "FAIL: desc", docstring, rule, traceback, rule. */
static int
ut_list(struct report_lines *p, const char *s, size_t len, int after_rule)
{
	struct report_ut *u = &p->ut;
	const char *e = s + len, *q = s;
	struct ut_desc d;

	if (u->tb == UT_TB_HEAD) {
		/*
		 * A docstring's first line at most, then the rule; else the
		 * header was none, and this line is anyone's.
		 */
		if (ut_rule(s, len, '-')) {
			u->tb = UT_TB_BODY;
			u->tblines = 0;
			return 1;
		}
		if (!ut_rule(s, len, '=') && u->tblines++ == 0)
			return 1;
		u->tb = UT_TB_NONE;
	}
	if (u->tb == UT_TB_BODY) {
		if (ut_rule(s, len, '=') || ut_rule(s, len, '-'))
			ut_entry_done(p);
		else {
			if (u->tblines++ > 0)
				testrec_text_add(&u->msg, "\n", 1);
			testrec_text_add(&u->msg, s, len);
		}
		return 1;
	}
	if (!after_rule)
		return 0;
	if (ut_lit(s, e, "FAIL: "))
		u->tbstatus = TEST_FAILED;
	else if (ut_lit(s, e, "ERROR: "))
		u->tbstatus = TEST_ERROR;
	else
		return 0;
	q = memchr(s, ' ', len) + 1;
	if (!ut_desc_line(q, e, &d))
		return 0;
	ut_names(&d, u->tbname, u->tbsuite);
	testrec_text_init(&u->msg, u->msgbuf, TESTREC_MAX_MESSAGE);
	u->tblines = 0;
	u->tb = UT_TB_HEAD;
	return 1;
}

/* The status after " ... " at dots: the test's result, or it stays open. */
static void
ut_after_dots(struct report_lines *p, const char *dots, const char *e)
{
	struct report_ut *u = &p->ut;
	enum test_status st;
	const char *why;
	size_t whylen;

	u->open = ut_status(dots + 5, e, &st, &why, &whylen) == -1;
	if (!u->open)
		ut_result(p, u->name, u->suite, st, why, whylen);
}

/* "desc ... status", or a docstring's line for the description above. */
static int
ut_test(struct report_lines *p, const char *s, size_t len)
{
	struct report_ut *u = &p->ut;
	const char *e = s + len, *q, *dots = NULL;
	struct ut_desc d;
	int described = u->described, have;

	u->described = 0;
	/* A subtest's line is indented. */
	for (q = s; q < e && q - s < 2 && *q == ' '; q++)
		;
	if ((have = ut_desc(q, e, &d, &d.rest)))
		dots = ut_dots(d.rest, e);
	/*
	 * The docstring's line ends with the last " ... ", unless it is a
	 * test's line of its own (the line above was no description then).
	 */
	if (described && !(dots != NULL && ut_new_form(&d))) {
		const char *last = NULL;

		for (const char *r = s; (r = ut_dots(r, e)) != NULL; r++)
			last = r;
		if (last != NULL) {
			ut_after_dots(p, last, e);
			return 1;
		}
	}
	if (!have)
		return 0;
	if (dots == NULL) {
		/* Alone on its line, a docstring's line follows. */
		if (ut_desc_line(q, e, &d) && memchr(d.id, '.', d.idlen)) {
			ut_names(&d, u->name, u->suite);
			u->described = 1;
			u->open = 0;
		}
		/* Perhaps TAP's "ok (x)": let it look. */
		return 0;
	}
	if (d.rest < dots && *d.rest != ' ')
		return 0;
	d.restlen = (size_t)(dots - d.rest);
	ut_names(&d, u->name, u->suite);
	ut_after_dots(p, dots, e);
	return 1;
}

int
report_ut_line(struct report_lines *p, const char *s, size_t len)
{
	struct report_ut *u = &p->ut;
	const char *why;
	enum test_status st;
	size_t whylen;
	int after_rule = u->sep1;

	u->sep1 = ut_rule(s, len, '=');
	if (ut_list(p, s, len, after_rule))
		return 1;
	if (u->sep1)
		return 0;
	if (len > 4 && memcmp(s, "Ran ", 4) == 0 && s[4] >= '0' &&
	    s[4] <= '9') {
		/* The run is over: no traceback will come for the rest. */
		ut_give_held(p);
		u->open = u->described = 0;
		return 1;
	}
	/* The status after what the test printed. */
	if (u->open && ut_status(s, s + len, &st, &why, &whylen) == 0) {
		u->open = 0;
		ut_result(p, u->name, u->suite, st, why, whylen);
		return 1;
	}
	return ut_test(p, s, len);
}

void
report_ut_finish(struct report_lines *p)
{
	if (p->ut.tb == UT_TB_BODY)
		ut_entry_done(p);
	p->ut.tb = UT_TB_NONE;
	ut_give_held(p);
}

void
report_ut_free(struct report_ut *u)
{
	for (size_t i = 0; i < u->nheld; i++) {
		free(u->held[i].name);
		free(u->held[i].suite);
	}
	u->nheld = 0;
}

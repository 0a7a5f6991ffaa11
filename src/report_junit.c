/* SPDX-License-Identifier: MIT */
/*
 * report_junit.c - JUnit XML reports read with expat as they stream in,
 * one record per testcase (report.h says what is read and what refused).
 *
 * The report is untrusted, so what reading it costs is bounded three
 * ways.  Our own state is fixed: one testcase's fields, each cut to its
 * bound as it arrives, and one name per open testsuite.  expat parses
 * text as it comes and hands it over in pieces, but holds any one tag or
 * comment whole: after each piece fed, the bytes since the end of the
 * last event expat reported are checked against JUNIT_MAX_TOKEN.  And
 * expat allocates through a counting allocator that refuses to go past
 * JUNIT_MAX_MEMORY, a hard bound whatever expat does inside.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "report.h"
#include "util.h"

/* expat gets the input in pieces of at most this, so it never copies more. */
#define JUNIT_CHUNK (64 * 1024)

enum junit_el {
	EL_OTHER,
	EL_TESTSUITES,
	EL_TESTSUITE,
	EL_TESTCASE,
	EL_FAILURE,
	EL_ERROR,
	EL_SKIPPED
};

static const struct {
	const char *name;
	enum junit_el el;
} junit_els[] = {
	{ "testsuites", EL_TESTSUITES },
	{ "testsuite", EL_TESTSUITE },
	{ "testcase", EL_TESTCASE },
	{ "failure", EL_FAILURE },
	{ "error", EL_ERROR },
	{ "skipped", EL_SKIPPED },
};

/* A testsuite's name and file, kept for the testcases inside it. */
struct junit_suite {
	char *name;
	char *file;
};

struct junit_parser {
	XML_Parser xp;
	testrec_cb cb;
	void *arg;
	char report[128];	/* its name for messages, escaped */
	int depth;		/* elements open */
	int case_depth;		/* the open testcase's depth, 0 if none */
	int text_depth;		/* the element whose text is the message */
	int seen_text;		/* its text began (leading blanks dropped) */
	size_t attr_len;	/* the message's bytes from its attribute */
	struct junit_suite suites[JUNIT_MAX_DEPTH + 1];	/* by depth */

	/* The open testcase. */
	char name[TESTREC_MAX_NAME + 1];
	char cls[TESTREC_MAX_NAME + 1];
	char file[TESTREC_MAX_NAME + 1];
	char msgbuf[TESTREC_MAX_MESSAGE + 1];
	struct testrec_text msg;
	int has_msg;
	enum test_status status;
	int rank;		/* what set it: 2 <failure> or <error>,
				   1 <skipped>, 0 nothing yet */
	int64_t duration_us;

	size_t ntests;
	long long fed;		/* bytes given to expat */
	long long parsed;	/* where its last event ended */
	size_t mem;		/* bytes expat holds */
	size_t peak;
	int parsing;		/* inside XML_Parse: handlers may run */
	int failed;		/* reading stopped; err says why */
	char err[512];
};

/*
 * expat's allocator.  Its malloc has no argument to say which parser
 * asks, so the parser about to call expat is noted here; realloc and free
 * find it in the block's header.
 */
static _Thread_local struct junit_parser *junit_caller;

union junit_block {
	max_align_t align;
	struct {
		size_t size;
		struct junit_parser *owner;
	} h;
};

static void *
junit_malloc(size_t size)
{
	struct junit_parser *p = junit_caller;
	union junit_block *b;

	if (p != NULL && (size > JUNIT_MAX_MEMORY ||
	    p->mem > JUNIT_MAX_MEMORY - size))
		return NULL;
	if (size > SIZE_MAX - sizeof *b ||
	    (b = malloc(sizeof *b + size)) == NULL)
		return NULL;
	b->h.size = size;
	b->h.owner = p;
	if (p != NULL) {
		p->mem += size;
		if (p->mem > p->peak)
			p->peak = p->mem;
	}
	return b + 1;
}

static void
junit_mfree(void *ptr)
{
	union junit_block *b;

	if (ptr == NULL)
		return;
	b = (union junit_block *)ptr - 1;
	if (b->h.owner != NULL)
		b->h.owner->mem -= b->h.size;
	free(b);
}

static void *
junit_realloc(void *ptr, size_t size)
{
	union junit_block *b, *nb;
	struct junit_parser *p;
	size_t old;

	if (ptr == NULL)
		return junit_malloc(size);
	b = (union junit_block *)ptr - 1;
	p = b->h.owner;
	old = b->h.size;
	if (p != NULL && size > old && (size - old > JUNIT_MAX_MEMORY ||
	    p->mem > JUNIT_MAX_MEMORY - (size - old)))
		return NULL;
	if (size > SIZE_MAX - sizeof *b ||
	    (nb = realloc(b, sizeof *nb + size)) == NULL)
		return NULL;
	nb->h.size = size;
	if (p != NULL) {
		p->mem = p->mem - old + size;
		if (p->mem > p->peak)
			p->peak = p->mem;
	}
	return nb + 1;
}

static const XML_Memory_Handling_Suite junit_mm = {
	junit_malloc, junit_realloc, junit_mfree
};

/* Stop reading with a message at expat's current position. */
static void
junit_fail(struct junit_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
junit_fail(struct junit_parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;
	p->failed = 1;
	n = snprintf(p->err, sizeof p->err, "%s:%lu:%lu: ", p->report,
	    (unsigned long)XML_GetCurrentLineNumber(p->xp),
	    (unsigned long)XML_GetCurrentColumnNumber(p->xp) + 1);
	if (n > 0 && (size_t)n < sizeof p->err) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, sizeof p->err - (size_t)n, fmt, ap);
		va_end(ap);
	}
	/* Within a handler; after XML_Parse it is never called again. */
	if (p->parsing)
		XML_StopParser(p->xp, XML_FALSE);
}

/* Every handler notes where its event ends, for the token bound. */
static void
junit_mark(struct junit_parser *p)
{
	XML_Index at = XML_GetCurrentByteIndex(p->xp);
	int n = XML_GetCurrentByteCount(p->xp);

	if (at >= 0 && at + n > p->parsed)
		p->parsed = at + n;
}

static const char *
junit_attr(const XML_Char **atts, const char *name)
{
	for (; atts[0] != NULL; atts += 2)
		if (strcmp(atts[0], name) == 0)
			return atts[1];
	return NULL;
}

/* value, or "" for NULL, cut into buf (TESTREC_MAX_NAME + 1 bytes). */
static void
junit_copy(char *buf, const char *value)
{
	struct testrec_text t;

	testrec_text_init(&t, buf, TESTREC_MAX_NAME);
	if (value != NULL)
		testrec_text_add(&t, value, strlen(value));
}

static void
junit_case_open(struct junit_parser *p, const XML_Char **atts)
{
	const char *status = junit_attr(atts, "status"), *time;

	p->case_depth = p->depth;
	junit_copy(p->name, junit_attr(atts, "name"));
	junit_copy(p->cls, junit_attr(atts, "classname"));
	junit_copy(p->file, junit_attr(atts, "file"));
	p->duration_us = (time = junit_attr(atts, "time")) == NULL ? -1 :
	    testrec_parse_us(time, strlen(time), 6);
	p->has_msg = 0;
	p->rank = 0;
	p->status = TEST_PASSED;
	/* gtest's and ctest's tests that never ran; a child may say why. */
	if (status != NULL && (strcmp(status, "notrun") == 0 ||
	    strcmp(status, "disabled") == 0 || strcmp(status, "skipped") == 0))
		p->status = TEST_SKIPPED;
}

/* The nearest enclosing testsuite's name or file, or NULL. */
static char *
junit_suite_field(struct junit_parser *p, int file)
{
	for (int d = p->case_depth - 1; d > 0; d--) {
		char *s = file ? p->suites[d].file : p->suites[d].name;

		if (s != NULL)
			return s;
	}
	return NULL;
}

static void
junit_case_close(struct junit_parser *p)
{
	struct test_record rec;

	rec.name = p->name;
	rec.suite = p->cls[0] != '\0' ? p->cls : junit_suite_field(p, 0);
	rec.file = p->file[0] != '\0' ? p->file : junit_suite_field(p, 1);
	p->case_depth = 0;
	if (p->ntests == TESTREC_MAX_TESTS) {
		junit_fail(p, "more than %d tests", TESTREC_MAX_TESTS);
		return;
	}
	p->ntests++;
	rec.status = p->status;
	rec.duration_us = p->duration_us;
	rec.message = p->has_msg && p->msg.len > 0 ? p->msgbuf : NULL;
	if (p->cb(&rec, p->arg) == -1)
		junit_fail(p, "reading stopped after %zu tests", p->ntests);
}

/* A failure, error or skipped element of the open testcase. */
static void
junit_outcome_open(struct junit_parser *p, enum junit_el el,
    const XML_Char **atts)
{
	const char *message = junit_attr(atts, "message");
	int rank = el == EL_SKIPPED ? 1 : 2;

	if (rank <= p->rank)
		return;
	p->rank = rank;
	p->status = el == EL_SKIPPED ? TEST_SKIPPED : el == EL_FAILURE ?
	    TEST_FAILED : TEST_ERROR;
	testrec_text_init(&p->msg, p->msgbuf, TESTREC_MAX_MESSAGE);
	if (message != NULL) {
		testrec_text_add(&p->msg, message, strlen(message));
		testrec_text_rtrim(&p->msg);
	}
	p->attr_len = p->msg.len;
	p->has_msg = 1;
	p->seen_text = 0;
	p->text_depth = p->depth;
}

static void
junit_outcome_close(struct junit_parser *p)
{
	size_t a = p->attr_len;

	p->text_depth = 0;
	testrec_text_rtrim(&p->msg);
	/* Some tools write the message twice, as attribute and text. */
	if (p->seen_text && a > 0 && p->msg.len == 2 * a + 1 &&
	    memcmp(p->msgbuf, p->msgbuf + a + 1, a) == 0) {
		p->msg.len = a;
		p->msgbuf[a] = '\0';
	}
}

static char *
junit_suite_attr(const XML_Char **atts, const char *name)
{
	const char *value = junit_attr(atts, name);
	char *s;

	if (value == NULL)
		return NULL;
	s = xmalloc(TESTREC_MAX_NAME + 1);
	junit_copy(s, value);
	return s;
}

static void
junit_suite_open(struct junit_suite *s, const XML_Char **atts)
{
	s->name = junit_suite_attr(atts, "name");
	s->file = junit_suite_attr(atts, "file");
}

static void XMLCALL
junit_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct junit_parser *p = ud;
	enum junit_el el = EL_OTHER;
	char quoted[80];

	junit_mark(p);
	if (p->failed)
		return;
	if (p->depth == JUNIT_MAX_DEPTH) {
		junit_fail(p, "elements nested more than %d deep",
		    JUNIT_MAX_DEPTH);
		return;
	}
	p->depth++;
	for (size_t i = 0; i < sizeof junit_els / sizeof junit_els[0]; i++)
		if (strcmp(name, junit_els[i].name) == 0)
			el = junit_els[i].el;
	if (p->depth == 1 && el != EL_TESTSUITES && el != EL_TESTSUITE) {
		log_escape(name, quoted, 64);
		junit_fail(p, "not a JUnit report: the root element is <%s>",
		    quoted);
		return;
	}
	switch (el) {
	case EL_TESTSUITE:
		junit_suite_open(&p->suites[p->depth], atts);
		break;
	case EL_TESTCASE:
		if (p->case_depth == 0)
			junit_case_open(p, atts);
		break;
	case EL_FAILURE:
	case EL_ERROR:
	case EL_SKIPPED:
		if (p->case_depth != 0 && p->depth == p->case_depth + 1)
			junit_outcome_open(p, el, atts);
		break;
	default:
		break;
	}
}

static void XMLCALL
junit_end(void *ud, const XML_Char *name)
{
	struct junit_parser *p = ud;
	struct junit_suite *s;

	(void)name;
	junit_mark(p);
	if (p->failed)
		return;
	if (p->text_depth == p->depth)
		junit_outcome_close(p);
	if (p->case_depth == p->depth)
		junit_case_close(p);
	s = &p->suites[p->depth];
	free(s->name);
	free(s->file);
	s->name = s->file = NULL;
	p->depth--;
}

static void XMLCALL
junit_text(void *ud, const XML_Char *s, int len)
{
	struct junit_parser *p = ud;
	size_t n = (size_t)len;

	junit_mark(p);
	if (p->failed || p->text_depth != p->depth || p->msg.full)
		return;
	if (!p->seen_text) {
		while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' ||
		    *s == '\n')) {
			s++;
			n--;
		}
		if (n == 0)
			return;
		p->seen_text = 1;
		if (p->msg.len > 0)
			testrec_text_add(&p->msg, "\n", 1);
	}
	testrec_text_add(&p->msg, s, n);
}

/* Events we take no interest in still say how far expat got. */
static void XMLCALL
junit_other(void *ud, const XML_Char *s, int len)
{
	(void)s;
	(void)len;
	junit_mark(ud);
}

static void XMLCALL
junit_comment(void *ud, const XML_Char *data)
{
	(void)data;
	junit_mark(ud);
}

static void XMLCALL
junit_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	(void)target;
	(void)data;
	junit_mark(ud);
}

static void XMLCALL
junit_cdata(void *ud)
{
	junit_mark(ud);
}

static void XMLCALL
junit_xmldecl(void *ud, const XML_Char *version, const XML_Char *encoding,
    int standalone)
{
	(void)version;
	(void)encoding;
	(void)standalone;
	junit_mark(ud);
}

/*
 * No DTD at all: entities are how a small file stands for a huge one
 * (billion laughs) or reads another (SYSTEM "file:///etc/passwd"), and a
 * test report needs none.
 */
static void XMLCALL
junit_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	junit_fail(ud, "a DOCTYPE is not allowed in a test report");
}

static void XMLCALL
junit_entity(void *ud, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	(void)name;
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	junit_fail(ud, "entity declarations are not allowed");
}

static int XMLCALL
junit_extref(XML_Parser xp, const XML_Char *context, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid)
{
	(void)xp;
	(void)context;
	(void)base;
	(void)sysid;
	(void)pubid;
	return XML_STATUS_ERROR;
}

struct junit_parser *
junit_new(const char *name, testrec_cb cb, void *arg)
{
	struct junit_parser *p = xcalloc(1, sizeof *p);
	char cut[sizeof p->report];

	struct junit_parser *caller = junit_caller;

	p->cb = cb;
	p->arg = arg;
	snprintf(cut, sizeof cut, "%s", name != NULL ? name : "report");
	log_escape(cut, p->report, sizeof p->report);
	junit_caller = p;
	p->xp = XML_ParserCreate_MM(NULL, &junit_mm, NULL);
	junit_caller = caller;
	if (p->xp == NULL)
		fatalx("expat: out of memory");
	XML_SetUserData(p->xp, p);
	XML_SetElementHandler(p->xp, junit_start, junit_end);
	XML_SetCharacterDataHandler(p->xp, junit_text);
	XML_SetCommentHandler(p->xp, junit_comment);
	XML_SetProcessingInstructionHandler(p->xp, junit_pi);
	XML_SetCdataSectionHandler(p->xp, junit_cdata, junit_cdata);
	XML_SetXmlDeclHandler(p->xp, junit_xmldecl);
	XML_SetDefaultHandlerExpand(p->xp, junit_other);
	XML_SetStartDoctypeDeclHandler(p->xp, junit_doctype);
	XML_SetEntityDeclHandler(p->xp, junit_entity);
	XML_SetExternalEntityRefHandler(p->xp, junit_extref);
	XML_SetParamEntityParsing(p->xp, XML_PARAM_ENTITY_PARSING_NEVER);
	return p;
}

/* expat's own complaint, unless a handler already stopped it. */
static void
junit_parse_failed(struct junit_parser *p)
{
	enum XML_Error code = XML_GetErrorCode(p->xp);

	if (p->failed)
		return;
	if (code == XML_ERROR_NO_MEMORY)
		junit_fail(p, "reading it takes more than %d MiB",
		    JUNIT_MAX_MEMORY / (1024 * 1024));
	else
		junit_fail(p, "%s", XML_ErrorString(code));
}

int
junit_feed(struct junit_parser *p, const char *data, size_t len)
{
	/* A callback may feed a parser of its own: put the caller back. */
	struct junit_parser *caller = junit_caller;
	int ok;

	while (len > 0 && !p->failed) {
		size_t n = len < JUNIT_CHUNK ? len : JUNIT_CHUNK;

		junit_caller = p;
		p->parsing = 1;
		ok = XML_Parse(p->xp, data, (int)n, XML_FALSE) ==
		    XML_STATUS_OK;
		p->parsing = 0;
		junit_caller = caller;
		if (!ok)
			junit_parse_failed(p);
		p->fed += (long long)n;
		if (!p->failed && p->fed - p->parsed > JUNIT_MAX_TOKEN)
			junit_fail(p, "a tag, comment or declaration of more "
			    "than %d bytes", JUNIT_MAX_TOKEN);
		data += n;
		len -= n;
	}
	return p->failed ? -1 : 0;
}

int
junit_finish(struct junit_parser *p, char *err, size_t errsize)
{
	struct junit_parser *caller = junit_caller;
	int ok;

	if (!p->failed) {
		junit_caller = p;
		p->parsing = 1;
		ok = XML_Parse(p->xp, NULL, 0, XML_TRUE) == XML_STATUS_OK;
		p->parsing = 0;
		junit_caller = caller;
		if (!ok)
			junit_parse_failed(p);
	}
	if (!p->failed)
		return 0;
	if (errsize > 0)
		snprintf(err, errsize, "%s", p->err);
	return -1;
}

void
junit_free(struct junit_parser *p)
{
	if (p == NULL)
		return;
	/* Only frees: no caller needed. */
	XML_ParserFree(p->xp);
	for (size_t i = 0; i <= JUNIT_MAX_DEPTH; i++) {
		free(p->suites[i].name);
		free(p->suites[i].file);
	}
	free(p);
}

size_t
junit_peak_memory(const struct junit_parser *p)
{
	return p->peak;
}

/* SPDX-License-Identifier: MIT */
/*
 * testrec.c - what the report readers share: the names of the statuses,
 * and text kept within a bound as it streams in.
 */
#include <string.h>

#include "testrec.h"
#include "util.h"

static const char *const testrec_names[] = {
	[TEST_PASSED] = "passed",
	[TEST_FAILED] = "failed",
	[TEST_ERROR] = "error",
	[TEST_SKIPPED] = "skipped",
};

#define TESTREC_NSTATUS (sizeof testrec_names / sizeof testrec_names[0])

char *
testrec_key(const char *suite, const char *name)
{
	size_t n = suite != NULL ? strlen(suite) : 0;
	char *key;

	if (n == 0 || (strncmp(name, suite, n) == 0 && name[n] == '.'))
		return xstrdup(name);
	xasprintf(&key, "%s.%s", suite, name);
	return key;
}

const char *
testrec_status_name(enum test_status status)
{
	if ((unsigned)status >= TESTREC_NSTATUS)
		return NULL;
	return testrec_names[status];
}

int
testrec_status_parse(const char *name, enum test_status *out)
{
	for (size_t i = 0; i < TESTREC_NSTATUS; i++) {
		if (strcmp(name, testrec_names[i]) == 0) {
			*out = (enum test_status)i;
			return 0;
		}
	}
	return -1;
}

static int
testrec_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int64_t
testrec_parse_us(const char *s, size_t len, int unit_exp)
{
	const char *e = s + len;
	uint64_t mant = 0;
	int exp10 = unit_exp, digits = 0, x = 0, xneg = 0;

	while (s < e && testrec_blank(*s))
		s++;
	while (e > s && testrec_blank(e[-1]))
		e--;
	/* Digits past 17 only scale the value: no overflow. */
	for (; s < e && *s >= '0' && *s <= '9'; s++, digits++) {
		if (mant < 100000000000000000ULL)
			mant = mant * 10 + (uint64_t)(*s - '0');
		else
			exp10++;
	}
	if (s < e && *s == '.') {
		for (s++; s < e && *s >= '0' && *s <= '9'; s++, digits++) {
			if (mant < 100000000000000000ULL) {
				mant = mant * 10 + (uint64_t)(*s - '0');
				exp10--;
			}
		}
	}
	if (digits == 0)
		return -1;
	if (s < e && (*s == 'e' || *s == 'E')) {
		if (++s < e && (*s == '-' || *s == '+'))
			xneg = *s++ == '-';
		if (s == e)
			return -1;
		for (; s < e && *s >= '0' && *s <= '9'; s++)
			if (x < 1000)
				x = x * 10 + (*s - '0');
		exp10 += xneg ? -x : x;
	}
	if (s != e)
		return -1;
	for (; exp10 > 0 && mant > 0; exp10--) {
		if (mant > (uint64_t)TESTREC_MAX_DURATION_US)
			return -1;
		mant *= 10;
	}
	/* Rounded at the last digit dropped. */
	for (; exp10 < -1 && mant > 0; exp10++)
		mant /= 10;
	if (exp10 == -1)
		mant = (mant + 5) / 10;
	if (mant > (uint64_t)TESTREC_MAX_DURATION_US)
		return -1;
	return (int64_t)mant;
}

void
testrec_text_init(struct testrec_text *t, char *buf, size_t max)
{
	t->buf = buf;
	t->len = 0;
	t->max = max;
	t->full = 0;
	buf[0] = '\0';
}

/* Append n bytes if they fit; otherwise the text is full from now on. */
static int
text_put(struct testrec_text *t, const char *s, size_t n)
{
	if (t->max - t->len < n) {
		t->full = 1;
		return -1;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	return 0;
}

void
testrec_text_add(struct testrec_text *t, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, n;

	while (i < len && !t->full) {
		/* Mostly ASCII: copy runs of it at once. */
		for (run = i; run < len && u[run] != 0 && u[run] < 0x80; run++)
			;
		if (run > i) {
			n = run - i;
			if (n > t->max - t->len) {
				/* ASCII cuts anywhere. */
				n = t->max - t->len;
				t->full = 1;
			}
			memcpy(t->buf + t->len, s + i, n);
			t->len += n;
			i = run;
			continue;
		}
		n = utf8_seq_len(u + i, len - i);
		if (n == 0) {
			/* Not UTF-8, or NUL: U+FFFD stands for the byte. */
			if (text_put(t, "\xef\xbf\xbd", 3) == -1)
				break;
			i++;
		} else {
			if (text_put(t, s + i, n) == -1)
				break;
			i += n;
		}
	}
	t->buf[t->len] = '\0';
}

void
testrec_text_rtrim(struct testrec_text *t)
{
	while (t->len > 0 && testrec_blank(t->buf[t->len - 1]))
		t->len--;
	t->buf[t->len] = '\0';
}

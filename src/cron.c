/* SPDX-License-Identifier: MIT */
/*
 * cron.c - five-field cron expressions: crontab(5)'s small grammar
 * without its "@" macros, and the search for the next minute one names.
 * The search moves a local clock reading forward over whole months, days
 * and hours that cannot match, so that even an expression that never
 * does ("0 0 31 2 *") costs a couple of thousand steps, not five years of
 * minutes; only a reading that matches is turned into a time, since that
 * is where daylight saving time can make it wrong.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "util.h"

#define CRON_QUOTE_BYTES 32	/* of the text a message quotes */
#define CRON_MAX_DIGITS 3	/* "005" is 5, "0005" is refused */
#define CRON_BLANKS " \t"

/* What one of the five fields may hold. */
struct cron_field {
	const char *name;		/* as a message says it */
	int min, max;			/* what a number may be */
	int last;			/* where "*" and "N/S" stop */
	const char *const *names;	/* three-letter names, or NULL */
	int first_name;			/* the value of names[0] */
};

static const char *const cron_month_names[] = { "jan", "feb", "mar",
    "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const cron_day_names[] = { "sun", "mon", "tue", "wed",
    "thu", "fri", "sat", NULL };

static const struct cron_field cron_fields[] = {
	{ "minute", 0, 59, 59, NULL, 0 },
	{ "hour", 0, 23, 23, NULL, 0 },
	{ "day-of-month", 1, 31, 31, NULL, 0 },
	{ "month", 1, 12, 12, cron_month_names, 1 },
	/* 7 is Sunday too, but "*" would not need it twice. */
	{ "day-of-week", 0, 7, 6, cron_day_names, 0 },
};

/* A local clock reading, to the minute, and the day of the week it is. */
struct cron_clock {
	long long year;		/* in full: 2026 */
	int mon;		/* 1-12 */
	int mday, hour, min;
	int wday;		/* 0-6, 0 is Sunday */
};

/* "F field 'TEXT': " and what fmt says, in err; -1. */
static int __attribute__((format(printf, 6, 7)))
cron_fail(const struct cron_field *f, const char *s, size_t len, char *err,
    size_t errsize, const char *fmt, ...)
{
	char quoted[CRON_QUOTE_BYTES * 6 + 4], why[128];
	va_list ap;

	log_escape_cut(s, len, CRON_QUOTE_BYTES, quoted, sizeof quoted);
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(err, errsize, "%s field '%s': %s", f->name, quoted, why);
	return -1;
}

/* The digits at *p, moved past them: the number, or -1 with *why said. */
static int
cron_number(const char **p, const char *end, const char **why)
{
	const char *s = *p;
	int v = 0;

	if (s == end || *s < '0' || *s > '9') {
		*why = "expected a number";
		return -1;
	}
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (s - *p == CRON_MAX_DIGITS) {
			*why = "too many digits";
			return -1;
		}
		v = v * 10 + (*s - '0');
	}
	*p = s;
	return v;
}

/*
 * The number or, where f has names, the name at *p, moved past it: its
 * value (not yet checked against f's range), or -1 with *why said.
 */
static int
cron_value(const struct cron_field *f, const char **p, const char *end,
    const char **why)
{
	const char *s = *p;

	if (f->names == NULL || s == end || (*s >= '0' && *s <= '9'))
		return cron_number(p, end, why);
	while (s < end && ((*s >= 'a' && *s <= 'z') ||
	    (*s >= 'A' && *s <= 'Z')))
		s++;
	if (s == *p) {
		*why = "expected a number or a name";
		return -1;
	}
	for (int i = 0; f->names[i] != NULL; i++) {
		if (s - *p == 3 && strncasecmp(*p, f->names[i], 3) == 0) {
			*p = s;
			return f->first_name + i;
		}
	}
	*why = f->first_name == 1 ? "not a month's name (jan-dec)" :
	    "not a day's name (sun-sat)";
	return -1;
}

/* One list item of field f, len bytes at s, added to *set: 0, or -1. */
static int
cron_item(const struct cron_field *f, const char *s, size_t len,
    uint64_t *set, char *err, size_t errsize)
{
	const char *p = s, *end = s + len, *why;
	int lo, hi, step = 1;

	if (*p == '*') {
		lo = f->min;
		hi = f->last;
		p++;
	} else {
		if ((lo = cron_value(f, &p, end, &why)) == -1)
			return cron_fail(f, s, len, err, errsize, "%s", why);
		hi = lo;
		if (p < end && *p == '-') {
			p++;
			if ((hi = cron_value(f, &p, end, &why)) == -1)
				return cron_fail(f, s, len, err, errsize, "%s",
				    why);
		} else if (p < end && *p == '/')
			hi = lo > f->last ? lo : f->last;
		if (lo < f->min || lo > f->max || hi < f->min || hi > f->max)
			return cron_fail(f, s, len, err, errsize,
			    "out of range %d-%d", f->min, f->max);
		if (lo > hi)
			return cron_fail(f, s, len, err, errsize,
			    "the range is reversed (%d > %d)", lo, hi);
	}
	if (p < end && *p == '/') {
		p++;
		if ((step = cron_number(&p, end, &why)) == -1)
			return cron_fail(f, s, len, err, errsize, "step: %s",
			    why);
		if (step < 1 || step > f->last - f->min + 1)
			return cron_fail(f, s, len, err, errsize,
			    "step out of range 1-%d", f->last - f->min + 1);
	}
	if (p != end)
		return cron_fail(f, s, len, err, errsize, "unexpected '%c' "
		    "(a list item is *, N or N-M, then maybe /STEP)",
		    *p >= ' ' && *p < 0x7f ? *p : '?');
	for (int v = lo; v <= hi; v += step)
		*set |= (uint64_t)1 << v;
	return 0;
}

/* Field f, len bytes at s, a comma-separated list, into *set: 0, or -1. */
static int
cron_field(const struct cron_field *f, const char *s, size_t len,
    uint64_t *set, char *err, size_t errsize)
{
	const char *item = s, *end = s + len, *comma;

	*set = 0;
	for (;;) {
		comma = memchr(item, ',', (size_t)(end - item));
		if (comma == NULL)
			comma = end;
		if (comma == item)
			return cron_fail(f, s, len, err, errsize,
			    "an empty list item");
		if (cron_item(f, item, (size_t)(comma - item), set, err,
		    errsize) == -1)
			return -1;
		if (comma == end)
			return 0;
		item = comma + 1;
	}
}

int
cron_parse(struct cron *c, const char *text, char *err, size_t errsize)
{
	const char *p = text, *field[5];
	size_t len[5], n = 0, l;
	uint64_t set[5];
	char quoted[CRON_QUOTE_BYTES * 6 + 4];

	memset(c, 0, sizeof *c);
	p += strspn(p, CRON_BLANKS);
	if (*p == '@') {
		l = strcspn(p, CRON_BLANKS);
		log_escape_cut(p, l, CRON_QUOTE_BYTES, quoted, sizeof quoted);
		snprintf(err, errsize, "'%s': macros are not supported, write "
		    "the five fields (\"0 0 * * *\" for '@daily')", quoted);
		return -1;
	}
	/* Count every field, so that the message says how many there are. */
	while (*p != '\0') {
		l = strcspn(p, CRON_BLANKS);
		if (n < 5) {
			field[n] = p;
			len[n] = l;
		}
		n++;
		p += l;
		p += strspn(p, CRON_BLANKS);
	}
	if (n != 5) {
		snprintf(err, errsize, "%zu field%s, expected 5: minute, "
		    "hour, day-of-month, month and day-of-week", n,
		    n == 1 ? "" : "s");
		return -1;
	}
	for (size_t i = 0; i < 5; i++) {
		if (cron_field(&cron_fields[i], field[i], len[i], &set[i], err,
		    errsize) == -1)
			return -1;
	}
	c->minutes = set[0];
	c->hours = (uint32_t)set[1];
	c->mdays = (uint32_t)set[2];
	c->months = (uint16_t)set[3];
	c->wdays = (uint8_t)((set[4] | set[4] >> 7) & 0x7f);
	c->mdays_restricted = field[2][0] != '*';
	c->wdays_restricted = field[4][0] != '*';
	return 0;
}

static int
cron_month_days(long long year, int mon)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (mon == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[mon - 1];
}

/* The first value from "from" to 'last' in set, or -1. */
static int
cron_first(uint64_t set, int from, int last)
{
	for (int v = from; v <= last; v++) {
		if (set >> v & 1)
			return v;
	}
	return -1;
}

/* Vixie cron's rule for the two day fields (cron.h). */
static int
cron_day_matches(const struct cron *c, const struct cron_clock *k)
{
	int mday = c->mdays >> k->mday & 1, wday = c->wdays >> k->wday & 1;

	if (c->mdays_restricted && c->wdays_restricted)
		return mday || wday;
	return mday && wday;
}

static void
cron_next_month(struct cron_clock *k)
{
	k->wday = (k->wday + cron_month_days(k->year, k->mon) - k->mday + 1) %
	    7;
	k->mday = 1;
	k->hour = k->min = 0;
	if (++k->mon > 12) {
		k->mon = 1;
		k->year++;
	}
}

static void
cron_next_day(struct cron_clock *k)
{
	if (k->mday == cron_month_days(k->year, k->mon)) {
		cron_next_month(k);
		return;
	}
	k->mday++;
	k->wday = (k->wday + 1) % 7;
	k->hour = k->min = 0;
}

static void
cron_next_hour(struct cron_clock *k)
{
	k->min = 0;
	if (++k->hour > 23)
		cron_next_day(k);
}

static void
cron_next_minute(struct cron_clock *k)
{
	if (++k->min > 59)
		cron_next_hour(k);
}

/* Whether k's day is after the day of limit. */
static int
cron_past(const struct cron_clock *k, const struct cron_clock *limit)
{
	if (k->year != limit->year)
		return k->year > limit->year;
	if (k->mon != limit->mon)
		return k->mon > limit->mon;
	return k->mday > limit->mday;
}

/*
 * The time at which the clock reads k, after "after": 0, or -1 if the
 * clock skips k or reads it only earlier.  Asking mktime for k both in
 * standard and in daylight saving time finds both passes of a repeated
 * hour; reading the result back shows which asks named a real reading
 * (mktime moves one in a skipped hour elsewhere rather than failing).
 */
static int
cron_time(const struct cron_clock *k, time_t after, time_t *t)
{
	struct tm tm, back;
	time_t u;
	int found = 0;

	for (int dst = 0; dst <= 1; dst++) {
		memset(&tm, 0, sizeof tm);
		tm.tm_year = (int)(k->year - 1900);
		tm.tm_mon = k->mon - 1;
		tm.tm_mday = k->mday;
		tm.tm_hour = k->hour;
		tm.tm_min = k->min;
		tm.tm_isdst = dst;
		/* -1 could be a time, but not one at a whole minute. */
		if ((u = mktime(&tm)) == (time_t)-1 || u <= after ||
		    localtime_r(&u, &back) == NULL)
			continue;
		if (back.tm_year + 1900LL != k->year ||
		    back.tm_mon + 1 != k->mon || back.tm_mday != k->mday ||
		    back.tm_hour != k->hour || back.tm_min != k->min ||
		    back.tm_sec != 0)
			continue;
		if (!found || u < *t)
			*t = u;
		found = 1;
	}
	return found ? 0 : -1;
}

int
cron_next(const struct cron *c, time_t after, time_t *next)
{
	struct tm tm;
	struct cron_clock k, limit;
	int v;

	/* Room for the years the search may look at in tm_year. */
	if (localtime_r(&after, &tm) == NULL ||
	    tm.tm_year > INT_MAX - CRON_MAX_YEARS - 2)
		return -1;
	k = (struct cron_clock){ tm.tm_year + 1900LL, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_wday };
	limit = k;
	limit.year += CRON_MAX_YEARS;
	cron_next_minute(&k);
	while (!cron_past(&k, &limit)) {
		if (!(c->months >> k.mon & 1)) {
			cron_next_month(&k);
			continue;
		}
		if (!cron_day_matches(c, &k)) {
			cron_next_day(&k);
			continue;
		}
		if ((v = cron_first(c->hours, k.hour, 23)) == -1) {
			cron_next_day(&k);
			continue;
		}
		if (v != k.hour) {
			k.hour = v;
			k.min = 0;
		}
		if ((v = cron_first(c->minutes, k.min, 59)) == -1) {
			cron_next_hour(&k);
			continue;
		}
		k.min = v;
		if (cron_time(&k, after, next) == 0)
			return 0;
		cron_next_minute(&k);
	}
	return -1;
}

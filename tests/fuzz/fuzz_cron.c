/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cron.c - libFuzzer target for cron expressions (cron.h).  The bytes,
 * up to a NUL and at most FUZZ_CRON_MAX of them, are an expression: either
 * refused with a message and the struct left zero, or parsed into sets that
 * stay within their fields.  A parsed one is then searched from a time
 * drawn from the bytes and from around two clock changes of a time zone
 * also drawn from them; each next time must be later, a whole local minute
 * and a match, and no reading in between may have been a match that the
 * search passed over (cron.h says which ones a clock change may skip).
 * When there is none, no day in the five years may show a matching reading.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"

#define FUZZ_CRON_MAX 256
#define FUZZ_CRON_CHAIN 3	/* next times searched from each start */
#define FUZZ_CRON_WINDOW (24 * 60 * 60)	/* a gap checked minute by minute */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Zones with a clock change of every kind, each with two changes. */
static const struct fuzz_zone {
	const char *tz;
	int changes[2][5];	/* UTC year, month, day, hour, minute */
} fuzz_zones[] = {
	{ "UTC", { { 2024, 2, 28, 12, 0 }, { 2023, 12, 31, 23, 0 } } },
	/* An hour forward and back. */
	{ "Europe/Berlin", { { 2024, 3, 31, 1, 0 }, { 2024, 10, 27, 1, 0 } } },
	{ "America/New_York", { { 2024, 3, 10, 7, 0 },
	    { 2024, 11, 3, 6, 0 } } },
	/* Its daylight saving time in winter, as tzdata says it. */
	{ "Europe/Dublin", { { 2024, 3, 31, 1, 0 }, { 2024, 10, 27, 1, 0 } } },
	/* Half an hour. */
	{ "Australia/Lord_Howe", { { 2024, 4, 6, 15, 0 },
	    { 2024, 10, 5, 15, 30 } } },
	/* A whole day skipped (30 December 2011), and an hour back. */
	{ "Pacific/Apia", { { 2011, 12, 30, 10, 0 }, { 2021, 4, 3, 14, 0 } } },
};

static void
check(int ok)
{
	if (!ok)
		abort();
}

static time_t
utc(const int t[5])
{
	struct tm tm = { .tm_year = t[0] - 1900, .tm_mon = t[1] - 1,
	    .tm_mday = t[2], .tm_hour = t[3], .tm_min = t[4] };

	return timegm(&tm);
}

/* A local reading as one number that orders readings, to the minute. */
static long long
reading(const struct tm *tm)
{
	return ((((tm->tm_year * 13LL + tm->tm_mon) * 32 + tm->tm_mday) * 24 +
	    tm->tm_hour) * 60) + tm->tm_min;
}

/* Whether a day matches, as cron.h says. */
static int
day_matches(const struct cron *c, const struct tm *tm)
{
	int mday = c->mdays >> tm->tm_mday & 1;
	int wday = c->wdays >> tm->tm_wday & 1;

	if (!(c->months >> (tm->tm_mon + 1) & 1))
		return 0;
	if (c->mdays_restricted && c->wdays_restricted)
		return mday || wday;
	return mday && wday;
}

static int
matches(const struct cron *c, const struct tm *tm)
{
	return (c->minutes >> tm->tm_min & 1) &&
	    (c->hours >> tm->tm_hour & 1) && day_matches(c, tm);
}

/* The sets, and the day fields restricted when they do not start '*'. */
static void
check_parsed(const struct cron *c, const char *text)
{
	const char *p = text;

	check(c->minutes != 0 && c->minutes >> 60 == 0);
	check(c->hours != 0 && c->hours >> 24 == 0);
	check(c->mdays != 0 && !(c->mdays & 1));
	check(c->months != 0 && !(c->months & 1) && c->months >> 13 == 0);
	check(c->wdays != 0 && c->wdays >> 7 == 0);
	for (int i = 0; i < 5; i++) {
		p += strspn(p, " \t");
		if (i == 2)
			check(c->mdays_restricted == (*p != '*'));
		if (i == 4)
			check(c->wdays_restricted == (*p != '*'));
		p += strcspn(p, " \t");
	}
}

/*
 * next, found after "after": a later whole local minute that matches,
 * with no new reading in between that matched.
 */
static void
check_next(const struct cron *c, time_t after, time_t next)
{
	struct tm tm;
	long long seen;

	check(next > after);
	check(localtime_r(&next, &tm) != NULL);
	check(tm.tm_sec == 0 && matches(c, &tm));
	if (next - after > FUZZ_CRON_WINDOW)
		return;
	/* These zones' offsets are whole minutes from 1970 on. */
	check(localtime_r(&after, &tm) != NULL);
	seen = reading(&tm);
	for (time_t t = after - after % 60 + 60; t < next; t += 60) {
		check(localtime_r(&t, &tm) != NULL);
		if (reading(&tm) <= seen)
			continue;	/* a repeated reading */
		check(!matches(c, &tm));
		seen = reading(&tm);
	}
}

/* Whether the clock reads a matching minute on the day of *day. */
static int
day_has_match(const struct cron *c, const struct tm *day)
{
	struct tm tm;
	struct tm midnight = *day;
	time_t t0;

	midnight.tm_hour = 0;
	t0 = timegm(&midnight);
	/* Offsets are within a day: from -12 to +14 hours. */
	for (time_t t = t0 - 15 * 3600; t < t0 + 39 * 3600; t += 60) {
		check(localtime_r(&t, &tm) != NULL);
		if (tm.tm_year == day->tm_year && tm.tm_mon == day->tm_mon &&
		    tm.tm_mday == day->tm_mday && matches(c, &tm))
			return 1;
	}
	return 0;
}

/*
 * No next time after "after": no day from the next one to five years on
 * may match, but for the few a clock change swallows whole or in part.
 */
static void
check_none(const struct cron *c, time_t after)
{
	struct tm tm, day;
	int found = 0;

	check(localtime_r(&after, &tm) != NULL);
	for (int i = 1; i < CRON_MAX_YEARS * 365; i++) {
		day = (struct tm){ .tm_year = tm.tm_year, .tm_mon = tm.tm_mon,
		    .tm_mday = tm.tm_mday + i, .tm_hour = 12 };
		timegm(&day);
		if (!day_matches(c, &day))
			continue;
		check(++found <= 2 * CRON_MAX_YEARS + 1);
		check(!day_has_match(c, &day));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cron zero;
	const struct fuzz_zone *z;
	char text[FUZZ_CRON_MAX + 1], err[256];
	struct cron c;
	uint64_t hash = 14695981039346656037ULL;
	time_t start[3], after, next;

	if (size > FUZZ_CRON_MAX)
		size = FUZZ_CRON_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cron_parse(&c, text, err, sizeof err) == -1) {
		check(err[0] != '\0');
		check(memcmp(&c, &zero, sizeof c) == 0);
		return 0;
	}
	check_parsed(&c, text);

	for (size_t i = 0; i < size; i++)
		hash = (hash ^ data[i]) * 1099511628211ULL;
	z = &fuzz_zones[hash % (sizeof fuzz_zones / sizeof fuzz_zones[0])];
	setenv("TZ", z->tz, 1);
	tzset();
	/* Some time from 2000 to 2040, and from a day before each change. */
	start[0] = 946684800 + (time_t)(hash >> 8 & 0xffffffff) % 1262304000;
	start[1] = utc(z->changes[0]) - (time_t)(hash >> 40 & 0xffff) % 86400;
	start[2] = utc(z->changes[1]) - (time_t)(hash >> 24 & 0xffff) % 86400;
	for (size_t i = 0; i < 3; i++) {
		after = start[i];
		for (int k = 0; k < FUZZ_CRON_CHAIN; k++) {
			if (cron_next(&c, after, &next) == -1) {
				check_none(&c, after);
				break;
			}
			check_next(&c, after, next);
			after = next;
		}
	}
	return 0;
}

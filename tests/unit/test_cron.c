/* SPDX-License-Identifier: MIT */
/*
 * test_cron.c - five-field cron expressions (cron.c): each syntax form,
 * names and 7 as Sunday, each kind of refusal, and the next matching time
 * across days, months and years, with Vixie cron's rule for the two day
 * fields, an impossible date, and daylight saving time in Europe/Berlin.
 * Times are worked out in UTC unless a test says otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cron.h"

#define BERLIN "/usr/share/zoneinfo/Europe/Berlin"

static void
use_zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* A time given as its UTC reading. */
static time_t
utc(int year, int mon, int mday, int hour, int min)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon - 1,
	    .tm_mday = mday, .tm_hour = hour, .tm_min = min };

	return timegm(&tm);
}

/* The set with the values from lo to hi, every step. */
static uint64_t
bits(int lo, int hi, int step)
{
	uint64_t set = 0;

	for (int v = lo; v <= hi; v += step)
		set |= (uint64_t)1 << v;
	return set;
}

static void
parsed(const char *text, struct cron *c)
{
	char err[256];

	if (cron_parse(c, text, err, sizeof err) == -1)
		fail_msg("'%s' refused: %s", text, err);
}

static void
test_syntax(void **state)
{
	struct cron c;

	(void)state;
	parsed("* * * * *", &c);
	assert_true(c.minutes == bits(0, 59, 1));
	assert_true(c.hours == bits(0, 23, 1));
	assert_true(c.mdays == bits(1, 31, 1));
	assert_true(c.months == bits(1, 12, 1));
	assert_true(c.wdays == bits(0, 6, 1));
	assert_false(c.mdays_restricted);
	assert_false(c.wdays_restricted);

	parsed("5 4 3 2 1", &c);
	assert_true(c.minutes == bits(5, 5, 1));
	assert_true(c.hours == bits(4, 4, 1));
	assert_true(c.mdays == bits(3, 3, 1));
	assert_true(c.months == bits(2, 2, 1));
	assert_true(c.wdays == bits(1, 1, 1));
	assert_true(c.mdays_restricted);
	assert_true(c.wdays_restricted);

	/* Ranges, steps over "*", a range and "N/S", and lists of them. */
	parsed("*/15 9-17 1-31/10 3/4 1-5", &c);
	assert_true(c.minutes == bits(0, 45, 15));
	assert_true(c.hours == bits(9, 17, 1));
	assert_true(c.mdays == (bits(1, 1, 1) | bits(11, 11, 1) |
	    bits(21, 21, 1) | bits(31, 31, 1)));
	assert_true(c.months == (bits(3, 3, 1) | bits(7, 7, 1) |
	    bits(11, 11, 1)));
	assert_true(c.wdays == bits(1, 5, 1));

	parsed("0,30,45-47,50/5 */6,1 29-31 * */2", &c);
	assert_true(c.minutes == (bits(0, 0, 1) | bits(30, 30, 1) |
	    bits(45, 47, 1) | bits(50, 55, 5)));
	assert_true(c.hours == (bits(0, 18, 6) | bits(1, 1, 1)));
	assert_true(c.wdays == bits(0, 6, 2));
	/* A step after '*' leaves the field unrestricted, as in Vixie cron. */
	assert_false(c.wdays_restricted);
	assert_true(c.mdays_restricted);

	/* Blanks: any run of spaces and tabs, at either end too. */
	parsed(" \t05  4\t\t3 2 1 \t", &c);
	assert_true(c.minutes == bits(5, 5, 1));
	assert_true(c.wdays == bits(1, 1, 1));

	/* A step as large as the field is allowed: one value. */
	parsed("*/60 */24 */31 */12 */7", &c);
	assert_true(c.minutes == 1);
	assert_true(c.hours == 1);
	assert_true(c.mdays == bits(1, 1, 1));
	assert_true(c.months == bits(1, 1, 1));
	assert_true(c.wdays == 1);
}

static void
test_names(void **state)
{
	struct cron c;

	(void)state;
	parsed("0 0 * JAN-mar,Dec Mon-FRI", &c);
	assert_true(c.months == (bits(1, 3, 1) | bits(12, 12, 1)));
	assert_true(c.wdays == bits(1, 5, 1));

	parsed("0 0 * feb/3 sun,sat", &c);
	assert_true(c.months == bits(2, 11, 3));
	assert_true(c.wdays == (bits(0, 0, 1) | bits(6, 6, 1)));

	parsed("0 0 * jan-dec/6 mon-sat", &c);
	assert_true(c.months == (bits(1, 1, 1) | bits(7, 7, 1)));
	assert_true(c.wdays == bits(1, 6, 1));
}

static void
test_sunday_as_seven(void **state)
{
	struct cron c;

	(void)state;
	parsed("0 0 * * 7", &c);
	assert_true(c.wdays == bits(0, 0, 1));
	parsed("0 0 * * 5-7", &c);
	assert_true(c.wdays == (bits(0, 0, 1) | bits(5, 6, 1)));
	parsed("0 0 * * 0,7", &c);
	assert_true(c.wdays == bits(0, 0, 1));
	parsed("0 0 * * 1-7/2", &c);
	assert_true(c.wdays == (bits(1, 5, 2) | bits(0, 0, 1)));
	/* "N/S" stops at Saturday, so that no Sunday comes in through 7. */
	parsed("0 0 * * 1/2", &c);
	assert_true(c.wdays == bits(1, 5, 2));
	parsed("0 0 * * 7/3", &c);
	assert_true(c.wdays == bits(0, 0, 1));
}

/* text is refused with a message holding want, and c left all zero. */
static void
refused(const char *text, const char *want)
{
	static const struct cron zero;
	struct cron c;
	char err[256];

	memset(&c, 0xff, sizeof c);
	if (cron_parse(&c, text, err, sizeof err) != -1)
		fail_msg("'%s' accepted", text);
	if (strstr(err, want) == NULL)
		fail_msg("'%s': '%s' does not say '%s'", text, err, want);
	assert_memory_equal(&c, &zero, sizeof c);
}

static void
test_refused(void **state)
{
	char err[256];
	struct cron c;

	(void)state;
	refused("", "0 fields, expected 5: minute, hour");
	refused(" \t ", "0 fields");
	refused("*", "1 field, expected 5");
	refused("* * * *", "4 fields");
	refused("* * * * * *", "6 fields");
	refused("0 0 * * * /bin/true", "6 fields");
	refused("@daily", "'@daily': macros are not supported");
	refused("  @reboot", "'@reboot'");

	/* The whole message, for a couple. */
	assert_int_equal(cron_parse(&c, "61 * * * *", err, sizeof err), -1);
	assert_string_equal(err, "minute field '61': out of range 0-59");
	assert_int_equal(cron_parse(&c, "0 0 1,,2 * *", err, sizeof err), -1);
	assert_string_equal(err, "day-of-month field '1,,2': an empty list "
	    "item");
	assert_int_equal(cron_parse(&c, "*/0 * * * *", err, sizeof err), -1);
	assert_string_equal(err, "minute field '*/0': step out of range 1-60");

	/* Out of range, each field at both ends. */
	refused("60 * * * *", "minute field '60': out of range 0-59");
	refused("1-60 * * * *", "minute field '1-60': out of range 0-59");
	refused("* 24 * * *", "hour field '24': out of range 0-23");
	refused("* * 0 * *", "day-of-month field '0': out of range 1-31");
	refused("* * 32 * *", "out of range 1-31");
	refused("* * * 0 *", "month field '0': out of range 1-12");
	refused("* * * 13 *", "out of range 1-12");
	refused("* * * * 8", "day-of-week field '8': out of range 0-7");
	refused("* * 31/1 * 8/1", "out of range 0-7");

	/* Empty items. */
	refused(",1 * * * *", "minute field ',1': an empty list item");
	refused("1, * * * *", "an empty list item");
	refused("* * * * ,", "day-of-week field ',': an empty list item");

	/* Steps. */
	refused("*/61 * * * *", "step out of range 1-60");
	refused("* */25 * * *", "hour field '*/25': step out of range 1-24");
	refused("* * * * */8", "step out of range 1-7");
	refused("1/ * * * *", "step: expected a number");
	refused("1-5/x * * * *", "step: expected a number");
	refused("*/-1 * * * *", "step: expected a number");
	refused("1/2/3 * * * *", "unexpected '/'");

	/* Ranges. */
	refused("5-1 * * * *", "minute field '5-1': the range is reversed "
	    "(5 > 1)");
	refused("* * * dec-jan *", "the range is reversed (12 > 1)");
	/* "sun" is 0, so it cannot end a range. */
	refused("* * * * sat-sun", "the range is reversed (6 > 0)");
	refused("1- * * * *", "minute field '1-': expected a number");
	refused("-1 * * * *", "expected a number");
	refused("1-2-3 * * * *", "unexpected '-'");

	/* Junk, names where there are none, and unknown names. */
	refused("1x * * * *", "minute field '1x': unexpected 'x'");
	refused("*5 * * * *", "unexpected '5'");
	refused("** * * * *", "unexpected '*'");
	refused("? * * * *", "expected a number");
	refused("* * jan * *", "day-of-month field 'jan': expected a number");
	refused("* * * foo *", "month field 'foo': not a month's name");
	refused("* * * january *", "not a month's name");
	refused("* * * * sunday", "day-of-week field 'sunday': not a day's");
	refused("* * * * -", "expected a number or a name");
	refused("* * * * mon-", "expected a number");

	/* Numbers too long to mean anything are refused before they grow. */
	refused("0005 * * * *", "minute field '0005': too many digits");
	refused("99999999999999999999999 * * * *", "too many digits");
	refused("*/99999999999999999999 * * * *", "step: too many digits");
	refused("1-4294967297 * * * *", "too many digits");

	/* What cannot be shown is escaped, and a long field cut short. */
	refused("0 0 * * 1\n", "day-of-week field '1\\n': unexpected '?'");
	refused("0 0 * * 1\033[31m", "'1\\x1b[31m'");
	refused("0 0 * * 1,22222222222222222222222222222222222222",
	    "'22222222222222222222222222222222...': too many digits");
}

static void
next_is(const char *text, time_t after, time_t want)
{
	struct cron c;
	time_t next;

	parsed(text, &c);
	assert_int_equal(cron_next(&c, after, &next), 0);
	if (next != want)
		fail_msg("'%s' after %lld: %lld, expected %lld", text,
		    (long long)after, (long long)next, (long long)want);
}

static void
none(const char *text, time_t after)
{
	struct cron c;
	time_t next = 12345;

	parsed(text, &c);
	assert_int_equal(cron_next(&c, after, &next), -1);
	assert_int_equal(next, 12345);
}

static void
test_next(void **state)
{
	(void)state;
	use_zone("UTC");
	/* The next whole minute, strictly after. */
	next_is("* * * * *", utc(2026, 1, 1, 10, 0), utc(2026, 1, 1, 10, 1));
	next_is("* * * * *", utc(2026, 1, 1, 10, 0) + 30,
	    utc(2026, 1, 1, 10, 1));
	next_is("* * * * *", utc(2026, 1, 1, 10, 0) - 1,
	    utc(2026, 1, 1, 10, 0));
	next_is("*/15 * * * *", utc(2026, 1, 1, 10, 0),
	    utc(2026, 1, 1, 10, 15));
	next_is("*/15 * * * *", utc(2026, 1, 1, 10, 46),
	    utc(2026, 1, 1, 11, 0));
	next_is("*/15 * * * *", utc(2026, 12, 31, 23, 59),
	    utc(2027, 1, 1, 0, 0));
	/* Over a day's end and a year's. */
	next_is("0 3 * * *", utc(2026, 1, 1, 3, 0), utc(2026, 1, 2, 3, 0));
	next_is("0 3 * * *", utc(2026, 1, 1, 2, 59), utc(2026, 1, 1, 3, 0));
	next_is("0 3 * * *", utc(2025, 12, 31, 23, 0), utc(2026, 1, 1, 3, 0));
	next_is("30 9-17/4 * * mon-fri", utc(2026, 1, 2, 17, 30),
	    utc(2026, 1, 5, 9, 30));
	/* Month ends: February has no 31st, April has no 31st. */
	next_is("0 12 1 * *", utc(2026, 1, 31, 13, 0), utc(2026, 2, 1, 12, 0));
	next_is("0 0 31 * *", utc(2026, 1, 31, 0, 0), utc(2026, 3, 31, 0, 0));
	next_is("0 0 31 * *", utc(2026, 3, 31, 0, 0), utc(2026, 5, 31, 0, 0));
	next_is("59 23 * 2 *", utc(2026, 2, 28, 23, 59),
	    utc(2027, 2, 1, 23, 59));
}

static void
test_leap_years(void **state)
{
	(void)state;
	use_zone("UTC");
	next_is("0 0 29 2 *", utc(2026, 1, 1, 0, 0), utc(2028, 2, 29, 0, 0));
	next_is("0 0 29 2 *", utc(2028, 2, 29, 0, 0), utc(2032, 2, 29, 0, 0));
	next_is("0 0 29 2 *", utc(2399, 6, 1, 0, 0), utc(2400, 2, 29, 0, 0));
	/* 2100 is not a leap year: 2104 is over five years away. */
	none("0 0 29 2 *", utc(2097, 1, 1, 0, 0));
	next_is("0 0 * 2 *", utc(2028, 2, 28, 0, 0), utc(2028, 2, 29, 0, 0));
	next_is("0 0 * 2 *", utc(2100, 2, 28, 0, 0), utc(2101, 2, 1, 0, 0));
}

/* Vixie cron's rule for the two day fields. */
static void
test_day_rule(void **state)
{
	(void)state;
	use_zone("UTC");
	/* Both restricted: every 13th and every Friday (Fri 2026-04-03). */
	next_is("0 0 13 * 5", utc(2026, 3, 28, 0, 0), utc(2026, 4, 3, 0, 0));
	next_is("0 0 13 * fri", utc(2026, 4, 10, 0, 0),
	    utc(2026, 4, 13, 0, 0));
	next_is("0 0 13 * 5", utc(2026, 4, 13, 0, 0), utc(2026, 4, 17, 0, 0));
	/* One is "*": only the other counts. */
	next_is("0 0 13 * *", utc(2026, 4, 3, 0, 0), utc(2026, 4, 13, 0, 0));
	next_is("0 0 * * 5", utc(2026, 4, 10, 0, 0), utc(2026, 4, 17, 0, 0));
	/*
	 * "*" with a step is unrestricted too, so both must match: the odd
	 * days that are Mondays (6, 13, 20 and 27 in April 2026) ...
	 */
	next_is("0 0 */2 * 1", utc(2026, 4, 1, 0, 0), utc(2026, 4, 13, 0, 0));
	next_is("0 0 */2 * 1", utc(2026, 4, 13, 0, 0),
	    utc(2026, 4, 27, 0, 0));
	/* ... while the same days written as a range are restricted. */
	next_is("0 0 1-31/2 * 1", utc(2026, 4, 1, 0, 0),
	    utc(2026, 4, 3, 0, 0));
	next_is("0 0 1-31/2 * 1", utc(2026, 4, 5, 0, 0),
	    utc(2026, 4, 6, 0, 0));
	/* 7 is Sunday: Sunday 2026-04-05. */
	next_is("0 0 * * 7", utc(2026, 4, 1, 0, 0), utc(2026, 4, 5, 0, 0));
}

static void
test_impossible(void **state)
{
	struct cron c;
	struct timespec t0, t1;
	time_t next;

	(void)state;
	use_zone("UTC");
	none("0 0 31 2 *", utc(2026, 1, 1, 0, 0));
	none("0 0 30 2 *", utc(2026, 1, 1, 0, 0));
	none("0 0 31 4,6,9,11 *", utc(2026, 1, 1, 0, 0));
	/* With a day of the week, the 31st of February is not needed. */
	next_is("0 0 31 2 mon", utc(2026, 1, 1, 0, 0), utc(2026, 2, 2, 0, 0));

	/*
	 * Months and days are skipped whole: a thousand searches of five
	 * years take about a millisecond (a search minute by minute would
	 * take seconds each), so two seconds leave room for valgrind.
	 */
	parsed("59 23 31 2 *", &c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(cron_next(&c, utc(2026, 1, 1, 0, 0) + i * 60,
		    &next), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);

	/* A time whose year cannot be shown: nothing, not a crash. */
	parsed("* * * * *", &c);
	if (sizeof(time_t) > 4)
		assert_int_equal(cron_next(&c, (time_t)INT64_MAX, &next), -1);
}

/*
 * Europe/Berlin: on 2024-03-31 the clock goes from 02:00 to 03:00 (01:00
 * UTC), and on 2024-10-27 from 03:00 back to 02:00 (01:00 UTC).
 */
static void
test_daylight_saving(void **state)
{
	(void)state;
	if (access(BERLIN, R_OK) == -1)
		skip();
	use_zone("Europe/Berlin");
	/* 02:30 does not exist on the 31st: the 1st of April, in CEST. */
	next_is("30 2 * * *", utc(2024, 3, 30, 11, 0), utc(2024, 4, 1, 0, 30));
	next_is("*/30 * * * *", utc(2024, 3, 31, 0, 45),
	    utc(2024, 3, 31, 1, 0));
	next_is("0 3 * * *", utc(2024, 3, 30, 11, 0), utc(2024, 3, 31, 1, 0));
	next_is("0 1 * * *", utc(2024, 3, 30, 11, 0), utc(2024, 3, 31, 0, 0));

	/* 02:30 comes twice on 27 October: once is run, the first. */
	next_is("30 2 * * *", utc(2024, 10, 26, 10, 0),
	    utc(2024, 10, 27, 0, 30));
	next_is("30 2 * * *", utc(2024, 10, 27, 0, 30),
	    utc(2024, 10, 28, 1, 30));
	/* Every 15 minutes: the second pass of 02:00-02:59 has no run ... */
	next_is("*/15 * * * *", utc(2024, 10, 27, 0, 45),
	    utc(2024, 10, 27, 2, 0));
	/* ... unless the search starts in it. */
	next_is("*/15 * * * *", utc(2024, 10, 27, 1, 10),
	    utc(2024, 10, 27, 1, 15));
	next_is("*/15 * * * *", utc(2024, 10, 27, 1, 45),
	    utc(2024, 10, 27, 2, 0));
	next_is("0 3 * * *", utc(2024, 10, 26, 10, 0),
	    utc(2024, 10, 27, 2, 0));
	use_zone("UTC");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sunday_as_seven),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_day_rule),
		cmocka_unit_test(test_impossible),
		cmocka_unit_test(test_daylight_saving),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * cron.h - five-field cron expressions ("0 9-17/2 * * mon-fri"), as the
 * dispatcher's --schedule takes them: parsed into sets of minutes, hours,
 * days of the month, months and days of the week, and the next time they
 * name after a given one, in the process's local time zone.
 */
#ifndef SSCI_CRON_H
#define SSCI_CRON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CRON_MAX_YEARS 5	/* cron_next looks no further ahead */

/*
 * Bit n of each set is value n.  The day rule is Vixie cron's: a day
 * matches when its day of the month and its day of the week both do,
 * except that when both fields are restricted, either one is enough
 * ("0 0 13 * 5": every 13th and every Friday).  As in Vixie cron, a field
 * that starts with '*' is not restricted, even with a step after it.
 */
struct cron {
	uint64_t minutes;	/* 0-59 */
	uint32_t hours;		/* 0-23 */
	uint32_t mdays;		/* 1-31 */
	uint16_t months;	/* 1-12 */
	uint8_t wdays;		/* 0-6, 0 is Sunday (7 is read as 0) */
	int mdays_restricted;
	int wdays_restricted;
};

/*
 * Parse text: five fields separated by blanks (spaces or tabs, which may
 * also start and end it), the minute, the hour, the day of the month, the
 * month and the day of the week.  A field is a comma-separated list of
 * "*", "N" or "N-M", each with an optional step "/S"; "N/S" runs from N
 * to the field's last value.  The month and the day of the week take
 * names where they take a number (jan-dec, sun-sat, in any case).  No
 * "@daily" macros.  Returns 0, or -1 with c all zero and err naming the
 * field and quoting, escaped, what is wrong in it:
 * "minute field '61': out of range 0-59".
 */
int cron_parse(struct cron *c, const char *text, char *err, size_t errsize);

/*
 * The first whole local minute strictly after "after" that c matches, in
 * *next: 0, or -1 when there is none in the next CRON_MAX_YEARS years
 * ("0 0 31 2 *") or the local time cannot be worked out.
 *
 * Daylight saving time: the search runs forward on the local clock's
 * readings, turning each that matches into a time.  A reading the clock
 * skips when it moves forward does not exist and is passed over
 * ("30 2 * * *" does not run that day).  An hour the clock repeats when
 * it moves back is matched once, in its first pass, since its readings
 * have all been passed when the second begins (every 15 minutes has no
 * run in the second pass).  Only when "after" itself falls in the second
 * pass are that pass's later readings used.
 */
int cron_next(const struct cron *c, time_t after, time_t *next);

#endif

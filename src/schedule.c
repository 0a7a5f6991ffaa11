/* SPDX-License-Identifier: MIT */
/*
 * schedule.c - scheduled builds: --schedule 'REPO BRANCH CRON' rebuilds
 * the branch's tip at each time the five cron fields name (cron.c), in
 * the dispatcher's local time zone.
 *
 * Each schedule has one timer on the loop and its last run in the store,
 * keyed by its text with the blanks between words made single spaces (so
 * that respacing a configuration line keeps it).  At start: with no last
 * run, now is recorded (nothing was missed); with one whose next cron
 * time is already past, the schedule missed runs while the dispatcher
 * was down and runs ONCE now, however many it missed.  Then the timer is
 * set for the first cron time after now.
 *
 * A run records its time first, so that a dispatcher killed during it
 * does not run it again when it returns (at most once), then queues a
 * rebuild of the branch's tip (store_branch_tip: its latest pipeline not
 * run by a bisection) with the trigger "schedule" and the priority
 * "normal", whatever the branch's.  Nothing is queued if the branch has
 * no pipeline yet, or if the tip's pipeline has not started yet (an
 * earlier run's, still waiting: a schedule more frequent than its builds
 * would otherwise fill the queue).  A refusal (the repository refused,
 * as a local path without --local-repos is; its queue full; the disk
 * nearly full; the store failing) is said once, with why, and the next
 * run tries again; the same outcome run after run is said again only at
 * debug level.
 *
 * The clock is the real one, or for tests (--test-schedule-clock
 * EPOCH[,SPEED]) a virtual one: EPOCH when schedules_new runs, going
 * SPEED times as fast as the monotonic clock from then on.  Times kept in
 * the store and shown in the log are the clock's.  A timer never waits
 * longer than SCHEDULE_RECHECK_MS of real time before reading the clock
 * again, so that a wall clock set forward or back is followed.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "cron.h"
#include "job.h"
#include "sched.h"
#include "schedule.h"
#include "store.h"
#include "util.h"

#define SCHEDULE_BLANKS " \t"
#define SCHEDULE_QUOTE_BYTES 64		/* of a word an error quotes */
#define SCHEDULE_RECHECK_MS (60 * 1000)	/* longest real wait */
#define SCHEDULE_SPEED_MAX 3600		/* the test clock's */
/* 9999-12-31T23:59:59Z: the test clock's latest start. */
#define SCHEDULE_EPOCH_MAX 253402300799LL

/* What a run did; the same again is not said again. */
enum schedule_outcome {
	SCHEDULE_NONE,		/* no run yet */
	SCHEDULE_QUEUED,
	SCHEDULE_NO_TIP,	/* the branch has no pipeline */
	SCHEDULE_WAITING,	/* the tip's pipeline has not started */
	SCHEDULE_FAILED,	/* the store failed */
	SCHEDULE_FULL,		/* the repository's queue is full */
	SCHEDULE_REFUSED,	/* all dispatches are (sched_refusal) */
	SCHEDULE_REPO_REFUSED,	/* sched_repo_refused */
};

struct schedule {
	struct schedules *all;
	char *text;		/* normalized: the store's key, its name */
	char *repo;
	char *branch;
	struct cron cron;
	struct event *ev;
	int64_t due_ms;		/* the next run, on the schedules' clock */
	int catching_up;	/* the next run makes up for missed ones */
	enum schedule_outcome outcome;	/* the last said */
};

struct schedules {
	struct store *store;
	struct sched *sched;
	int test_clock;
	int64_t epoch_ms;	/* the test clock at start */
	int64_t start_mono_ms;
	int64_t speed_milli;	/* the test clock's speed, in thousandths */
	struct schedule *v;	/* never moved: the timers point into it */
	size_t n;
};

/* A spec's three parts: its first two words and the rest. */
struct schedule_parts {
	const char *repo;
	size_t repo_len;
	const char *branch;
	size_t branch_len;
	const char *cron;
};

/* Split text; -1 if it has fewer than three words. */
static int
schedule_split(const char *text, struct schedule_parts *p)
{
	const char *s = text + strspn(text, SCHEDULE_BLANKS);

	p->repo = s;
	p->repo_len = strcspn(s, SCHEDULE_BLANKS);
	s += p->repo_len;
	s += strspn(s, SCHEDULE_BLANKS);
	p->branch = s;
	p->branch_len = strcspn(s, SCHEDULE_BLANKS);
	s += p->branch_len;
	p->cron = s;
	s += strspn(s, SCHEDULE_BLANKS);
	return p->repo_len > 0 && p->branch_len > 0 && *s != '\0' ? 0 : -1;
}

int
schedule_spec_check(const char *text, char *err, size_t size)
{
	struct schedule_parts p;
	struct cron c;
	char *repo, *branch, quoted[SCHEDULE_QUOTE_BYTES * 6 + 4], why[256];
	time_t next;
	int rc = -1;

	if (schedule_split(text, &p) == -1) {
		snprintf(err, size, "not 'REPO BRANCH CRON' (a repository, a "
		    "branch and five cron fields)");
		return -1;
	}
	repo = xstrndup(p.repo, p.repo_len);
	branch = xstrndup(p.branch, p.branch_len);
	if (!repo_url_valid(repo) || repo_url_kind(repo) == REPO_URL_REFUSED) {
		log_escape_cut(p.repo, p.repo_len, SCHEDULE_QUOTE_BYTES, quoted,
		    sizeof quoted);
		snprintf(err, size, "repository '%s': not a repository URL or "
		    "path git may use", quoted);
	} else if (!branch_name_valid(branch)) {
		log_escape_cut(p.branch, p.branch_len, SCHEDULE_QUOTE_BYTES,
		    quoted, sizeof quoted);
		snprintf(err, size, "branch '%s': not a valid branch name",
		    quoted);
	} else if (cron_parse(&c, p.cron, why, sizeof why) == -1)
		snprintf(err, size, "%s", why);
	else if (cron_next(&c, time(NULL), &next) == -1) {
		const char *cron = p.cron + strspn(p.cron, SCHEDULE_BLANKS);

		log_escape_cut(cron, strlen(cron), SCHEDULE_QUOTE_BYTES, quoted,
		    sizeof quoted);
		snprintf(err, size, "'%s' names no time in the next %d years",
		    quoted, CRON_MAX_YEARS);
	} else
		rc = 0;
	free(repo);
	free(branch);
	return rc;
}

/* EPOCH[,SPEED], the speed in thousandths. */
static int
schedule_clock_read(const char *text, int64_t *epoch_s, int64_t *speed_milli,
    char *err, size_t size)
{
	const char *comma = strchr(text, ',');
	char *epoch = comma != NULL ? xstrndup(text, (size_t)(comma - text)) :
	    xstrdup(text);
	long max = LONG_MAX < SCHEDULE_EPOCH_MAX ? LONG_MAX :
	    (long)SCHEDULE_EPOCH_MAX;
	long e;
	int rc = 0;

	*speed_milli = 1000;
	if (parse_long(epoch, 0, max, &e) == -1) {
		snprintf(err, size, "EPOCH is not a whole number of seconds "
		    "since 1970 from 0 to %ld", max);
		rc = -1;
	} else if (comma != NULL && parse_millis(comma + 1, 1,
	    SCHEDULE_SPEED_MAX * 1000LL, speed_milli) == -1) {
		snprintf(err, size, "SPEED is not a number from 0.001 to %d "
		    "(at most three decimals)", SCHEDULE_SPEED_MAX);
		rc = -1;
	} else
		*epoch_s = e;
	free(epoch);
	return rc;
}

int
schedule_clock_parse(const char *text, int64_t *epoch_s, double *speed,
    char *err, size_t size)
{
	int64_t milli;

	if (schedule_clock_read(text, epoch_s, &milli, err, size) == -1)
		return -1;
	*speed = (double)milli / 1000;
	return 0;
}

/* Now on the schedules' clock, in ms since 1970. */
static int64_t
schedules_now(const struct schedules *all)
{
	if (!all->test_clock)
		return now_ms();
	return all->epoch_ms + (mono_ms() - all->start_mono_ms) *
	    all->speed_milli / 1000;
}

/* A time of the schedules' clock as the log shows it: "2026-03-01 09:30". */
static void
schedule_time(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, size, "%lld s since 1970", (long long)t);
}

/* The timer waits for due_ms, or SCHEDULE_RECHECK_MS at most (real). */
static void
schedule_arm(struct schedule *s, int64_t now)
{
	int64_t wait = s->due_ms > now ? s->due_ms - now : 0, real;
	struct timeval tv;

	/* Rounded up: woken early, it would only wait again. */
	real = (wait * 1000 + s->all->speed_milli - 1) / s->all->speed_milli;
	if (real > SCHEDULE_RECHECK_MS)
		real = SCHEDULE_RECHECK_MS;
	tv.tv_sec = (time_t)(real / 1000);
	tv.tv_usec = (suseconds_t)(real % 1000 * 1000);
	evtimer_add(s->ev, &tv);
}

/* The first cron time after now in due_ms: 0, or -1 (said: none). */
static int
schedule_next(struct schedule *s, int64_t now)
{
	time_t next;

	if (cron_next(&s->cron, (time_t)(now / 1000), &next) == -1) {
		log_warnx("schedule '%s': no time to run in the next %d "
		    "years: it stops", s->text, CRON_MAX_YEARS);
		return -1;
	}
	s->due_ms = (int64_t)next * 1000;
	return 0;
}

/* What a run did, said unless the last run did the same. */
static void __attribute__((format(printf, 3, 4)))
schedule_say(struct schedule *s, enum schedule_outcome outcome,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Each job queued is news; a refusal run after run is not. */
	if (outcome == s->outcome && outcome != SCHEDULE_QUEUED)
		log_debug("schedule '%s': %s (again)", s->text, msg);
	else if (outcome == SCHEDULE_QUEUED || outcome == SCHEDULE_NO_TIP ||
	    outcome == SCHEDULE_WAITING)
		log_info("schedule '%s': %s", s->text, msg);
	else
		log_warnx("schedule '%s': %s", s->text, msg);
	s->outcome = outcome;
}

/* Queue a rebuild of tip; when names the run. */
static void
schedule_queue(struct schedule *s, const struct job *tip, const char *when)
{
	struct schedules *all = s->all;
	struct job_request request = {
		.repo = s->repo,
		.commit = tip->commit,
		.branch = s->branch,
		.subject = tip->subject,
		.author = tip->author,
		.rebuild = 1,
		.pr_title = tip->pr_title,
		.pr_url = tip->pr_url,
		/* Not the branch's: no one waits for it, nor is it a PR's. */
		.priority = JOB_PRIORITY_NORMAL,
		.priority_set = 1,
		.trigger = "schedule",
	};
	enum job_state state;
	int64_t id;
	int existing, rc;
	const char *why;

	rc = sched_queue_job(all->sched, &request, &id, &state, &existing);
	switch (rc) {
	case 0:
		schedule_say(s, SCHEDULE_QUEUED, "%s queued job %lld, a "
		    "rebuild of %.12s", when, (long long)id, tip->commit);
		break;
	case -2:
		schedule_say(s, SCHEDULE_FULL, "unable to queue %s: the "
		    "repository's queue is full", when);
		break;
	case -3:
		why = sched_refusal(all->sched);
		schedule_say(s, SCHEDULE_REFUSED, "unable to queue %s: "
		    "dispatches are refused: %s", when,
		    why != NULL ? why : "(no reason given)");
		break;
	default:
		schedule_say(s, SCHEDULE_FAILED, "unable to queue %s: the "
		    "store failed", when);
		break;
	}
}

/* A run: recorded at now, then the branch's tip queued again. */
static void
schedule_run(struct schedule *s, int64_t now)
{
	struct schedules *all = s->all;
	struct job tip;
	char when[64], at[32], why[300];
	int rc;

	if (s->catching_up)
		snprintf(when, sizeof when, "the run missed while the "
		    "dispatcher was down");
	else {
		schedule_time(s->due_ms, at, sizeof at);
		snprintf(when, sizeof when, "its run of %s", at);
	}
	s->catching_up = 0;
	/* First: a dispatcher killed after this does not run it again. */
	if (store_schedule_set(all->store, s->text, now) == -1)
		log_warnx("schedule '%s': unable to record %s: after a "
		    "restart it may run again", s->text, when);
	/* As a dispatch of it would be (a reload may change this). */
	if (sched_repo_refused(all->sched, s->repo, why, sizeof why)) {
		schedule_say(s, SCHEDULE_REPO_REFUSED, "unable to queue %s: %s",
		    when, why);
		return;
	}
	memset(&tip, 0, sizeof tip);
	rc = store_branch_tip(all->store, s->repo, s->branch, &tip);
	if (rc == -1)
		schedule_say(s, SCHEDULE_FAILED, "unable to find the tip of "
		    "%s for %s: the store failed", s->branch, when);
	else if (rc == 0)
		schedule_say(s, SCHEDULE_NO_TIP, "nothing to build yet for %s: "
		    "branch %s of %s has no pipeline", when, s->branch,
		    s->repo);
	else if (tip.pipeline_state == JOB_QUEUED)
		schedule_say(s, SCHEDULE_WAITING, "nothing queued for %s: the "
		    "tip's pipeline %lld has not started yet", when,
		    (long long)tip.pipeline);
	else
		schedule_queue(s, &tip, when);
	if (rc == 1)
		job_release(&tip);
}

static void
schedule_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct schedule *s = arg;
	int64_t now = schedules_now(s->all);
	int caught_up = s->catching_up;
	char at[32];

	(void)fd;
	(void)what;
	if (now < s->due_ms) {
		schedule_arm(s, now);
		return;
	}
	schedule_run(s, now);
	if (schedule_next(s, now) == -1)
		return;
	/* Back to its times: said as at a start that missed nothing. */
	if (caught_up) {
		schedule_time(s->due_ms, at, sizeof at);
		log_info("schedule '%s': next run at %s", s->text, at);
	}
	schedule_arm(s, now);
}

/* A schedule's start: its runs missed while down, then its timer. */
static void
schedule_start(struct schedule *s, int64_t now)
{
	struct store *store = s->all->store;
	char at[32], why[300];
	int64_t last;
	time_t missed;
	int rc;

	/* Said now, not first at its first run, which may be far off. */
	if (sched_repo_refused(s->all->sched, s->repo, why, sizeof why))
		schedule_say(s, SCHEDULE_REPO_REFUSED, "its runs will be "
		    "refused: %s", why);
	rc = store_schedule_last(store, s->text, &last);
	if (rc == -1)
		log_warnx("schedule '%s': unable to read its last run: runs "
		    "missed while the dispatcher was down are not made up",
		    s->text);
	else if (rc == 0) {
		if (store_schedule_set(store, s->text, now) == -1)
			log_warnx("schedule '%s': unable to record its start: "
			    "it may miss a run after a restart", s->text);
	} else if (cron_next(&s->cron, (time_t)(last / 1000), &missed) == 0 &&
	    (int64_t)missed * 1000 <= now) {
		schedule_time((int64_t)missed * 1000, at, sizeof at);
		log_info("schedule '%s': missed its run of %s (and any after "
		    "it) while the dispatcher was down: running it once now",
		    s->text, at);
		s->due_ms = now;
		s->catching_up = 1;
		schedule_arm(s, now);
		return;
	}
	if (schedule_next(s, now) == -1)
		return;
	schedule_time(s->due_ms, at, sizeof at);
	log_info("schedule '%s': next run at %s", s->text, at);
	schedule_arm(s, now);
}

/* Fill s from a checked spec: 0, or -1 (checked: never). */
static int
schedule_init(struct schedule *s, const char *text)
{
	struct schedule_parts p;
	char err[256];
	char *fields = NULL;
	const char *f;
	size_t len;

	if (schedule_split(text, &p) == -1 ||
	    cron_parse(&s->cron, p.cron, err, sizeof err) == -1)
		return -1;
	s->repo = xstrndup(p.repo, p.repo_len);
	s->branch = xstrndup(p.branch, p.branch_len);
	/* The key: the words of text joined by single spaces. */
	for (f = p.cron + strspn(p.cron, SCHEDULE_BLANKS); *f != '\0';
	    f += strspn(f, SCHEDULE_BLANKS)) {
		len = strcspn(f, SCHEDULE_BLANKS);
		xappendf(&fields, " %.*s", (int)len, f);
		f += len;
	}
	xasprintf(&s->text, "%s %s%s", s->repo, s->branch, fields);
	free(fields);
	return 0;
}

struct schedules *
schedules_new(struct event_base *base, struct store *store,
    struct sched *sched, const char *const *specs, size_t n,
    const char *clock)
{
	struct schedules *all;
	struct schedule *s;
	char err[256], at[32];
	int64_t epoch_s = 0, now;
	int dup;

	if (n == 0)
		return NULL;
	all = xcalloc(1, sizeof *all);
	all->store = store;
	all->sched = sched;
	all->speed_milli = 1000;
	if (clock != NULL) {
		if (schedule_clock_read(clock, &epoch_s, &all->speed_milli,
		    err, sizeof err) == -1)
			fatalx("--test-schedule-clock: %s", err);
		all->test_clock = 1;
		all->epoch_ms = epoch_s * 1000;
	}
	all->start_mono_ms = mono_ms();
	now = schedules_now(all);
	if (all->test_clock) {
		schedule_time(now, at, sizeof at);
		log_info("schedules: a test clock, from %s, %.3f times as fast "
		    "as time", at, (double)all->speed_milli / 1000);
	}
	all->v = xcalloc(n, sizeof *all->v);
	for (size_t i = 0; i < n; i++) {
		s = &all->v[all->n];
		if (schedule_init(s, specs[i]) == -1)
			fatalx("--schedule: '%s' was not checked", specs[i]);
		dup = 0;
		for (size_t k = 0; k < all->n; k++)
			dup |= strcmp(all->v[k].text, s->text) == 0;
		if (dup) {
			log_info("schedule '%s' given twice: it runs once",
			    s->text);
			free(s->text);
			free(s->repo);
			free(s->branch);
			memset(s, 0, sizeof *s);
			continue;
		}
		s->all = all;
		s->ev = evtimer_new(base, schedule_timer_cb, s);
		if (s->ev == NULL)
			fatalx("unable to make a timer for schedule '%s'",
			    s->text);
		all->n++;
		schedule_start(s, now);
	}
	return all;
}

void
schedules_free(struct schedules *all)
{
	if (all == NULL)
		return;
	for (size_t i = 0; i < all->n; i++) {
		event_free(all->v[i].ev);
		free(all->v[i].text);
		free(all->v[i].repo);
		free(all->v[i].branch);
	}
	free(all->v);
	free(all);
}

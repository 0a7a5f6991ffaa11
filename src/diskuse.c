/* SPDX-License-Identifier: MIT */
/*
 * diskuse.c - every DISKUSE_TICK_MS: statvfs of both folders, which is
 * cheap, decides whether dispatches are refused; and a walk of the
 * folders goes on by at most DISKUSE_STEP_ENTRIES entries, so that
 * counting a million files never holds the loop (a walk's figure is
 * published when it ends, the next walk begins DISKUSE_WALK_MS after
 * the last one began).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <event2/event.h>

#include "diskuse.h"
#include "sched.h"
#include "util.h"

struct diskuse_walk {
	DIR *open[DISKUSE_DEPTH];	/* the folders being read, outermost first */
	int depth;			/* how many are open; 0: between walks */
	enum diskuse_dir dir;		/* which folder this walk counts */
	int64_t bytes;
	int64_t began_ms;		/* monotonic, of the last walk */
};

struct diskuse {
	struct event *ev;
	struct sched *sched;
	struct diskuse_min min;
	struct diskuse_figures figures[DISKUSE_DIRS];
	struct diskuse_walk walk;
	char *refusing;			/* why dispatches are refused */
};

int
diskuse_min_parse(const char *s, struct diskuse_min *min)
{
	long long bytes;
	long pct;
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '%') {
		char digits[8];

		if (n - 1 >= sizeof digits)
			return -1;
		memcpy(digits, s, n - 1);
		digits[n - 1] = '\0';
		if (parse_long(digits, 1, 99, &pct) == -1)
			return -1;
		*min = (struct diskuse_min){ .bytes = 0, .percent = (int)pct };
		return 0;
	}
	if (strcmp(s, "0") == 0)
		bytes = 0;
	else if (parse_size(s, &bytes) == -1)
		return -1;
	*min = (struct diskuse_min){ .bytes = bytes, .percent = 0 };
	return 0;
}

/* Room under which dispatches are refused, on a file system of size. */
static int64_t
diskuse_threshold(const struct diskuse_min *min, int64_t size)
{
	int64_t pct = size / 100 * DISKUSE_DEFAULT_MIN_PERCENT;

	if (min->percent > 0)
		return size / 100 * min->percent;
	if (min->bytes >= 0)
		return min->bytes;
	/* The default: 1 GiB, or 5 % of a smaller file system. */
	return pct < DISKUSE_DEFAULT_MIN_FREE ? pct : DISKUSE_DEFAULT_MIN_FREE;
}

/* Free space and size of each folder's file system, and the verdict. */
static void
diskuse_check(struct diskuse *du)
{
	char why[600] = "";

	for (int i = 0; i < DISKUSE_DIRS; i++) {
		struct diskuse_figures *f = &du->figures[i];
		struct statvfs st;

		if (statvfs(f->path, &st) == -1)
			continue;	/* not made yet, or gone: nothing known */
		f->free = (int64_t)st.f_bavail * (int64_t)st.f_frsize;
		f->size = (int64_t)st.f_blocks * (int64_t)st.f_frsize;
		f->min_free = diskuse_threshold(&du->min, f->size);
		if (why[0] == '\0' && f->free < f->min_free)
			snprintf(why, sizeof why, "disk nearly full: %lld MiB "
			    "free in '%.400s' (under --min-free, %lld MiB)",
			    (long long)(f->free >> 20), f->path,
			    (long long)(f->min_free >> 20));
	}
	if (why[0] != '\0' && du->refusing == NULL) {
		log_warnx("refusing new dispatches: %s", why);
		du->refusing = xstrdup(why);
		sched_set_refusal(du->sched, why);
	} else if (why[0] == '\0' && du->refusing != NULL) {
		log_info("taking dispatches again: there is room on the disk");
		free(du->refusing);
		du->refusing = NULL;
		sched_set_refusal(du->sched, NULL);
	} else if (why[0] != '\0' && strcmp(why, du->refusing) != 0) {
		/* Still refused: the reason given says the latest figure. */
		free(du->refusing);
		du->refusing = xstrdup(why);
		sched_set_refusal(du->sched, why);
	}
}

static void
diskuse_walk_close(struct diskuse_walk *w)
{
	while (w->depth > 0)
		closedir(w->open[--w->depth]);
}

/* Begin counting folder dir: 0, or -1 if it cannot be read now. */
static int
diskuse_walk_begin(struct diskuse *du, enum diskuse_dir dir)
{
	struct diskuse_walk *w = &du->walk;
	int fd = open(du->figures[dir].path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);

	w->dir = dir;
	w->bytes = 0;
	if (fd == -1 || (w->open[0] = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	w->depth = 1;
	return 0;
}

/* One entry of the innermost open folder counted: 0, or 1 at its end. */
static int
diskuse_walk_entry(struct diskuse_walk *w)
{
	DIR *d = w->open[w->depth - 1];
	struct dirent *e;
	struct stat st;
	int fd;

	if ((e = readdir(d)) == NULL) {
		closedir(d);
		w->depth--;
		return 1;
	}
	if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
	    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	w->bytes += (int64_t)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode) || w->depth == DISKUSE_DEPTH)
		return 0;
	fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fd == -1)
		return 0;
	if ((w->open[w->depth] = fdopendir(fd)) == NULL)
		close(fd);
	else
		w->depth++;
	return 0;
}

/*
 * The walk goes on by at most DISKUSE_STEP_ENTRIES entries: the state
 * folder, then the results folder, then a rest until DISKUSE_WALK_MS
 * after the state folder's walk began.
 */
static void
diskuse_walk_step(struct diskuse *du)
{
	struct diskuse_walk *w = &du->walk;
	enum diskuse_dir next = DISKUSE_RESULTS;

	if (w->depth == 0) {
		if (w->dir != DISKUSE_STATE) {
			if (w->began_ms != 0 &&
			    mono_ms() - w->began_ms < DISKUSE_WALK_MS)
				return;
			next = DISKUSE_STATE;
			w->began_ms = mono_ms();
		}
		if (diskuse_walk_begin(du, next) == -1)
			return;		/* not there (yet): the next one */
	}
	for (int i = 0; i < DISKUSE_STEP_ENTRIES && w->depth > 0; i++)
		diskuse_walk_entry(w);
	if (w->depth == 0)
		du->figures[w->dir].used = w->bytes;
}

static void
diskuse_tick(evutil_socket_t fd, short what, void *arg)
{
	struct diskuse *du = arg;

	(void)fd;
	(void)what;
	diskuse_check(du);
	diskuse_walk_step(du);
}

struct diskuse *
diskuse_new(struct event_base *base, struct sched *sched,
    const char *state_dir, const char *results_dir,
    const struct diskuse_min *min)
{
	struct diskuse *du = xcalloc(1, sizeof *du);
	struct timeval tv = { 0, DISKUSE_TICK_MS * 1000 };

	du->sched = sched;
	du->min = *min;
	du->figures[DISKUSE_STATE].path = state_dir;
	du->figures[DISKUSE_RESULTS].path = results_dir;
	for (int i = 0; i < DISKUSE_DIRS; i++)
		du->figures[i].used = -1;
	du->walk.dir = DISKUSE_RESULTS;	/* so the first walk is the state's */
	du->ev = event_new(base, -1, EV_PERSIST, diskuse_tick, du);
	if (du->ev == NULL || event_add(du->ev, &tv) == -1)
		fatalx("unable to make the disk timer");
	diskuse_check(du);
	return du;
}

void
diskuse_free(struct diskuse *du)
{
	if (du == NULL)
		return;
	diskuse_walk_close(&du->walk);
	event_free(du->ev);
	free(du->refusing);
	free(du);
}

void
diskuse_set_min(struct diskuse *du, const struct diskuse_min *min)
{
	du->min = *min;
	diskuse_check(du);
}

void
diskuse_get(const struct diskuse *du, enum diskuse_dir which,
    struct diskuse_figures *out)
{
	*out = du->figures[which];
}

const char *
diskuse_refusing(const struct diskuse *du)
{
	return du->refusing;
}

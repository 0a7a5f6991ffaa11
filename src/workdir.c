/* SPDX-License-Identifier: MIT */
/*
 * workdir.c - the runner's hold on the folder it works in: one runner per
 * folder (a lock file), made only when a job needs it, and a record of
 * each running test's process group, so that a runner started again after
 * a kill -9 can end what the last one left running there.
 *
 * The folder is the work dir (WORK/runner.lock, WORK/tests/), or, with a
 * CLONE, CLONE/.git/ssci-runner.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "runner.h"
#include "util.h"

/* A process's group and start time (clock ticks since boot); -1 if gone. */
static int
proc_group(pid_t pid, pid_t *pgid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name in parentheses may hold anything: start after it. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (field = 2; *p != '\0' && field < 22; p++) {
		if (*p == ' ')
			field++;
		if (field == 5 && p[0] == ' ')
			*pgid = (pid_t)strtol(p + 1, NULL, 10);
		if (field == 22 && p[0] == ' ')
			*start = strtoull(p + 1, NULL, 10);
	}
	return field == 22 ? 0 : -1;
}

/*
 * Kill what is left of a test group recorded by an earlier runner: its
 * members that started no earlier than its leader did (a process older
 * than that cannot be the test's; the group's number may be another's
 * by now).
 */
static void
workdir_kill_group(pid_t pgid, unsigned long long leader_start)
{
	DIR *dir;
	struct dirent *e;
	int killed = 0;

	/* Our own group's number may be the old one's, reused. */
	if (pgid == getpgrp() || (dir = opendir("/proc")) == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		unsigned long long start;
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10), group = 0;

		if (pid <= 0 || proc_group(pid, &group, &start) == -1 ||
		    group != pgid || start < leader_start)
			continue;
		if (kill(pid, SIGKILL) == 0)
			killed++;
	}
	closedir(dir);
	if (killed > 0)
		log_info("ended %d process%s left by an earlier runner's test "
		    "(group %ld)", killed, killed == 1 ? "" : "es", (long)pgid);
}

static char *
workdir_tests_dir(const struct runner *r)
{
	char *dir;

	xasprintf(&dir, "%s/tests", r->own_dir);
	return dir;
}

/* Every group recorded in own_dir/tests: killed, and the record gone. */
static void
workdir_end_leftovers(struct runner *r)
{
	char *dir = workdir_tests_dir(r), *path, line[64];
	unsigned long long start;
	struct dirent *e;
	long pgid;
	DIR *d;
	FILE *f;

	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "slot-", 5) != 0)
			continue;
		xasprintf(&path, "%s/%s", dir, e->d_name);
		if ((f = fopen(path, "re")) != NULL) {
			if (fgets(line, sizeof line, f) != NULL &&
			    sscanf(line, "%ld %llu", &pgid, &start) == 2 &&
			    pgid > 1)
				workdir_kill_group((pid_t)pgid, start);
			fclose(f);
		}
		unlink(path);
		free(path);
	}
	closedir(d);
	free(dir);
}

/* Lock own_dir (which exists): 0, or -1 after saying who holds it. */
static int
workdir_lock(struct runner *r)
{
	struct lock_holder holder, self = { .pid = getpid() };
	char *path;

	xasprintf(&path, "%s/runner.lock", r->own_dir);
	r->lock_fd = lock_take(path, &holder);
	if (r->lock_fd == -2)
		log_warnx("unable to use '%s': runner '%s' (pid %ld) works "
		    "there; give each runner a --work-dir of its own",
		    r->own_dir, holder.name[0] ? holder.name : "?",
		    (long)holder.pid);
	free(path);
	if (r->lock_fd < 0)
		return -1;
	self.up = r->up_pid;
	snprintf(self.name, sizeof self.name, "%s", r->name);
	lock_note(r->lock_fd, &self);
	workdir_end_leftovers(r);
	return 0;
}

int
workdir_open(struct runner *r, const char *clone_gitdir)
{
	struct stat st;

	r->lock_fd = -1;
	if (clone_gitdir != NULL) {
		xasprintf(&r->own_dir, "%s/ssci-runner", clone_gitdir);
		if (mkdir_p(r->own_dir) == -1)
			return -1;
		return workdir_lock(r);
	}
	/* Made by the first job that needs it; locked now if it is there. */
	if (stat(r->jobs.work_dir, &st) == -1)
		return errno == ENOENT ? 0 : (log_warn("unable to use '%s'",
		    r->jobs.work_dir), -1);
	return workdir_ensure(r);
}

int
workdir_ensure(struct runner *r)
{
	if (r->jobs.work_abs != NULL)
		return 0;
	if (mkdir_p(r->jobs.work_dir) == -1)
		return -1;
	if ((r->jobs.work_abs = realpath(r->jobs.work_dir, NULL)) == NULL) {
		log_warn("unable to resolve '%s'", r->jobs.work_dir);
		return -1;
	}
	if (r->own_dir != NULL)
		return 0;
	r->own_dir = xstrdup(r->jobs.work_abs);
	return workdir_lock(r);
}

static char *
workdir_record_path(const struct runner *r, int slot)
{
	char *path;

	xasprintf(&path, "%s/tests/slot-%d", r->own_dir, slot);
	return path;
}

/*
 * The slot's record, opened to be written over, emptied: -1 unless it is
 * a plain file (what else was put there is not followed, nor waited on).
 */
static int
workdir_record_open(const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    ftruncate(fd, 0) == -1) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

void
workdir_record(struct runner *r, int slot, pid_t pgid)
{
	char *dir, *path, line[64];
	unsigned long long start = 0;
	pid_t group;
	int n, fd;

	if (r->own_dir == NULL || proc_group(pgid, &group, &start) == -1)
		return;
	/*
	 * Only a runner's death must be survived, not the machine's: no
	 * fsync on the way of every job.  A torn or empty record is skipped.
	 * The slot's file is written over, and emptied when the test ends,
	 * not made and removed each job: a new file a job cost 0.1 to 0.3
	 * ms in the file system's inode allocation (measured with perf).
	 */
	path = workdir_record_path(r, slot);
	n = snprintf(line, sizeof line, "%ld %llu\n", (long)pgid, start);
	fd = workdir_record_open(path);
	/* Not a plain file: made one again. */
	if (fd == -1 && (errno == ENOENT || (errno == EINVAL &&
	    unlink(path) == 0))) {
		dir = workdir_tests_dir(r);
		if (mkdir_p(dir) == 0)
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_CLOEXEC, 0644);
		free(dir);
	}
	if (fd == -1 || write(fd, line, (size_t)n) != n)
		log_warn("unable to record the test's group in '%s'", path);
	if (fd != -1)
		close(fd);
	free(path);
}

void
workdir_forget(struct runner *r, int slot)
{
	int fd;
	char *path;

	if (r->own_dir == NULL)
		return;
	path = workdir_record_path(r, slot);
	if ((fd = workdir_record_open(path)) != -1)
		close(fd);
	else if (errno != ENOENT)
		log_warn("unable to empty '%s'", path);
	free(path);
}

void
workdir_close(struct runner *r)
{
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	r->lock_fd = -1;
	free(r->own_dir);
	r->own_dir = NULL;
}

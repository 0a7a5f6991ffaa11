/* SPDX-License-Identifier: MIT */
/*
 * lock.c - exclusive lock files with a note of who holds them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lock.h"
#include "util.h"

void
lock_parse(const char *text, struct lock_holder *holder)
{
	char key[16], value[128];
	const char *line = text;
	long v;

	memset(holder, 0, sizeof *holder);
	while (*line != '\0') {
		size_t len = strcspn(line, "\n");

		if (len < 200 && sscanf(line, "%15s %127[^\n]", key, value) == 2) {
			if (strcmp(key, "pid") == 0 &&
			    parse_long(value, 1, 1L << 30, &v) == 0)
				holder->pid = (pid_t)v;
			else if (strcmp(key, "up") == 0 &&
			    parse_long(value, 1, 1L << 30, &v) == 0)
				holder->up = (pid_t)v;
			else if (strcmp(key, "address") == 0)
				snprintf(holder->address, sizeof holder->address,
				    "%s", value);
			else if (strcmp(key, "name") == 0)
				snprintf(holder->name, sizeof holder->name, "%s",
				    value);
		}
		line += len;
		if (*line == '\n')
			line++;
	}
}

/* Read the lock file's note from fd. */
static void
lock_read(int fd, struct lock_holder *holder)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	lock_parse(buf, holder);
}

int
lock_take(const char *path, struct lock_holder *holder)
{
	struct lock_holder self = { .pid = getpid() };
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1) {
		log_warn("unable to open '%s'", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int busy = errno == EWOULDBLOCK;

		if (!busy)
			log_warn("unable to lock '%s'", path);
		else if (holder != NULL)
			lock_read(fd, holder);
		close(fd);
		return busy ? -2 : -1;
	}
	lock_note(fd, &self);
	return fd;
}

void
lock_note(int fd, const struct lock_holder *self)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof buf, "pid %ld\n", (long)self->pid);
	if (self->up != 0)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "up %ld\n",
		    (long)self->up);
	if (self->address[0] != '\0')
		n += snprintf(buf + n, sizeof buf - (size_t)n, "address %s\n",
		    self->address);
	if (self->name[0] != '\0')
		n += snprintf(buf + n, sizeof buf - (size_t)n, "name %s\n",
		    self->name);
	/* Only a note for people and other processes: best effort. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("unable to note who holds a lock");
}

int
lock_probe(const char *path, struct lock_holder *holder)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int held;

	memset(holder, 0, sizeof *holder);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	held = flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	if (held)
		lock_read(fd, holder);
	close(fd);
	return held;
}

/* SPDX-License-Identifier: MIT */
/*
 * files.c - small file helpers: writing all of a buffer, atomic files,
 * durable renames, mkdir -p; and the check of an artifact's path, which
 * names a file under the state dir.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void
sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") :
	    xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd != -1) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int
write_file_atomic(const char *path, const void *data, size_t len)
{
	char *tmp;
	int fd;

	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1) {
		log_warn("unable to create '%s'", tmp);
		free(tmp);
		return -1;
	}
	if (write_all(fd, data, len) == -1) {
		log_warn("unable to write '%s'", tmp);
		goto fail;
	}
	if (fsync(fd) == -1) {
		log_warn("unable to sync '%s'", tmp);
		goto fail;
	}
	if (close(fd) == -1) {
		log_warn("unable to write '%s'", tmp);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		log_warn("unable to rename '%s' to '%s'", tmp, path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	sync_parent_dir(path);
	return 0;
fail:
	close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int
mkdir_p(const char *path)
{
	char *copy;
	struct stat st;

	if (*path == '\0') {
		log_warnx("unable to create '': empty path");
		return -1;
	}
	copy = xstrdup(path);
	for (char *p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(copy, 0755) == -1 && errno != EEXIST) {
			log_warn("unable to create '%s'", copy);
			free(copy);
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_warnx("unable to use '%s': not a directory", path);
		return -1;
	}
	return 0;
}

int
mkdir_p_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (slash == NULL || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	rc = mkdir_p(dir);
	free(dir);
	return rc;
}

int
artifact_path_valid(const char *path)
{
	size_t len = strlen(path), n;
	const char *p;

	if (len == 0 || len > ARTIFACT_PATH_MAX || !utf8_valid(path, len))
		return 0;
	for (p = path; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	}
	for (p = path;; p += n + 1) {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (p[n] == '\0')
			return 1;
	}
}

int
file_create_beneath(const char *top, const char *path, char **tmp_out,
    int *dirfd_out)
{
	char *copy = xstrdup(path), *part, *next, *tmp;
	static unsigned long counter;
	int dfd, nfd, fd;

	*tmp_out = NULL;
	*dirfd_out = -1;
	dfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (part = copy; dfd != -1 && (next = strchr(part, '/')) != NULL;
	    part = next + 1) {
		*next = '\0';
		/* No link is followed: the commit may have made one. */
		nfd = openat(dfd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd == -1 && errno == ENOENT &&
		    mkdirat(dfd, part, 0755) == 0)
			nfd = openat(dfd, part, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		dfd = nfd;
	}
	if (dfd == -1) {
		free(copy);
		return -1;
	}
	xasprintf(&tmp, ".ssci-fetch-%ld-%lu", (long)getpid(), ++counter);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1) {
		close(dfd);
		free(tmp);
		free(copy);
		return -1;
	}
	free(copy);
	*tmp_out = tmp;
	*dirfd_out = dfd;
	return fd;
}

/* SPDX-License-Identifier: MIT */
/*
 * cgroup.c - a control group per job.  The runner makes the groups, writes
 * the limits, and hands the child open cgroup.procs files to join by
 * writing "0" (an async-signal-safe write) before it execs the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_PARENT "ssci"

/*
 * Where the jobs' v2 groups go: NULL for the root (as root), else the
 * group systemd delegated to us (cgroup_delegate).
 */
static char *cgroup_v2_base;

/* Whether dir/file (cgroup.subtree_control...) names these controllers. */
static int
cgroup_file_has(const char *dir, const char *file, const char *controllers)
{
	char buf[512] = "", *tok, *save = NULL, *want = xstrdup(controllers);
	char *path;
	FILE *f;
	int ok = 1;

	xasprintf(&path, "%s/%s", dir, file);
	f = fopen(path, "re");
	free(path);
	if (f == NULL) {
		free(want);
		return 0;
	}
	if (fgets(buf, sizeof buf, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	for (tok = strtok_r(want, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (strstr(buf, tok) == NULL)
			ok = 0;
	}
	free(want);
	return ok;
}

/* Whether cgroup v2 is mounted at the root with these controllers. */
static int
cgroup_v2_has(const char *controllers)
{
	return cgroup_file_has(cgroup_v2_base != NULL ? cgroup_v2_base :
	    CGROUP_ROOT, "cgroup.subtree_control", controllers);
}

/* Write a short text to dir/file; 0 or -1 after logging. */
static int
cgroup_write(const char *dir, const char *file, const char *text)
{
	char *path;
	int fd, rc = 0;

	xasprintf(&path, "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, text, strlen(text)) == -1) {
		log_warn("unable to write '%s'", path);
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

/* The folder a v1 hierarchy keeps our groups in, made if needed. */
static char *
cgroup_v1_parent(const char *hierarchy)
{
	char *dir;

	xasprintf(&dir, "%s/%s/%s", CGROUP_ROOT, hierarchy, CGROUP_PARENT);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		free(dir);
		return NULL;
	}
	return dir;
}

int
cgroup_delegate(const char *root, const char *self, const char *controllers,
    pid_t pid, char **base)
{
	const char *line = NULL;
	char *dir, *leaf, num[32], *plus = NULL, *tok, *save = NULL;
	char *want = xstrdup(controllers);
	size_t len;
	int rc = -1;

	*base = NULL;
	/* The v2 line is "0::PATH"; v1 hierarchies have their own lines. */
	if (strncmp(self, "0::/", 4) == 0)
		line = self;
	else if ((line = strstr(self, "\n0::/")) != NULL)
		line++;
	if (line == NULL) {
		free(want);
		return -1;
	}
	len = strcspn(line + 3, "\n");
	xasprintf(&dir, "%s%.*s", root, (int)len, line + 3);
	xasprintf(&leaf, "%s/runner", dir);
	for (tok = strtok_r(want, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		xappendf(&plus, "%s+%s", plus != NULL ? " " : "", tok);
	snprintf(num, sizeof num, "%ld", (long)pid);
	/*
	 * A group with processes in it gives its children no controller:
	 * we move into a leaf of our own, then hand the controllers down.
	 */
	if (cgroup_file_has(dir, "cgroup.controllers", controllers) &&
	    access(dir, W_OK) == 0 && (mkdir(leaf, 0755) == 0 ||
	    errno == EEXIST) && cgroup_write(leaf, "cgroup.procs", num) == 0 &&
	    cgroup_write(dir, "cgroup.subtree_control", plus) == 0) {
		*base = dir;
		dir = NULL;
		rc = 0;
	}
	free(dir);
	free(leaf);
	free(plus);
	free(want);
	return rc;
}

/* The contents of /proc/self/cgroup, or NULL. */
static char *
cgroup_self(void)
{
	char *text = NULL;
	FILE *f = fopen("/proc/self/cgroup", "re");
	size_t cap = 0;
	ssize_t n;
	char *line = NULL;

	if (f == NULL)
		return NULL;
	while ((n = getline(&line, &cap, f)) > 0)
		xappendf(&text, "%s", line);
	free(line);
	fclose(f);
	return text;
}

int
cgroup_probe(int want_memory, int want_pids, char *why, size_t size)
{
	const char *need[2] = { want_memory ? "memory" : NULL,
	    want_pids ? "pids" : NULL };
	const char *want = want_memory && want_pids ? "memory pids" :
	    want_memory ? "memory" : "pids";
	char *self;

	if (cgroup_v2_has(want) && access(CGROUP_ROOT, W_OK) == 0)
		return 0;
	/* Not root, but systemd's Delegate=yes may have given us a group. */
	if (cgroup_v2_base == NULL && access(CGROUP_ROOT "/cgroup.controllers",
	    F_OK) == 0 && (self = cgroup_self()) != NULL) {
		int rc = cgroup_delegate(CGROUP_ROOT, self, want, getpid(),
		    &cgroup_v2_base);

		free(self);
		if (rc == 0) {
			log_info("job groups under '%s', delegated to us",
			    cgroup_v2_base);
			return 0;
		}
	}
	for (int i = 0; i < 2; i++) {
		char *dir;

		if (need[i] == NULL)
			continue;
		if ((dir = cgroup_v1_parent(need[i])) == NULL ||
		    access(dir, W_OK) == -1) {
			snprintf(why, size, "no writable %s control group (needs "
			    "root and cgroup v2 with the %s controller, or the v1 "
			    "%s hierarchy)", need[i], need[i], need[i]);
			free(dir);
			return -1;
		}
		free(dir);
	}
	return 0;
}

/* Make dir and open its cgroup.procs as the next fd of cg. */
static int
cgroup_add(struct cgroup_job *cg, char *dir)
{
	char *procs;
	int fd;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		log_warn("unable to create '%s'", dir);
		free(dir);
		return -1;
	}
	xasprintf(&procs, "%s/cgroup.procs", dir);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	free(procs);
	if (fd == -1) {
		log_warn("unable to open '%s/cgroup.procs'", dir);
		rmdir(dir);
		free(dir);
		return -1;
	}
	cg->dirs[cg->n] = dir;
	cg->fds[cg->n++] = fd;
	return 0;
}

int
cgroup_job_create(struct cgroup_job *cg, const char *name,
    int64_t memory_bytes, int pids)
{
	char num[32], *dir, *parent;

	memset(cg, 0, sizeof *cg);
	cg->v2 = cgroup_v2_has(memory_bytes > 0 && pids > 0 ? "memory pids" :
	    memory_bytes > 0 ? "memory" : "pids");
	if (cg->v2) {
		xasprintf(&dir, "%s/%s-%s", cgroup_v2_base != NULL ?
		    cgroup_v2_base : CGROUP_ROOT, CGROUP_PARENT, name);
		if (cgroup_add(cg, dir) == -1)
			return -1;
		snprintf(num, sizeof num, "%lld", (long long)memory_bytes);
		if ((memory_bytes > 0 && (cgroup_write(cg->dirs[0],
		    "memory.max", num) == -1 || cgroup_write(cg->dirs[0],
		    "memory.swap.max", "0") == -1)) || (pids > 0 &&
		    (snprintf(num, sizeof num, "%d", pids), cgroup_write(
		    cg->dirs[0], "pids.max", num) == -1)))
			goto fail;
		return 0;
	}
	if (memory_bytes > 0) {
		if ((parent = cgroup_v1_parent("memory")) == NULL)
			goto fail;
		xasprintf(&dir, "%s/%s", parent, name);
		free(parent);
		snprintf(num, sizeof num, "%lld", (long long)memory_bytes);
		if (cgroup_add(cg, dir) == -1 || cgroup_write(cg->dirs[cg->n - 1],
		    "memory.limit_in_bytes", num) == -1)
			goto fail;
	}
	if (pids > 0) {
		if ((parent = cgroup_v1_parent("pids")) == NULL)
			goto fail;
		xasprintf(&dir, "%s/%s", parent, name);
		free(parent);
		snprintf(num, sizeof num, "%d", pids);
		if (cgroup_add(cg, dir) == -1 || cgroup_write(cg->dirs[cg->n - 1],
		    "pids.max", num) == -1)
			goto fail;
	}
	return 0;
fail:
	cgroup_job_destroy(cg);
	return -1;
}

/* The number after key in dir/file ("key N" lines), or 0. */
static long long
cgroup_read_key(const char *dir, const char *file, const char *key)
{
	char *path, line[128];
	long long v = 0;
	size_t klen = strlen(key);
	FILE *f;

	xasprintf(&path, "%s/%s", dir, file);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			v = atoll(line + klen + 1);
	}
	fclose(f);
	return v;
}

int
cgroup_job_oom(const struct cgroup_job *cg)
{
	for (int i = 0; i < cg->n; i++) {
		if (cg->v2 ? cgroup_read_key(cg->dirs[i], "memory.events",
		    "oom_kill") > 0 : cgroup_read_key(cg->dirs[i],
		    "memory.oom_control", "oom_kill") > 0)
			return 1;
	}
	return 0;
}

/* SIGKILL every process listed in dir/cgroup.procs. */
static void
cgroup_kill_all(const char *dir)
{
	char *path, line[32];
	FILE *f;

	xasprintf(&path, "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		pid_t pid = (pid_t)atol(line);

		if (pid > 1)
			kill(pid, SIGKILL);
	}
	fclose(f);
}

/*
 * Groups the kernel had not emptied yet when their job ended; removed on a
 * later try rather than waited for.
 */
static char *cgroup_stale[64];

static void
cgroup_remove(char *dir)
{
	if (rmdir(dir) == 0 || errno != EBUSY) {
		free(dir);
		return;
	}
	for (size_t i = 0; i < sizeof cgroup_stale / sizeof cgroup_stale[0];
	    i++) {
		if (cgroup_stale[i] == NULL) {
			cgroup_stale[i] = dir;
			return;
		}
	}
	log_warnx("unable to remove control group '%s': still busy", dir);
	free(dir);
}

void
cgroup_cleanup(void)
{
	for (size_t i = 0; i < sizeof cgroup_stale / sizeof cgroup_stale[0];
	    i++) {
		if (cgroup_stale[i] != NULL && (rmdir(cgroup_stale[i]) == 0 ||
		    errno != EBUSY)) {
			free(cgroup_stale[i]);
			cgroup_stale[i] = NULL;
		}
	}
}

void
cgroup_job_destroy(struct cgroup_job *cg)
{
	cgroup_cleanup();
	for (int i = 0; i < cg->n; i++) {
		close(cg->fds[i]);
		cgroup_kill_all(cg->dirs[i]);
		cgroup_remove(cg->dirs[i]);
	}
	cg->n = 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * runcache.c - a runner's caches (runcache.h) restored and saved: the
 * tars extracted and made by tar as a child on the loop, the save synced
 * and renamed whole, what a failed restore put in place removed; the
 * disk's side is runcache_disk.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "runcache_int.h"
#include "spawn.h"
#include "util.h"

enum runcache_kind { RUNCACHE_RESTORE, RUNCACHE_SAVE };

struct runcache_op {
	enum runcache_kind kind;
	struct event *ev_done;
	struct spawn *child;
	int stopped;
	int ok;
	char key[65];
	int64_t max;
	char *root;
	char *tree, *home;	/* the bases, resolved; home may be NULL */
	char *stage;		/* ROOT/.tmp/<pid>.<n>: tree and home links */
	char *file;		/* the cache restored, or the one saved */
	char *tmp;		/* a save's tar until renamed */
	char *from;		/* the branch a restore took it from */
	char **undo;		/* what a restore made, removed if it fails */
	size_t nundo;
	char *msg;		/* lines for the job's log */
	runcache_restored_cb restored;
	runcache_saved_cb saved;
	void *arg;
};

/* Temporary names: ours are told apart from a dead runner's by the pid. */
static unsigned runcache_serial;

/* A line for the job's log, after those said before. */
static void __attribute__((format(printf, 2, 3)))
runcache_say(struct runcache_op *op, const char *fmt, ...)
{
	char *line;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	xappendf(&op->msg, "%s%s", op->msg != NULL ? "\n" : "", line);
	free(line);
}

/* Remove op's tar folder. */
static void
runcache_unstage(struct runcache_op *op)
{
	if (op->stage == NULL)
		return;
	runcache_unstage_dir(op->stage);
	free(op->stage);
	op->stage = NULL;
}

/* op's tar folder, with its links to the bases: 0, or -1 (said). */
static int
runcache_stage(struct runcache_op *op)
{
	char *tmp, *link;
	int rc = 0;

	xasprintf(&tmp, "%s/%s", op->root, RUNCACHE_STAGES);
	xasprintf(&op->stage, "%s/%ld.%u", tmp, (long)getpid(),
	    runcache_serial++);
	if ((mkdir(tmp, 0700) == -1 && errno != EEXIST) ||
	    mkdir(op->stage, 0700) == -1) {
		runcache_say(op, "cache not used: unable to make '%s': %s",
		    op->stage, strerror(errno));
		free(op->stage);
		op->stage = NULL;
		free(tmp);
		return -1;
	}
	free(tmp);
	for (int i = 0; i < 2 && rc == 0; i++) {
		const char *to = i == 0 ? op->tree : op->home;

		if (to == NULL)
			continue;
		xasprintf(&link, "%s/%s", op->stage, i == 0 ? "tree" : "home");
		if (symlink(to, link) == -1) {
			runcache_say(op, "cache not used: unable to make '%s': "
			    "%s", link, strerror(errno));
			rc = -1;
		}
		free(link);
	}
	if (rc == -1)
		runcache_unstage(op);
	return rc;
}

static void
runcache_free(struct runcache_op *op)
{
	runcache_unstage(op);
	if (op->tmp != NULL)
		unlink(op->tmp);
	for (size_t i = 0; i < op->nundo; i++)
		free(op->undo[i]);
	free(op->undo);
	event_free(op->ev_done);
	free(op->root);
	free(op->tree);
	free(op->home);
	free(op->file);
	free(op->tmp);
	free(op->from);
	free(op->msg);
	free(op);
}

static void
runcache_fire(evutil_socket_t fd, short what, void *arg)
{
	struct runcache_op *op = arg;

	(void)fd;
	(void)what;
	if (op->kind == RUNCACHE_RESTORE)
		op->restored(op->arg, op->ok, op->from, op->msg);
	else
		op->saved(op->arg, op->ok, op->msg);
	runcache_free(op);
}

/* op is over: its callback runs in the next turn of the loop. */
static void
runcache_end(struct runcache_op *op, int ok)
{
	static const struct timeval now = { 0, 0 };

	op->ok = ok;
	runcache_unstage(op);
	if (op->msg == NULL)
		runcache_say(op, "cache %s", ok ? "used" : "not used");
	evtimer_add(op->ev_done, &now);
}

/* What tar said (status, output) as the end of a note. */
static void
runcache_failed(struct runcache_op *op, const char *what, int status,
    const char *out, size_t len)
{
	char said[400], *lines = xmalloc(2 * len + 1);
	size_t n = 0;

	/* Its lines on one line of ours, "; " between them. */
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		len--;
	for (size_t i = 0; i < len; i++) {
		if (out[i] == '\n') {
			lines[n++] = ';';
			lines[n++] = ' ';
		} else
			lines[n++] = out[i];
	}
	log_escape_cut(lines, n, 240, said, sizeof said);
	free(lines);
	if (status == -1)
		runcache_say(op, "%s did not run", what);
	else
		runcache_say(op, "%s failed (status %d)%s%s", what, status,
		    n > 0 ? ": " : "", n > 0 ? said : "");
}

static struct runcache_op *
runcache_op_new(const struct runcache_job *c, enum runcache_kind kind,
    void *arg)
{
	struct runcache_op *op = xcalloc(1, sizeof *op);

	op->kind = kind;
	op->arg = arg;
	op->max = c->max_bytes;
	op->root = xstrdup(c->root);
	op->ev_done = evtimer_new(c->base, runcache_fire, op);
	return op;
}

/*
 * The op's bases and key: 0, or -1 once it has ended (the cache is off,
 * the key cannot be made, the tree is gone).
 */
static int
runcache_prepare(struct runcache_op *op, const struct runcache_job *c)
{
	char err[512];
	int homeless = 0;

	if (c->max_bytes <= 0 || c->npaths == 0) {
		runcache_say(op, "cache not used: %s", c->max_bytes <= 0 ?
		    "caches are off on this runner (--cache-max 0)" :
		    "no paths");
		runcache_end(op, 0);
		return -1;
	}
	if (c->key != NULL && strlen(c->key) == 64 &&
	    strspn(c->key, "0123456789abcdef") == 64)
		memcpy(op->key, c->key, sizeof op->key);
	else if (c->key != NULL)
		snprintf(err, sizeof err, "'%.64s' is no key", c->key);
	else if (runcache_key(c, op->key, err, sizeof err) == 0)
		err[0] = '\0';
	if (op->key[0] == '\0') {
		runcache_say(op, "cache not used: %s", err);
		runcache_end(op, 0);
		return -1;
	}
	op->tree = realpath(c->tree, NULL);
	if (c->home != NULL && (op->home = realpath(c->home, NULL)) != NULL &&
	    strcmp(op->home, "/") == 0) {
		free(op->home);
		op->home = NULL;
	}
	for (size_t i = 0; i < c->npaths; i++)
		homeless |= strncmp(c->paths[i], "~/", 2) == 0 &&
		    op->home == NULL;
	if (op->tree == NULL || (homeless && op->kind == RUNCACHE_RESTORE)) {
		runcache_say(op, "cache not used: %s", op->tree == NULL ?
		    "the tree is gone" : "'~/' paths, and no usable HOME");
		runcache_end(op, 0);
		return -1;
	}
	return 0;
}

/*
 * A path of the cache as tar's member ("tree/x" or "home/x", without a
 * '/' at the end) and its base: 0, or -1 if it has no usable base.
 */
static int
runcache_member(const struct runcache_op *op, const char *path,
    char **member, const char **base, const char **rel)
{
	int home = strncmp(path, "~/", 2) == 0;
	size_t len;

	*base = home ? op->home : op->tree;
	if (*base == NULL)
		return -1;
	xasprintf(member, "%s/%s", home ? "home" : "tree", path + 2 * home);
	len = strlen(*member);
	while (len > 0 && (*member)[len - 1] == '/')
		(*member)[--len] = '\0';
	*rel = *member + 5;
	return 0;
}

/* The cache file of op's key in branch's folder. */
static char *
runcache_file(const struct runcache_op *op, const struct runcache_job *c,
    const char *branch)
{
	char *dir = runcache_dir(op->root, c->repo, branch), *file;

	xasprintf(&file, "%s/%s.tar", dir, op->key);
	free(dir);
	return file;
}

static void
runcache_undone(int status, const char *out, size_t len, void *arg)
{
	struct runcache_op *op = arg;

	(void)out;
	(void)len;
	op->child = NULL;
	if (op->stopped) {
		runcache_free(op);
		return;
	}
	if (status != 0)
		runcache_say(op, "some of it may be left in place");
	runcache_end(op, 0);
}

/* A failed restore: what it made goes (rm, on the loop), then it ends. */
static void
runcache_undo(struct runcache_op *op)
{
	const char **argv;

	if (op->nundo == 0) {
		runcache_end(op, 0);
		return;
	}
	argv = xcalloc(op->nundo + 4, sizeof *argv);
	argv[0] = "rm";
	argv[1] = "-rf";
	argv[2] = "--";
	for (size_t i = 0; i < op->nundo; i++)
		argv[3 + i] = op->undo[i];
	runcache_say(op, "what it had put in place is removed");
	op->child = spawn_capture(argv, NULL, RUNCACHE_OUTPUT_MAX,
	    runcache_undone, op);
	free(argv);
	if (op->child == NULL)
		runcache_undone(-1, "", 0, op);
}

static void
runcache_extracted(int status, const char *out, size_t len, void *arg)
{
	struct runcache_op *op = arg;
	struct stat st;
	char size[32];

	op->child = NULL;
	if (op->stopped) {
		runcache_free(op);
		return;
	}
	if (status != 0) {
		runcache_failed(op, "cache not restored: tar", status, out, len);
		runcache_undo(op);
		return;
	}
	/* Used now: the last to be evicted. */
	utimensat(AT_FDCWD, op->file, NULL, 0);
	runcache_say(op, "cache restored (key %.8s, %s, from branch %s)",
	    op->key, runcache_size(stat(op->file, &st) == 0 ? st.st_size : 0,
	    size, sizeof size), op->from);
	runcache_end(op, 1);
}

struct runcache_op *
runcache_restore(const struct runcache_job *c, runcache_restored_cb cb,
    void *arg)
{
	struct runcache_op *op = runcache_op_new(c, RUNCACHE_RESTORE, arg);
	const char *branch = c->branch != NULL ? c->branch : "";
	const char *base, *rel;
	char *member, *top;
	int exists, inside;

	op->restored = cb;
	op->from = xstrdup(branch);
	if (runcache_prepare(op, c) == -1)
		return op;
	op->file = runcache_file(op, c, branch);
	if (access(op->file, F_OK) == -1 && c->default_branch != NULL &&
	    strcmp(branch, c->default_branch) != 0) {
		free(op->file);
		free(op->from);
		op->from = xstrdup(c->default_branch);
		op->file = runcache_file(op, c, c->default_branch);
	}
	if (access(op->file, F_OK) == -1) {
		runcache_say(op, "no cache for key %.8s", op->key);
		runcache_end(op, 0);
		return op;
	}
	/*
	 * tar follows a link already in the tree on the way to a member: a
	 * commit's own link must not lead the cache out of it.
	 */
	op->undo = xcalloc(c->npaths, sizeof *op->undo);
	for (size_t i = 0; i < c->npaths; i++) {
		if (!runcache_path_valid(c->paths[i], 1) ||
		    runcache_member(op, c->paths[i], &member, &base,
		    &rel) == -1) {
			runcache_say(op, "cache not restored: '%.300s' is not a "
			    "cache path", c->paths[i]);
			runcache_end(op, 0);
			return op;
		}
		inside = runcache_inside(base, rel, &exists, &top);
		free(member);
		if (!inside) {
			runcache_say(op, "cache not restored: '%s' leads out "
			    "of the %s", c->paths[i], base == op->home ?
			    "job's HOME" : "tree");
			runcache_end(op, 0);
			return op;
		}
		if (top != NULL)
			op->undo[op->nundo++] = top;
	}
	if (runcache_stage(op) == -1) {
		runcache_end(op, 0);
		return op;
	}
	/* Owners and modes as a job could have made them, no more. */
	op->child = spawn_capture((const char *const[]){ "tar", "-xf",
	    op->file, "-C", op->stage, "--no-same-owner",
	    "--no-same-permissions", NULL }, NULL,
	    RUNCACHE_OUTPUT_MAX, runcache_extracted, op);
	if (op->child == NULL)
		runcache_extracted(-1, "", 0, op);
	return op;
}

static void
runcache_synced(int status, const char *out, size_t len, void *arg)
{
	struct runcache_op *op = arg;
	char size[32], cap[32];
	int64_t freed;
	struct stat st;
	int gone;

	op->child = NULL;
	if (op->stopped) {
		runcache_free(op);
		return;
	}
	if (status != 0 || stat(op->tmp, &st) == -1 ||
	    rename(op->tmp, op->file) == -1) {
		if (status != 0)
			runcache_failed(op, "cache not saved: sync", status,
			    out, len);
		else
			runcache_say(op, "cache not saved: unable to rename "
			    "'%s': %s", op->tmp, strerror(errno));
		runcache_end(op, 0);
		return;
	}
	free(op->tmp);
	op->tmp = NULL;
	sync_parent_dir(op->file);
	runcache_say(op, "cache saved (key %.8s, %s)", op->key,
	    runcache_size(st.st_size, size, sizeof size));
	if ((gone = runcache_evict(op->root, op->max, op->file, &freed)) > 0)
		runcache_say(op, "%d older cache%s evicted (%s) to stay under "
		    "--cache-max (%s)", gone, gone == 1 ? "" : "s",
		    runcache_size(freed, size, sizeof size),
		    runcache_size(op->max, cap, sizeof cap));
	runcache_end(op, 1);
}

static void
runcache_archived(int status, const char *out, size_t len, void *arg)
{
	struct runcache_op *op = arg;
	char size[32], cap[32];
	struct stat st;

	op->child = NULL;
	if (op->stopped) {
		runcache_free(op);
		return;
	}
	runcache_unstage(op);
	if (status != 0) {
		runcache_failed(op, "cache not saved: tar", status, out, len);
		runcache_end(op, 0);
		return;
	}
	if (stat(op->tmp, &st) == 0 && st.st_size > op->max) {
		runcache_say(op, "cache not saved: its %s are over "
		    "--cache-max (%s)", runcache_size(st.st_size, size,
		    sizeof size), runcache_size(op->max, cap, sizeof cap));
		runcache_end(op, 0);
		return;
	}
	/* Synced before the rename: a crash must not leave half a tar. */
	op->child = spawn_capture((const char *const[]){ "sync", "--",
	    op->tmp, NULL }, NULL, RUNCACHE_OUTPUT_MAX, runcache_synced, op);
	if (op->child == NULL)
		runcache_synced(-1, "", 0, op);
}

/* The members to archive, those not there or leading out said. */
static size_t
runcache_members(struct runcache_op *op, const struct runcache_job *c,
    const char **argv, size_t n)
{
	const char *base, *rel;
	char *member;
	int exists;

	for (size_t i = 0; i < c->npaths; i++) {
		const char *p = c->paths[i];

		if (!runcache_path_valid(p, 1) ||
		    runcache_member(op, p, &member, &base, &rel) == -1) {
			runcache_say(op, "cache path '%.300s' left out: %s", p,
			    runcache_path_valid(p, 1) ? "no usable HOME" :
			    "not a path relative to the tree or '~/'");
			continue;
		}
		if (!runcache_inside(base, rel, &exists, NULL) || !exists) {
			runcache_say(op, "cache path '%s' left out: %s", p,
			    exists ? "it leads out of its base" :
			    "it is not there");
			free(member);
			continue;
		}
		argv[n++] = member;
	}
	return n;
}

struct runcache_op *
runcache_save(const struct runcache_job *c, runcache_saved_cb cb,
    void *arg)
{
	struct runcache_op *op = runcache_op_new(c, RUNCACHE_SAVE, arg);
	const char *branch = c->branch != NULL ? c->branch : "";
	const char **argv;
	pid_t self = getpid();
	size_t n;
	char *dir;

	op->saved = cb;
	if (runcache_prepare(op, c) == -1)
		return op;
	argv = xcalloc(c->npaths + 8, sizeof *argv);
	n = runcache_members(op, c, argv, 6);
	if (n == 6) {
		runcache_say(op, "cache not saved: nothing left to save");
		runcache_end(op, 0);
		free(argv);
		return op;
	}
	dir = runcache_dir(op->root, c->repo, branch);
	xasprintf(&op->file, "%s/%s.tar", dir, op->key);
	xasprintf(&op->tmp, "%s.tmp.%ld.%u", op->file, (long)self,
	    runcache_serial++);
	if (mkdir_p(dir) == -1 || runcache_stage(op) == -1) {
		if (access(dir, F_OK) == -1)
			runcache_say(op, "cache not saved: unable to make '%s'",
			    dir);
		free(op->tmp);
		op->tmp = NULL;
		runcache_end(op, 0);
	} else {
		/* What a killed save of an earlier runner left here. */
		runcache_clean_tmp(dir, self);
		argv[0] = "tar";
		argv[1] = "-cf";
		argv[2] = op->tmp;
		argv[3] = "-C";
		argv[4] = op->stage;
		argv[5] = "--";
		op->child = spawn_capture(argv, NULL, RUNCACHE_OUTPUT_MAX,
		    runcache_archived, op);
		if (op->child == NULL)
			runcache_archived(-1, "", 0, op);
	}
	for (size_t i = 6; i < n; i++)
		free((char *)argv[i]);
	free(argv);
	free(dir);
	return op;
}

void
runcache_stop(struct runcache_op *op)
{
	if (op == NULL)
		return;
	if (op->child == NULL) {
		runcache_free(op);
		return;
	}
	op->stopped = 1;
	spawn_kill(op->child, SIGKILL);
}


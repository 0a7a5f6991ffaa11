/* SPDX-License-Identifier: MIT */
/*
 * backup.c - "ssci backup FILE" and "ssci restore FILE": a dispatcher's
 * state as one tar file holding ssci.db (a copy of the store as it was at
 * one moment, made by the store while the dispatcher goes on) and logs/
 * (the jobs' output), written with tar under a temporary name and renamed
 * when whole; and the way back into a state dir no dispatcher uses, what
 * was there kept aside.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "lock.h"
#include "spawn.h"
#include "store.h"
#include "util.h"

struct backup_args {
	const char *state_dir;
	const char *store;
	int verbose;
};

static const struct cmd_opt backup_opts[] = {
	{ "state-dir", required_argument, 's', "DIR",
	    "the dispatcher's: ./ssci-data", "the dispatcher's state dir",
	    CMD_STR(struct backup_args, state_dir) },
	{ "store", required_argument, 'e', "URL", "the dispatcher's",
	    "the dispatcher's store: only its state dir's ssci.db is copied",
	    CMD_STR(struct backup_args, store) },
	CMD_OPT_CONFIG,
	CMD_OPT_VERBOSE(struct backup_args, verbose),
	CMD_OPT_HELP,
	CMD_OPT_END,
};

static const struct cmd_spec backup_spec = {
	"usage: ssci backup [OPTIONS] FILE\n", "vh", backup_opts,
	"dispatcher", sizeof(struct backup_args), 1,
};

static const struct cmd_spec restore_spec = {
	"usage: ssci restore [OPTIONS] FILE\n", "vh", backup_opts,
	"dispatcher", sizeof(struct backup_args), 1,
};

/* Remove the database file at db and what SQLite may have left beside it. */
static void
backup_unlink_db(const char *db)
{
	static const char *const sides[] = { "", "-wal", "-shm", "-journal" };
	char *path;

	for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
		xasprintf(&path, "%s%s", db, sides[i]);
		unlink(path);
		free(path);
	}
}

/* Say that tar failed to do what, with what it said on one line. */
static void
backup_tar_failed(const char *what, int status, char *out)
{
	size_t n = out != NULL ? strlen(out) : 0;

	while (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (out[i] == '\n')
			out[i] = ' ';
	}
	log_warnx("unable to %s: tar %s%s", what, status == -1 ?
	    "did not run" : "failed: ", n > 0 ? out : "");
}

/* Run tar with argv: 0, or -1 after saying what it said. */
static int
backup_tar(const char *const *argv, const char *what, int changed_ok)
{
	char *out = NULL;
	int status = spawn_run_sync(argv, NULL, &out);

	/* GNU tar's 1: a file changed while it was read (a running job's log). */
	if (status != 0 && !(changed_ok && status == 1)) {
		backup_tar_failed(what, status, out);
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

/* fsync path: 0, or -1 after saying why. */
static int
backup_sync(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1 || fsync(fd) == -1) {
		log_warn("unable to sync '%s'", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
backup_make(const char *given, const char *file)
{
	char *tmp, *db, *part, *logs, *state;
	struct stat st;
	int rc = -1, with_logs;

	if (access(file, F_OK) == 0) {
		log_warnx("unable to write '%s': it exists", file);
		return -1;
	}
	/* Absolute: tar's -C are relative to each other. */
	if ((state = realpath(given, NULL)) == NULL) {
		log_warn("unable to back up '%s'", given);
		return -1;
	}
	xasprintf(&tmp, "%s.tmp.%ld", file, (long)getpid());
	xasprintf(&db, "%s/ssci.db", tmp);
	xasprintf(&part, "%s.part", tmp);
	xasprintf(&logs, "%s/logs", state);
	with_logs = stat(logs, &st) == 0 && S_ISDIR(st.st_mode);
	if (mkdir(tmp, 0700) == -1) {
		log_warn("unable to make '%s'", tmp);
		goto out;
	}
	/* Never secrets.key: without it the store's secrets in the copy
	 * stay sealed (docs/SECURITY.md). */
	if (store_backup(state, db) == 0 && backup_tar((const char *const[]){
	    "tar", "-cf", part, "--warning=no-file-changed", "-C", tmp,
	    "ssci.db", "-C", state, with_logs ? "logs" : NULL, NULL },
	    "write the backup", 1) == 0 && backup_sync(part) == 0) {
		if (rename(part, file) == -1)
			log_warn("unable to rename '%s' to '%s'", part, file);
		else {
			sync_parent_dir(file);
			rc = 0;
		}
	}
	backup_unlink_db(db);
	unlink(part);
	rmdir(tmp);
out:
	free(tmp);
	free(db);
	free(part);
	free(logs);
	free(state);
	return rc;
}

/* The members of the backup at file, checked: 0 and *logs, or -1. */
static int
backup_members(const char *file, int *logs)
{
	char *out = NULL, *line, *save;
	int status, db = 0, rc = 0;

	status = spawn_run_sync((const char *const[]){ "tar", "-tf", file,
	    NULL }, NULL, &out);
	if (status != 0) {
		xasprintf(&line, "read '%s'", file);
		backup_tar_failed(line, status, out);
		free(line);
		free(out);
		return -1;
	}
	*logs = 0;
	for (line = strtok_r(out, "\n", &save); line != NULL && rc == 0;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "ssci.db") == 0)
			db = 1;
		else if (strcmp(line, "logs/") == 0 || strcmp(line, "logs") == 0)
			*logs = 1;
		else if (strncmp(line, "logs/", 5) != 0 ||
		    strstr(line, "..") != NULL || strchr(line + 5, '/') != NULL)
			rc = -1;
		else
			*logs = 1;
	}
	free(out);
	if (rc == -1 || !db)
		log_warnx("unable to restore '%s': not a backup of ssci "
		    "(it holds %s)", file, rc == -1 ? "other files" :
		    "no ssci.db");
	return rc == -1 || !db ? -1 : 0;
}

/*
 * Whether every entry of the extracted logs folder is a plain file: a
 * link in a backup would have the pages serve what it points at.
 */
static int
backup_logs_plain(const char *file, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	int rc = 0;

	if (d == NULL) {
		log_warn("unable to read '%s'", dir);
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(st.st_mode)) {
			log_warnx("unable to restore '%s': 'logs/%s' in it is "
			    "not a plain file", file, e->d_name);
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

/*
 * As root, what tar made is root's: give the store and the logs to the
 * state dir's owner, who runs the dispatcher (the package's ssci).  0, or
 * -1 after saying why.
 */
static int
backup_give(const char *state, const char *db, const char *logs,
    int with_logs)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (geteuid() != 0 || stat(state, &st) == -1 || st.st_uid == 0)
		return 0;
	if (chown(db, st.st_uid, st.st_gid) == -1 || (with_logs &&
	    chown(logs, st.st_uid, st.st_gid) == -1)) {
		log_warn("unable to give '%s' to its owner", db);
		return -1;
	}
	if (!with_logs || (d = opendir(logs)) == NULL)
		return 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' && fchownat(dirfd(d), e->d_name,
		    st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) == -1) {
			log_warn("unable to give '%s/%s' to its owner", logs,
			    e->d_name);
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

/* Remove the extracted files left in dir (plain files only), then it. */
static void
backup_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	rmdir(dir);
}

/* Move state/name, if there, into aside (made when first needed). */
static int
backup_put_aside(const char *state, const char *name, const char *aside)
{
	char *from, *to;
	int rc = 0;

	xasprintf(&from, "%s/%s", state, name);
	xasprintf(&to, "%s/%s", aside, name);
	if (access(from, F_OK) == 0 && ((mkdir(aside, 0700) == -1 &&
	    errno != EEXIST) || rename(from, to) == -1)) {
		log_warn("unable to move '%s' to '%s'", from, to);
		rc = -1;
	}
	free(from);
	free(to);
	return rc;
}

static int
backup_restore(const char *state, const char *file)
{
	/* secrets.key stays: it opens the restored store's secrets. */
	static const char *const olds[] = { "ssci.db", "ssci.db-wal",
	    "ssci.db-shm", "logs" };
	struct lock_holder holder;
	char *path, *tmp, *db, *logs, *aside, stamp[32];
	struct stat st;
	time_t now = time(NULL);
	int fd, rc = -1, with_logs;

	if (access(file, R_OK) == -1) {
		log_warn("unable to read '%s'", file);
		return -1;
	}
	if (backup_members(file, &with_logs) == -1 || mkdir_p(state) == -1)
		return -1;
	/* Held while we work, so that no dispatcher starts on a half state. */
	xasprintf(&path, "%s/dispatcher.lock", state);
	fd = lock_take(path, &holder);
	free(path);
	if (fd == -2)
		log_warnx("unable to restore into '%s': a dispatcher (pid %ld) "
		    "uses it; stop it first", state, (long)holder.pid);
	if (fd < 0)
		return -1;
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime(&now));
	xasprintf(&tmp, "%s/restore.tmp.%ld", state, (long)getpid());
	xasprintf(&db, "%s/ssci.db", tmp);
	xasprintf(&logs, "%s/logs", tmp);
	xasprintf(&aside, "%s/before-restore-%s", state, stamp);
	if (mkdir(tmp, 0700) == -1) {
		log_warn("unable to make '%s'", tmp);
		goto out;
	}
	if (backup_tar((const char *const[]){ "tar", "-xf", file, "-C", tmp,
	    "--no-same-owner", "--no-same-permissions", "ssci.db",
	    with_logs ? "logs" : NULL, NULL }, "read the backup", 0) == -1 ||
	    lstat(db, &st) == -1 || !S_ISREG(st.st_mode) ||
	    store_check_file(db) == -1 || (with_logs && (lstat(logs, &st) ==
	    -1 || !S_ISDIR(st.st_mode) || backup_logs_plain(file, logs) == -1)) ||
	    backup_give(state, db, logs, with_logs) == -1)
		goto clean;
	for (size_t i = 0; i < sizeof olds / sizeof olds[0]; i++) {
		if (backup_put_aside(state, olds[i], aside) == -1)
			goto clean;
	}
	xasprintf(&path, "%s/ssci.db", state);
	if (rename(db, path) == -1)
		log_warn("unable to move '%s' to '%s'", db, path);
	else
		rc = 0;
	free(path);
	xasprintf(&path, "%s/logs", state);
	if (rc == 0 && with_logs && rename(logs, path) == -1) {
		log_warn("unable to move '%s' to '%s'", logs, path);
		rc = -1;
	}
	free(path);
	if (rc == 0) {
		sync_parent_dir(db);
		printf("restored '%s' into '%s'%s%s%s\n", file, state,
		    access(aside, F_OK) == 0 ? "; what was there is in '" : "",
		    access(aside, F_OK) == 0 ? aside : "",
		    access(aside, F_OK) == 0 ? "'" : "");
	}
clean:
	backup_unlink_db(db);
	backup_remove_dir(logs);
	rmdir(tmp);
out:
	close(fd);
	free(tmp);
	free(db);
	free(logs);
	free(aside);
	return rc;
}

/*
 * A copy of STATE/ssci.db is the store's only when the dispatcher keeps
 * it there: after ssci migrate the file is left, stale, and a copy of it
 * would silently be a copy of nothing that matters.  0, or -1 (said).
 */
static int
backup_store_here(const struct backup_args *a, const char *what)
{
	char *here;
	int same;

	if (a->store == NULL)
		return 0;
	xasprintf(&here, "sqlite:%s/ssci.db", a->state_dir);
	same = strcmp(a->store, here) == 0;
	free(here);
	if (same)
		return 0;
	/* Not echoed: a connection string may hold a password. */
	log_warnx("unable to %s '%s': the dispatcher's --store is not its "
	    "ssci.db; a PostgreSQL store is backed up by PostgreSQL "
	    "(pg_dump, docs/SCALING.md)", what, a->state_dir);
	return -1;
}

int
cmd_backup(int argc, char **argv)
{
	struct backup_args a = { .state_dir = "ssci-data" };
	int first = cmd_parse(argc, argv, &backup_spec, &a);

	if (argc - first != 1)
		cmd_usage(&backup_spec);
	log_init("backup", a.verbose);
	if (backup_store_here(&a, "back up") == -1 ||
	    backup_make(a.state_dir, argv[first]) == -1)
		return 1;
	printf("backed up '%s' to '%s'\n", a.state_dir, argv[first]);
	return 0;
}

int
cmd_restore(int argc, char **argv)
{
	struct backup_args a = { .state_dir = "ssci-data" };
	int first = cmd_parse(argc, argv, &restore_spec, &a);

	if (argc - first != 1)
		cmd_usage(&restore_spec);
	log_init("restore", a.verbose);
	if (backup_store_here(&a, "restore into") == -1)
		return 1;
	return backup_restore(a.state_dir, argv[first]) == -1 ? 1 : 0;
}

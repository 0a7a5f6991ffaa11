/* SPDX-License-Identifier: MIT */
/*
 * migrate.c - "ssci migrate --from sqlite:FILE --to postgresql://...":
 * a stopped dispatcher's SQLite store moved into an empty PostgreSQL
 * database, every table with its ids and every job's log from the state
 * dir's logs/, each checked by reading it back from both sides.
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "lock.h"
#include "store.h"
#include "tls.h"
#include "util.h"

struct migrate_args {
	const char *from;
	const char *to;
	int verbose;
};

static const struct cmd_opt migrate_opts[] = {
	{ "from", required_argument, 'f', "sqlite:FILE", NULL,
	    "the SQLite store to move, its dispatcher stopped: "
	    "sqlite:STATE/ssci.db", CMD_STR(struct migrate_args, from) },
	{ "to", required_argument, 't', "URL", NULL,
	    "the PostgreSQL database to move it into, holding no job yet",
	    CMD_STR(struct migrate_args, to) },
	CMD_OPT_VERBOSE(struct migrate_args, verbose),
	CMD_OPT_HELP,
	CMD_OPT_END,
};

static const struct cmd_spec migrate_spec = {
	"usage: ssci migrate --from sqlite:FILE --to URL\n", "vh",
	migrate_opts, NULL, sizeof(struct migrate_args), 0,
};

static void
migrate_said(const struct store_copied *c, void *arg)
{
	(void)arg;
	printf("%-14s %6lld rows, sha256 %.16s... %s\n", c->table,
	    (long long)c->rows_to, c->digest_to,
	    c->rows_from == c->rows_to &&
	    strcmp(c->digest_from, c->digest_to) == 0 ? "the same in both" :
	    "NOT THE SAME");
}

/* A log's chunk read back, into the digest of what the store holds. */
static int
migrate_hash_chunk(const void *data, size_t len, void *arg)
{
	tls_sha256_update(arg, data, len);
	return 0;
}

/*
 * Job's log file into the store, then read back: 0 when both have the
 * same bytes, -1 (said) if not.  *bytes gets its size.
 */
static int
migrate_log(struct store *to, const char *path, int64_t job, int64_t *bytes)
{
	struct tls_sha256 *file = tls_sha256_new(), *kept = tls_sha256_new();
	char buf[65536], want[65], got[65];
	ssize_t n;
	int fd, rc = 0;

	*bytes = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("unable to open '%s'", path);
		rc = -1;
	}
	while (rc == 0 && (n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			log_warn("unable to read '%s'", path);
			rc = -1;
		} else if (store_log_append(to, job, buf, (size_t)n) == -1)
			rc = -1;
		else {
			tls_sha256_update(file, buf, (size_t)n);
			*bytes += n;
		}
	}
	if (fd != -1)
		close(fd);
	tls_sha256_end(file, want);
	if (rc == 0 && store_log_read(to, job, migrate_hash_chunk, kept) == -1)
		rc = -1;
	tls_sha256_end(kept, got);
	if (rc == 0 && strcmp(want, got) != 0) {
		log_warnx("unable to move '%s': read back, it is not the same",
		    path);
		rc = -1;
	}
	return rc;
}

/* Every logs/<job>.log of state dir into the store: 0, or -1. */
static int
migrate_logs(struct store *to, const char *state)
{
	char *dir, *path;
	struct dirent *e;
	int64_t files = 0, bytes = 0, size;
	long long job;
	DIR *d;
	int rc = 0, end;

	xasprintf(&dir, "%s/logs", state);
	if ((d = opendir(dir)) == NULL) {
		printf("%-14s none in '%s'\n", "logs", dir);
		free(dir);
		return 0;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (sscanf(e->d_name, "%lld.log%n", &job, &end) != 1 ||
		    e->d_name[end] != '\0' || job <= 0)
			continue;
		xasprintf(&path, "%s/%s", dir, e->d_name);
		rc = migrate_log(to, path, job, &size);
		free(path);
		files++;
		bytes += size;
	}
	closedir(d);
	if (rc == 0)
		printf("%-14s %6lld files, %lld bytes, each read back the "
		    "same\n", "logs", (long long)files, (long long)bytes);
	free(dir);
	return rc;
}

int
cmd_migrate(int argc, char **argv)
{
	struct migrate_args a = { 0 };
	struct store *from = NULL, *to = NULL;
	struct lock_holder holder;
	char *file, *copy, *state, *lock;
	int first = cmd_parse(argc, argv, &migrate_spec, &a), fd, rc = 1;

	if (argc != first || a.from == NULL || a.to == NULL)
		cmd_usage(&migrate_spec);
	log_init("migrate", a.verbose);
	/* Not echoed: it may be a connection string, password and all. */
	if (strncmp(a.from, "sqlite:", 7) != 0 || a.from[7] == '\0') {
		log_warnx("unable to migrate: --from is not sqlite:FILE");
		return 1;
	}
	/* Not echoed: a connection string may hold a password. */
	if (!store_url_valid(a.to) || strncmp(a.to, "sqlite:", 7) == 0) {
		log_warnx("unable to migrate: --to is not a PostgreSQL URL or "
		    "libpq connection string");
		return 1;
	}
	file = xstrdup(a.from + 7);
	copy = xstrdup(file);
	state = xstrdup(dirname(copy));
	if (access(file, R_OK | W_OK) == -1) {
		log_warn("unable to migrate '%s'", file);
		goto out;
	}
	/* Its dispatcher must be stopped: what it adds would be left out. */
	xasprintf(&lock, "%s/dispatcher.lock", state);
	fd = lock_take(lock, &holder);
	free(lock);
	if (fd == -2)
		log_warnx("unable to migrate '%s': a dispatcher (pid %ld) uses "
		    "it; stop it first", file, (long)holder.pid);
	if (fd < 0)
		goto out;
	if ((from = store_open_url(state, a.from)) == NULL ||
	    (to = store_open_idle(state, a.to)) == NULL ||
	    store_copy(from, to, migrate_said, NULL) == -1 ||
	    migrate_logs(to, state) == -1)
		goto unlock;
	printf("moved '%s' and '%s/logs'; start the dispatcher with --store "
	    "and the same --state-dir (its artifacts/ and secrets.key stay "
	    "there)\n", file, state);
	rc = 0;
unlock:
	if (to != NULL)
		store_close(to);
	if (from != NULL)
		store_close(from);
	close(fd);
out:
	free(file);
	free(copy);
	free(state);
	return rc;
}

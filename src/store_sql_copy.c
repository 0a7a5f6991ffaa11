/* SPDX-License-Identifier: MIT */
/*
 * store_sql_copy.c - a whole SQL store copied into another (ssci migrate:
 * SQLite's file into PostgreSQL): every table's rows with their ids, in an
 * order that keeps references, each table in one transaction; then each
 * table read back from both and compared, by count and by a digest that
 * does not depend on the rows' order.  The texts are built from the fixed
 * table below, never from input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sql.h"
#include "tls.h"
#include "util.h"

/* A table: its columns, and their kinds (i number, t text, b bytes). */
struct copy_table {
	const char *name;
	const char *columns;
	const char *kinds;
};

static const struct copy_table copy_tables[] = {
	{ "repos", "id, url, created_ms", "iti" },
	{ "jobs", "id, repo_id, commit_id, branch, state, attempt, queue_pos, "
	    "runner, created_ms, started_ms, finished_ms, exit_code, "
	    "duration_ms, tests_run, tests_failed, tests_skipped, reason, "
	    "subject, author, retry_of, pipeline_id, name, spec, labels, "
	    "allow_failure, plan_index, flaky, fail_retries, shards, shard_of, "
	    "shard_index, expected_ms, priority, lane_id, hold_until",
	    "iitttiitiiiiiiiitttiitttiiiiiiiiiii" },
	{ "runners", "name, address, first_seen_ms, last_seen_ms", "ttii" },
	{ "pipelines", "id, commit_id, state, plan, finished_ms, pr_title, "
	    "pr_url, triggered_by, params, coalescing, superseded_by, "
	    "bisection", "itttittttiti" },
	{ "job_needs", "job_id, need_id", "ii" },
	{ "tests", "id, repo_id, name, quarantined_ms, quarantined_by",
	    "iitit" },
	{ "test_runs", "job_id, attempt, idx, test_id, branch, status, "
	    "duration_us, suite, file, message, flaky, job_name",
	    "iiiittitttit" },
	{ "test_attempts", "job_id, attempt, total, passed, failed, skipped, "
	    "flaky", "iiiiiii" },
	{ "outbox", "id, target, key, url, body, created_ms", "itttti" },
	{ "deliveries", "forge, id, received_ms", "tti" },
	{ "lanes", "id, repo_id, branch, priority, turn", "iitii" },
	{ "bisections", "id, repo_id, branch, good, bad, state, culprit, "
	    "culprit_commit, culprit_subject, culprit_author, runs, note, "
	    "created_ms, finished_ms", "iitiititttitii" },
	{ "schedules", "spec, last_ms", "ti" },
	{ "secrets", "repo, name, value, branches, updated_ms, updated_by",
	    "ttbtit" },
	{ "artifacts", "job_id, path, size, sha256, mode, created_at, "
	    "expires_at", "ititiii" },
	{ "job_logs", "job_id, seq, data", "iib" },
};

/* A 256-bit sum of the rows' SHA-256es: the same for the same rows. */
struct copy_digest {
	unsigned char sum[32];
	int64_t rows;
};

static void
copy_digest_add(struct copy_digest *d, const char hex[65])
{
	unsigned carry = 0;

	for (int i = 31; i >= 0; i--) {
		unsigned byte;

		sscanf(hex + 2 * i, "%2x", &byte);
		carry += d->sum[i] + byte;
		d->sum[i] = (unsigned char)carry;
		carry >>= 8;
	}
	d->rows++;
}

static void
copy_digest_hex(const struct copy_digest *d, char hex[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d->sum[i]);
}

/* A row's value, kind and all, into the hash: "N", "i5;", "t3:abc". */
static void
copy_hash_value(struct tls_sha256 *h, struct sql_row *row, int col, char kind)
{
	char head[32];
	const void *p;
	size_t len;
	int n;

	if (sql_col_null(row, col)) {
		tls_sha256_update(h, "N", 1);
		return;
	}
	if (kind == 'i') {
		n = snprintf(head, sizeof head, "i%lld;",
		    (long long)sql_col_int64(row, col));
		tls_sha256_update(h, head, (size_t)n);
		return;
	}
	if (kind == 't') {
		p = sql_col_text(row, col);
		len = strlen(p);
	} else
		p = sql_col_blob(row, col, &len);
	n = snprintf(head, sizeof head, "%c%zu:", kind, len);
	tls_sha256_update(h, head, (size_t)n);
	tls_sha256_update(h, p, len);
}

/* The texts of a table's read and write. */
static void
copy_texts(const struct copy_table *t, char **read, char **write)
{
	size_t n = strlen(t->kinds), at;
	char *values = xmalloc(n * 6 + 1);

	at = 0;
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(values + at, 7, "%s?%zu", i ? ", " : "",
		    i + 1);
	xasprintf(read, "SELECT %s FROM %s", t->columns, t->name);
	xasprintf(write, "INSERT INTO %s (%s) VALUES (%s)", t->name,
	    t->columns, values);
	free(values);
}

/* Read a table's rows into *d (and, with to, copy each there): 0, or -1. */
static int
copy_walk(struct sql_store *from, const struct copy_table *t,
    struct sql_store *to, struct copy_digest *d)
{
	struct sql_row *row = sql_row(from, ST_COPY_READ);
	int ncols = (int)strlen(t->kinds), rc;
	char hex[65];

	memset(d, 0, sizeof *d);
	while ((rc = sql_step(from, ST_COPY_READ)) == SQL_ROW) {
		struct tls_sha256 *h = tls_sha256_new();

		for (int c = 0; c < ncols; c++) {
			copy_hash_value(h, row, c, t->kinds[c]);
			if (to == NULL)
				continue;
			if (sql_col_null(row, c))
				sql_bind_text(to, ST_COPY_WRITE, c + 1, NULL);
			else if (t->kinds[c] == 'i')
				sql_bind_int64(to, ST_COPY_WRITE, c + 1,
				    sql_col_int64(row, c));
			else if (t->kinds[c] == 't')
				sql_bind_text(to, ST_COPY_WRITE, c + 1,
				    sql_col_text(row, c));
			else {
				const void *p;
				size_t len;

				p = sql_col_blob(row, c, &len);
				sql_bind_blob(to, ST_COPY_WRITE, c + 1, p, len);
			}
		}
		tls_sha256_end(h, hex);
		copy_digest_add(d, hex);
		if (to != NULL && sql_run(to, ST_COPY_WRITE) == -1) {
			rc = SQL_ERROR;
			break;
		}
	}
	sql_reset(from, ST_COPY_READ);
	return rc == SQL_DONE ? 0 : -1;
}

/* Read a table of store for its digest. */
static int
copy_digest(struct sql_store *store, const struct copy_table *t,
    const char *read, struct copy_digest *d)
{
	if (store->driver->prepare_as(store, ST_COPY_READ, read) == -1)
		return -1;
	return copy_walk(store, t, NULL, d);
}

static int
copy_table(struct sql_store *from, struct sql_store *to,
    const struct copy_table *t, store_copied_cb cb, void *arg)
{
	struct store_copied c = { .table = t->name };
	struct copy_digest copied, df, dt;
	char *read, *write;
	int rc = -1;

	copy_texts(t, &read, &write);
	if (from->driver->prepare_as(from, ST_COPY_READ, read) == -1 ||
	    to->driver->prepare_as(to, ST_COPY_WRITE, write) == -1 ||
	    sql_run(to, ST_BEGIN) == -1)
		goto out;
	if (copy_walk(from, t, to, &copied) == -1) {
		sql_rollback(to);
		goto out;
	}
	if (sql_commit(to) == -1 || copy_digest(from, t, read, &df) == -1 ||
	    copy_digest(to, t, read, &dt) == -1)
		goto out;
	c.rows_from = df.rows;
	c.rows_to = dt.rows;
	copy_digest_hex(&df, c.digest_from);
	copy_digest_hex(&dt, c.digest_to);
	cb(&c, arg);
	if (c.rows_from != c.rows_to ||
	    strcmp(c.digest_from, c.digest_to) != 0) {
		log_warnx("unable to copy table %s: %lld rows in, %lld read "
		    "back, or not the same", t->name, (long long)c.rows_from,
		    (long long)c.rows_to);
		goto out;
	}
	rc = 0;
out:
	free(read);
	free(write);
	return rc;
}

int
sqlstore_copy(struct store *base_from, struct store *base_to,
    store_copied_cb cb, void *arg)
{
	struct sql_store *from = (struct sql_store *)base_from;
	struct sql_store *to = (struct sql_store *)base_to;

	/* Into an empty store only: ids are copied as they are. */
	for (size_t i = 0; i < sizeof copy_tables / sizeof copy_tables[0];
	    i++) {
		struct copy_digest d;
		char *read, *write;
		int rc;

		copy_texts(&copy_tables[i], &read, &write);
		rc = copy_digest(to, &copy_tables[i], read, &d);
		free(read);
		free(write);
		if (rc == -1)
			return -1;
		if (d.rows > 0) {
			log_warnx("unable to copy into '%s': its table %s has "
			    "rows already", to->path, copy_tables[i].name);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof copy_tables / sizeof copy_tables[0];
	    i++) {
		if (copy_table(from, to, &copy_tables[i], cb, arg) == -1)
			return -1;
	}
	return to->driver->copy_done(to);
}

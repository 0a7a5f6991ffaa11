/* SPDX-License-Identifier: MIT */
/*
 * store.c - the dispatcher's durable state in SQLite.
 *
 * The database runs in WAL mode with synchronous=FULL, so a change is on
 * disk when its COMMIT returns and a dispatcher killed with -9 right after
 * acknowledging a dispatch still has the job when it restarts.  Every query
 * is prepared once in store_open from the table below and reused, with
 * values bound as parameters only.  The schema is built by the migrations
 * further down, keyed by PRAGMA user_version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_int.h"
#include "util.h"

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_RESTART_REASON "the dispatcher restarted while the job ran"


/* The columns job_fill reads, in its order. */
#define JOB_COLUMNS \
	"SELECT jobs.id, repos.url, commit_id, branch, state, attempt, " \
	"runner, jobs.created_ms, started_ms, finished_ms, exit_code, " \
	"duration_ms, tests_run, tests_failed, tests_skipped, reason, " \
	"subject, author, retry_of " \
	"FROM jobs JOIN repos ON repos.id = jobs.repo_id "

/*
 * A requeued job goes in front of every queued job; the job's own position
 * counts too so that it never moves behind where it was.
 */
#define FRONT_POS \
	"MIN(queue_pos, COALESCE((SELECT MIN(q.queue_pos) FROM jobs q " \
	"WHERE q.state = 'queued'), queue_pos)) - 1"

const struct store_sql store_sql[ST_MAX] = {
	[ST_BEGIN] = { "begin a transaction", "BEGIN IMMEDIATE" },
	[ST_COMMIT] = { "commit", "COMMIT" },
	[ST_ROLLBACK] = { "roll back", "ROLLBACK" },
	[ST_REPO_FIND] = { "look up a repository",
	    "SELECT id FROM repos WHERE url = ?1" },
	[ST_REPO_ADD] = { "add a repository",
	    "INSERT INTO repos (url, created_ms) VALUES (?1, ?2)" },
	[ST_JOB_LATEST] = { "look up a commit's job",
	    "SELECT id, state FROM jobs WHERE repo_id = ?1 AND commit_id = ?2 "
	    "ORDER BY id DESC LIMIT 1" },
	[ST_JOB_ADD] = { "queue a job",
	    "INSERT INTO jobs (repo_id, commit_id, branch, state, queue_pos, "
	    "created_ms) VALUES (?1, ?2, ?3, 'queued', "
	    "(SELECT COALESCE(MAX(queue_pos), 0) + 1 FROM jobs), ?4)" },
	[ST_JOB_NEXT] = { "read the queue",
	    JOB_COLUMNS "WHERE state = 'queued' "
	    "ORDER BY queue_pos, jobs.id LIMIT 1" },
	[ST_JOB_GET] = { "read a job", JOB_COLUMNS "WHERE jobs.id = ?1" },
	[ST_JOB_FINAL] = { "read a job's state",
	    "SELECT state NOT IN ('queued', 'running') FROM jobs "
	    "WHERE id = ?1" },
	[ST_JOB_START] = { "start job",
	    "UPDATE jobs SET state = 'running', attempt = attempt + 1, "
	    "runner = ?2, started_ms = ?3, finished_ms = NULL "
	    "WHERE id = ?1 AND state = 'queued'" },
	[ST_JOB_ADOPT] = { "adopt job",
	    "UPDATE jobs SET state = 'running', runner = ?2 "
	    "WHERE id = ?1 AND state IN ('queued', 'running')" },
	[ST_JOB_REQUEUE] = { "requeue job",
	    "UPDATE jobs SET state = 'queued', queue_pos = " FRONT_POS ", "
	    "reason = ?2 WHERE id = ?1 AND state = 'running'" },
	[ST_JOB_LAST_RUNNING] = { "find running jobs",
	    "SELECT id FROM jobs WHERE state = 'running' "
	    "ORDER BY queue_pos DESC, id DESC LIMIT 1" },
	[ST_JOB_FINISH] = { "finish a job",
	    "UPDATE jobs SET state = ?2, exit_code = ?3, duration_ms = ?4, "
	    "tests_run = ?5, tests_failed = ?6, tests_skipped = ?7, "
	    "reason = ?8, finished_ms = ?9 "
	    "WHERE id = ?1 AND state IN ('queued', 'running')" },
	[ST_COUNT_STATE] = { "count jobs",
	    "SELECT COUNT(*) FROM jobs WHERE state = ?1" },
	[ST_JOB_DESCRIBE] = { "describe a job",
	    "UPDATE jobs SET subject = COALESCE(subject, ?2), "
	    "author = COALESCE(author, ?3) WHERE id = ?1" },
	[ST_JOB_LIST] = { "list jobs",
	    JOB_COLUMNS "WHERE (?1 IS NULL OR repos.url = ?1 OR "
	    "CAST(repos.id AS TEXT) = ?1) AND (?2 IS NULL OR branch = ?2) "
	    "AND (?3 IS NULL OR state = ?3) AND (?4 IS NULL OR jobs.id < ?4) "
	    "ORDER BY jobs.id DESC LIMIT ?5" },
	[ST_QUEUE_LIST] = { "list the queue",
	    JOB_COLUMNS "WHERE state = 'queued' "
	    "ORDER BY queue_pos, jobs.id LIMIT ?1" },
	[ST_BRANCH_HEADS] = { "list branches",
	    JOB_COLUMNS "WHERE jobs.id IN (SELECT MAX(id) FROM jobs "
	    "GROUP BY repo_id, branch) ORDER BY repos.url, jobs.branch" },
	[ST_COUNT_STATES] = { "count jobs by state",
	    "SELECT state, COUNT(*) FROM jobs GROUP BY state" },
	[ST_OLDEST_QUEUED] = { "find the oldest queued job",
	    "SELECT MIN(created_ms) FROM jobs WHERE state = 'queued'" },
	[ST_JOB_BY_COMMIT] = { "find a commit's job",
	    JOB_COLUMNS "WHERE commit_id LIKE ?1 || '%' "
	    "ORDER BY jobs.id DESC LIMIT 1" },
	[ST_COUNT_QUEUED_REPO] = { "count a repository's queue",
	    "SELECT COUNT(*) FROM jobs WHERE repo_id = ?1 AND state = 'queued'" },
	[ST_RUNNING_IDS] = { "list running jobs",
	    "SELECT id FROM jobs WHERE state = 'running' ORDER BY id" },
	[ST_FINAL_HEADS_PAGE] = { "list finished commits",
	    "SELECT commit_id, MAX(id) FROM jobs WHERE commit_id > ?1 AND "
	    "state NOT IN ('queued', 'running') GROUP BY commit_id "
	    "ORDER BY commit_id LIMIT ?2" },
	[ST_LATEST_FINAL] = { "find a commit's latest result",
	    "SELECT MAX(id) FROM jobs WHERE commit_id = ?1 AND "
	    "state NOT IN ('queued', 'running')" },
	[ST_JOB_RETRY_OF] = { "note what a job retries",
	    "UPDATE jobs SET retry_of = ?2 WHERE id = ?1" },
	[ST_FINAL_BEFORE] = { "find a commit's earlier result",
	    "SELECT MAX(id) FROM jobs WHERE commit_id = ?1 AND id < ?2 AND "
	    "state NOT IN ('queued', 'running')" },
	[ST_RUNNER_SEEN] = { "remember a runner",
	    "INSERT INTO runners (name, address, first_seen_ms, last_seen_ms) "
	    "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (name) DO UPDATE SET "
	    "address = excluded.address, "
	    "last_seen_ms = excluded.last_seen_ms" },
};

/*
 * Migration i brings the schema from version i to i + 1 and must end by
 * setting user_version to i + 1 (checked): the number is part of the
 * script so that no SQL is ever built at run time.  Append only; never edit
 * a migration that has shipped.
 */
static const char *const store_migrations[] = {
	"CREATE TABLE repos (id INTEGER PRIMARY KEY, url TEXT UNIQUE NOT NULL,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE jobs (id INTEGER PRIMARY KEY,"
	"  repo_id INTEGER NOT NULL REFERENCES repos(id),"
	"  commit_id TEXT NOT NULL, branch TEXT, state TEXT NOT NULL,"
	"  attempt INTEGER NOT NULL DEFAULT 0, queue_pos INTEGER NOT NULL,"
	"  runner TEXT, created_ms INTEGER NOT NULL, started_ms INTEGER,"
	"  finished_ms INTEGER, exit_code INTEGER, duration_ms INTEGER,"
	"  tests_run INTEGER, tests_failed INTEGER, tests_skipped INTEGER,"
	"  reason TEXT);"
	"CREATE INDEX jobs_queue ON jobs (state, queue_pos);"
	"CREATE INDEX jobs_commit ON jobs (repo_id, commit_id);"
	"CREATE TABLE runners (name TEXT PRIMARY KEY, address TEXT,"
	"  first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);"
	"PRAGMA user_version = 1;",

	"ALTER TABLE jobs ADD COLUMN subject TEXT;"
	"ALTER TABLE jobs ADD COLUMN author TEXT;"
	"CREATE INDEX jobs_commit_id ON jobs (commit_id);"
	"CREATE INDEX jobs_branch ON jobs (repo_id, branch, id);"
	"PRAGMA user_version = 2;",

	/* A repository's queue and the next queue position, without scans. */
	"CREATE INDEX jobs_repo_state ON jobs (repo_id, state);"
	"CREATE INDEX jobs_queue_pos ON jobs (queue_pos);"
	"PRAGMA user_version = 3;",

	/* A retry names the job it retries. */
	"ALTER TABLE jobs ADD COLUMN retry_of INTEGER;"
	"PRAGMA user_version = 4;",
};

#define STORE_VERSION \
	((int)(sizeof store_migrations / sizeof store_migrations[0]))


/*
 * Failures that may pass without anyone changing the database: space or
 * I/O on its disk, another process holding it.
 */
static int
store_rc_transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		return 1;
	}
	return 0;
}

int
store_error_transient(const struct store *store)
{
	return store->transient;
}

/* Step a statement; anything but a row or the end is logged. */
int
store_step(struct store *store, enum store_stmt id)
{
	int rc;

	rc = sqlite3_step(store->stmt[id]);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("unable to %s in '%s': %s", store_sql[id].what,
		    store->path, sqlite3_errmsg(store->db));
		store->transient = store_rc_transient(rc);
	}
	return rc;
}

/* Make a statement ready for its next use, dropping old values. */
void
store_reset(struct store *store, enum store_stmt id)
{
	sqlite3_reset(store->stmt[id]);
	sqlite3_clear_bindings(store->stmt[id]);
}

/* Run a statement that returns no rows: 0 or -1. */
int
store_run(struct store *store, enum store_stmt id)
{
	int rc;

	rc = store_step(store, id);
	store_reset(store, id);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Run a query for one number: 1 and *out set, 0 if no row, -1. */
int
store_scalar(struct store *store, enum store_stmt id, int64_t *out)
{
	int rc;

	rc = store_step(store, id);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(store->stmt[id], 0);
	store_reset(store, id);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Binding fails only for a wrong index, out of memory or a value past
 * SQLite's limits, which proto's line limit rules out: all broken
 * invariants, so no caller has to handle it.
 */
static void
store_bind_check(struct store *store, enum store_stmt id, int rc)
{
	if (rc != SQLITE_OK)
		fatalx("unable to bind a value to %s in '%s': %s",
		    store_sql[id].what, store->path, sqlite3_errstr(rc));
}

void
store_bind_int64(struct store *store, enum store_stmt id, int idx, int64_t v)
{
	store_bind_check(store, id, sqlite3_bind_int64(store->stmt[id], idx,
	    v));
}

/* A negative number means unknown and is stored as NULL. */
void
store_bind_known(struct store *store, enum store_stmt id, int idx, int64_t v)
{
	if (v < 0)
		store_bind_check(store, id, sqlite3_bind_null(store->stmt[id],
		    idx));
	else
		store_bind_int64(store, id, idx, v);
}

/* NULL binds NULL; the text is copied, callers' buffers are short-lived. */
void
store_bind_text(struct store *store, enum store_stmt id, int idx,
    const char *s)
{
	store_bind_check(store, id, sqlite3_bind_text(store->stmt[id], idx, s,
	    -1, SQLITE_TRANSIENT));
}

/* Roll back after an error, if SQLite has not done so already. */
static void
store_rollback(struct store *store)
{
	if (!sqlite3_get_autocommit(store->db))
		store_run(store, ST_ROLLBACK);
}

/* Commit, or roll back if that fails so no transaction is left open. */
static int
store_commit(struct store *store)
{
	if (store_run(store, ST_COMMIT) == 0)
		return 0;
	store_rollback(store);
	return -1;
}

static char *
column_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return s == NULL ? NULL : xstrdup((const char *)s);
}

/* A number column; NULL reads as def. */
static int64_t
column_int64(sqlite3_stmt *stmt, int col, int64_t def)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return def;
	return sqlite3_column_int64(stmt, col);
}

static int
column_state(sqlite3_stmt *stmt, int col, enum job_state *state)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	if (s == NULL || job_state_parse((const char *)s, state) == -1) {
		log_warnx("unknown job state '%s' in the database",
		    s == NULL ? "" : (const char *)s);
		return -1;
	}
	return 0;
}

/* Fill *job from a row of JOB_COLUMNS: 1, or -1 for a row we can't read. */
int
job_fill(sqlite3_stmt *stmt, struct job *job)
{
	const unsigned char *commit;

	memset(job, 0, sizeof *job);
	if (column_state(stmt, 4, &job->state) == -1)
		return -1;
	job->id = sqlite3_column_int64(stmt, 0);
	job->repo = column_strdup(stmt, 1);
	commit = sqlite3_column_text(stmt, 2);
	snprintf(job->commit, sizeof job->commit, "%s",
	    commit == NULL ? "" : (const char *)commit);
	job->branch = column_strdup(stmt, 3);
	job->attempt = (int)column_int64(stmt, 5, 0);
	job->runner = column_strdup(stmt, 6);
	job->created_ms = column_int64(stmt, 7, 0);
	job->started_ms = column_int64(stmt, 8, 0);
	job->finished_ms = column_int64(stmt, 9, 0);
	job->exit_code = (int)column_int64(stmt, 10, -1);
	job->duration_ms = column_int64(stmt, 11, -1);
	job->tests.run = (int)column_int64(stmt, 12, -1);
	job->tests.failed = (int)column_int64(stmt, 13, -1);
	job->tests.skipped = (int)column_int64(stmt, 14, -1);
	job->reason = column_strdup(stmt, 15);
	job->subject = column_strdup(stmt, 16);
	job->author = column_strdup(stmt, 17);
	job->retry_of = column_int64(stmt, 18, 0);
	return 1;
}

void
job_release(struct job *job)
{
	free(job->repo);
	free(job->branch);
	free(job->runner);
	free(job->reason);
	free(job->subject);
	free(job->author);
	memset(job, 0, sizeof *job);
}

/* Run a fixed script (no values in it) at open time. */
static int
store_exec(struct store *store, const char *what, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(store->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("unable to %s '%s': %s", what, store->path,
		    err != NULL ? err : sqlite3_errmsg(store->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Read one integer from a one-off query at open time. */
static int
store_query_int(struct store *store, const char *sql, int *out)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*out = sqlite3_column_int(stmt, 0);
	if (rc != SQLITE_ROW)
		log_warnx("unable to read '%s': %s", store->path,
		    sqlite3_errmsg(store->db));
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * WAL makes a commit one append and lets readers go on during a write; a
 * filesystem without shared memory refuses it, and then we want to know.
 */
static int
store_connect(struct store *store)
{
	int rc, wal;

	rc = sqlite3_open_v2(store->path, &store->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("unable to open '%s': %s", store->path,
		    store->db != NULL ? sqlite3_errmsg(store->db) :
		    sqlite3_errstr(rc));
		return -1;
	}
	sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS);
	if (store_exec(store, "set up", "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = FULL; PRAGMA journal_mode = WAL;") == -1 ||
	    store_query_int(store, "SELECT journal_mode = 'wal' "
	    "FROM pragma_journal_mode", &wal) == -1)
		return -1;
	if (!wal) {
		log_warnx("unable to use '%s': WAL mode refused", store->path);
		return -1;
	}
	return 0;
}

/*
 * Apply one pending migration inside its own transaction.  The version is
 * read after BEGIN IMMEDIATE so that two processes opening the same new
 * database cannot both run a migration.  Returns 1 when the schema is
 * current, 0 after a step, -1 on error.
 */
static int
store_migrate_step(struct store *store)
{
	int version, after;

	if (store_exec(store, "lock", "BEGIN IMMEDIATE") == -1)
		return -1;
	if (store_query_int(store, "PRAGMA user_version", &version) == -1)
		goto fail;
	if (version < 0 || version > STORE_VERSION) {
		log_warnx("unable to use '%s': its schema version %d is newer "
		    "than this ssci knows (%d)", store->path, version,
		    STORE_VERSION);
		goto fail;
	}
	if (version == STORE_VERSION)
		return store_exec(store, "commit", "COMMIT") == 0 ? 1 : -1;
	if (store_exec(store, "migrate", store_migrations[version]) == -1 ||
	    store_query_int(store, "PRAGMA user_version", &after) == -1)
		goto fail;
	if (after != version + 1) {
		log_warnx("unable to migrate '%s': migration %d set version %d",
		    store->path, version + 1, after);
		goto fail;
	}
	if (store_exec(store, "commit", "COMMIT") == -1)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
store_migrate(struct store *store)
{
	int rc;

	while ((rc = store_migrate_step(store)) == 0)
		continue;
	return rc == 1 ? 0 : -1;
}

static int
store_prepare(struct store *store)
{
	for (int i = 0; i < ST_MAX; i++) {
		if (sqlite3_prepare_v3(store->db, store_sql[i].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &store->stmt[i], NULL) !=
		    SQLITE_OK) {
			log_warnx("unable to prepare '%s' for '%s': %s",
			    store_sql[i].sql, store->path,
			    sqlite3_errmsg(store->db));
			return -1;
		}
	}
	return 0;
}

struct store *
store_open(const char *dir)
{
	struct store *store;
	char *logs;

	/* Creating DIR/logs creates DIR on the way. */
	xasprintf(&logs, "%s/logs", dir);
	if (mkdir_p(logs) == -1) {
		free(logs);
		return NULL;
	}
	free(logs);

	store = xcalloc(1, sizeof *store);
	xasprintf(&store->path, "%s/ssci.db", dir);
	if (store_connect(store) == -1 || store_migrate(store) == -1 ||
	    store_prepare(store) == -1) {
		store_close(store);
		return NULL;
	}
	return store;
}

void
store_close(struct store *store)
{
	if (store == NULL)
		return;
	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(store->stmt[i]);
	if (sqlite3_close(store->db) != SQLITE_OK)
		log_warnx("unable to close '%s': %s", store->path,
		    sqlite3_errmsg(store->db));
	free(store->path);
	free(store);
}

/* Find or add the repository's row; inside a transaction. */
static int
store_repo_id(struct store *store, const char *url, int64_t *repo_id)
{
	int found;

	store_bind_text(store, ST_REPO_FIND, 1, url);
	if ((found = store_scalar(store, ST_REPO_FIND, repo_id)) != 0)
		return found == 1 ? 0 : -1;

	store_bind_text(store, ST_REPO_ADD, 1, url);
	store_bind_int64(store, ST_REPO_ADD, 2, now_ms());
	if (store_run(store, ST_REPO_ADD) == -1)
		return -1;
	*repo_id = sqlite3_last_insert_rowid(store->db);
	return 0;
}

/* The latest job for a commit: 1 found, 0 none, -1 error. */
static int
store_job_latest(struct store *store, int64_t repo_id, const char *commit,
    int64_t *job_id, enum job_state *state)
{
	sqlite3_stmt *stmt = store->stmt[ST_JOB_LATEST];
	int rc, found = 0;

	store_bind_int64(store, ST_JOB_LATEST, 1, repo_id);
	store_bind_text(store, ST_JOB_LATEST, 2, commit);
	rc = store_step(store, ST_JOB_LATEST);
	if (rc == SQLITE_ROW) {
		*job_id = sqlite3_column_int64(stmt, 0);
		found = column_state(stmt, 1, state) == 0 ? 1 : -1;
	}
	store_reset(store, ST_JOB_LATEST);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? found : -1;
}

int
store_dispatch(struct store *store, const char *repo, const char *commit,
    const char *branch, int rebuild, int64_t *job_id, enum job_state *state,
    int *existing)
{
	int64_t repo_id;
	int found = 0;

	/* IMMEDIATE: the look-up and the insert must see the same queue. */
	if (store_run(store, ST_BEGIN) == -1)
		return -1;
	if (store_repo_id(store, repo, &repo_id) == -1)
		goto fail;
	if (!rebuild &&
	    (found = store_job_latest(store, repo_id, commit, job_id,
	    state)) == -1)
		goto fail;
	if (!found && store->max_queued > 0) {
		int64_t queued = 0;

		store_bind_int64(store, ST_COUNT_QUEUED_REPO, 1, repo_id);
		if (store_scalar(store, ST_COUNT_QUEUED_REPO, &queued) == -1)
			goto fail;
		if (queued >= store->max_queued) {
			store_rollback(store);
			return -2;
		}
	}
	if (!found) {
		store_bind_int64(store, ST_JOB_ADD, 1, repo_id);
		store_bind_text(store, ST_JOB_ADD, 2, commit);
		store_bind_text(store, ST_JOB_ADD, 3, branch);
		store_bind_int64(store, ST_JOB_ADD, 4, now_ms());
		if (store_run(store, ST_JOB_ADD) == -1)
			goto fail;
		*job_id = sqlite3_last_insert_rowid(store->db);
		*state = JOB_QUEUED;
	}
	if (store_commit(store) == -1)
		return -1;
	*existing = found;
	return 0;
fail:
	store_rollback(store);
	return -1;
}

/* Read one job row from a JOB_COLUMNS statement: 1, 0 if none, -1. */
static int
store_read_job(struct store *store, enum store_stmt id, struct job *job)
{
	int rc, found = 0;

	rc = store_step(store, id);
	if (rc == SQLITE_ROW)
		found = job_fill(store->stmt[id], job);
	store_reset(store, id);
	if (found == -1)
		job_release(job);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? found : -1;
}

int
store_next_queued(struct store *store, struct job *job)
{
	return store_read_job(store, ST_JOB_NEXT, job);
}

int
store_job_get(struct store *store, int64_t id, struct job *job)
{
	store_bind_int64(store, ST_JOB_GET, 1, id);
	return store_read_job(store, ST_JOB_GET, job);
}

/* Run an update of one job that must be in state from: 0 or -1. */
static int
store_update_job(struct store *store, enum store_stmt st, int64_t id,
    const char *from)
{
	if (store_run(store, st) == -1)
		return -1;
	if (sqlite3_changes(store->db) == 1)
		return 0;
	log_warnx("unable to %s %lld: it is not %s", store_sql[st].what,
	    (long long)id, from);
	return -1;
}

int
store_job_start(struct store *store, int64_t id, const char *runner)
{
	store_bind_int64(store, ST_JOB_START, 1, id);
	store_bind_text(store, ST_JOB_START, 2, runner);
	store_bind_int64(store, ST_JOB_START, 3, now_ms());
	return store_update_job(store, ST_JOB_START, id, "queued");
}

int
store_job_adopt(struct store *store, int64_t id, const char *runner)
{
	store_bind_int64(store, ST_JOB_ADOPT, 1, id);
	store_bind_text(store, ST_JOB_ADOPT, 2, runner);
	if (store_run(store, ST_JOB_ADOPT) == -1)
		return -1;
	return sqlite3_changes(store->db) == 1 ? 0 : 1;
}

int
store_job_requeue(struct store *store, int64_t id, const char *reason)
{
	store_bind_int64(store, ST_JOB_REQUEUE, 1, id);
	store_bind_text(store, ST_JOB_REQUEUE, 2, reason);
	return store_update_job(store, ST_JOB_REQUEUE, id, "running");
}

/*
 * Taking the running jobs from the back and putting each at the front
 * keeps their order.  One row at a time, because a query must not go on
 * reading the index that its own updates move rows in.
 */
int
store_requeue_running(struct store *store)
{
	int64_t id;
	int found, n = 0;

	if (store_run(store, ST_BEGIN) == -1)
		return -1;
	while ((found = store_scalar(store, ST_JOB_LAST_RUNNING, &id)) == 1) {
		if (store_job_requeue(store, id, STORE_RESTART_REASON) == -1)
			goto fail;
		n++;
	}
	if (found == -1)
		goto fail;
	return store_commit(store) == 0 ? n : -1;
fail:
	store_rollback(store);
	return -1;
}

int
store_job_finish(struct store *store, const struct proto_result *result)
{
	enum store_stmt st = ST_JOB_FINISH;
	int64_t final;
	int found;

	if (!job_state_final(result->state)) {
		log_warnx("unable to finish job %lld as '%s': not a final "
		    "state", (long long)result->job,
		    job_state_name(result->state));
		return -1;
	}
	store_bind_int64(store, st, 1, result->job);
	store_bind_text(store, st, 2, job_state_name(result->state));
	store_bind_known(store, st, 3, result->exit_code);
	store_bind_known(store, st, 4, result->duration_ms);
	store_bind_known(store, st, 5, result->tests.run);
	store_bind_known(store, st, 6, result->tests.failed);
	store_bind_known(store, st, 7, result->tests.skipped);
	store_bind_text(store, st, 8, result->message);
	store_bind_int64(store, st, 9, now_ms());
	if (store_run(store, st) == -1)
		return -1;
	if (sqlite3_changes(store->db) == 1)
		return 0;

	/* Nothing changed: a late or repeated result, or a wrong id. */
	store_bind_int64(store, ST_JOB_FINAL, 1, result->job);
	if ((found = store_scalar(store, ST_JOB_FINAL, &final)) == -1)
		return -1;
	if (found && final)
		return 1;
	log_warnx("unable to finish job %lld: %s", (long long)result->job,
	    found ? "its state changed meanwhile" : "no such job");
	return -1;
}

void
store_set_queue_limit(struct store *store, int max_queued_per_repo)
{
	store->max_queued = max_queued_per_repo;
}

int
store_count_state(struct store *store, enum job_state state)
{
	int64_t n;

	store_bind_text(store, ST_COUNT_STATE, 1, job_state_name(state));
	if (store_scalar(store, ST_COUNT_STATE, &n) != 1)
		return -1;
	return (int)n;
}

int
store_job_describe(struct store *store, int64_t id, const char *subject,
    const char *author)
{
	store_bind_int64(store, ST_JOB_DESCRIBE, 1, id);
	store_bind_text(store, ST_JOB_DESCRIBE, 2, subject);
	store_bind_text(store, ST_JOB_DESCRIBE, 3, author);
	return store_run(store, ST_JOB_DESCRIBE);
}

int
store_job_retries(struct store *store, int64_t id, int64_t retry_of)
{
	store_bind_int64(store, ST_JOB_RETRY_OF, 1, id);
	store_bind_int64(store, ST_JOB_RETRY_OF, 2, retry_of);
	return store_run(store, ST_JOB_RETRY_OF);
}

int
store_final_before(struct store *store, const char *commit, int64_t id,
    int64_t *before)
{
	int found;

	store_bind_text(store, ST_FINAL_BEFORE, 1, commit);
	store_bind_int64(store, ST_FINAL_BEFORE, 2, id);
	found = store_scalar(store, ST_FINAL_BEFORE, before);
	/* MAX over no rows is one NULL row. */
	return found == 1 && *before == 0 ? 0 : found;
}

int
store_runner_seen(struct store *store, const char *name, const char *address)
{
	store_bind_text(store, ST_RUNNER_SEEN, 1, name);
	store_bind_text(store, ST_RUNNER_SEEN, 2, address);
	store_bind_int64(store, ST_RUNNER_SEEN, 3, now_ms());
	return store_run(store, ST_RUNNER_SEEN);
}

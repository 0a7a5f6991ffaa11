/* SPDX-License-Identifier: MIT */
/*
 * store_pg_sql.c - the SQL texts PostgreSQL needs in its own words: the
 * statements whose SQLite text it refuses or runs badly, the inserts whose
 * new id it returns, and its schema's migrations, versioned in a table of
 * their own (PostgreSQL has no user_version).
 */
#include "store_pg.h"

#include "store_sql_texts.h"

/*
 * The fair queue of store_sqlite_sql.c, without SQLite's index hints: each
 * lane's first ?1 jobs are one LATERAL subquery, walked along jobs_lane,
 * where PostgreSQL would run SQLite's correlated IN (... LIMIT) once for
 * every queued job.
 */
#define FAIR_QUEUE(cond) \
	"WITH RECURSIVE l(lane) AS (SELECT MIN(lane_id) FROM jobs " \
	"WHERE state = 'queued' UNION ALL SELECT " \
	"(SELECT MIN(lane_id) FROM jobs WHERE " \
	"state = 'queued' AND lane_id > l.lane) FROM l " \
	"WHERE l.lane IS NOT NULL), " \
	"c AS (SELECT q.id, ln.priority AS pr, ln.repo_id AS repo, " \
	"ln.turn AS bturn, (SELECT MAX(r.turn) FROM lanes r WHERE " \
	"r.repo_id = ln.repo_id) AS rturn, q.queue_pos AS pos, " \
	"ROW_NUMBER() OVER (PARTITION BY ln.id ORDER BY q.queue_pos, q.id) " \
	"AS brank FROM l JOIN lanes ln ON ln.id = l.lane CROSS JOIN " \
	"LATERAL (SELECT jobs.id, jobs.queue_pos FROM jobs WHERE " \
	"state = 'queued' AND lane_id = l.lane AND " cond \
	" ORDER BY queue_pos, jobs.id LIMIT ?1) q), " \
	FAIR_QUEUE_PAGE

/*
 * The tested push before or after pipeline ?1 on its branch (cmp),
 * walking jobs_branch from it, and each job's pipeline read by its key.
 */
#define PUSH_NEXT(cmp, order) \
	"SELECT j.id, (SELECT state FROM pipelines WHERE id = j.id) " \
	"FROM jobs j WHERE j.repo_id = (SELECT repo_id FROM jobs WHERE " \
	"id = ?1) AND j.branch = (SELECT branch FROM jobs WHERE id = ?1) " \
	"AND j.id " cmp " ?1 AND (SELECT 1 FROM pipelines p WHERE " \
	"p.id = j.id AND p.bisection IS NULL AND p.superseded_by IS NULL " \
	"AND " PUSH_PIPELINE ") = 1 ORDER BY j.id " order " LIMIT 1"

const char *const pg_sql[ST_MAX] = {
	/* One writer holds the active lock: no need to lock up front. */
	[ST_BEGIN] = "BEGIN",
	/* Autovacuum gives space back; VACUUM cannot run in a transaction. */
	[ST_VACUUM_STEP] = "",
	[ST_JOB_NEXT] = FAIR_QUEUE(RUNNABLE),
	[ST_RUNNABLE_LIST] = FAIR_QUEUE(RUNNABLE),
	[ST_QUEUE_LIST] = FAIR_QUEUE("state = 'queued' AND shards = 0"),
	[ST_QUEUED_LANES] =
	    "SELECT l.first, (SELECT MIN(lane_id) FROM jobs WHERE "
	    "state = 'queued' AND lane_id > l.first) FROM "
	    "(SELECT MIN(lane_id) AS first FROM jobs "
	    "WHERE state = 'queued') l",
	/* A start's three other changes in one statement. */
	[ST_SERVED_MARK] = "",
	[ST_SHARD_PARENT_RUN] = "",
	[ST_PIPELINE_RUN] = "WITH mark AS (" SERVED_MARK " RETURNING 1), "
	    "parent AS (" SHARD_PARENT_RUN " RETURNING 1) " PIPELINE_RUN,
	/*
	 * A pipeline's first job in one statement: its lane added, and its
	 * pipeline its own id, taken from the sequence before the insert.
	 */
	[ST_LANE_ADD] = "",
	[ST_JOB_SET_PIPELINE] = "",
	[ST_JOB_ADD] = "WITH n AS (SELECT nextval(pg_get_serial_sequence("
	    "'jobs', 'id')) AS id), "
	    "lane AS (" LANE_ADD("?3", "?13") " RETURNING id) "
	    "INSERT INTO jobs (id, pipeline_id, " JOB_ADD_COLUMNS ") VALUES "
	    "((SELECT id FROM n), (SELECT id FROM n), "
	    JOB_ADD_VALUES("COALESCE((SELECT id FROM lane), " JOB_LANE ")") ")",
	/*
	 * The pushes next to a pipeline on its branch walk jobs_branch from
	 * it: with the branch a value rather than a join, the index's order
	 * is the order asked, where a plan made while the tables were small
	 * read every job of the repository and sorted them, or every
	 * pipeline.
	 */
	[ST_PUSH_AFTER] = PUSH_NEXT(">", ""),
	[ST_BISECT_BEFORE] = PUSH_NEXT("<", "DESC"),
	[ST_JOB_TEST_COUNTS] =
	    "SELECT a.total, a.passed, a.failed, a.skipped, (SELECT COUNT(*) "
	    "FROM tests t JOIN test_runs r ON r.test_id = t.id AND "
	    "r.branch IS NOT DISTINCT FROM j.branch AND "
	    "r.job_id = a.job_id AND r.attempt = a.attempt "
	    "WHERE t.repo_id = j.repo_id AND "
	    "t.quarantined_ms IS NOT NULL AND " TEST_FAILED "), a.flaky, "
	    "j.shards FROM jobs j LEFT JOIN test_attempts a ON "
	    "a.job_id = j.id AND a.attempt = j.attempt WHERE j.id = ?1",
	[ST_JOB_GET_COUNTED] =
	    JOB_LIST ", a.total, a.passed, a.failed, a.skipped, (SELECT "
	    "COUNT(*) FROM tests t JOIN test_runs r ON r.test_id = t.id AND "
	    "r.branch IS NOT DISTINCT FROM jobs.branch AND "
	    "r.job_id = a.job_id AND r.attempt = a.attempt "
	    "WHERE t.repo_id = jobs.repo_id AND "
	    "t.quarantined_ms IS NOT NULL AND " TEST_FAILED "), a.flaky "
	    JOB_FROM "LEFT JOIN test_attempts a ON a.job_id = jobs.id AND "
	    "a.attempt = jobs.attempt WHERE jobs.id = ?1",
	[ST_SHARDED_TEST_COUNTS] =
	    "SELECT SUM(a.total), SUM(a.passed), SUM(a.failed), "
	    "SUM(a.skipped), (SELECT COUNT(*) FROM jobs s JOIN tests t ON "
	    "t.repo_id = s.repo_id AND t.quarantined_ms IS NOT NULL "
	    "JOIN test_runs r ON r.test_id = t.id AND "
	    "r.branch IS NOT DISTINCT FROM s.branch AND r.job_id = s.id AND "
	    "r.attempt = s.attempt WHERE s.shard_of = ?1 AND " TEST_FAILED "), "
	    "SUM(a.flaky), COUNT(*) FROM jobs j JOIN test_attempts a ON "
	    "a.job_id = j.id AND a.attempt = j.attempt WHERE j.shard_of = ?1",
	/* Each test's last ?5 runs: a LATERAL walk back along its history. */
	[ST_TEST_DURATIONS] =
	    "WITH these AS (SELECT r.test_id FROM jobs s JOIN test_runs r ON "
	    "r.job_id = s.id AND r.attempt = s.attempt WHERE s.id = ?1 OR "
	    "s.shard_of = ?1) "
	    "SELECT t.name, d.duration_us, these.test_id FROM these "
	    "JOIN tests t ON t.id = these.test_id "
	    "LEFT JOIN LATERAL (SELECT r.duration_us FROM test_runs r "
	    "WHERE r.test_id = these.test_id AND "
	    "r.branch IS NOT DISTINCT FROM ?3 AND r.job_id <= ?2 AND "
	    "r.job_name IS NOT DISTINCT FROM ?4 AND "
	    "r.status <> 'skipped' AND r.duration_us IS NOT NULL "
	    "ORDER BY r.job_id DESC, r.attempt DESC LIMIT ?5) d ON true",
	/* PostgreSQL takes one recursive term: a carried job's or a shard. */
	[ST_ARTIFACTS_OF_NEEDS] =
	    "WITH RECURSIVE src(need, job) AS (SELECT n.need_id, n.need_id "
	    "FROM job_needs n JOIN jobs d ON d.id = n.need_id "
	    "WHERE n.job_id = ?1 AND d.state = 'passed' "
	    "UNION SELECT src.need, o.id FROM src JOIN jobs c ON "
	    "c.id = src.job JOIN jobs o ON (o.id = c.retry_of AND "
	    "o.name IS NOT DISTINCT FROM c.name AND o.attempt = c.attempt AND "
	    "o.started_ms IS NOT DISTINCT FROM c.started_ms AND "
	    "o.pipeline_id IS DISTINCT FROM c.pipeline_id) OR "
	    "o.shard_of = src.job WHERE o.state = 'passed') "
	    ARTIFACT_COLUMNS "JOIN src ON a.job_id = src.job "
	    "JOIN jobs r ON r.id = src.job "
	    "WHERE a.created_at >= COALESCE(r.started_ms, 0) / 1000 "
	    "ORDER BY src.need, a.job_id, a.path",
	/* Grouped by keys, which is what PostgreSQL reads the columns by. */
	[ST_FLAKY_LIST] =
	    "SELECT repos.url, t.name, COUNT(*), MAX(r.job_id), "
	    "CAST(t.quarantined_ms IS NOT NULL AS INTEGER) FROM test_runs r "
	    "JOIN tests t ON t.id = r.test_id "
	    "JOIN repos ON repos.id = t.repo_id WHERE r.flaky = 1 "
	    "GROUP BY t.id, repos.id ORDER BY COUNT(*) DESC, "
	    "MAX(r.job_id) DESC LIMIT ?1",
};

const bool pg_returns_id[ST_MAX] = {
	[ST_REPO_ADD] = true,
	[ST_JOB_ADD] = true,
	[ST_JOB_ADD_LIKE] = true,
	[ST_JOB_CARRY] = true,
	[ST_TEST_ADD] = true,
	[ST_BISECT_ADD] = true,
};

/*
 * Migration i brings the schema from version i to i + 1 and sets
 * store_meta's version to i + 1 (checked).  The first is SQLite's ten in
 * one: the same tables and indexes, with 64-bit integers, identity keys
 * (given ones are kept, so that ssci migrate copies ids), bytea, and commit
 * ids in byte order ("C"), which the prefix search needs.  Append only.
 */
const char *const pg_migrations[] = {
	"CREATE TABLE repos (id bigint GENERATED BY DEFAULT AS IDENTITY "
	"  PRIMARY KEY, url text UNIQUE NOT NULL, created_ms bigint NOT NULL);"
	"CREATE TABLE jobs (id bigint GENERATED BY DEFAULT AS IDENTITY "
	"  PRIMARY KEY, repo_id bigint NOT NULL REFERENCES repos(id),"
	"  commit_id text COLLATE \"C\" NOT NULL, branch text,"
	"  state text NOT NULL, attempt bigint NOT NULL DEFAULT 0,"
	"  queue_pos bigint NOT NULL, runner text, created_ms bigint NOT NULL,"
	"  started_ms bigint, finished_ms bigint, exit_code bigint,"
	"  duration_ms bigint, tests_run bigint, tests_failed bigint,"
	"  tests_skipped bigint, reason text, subject text, author text,"
	"  retry_of bigint, pipeline_id bigint, name text, spec text,"
	"  labels text, allow_failure bigint NOT NULL DEFAULT 0,"
	"  plan_index bigint, flaky bigint NOT NULL DEFAULT 0,"
	"  fail_retries bigint NOT NULL DEFAULT 0,"
	"  shards bigint NOT NULL DEFAULT 0, shard_of bigint,"
	"  shard_index bigint, expected_ms bigint,"
	"  priority bigint NOT NULL DEFAULT 0, lane_id bigint,"
	"  hold_until bigint);"
	"CREATE INDEX jobs_queue ON jobs (state, queue_pos);"
	"CREATE INDEX jobs_commit ON jobs (repo_id, commit_id);"
	"CREATE INDEX jobs_commit_id ON jobs (commit_id);"
	"CREATE INDEX jobs_branch ON jobs (repo_id, branch, id);"
	"CREATE INDEX jobs_repo_state ON jobs (repo_id, state);"
	"CREATE INDEX jobs_queue_pos ON jobs (queue_pos);"
	"CREATE INDEX jobs_pipeline ON jobs (pipeline_id);"
	"CREATE INDEX jobs_shard_of ON jobs (shard_of)"
	"  WHERE shard_of IS NOT NULL;"
	"CREATE INDEX jobs_lane ON jobs (lane_id, queue_pos)"
	"  WHERE state = 'queued';"
	"CREATE TABLE runners (name text PRIMARY KEY, address text,"
	"  first_seen_ms bigint NOT NULL, last_seen_ms bigint NOT NULL);"
	"CREATE TABLE pipelines (id bigint PRIMARY KEY,"
	"  commit_id text COLLATE \"C\" NOT NULL, state text NOT NULL,"
	"  plan text, finished_ms bigint, pr_title text, pr_url text,"
	"  triggered_by text, params text,"
	"  coalescing bigint NOT NULL DEFAULT 0,"
	"  superseded_by text COLLATE \"C\", bisection bigint);"
	"CREATE INDEX pipelines_commit ON pipelines (commit_id, state);"
	"CREATE INDEX pipelines_bisection ON pipelines (bisection, commit_id)"
	"  WHERE bisection IS NOT NULL;"
	"CREATE INDEX pipelines_superseded ON pipelines (superseded_by)"
	"  WHERE superseded_by IS NOT NULL;"
	"CREATE TABLE job_needs (job_id bigint NOT NULL,"
	"  need_id bigint NOT NULL, PRIMARY KEY (job_id, need_id));"
	"CREATE INDEX job_needs_need ON job_needs (need_id);"
	"CREATE TABLE tests (id bigint GENERATED BY DEFAULT AS IDENTITY "
	"  PRIMARY KEY, repo_id bigint NOT NULL REFERENCES repos(id),"
	"  name text NOT NULL, quarantined_ms bigint, quarantined_by text,"
	"  UNIQUE (repo_id, name));"
	"CREATE INDEX tests_quarantined ON tests (repo_id)"
	"  WHERE quarantined_ms IS NOT NULL;"
	"CREATE TABLE test_runs (job_id bigint NOT NULL,"
	"  attempt bigint NOT NULL, idx bigint NOT NULL,"
	"  test_id bigint NOT NULL REFERENCES tests(id), branch text,"
	"  status text NOT NULL, duration_us bigint, suite text, file text,"
	"  message text, flaky bigint NOT NULL DEFAULT 0, job_name text,"
	"  PRIMARY KEY (job_id, attempt, idx));"
	"CREATE INDEX test_runs_history ON test_runs"
	"  (test_id, branch, job_id, attempt);"
	"CREATE INDEX test_runs_flaky ON test_runs (test_id) WHERE flaky = 1;"
	"CREATE TABLE test_attempts (job_id bigint NOT NULL,"
	"  attempt bigint NOT NULL, total bigint NOT NULL,"
	"  passed bigint NOT NULL, failed bigint NOT NULL,"
	"  skipped bigint NOT NULL, flaky bigint NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (job_id, attempt));"
	"CREATE TABLE outbox (id bigint GENERATED BY DEFAULT AS IDENTITY "
	"  PRIMARY KEY, target text NOT NULL, key text NOT NULL,"
	"  url text NOT NULL, body text NOT NULL, created_ms bigint NOT NULL);"
	"CREATE INDEX outbox_target ON outbox (target, id);"
	"CREATE TABLE deliveries (forge text NOT NULL, id text NOT NULL,"
	"  received_ms bigint NOT NULL, PRIMARY KEY (forge, id));"
	"CREATE INDEX deliveries_age ON deliveries (received_ms);"
	"CREATE TABLE lanes (id bigint GENERATED BY DEFAULT AS IDENTITY "
	"  PRIMARY KEY, repo_id bigint NOT NULL REFERENCES repos(id),"
	"  branch text NOT NULL, priority bigint NOT NULL,"
	"  turn bigint NOT NULL DEFAULT 0, UNIQUE (repo_id, branch, priority));"
	"CREATE INDEX lanes_turn ON lanes (turn);"
	"CREATE INDEX lanes_repo ON lanes (repo_id, turn);"
	"CREATE TABLE bisections (id bigint GENERATED BY DEFAULT AS IDENTITY "
	"  PRIMARY KEY, repo_id bigint NOT NULL REFERENCES repos(id),"
	"  branch text NOT NULL, good bigint NOT NULL, bad bigint NOT NULL,"
	"  state text NOT NULL, culprit bigint, culprit_commit text,"
	"  culprit_subject text, culprit_author text,"
	"  runs bigint NOT NULL DEFAULT 0, note text,"
	"  created_ms bigint NOT NULL, finished_ms bigint);"
	"CREATE INDEX bisections_branch ON bisections (repo_id, branch, id);"
	"CREATE INDEX bisections_bad ON bisections (bad);"
	"CREATE TABLE schedules (spec text PRIMARY KEY,"
	"  last_ms bigint NOT NULL);"
	"CREATE TABLE secrets (repo text NOT NULL, name text NOT NULL,"
	"  value bytea NOT NULL, branches text NOT NULL DEFAULT '',"
	"  updated_ms bigint NOT NULL, updated_by text,"
	"  PRIMARY KEY (repo, name));"
	"CREATE TABLE artifacts (job_id bigint NOT NULL REFERENCES jobs(id),"
	"  path text NOT NULL, size bigint NOT NULL, sha256 text NOT NULL,"
	"  mode bigint NOT NULL, created_at bigint NOT NULL,"
	"  expires_at bigint, PRIMARY KEY (job_id, path));"
	"CREATE INDEX artifacts_expiry ON artifacts (expires_at)"
	"  WHERE expires_at IS NOT NULL;"
	"UPDATE store_meta SET version = 1;",

	/* Jobs' logs, so that a dispatcher taking over finds them whole. */
	"CREATE TABLE job_logs (job_id bigint NOT NULL, seq bigint NOT NULL,"
	"  data bytea NOT NULL, PRIMARY KEY (job_id, seq));"
	"UPDATE store_meta SET version = 2;",

	/*
	 * A lane's queue in the order it is read (queue_pos, then id), so
	 * that a page of it stops after the page instead of sorting the lane.
	 */
	"DROP INDEX jobs_lane;"
	"CREATE INDEX jobs_lane ON jobs (lane_id, queue_pos, id)"
	"  WHERE state = 'queued';"
	"UPDATE store_meta SET version = 3;",

	/*
	 * The pipelines a push may supersede, so that finding them reads
	 * those (mostly none) instead of every pipeline: the statement's
	 * generic plan, made while the table was small, scanned it whole.
	 */
	"CREATE INDEX pipelines_coalescing ON pipelines (id)"
	"  WHERE coalescing = 1 AND state = 'queued';"
	"UPDATE store_meta SET version = 4;",
};

const int pg_version = sizeof pg_migrations / sizeof pg_migrations[0];

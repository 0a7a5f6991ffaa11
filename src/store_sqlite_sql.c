/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite_sql.c - every SQL text of the SQLite store: the statements,
 * prepared once when the store opens and run with bound values only, and
 * the migrations that build the schema, keyed by PRAGMA user_version.
 */
#include "store_sqlite.h"

#include "store_sql_texts.h"

/*
 * The queue in the order jobs are handed out (docs/QUEUE.md): higher
 * priority first; within a priority, round robin between repositories
 * (the one served longest ago first) and within a repository between
 * branches, FIFO within a branch.  A lane is a repository's branch at one
 * priority; a lane's k-th job takes the k-th turn of its repository, and
 * a repository's k-th turn comes after every other repository's (k-1)-th.
 * A lane's turn says when it last had a job started, a repository's is
 * its lanes' latest.  The lanes with queued jobs are found by one index
 * seek each (l), and only each lane's first ?1 jobs are ranked (c), so a
 * page costs in proportion to the lanes, not to the queue's length.
 */
#define FAIR_QUEUE(cond) \
	"WITH RECURSIVE l(lane) AS (SELECT MIN(lane_id) FROM jobs " \
	"INDEXED BY jobs_lane WHERE state = 'queued' UNION ALL SELECT " \
	"(SELECT MIN(lane_id) FROM jobs INDEXED BY jobs_lane WHERE " \
	"state = 'queued' AND lane_id > l.lane) FROM l " \
	"WHERE l.lane IS NOT NULL), " \
	"c AS (SELECT q.id, ln.priority AS pr, ln.repo_id AS repo, " \
	"ln.turn AS bturn, (SELECT MAX(r.turn) FROM lanes r WHERE " \
	"r.repo_id = ln.repo_id) AS rturn, q.queue_pos AS pos, " \
	"ROW_NUMBER() OVER (PARTITION BY ln.id ORDER BY q.queue_pos, q.id) " \
	"AS brank FROM l JOIN lanes ln ON ln.id = l.lane JOIN jobs q ON " \
	"q.id IN (SELECT jobs.id FROM jobs INDEXED BY jobs_lane WHERE " \
	"state = 'queued' AND " \
	"lane_id = l.lane AND " cond " ORDER BY queue_pos, jobs.id " \
	"LIMIT ?1)), " \
	FAIR_QUEUE_PAGE

const struct store_sql store_sql[ST_MAX] = {
	[ST_BEGIN] = { "begin a transaction", "BEGIN IMMEDIATE" },
	[ST_COMMIT] = { "commit", "COMMIT" },
	[ST_ROLLBACK] = { "roll back", "ROLLBACK" },
	[ST_REPO_FIND] = { "look up a repository",
	    "SELECT id FROM repos WHERE url = ?1" },
	[ST_REPO_ADD] = { "add a repository",
	    "INSERT INTO repos (url, created_ms) VALUES (?1, ?2)" },
	/* With the repository's queue, counted for its limit: one row. */
	[ST_JOB_LATEST] = { "look up a commit's pipeline",
	    "SELECT l.id, l.state, (SELECT COUNT(*) FROM jobs q WHERE "
	    "q.repo_id = ?1 AND q.state = 'queued' AND q.shards = 0) FROM "
	    "(SELECT 1) o LEFT JOIN (SELECT p.id, p.state FROM pipelines p "
	    "JOIN jobs j ON j.id = p.id WHERE j.repo_id = ?1 AND "
	    "p.commit_id = ?2 ORDER BY p.id DESC LIMIT 1) l ON 1 = 1" },
	[ST_JOB_ADD] = { "queue a job",
	    "INSERT INTO jobs (" JOB_ADD_COLUMNS ") VALUES ("
	    JOB_ADD_VALUES(JOB_LANE) ")" },
	[ST_LANE_ADD] = { "add a lane of the queue", LANE_ADD("?2", "?3") },
	[ST_JOB_NEXT] = { "read the queue", FAIR_QUEUE(RUNNABLE) },
	[ST_JOB_ADD_LIKE] = { "add a job to a pipeline",
	    JOB_LIKE "'queued', queue_pos, ?2, subject, author, retry_of, "
	    "pipeline_id, ?3, ?4, ?5, ?6, ?7, priority, lane_id FROM jobs "
	    "WHERE id = ?1" },
	[ST_JOB_SET_SHARD] = { "keep a job's sharding",
	    "UPDATE jobs SET shards = ?2, shard_of = ?3, shard_index = ?4, "
	    "expected_ms = ?5, plan_index = COALESCE((SELECT p.plan_index "
	    "FROM jobs p WHERE p.id = ?3), plan_index) WHERE id = ?1" },
	[ST_JOB_CARRY] = { "keep a passed job in a pipeline",
	    "INSERT INTO jobs (repo_id, commit_id, branch, state, queue_pos, "
	    "created_ms, subject, author, retry_of, pipeline_id, name, spec, "
	    "labels, allow_failure, attempt, runner, started_ms, finished_ms, "
	    "exit_code, duration_ms, tests_run, tests_failed, tests_skipped, "
	    "reason, plan_index) SELECT repo_id, commit_id, branch, 'passed', "
	    "queue_pos, ?2, subject, author, id, ?3, name, spec, labels, "
	    "allow_failure, attempt, runner, started_ms, finished_ms, "
	    "exit_code, duration_ms, tests_run, tests_failed, tests_skipped, "
	    "?4, ?5 FROM jobs WHERE id = ?1 AND state = 'passed'" },
	[ST_JOB_SET_PIPELINE] = { "start a pipeline",
	    "UPDATE jobs SET pipeline_id = ?2 WHERE id = ?1" },
	[ST_JOB_PLAN] = { "plan a pipeline",
	    "UPDATE jobs SET name = ?2, spec = ?3, labels = ?4, "
	    "allow_failure = ?5, plan_index = ?6 WHERE id = ?1 AND "
	    "name IS NULL AND state = 'running'" },
	[ST_NEED_ADD] = { "add a job's need",
	    "INSERT INTO job_needs (job_id, need_id) VALUES (?1, ?2) "
	    "ON CONFLICT DO NOTHING" },
	[ST_SKIP_AFTER] = { "skip the jobs that need a job",
	    "WITH RECURSIVE after(id) AS (SELECT job_id FROM job_needs "
	    "WHERE need_id = ?1 UNION SELECT n.job_id FROM job_needs n "
	    "JOIN after ON n.need_id = after.id) "
	    "UPDATE jobs SET state = 'skipped', reason = ?2, finished_ms = ?3 "
	    "WHERE state = 'queued' AND id IN (SELECT id FROM after)" },
	[ST_PIPELINE_ADD] = { "add a pipeline",
	    "INSERT INTO pipelines (id, commit_id, state, plan, pr_title, "
	    "pr_url, triggered_by, params, coalescing, bisection) VALUES (?1, "
	    "?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?8, ?9)" },
	/*
	 * A branch's pushed pipelines that no runner has touched, older than
	 * pipeline ?1, which supersedes them.
	 */
	[ST_SUPERSEDE_LIST] = { "find the pipelines a push supersedes",
	    "SELECT p.id, p.commit_id FROM pipelines p JOIN jobs j ON "
	    "j.id = p.id JOIN jobs n ON n.id = ?1 WHERE j.repo_id = n.repo_id "
	    "AND j.branch = n.branch AND j.state = 'queued' AND j.attempt = 0 AND "
	    "p.id < ?1 AND j.id < ?1 AND p.coalescing = 1 AND p.state = 'queued' AND "
	    "p.superseded_by IS NULL ORDER BY p.id" },
	[ST_SUPERSEDE_JOBS] = { "skip a superseded pipeline's jobs",
	    "UPDATE jobs SET state = 'skipped', reason = 'superseded by ' || "
	    "?2, finished_ms = ?3 WHERE pipeline_id = ?1 AND state = 'queued'" },
	[ST_SUPERSEDE_PIPELINE] = { "mark a pipeline superseded",
	    "UPDATE pipelines SET state = 'skipped', superseded_by = ?2, "
	    "finished_ms = ?3 WHERE id = ?1" },
	/*
	 * What superseded pipeline ?3 (commit) before is superseded by ?2
	 * now, the push that superseded it: every skipped push names the
	 * one that was tested.
	 */
	[ST_SUPERSEDE_REPOINT] = { "name the push that supersedes",
	    "UPDATE pipelines SET superseded_by = ?2 WHERE superseded_by = ?3 "
	    "AND id < ?1 AND EXISTS (SELECT 1 FROM jobs j JOIN jobs n ON "
	    "n.id = ?1 WHERE j.id = pipelines.id AND j.repo_id = n.repo_id "
	    "AND j.branch = n.branch)" },
	[ST_SUPERSEDE_REASONS] = { "name the push that supersedes",
	    "UPDATE jobs SET reason = 'superseded by ' || ?2 WHERE "
	    "pipeline_id IN (SELECT id FROM pipelines WHERE superseded_by = ?2 "
	    "AND id < ?1) AND state = 'skipped'" },
	/*
	 * The last tested push before pipeline ?1 on its branch (coalescing
	 * or not: a push tested while coalescing was off counts too).  The
	 * bound on j.id as well as p.id: PostgreSQL's merge join of the two
	 * would read jobs from its first row.
	 */
	[ST_BISECT_BEFORE] = { "find the push tested before a pipeline",
	    "SELECT p.id, p.state FROM pipelines p JOIN jobs j ON j.id = p.id "
	    "JOIN jobs n ON n.id = ?1 WHERE j.repo_id = n.repo_id AND "
	    "j.branch = n.branch AND p.id < ?1 AND j.id < ?1 AND "
	    "p.bisection IS NULL AND "
	    "p.superseded_by IS NULL AND " PUSH_PIPELINE
	    "ORDER BY p.id DESC LIMIT 1" },
	/* The first tested push after pipeline ?1 on its branch (j.id: as
	 * above). */
	[ST_PUSH_AFTER] = { "find the push tested after a pipeline",
	    "SELECT p.id, p.state FROM pipelines p JOIN jobs j ON j.id = p.id "
	    "JOIN jobs n ON n.id = ?1 WHERE j.repo_id = n.repo_id AND "
	    "j.branch = n.branch AND p.id > ?1 AND j.id > ?1 AND "
	    "p.bisection IS NULL AND "
	    "p.superseded_by IS NULL AND " PUSH_PIPELINE
	    "ORDER BY p.id LIMIT 1" },
	[ST_BISECT_ADD] = { "start a bisection",
	    "INSERT INTO bisections (repo_id, branch, good, bad, state, "
	    "created_ms) SELECT repo_id, branch, ?2, ?1, 'running', ?3 "
	    "FROM jobs WHERE id = ?1" },
	[ST_BISECT_OF] = { "find a pipeline's bisection",
	    "SELECT id FROM bisections WHERE bad = ?1" },
	[ST_BISECT_RUNNING] = { "list running bisections",
	    "SELECT id FROM bisections WHERE state = 'running' ORDER BY id" },
	[ST_BISECT_GET] = { "read a bisection",
	    BISECT_COLUMNS "WHERE b.id = ?1" },
	[ST_BISECT_LATEST] = { "read a branch's latest bisection",
	    BISECT_COLUMNS "WHERE repos.url = ?1 AND b.branch = ?2 "
	    "ORDER BY b.id DESC LIMIT 1" },
	/*
	 * The pushes a bisection looks between, in the order they were
	 * reported, each with the state of its latest run in the bisection
	 * (NULL: not run) and whether a job of that run was flaky.
	 */
	[ST_BISECT_RANGE] = { "read a bisection's commits",
	    "WITH r AS (SELECT p.id, p.commit_id, j.subject, j.author, "
	    "(SELECT MAX(t.id) FROM pipelines t WHERE t.bisection = bs.id AND "
	    "t.commit_id = p.commit_id) AS run FROM bisections bs "
	    "JOIN jobs j ON j.repo_id = bs.repo_id AND j.branch = bs.branch "
	    "AND j.id = j.pipeline_id JOIN pipelines p ON p.id = j.id "
	    "WHERE bs.id = ?1 AND p.id > bs.good AND p.id < bs.bad AND "
	    "p.coalescing = 1 AND p.superseded_by IS NOT NULL) "
	    "SELECT r.id, r.commit_id, r.subject, r.author, r.run, "
	    "(SELECT state FROM pipelines WHERE id = r.run), "
	    "(SELECT MAX(flaky) FROM jobs WHERE pipeline_id = r.run) "
	    "FROM r ORDER BY r.id" },
	[ST_BISECT_RUNS] = { "count a bisection's runs",
	    "SELECT COUNT(*) FROM pipelines WHERE bisection = ?1" },
	[ST_BISECT_END] = { "end a bisection",
	    "UPDATE bisections SET state = ?2, culprit = ?3, "
	    "culprit_commit = ?4, culprit_subject = ?5, culprit_author = ?6, "
	    "runs = ?7, note = ?8, finished_ms = ?9 WHERE id = ?1 AND "
	    "state = 'running'" },
	/* The newest push: not a retry, a rebuild, a bisection's run. */
	[ST_BRANCH_TIP] = { "find a branch's tip",
	    JOB_COLUMNS "WHERE repos.url = ?1 AND jobs.branch = ?2 AND "
	    "jobs.id = jobs.pipeline_id AND pl.bisection IS NULL AND "
	    "(pl.triggered_by IS NULL OR pl.triggered_by IN ('hook', "
	    "'observer', 'webhook', 'api')) ORDER BY jobs.id DESC LIMIT 1" },
	[ST_SCHEDULE_GET] = { "read a schedule's last run",
	    "SELECT last_ms FROM schedules WHERE spec = ?1" },
	[ST_SCHEDULE_SET] = { "keep a schedule's last run",
	    "INSERT INTO schedules (spec, last_ms) VALUES (?1, ?2) "
	    "ON CONFLICT (spec) DO UPDATE SET last_ms = excluded.last_ms" },
	[ST_PIPELINE_SET_PLAN] = { "keep a pipeline's plan",
	    "UPDATE pipelines SET plan = ?2 WHERE id = ?1" },
	/* Found from any of its jobs: one statement where two would do. */
	[ST_PIPELINE_STATES] = { "read a pipeline's jobs",
	    "SELECT state, allow_failure, pipeline_id, shards, id, name FROM "
	    "jobs WHERE pipeline_id = (SELECT pipeline_id FROM jobs WHERE "
	    "id = ?1)" },
	[ST_SHARD_STATES] = { "read a job's shards",
	    "SELECT state, shard_index FROM jobs WHERE shard_of = ?1 "
	    "ORDER BY shard_index" },
	/* A sharded job's times, counts and attempts are its shards'. */
	[ST_SHARDED_SET] = { "settle a sharded job",
	    "UPDATE jobs SET state = ?2, reason = ?4, "
	    "started_ms = (SELECT MIN(started_ms) FROM jobs s WHERE "
	    "s.shard_of = ?1), finished_ms = CASE WHEN ?3 <> 0 THEN (SELECT "
	    "MAX(finished_ms) FROM jobs s WHERE s.shard_of = ?1) END, "
	    "duration_ms = CASE WHEN ?3 <> 0 THEN (SELECT MAX(finished_ms) - "
	    "MIN(started_ms) FROM jobs s WHERE s.shard_of = ?1) END, "
	    "exit_code = CASE WHEN ?3 <> 0 THEN (SELECT MAX(exit_code) FROM jobs s "
	    "WHERE s.shard_of = ?1) END, "
	    "tests_run = (SELECT SUM(tests_run) FROM jobs s WHERE "
	    "s.shard_of = ?1), tests_failed = (SELECT SUM(tests_failed) FROM "
	    "jobs s WHERE s.shard_of = ?1), tests_skipped = (SELECT "
	    "SUM(tests_skipped) FROM jobs s WHERE s.shard_of = ?1), "
	    "attempt = (SELECT COALESCE(MAX(attempt), 0) FROM jobs s WHERE "
	    "s.shard_of = ?1) WHERE id = ?1" },
	[ST_OUTBOX_ADD] = { "add to the outbox",
	    "INSERT INTO outbox (target, key, url, body, created_ms) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)" },
	[ST_OUTBOX_LIST] = { "read the outbox",
	    "SELECT id, target, key, url, body, created_ms FROM outbox "
	    "WHERE target = ?1 ORDER BY id LIMIT ?2" },
	[ST_OUTBOX_REMOVE] = { "take a message out of the outbox",
	    "DELETE FROM outbox WHERE id = ?1" },
	[ST_OUTBOX_COUNT] = { "count the outbox",
	    "SELECT COUNT(*) FROM outbox" },
	[ST_DELIVERY_FIND] = { "look up a webhook delivery",
	    "SELECT received_ms FROM deliveries WHERE forge = ?1 AND id = ?2 "
	    "AND received_ms >= ?3" },
	[ST_DELIVERY_ADD] = { "remember a webhook delivery",
	    "INSERT INTO deliveries (forge, id, received_ms) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (forge, id) DO UPDATE SET "
	    "received_ms = excluded.received_ms" },
	[ST_DELIVERY_PRUNE] = { "forget old webhook deliveries",
	    "DELETE FROM deliveries WHERE received_ms < ?1" },
	/*
	 * Retention (store_sql_prune.c): a step of a pass looks at the
	 * pipelines after a cursor, each with its repository and branch
	 * (its first job's, whose id it has) and its newest job.
	 */
	[ST_PRUNE_SCAN] = { "look for old pipelines",
	    "SELECT p.id, p.state, p.finished_ms, j.repo_id, j.branch, "
	    "(SELECT MAX(k.id) FROM jobs k WHERE k.pipeline_id = p.id) "
	    "FROM pipelines p JOIN jobs j ON j.id = p.id "
	    "WHERE p.id > ?1 ORDER BY p.id LIMIT ?2" },
	/* A running bisection's pushes stay: it reads them. */
	[ST_PRUNE_BISECTING] = { "list the running bisections' pushes",
	    "SELECT repo_id, branch, good, bad FROM bisections "
	    "WHERE state = 'running'" },
	/* The id of a branch's Nth newest job (N - 1 = ?3). */
	[ST_PRUNE_NTH] = { "count a branch's newer jobs",
	    "SELECT id FROM jobs WHERE repo_id = ?1 AND "
	    "branch IS NOT DISTINCT FROM ?2 "
	    "ORDER BY id DESC LIMIT 1 OFFSET ?3" },
	[ST_PRUNE_JOB_IDS] = { "list an old pipeline's jobs",
	    "SELECT id FROM jobs WHERE pipeline_id = ?1" },
	[ST_PRUNE_TEST_RUNS] = { "remove an old pipeline's tests",
	    "DELETE FROM test_runs WHERE job_id IN "
	    "(SELECT id FROM jobs WHERE pipeline_id = ?1)" },
	[ST_PRUNE_TEST_ATTEMPTS] = { "remove an old pipeline's test counts",
	    "DELETE FROM test_attempts WHERE job_id IN "
	    "(SELECT id FROM jobs WHERE pipeline_id = ?1)" },
	[ST_PRUNE_NEEDS] = { "remove an old pipeline's needs",
	    "DELETE FROM job_needs WHERE job_id IN "
	    "(SELECT id FROM jobs WHERE pipeline_id = ?1)" },
	/* Artifacts: a job's rows in path order, along its primary key. */
	[ST_ARTIFACT_ADD] = { "keep an artifact",
	    "INSERT INTO artifacts (job_id, path, size, sha256, mode, "
	    "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT (job_id, path) DO UPDATE SET size = excluded.size, "
	    "sha256 = excluded.sha256, mode = excluded.mode, "
	    "created_at = excluded.created_at, "
	    "expires_at = excluded.expires_at" },
	[ST_ARTIFACTS_OF_JOB] = { "list a job's artifacts",
	    ARTIFACT_COLUMNS "WHERE a.job_id = ?1 ORDER BY a.path" },
	[ST_ARTIFACT_GET] = { "read an artifact",
	    ARTIFACT_COLUMNS "WHERE a.job_id = ?1 AND a.path = ?2" },
	/*
	 * What job ?1 needs has passed: each need's artifacts, or where
	 * they are.  A job a retry carried (ST_JOB_CARRY: its retry_of,
	 * name, attempt and start copied) never ran: its run is the job it
	 * copied, maybe carried in turn.  A sharded job never runs either:
	 * its shards are its runs.  Of each run, the rows made since its
	 * latest start: an earlier attempt's leftovers are not handed on.
	 */
	[ST_ARTIFACTS_OF_NEEDS] = { "list the artifacts a job needs",
	    "WITH RECURSIVE src(need, job) AS (SELECT n.need_id, n.need_id "
	    "FROM job_needs n JOIN jobs d ON d.id = n.need_id "
	    "WHERE n.job_id = ?1 AND d.state = 'passed' "
	    "UNION SELECT src.need, o.id FROM src JOIN jobs c ON "
	    "c.id = src.job JOIN jobs o ON o.id = c.retry_of WHERE "
	    "o.state = 'passed' AND o.name IS c.name AND "
	    "o.attempt = c.attempt AND o.started_ms IS c.started_ms AND "
	    "o.pipeline_id IS NOT c.pipeline_id "
	    "UNION SELECT src.need, s.id FROM src JOIN jobs s ON "
	    "s.shard_of = src.job WHERE s.state = 'passed') "
	    ARTIFACT_COLUMNS "JOIN src ON a.job_id = src.job "
	    "JOIN jobs r ON r.id = src.job "
	    "WHERE a.created_at >= COALESCE(r.started_ms, 0) / 1000 "
	    "ORDER BY src.need, a.job_id, a.path" },
	[ST_ARTIFACTS_EXPIRED] = { "list expired artifacts",
	    ARTIFACT_COLUMNS "WHERE a.expires_at IS NOT NULL AND "
	    "a.expires_at <= ?1 ORDER BY a.expires_at LIMIT ?2" },
	[ST_ARTIFACT_REMOVE] = { "remove an artifact",
	    "DELETE FROM artifacts WHERE job_id = ?1 AND path = ?2" },
	[ST_ARTIFACTS_REMOVE_JOB] = { "remove a job's artifacts",
	    "DELETE FROM artifacts WHERE job_id = ?1" },
	[ST_PRUNE_ARTIFACTS] = { "remove an old pipeline's artifacts",
	    "DELETE FROM artifacts WHERE job_id IN "
	    "(SELECT id FROM jobs WHERE pipeline_id = ?1)" },
	[ST_PRUNE_JOBS] = { "remove an old pipeline's jobs",
	    "DELETE FROM jobs WHERE pipeline_id = ?1" },
	[ST_PRUNE_PIPELINE] = { "remove an old pipeline",
	    "DELETE FROM pipelines WHERE id = ?1" },
	/* Each step of it gives one free page back to the file system. */
	[ST_VACUUM_STEP] = { "give free pages back",
	    "PRAGMA incremental_vacuum(" STORE_VACUUM_PAGES_SQL ")" },
	[ST_PIPELINE_SET_STATE] = { "set a pipeline's state",
	    "UPDATE pipelines SET state = ?2, finished_ms = ?3 WHERE id = ?1" },
	/* With its commit's latest earlier pipeline that ended. */
	[ST_PIPELINE_GET] = { "read a pipeline",
	    "SELECT id, state, plan, finished_ms, (SELECT MAX(o.id) FROM "
	    "pipelines o WHERE o.commit_id = pipelines.commit_id AND "
	    "o.id < pipelines.id AND o.state NOT IN ('queued', 'running')) "
	    "FROM pipelines WHERE id = ?1" },
	[ST_PIPELINE_JOBS] = { "list a pipeline's jobs",
	    JOB_COLUMNS "WHERE jobs.pipeline_id = ?1 "
	    "ORDER BY COALESCE(jobs.plan_index, 0), "
	    "COALESCE(jobs.shard_index, 0), jobs.id" },
	[ST_PIPELINE_NEEDS] = { "list a pipeline's needs",
	    "SELECT n.job_id, n.need_id FROM job_needs n "
	    "JOIN jobs j ON j.id = n.job_id WHERE j.pipeline_id = ?1 "
	    "ORDER BY n.job_id, n.need_id" },
	[ST_RUNNABLE_LIST] = { "read the runnable queue",
	    FAIR_QUEUE(RUNNABLE) },
	/*
	 * The lanes with queued jobs, at most two: with one, its FIFO is the
	 * order, and the fair query's ranking is not needed.
	 */
	[ST_QUEUED_LANES] = { "count the queue's lanes",
	    "SELECT l.first, (SELECT MIN(lane_id) FROM jobs INDEXED BY "
	    "jobs_lane WHERE state = 'queued' AND lane_id > l.first) FROM "
	    "(SELECT MIN(lane_id) AS first FROM jobs INDEXED BY jobs_lane "
	    "WHERE state = 'queued') l" },
	[ST_LANE_RUNNABLE] = { "read a lane of the queue",
	    JOB_COLUMNS "WHERE state = 'queued' AND lane_id = ?3 AND " RUNNABLE
	    "ORDER BY queue_pos, jobs.id LIMIT ?1" },
	/* A start's other changes (store_sql_texts.h). */
	[ST_SERVED_MARK] = { "note whose turn it was", SERVED_MARK },
	[ST_PIPELINE_RUN] = { "set a started job's pipeline running",
	    PIPELINE_RUN },
	[ST_SHARD_PARENT_RUN] = { "set a started shard's job running",
	    SHARD_PARENT_RUN },
	[ST_JOB_GET] = { "read a job", JOB_COLUMNS "WHERE jobs.id = ?1" },
	/* And ST_JOB_TEST_COUNTS's columns after, for a job not sharded. */
	[ST_JOB_GET_COUNTED] = { "read a job and its test counts",
	    JOB_LIST ", a.total, a.passed, a.failed, a.skipped, (SELECT "
	    "COUNT(*) FROM tests t CROSS JOIN test_runs r ON r.test_id = t.id "
	    "AND r.branch IS jobs.branch AND r.job_id = a.job_id AND "
	    "r.attempt = a.attempt WHERE t.repo_id = jobs.repo_id AND "
	    "t.quarantined_ms IS NOT NULL AND " TEST_FAILED "), a.flaky "
	    JOB_FROM "LEFT JOIN test_attempts a ON a.job_id = jobs.id AND "
	    "a.attempt = jobs.attempt WHERE jobs.id = ?1" },
	[ST_JOB_FINAL] = { "read a job's state",
	    "SELECT CAST(state NOT IN ('queued', 'running') AS INTEGER) "
	    "FROM jobs "
	    "WHERE id = ?1" },
	[ST_JOB_START] = { "start job",
	    "UPDATE jobs SET state = 'running', attempt = attempt + 1, "
	    "runner = ?2, started_ms = ?3, finished_ms = NULL "
	    "WHERE id = ?1 AND state = 'queued' AND shards = 0" },
	[ST_JOB_ADOPT] = { "adopt job",
	    "UPDATE jobs SET state = 'running', runner = ?2 "
	    "WHERE id = ?1 AND state IN ('queued', 'running') AND "
	    "shards = 0" },
	[ST_JOB_REQUEUE] = { "requeue job",
	    "UPDATE jobs SET state = 'queued', queue_pos = " FRONT_POS ", "
	    "reason = ?2 WHERE id = ?1 AND state = 'running' AND shards = 0" },
	[ST_JOB_HAND_BACK] = { "hand back job",
	    "UPDATE jobs SET state = 'queued', queue_pos = " FRONT_POS ", "
	    "attempt = CASE WHEN attempt > 0 THEN attempt - 1 ELSE 0 END, "
	    "reason = ?2 "
	    "WHERE id = ?1 AND state = 'running' AND shards = 0" },
	[ST_JOB_LAST_RUNNING] = { "find running jobs",
	    "SELECT id FROM jobs WHERE state = 'running' AND shards = 0 "
	    "ORDER BY queue_pos DESC, id DESC LIMIT 1" },
	/* A job that passed after failed attempts is flaky. */
	[ST_JOB_FINISH] = { "finish a job",
	    "UPDATE jobs SET state = ?2, exit_code = ?3, duration_ms = ?4, "
	    "tests_run = ?5, tests_failed = ?6, tests_skipped = ?7, "
	    "reason = ?8, finished_ms = ?9, flaky = CASE WHEN ?2 = 'passed' "
	    "AND fail_retries > 0 THEN 1 ELSE flaky END "
	    "WHERE id = ?1 AND state IN ('queued', 'running') AND "
	    "shards = 0" },
	[ST_COUNT_STATE] = { "count jobs",
	    "SELECT COUNT(*) FROM jobs WHERE state = ?1 AND shards = 0" },
	[ST_JOB_LIST] = { "list jobs",
	    JOB_COLUMNS "WHERE (CAST(?1 AS TEXT) IS NULL OR repos.url = ?1 OR "
	    "CAST(repos.id AS TEXT) = ?1) AND (CAST(?2 AS TEXT) IS NULL OR "
	    "branch = ?2) AND (CAST(?3 AS TEXT) IS NULL OR state = ?3) AND "
	    "(CAST(?4 AS BIGINT) IS NULL OR jobs.id < ?4) AND "
	    "(CAST(?6 AS BIGINT) IS NULL OR jobs.id = jobs.pipeline_id) "
	    "ORDER BY jobs.id DESC LIMIT ?5" },
	[ST_QUEUE_LIST] = { "list the queue",
	    FAIR_QUEUE("state = 'queued' AND shards = 0") },
	/* A bisection's runs test older commits: they are not the head. */
	[ST_BRANCH_HEADS] = { "list branches",
	    JOB_COLUMNS "WHERE jobs.id IN (SELECT MAX(j.pipeline_id) FROM "
	    "jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE "
	    "p.bisection IS NULL GROUP BY j.repo_id, j.branch) "
	    "ORDER BY repos.url, jobs.branch NULLS FIRST" },
	[ST_COUNT_STATES] = { "count jobs by state",
	    "SELECT state, COUNT(*) FROM jobs WHERE shards = 0 "
	    "GROUP BY state" },
	[ST_OLDEST_QUEUED] = { "find the oldest queued job",
	    "SELECT MIN(created_ms) FROM jobs WHERE state = 'queued' AND "
	    "shards = 0" },
	[ST_JOB_BY_COMMIT] = { "find a commit's job",
	    JOB_COLUMNS "WHERE commit_id >= ?1 AND commit_id < ?2 "
	    "AND jobs.id = jobs.pipeline_id ORDER BY jobs.id DESC LIMIT 1" },
	[ST_RUNNING_IDS] = { "list running jobs",
	    "SELECT id FROM jobs WHERE state = 'running' AND shards = 0 "
	    "ORDER BY id" },
	[ST_FINAL_HEADS_PAGE] = { "list finished commits",
	    "SELECT commit_id, MAX(id) FROM pipelines WHERE commit_id > ?1 AND "
	    "state NOT IN ('queued', 'running') GROUP BY commit_id "
	    "ORDER BY commit_id LIMIT ?2" },
	[ST_LATEST_FINAL] = { "find a commit's latest result",
	    "SELECT MAX(id) FROM pipelines WHERE commit_id = ?1 AND "
	    "state NOT IN ('queued', 'running')" },
	[ST_RUNNER_SEEN] = { "remember a runner",
	    "INSERT INTO runners (name, address, first_seen_ms, last_seen_ms) "
	    "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (name) DO UPDATE SET "
	    "address = excluded.address, "
	    "last_seen_ms = excluded.last_seen_ms" },
	[ST_JOB_RETRY_FAILED] = { "queue a failed job again",
	    "UPDATE jobs SET state = 'queued', queue_pos = " FRONT_POS ", "
	    "fail_retries = fail_retries + 1, reason = ?2 "
	    "WHERE id = ?1 AND state = 'running' AND shards = 0" },
	/* A shard's tests are its job's: they go by that job's name. */
	[ST_TEST_JOB] = { "read a job for its tests",
	    "SELECT repo_id, branch, attempt, commit_id, COALESCE((SELECT "
	    "p.name FROM jobs p WHERE p.id = jobs.shard_of), name) FROM jobs "
	    "WHERE id = ?1" },
	[ST_TEST_FIND] = { "look up a test",
	    "SELECT id FROM tests WHERE repo_id = ?1 AND name = ?2" },
	[ST_TEST_ADD] = { "add a test",
	    "INSERT INTO tests (repo_id, name) VALUES (?1, ?2)" },
	/* A batch sent again is the same batch: its rows are there. */
	[ST_TEST_RUN_ADD] = { "record a test's result",
	    "INSERT INTO test_runs (job_id, attempt, idx, test_id, "
	    "branch, status, duration_us, suite, file, message, job_name) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	    "ON CONFLICT DO NOTHING" },
	/* Failed first, then the others: two walks of the job's index, no
	 * sort of all its rows. */
	[ST_JOB_TESTS_FAILED] = { "list a job's failed tests",
	    TEST_RUN_COLUMNS "WHERE r.job_id = ?1 AND r.attempt = j.attempt "
	    "AND " TEST_FAILED " ORDER BY r.idx LIMIT ?2 OFFSET ?3" },
	[ST_JOB_TESTS_OTHERS] = { "list a job's tests",
	    TEST_RUN_COLUMNS "WHERE r.job_id = ?1 AND r.attempt = j.attempt "
	    "AND NOT " TEST_FAILED " ORDER BY r.idx LIMIT ?2 OFFSET ?3" },
	/* A sharded job's tests: its shards', shard by shard. */
	[ST_SHARDED_TESTS_FAILED] = { "list a sharded job's failed tests",
	    TEST_RUN_COLUMNS "WHERE j.shard_of = ?1 AND r.attempt = j.attempt "
	    "AND " TEST_FAILED " ORDER BY r.job_id, r.idx LIMIT ?2 OFFSET ?3" },
	[ST_SHARDED_TESTS_OTHERS] = { "list a sharded job's tests",
	    TEST_RUN_COLUMNS "WHERE j.shard_of = ?1 AND r.attempt = j.attempt "
	    "AND NOT " TEST_FAILED " ORDER BY r.job_id, r.idx "
	    "LIMIT ?2 OFFSET ?3" },
	[ST_JOB_SHARDS] = { "read whether a job is sharded",
	    "SELECT shards FROM jobs WHERE id = ?1" },
	[ST_TEST_COUNT_ADD] = { "count a job's tests",
	    "INSERT INTO test_attempts (job_id, attempt, total, passed, failed, "
	    "skipped) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (job_id, "
	    "attempt) DO UPDATE SET total = test_attempts.total + "
	    "excluded.total, passed = test_attempts.passed + excluded.passed, "
	    "failed = test_attempts.failed + excluded.failed, "
	    "skipped = test_attempts.skipped + excluded.skipped" },
	[ST_TEST_COUNT_FLAKY] = { "count a job's flaky tests",
	    "UPDATE test_attempts SET flaky = (SELECT COUNT(*) FROM test_runs "
	    "WHERE job_id = ?1 AND attempt = ?2 AND flaky = 1) "
	    "WHERE job_id = ?1 AND attempt = ?2" },
	/*
	 * Counted as the records came; quarantine is read now, from the
	 * repository's few quarantined tests to their runs in this job
	 * (CROSS JOIN keeps that order), not through the job's every row.
	 */
	/* With whether the job is sharded: then its shards' count. */
	[ST_JOB_TEST_COUNTS] = { "read a job's test counts",
	    "SELECT a.total, a.passed, a.failed, a.skipped, (SELECT COUNT(*) "
	    "FROM tests t CROSS JOIN test_runs r ON r.test_id = t.id AND "
	    "r.branch IS j.branch AND r.job_id = a.job_id AND "
	    "r.attempt = a.attempt WHERE t.repo_id = j.repo_id AND "
	    "t.quarantined_ms IS NOT NULL AND " TEST_FAILED "), a.flaky, "
	    "j.shards FROM jobs j LEFT JOIN test_attempts a ON "
	    "a.job_id = j.id AND a.attempt = j.attempt WHERE j.id = ?1" },
	[ST_SHARDED_TEST_COUNTS] = { "read a sharded job's test counts",
	    "SELECT SUM(a.total), SUM(a.passed), SUM(a.failed), "
	    "SUM(a.skipped), (SELECT COUNT(*) FROM jobs s JOIN tests t ON "
	    "t.repo_id = s.repo_id AND t.quarantined_ms IS NOT NULL "
	    "CROSS JOIN test_runs r ON r.test_id = t.id AND "
	    "r.branch IS s.branch AND r.job_id = s.id AND "
	    "r.attempt = s.attempt WHERE s.shard_of = ?1 AND " TEST_FAILED "), "
	    "SUM(a.flaky), COUNT(*) FROM jobs j JOIN test_attempts a ON "
	    "a.job_id = j.id AND a.attempt = j.attempt WHERE j.shard_of = ?1" },
	/* Every run, a failed attempt's re-runs too: each is an outcome. */
	[ST_TEST_HISTORY] = { "read a test's history",
	    TEST_RUN_COLUMNS "WHERE t.repo_id = (SELECT id FROM repos WHERE "
	    "url = ?1) AND t.name = ?2 AND r.branch IS NOT DISTINCT FROM ?3 AND "
	    "(CAST(?4 AS BIGINT) IS NULL OR r.job_id <= ?4) AND "
	    "(?6 <> 0 OR r.job_name IS NOT DISTINCT FROM ?7) "
	    "ORDER BY r.job_id DESC, r.attempt DESC LIMIT ?5" },
	/*
	 * A test of job ?1's attempt that passed where another run of the
	 * same commit on its branch failed, or the other way round, is flaky.
	 * Most commits run once: then OTHER_RUNS, asked once, spares the
	 * look at each test.
	 */
	[ST_TEST_MARK_FLAKY] = { "mark flaky tests",
	    "UPDATE test_runs SET flaky = 1 WHERE job_id = ?1 AND "
	    "attempt = (SELECT attempt FROM jobs WHERE id = ?1) AND "
	    OTHER_RUNS "AND status <> 'skipped' AND EXISTS (SELECT 1 FROM "
	    "test_runs o WHERE o.test_id = test_runs.test_id AND "
	    "o.branch IS NOT DISTINCT FROM test_runs.branch AND "
	    "o.job_name IS NOT DISTINCT FROM test_runs.job_name AND "
	    "o.job_id IN (SELECT id FROM jobs WHERE commit_id = (SELECT "
	    "commit_id FROM jobs WHERE id = ?1)) AND NOT (o.job_id = ?1 AND "
	    "o.attempt = test_runs.attempt) AND o.status <> 'skipped' AND "
	    "(o.status = 'passed') <> (test_runs.status = 'passed'))" },
	/* The same for the count of its attempt's flaky tests. */
	[ST_TEST_SETTLE_FLAKY] = { "count a job's flaky tests",
	    "UPDATE test_attempts SET flaky = (SELECT COUNT(*) FROM test_runs "
	    "WHERE job_id = ?1 AND attempt = test_attempts.attempt AND "
	    "flaky = 1) WHERE job_id = ?1 AND attempt = (SELECT attempt FROM "
	    "jobs WHERE id = ?1) AND " OTHER_RUNS },
	/*
	 * The latest passed job of a name on a branch that has records, its
	 * own or, sharded, its shards'; and the last of those jobs' ids.
	 */
	[ST_TEST_LAST_PASSED] = { "find a job's last pass",
	    "SELECT j.id, (SELECT MAX(s.id) FROM jobs s WHERE s.id = j.id OR "
	    "s.shard_of = j.id) FROM jobs j JOIN repos ON "
	    "repos.id = j.repo_id WHERE repos.url = ?1 AND "
	    "j.branch IS NOT DISTINCT FROM ?2 AND "
	    "j.name IS NOT DISTINCT FROM ?3 AND j.shard_of IS NULL AND j.state = 'passed' AND "
	    "EXISTS (SELECT 1 FROM jobs s JOIN test_attempts a ON "
	    "a.job_id = s.id AND a.attempt = s.attempt WHERE (s.id = j.id OR "
	    "s.shard_of = j.id) AND a.total > 0) ORDER BY j.id DESC LIMIT 1" },
	/*
	 * The tests of a job's latest attempt (a sharded job's: its
	 * shards'), each with the durations of its last ?5 runs (not
	 * skipped) in jobs of the same name on the branch, up to job ?2:
	 * a test's rows together, in the job's order (no sort of them all).
	 */
	[ST_TEST_DURATIONS] = { "read tests' durations",
	    "WITH these AS (SELECT r.test_id FROM jobs s JOIN test_runs r ON "
	    "r.job_id = s.id AND r.attempt = s.attempt WHERE s.id = ?1 OR "
	    "s.shard_of = ?1) "
	    "SELECT t.name, d.duration_us, these.test_id FROM these "
	    "JOIN tests t ON t.id = these.test_id "
	    /* Each test's last runs: a walk back along the history index
	     * that stops after ?5 of them. */
	    "LEFT JOIN test_runs d ON d.rowid IN (SELECT r.rowid FROM "
	    "test_runs r WHERE r.test_id = these.test_id AND "
	    "r.branch IS ?3 AND r.job_id <= ?2 AND r.job_name IS ?4 AND "
	    "r.status <> 'skipped' AND r.duration_us IS NOT NULL "
	    "ORDER BY r.job_id DESC, r.attempt DESC LIMIT ?5)" },
	[ST_TEST_RUN_FLAKY] = { "mark a test's run flaky",
	    "UPDATE test_runs SET flaky = 1 WHERE job_id = ?1 AND "
	    "attempt = ?2 AND idx = ?3" },
	[ST_FLAKY_LIST] = { "list flaky tests",
	    "SELECT repos.url, t.name, COUNT(*), MAX(r.job_id), "
	    "t.quarantined_ms IS NOT NULL FROM test_runs r "
	    "JOIN tests t ON t.id = r.test_id "
	    "JOIN repos ON repos.id = t.repo_id WHERE r.flaky = 1 "
	    "GROUP BY r.test_id ORDER BY COUNT(*) DESC, MAX(r.job_id) DESC "
	    "LIMIT ?1" },
	[ST_TEST_QUARANTINE] = { "quarantine a test",
	    "INSERT INTO tests (repo_id, name, quarantined_ms, quarantined_by) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (repo_id, name) DO UPDATE SET "
	    "quarantined_ms = excluded.quarantined_ms, "
	    "quarantined_by = excluded.quarantined_by" },
	[ST_QUARANTINE_LIST] = { "list quarantined tests",
	    "SELECT repos.url, t.name, t.quarantined_ms, t.quarantined_by "
	    "FROM tests t JOIN repos ON repos.id = t.repo_id "
	    "WHERE t.quarantined_ms IS NOT NULL AND "
	    "(CAST(?1 AS TEXT) IS NULL OR repos.url = ?1) "
	    "ORDER BY repos.url, t.name" },
	/* A secret's value comes sealed (store.c): never clear text here. */
	[ST_SECRET_SET] = { "keep a secret",
	    "INSERT INTO secrets (repo, name, value, branches, updated_ms, "
	    "updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (repo, "
	    "name) DO UPDATE SET value = excluded.value, branches = "
	    "excluded.branches, updated_ms = excluded.updated_ms, "
	    "updated_by = excluded.updated_by" },
	[ST_SECRET_LIST] = { "list secrets",
	    "SELECT repo, name, branches, updated_ms, updated_by FROM secrets "
	    "WHERE repo = ?1 ORDER BY name" },
	[ST_SECRET_REMOVE] = { "remove a secret",
	    "DELETE FROM secrets WHERE repo = ?1 AND name = ?2" },
	[ST_LOG_APPEND] = { "keep a job's output",
	    "INSERT INTO job_logs (job_id, seq, data) VALUES (?1, "
	    "COALESCE((SELECT MAX(seq) FROM job_logs WHERE job_id = ?1), 0) "
	    "+ 1, ?2)" },
	[ST_LOG_CLEAR] = { "empty a job's log",
	    "DELETE FROM job_logs WHERE job_id = ?1" },
	[ST_LOG_COPY] = { "copy a job's log",
	    "INSERT INTO job_logs (job_id, seq, data) SELECT ?2, seq, data "
	    "FROM job_logs WHERE job_id = ?1" },
	[ST_LOG_READ] = { "read a job's log",
	    "SELECT data FROM job_logs WHERE job_id = ?1 ORDER BY seq" },
	[ST_PRUNE_LOGS] = { "remove an old pipeline's logs",
	    "DELETE FROM job_logs WHERE job_id IN "
	    "(SELECT id FROM jobs WHERE pipeline_id = ?1)" },
	/* Prepared again for each table a copy reads and writes. */
	[ST_COPY_READ] = { "read a table", "SELECT 1" },
	[ST_COPY_WRITE] = { "copy a row", "SELECT 1" },
	[ST_SECRET_GET] = { "read a secret",
	    "SELECT value, branches FROM secrets WHERE repo = ?1 AND "
	    "name = ?2" },
};

/*
 * Migration i brings the schema from version i to i + 1 and must end by
 * setting user_version to i + 1 (checked): the number is part of the
 * script so that no SQL is ever built at run time.  Append only; never edit
 * a migration that has shipped.
 */
const char *const store_migrations[] = {
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

	/*
	 * Pipelines: a commit's jobs, planned from its .ssci.yml.  A
	 * pipeline's id is its first job's, so each job so far is one.
	 */
	"CREATE TABLE pipelines (id INTEGER PRIMARY KEY,"
	"  commit_id TEXT NOT NULL, state TEXT NOT NULL, plan TEXT,"
	"  finished_ms INTEGER);"
	"INSERT INTO pipelines (id, commit_id, state, finished_ms)"
	"  SELECT id, commit_id, state, finished_ms FROM jobs;"
	"CREATE INDEX pipelines_commit ON pipelines (commit_id, state);"
	"ALTER TABLE jobs ADD COLUMN pipeline_id INTEGER;"
	"UPDATE jobs SET pipeline_id = id;"
	"ALTER TABLE jobs ADD COLUMN name TEXT;"
	"ALTER TABLE jobs ADD COLUMN spec TEXT;"
	"ALTER TABLE jobs ADD COLUMN labels TEXT;"
	"ALTER TABLE jobs ADD COLUMN allow_failure INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN plan_index INTEGER;"
	"CREATE INDEX jobs_pipeline ON jobs (pipeline_id);"
	"CREATE TABLE job_needs (job_id INTEGER NOT NULL,"
	"  need_id INTEGER NOT NULL, PRIMARY KEY (job_id, need_id))"
	"  WITHOUT ROWID;"
	"CREATE INDEX job_needs_need ON job_needs (need_id);"
	"PRAGMA user_version = 5;",

	/*
	 * Per-test results: a test is a repository's name; each job's
	 * attempt has a run of each test it reported, found by test and
	 * branch for a test's history.
	 */
	"CREATE TABLE tests (id INTEGER PRIMARY KEY,"
	"  repo_id INTEGER NOT NULL REFERENCES repos(id),"
	"  name TEXT NOT NULL, quarantined_ms INTEGER, quarantined_by TEXT,"
	"  UNIQUE (repo_id, name));"
	"CREATE TABLE test_runs (job_id INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL, idx INTEGER NOT NULL,"
	"  test_id INTEGER NOT NULL REFERENCES tests(id), branch TEXT,"
	"  status TEXT NOT NULL, duration_us INTEGER, suite TEXT, file TEXT,"
	"  message TEXT, flaky INTEGER NOT NULL DEFAULT 0, job_name TEXT);"
	"CREATE UNIQUE INDEX test_runs_job ON test_runs (job_id, attempt, idx);"
	"CREATE INDEX test_runs_history ON test_runs (test_id, branch, job_id,"
	"  attempt);"
	"CREATE INDEX test_runs_flaky ON test_runs (test_id) WHERE flaky = 1;"
	"CREATE INDEX tests_quarantined ON tests (repo_id)"
	"  WHERE quarantined_ms IS NOT NULL;"
	"CREATE TABLE test_attempts (job_id INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL, total INTEGER NOT NULL,"
	"  passed INTEGER NOT NULL, failed INTEGER NOT NULL,"
	"  skipped INTEGER NOT NULL, flaky INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (job_id, attempt)) WITHOUT ROWID;"
	"ALTER TABLE jobs ADD COLUMN flaky INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN fail_retries INTEGER NOT NULL DEFAULT 0;"
	"PRAGMA user_version = 6;",

	/*
	 * Sharding: a sharded job (shards > 0) is never run; its shards
	 * are, each a job with shard_of naming it.
	 */
	"ALTER TABLE jobs ADD COLUMN shards INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN shard_of INTEGER;"
	"ALTER TABLE jobs ADD COLUMN shard_index INTEGER;"
	"ALTER TABLE jobs ADD COLUMN expected_ms INTEGER;"
	"CREATE INDEX jobs_shard_of ON jobs (shard_of) "
	"  WHERE shard_of IS NOT NULL;"
	"PRAGMA user_version = 7;",

	/*
	 * Forges: a pull request's title and page on the pipelines that
	 * test it; the outbox of statuses and notifications still to send,
	 * in order per key; the webhook deliveries taken lately, so that a
	 * redelivery queues nothing twice.
	 */
	"ALTER TABLE pipelines ADD COLUMN pr_title TEXT;"
	"ALTER TABLE pipelines ADD COLUMN pr_url TEXT;"
	"CREATE TABLE outbox (id INTEGER PRIMARY KEY, target TEXT NOT NULL,"
	"  key TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE INDEX outbox_target ON outbox (target, id);"
	"CREATE TABLE deliveries (forge TEXT NOT NULL, id TEXT NOT NULL,"
	"  received_ms INTEGER NOT NULL, PRIMARY KEY (forge, id));"
	"CREATE INDEX deliveries_age ON deliveries (received_ms);"
	"PRAGMA user_version = 8;",

	/*
	 * The queue's order and its triggers (docs/QUEUE.md): each job's
	 * priority; what queued each pipeline and a manual run's
	 * parameters; pushes on coalescing branches, the commit that
	 * superseded one, a bisection's runs; the queue's lanes (a
	 * repository's branch at a priority) and when each last had a
	 * turn; bisections; each schedule's last run.
	 */
	"ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE pipelines ADD COLUMN triggered_by TEXT;"
	"ALTER TABLE pipelines ADD COLUMN params TEXT;"
	"ALTER TABLE pipelines ADD COLUMN coalescing INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE pipelines ADD COLUMN superseded_by TEXT;"
	"ALTER TABLE pipelines ADD COLUMN bisection INTEGER;"
	"CREATE INDEX pipelines_bisection ON pipelines (bisection, commit_id)"
	"  WHERE bisection IS NOT NULL;"
	"CREATE INDEX pipelines_superseded ON pipelines (superseded_by)"
	"  WHERE superseded_by IS NOT NULL;"
	"CREATE TABLE lanes (id INTEGER PRIMARY KEY,"
	"  repo_id INTEGER NOT NULL REFERENCES repos(id), branch TEXT NOT NULL,"
	"  priority INTEGER NOT NULL, turn INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (repo_id, branch, priority));"
	"CREATE INDEX lanes_turn ON lanes (turn);"
	"CREATE INDEX lanes_repo ON lanes (repo_id, turn);"
	"ALTER TABLE jobs ADD COLUMN lane_id INTEGER;"
	"ALTER TABLE jobs ADD COLUMN hold_until INTEGER;"
	"INSERT INTO lanes (repo_id, branch, priority)"
	"  SELECT DISTINCT repo_id, COALESCE(branch, ''), 0 FROM jobs"
	"  WHERE state IN ('queued', 'running');"
	"UPDATE jobs SET lane_id = (SELECT l.id FROM lanes l WHERE"
	"  l.repo_id = jobs.repo_id AND l.branch = COALESCE(jobs.branch, '')"
	"  AND l.priority = 0) WHERE state IN ('queued', 'running');"
	/* Queued jobs only: finished ones (retention's) never touch it. */
	"CREATE INDEX jobs_lane ON jobs (lane_id, queue_pos)"
	"  WHERE state = 'queued';"
	"CREATE TABLE bisections (id INTEGER PRIMARY KEY,"
	"  repo_id INTEGER NOT NULL REFERENCES repos(id), branch TEXT NOT NULL,"
	"  good INTEGER NOT NULL, bad INTEGER NOT NULL, state TEXT NOT NULL,"
	"  culprit INTEGER, culprit_commit TEXT, culprit_subject TEXT,"
	"  culprit_author TEXT, runs INTEGER NOT NULL DEFAULT 0, note TEXT,"
	"  created_ms INTEGER NOT NULL, finished_ms INTEGER);"
	"CREATE INDEX bisections_branch ON bisections (repo_id, branch, id);"
	"CREATE INDEX bisections_bad ON bisections (bad);"
	"CREATE TABLE schedules (spec TEXT PRIMARY KEY,"
	"  last_ms INTEGER NOT NULL);"
	"PRAGMA user_version = 9;",

	/*
	 * Secrets (docs/SECURITY.md): a repository's named values, each
	 * sealed by store.c under STATE/secrets.key (never in this file),
	 * with the branch globs it is given to ('' for every branch but
	 * pull requests').
	 */
	"CREATE TABLE secrets (repo TEXT NOT NULL, name TEXT NOT NULL,"
	"  value BLOB NOT NULL, branches TEXT NOT NULL DEFAULT '',"
	"  updated_ms INTEGER NOT NULL, updated_by TEXT,"
	"  PRIMARY KEY (repo, name));"
	/*
	 * Artifacts (docs/ARTIFACTS.md): a job's files, each kept as
	 * STATE/artifacts/JOB/PATH once it arrived whole; expires_at NULL
	 * keeps it as long as its job.
	 */
	"CREATE TABLE artifacts (job_id INTEGER NOT NULL REFERENCES jobs(id),"
	"  path TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,"
	"  mode INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	"  expires_at INTEGER, PRIMARY KEY (job_id, path));"
	"CREATE INDEX artifacts_expiry ON artifacts (expires_at)"
	"  WHERE expires_at IS NOT NULL;"
	"PRAGMA user_version = 10;",

	/* Jobs' logs in the store: a PostgreSQL store's (store_keeps_logs). */
	"CREATE TABLE job_logs (job_id INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY (job_id, seq)) WITHOUT ROWID;"
	"PRAGMA user_version = 11;",
};

const int store_version =
    (int)(sizeof store_migrations / sizeof store_migrations[0]);

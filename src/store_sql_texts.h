/* SPDX-License-Identifier: MIT */
/*
 * store_sql_texts.h - the parts of SQL texts that every database's
 * statements share (store_sqlite_sql.c, store_pg_sql.c): the columns a
 * row reader takes, in its order, and the conditions written once.
 * Only texts: no value is ever put into one.
 */
#ifndef SSCI_STORE_SQL_TEXTS_H
#define SSCI_STORE_SQL_TEXTS_H

/*
 * Need n of a job not passed (yet).  The need's job is read by its key,
 * one need at a time: joined instead, PostgreSQL's plan made while the
 * tables were small read the jobs table from its start for every job
 * listed, past every job that passed.
 */
#define NEED_OPEN \
	"(SELECT d.state FROM jobs d WHERE d.id = n.need_id) <> 'passed'"

/* The columns sql_job_fill reads, in its order. */
#define JOB_COLUMNS JOB_LIST JOB_FROM
#define JOB_LIST \
	"SELECT jobs.id, repos.url, commit_id, branch, state, jobs.attempt, " \
	"runner, jobs.created_ms, started_ms, finished_ms, exit_code, " \
	"duration_ms, tests_run, tests_failed, tests_skipped, reason, " \
	"subject, author, retry_of, jobs.pipeline_id, pl.pipeline_state, " \
	"jobs.name, jobs.spec, jobs.labels, jobs.allow_failure, " \
	"(SELECT COUNT(*) FROM job_needs n WHERE n.job_id = jobs.id AND " \
	NEED_OPEN "), " \
	"jobs.flaky, jobs.fail_retries, jobs.shards, jobs.shard_of, " \
	"jobs.shard_index, jobs.expected_ms, pl.pr_title, pl.pr_url, " \
	"jobs.priority, pl.triggered_by, pl.params, pl.superseded_by, " \
	"pl.bisection, pl.coalescing "
#define JOB_FROM \
	"FROM jobs JOIN repos ON repos.id = jobs.repo_id " \
	"LEFT JOIN (SELECT id AS pipeline, state AS pipeline_state, " \
	"pr_title, pr_url, triggered_by, params, superseded_by, bisection, " \
	"coalescing FROM pipelines) pl ON pl.pipeline = jobs.pipeline_id "

/*
 * Queued jobs whose needs have all passed.  A sharded job is never run:
 * its shards are, and its state follows theirs.
 */
#define RUNNABLE \
	"state = 'queued' AND shards = 0 AND COALESCE(jobs.hold_until, 0) " \
	"<= ?2 AND NOT EXISTS (SELECT 1 FROM job_needs n WHERE " \
	"n.job_id = jobs.id AND " NEED_OPEN ") "

/* The columns a new job copies from another of its pipeline. */
#define JOB_LIKE \
	"INSERT INTO jobs (repo_id, commit_id, branch, state, queue_pos, " \
	"created_ms, subject, author, retry_of, pipeline_id, name, spec, " \
	"labels, allow_failure, plan_index, priority, lane_id) SELECT " \
	"repo_id, commit_id, branch, "

/* The columns sql_test_run_fill reads, in its order. */
#define TEST_RUN_COLUMNS \
	"SELECT r.job_id, r.attempt, r.idx, t.name, r.suite, r.file, " \
	"r.status, r.duration_us, r.message, r.flaky, " \
	"CAST(t.quarantined_ms IS NOT NULL AS INTEGER), j.commit_id, " \
	"j.branch, j.state, " \
	"j.finished_ms, r.job_name FROM test_runs r " \
	"JOIN jobs j ON j.id = r.job_id JOIN tests t ON t.id = r.test_id "

/* The columns sql_bisection_fill reads, in its order. */
#define BISECT_COLUMNS \
	"SELECT b.id, repos.url, b.branch, b.good, b.bad, b.state, " \
	"b.culprit, b.culprit_commit, b.culprit_subject, b.culprit_author, " \
	"b.runs, b.note, b.created_ms, b.finished_ms FROM bisections b " \
	"JOIN repos ON repos.id = b.repo_id "

/*
 * The fair queue's ranking (store_sqlite_sql.c, store_pg_sql.c), once the
 * lanes' first jobs are found (c: id, pr, repo, bturn, rturn, pos, brank):
 * round robin between repositories at each priority, and a page of it.
 */
#define FAIR_QUEUE_PAGE \
	"f AS (SELECT id, pr, rturn, pos, ROW_NUMBER() OVER (PARTITION BY " \
	"pr, repo ORDER BY brank, bturn, pos, id) AS rrank FROM c), " \
	"page AS (SELECT * FROM f ORDER BY pr DESC, rrank, rturn, pos, id " \
	"LIMIT ?1) " JOB_COLUMNS "JOIN page ON page.id = jobs.id " \
	"ORDER BY page.pr DESC, page.rrank, page.rturn, page.pos, page.id"

/*
 * A new pipeline's first job (store_sql_jobs.c): its columns, and their
 * values with lane the lane's id, which ST_LANE_ADD made sure of.
 */
#define JOB_ADD_COLUMNS \
	"repo_id, commit_id, branch, state, queue_pos, created_ms, subject, " \
	"author, retry_of, name, spec, labels, allow_failure, plan_index, " \
	"priority, lane_id, hold_until"
#define JOB_ADD_VALUES(lane) \
	"?1, ?2, ?3, 'queued', (SELECT COALESCE(MAX(queue_pos), 0) + 1 " \
	"FROM jobs), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, " lane ", ?14"
#define JOB_LANE \
	"(SELECT id FROM lanes WHERE repo_id = ?1 AND " \
	"branch = COALESCE(?3, '') AND priority = ?13)"
/* Repository ?1's lane of a branch and a priority, unless it has one. */
#define LANE_ADD(branch, priority) \
	"INSERT INTO lanes (repo_id, branch, priority) VALUES (?1, " \
	"COALESCE(" branch ", ''), " priority ") ON CONFLICT " \
	"(repo_id, branch, priority) DO NOTHING"

/* A pipeline p a push queued (hook, observer, webhook, the API). */
#define PUSH_PIPELINE \
	"(p.triggered_by IS NULL OR p.triggered_by IN ('hook', 'observer', " \
	"'webhook', 'api')) "

/*
 * A requeued job goes in front of every queued job; the job's own position
 * counts too so that it never moves behind where it was.
 */
#define FRONT_POS \
	"CASE WHEN (SELECT MIN(q.queue_pos) FROM jobs q WHERE " \
	"q.state = 'queued') < queue_pos THEN (SELECT MIN(q.queue_pos) " \
	"FROM jobs q WHERE q.state = 'queued') ELSE queue_pos END - 1"

/* Whether job ?1's commit has test results of another run. */
#define OTHER_RUNS \
	"EXISTS (SELECT 1 FROM jobs t JOIN jobs j ON j.commit_id = " \
	"t.commit_id JOIN test_runs r ON r.job_id = j.id WHERE t.id = ?1 " \
	"AND (j.id <> t.id OR r.attempt <> t.attempt)) "

/*
 * A start's other changes: each only if the start (?2 its time) changed
 * job ?1, so that it commits before its changes are asked.
 */
#define STARTED_AT "state = 'running' AND started_ms = ?2"
#define SERVED_MARK \
	"UPDATE lanes SET turn = (SELECT COALESCE(MAX(turn), 0) + 1 FROM " \
	"lanes) WHERE id = (SELECT lane_id FROM jobs WHERE id = ?1 AND " \
	STARTED_AT ")"
/* A job running: its pipeline is, whatever its other jobs are. */
#define PIPELINE_RUN \
	"UPDATE pipelines SET state = 'running', finished_ms = NULL " \
	"WHERE id = (SELECT pipeline_id FROM jobs WHERE id = ?1 AND " \
	STARTED_AT ")"
/*
 * And so is a shard's sharded job: a start changes nothing else of it
 * that ST_SHARDED_SET sets (no shard ended).
 */
#define SHARD_PARENT_RUN \
	"UPDATE jobs SET state = 'running', " \
	"started_ms = (SELECT MIN(started_ms) FROM jobs s WHERE " \
	"s.shard_of = jobs.id), attempt = (SELECT COALESCE(MAX(attempt), " \
	"0) FROM jobs s WHERE s.shard_of = jobs.id) " \
	"WHERE id = (SELECT shard_of FROM jobs WHERE id = ?1 AND " \
	STARTED_AT ") AND state IN ('queued', 'running')"

#define TEST_FAILED "r.status IN ('failed', 'error')"

/* The columns sqlstore_artifact_fill reads, in its order. */
#define ARTIFACT_COLUMNS \
	"SELECT a.job_id, a.path, a.size, a.sha256, a.mode, a.created_at, " \
	"a.expires_at FROM artifacts a "

#endif

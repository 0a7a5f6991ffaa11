/* SPDX-License-Identifier: MIT */
/*
 * store_sql_prune.c - retention in the SQL store: a step of a pass
 * over the pipelines, removing those past both limits (their jobs with
 * their tests, needs and artifacts' rows) in one transaction that also
 * gives free pages back (the database is in incremental auto-vacuum,
 * store_sqlite_db.c), so that the file shrinks as it goes.
 */
#include <stdlib.h>
#include <string.h>


#include "store_sql.h"
#include "util.h"

/* A pipeline old enough and ended, which may go if its branch allows. */
struct prune_pick {
	int64_t pipeline;
	int64_t repo;
	char *branch;		/* NULL: a job without a branch */
	int64_t last_job;	/* its newest job */
};

/* A running bisection's pushes, from its passed one to its failed one. */
struct prune_kept {
	int64_t repo;
	char *branch;
	int64_t from, to;
};

struct prune_scan {
	struct prune_pick *picks;
	size_t n;
	int64_t last;		/* the last pipeline looked at */
	int seen;
	struct prune_kept *kept;	/* usually none */
	size_t nkept;
};

static void
prune_scan_release(struct prune_scan *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->picks[i].branch);
	free(sc->picks);
	for (size_t i = 0; i < sc->nkept; i++)
		free(sc->kept[i].branch);
	free(sc->kept);
}

/* The running bisections' ranges, read once a step: 0 or -1. */
static int
prune_kept_read(struct sql_store *store, struct prune_scan *sc)
{
	struct sql_row *row = sql_row(store, ST_PRUNE_BISECTING);
	int rc;

	while ((rc = sql_step(store, ST_PRUNE_BISECTING)) == SQL_ROW) {
		sc->kept = xrealloc(sc->kept, (sc->nkept + 1) *
		    sizeof *sc->kept);
		sc->kept[sc->nkept++] = (struct prune_kept){
			.repo = sql_col_int64(row, 0),
			.branch = sql_col_strdup(row, 1),
			.from = sql_col_int64(row, 2),
			.to = sql_col_int64(row, 3),
		};
	}
	sql_reset(store, ST_PRUNE_BISECTING);
	return rc == SQL_DONE ? 0 : -1;
}

/* Whether pipeline (of repo, branch) is in a running bisection's range. */
static int
prune_kept(const struct prune_scan *sc, int64_t pipeline, int64_t repo,
    const char *branch)
{
	for (size_t i = 0; i < sc->nkept; i++) {
		const struct prune_kept *k = &sc->kept[i];

		if (k->repo == repo && pipeline >= k->from &&
		    pipeline <= k->to && branch != NULL && k->branch != NULL &&
		    strcmp(branch, k->branch) == 0)
			return 1;
	}
	return 0;
}

/* The pipelines after cursor, the ended and old ones picked: 0 or -1. */
static int
prune_scan(struct sql_store *store, const struct store_retention *r,
    int64_t cursor, int scan, struct prune_scan *sc)
{
	struct sql_row *row = sql_row(store, ST_PRUNE_SCAN);
	enum job_state state;
	int rc;

	if (prune_kept_read(store, sc) == -1)
		return -1;
	sql_bind_int64(store, ST_PRUNE_SCAN, 1, cursor);
	sql_bind_int64(store, ST_PRUNE_SCAN, 2, scan);
	while ((rc = sql_step(store, ST_PRUNE_SCAN)) == SQL_ROW) {
		int64_t finished = sql_col_int64_or(row, 2, -1);

		sc->last = sql_col_int64(row, 0);
		sc->seen++;
		if (sql_col_state(row, 1, &state) == -1 ||
		    !job_state_final(state) || finished < 0 ||
		    finished >= r->before_ms ||
		    prune_kept(sc, sc->last, sql_col_int64(row, 3),
		    sql_col_text(row, 4)))
			continue;
		sc->picks = xrealloc(sc->picks, (sc->n + 1) *
		    sizeof *sc->picks);
		sc->picks[sc->n++] = (struct prune_pick){
			.pipeline = sc->last,
			.repo = sql_col_int64(row, 3),
			.branch = sql_col_strdup(row, 4),
			.last_job = sql_col_int64_or(row, 5, sc->last),
		};
	}
	sql_reset(store, ST_PRUNE_SCAN);
	return rc == SQL_DONE ? 0 : -1;
}

static int
prune_same_branch(const struct prune_pick *a, const struct prune_pick *b)
{
	if (a->repo != b->repo || (a->branch == NULL) != (b->branch == NULL))
		return 0;
	return a->branch == NULL || strcmp(a->branch, b->branch) == 0;
}

/*
 * Keep in sc only the picks their branch lets go: those whose newest job
 * is older than the branch's keep_jobs-th newest.  Picks come in id order,
 * so one branch's often follow each other: its answer is reused.
 */
static int
prune_filter(struct sql_store *store, const struct store_retention *r,
    struct prune_scan *sc)
{
	int64_t *nth = xcalloc(sc->n + 1, sizeof *nth);
	size_t kept = 0, i;
	int rc = 0;

	for (i = 0; i < sc->n && rc != -1; i++) {
		const struct prune_pick *p = &sc->picks[i];

		if (i > 0 && prune_same_branch(&sc->picks[i - 1], p)) {
			nth[i] = nth[i - 1];
			continue;
		}
		sql_bind_int64(store, ST_PRUNE_NTH, 1, p->repo);
		sql_bind_text(store, ST_PRUNE_NTH, 2, p->branch);
		sql_bind_int64(store, ST_PRUNE_NTH, 3, r->keep_jobs - 1);
		/* No row: the branch has fewer jobs than are kept. */
		if ((rc = sql_scalar(store, ST_PRUNE_NTH, &nth[i])) == 0)
			nth[i] = 0;
	}
	for (i = 0; i < sc->n; i++) {
		if (rc != -1 && sc->picks[i].last_job < nth[i])
			sc->picks[kept++] = sc->picks[i];
		else
			free(sc->picks[i].branch);
	}
	sc->n = kept;
	free(nth);
	return rc == -1 ? -1 : 0;
}

/* Run a statement that removes rows of pipeline: 0 or -1. */
static int
prune_run(struct sql_store *store, enum store_stmt id, int64_t pipeline)
{
	sql_bind_int64(store, id, 1, pipeline);
	return sql_run(store, id);
}

/* Remove one pipeline's rows, its job ids added to *jobs: 0 or -1. */
static int
prune_pipeline(struct sql_store *store, int64_t pipeline, int64_t **jobs,
    size_t *njobs)
{
	static const enum store_stmt order[] = { ST_PRUNE_TEST_RUNS,
	    ST_PRUNE_TEST_ATTEMPTS, ST_PRUNE_NEEDS, ST_PRUNE_ARTIFACTS,
	    ST_PRUNE_LOGS, ST_PRUNE_JOBS, ST_PRUNE_PIPELINE };
	int rc;

	sql_bind_int64(store, ST_PRUNE_JOB_IDS, 1, pipeline);
	while ((rc = sql_step(store, ST_PRUNE_JOB_IDS)) == SQL_ROW) {
		*jobs = xrealloc(*jobs, (*njobs + 1) * sizeof **jobs);
		(*jobs)[(*njobs)++] = sql_col_int64(
		    sql_row(store, ST_PRUNE_JOB_IDS), 0);
	}
	sql_reset(store, ST_PRUNE_JOB_IDS);
	if (rc != SQL_DONE)
		return -1;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (prune_run(store, order[i], pipeline) == -1)
			return -1;
	}
	return 0;
}

/*
 * Run a pragma to its end: incremental_vacuum frees a page a step.
 * 0 or -1.
 */
static int
prune_pragma(struct sql_store *store, enum store_stmt id)
{
	int rc;

	while ((rc = sql_step(store, id)) == SQL_ROW)
		;
	sql_reset(store, id);
	return rc == SQL_DONE ? 0 : -1;
}

int
sqlstore_prune(struct store *base, const struct store_retention *r,
    int64_t *cursor, int scan, int remove, store_removed_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct prune_scan sc = { 0 };
	int64_t *jobs = NULL;
	size_t njobs = 0, i;
	int rc = -1;

	if (prune_scan(store, r, *cursor, scan, &sc) == -1 ||
	    prune_filter(store, r, &sc) == -1)
		goto out;
	if (sc.n > (size_t)remove) {
		/* The rest is decided again by the next step. */
		for (i = (size_t)remove; i < sc.n; i++)
			free(sc.picks[i].branch);
		sc.n = (size_t)remove;
		sc.last = sc.picks[sc.n - 1].pipeline;
		sc.seen = scan;
	}
	if (sc.n > 0) {
		if (sql_run(store, ST_BEGIN) == -1)
			goto out;
		for (i = 0; i < sc.n; i++) {
			if (prune_pipeline(store, sc.picks[i].pipeline, &jobs,
			    &njobs) == -1)
				break;
		}
		if (i < sc.n || prune_pragma(store, ST_VACUUM_STEP) == -1) {
			sql_rollback(store);
			goto out;
		}
		if (sql_commit(store) == -1)
			goto out;
		for (i = 0; i < njobs; i++)
			cb(jobs[i], arg);
	}
	/*
	 * The file shrinks when SQLite's automatic checkpoint copies the
	 * log's pages back; an explicit one here would hold the loop.
	 */
	*cursor = sc.seen < scan ? 0 : sc.last;
	rc = (int)njobs;
out:
	free(jobs);
	prune_scan_release(&sc);
	return rc;
}

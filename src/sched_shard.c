/* SPDX-License-Identifier: MIT */
/*
 * sched_shard.c - sharding in the scheduler (sched.h): a plan's jobs
 * that say `shards` split into shards of about equal expected time, by
 * the durations the store measured on the branch (shard.c splits), each
 * shard a job of the plan after the job it makes up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "sched.h"
#include "shard.h"
#include "store.h"
#include "util.h"

/* Runs of a test whose median is its expected duration. */
#define SHARD_HISTORY_RUNS 5
/* The most $SSCI_TESTS holds; past it, only $SSCI_TESTS_FILE has them. */
#define SHARD_WORDS_MAX (60 * 1024)

/*
 * The tests a job's last pass recorded, by name, with their medians; and
 * by the last part of their name (after its last dot), where only one
 * test has that part.
 */
struct shard_known {
	struct shard_test *tests;	/* id: the recorded name, owned */
	size_t n;
	struct shard_test *tails;	/* id: into a test's name */
	size_t ntails;
};

static int
shard_known_add(const char *name, int64_t median_us, void *arg)
{
	struct shard_known *k = arg;

	k->tests = xrealloc(k->tests, (k->n + 1) * sizeof *k->tests);
	k->tests[k->n].id = xstrdup(name);
	k->tests[k->n++].duration_us = median_us;
	return 0;
}

static void
shard_known_free(struct shard_known *k)
{
	for (size_t i = 0; i < k->n; i++)
		free((char *)k->tests[i].id);
	free(k->tests);
	free(k->tails);
}

static int
shard_by_id(const void *a, const void *b)
{
	return strcmp(((const struct shard_test *)a)->id,
	    ((const struct shard_test *)b)->id);
}

/* Both sorted: the names, and the last parts no two tests share. */
static void
shard_known_sort(struct shard_known *k)
{
	const char *dot;
	size_t i, j, kept = 0;

	if (k->n > 1)
		qsort(k->tests, k->n, sizeof *k->tests, shard_by_id);
	k->tails = xcalloc(k->n + 1, sizeof *k->tails);
	for (i = 0; i < k->n; i++) {
		if ((dot = strrchr(k->tests[i].id, '.')) == NULL ||
		    dot[1] == '\0')
			continue;
		k->tails[k->ntails].id = dot + 1;
		k->tails[k->ntails++].duration_us = k->tests[i].duration_us;
	}
	if (k->ntails > 1)
		qsort(k->tails, k->ntails, sizeof *k->tails, shard_by_id);
	for (i = 0; i < k->ntails; i = j) {
		for (j = i + 1; j < k->ntails &&
		    strcmp(k->tails[j].id, k->tails[i].id) == 0; j++)
			;
		if (j == i + 1)
			k->tails[kept++] = k->tails[i];
	}
	k->ntails = kept;
}

/*
 * A listed id's measured duration, -1 if none: by its own name, by
 * pytest's name for it, or, for an id without a dot, by the one test
 * whose name ends in ".ID" (go test's TestX, which a JUnit converter
 * names pkg/path.TestX).
 */
static int64_t
shard_known_duration(const struct shard_known *k, const char *id)
{
	char name[PLAN_MAX_TEST_ID + 1];
	struct shard_test key = { id, 0 }, *hit;

	if (k->n == 0)
		return -1;
	hit = bsearch(&key, k->tests, k->n, sizeof *k->tests, shard_by_id);
	if (hit == NULL) {
		shard_id_name(id, name, sizeof name);
		key.id = name;
		hit = bsearch(&key, k->tests, k->n, sizeof *k->tests,
		    shard_by_id);
	}
	if (hit == NULL && k->ntails > 0 && strchr(id, '.') == NULL) {
		key.id = id;
		hit = bsearch(&key, k->tails, k->ntails, sizeof *k->tails,
		    shard_by_id);
	}
	return hit != NULL ? hit->duration_us : -1;
}

/* Slots free now for a job with labels; the planning runner's counts. */
static int
shard_idle_slots(const struct sched *s, const struct sched_runner *planner,
    const char *labels)
{
	const struct sched_runner *r;
	int n = 0;

	TAILQ_FOREACH(r, &s->runners, entry) {
		if (!sched_runner_takes(r, labels))
			continue;
		if (r->busy < r->slots)
			n += r->slots - r->busy;
		/* Its planning job's slot goes on with a shard. */
		n += r == planner;
	}
	return n;
}

/* A job to add after those of plan; its index. */
static struct plan_job *
shard_plan_add(struct plan *plan)
{
	plan->jobs = xrealloc(plan->jobs, (plan->njobs + 1) *
	    sizeof *plan->jobs);
	memset(&plan->jobs[plan->njobs], 0, sizeof plan->jobs[plan->njobs]);
	return &plan->jobs[plan->njobs++];
}

static char **
shard_strv_copy(char *const *v, size_t n, size_t extra)
{
	char **out = xcalloc(n + extra + 1, sizeof *out);

	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

/* Shard k (1-based) of job i, with the ids split gave it. */
static void
shard_plan_shard(struct plan *plan, size_t i, int k, int total,
    char **ids, size_t nids, int64_t expected_us)
{
	struct plan_job *sj = shard_plan_add(plan);
	const struct plan_job *pj = &plan->jobs[i];
	struct plan_spec *sp = &sj->spec;
	char *words;

	xasprintf(&sj->name, "%s[%d/%d]", pj->name, k, total);
	sp->run = shard_strv_copy(pj->spec.run, pj->spec.nrun, 0);
	sp->nrun = pj->spec.nrun;
	sp->env = shard_strv_copy(pj->spec.env, pj->spec.nenv, 3);
	sp->nenv = pj->spec.nenv;
	xasprintf(&sp->env[sp->nenv++], "SSCI_SHARD_INDEX=%d", k);
	xasprintf(&sp->env[sp->nenv++], "SSCI_SHARD_TOTAL=%d", total);
	if ((words = shard_tests_words(ids, nids, SHARD_WORDS_MAX)) != NULL) {
		xasprintf(&sp->env[sp->nenv++], "SSCI_TESTS=%s", words);
		free(words);
	}
	sp->timeout_s = pj->spec.timeout_s;
	sp->retry = pj->spec.retry;
	sp->reports = shard_strv_copy(pj->spec.reports, pj->spec.nreports, 0);
	sp->nreports = pj->spec.nreports;
	sp->tests = ids;
	sp->ntests = nids;
	sj->labels = shard_strv_copy(pj->labels, pj->nlabels, 0);
	sj->nlabels = pj->nlabels;
	sj->needs = xcalloc(pj->nneeds + 1, sizeof *sj->needs);
	if (pj->nneeds > 0)
		memcpy(sj->needs, pj->needs, pj->nneeds * sizeof *sj->needs);
	sj->nneeds = pj->nneeds;
	sj->allow_failure = pj->allow_failure;
	sj->shard_of = i + 1;
	sj->shard_index = k;
	sj->shard_total = total;
	sj->expected_ms = (expected_us + 999) / 1000;
}

/* The ids to split for job i: its list's, else its last pass's names. */
static void
shard_ids(const struct plan_job *pj, const struct shard_known *known,
    struct shard_test **tests, size_t *n)
{
	size_t count = pj->has_listed ? pj->nlisted : known->n;

	*tests = xcalloc(count + 1, sizeof **tests);
	*n = count;
	for (size_t t = 0; t < count; t++) {
		if (pj->has_listed) {
			(*tests)[t].id = pj->listed[t];
			(*tests)[t].duration_us = shard_known_duration(known,
			    pj->listed[t]);
		} else
			(*tests)[t] = known->tests[t];
	}
}

/*
 * Split job i into its shards, or leave it whole when there is nothing to
 * split: 0 (note says what was done), or -1 with err.
 */
static int
shard_job(struct sched *s, const struct sched_runner *planner,
    const struct job *job, struct plan *plan, size_t i, char *note,
    size_t notesize, char *err, size_t errsize)
{
	struct plan_job *pj = &plan->jobs[i];
	struct shard_known known = { NULL, 0, NULL, 0 };
	struct shard_test *tests;
	int64_t totals[PLAN_MAX_SHARDS], measured = 0, read_us, start_us;
	size_t counts[PLAN_MAX_SHARDS] = { 0 };
	char why[120] = "";
	int *shard, nshards;
	char *labels;
	size_t n;

	labels = plan_labels_join(pj->labels, pj->nlabels);
	nshards = pj->shards != PLAN_SHARDS_AUTO ? pj->shards :
	    shard_idle_slots(s, planner, labels[0] != '\0' ? labels : NULL);
	free(labels);
	if (pj->shards == PLAN_SHARDS_AUTO && nshards > pj->max_shards)
		nshards = pj->max_shards;
	/* The store's one read for a split, on the loop: only when it can
	 * split, and timed in the note. */
	read_us = start_us = mono_us();
	if (nshards >= 2 && (!pj->has_listed || pj->nlisted >= 2))
		store_test_durations(s->store, job->repo, job->branch,
		    pj->name, SHARD_HISTORY_RUNS, shard_known_add, &known);
	read_us = mono_us() - read_us;
	shard_known_sort(&known);
	shard_ids(pj, &known, &tests, &n);
	if (nshards < 2)
		snprintf(why, sizeof why, "%d shard%s (%s)", nshards,
		    nshards == 1 ? "" : "s", pj->shards == PLAN_SHARDS_AUTO ?
		    "idle runner slots with its labels" : "its 'shards'");
	else if (n < 2)
		snprintf(why, sizeof why, "%s", n == 1 ? "one test" :
		    pj->has_listed ? "its list printed no test" : "no list, "
		    "and no passing run with tests on this branch to take "
		    "them from");
	if ((size_t)nshards > n)
		nshards = (int)n;
	if (nshards < 2) {
		snprintf(note, notesize, "ssci: job '%s' runs whole: %s\n",
		    pj->name, why);
		free(tests);
		shard_known_free(&known);
		return 0;
	}
	shard = xcalloc(n, sizeof *shard);
	shard_split(tests, n, nshards, shard, totals);
	for (size_t t = 0; t < n; t++) {
		measured += tests[t].duration_us >= 0;
		counts[shard[t]]++;
	}
	for (int k = 0; k < nshards; k++) {
		char **ids = xcalloc(counts[k] + 1, sizeof *ids);
		size_t nids = 0, bytes = 0;

		for (size_t t = 0; t < n; t++) {
			if (shard[t] != k)
				continue;
			ids[nids++] = xstrdup(tests[t].id);
			bytes += strlen(tests[t].id) + 1;
		}
		if (bytes > PLAN_MAX_SHARD_TESTS_BYTES) {
			snprintf(err, errsize, "job '%s': shard %d of %d "
			    "would hold %zu KiB of test ids, more than %d; "
			    "split it in more shards", pj->name, k + 1,
			    nshards, bytes / 1024,
			    PLAN_MAX_SHARD_TESTS_BYTES / 1024);
			strv_free(ids, nids);
			break;
		}
		shard_plan_shard(plan, i, k + 1, nshards, ids, nids, totals[k]);
		pj = &plan->jobs[i];	/* the plan's jobs moved */
	}
	free(shard);
	free(tests);
	shard_known_free(&known);
	if (err[0] != '\0')
		return -1;
	pj->shard_total = nshards;
	snprintf(note, notesize, "ssci: job '%s' split into %d shards: %zu "
	    "tests, %lld with measured times (read in %lld ms, split in %lld "
	    "ms)\n", pj->name, nshards, n, (long long)measured,
	    (long long)(read_us / 1000),
	    (long long)((mono_us() - start_us) / 1000));
	return 0;
}

int
sched_shard_plan(struct sched *s, const struct sched_runner *planner,
    const struct job *job, struct plan *plan, char *notes, size_t size,
    char *err, size_t errsize)
{
	size_t njobs = plan->njobs, used = 0;
	char note[400];

	err[0] = '\0';
	if (size > 0)
		notes[0] = '\0';
	for (size_t i = 0; i < njobs; i++) {
		if (plan->jobs[i].shards == 0)
			continue;
		if (shard_job(s, planner, job, plan, i, note, sizeof note, err,
		    errsize) == -1)
			return -1;
		if (plan->njobs > PLAN_MAX_SPLIT_JOBS) {
			snprintf(err, errsize, "more than %d jobs once split in "
			    "shards", PLAN_MAX_SPLIT_JOBS);
			return -1;
		}
		if (used + strlen(note) < size) {
			memcpy(notes + used, note, strlen(note) + 1);
			used += strlen(note);
		}
	}
	return 0;
}

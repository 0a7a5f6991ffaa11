/* SPDX-License-Identifier: MIT */
/*
 * plan_expand.c - the checked jobs of a .ssci.yml made into the plan:
 * needs resolved to jobs, cycles refused, each matrix expanded into one
 * job per combination of its values.
 *
 * Needs and cycles are settled on the jobs as written: every job a matrix
 * makes needs what its job needs, so a cycle among the expanded jobs is
 * one among the written ones, and is named in the file's words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_int.h"
#include "util.h"

/* Room for the names of a cycle in its message. */
#define CYCLE_TEXT 600

enum { WHITE, GREY, BLACK };

struct cycle_walk {
	const struct ptree *t;
	const struct pjob *jobs;
	struct plan_err *e;
	int colour[PLAN_MAX_JOBS];
	size_t path[PLAN_MAX_JOBS];	/* the jobs being walked, in order */
	size_t npath;
};

static const char *
job_name(const struct ptree *t, const struct pjob *j)
{
	return t->nodes[j->key].text;
}

/* Each job's needs as jobs, each once, or the first name that is none. */
static int
resolve_needs(const struct ptree *t, struct pjob *jobs, size_t njobs,
    struct plan_err *e)
{
	const struct pnode *nd;
	char q[PLAN_QUOTE_SIZE];
	size_t to;

	for (size_t i = 0; i < njobs; i++) {
		unsigned char seen[PLAN_MAX_JOBS] = { 0 };
		struct pjob *j = &jobs[i];

		j->needs = xcalloc(j->nneeds_at + 1, sizeof *j->needs);
		for (size_t n = 0; n < j->nneeds_at; n++) {
			nd = &t->nodes[j->needs_at[n]];
			for (to = 0; to < njobs; to++)
				if (strcmp(job_name(t, &jobs[to]),
				    nd->text) == 0)
					break;
			if (to == njobs) {
				plan_quote(nd->text, q);
				return plan_fail_at(e, nd, "job '%s' needs "
				    "'%s', which is not a job",
				    job_name(t, j), q);
			}
			if (seen[to]++)
				continue;
			j->needs[j->nneeds].job = to;
			j->needs[j->nneeds].line = nd->line;
			j->needs[j->nneeds].col = nd->col;
			j->nneeds++;
		}
	}
	return 0;
}

/* A cycle closed by job u's need n: its jobs from the one n names. */
static int
cycle_fail(struct cycle_walk *w, const struct pneed *n)
{
	char text[CYCLE_TEXT];
	const char *name;
	size_t from = 0, len = 0, add;

	while (w->path[from] != n->job)
		from++;
	text[0] = '\0';
	for (size_t i = from; i <= w->npath; i++) {
		name = job_name(w->t, &w->jobs[i < w->npath ? w->path[i] :
		    n->job]);
		/* Job names are short words, but a cycle may be long. */
		add = strlen(name) + 6;
		if (len + add + 8 > sizeof text) {
			strcat(text, " -> ...");
			break;
		}
		len += (size_t)snprintf(text + len, sizeof text - len, "%s'%s'",
		    i > from ? " -> " : "", name);
	}
	return plan_fail(w->e, n->line, n->col, "jobs %s form a cycle", text);
}

/* Depth first from job u: reaching a job still being walked is a cycle. */
static int
cycle_walk(struct cycle_walk *w, size_t u)
{
	const struct pjob *j = &w->jobs[u];

	w->colour[u] = GREY;
	w->path[w->npath++] = u;
	for (size_t n = 0; n < j->nneeds; n++) {
		size_t v = j->needs[n].job;

		if (w->colour[v] == GREY)
			return cycle_fail(w, &j->needs[n]);
		if (w->colour[v] == WHITE && cycle_walk(w, v) == -1)
			return -1;
	}
	w->npath--;
	w->colour[u] = BLACK;
	return 0;
}

static int
find_cycle(const struct ptree *t, const struct pjob *jobs, size_t njobs,
    struct plan_err *e)
{
	struct cycle_walk w;

	memset(&w, 0, sizeof w);
	w.t = t;
	w.jobs = jobs;
	w.e = e;
	for (size_t u = 0; u < njobs; u++)
		if (w.colour[u] == WHITE && cycle_walk(&w, u) == -1)
			return -1;
	return 0;
}

/* The k-th item of the list at node v. */
static const struct pnode *
item(const struct ptree *t, size_t v, size_t k)
{
	size_t i = v + 1;

	while (k-- > 0)
		i = t->nodes[i].end;
	return &t->nodes[i];
}

/* A text or a list of texts as an array of copies. */
static char **
copy_texts(const struct ptree *t, size_t v, size_t *n, size_t *cost)
{
	const struct pnode *nd = &t->nodes[v];
	char **out;

	*n = nd->kind == PNODE_SEQ ? nd->nkids : 1;
	out = xcalloc(*n, sizeof *out);
	for (size_t k = 0; k < *n; k++) {
		const struct pnode *it = nd->kind == PNODE_SEQ ?
		    item(t, v, k) : nd;

		out[k] = xstrdup(it->text);
		*cost += it->len + 16 + sizeof *out;
	}
	return out;
}

/* What the job keeps and may know (plan_keep.c checked it). */
static void
keep_copy(const struct ptree *t, const struct pjob *j, struct plan_keep *k,
    size_t *cost)
{
	if (j->artifacts != 0)
		k->artifacts = copy_texts(t, j->artifacts, &k->nartifacts,
		    cost);
	k->expire_s = j->expire_s;
	if (j->cache_paths != 0)
		k->cache_paths = copy_texts(t, j->cache_paths,
		    &k->ncache_paths, cost);
	if (j->cache_key != 0)
		k->cache_key = copy_texts(t, j->cache_key, &k->ncache_key,
		    cost);
	if (j->secrets != 0)
		k->secrets = copy_texts(t, j->secrets, &k->nsecrets, cost);
}

/* "KEY=VALUE" of a key and a value node. */
static char *
env_entry(const struct pnode *key, const struct pnode *val, size_t *cost)
{
	char *s;

	xasprintf(&s, "%s=%s", key->text, val->text);
	*cost += key->len + val->len + 18 + sizeof s;
	return s;
}

/*
 * The combo-th job of raw job j into out (combo 0 without a matrix).  The
 * first key varies slowest: combo is a number whose last digit is the
 * last key's value.
 */
static void
expand_one(const struct ptree *t, const struct pjob *j, size_t combo,
    const size_t *first, const struct pjob *jobs, struct plan_job *out,
    size_t *cost)
{
	const struct pnode *keys[PLAN_MAX_KEYS], *vals[PLAN_MAX_KEYS];
	const struct pnode *mx = &t->nodes[j->matrix], *env;
	size_t nkeys = 0, k, len, n;
	char *name;

	for (k = j->matrix + 1; j->matrix != 0 && k < mx->end;
	    k = t->nodes[k + 1].end)
		keys[nkeys++] = &t->nodes[k];
	for (size_t i = nkeys; i-- > 0;) {
		n = keys[i][1].nkids;
		vals[i] = item(t, (size_t)(keys[i] - t->nodes) + 1, combo % n);
		combo /= n;
	}

	/* base[K1=v1,K2=v2] */
	len = strlen(job_name(t, j)) + 3;
	for (size_t i = 0; i < nkeys; i++)
		len += keys[i]->len + vals[i]->len + 2;
	name = xmalloc(len);
	n = (size_t)snprintf(name, len, "%s", job_name(t, j));
	for (size_t i = 0; i < nkeys; i++)
		n += (size_t)snprintf(name + n, len - n, "%s%s=%s",
		    i == 0 ? "[" : ",", keys[i]->text, vals[i]->text);
	if (nkeys > 0)
		snprintf(name + n, len - n, "]");
	out->name = name;
	*cost += len + 16 + sizeof *out;

	out->spec.run = copy_texts(t, j->run, &out->spec.nrun, cost);
	out->spec.timeout_s = j->timeout_s;
	out->spec.retry = j->retry;
	if (j->reports != 0)
		out->spec.reports = copy_texts(t, j->reports,
		    &out->spec.nreports, cost);
	if (j->labels != 0)
		out->labels = copy_texts(t, j->labels, &out->nlabels, cost);
	keep_copy(t, j, &out->spec.keep, cost);
	out->allow_failure = j->allow_failure;
	out->shards = j->shards;
	out->max_shards = j->shards == PLAN_SHARDS_AUTO ? (j->max_shards != 0 ?
	    j->max_shards : PLAN_DEFAULT_MAX_SHARDS) : 0;
	if (j->list != 0) {
		out->list = xstrdup(t->nodes[j->list].text);
		*cost += t->nodes[j->list].len + 1;
	}

	/* The matrix's values, then env's but for what the matrix sets. */
	env = &t->nodes[j->env];
	out->spec.env = xcalloc(nkeys + (j->env != 0 ? env->nkids / 2 : 0) + 1,
	    sizeof *out->spec.env);
	for (size_t i = 0; i < nkeys; i++)
		out->spec.env[out->spec.nenv++] = env_entry(keys[i], vals[i],
		    cost);
	for (k = j->env + 1; j->env != 0 && k < env->end;
	    k = t->nodes[k + 1].end) {
		size_t i;

		for (i = 0; i < nkeys; i++)
			if (strcmp(keys[i]->text, t->nodes[k].text) == 0)
				break;
		if (i == nkeys)
			out->spec.env[out->spec.nenv++] = env_entry(
			    &t->nodes[k], &t->nodes[k + 1], cost);
	}

	/* A job a matrix made is needed as all the jobs it made. */
	n = 0;
	for (size_t i = 0; i < j->nneeds; i++)
		n += jobs[j->needs[i].job].combos;
	out->needs = xcalloc(n + 1, sizeof *out->needs);
	for (size_t i = 0; i < j->nneeds; i++) {
		size_t to = j->needs[i].job;

		for (size_t c = 0; c < jobs[to].combos; c++)
			out->needs[out->nneeds++] = first[to] + c;
	}
	*cost += n * sizeof *out->needs;
}

int
plan_expand(const struct ptree *t, struct pjob *jobs, size_t njobs,
    struct plan *plan, struct plan_err *e)
{
	size_t first[PLAN_MAX_JOBS], total = 0, cost = 0;

	if (resolve_needs(t, jobs, njobs, e) == -1 ||
	    find_cycle(t, jobs, njobs, e) == -1)
		return -1;
	for (size_t i = 0; i < njobs; i++) {
		first[i] = total;
		total += jobs[i].combos;
	}
	plan->jobs = xcalloc(total, sizeof *plan->jobs);
	for (size_t i = 0; i < njobs; i++) {
		for (size_t c = 0; c < jobs[i].combos; c++) {
			expand_one(t, &jobs[i], c, first, jobs,
			    &plan->jobs[plan->njobs++], &cost);
			/* 256 copies of a 64 KiB file would be too much. */
			if (cost > PLAN_MAX_EXPANDED)
				return plan_fail_at(e, &t->nodes[jobs[i].key],
				    "the jobs take more than %d MiB after "
				    "matrix expansion",
				    PLAN_MAX_EXPANDED / (1024 * 1024));
		}
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * plan.c - a .ssci.yml checked against the schema of docs/PIPELINES.md.
 *
 * plan_yaml.c makes the text a tree; here every job's fields are checked
 * in file order, so the first mistake in the file is the one reported,
 * with its line, column and the job and key it is in.  What passes is
 * handed to plan_expand.c as node indexes, to be copied into the plan
 * only once all of it is known to be good.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan_int.h"
#include "util.h"

/* Room for a quoted text of the file and its quotes. */
#define FOUND_SIZE (PLAN_QUOTE_SIZE + 2)

enum {
	KEY_RUN,
	KEY_NEEDS,
	KEY_LABELS,
	KEY_MATRIX,
	KEY_ENV,
	KEY_TIMEOUT,
	KEY_ALLOW_FAILURE,
	KEY_RETRY,
	KEY_REPORTS,
	KEY_SHARDS,
	KEY_MAX_SHARDS,
	KEY_LIST,
	KEY_ARTIFACTS,
	KEY_CACHE,
	KEY_SECRETS,
	KEY_MAX
};

static const char *const job_keys[KEY_MAX] = {
	"run", "needs", "labels", "matrix", "env", "timeout", "allow_failure",
	"retry", "reports", "shards", "max_shards", "list", "artifacts",
	"cache", "secrets",
};

#define JOB_KEYS_LIST "run, needs, labels, matrix, env, timeout, " \
	"allow_failure, retry, reports, shards, max_shards, list, " \
	"artifacts, cache, secrets"

#define WORD_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789_"
#define WORD_RULE "1 to 64 of A-Z a-z 0-9 _ . -"
#define VAR_RULE "a letter or _, then letters, digits or _, up to 64"
#define VALUE_RULE "1 to 64 of A-Z a-z 0-9 . _ + : / @ -"

struct checker {
	const struct ptree *t;
	struct plan_err *e;
	struct pjob *jobs;	/* PLAN_MAX_JOBS of them */
	size_t njobs;
	size_t total;		/* jobs after expansion, so far */
	const char *name;	/* of the job being checked */
};

/* What was found instead: "nothing", "a list", "a mapping" or 'text'. */
static const char *
found(const struct pnode *nd, char out[FOUND_SIZE])
{
	char q[PLAN_QUOTE_SIZE];

	if (plan_is_null(nd))
		return "nothing";
	if (nd->kind == PNODE_SEQ)
		return "a list";
	if (nd->kind == PNODE_MAP)
		return "a mapping";
	plan_quote(nd->text, q);
	snprintf(out, FOUND_SIZE, "'%s'", q);
	return out;
}

/* "'field' in job 'name' must be what, not 'found'". */
static int
expected(struct checker *c, const struct pnode *nd, const char *field,
    const char *what)
{
	char f[FOUND_SIZE];

	return plan_fail_at(c->e, nd, "'%s' in job '%s' must be %s, not %s",
	    field, c->name, what, found(nd, f));
}

static int
is_text(const struct pnode *nd)
{
	return nd->kind == PNODE_SCALAR && !plan_is_null(nd);
}

/* Job names and labels: no '-' first, which a command line would take
 * for an option; no '.' first in a name, which hides a file. */
static int
word_valid(const struct pnode *nd, int dot_first)
{
	const char *s = nd->text;

	if (nd->kind != PNODE_SCALAR || nd->len == 0 ||
	    nd->len > PLAN_MAX_NAME || s[0] == '-' ||
	    (!dot_first && s[0] == '.'))
		return 0;
	return strspn(s, WORD_CHARS ".-") == nd->len;
}

/* An environment variable's name, as a shell can use it. */
static int
var_valid(const struct pnode *nd)
{
	const char *s = nd->text;

	return nd->kind == PNODE_SCALAR && nd->len > 0 &&
	    nd->len <= PLAN_MAX_NAME && !(s[0] >= '0' && s[0] <= '9') &&
	    strspn(s, WORD_CHARS) == nd->len;
}

/* A matrix value: it is part of the job's name, so kept plain. */
static int
value_valid(const struct pnode *nd)
{
	return nd->kind == PNODE_SCALAR && nd->len > 0 &&
	    nd->len <= PLAN_MAX_VALUE &&
	    strspn(nd->text, WORD_CHARS ".+:/@-") == nd->len;
}

static int
check_run(struct checker *c, struct pjob *j, size_t v)
{
	const struct pnode *nd = &c->t->nodes[v], *it;
	const char *what = "a command or a list of commands";

	if (nd->kind == PNODE_MAP || plan_is_null(nd))
		return expected(c, nd, "run", what);
	if (nd->kind == PNODE_SCALAR && nd->len == 0)
		return plan_fail_at(c->e, nd, "'run' in job '%s' is an empty "
		    "command", c->name);
	if (nd->kind == PNODE_SEQ && nd->nkids == 0)
		return plan_fail_at(c->e, nd, "'run' in job '%s' is an empty "
		    "list", c->name);
	if (nd->kind == PNODE_SEQ && nd->nkids > PLAN_MAX_RUN)
		return plan_fail_at(c->e, nd, "'run' in job '%s' has more "
		    "than %d commands", c->name, PLAN_MAX_RUN);
	for (size_t k = v + 1; nd->kind == PNODE_SEQ && k < nd->end;
	    k = it->end) {
		it = &c->t->nodes[k];
		if (!is_text(it))
			return expected(c, it, "run", "a list of commands");
		if (it->len == 0)
			return plan_fail_at(c->e, it, "'run' in job '%s' has "
			    "an empty command", c->name);
	}
	j->run = v;
	return 0;
}

/* needs: a job's name, or a list of them. */
static int
check_needs(struct checker *c, struct pjob *j, size_t v)
{
	const struct pnode *nd = &c->t->nodes[v], *it;

	if (nd->kind == PNODE_SCALAR && is_text(nd)) {
		j->needs_at = xmalloc(sizeof *j->needs_at);
		j->needs_at[j->nneeds_at++] = v;
		return 0;
	}
	if (nd->kind != PNODE_SEQ)
		return expected(c, nd, "needs", "a job's name or a list of "
		    "them");
	j->needs_at = xcalloc(nd->nkids, sizeof *j->needs_at);
	for (size_t k = v + 1; k < nd->end; k = it->end) {
		it = &c->t->nodes[k];
		if (!is_text(it))
			return expected(c, it, "needs", "a list of job names");
		j->needs_at[j->nneeds_at++] = k;
	}
	return 0;
}

static int
check_label(struct checker *c, const struct pnode *nd)
{
	char q[PLAN_QUOTE_SIZE];

	if (nd->kind != PNODE_SCALAR || plan_is_null(nd))
		return expected(c, nd, "labels", "a list of words");
	if (word_valid(nd, 1))
		return 0;
	plan_quote(nd->text, q);
	return plan_fail_at(c->e, nd, "label '%s' in job '%s' is not a word: "
	    WORD_RULE ", not starting with '-'", q, c->name);
}

/* labels: a word, or a list of them. */
static int
check_labels(struct checker *c, struct pjob *j, size_t v)
{
	const struct pnode *nd = &c->t->nodes[v];

	if (nd->kind == PNODE_SEQ && nd->nkids > PLAN_MAX_LABELS)
		return plan_fail_at(c->e, nd, "'labels' in job '%s' has more "
		    "than %d labels", c->name, PLAN_MAX_LABELS);
	if (nd->kind != PNODE_SEQ) {
		if (nd->kind == PNODE_MAP)
			return expected(c, nd, "labels", "a list of words");
		if (check_label(c, nd) == -1)
			return -1;
	}
	for (size_t k = v + 1; nd->kind == PNODE_SEQ && k < nd->end;
	    k = c->t->nodes[k].end)
		if (check_label(c, &c->t->nodes[k]) == -1)
			return -1;
	j->labels = v;
	return 0;
}

/* One matrix key's list of values: words, each once. */
static int
check_matrix_values(struct checker *c, const struct pnode *key, size_t v)
{
	const struct pnode *nd = &c->t->nodes[v], *it, *other;
	char q[PLAN_QUOTE_SIZE], f[FOUND_SIZE];

	if (nd->kind != PNODE_SEQ)
		return plan_fail_at(c->e, nd, "'%s' in 'matrix' of job '%s' "
		    "must be a list of values, not %s", key->text, c->name,
		    found(nd, f));
	if (nd->nkids == 0)
		return plan_fail_at(c->e, nd, "empty matrix: '%s' in job '%s' "
		    "has no values", key->text, c->name);
	for (size_t k = v + 1; k < nd->end; k = it->end) {
		it = &c->t->nodes[k];
		if (it->kind != PNODE_SCALAR || plan_is_null(it))
			return plan_fail_at(c->e, it, "'%s' in 'matrix' of job "
			    "'%s' must list values, not %s", key->text,
			    c->name, found(it, f));
		plan_quote(it->text, q);
		if (!value_valid(it))
			return plan_fail_at(c->e, it, "matrix value '%s' of "
			    "'%s' in job '%s' is not " VALUE_RULE, q,
			    key->text, c->name);
		for (size_t o = v + 1; o < k; o = other->end) {
			other = &c->t->nodes[o];
			if (strcmp(other->text, it->text) == 0)
				return plan_fail_at(c->e, it, "matrix value "
				    "'%s' of '%s' in job '%s' is listed twice",
				    q, key->text, c->name);
		}
	}
	return 0;
}

/* Whether key k of mapping v was given before it (libyaml lets it be). */
static int
key_seen(const struct ptree *t, size_t v, size_t k)
{
	for (size_t o = v + 1; o < k; o = t->nodes[o + 1].end)
		if (strcmp(t->nodes[o].text, t->nodes[k].text) == 0)
			return 1;
	return 0;
}

/* matrix: variables' names to lists of values, one job per combination. */
static int
check_matrix(struct checker *c, struct pjob *j, size_t v)
{
	const struct ptree *t = c->t;
	const struct pnode *nd = &t->nodes[v], *key, *val;
	char q[PLAN_QUOTE_SIZE];
	size_t combos = 1;

	if (nd->kind != PNODE_MAP)
		return expected(c, nd, "matrix", "a mapping of variables to "
		    "lists of values");
	if (nd->nkids == 0)
		return plan_fail_at(c->e, nd, "empty matrix in job '%s'",
		    c->name);
	if (nd->nkids / 2 > PLAN_MAX_KEYS)
		return plan_fail_at(c->e, nd, "'matrix' in job '%s' has more "
		    "than %d keys", c->name, PLAN_MAX_KEYS);
	for (size_t k = v + 1; k < nd->end; k = t->nodes[k + 1].end) {
		key = &t->nodes[k];
		plan_quote(key->text, q);
		if (!var_valid(key))
			return plan_fail_at(c->e, key, "matrix key '%s' in job "
			    "'%s' is not a variable name: " VAR_RULE, q,
			    c->name);
		if (key_seen(t, v, k))
			return plan_fail_at(c->e, key, "duplicate key "
			    "'%s' in 'matrix' of job '%s'", q, c->name);
		/*
		 * The count first, so that no long list is looked through;
		 * combos stays within the limit, so it cannot overflow.
		 */
		val = &t->nodes[k + 1];
		if (val->kind == PNODE_SEQ &&
		    combos * val->nkids > PLAN_MAX_JOBS - c->total)
			return plan_fail_at(c->e, &t->nodes[j->key], "more "
			    "than %d jobs after matrix expansion",
			    PLAN_MAX_JOBS);
		if (check_matrix_values(c, key, k + 1) == -1)
			return -1;
		combos *= val->nkids;
	}
	j->matrix = v;
	j->combos = combos;
	return 0;
}

/* env: variables' names to texts. */
static int
check_env(struct checker *c, struct pjob *j, size_t v)
{
	const struct ptree *t = c->t;
	const struct pnode *nd = &t->nodes[v], *key, *val;
	char q[PLAN_QUOTE_SIZE], f[FOUND_SIZE];

	if (nd->kind != PNODE_MAP)
		return expected(c, nd, "env", "a mapping of variables to "
		    "values");
	if (nd->nkids / 2 > PLAN_MAX_ENV)
		return plan_fail_at(c->e, nd, "'env' in job '%s' has more "
		    "than %d variables", c->name, PLAN_MAX_ENV);
	for (size_t k = v + 1; k < nd->end; k = val->end) {
		key = &t->nodes[k];
		val = &t->nodes[k + 1];
		plan_quote(key->text, q);
		if (!var_valid(key))
			return plan_fail_at(c->e, key, "variable '%s' in 'env' "
			    "of job '%s' is not a variable name: " VAR_RULE, q,
			    c->name);
		if (key_seen(t, v, k))
			return plan_fail_at(c->e, key, "duplicate "
			    "variable '%s' in 'env' of job '%s'", q, c->name);
		/* A value is taken as written: "X:" is empty. */
		if (val->kind != PNODE_SCALAR)
			return plan_fail_at(c->e, val, "'%s' in 'env' of job "
			    "'%s' must be a text, not %s", q, c->name,
			    found(val, f));
		if (val->len > PLAN_MAX_ENV_VALUE)
			return plan_fail_at(c->e, val, "'%s' in 'env' of job "
			    "'%s' is longer than %d bytes", q, c->name,
			    PLAN_MAX_ENV_VALUE);
	}
	j->env = v;
	return 0;
}

static int
check_timeout(struct checker *c, struct pjob *j, size_t v)
{
	const struct pnode *nd = &c->t->nodes[v];
	long s;

	if (nd->kind != PNODE_SCALAR ||
	    parse_long(nd->text, 1, PLAN_MAX_TIMEOUT_S, &s) == -1)
		return expected(c, nd, "timeout", "a number of seconds from 1 "
		    "to 604800");
	j->timeout_s = (int)s;
	return 0;
}

static int
check_retry(struct checker *c, struct pjob *j, size_t v)
{
	const struct pnode *nd = &c->t->nodes[v];
	long n;

	if (nd->kind != PNODE_SCALAR ||
	    parse_long(nd->text, 0, PLAN_MAX_RETRY, &n) == -1)
		return expected(c, nd, "retry", "a number of re-runs from 0 "
		    "to 10");
	j->retry = (int)n;
	return 0;
}

/* One report path of job j at nd. */
static int
check_report(struct checker *c, const struct pnode *nd)
{
	char q[PLAN_QUOTE_SIZE];

	if (!is_text(nd))
		return expected(c, nd, "reports", "a list of paths");
	plan_quote(nd->text, q);
	if (!plan_report_valid(nd->text))
		return plan_fail_at(c->e, nd, "report path '%s' in job '%s' "
		    "must be relative, within the tree (no '..') and at most "
		    "%d bytes", q, c->name, PLAN_MAX_REPORT);
	return 0;
}

/* reports: a path pattern, or a list of them, inside the tree. */
static int
check_reports(struct checker *c, struct pjob *j, size_t v)
{
	const struct pnode *nd = &c->t->nodes[v];

	if (nd->kind == PNODE_MAP || plan_is_null(nd) ||
	    (nd->kind == PNODE_SEQ && nd->nkids == 0))
		return expected(c, nd, "reports", "a path or a list of paths");
	if (nd->kind == PNODE_SEQ && nd->nkids > PLAN_MAX_REPORTS)
		return plan_fail_at(c->e, nd, "'reports' in job '%s' has more "
		    "than %d paths", c->name, PLAN_MAX_REPORTS);
	if (nd->kind != PNODE_SEQ && check_report(c, nd) == -1)
		return -1;
	for (size_t k = v + 1; nd->kind == PNODE_SEQ && k < nd->end;
	    k = c->t->nodes[k].end)
		if (check_report(c, &c->t->nodes[k]) == -1)
			return -1;
	j->reports = v;
	return 0;
}

static int
check_allow_failure(struct checker *c, struct pjob *j, size_t v)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const struct pnode *nd = &c->t->nodes[v];

	for (size_t i = 0; nd->kind == PNODE_SCALAR && i < 3; i++) {
		if (strcasecmp(nd->text, yes[i]) == 0) {
			j->allow_failure = 1;
			return 0;
		}
		if (strcasecmp(nd->text, no[i]) == 0) {
			j->allow_failure = 0;
			return 0;
		}
	}
	return expected(c, nd, "allow_failure", "true or false");
}

static int
check_field(struct checker *c, struct pjob *j, int which, size_t v)
{
	switch (which) {
	case KEY_RUN:
		return check_run(c, j, v);
	case KEY_NEEDS:
		return check_needs(c, j, v);
	case KEY_LABELS:
		return check_labels(c, j, v);
	case KEY_MATRIX:
		return check_matrix(c, j, v);
	case KEY_ENV:
		return check_env(c, j, v);
	case KEY_TIMEOUT:
		return check_timeout(c, j, v);
	case KEY_RETRY:
		return check_retry(c, j, v);
	case KEY_REPORTS:
		return check_reports(c, j, v);
	case KEY_SHARDS:
		return plan_check_shards(c->t, c->e, c->name, v, j);
	case KEY_MAX_SHARDS:
		return plan_check_max_shards(c->t, c->e, c->name, v, j);
	case KEY_LIST:
		return plan_check_list(c->t, c->e, c->name, v, j);
	case KEY_ARTIFACTS:
		return plan_check_artifacts(c->t, c->e, c->name, v, j);
	case KEY_CACHE:
		return plan_check_cache(c->t, c->e, c->name, v, j);
	case KEY_SECRETS:
		return plan_check_secrets(c->t, c->e, c->name, v, j);
	default:
		return check_allow_failure(c, j, v);
	}
}

/* The name of the job at node k: a word, and the only one so called. */
static int
check_name(struct checker *c, size_t k)
{
	const struct pnode *nd = &c->t->nodes[k], *other;
	char q[PLAN_QUOTE_SIZE];

	plan_quote(nd->text, q);
	if (!word_valid(nd, 0))
		return plan_fail_at(c->e, nd, "job name '%s' is not "
		    WORD_RULE ", not starting with '-' or '.'", q);
	for (size_t i = 0; i < c->njobs; i++) {
		other = &c->t->nodes[c->jobs[i].key];
		if (strcmp(other->text, nd->text) == 0)
			return plan_fail_at(c->e, nd, "job '%s' is defined "
			    "twice (first on line %lu)", q, other->line);
	}
	return 0;
}

/* The job named at node k, its mapping at k + 1. */
static int
check_job(struct checker *c, size_t k)
{
	const struct ptree *t = c->t;
	const struct pnode *nd = &t->nodes[k + 1], *key;
	struct pjob j;
	char q[PLAN_QUOTE_SIZE], f[FOUND_SIZE];
	int seen[KEY_MAX] = { 0 }, which;

	if (check_name(c, k) == -1)
		return -1;
	c->name = t->nodes[k].text;
	if (c->total == PLAN_MAX_JOBS)
		return plan_fail_at(c->e, &t->nodes[k], "more than %d jobs "
		    "after matrix expansion", PLAN_MAX_JOBS);
	if (nd->kind != PNODE_MAP)
		return plan_fail_at(c->e, nd, "job '%s' must be a mapping with "
		    "at least 'run', not %s", c->name, found(nd, f));
	memset(&j, 0, sizeof j);
	j.key = k;
	j.combos = 1;
	for (size_t i = k + 2; i < nd->end; i = t->nodes[i + 1].end) {
		key = &t->nodes[i];
		for (which = 0; which < KEY_MAX; which++)
			if (strcmp(key->text, job_keys[which]) == 0)
				break;
		plan_quote(key->text, q);
		if (which == KEY_MAX) {
			plan_fail_at(c->e, key, "unknown key '%s' in job '%s' "
			    "(known: " JOB_KEYS_LIST ")", q, c->name);
			goto fail;
		}
		if (seen[which]++) {
			plan_fail_at(c->e, key, "duplicate key '%s' in job "
			    "'%s'", q, c->name);
			goto fail;
		}
		if (check_field(c, &j, which, i + 1) == -1)
			goto fail;
	}
	if (!seen[KEY_RUN]) {
		plan_fail_at(c->e, &t->nodes[k], "job '%s' has no 'run'",
		    c->name);
		goto fail;
	}
	if (plan_check_sharding(t, c->e, c->name, k, &j) == -1)
		goto fail;
	c->total += j.combos;
	c->jobs[c->njobs++] = j;
	return 0;
fail:
	free(j.needs_at);
	return -1;
}

/* The document: a mapping whose one key, jobs, maps names to jobs. */
static int
check_file(struct checker *c)
{
	const struct ptree *t = c->t;
	const struct pnode *root, *key, *jobs = NULL;
	char q[PLAN_QUOTE_SIZE], f[FOUND_SIZE];

	if (t->n == 0)
		return plan_fail(c->e, 1, 1, "no jobs");
	root = &t->nodes[0];
	if (plan_is_null(root))
		return plan_fail_at(c->e, root, "no jobs");
	if (root->kind != PNODE_MAP)
		return plan_fail_at(c->e, root, "the file must be a mapping "
		    "with the key 'jobs', not %s", found(root, f));
	for (size_t k = 1; k < root->end; k = t->nodes[k + 1].end) {
		key = &t->nodes[k];
		plan_quote(key->text, q);
		if (strcmp(key->text, "jobs") != 0)
			return plan_fail_at(c->e, key, "unknown key '%s' "
			    "(known: jobs)", q);
		if (jobs != NULL)
			return plan_fail_at(c->e, key, "duplicate key 'jobs'");
		jobs = &t->nodes[k + 1];
	}
	if (jobs == NULL || plan_is_null(jobs))
		return plan_fail_at(c->e, jobs != NULL ? jobs : root,
		    "no jobs");
	if (jobs->kind != PNODE_MAP)
		return plan_fail_at(c->e, jobs, "'jobs' must be a mapping of "
		    "job names to jobs, not %s", found(jobs, f));
	if (jobs->nkids == 0)
		return plan_fail_at(c->e, jobs, "no jobs");
	for (size_t k = (size_t)(jobs - t->nodes) + 1; k < jobs->end;
	    k = t->nodes[k + 1].end)
		if (check_job(c, k) == -1)
			return -1;
	return 0;
}

int
plan_parse(const char *text, size_t len, struct plan *plan, char *err,
    size_t errsize)
{
	struct plan_err e = { err, errsize };
	struct checker c;
	struct ptree t;
	int rc;

	memset(plan, 0, sizeof *plan);
	if (errsize > 0)
		err[0] = '\0';
	if (len > PLAN_MAX_BYTES) {
		snprintf(err, errsize, "%s: larger than %d bytes", PLAN_FILE,
		    PLAN_MAX_BYTES);
		return -1;
	}
	if (plan_tree_load(text != NULL ? text : "", len, &t, &e) == -1)
		return -1;
	memset(&c, 0, sizeof c);
	c.t = &t;
	c.e = &e;
	c.jobs = xcalloc(PLAN_MAX_JOBS, sizeof *c.jobs);
	rc = check_file(&c);
	if (rc == 0)
		rc = plan_expand(&t, c.jobs, c.njobs, plan, &e);
	for (size_t i = 0; i < c.njobs; i++) {
		free(c.jobs[i].needs_at);
		free(c.jobs[i].needs);
	}
	free(c.jobs);
	plan_tree_free(&t);
	if (rc == -1)
		plan_release(plan);
	return rc;
}

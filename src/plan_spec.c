/* SPDX-License-Identifier: MIT */
/*
 * plan_spec.c - a plan and a job's spec as JSON.  The spec is what the
 * store keeps and a runner receives: one line, {"run":["make"],
 * "env":["K=v"],"timeout":600}, timeout left out when 0; and a job's
 * labels as one string.  The plan is what a runner sends once it has read
 * .ssci.yml, and what the store keeps for a retry: {"jobs":[{"name",
 * "run", "env", "timeout", "labels", "needs" (indexes), "allow_failure",
 * and when set "retry", "reports", "shards", "max_shards", "list" and
 * "listed" (the ids list printed)}]}; a shard's spec has its "tests".
 *
 * Decoding is strict, since the text crossed the store and the wire:
 * anything but that shape (another key, a wrong type, an empty command,
 * an env entry that is not NAME=VALUE, a need out of range, a cycle) is
 * refused whole.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plan_int.h"
#include "util.h"

#define VAR_FIRST "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
#define VAR_CHARS VAR_FIRST "0123456789"

char *
plan_spec_encode(const struct plan_spec *spec)
{
	json_t *obj = plan_json_check(json_object());
	char *s;

	if (json_object_set_new(obj, "run", plan_json_strings(spec->run,
	    spec->nrun)) == -1 || json_object_set_new(obj, "env",
	    plan_json_strings(spec->env, spec->nenv)) == -1 || (spec->timeout_s != 0 &&
	    json_object_set_new(obj, "timeout",
	    plan_json_check(json_integer(spec->timeout_s))) == -1) ||
	    (spec->retry != 0 && json_object_set_new(obj, "retry",
	    plan_json_check(json_integer(spec->retry))) == -1) ||
	    (spec->nreports != 0 && json_object_set_new(obj, "reports",
	    plan_json_strings(spec->reports, spec->nreports)) == -1) ||
	    (spec->ntests != 0 && json_object_set_new(obj, "tests",
	    plan_json_strings(spec->tests, spec->ntests)) == -1) ||
	    plan_keep_json(obj, &spec->keep) == -1)
		fatalx("%s: out of memory", __func__);
	if ((s = json_dumps(obj, JSON_COMPACT)) == NULL)
		fatalx("%s: out of memory", __func__);
	json_decref(obj);
	return s;
}

/* "NAME=VALUE" with NAME a variable's name. */
static int
env_valid(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq != NULL && eq > s && strchr(VAR_FIRST, s[0]) != NULL &&
	    strspn(s, VAR_CHARS) == (size_t)(eq - s);
}

static int
command_valid(const char *s)
{
	return s[0] != '\0';
}

int
plan_test_id_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > PLAN_MAX_TEST_ID)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* A retry count as the spec and plan hold it: 1 and *out, 0 absent, -1. */
static int
decode_retry(const json_t *v, int *out)
{
	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > PLAN_MAX_RETRY)
		return -1;
	*out = (int)json_integer_value(v);
	return 1;
}

int
plan_spec_decode(const char *text, struct plan_spec *spec)
{
	json_t *root, *v, *timeout;
	const char *key;
	json_int_t t = 0;
	int rc = -1;

	memset(spec, 0, sizeof *spec);
	if (text == NULL ||
	    (root = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return -1;
	if (!json_is_object(root))
		goto out;
	json_object_foreach(root, key, v)
		if (strcmp(key, "run") != 0 && strcmp(key, "env") != 0 &&
		    strcmp(key, "timeout") != 0 && strcmp(key, "retry") != 0 &&
		    strcmp(key, "reports") != 0 && strcmp(key, "tests") != 0 &&
		    !plan_keep_key(key))
			goto out;
	if ((timeout = json_object_get(root, "timeout")) != NULL) {
		if (!json_is_integer(timeout))
			goto out;
		t = json_integer_value(timeout);
		if (t < 0 || t > PLAN_MAX_TIMEOUT_S)
			goto out;
	}
	if (plan_json_decode_strings(json_object_get(root, "run"), 1, PLAN_MAX_RUN,
	    command_valid, &spec->run, &spec->nrun) == -1 ||
	    plan_json_decode_strings(json_object_get(root, "env"), 0, SIZE_MAX,
	    env_valid, &spec->env, &spec->nenv) == -1 ||
	    plan_json_decode_strings(json_object_get(root, "reports"), 0,
	    PLAN_MAX_REPORTS, plan_report_valid, &spec->reports,
	    &spec->nreports) == -1 ||
	    plan_json_decode_strings(json_object_get(root, "tests"), 0, PLAN_MAX_LISTED,
	    plan_test_id_valid, &spec->tests, &spec->ntests) == -1 ||
	    decode_retry(json_object_get(root, "retry"), &spec->retry) == -1 ||
	    plan_keep_decode(root, &spec->keep) == -1)
		goto out;
	spec->timeout_s = (int)t;
	rc = 0;
out:
	if (rc == -1)
		plan_spec_release(spec);
	json_decref(root);
	return rc;
}

void
plan_spec_release(struct plan_spec *spec)
{
	strv_free(spec->run, spec->nrun);
	strv_free(spec->env, spec->nenv);
	strv_free(spec->reports, spec->nreports);
	strv_free(spec->tests, spec->ntests);
	plan_keep_release(&spec->keep);
	memset(spec, 0, sizeof *spec);
}

char *
plan_labels_join(char *const *labels, size_t nlabels)
{
	size_t len = 1, n = 0;
	char *s;

	for (size_t i = 0; i < nlabels; i++)
		len += strlen(labels[i]) + 1;
	s = xmalloc(len);
	for (size_t i = 0; i < nlabels; i++) {
		if (i > 0)
			s[n++] = ' ';
		memcpy(s + n, labels[i], strlen(labels[i]));
		n += strlen(labels[i]);
	}
	s[n] = '\0';
	return s;
}

/* A job of a plan as JSON. */
/* A job's sharding keys, where it has them. */
static int
plan_job_shards_json(json_t *obj, const struct plan_job *pj)
{
	if (pj->shards == 0)
		return 0;
	if (json_object_set_new(obj, "shards", pj->shards == PLAN_SHARDS_AUTO ?
	    plan_json_check(json_string("auto")) :
	    plan_json_check(json_integer(pj->shards))) == -1 ||
	    (pj->shards == PLAN_SHARDS_AUTO && json_object_set_new(obj,
	    "max_shards", plan_json_check(json_integer(pj->max_shards))) == -1) ||
	    (pj->list != NULL && json_object_set_new(obj, "list",
	    plan_json_string(pj->list)) == -1) ||
	    (pj->has_listed && json_object_set_new(obj, "listed",
	    plan_json_strings(pj->listed, pj->nlisted)) == -1))
		return -1;
	return 0;
}

static json_t *
plan_job_json(const struct plan_job *pj)
{
	json_t *obj = plan_json_check(json_object()), *needs;

	needs = plan_json_check(json_array());
	for (size_t k = 0; k < pj->nneeds; k++)
		if (json_array_append_new(needs,
		    plan_json_check(json_integer((json_int_t)pj->needs[k]))) == -1)
			fatalx("%s: out of memory", __func__);
	if (json_object_set_new(obj, "name", plan_json_string(pj->name)) == -1 ||
	    json_object_set_new(obj, "run", plan_json_strings(pj->spec.run,
	    pj->spec.nrun)) == -1 ||
	    json_object_set_new(obj, "env", plan_json_strings(pj->spec.env,
	    pj->spec.nenv)) == -1 ||
	    json_object_set_new(obj, "timeout",
	    plan_json_check(json_integer(pj->spec.timeout_s))) == -1 ||
	    json_object_set_new(obj, "labels", plan_json_strings(pj->labels,
	    pj->nlabels)) == -1 ||
	    json_object_set_new(obj, "needs", needs) == -1 ||
	    json_object_set_new(obj, "allow_failure",
	    json_boolean(pj->allow_failure)) == -1 ||
	    (pj->spec.retry != 0 && json_object_set_new(obj, "retry",
	    plan_json_check(json_integer(pj->spec.retry))) == -1) ||
	    (pj->spec.nreports != 0 && json_object_set_new(obj, "reports",
	    plan_json_strings(pj->spec.reports, pj->spec.nreports)) == -1) ||
	    plan_job_shards_json(obj, pj) == -1 ||
	    plan_keep_json(obj, &pj->spec.keep) == -1)
		fatalx("%s: out of memory", __func__);
	return obj;
}

char *
plan_encode(const struct plan *plan)
{
	json_t *root = plan_json_check(json_object()), *jobs;
	char *s;

	jobs = plan_json_check(json_array());
	for (size_t i = 0; i < plan->njobs; i++)
		if (json_array_append_new(jobs, plan_job_json(&plan->jobs[i]))
		    == -1)
			fatalx("%s: out of memory", __func__);
	if (json_object_set_new(root, "jobs", jobs) == -1 ||
	    (s = json_dumps(root, JSON_COMPACT)) == NULL)
		fatalx("%s: out of memory", __func__);
	json_decref(root);
	return s;
}

/* A job's name once expanded: printable text, not empty. */
static int
job_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > PLAN_MAX_JOB_NAME)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* A label: a word of the file's rule. */
static int
label_valid(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= PLAN_MAX_NAME && s[0] != '-' &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") == len;
}

static int
plan_decode_fail(char *err, size_t errsize, size_t i, const char *what)
{
	snprintf(err, errsize, "plan: job %zu: %s", i + 1, what);
	return -1;
}

/* needs of job i: distinct indexes of other jobs. */
static int
plan_decode_needs(const json_t *a, size_t njobs, size_t i,
    struct plan_job *pj)
{
	size_t n = json_array_size(a);

	if (!json_is_array(a) || n > njobs)
		return -1;
	pj->needs = xcalloc(n + 1, sizeof *pj->needs);
	for (size_t k = 0; k < n; k++) {
		const json_t *v = json_array_get(a, k);
		json_int_t need = json_integer_value(v);

		if (!json_is_integer(v) || need < 0 || (size_t)need >= njobs ||
		    (size_t)need == i)
			return -1;
		for (size_t o = 0; o < pj->nneeds; o++)
			if (pj->needs[o] == (size_t)need)
				return -1;
		pj->needs[pj->nneeds++] = (size_t)need;
	}
	return 0;
}

/* A number from 1 to 64 into *out: 0, or -1. */
static int
decode_shard_count(const json_t *v, int *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > PLAN_MAX_SHARDS)
		return -1;
	*out = (int)json_integer_value(v);
	return 0;
}

/* shards, max_shards, list and listed: present together as encoded. */
static int
plan_decode_shards(const json_t *obj, struct plan_job *pj)
{
	const json_t *shards = json_object_get(obj, "shards");
	const json_t *max = json_object_get(obj, "max_shards");
	const json_t *list = json_object_get(obj, "list");
	const json_t *listed = json_object_get(obj, "listed");

	if (shards == NULL)
		return max == NULL && list == NULL && listed == NULL ? 0 : -1;
	if (json_is_string(shards) &&
	    strcmp(json_string_value(shards), "auto") == 0) {
		pj->shards = PLAN_SHARDS_AUTO;
		if (decode_shard_count(max, &pj->max_shards) == -1)
			return -1;
	} else if (decode_shard_count(shards, &pj->shards) == -1 ||
	    max != NULL)
		return -1;
	if (list != NULL) {
		if (!json_is_string(list) ||
		    !command_valid(json_string_value(list)))
			return -1;
		pj->list = xstrdup(json_string_value(list));
	}
	if (listed == NULL)
		return 0;
	pj->has_listed = 1;
	return plan_json_decode_strings(listed, 0, PLAN_MAX_LISTED, plan_test_id_valid,
	    &pj->listed, &pj->nlisted);
}

/* One job of the "jobs" array into pj: 0, or -1 with err written. */
static int
plan_decode_job(const json_t *obj, size_t njobs, size_t i,
    struct plan_job *pj, char *err, size_t errsize)
{
	static const char *const keys[] = { "name", "run", "env", "timeout",
	    "labels", "needs", "allow_failure", "retry", "reports", "shards",
	    "max_shards", "list", "listed" };
	const json_t *v, *t = json_object_get(obj, "timeout");
	const char *key;
	size_t k;

	if (!json_is_object(obj))
		return plan_decode_fail(err, errsize, i, "not an object");
	json_object_foreach((json_t *)obj, key, v) {
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		if (k == sizeof keys / sizeof keys[0] && !plan_keep_key(key))
			return plan_decode_fail(err, errsize, i, "unknown key");
	}
	v = json_object_get(obj, "name");
	if (!json_is_string(v) || !job_name_valid(json_string_value(v)))
		return plan_decode_fail(err, errsize, i, "bad name");
	pj->name = xstrdup(json_string_value(v));
	if (!json_is_integer(t) || json_integer_value(t) < 0 ||
	    json_integer_value(t) > PLAN_MAX_TIMEOUT_S)
		return plan_decode_fail(err, errsize, i, "bad timeout");
	pj->spec.timeout_s = (int)json_integer_value(t);
	v = json_object_get(obj, "allow_failure");
	if (!json_is_boolean(v))
		return plan_decode_fail(err, errsize, i, "bad allow_failure");
	pj->allow_failure = json_is_true(v);
	if (decode_retry(json_object_get(obj, "retry"), &pj->spec.retry) == -1)
		return plan_decode_fail(err, errsize, i, "bad retry");
	if (plan_json_decode_strings(json_object_get(obj, "reports"), 0,
	    PLAN_MAX_REPORTS, plan_report_valid, &pj->spec.reports,
	    &pj->spec.nreports) == -1)
		return plan_decode_fail(err, errsize, i, "bad reports");
	if (plan_json_decode_strings(json_object_get(obj, "run"), 1, PLAN_MAX_RUN,
	    command_valid, &pj->spec.run, &pj->spec.nrun) == -1)
		return plan_decode_fail(err, errsize, i, "bad run");
	if (plan_json_decode_strings(json_object_get(obj, "env"), 0, PLAN_MAX_JOB_ENV,
	    env_valid, &pj->spec.env, &pj->spec.nenv) == -1)
		return plan_decode_fail(err, errsize, i, "bad env");
	if (plan_json_decode_strings(json_object_get(obj, "labels"), 0,
	    PLAN_MAX_LABELS, label_valid, &pj->labels, &pj->nlabels) == -1)
		return plan_decode_fail(err, errsize, i, "bad labels");
	if (plan_decode_needs(json_object_get(obj, "needs"), njobs, i,
	    pj) == -1)
		return plan_decode_fail(err, errsize, i, "bad needs");
	if (plan_decode_shards(obj, pj) == -1)
		return plan_decode_fail(err, errsize, i, "bad sharding");
	if (plan_keep_decode(obj, &pj->spec.keep) == -1)
		return plan_decode_fail(err, errsize, i, "bad artifacts, cache "
		    "or secrets");
	return 0;
}

/* Whether following needs from job i comes back to a job on the way. */
static int
plan_cycle_from(const struct plan *plan, size_t i, unsigned char *mark)
{
	if (mark[i] == 1)
		return 1;
	if (mark[i] == 2)
		return 0;
	mark[i] = 1;
	for (size_t k = 0; k < plan->jobs[i].nneeds; k++)
		if (plan_cycle_from(plan, plan->jobs[i].needs[k], mark))
			return 1;
	mark[i] = 2;
	return 0;
}

/* Names are each used once and needs go round in no circle. */
static int
plan_decode_check(const struct plan *plan, char *err, size_t errsize)
{
	unsigned char *mark = xcalloc(plan->njobs, 1);
	int bad = 0;

	for (size_t i = 0; i < plan->njobs && !bad; i++) {
		for (size_t k = 0; k < i; k++)
			if (strcmp(plan->jobs[i].name, plan->jobs[k].name) == 0)
				bad = plan_decode_fail(err, errsize, i,
				    "a name used twice");
		if (!bad && plan_cycle_from(plan, i, mark))
			bad = plan_decode_fail(err, errsize, i,
			    "needs that form a cycle");
	}
	free(mark);
	return bad ? -1 : 0;
}

int
plan_decode(const char *text, size_t len, struct plan *plan, char *err,
    size_t errsize)
{
	const json_t *jobs;
	json_t *root;
	size_t n;
	int rc = -1;

	memset(plan, 0, sizeof *plan);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	jobs = json_object_get(root, "jobs");
	if (!json_is_object(root) || json_object_size(root) != 1 ||
	    !json_is_array(jobs) || (n = json_array_size(jobs)) == 0 ||
	    n > PLAN_MAX_JOBS) {
		snprintf(err, errsize, "plan: not an object of 1 to %d jobs",
		    PLAN_MAX_JOBS);
		goto out;
	}
	plan->jobs = xcalloc(n, sizeof *plan->jobs);
	for (size_t i = 0; i < n; i++) {
		plan->njobs++;
		if (plan_decode_job(json_array_get(jobs, i), n, i,
		    &plan->jobs[i], err, errsize) == -1)
			goto out;
	}
	rc = plan_decode_check(plan, err, errsize);
out:
	if (rc == -1)
		plan_release(plan);
	json_decref(root);
	return rc;
}

void
plan_release(struct plan *plan)
{
	struct plan_job *j;

	for (size_t i = 0; i < plan->njobs; i++) {
		j = &plan->jobs[i];
		free(j->name);
		plan_spec_release(&j->spec);
		strv_free(j->labels, j->nlabels);
		free(j->needs);
		free(j->list);
		strv_free(j->listed, j->nlisted);
	}
	free(plan->jobs);
	memset(plan, 0, sizeof *plan);
}

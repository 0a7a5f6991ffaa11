/* SPDX-License-Identifier: MIT */
/*
 * secrets.c - the dispatcher's part of secrets (secrets.h): a secret set
 * or removed through either door (the protocol's secret_* messages,
 * query_secrets.c; the API's /api/secrets, http_secrets.c) with the same
 * checks and refusals, the list both answer (names, never values), and
 * what a job that asks for secrets is given.  The log says which secret
 * of which repository changed and who changed it, never a value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "secrets.h"
#include "seal.h"
#include "store.h"
#include "util.h"

/* Refuse c with code and a message: -1. */
static int __attribute__((format(printf, 3, 4)))
secrets_refuse(struct secret_change *c, const char *code, const char *fmt,
    ...)
{
	va_list ap;

	c->code = code;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	return -1;
}

/* The repository and name of c: 0, or -1 refused. */
static int
secrets_check_target(struct secret_change *c)
{
	if (c->repo == NULL || !repo_url_valid(c->repo))
		return secrets_refuse(c, "bad_field", "a secret needs a "
		    "repository");
	if (c->name == NULL)
		return secrets_refuse(c, "bad_field", "a secret needs a name");
	if (secret_name_check(c->name, c->why, sizeof c->why) == -1) {
		c->code = "bad_field";
		return -1;
	}
	return 0;
}

int
secrets_set(struct store *store, struct secret_change *c)
{
	char *globs;

	if (secrets_check_target(c) == -1)
		return -1;
	if (c->value == NULL)
		return secrets_refuse(c, "bad_field", "secret '%s' needs a "
		    "value", c->name);
	if (secret_value_check(c->value, c->len, c->why, sizeof c->why) ==
	    -1 || secret_branches_normalize(c->branches, &globs, c->why,
	    sizeof c->why) == -1) {
		c->code = "bad_field";
		return -1;
	}
	if (store_secret_set(store, c->repo, c->name, c->value, c->len, globs,
	    c->who) == -1) {
		free(globs);
		return secrets_refuse(c, "store", "unable to keep secret '%s' "
		    "of %s", c->name, c->repo);
	}
	free(globs);
	log_info("secret '%s' of %s set by %s", c->name, c->repo, c->who);
	return 0;
}

int
secrets_remove(struct store *store, struct secret_change *c)
{
	if (secrets_check_target(c) == -1)
		return -1;
	switch (store_secret_remove(store, c->repo, c->name)) {
	case 0:
		log_info("secret '%s' of %s removed by %s", c->name, c->repo,
		    c->who);
		return 0;
	case 1:
		return secrets_refuse(c, "no_such_secret", "no secret '%s' of "
		    "%s", c->name, c->repo);
	default:
		return secrets_refuse(c, "store", "unable to remove secret "
		    "'%s' of %s", c->name, c->repo);
	}
}

static int
secrets_list_one(const struct secret_info *s, void *arg)
{
	json_t *obj = api_check(json_object());

	api_set(obj, "name", api_string(s->name));
	api_set(obj, "branches", api_string(s->branches));
	api_set(obj, "updated_ms", json_integer(s->updated_ms));
	api_set(obj, "updated_by", api_string(s->updated_by));
	if (json_array_append_new(arg, obj) == -1)
		fatalx("jansson: out of memory");
	return 0;
}

json_t *
secrets_list_json(struct store *store, const char *repo)
{
	json_t *list = api_check(json_array());

	if (store_secrets_list(store, repo, secrets_list_one, list) == -1) {
		json_decref(list);
		return NULL;
	}
	return api_check(json_pack("{s:o, s:o}", "repo", api_string(repo),
	    "secrets", list));
}

/* Append s to the NULL-terminated *v of *n strings. */
static void
secrets_push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof **v);
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

/* Whether names[i] was asked before, among names[0..i-1]. */
static int
secrets_asked_before(char *const *names, size_t i)
{
	for (size_t k = 0; k < i; k++) {
		if (strcmp(names[k], names[i]) == 0)
			return 1;
	}
	return 0;
}

void
secrets_env_free(char **env, size_t n)
{
	for (size_t i = 0; env != NULL && i < n; i++) {
		seal_wipe(env[i], strlen(env[i]));
		free(env[i]);
	}
	free(env);
}

int
secrets_for_job(struct store *store, const char *repo, const char *branch,
    char *const *names, size_t n, char ***env, size_t *nenv, char ***missing,
    size_t *nmissing)
{
	char quoted[LOG_CUT_MAX * 6 + 8], qbranch[LOG_CUT_MAX * 6 + 8];
	char why[300], *value, *globs, *line, *note;
	size_t len;
	int rc;

	*env = xcalloc(1, sizeof **env);
	*missing = xcalloc(1, sizeof **missing);
	*nenv = *nmissing = 0;
	for (size_t i = 0; i < n; i++) {
		if (secrets_asked_before(names, i))
			continue;
		log_escape_cut(names[i], strlen(names[i]), 64, quoted,
		    sizeof quoted);
		if (secret_name_check(names[i], why, sizeof why) == -1)
			rc = 0;
		else
			rc = store_secret_get(store, repo, names[i], &value,
			    &len, &globs);
		if (rc == -1) {
			secrets_env_free(*env, *nenv);
			strv_free(*missing, *nmissing);
			*env = *missing = NULL;
			*nenv = *nmissing = 0;
			return -1;
		}
		note = NULL;
		if (rc == 0)
			xasprintf(&note, "no secret '%s'", quoted);
		else if (rc == -2)
			xasprintf(&note, "secret '%s' cannot be read on the "
			    "dispatcher (its log says why)", quoted);
		else if (!secret_branch_allowed(globs, branch)) {
			if (branch == NULL)
				xasprintf(&note, "secret '%s' is not given to "
				    "jobs without a branch", quoted);
			else {
				log_escape_cut(branch, strlen(branch), 255,
				    qbranch, sizeof qbranch);
				xasprintf(&note, "secret '%s' is not given to "
				    "branch '%s'", quoted, qbranch);
			}
		} else {
			/* Built in place: no formatting buffer keeps a copy. */
			line = xmalloc(strlen(names[i]) + 1 + len + 1);
			memcpy(line, names[i], strlen(names[i]));
			line[strlen(names[i])] = '=';
			memcpy(line + strlen(names[i]) + 1, value, len + 1);
			secrets_push(env, nenv, line);
		}
		if (note != NULL)
			secrets_push(missing, nmissing, note);
		if (rc == 1) {
			seal_wipe(value, len);
			free(value);
			free(globs);
		}
	}
	return 0;
}

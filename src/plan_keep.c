/* SPDX-License-Identifier: MIT */
/*
 * plan_keep.c - what a .ssci.yml job keeps and may know: its artifacts
 * (paths or globs, and how long they are kept), its cache (paths and the
 * files keying it) and the secrets it asks for; checked in the file
 * (plan_int.h), and as JSON fields of a spec or a plan's job.  The paths
 * a plan names are checked here too.  docs/ARTIFACTS.md has the rules.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "plan_int.h"
#include "util.h"

#define GLOB_CHARS "*?["
#define SECRET_FIRST "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
#define SECRET_CHARS SECRET_FIRST "0123456789"

int
plan_report_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > PLAN_MAX_REPORT || s[0] == '/')
		return 0;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	for (const char *p = s; *p != '\0'; p += strcspn(p, "/"),
	    p += *p == '/') {
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return 0;
	}
	return 1;
}

int
plan_artifact_valid(const char *s)
{
	size_t n;

	if (!plan_report_valid(s))
		return 0;
	/*
	 * A part that begins with '.' and holds a pattern (".*", ".[.]")
	 * matches "." and "..": glob would lead out of the tree.
	 */
	for (const char *p = s; *p != '\0'; p += n + (p[n] == '/')) {
		n = strcspn(p, "/");
		if (p[0] == '.' && (n == 1 || strcspn(p, GLOB_CHARS) < n))
			return 0;
	}
	return 1;
}

/* A file of the tree named as it is, not a pattern. */
static int
key_file_valid(const char *s)
{
	return plan_report_valid(s) && strpbrk(s, GLOB_CHARS) == NULL &&
	    s[0] != '~';
}

int
plan_cache_path_valid(const char *s)
{
	if (strncmp(s, "~/", 2) == 0)
		s += 2;
	return plan_report_valid(s) && strpbrk(s, GLOB_CHARS) == NULL &&
	    s[0] != '~';
}

int
plan_secret_name_valid(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= PLAN_MAX_NAME &&
	    strchr(SECRET_FIRST, s[0]) != NULL &&
	    strspn(s, SECRET_CHARS) == len;
}

/*
 * A text or a list of 1 to max texts at node v, each passing valid, none
 * twice: 0, or -1 with the message written (what says what each is).
 */
static int
check_texts(const struct ptree *t, struct plan_err *e, const char *name,
    const char *key, size_t v, size_t max, int (*valid)(const char *),
    const char *what)
{
	const struct pnode *nd = &t->nodes[v], *it;
	char q[PLAN_QUOTE_SIZE], rule[160];

	snprintf(rule, sizeof rule, "%s, or a list of them", what);
	if (nd->kind == PNODE_MAP || plan_is_null(nd) ||
	    (nd->kind == PNODE_SEQ && nd->nkids == 0))
		return plan_expected(nd, e, key, name, rule);
	if (nd->kind == PNODE_SEQ && nd->nkids > max)
		return plan_fail_at(e, nd, "'%s' in job '%s' has more than "
		    "%zu entries", key, name, max);
	for (size_t k = nd->kind == PNODE_SEQ ? v + 1 : v; k < nd->end;
	    k = t->nodes[k].end) {
		it = &t->nodes[k];
		if (it->kind != PNODE_SCALAR || plan_is_null(it))
			return plan_expected(it, e, key, name, rule);
		plan_quote(it->text, q);
		if (!valid(it->text))
			return plan_fail_at(e, it, "'%s' in '%s' of job '%s' "
			    "is not %s", q, key, name, what);
		for (size_t o = v + 1; nd->kind == PNODE_SEQ && o < k;
		    o = t->nodes[o].end)
			if (strcmp(t->nodes[o].text, it->text) == 0)
				return plan_fail_at(e, it, "'%s' is named "
				    "twice in '%s' of job '%s'", q, key, name);
		if (nd->kind != PNODE_SEQ)
			break;
	}
	return 0;
}

#define ARTIFACT_RULE "a path or glob in the tree (no '..', not " \
	"absolute, no part both hidden and a pattern)"
#define EXPIRE_RULE "a time such as 30d, 12h or 90m (m, h, d or w), " \
	"at most 3650d"

/* expire_in: a count and its unit, within ten years. */
static int
check_expire(const struct ptree *t, struct plan_err *e, const char *name,
    size_t v, struct pjob *j)
{
	const struct pnode *nd = &t->nodes[v];
	static const char units[] = "mhdw";
	static const int64_t unit_s[] = { 60, 3600, 86400, 7 * 86400 };
	const char *u;
	char num[16];
	long n;

	if (nd->kind != PNODE_SCALAR || nd->len < 2 || nd->len > 12 ||
	    (u = strchr(units, nd->text[nd->len - 1])) == NULL)
		return plan_expected(nd, e, "expire_in", name, EXPIRE_RULE);
	memcpy(num, nd->text, nd->len - 1);
	num[nd->len - 1] = '\0';
	if (parse_long(num, 1, 3650L * 24 * 60, &n) == -1 ||
	    (int64_t)n * unit_s[u - units] > PLAN_MAX_EXPIRE_S)
		return plan_expected(nd, e, "expire_in", name, EXPIRE_RULE);
	j->expire_s = (int64_t)n * unit_s[u - units];
	return 0;
}

/*
 * The keys of a mapping at v, each one of known (up to 2), none twice:
 * found[i] the value's node or 0.  0, or -1 with the message written.
 */
static int
check_map(const struct ptree *t, struct plan_err *e, const char *name,
    const char *key, size_t v, const char *const known[2], size_t found[2])
{
	const struct pnode *nd = &t->nodes[v], *k;
	char q[PLAN_QUOTE_SIZE];
	size_t i;

	found[0] = found[1] = 0;
	for (size_t at = v + 1; at < nd->end; at = t->nodes[at + 1].end) {
		k = &t->nodes[at];
		for (i = 0; i < 2 && strcmp(k->text, known[i]) != 0; i++)
			;
		plan_quote(k->text, q);
		if (i == 2)
			return plan_fail_at(e, k, "unknown key '%s' in '%s' of "
			    "job '%s' (known: %s, %s)", q, key, name, known[0],
			    known[1]);
		if (found[i] != 0)
			return plan_fail_at(e, k, "duplicate key '%s' in '%s' "
			    "of job '%s'", q, key, name);
		found[i] = at + 1;
	}
	return 0;
}

int
plan_check_artifacts(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j)
{
	static const char *const known[2] = { "paths", "expire_in" };
	const struct pnode *nd = &t->nodes[v];
	size_t found[2];

	if (nd->kind != PNODE_MAP) {
		if (check_texts(t, e, name, "artifacts", v, PLAN_MAX_ARTIFACTS,
		    plan_artifact_valid, ARTIFACT_RULE) == -1)
			return -1;
		j->artifacts = v;
		return 0;
	}
	if (check_map(t, e, name, "artifacts", v, known, found) == -1)
		return -1;
	if (found[0] == 0)
		return plan_fail_at(e, nd, "'artifacts' of job '%s' has no "
		    "'paths'", name);
	if (check_texts(t, e, name, "artifacts", found[0], PLAN_MAX_ARTIFACTS,
	    plan_artifact_valid, ARTIFACT_RULE) == -1 ||
	    (found[1] != 0 && check_expire(t, e, name, found[1], j) == -1))
		return -1;
	j->artifacts = found[0];
	return 0;
}

int
plan_check_cache(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j)
{
	static const char *const known[2] = { "paths", "key" };
	const struct pnode *nd = &t->nodes[v];
	size_t found[2];

	if (nd->kind != PNODE_MAP)
		return plan_expected(nd, e, "cache", name, "a mapping with "
		    "'paths' and maybe 'key'");
	if (check_map(t, e, name, "cache", v, known, found) == -1)
		return -1;
	if (found[0] == 0)
		return plan_fail_at(e, nd, "'cache' of job '%s' has no "
		    "'paths'", name);
	if (check_texts(t, e, name, "cache", found[0], PLAN_MAX_CACHE_PATHS,
	    plan_cache_path_valid, "a path in the tree or under ~/ (no glob, "
	    "no '..')") == -1 ||
	    (found[1] != 0 && check_texts(t, e, name, "key", found[1],
	    PLAN_MAX_CACHE_PATHS, key_file_valid, "a file of the tree (no "
	    "glob, no '..')") == -1))
		return -1;
	j->cache_paths = found[0];
	j->cache_key = found[1];
	return 0;
}

int
plan_check_secrets(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j)
{
	if (check_texts(t, e, name, "secrets", v, PLAN_MAX_SECRETS,
	    plan_secret_name_valid, "a secret's name (a letter or _, then "
	    "letters, digits or _, up to 64)") == -1)
		return -1;
	j->secrets = v;
	return 0;
}

/* An array field when the list has entries. */
static int
set_list(json_t *obj, const char *key, char *const *list, size_t n)
{
	return n == 0 ? 0 : json_object_set_new(obj, key,
	    plan_json_strings(list, n));
}

int
plan_keep_json(json_t *obj, const struct plan_keep *keep)
{
	if (set_list(obj, "artifacts", keep->artifacts,
	    keep->nartifacts) == -1 ||
	    (keep->expire_s != 0 && json_object_set_new(obj, "expire_in",
	    plan_json_check(json_integer(keep->expire_s))) == -1) ||
	    set_list(obj, "cache", keep->cache_paths,
	    keep->ncache_paths) == -1 ||
	    set_list(obj, "cache_key", keep->cache_key,
	    keep->ncache_key) == -1 ||
	    set_list(obj, "secrets", keep->secrets, keep->nsecrets) == -1)
		return -1;
	return 0;
}

int
plan_keep_key(const char *key)
{
	return strcmp(key, "artifacts") == 0 ||
	    strcmp(key, "expire_in") == 0 || strcmp(key, "cache") == 0 ||
	    strcmp(key, "cache_key") == 0 || strcmp(key, "secrets") == 0;
}

int
plan_keep_decode(const json_t *obj, struct plan_keep *keep)
{
	const json_t *exp = json_object_get(obj, "expire_in");

	memset(keep, 0, sizeof *keep);
	if (exp != NULL) {
		if (!json_is_integer(exp) || json_integer_value(exp) < 1 ||
		    json_integer_value(exp) > PLAN_MAX_EXPIRE_S)
			return -1;
		keep->expire_s = json_integer_value(exp);
	}
	if (plan_json_decode_strings(json_object_get(obj, "artifacts"), 0,
	    PLAN_MAX_ARTIFACTS, plan_artifact_valid, &keep->artifacts,
	    &keep->nartifacts) == -1 ||
	    plan_json_decode_strings(json_object_get(obj, "cache"), 0,
	    PLAN_MAX_CACHE_PATHS, plan_cache_path_valid, &keep->cache_paths,
	    &keep->ncache_paths) == -1 ||
	    plan_json_decode_strings(json_object_get(obj, "cache_key"), 0,
	    PLAN_MAX_CACHE_PATHS, key_file_valid, &keep->cache_key,
	    &keep->ncache_key) == -1 ||
	    plan_json_decode_strings(json_object_get(obj, "secrets"), 0,
	    PLAN_MAX_SECRETS, plan_secret_name_valid, &keep->secrets,
	    &keep->nsecrets) == -1 ||
	    (keep->ncache_key > 0 && keep->ncache_paths == 0)) {
		plan_keep_release(keep);
		return -1;
	}
	return 0;
}

char *
plan_keep_encode(const struct plan_keep *keep)
{
	json_t *obj = plan_json_check(json_object());
	char *s;

	if (plan_keep_json(obj, keep) == -1 ||
	    (s = json_dumps(obj, JSON_COMPACT)) == NULL)
		fatalx("%s: out of memory", __func__);
	json_decref(obj);
	return s;
}

int
plan_keep_decode_text(const char *text, struct plan_keep *keep)
{
	json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	const char *key;
	json_t *v;
	int rc = -1;

	memset(keep, 0, sizeof *keep);
	if (!json_is_object(obj))
		goto out;
	json_object_foreach(obj, key, v)
		if (!plan_keep_key(key))
			goto out;
	rc = plan_keep_decode(obj, keep);
out:
	json_decref(obj);
	return rc;
}

void
plan_keep_release(struct plan_keep *keep)
{
	strv_free(keep->artifacts, keep->nartifacts);
	strv_free(keep->cache_paths, keep->ncache_paths);
	strv_free(keep->cache_key, keep->ncache_key);
	strv_free(keep->secrets, keep->nsecrets);
	memset(keep, 0, sizeof *keep);
}

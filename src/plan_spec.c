/* SPDX-License-Identifier: MIT */
/*
 * plan_spec.c - a job's spec as the store keeps it and a runner receives
 * it: one line of JSON, {"run":["make"],"env":["K=v"],"timeout":600},
 * timeout left out when 0; and a job's labels as one string.
 *
 * Decoding is strict, since the text crossed the store and the wire:
 * anything but that shape (another key, a wrong type, an empty command,
 * an env entry that is not NAME=VALUE) is refused whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plan.h"
#include "util.h"

#define VAR_FIRST "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
#define VAR_CHARS VAR_FIRST "0123456789"

static json_t *
json_check(json_t *v)
{
	if (v == NULL)
		fatalx("jansson: out of memory");
	return v;
}

/* jansson refuses bad UTF-8: a plan's strings are good, others mended. */
static json_t *
string_of(const char *s)
{
	json_t *v;
	char *clean;
	size_t n;

	if ((v = json_string(s)) != NULL)
		return v;
	clean = utf8_sanitize(s, strlen(s), &n);
	v = json_stringn_nocheck(clean, n);
	free(clean);
	return json_check(v);
}

static json_t *
strings_of(char *const *list, size_t n)
{
	json_t *a = json_check(json_array());

	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, string_of(list[i])) == -1)
			fatalx("%s: out of memory", __func__);
	return a;
}

char *
plan_spec_encode(const struct plan_spec *spec)
{
	json_t *obj = json_check(json_object());
	char *s;

	if (json_object_set_new(obj, "run", strings_of(spec->run,
	    spec->nrun)) == -1 || json_object_set_new(obj, "env",
	    strings_of(spec->env, spec->nenv)) == -1 || (spec->timeout_s != 0 &&
	    json_object_set_new(obj, "timeout",
	    json_check(json_integer(spec->timeout_s))) == -1))
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

/*
 * A JSON array of strings into *out (n of them), each passing valid:
 * 0, or -1 with nothing kept.  An absent array is none.
 */
static int
decode_strings(const json_t *a, size_t min, size_t max,
    int (*valid)(const char *), char ***out, size_t *n)
{
	const char *s;
	size_t len;

	*out = NULL;
	*n = 0;
	if (a == NULL)
		return min == 0 ? 0 : -1;
	if (!json_is_array(a) || json_array_size(a) < min ||
	    json_array_size(a) > max)
		return -1;
	len = json_array_size(a);
	for (size_t i = 0; i < len; i++) {
		s = json_string_value(json_array_get(a, i));
		if (s == NULL || !valid(s))
			return -1;
	}
	*out = xcalloc(len + 1, sizeof **out);
	for (size_t i = 0; i < len; i++)
		(*out)[(*n)++] = xstrdup(json_string_value(json_array_get(a,
		    i)));
	return 0;
}

static int
command_valid(const char *s)
{
	return s[0] != '\0';
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
		    strcmp(key, "timeout") != 0)
			goto out;
	if ((timeout = json_object_get(root, "timeout")) != NULL) {
		if (!json_is_integer(timeout))
			goto out;
		t = json_integer_value(timeout);
		if (t < 0 || t > PLAN_MAX_TIMEOUT_S)
			goto out;
	}
	if (decode_strings(json_object_get(root, "run"), 1, PLAN_MAX_RUN,
	    command_valid, &spec->run, &spec->nrun) == -1 ||
	    decode_strings(json_object_get(root, "env"), 0, SIZE_MAX,
	    env_valid, &spec->env, &spec->nenv) == -1)
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
	for (size_t i = 0; i < spec->nrun; i++)
		free(spec->run[i]);
	free(spec->run);
	for (size_t i = 0; i < spec->nenv; i++)
		free(spec->env[i]);
	free(spec->env);
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

/* SPDX-License-Identifier: MIT */
/*
 * plan_json.c - the pieces a plan's JSON is built of and read back with
 * (plan_int.h), shared by the spec and plan (plan_spec.c) and a job's
 * artifacts, cache and secrets (plan_keep.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plan_int.h"
#include "util.h"

json_t *
plan_json_check(json_t *v)
{
	if (v == NULL)
		fatalx("jansson: out of memory");
	return v;
}

/* jansson refuses bad UTF-8: a plan's strings are good, others mended. */
json_t *
plan_json_string(const char *s)
{
	json_t *v;
	char *clean;
	size_t n;

	if ((v = json_string(s)) != NULL)
		return v;
	clean = utf8_sanitize(s, strlen(s), &n);
	v = json_stringn_nocheck(clean, n);
	free(clean);
	return plan_json_check(v);
}

json_t *
plan_json_strings(char *const *list, size_t n)
{
	json_t *a = plan_json_check(json_array());

	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, plan_json_string(list[i])) == -1)
			fatalx("%s: out of memory", __func__);
	return a;
}

/*
 * A JSON array of strings into *out (n of them), each passing valid:
 * 0, or -1 with nothing kept.  An absent array is none.
 */
int
plan_json_decode_strings(const json_t *a, size_t min, size_t max,
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

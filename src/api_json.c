/* SPDX-License-Identifier: MIT */
/*
 * api_json.c - the small pieces every JSON answer is built of (api.h):
 * checked allocation, strings made UTF-8, unknown numbers as null.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "util.h"

/* jansson fails only when out of memory. */
json_t *
api_check(json_t *v)
{
	if (v == NULL)
		fatalx("jansson: out of memory");
	return v;
}

void
api_set(json_t *obj, const char *key, json_t *v)
{
	if (json_object_set_new(obj, key, api_check(v)) == -1)
		fatalx("jansson: unable to set '%s'", key);
}

/* A string, or null; bytes that are not UTF-8 become U+FFFD. */
json_t *
api_string(const char *s)
{
	json_t *v;
	char *clean;

	if (s == NULL)
		return json_null();
	if ((v = json_string(s)) != NULL)
		return v;
	clean = utf8_sanitize(s, strlen(s), NULL);
	v = json_string(clean);
	free(clean);
	return v;
}

/* A number, or null when unknown (negative). */
json_t *
api_known(int64_t n)
{
	return n < 0 ? json_null() : json_integer(n);
}

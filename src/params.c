/* SPDX-License-Identifier: MIT */
/*
 * params.c - a manual run's parameters checked (params.h): names that
 * cannot change how the runner, the shell or the dynamic linker behave,
 * values of bounded UTF-8, and their JSON object as the store keeps it.
 * The dispatcher checks them when they come and the runner again before
 * they reach a test's environment: a parameter refused there fails its
 * job rather than being passed or dropped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "params.h"
#include "util.h"

/* How much of a refused name a message quotes. */
#define PARAMS_QUOTE 48

/*
 * Names the runner sets or the system relies on, and those that make a
 * shell or an interpreter run code of their own before the test's: a
 * parameter is data for the test, never a way to change what runs.
 */
static const char *const params_reserved[] = {
	"PATH", "HOME", "USER", "SHELL", "PWD", "TMPDIR", "LANG", "IFS", "CI",
	"ENV", "SHELLOPTS", "PS4", "PROMPT_COMMAND", "CDPATH", "GLOBIGNORE",
	"GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS",
	"PERL5OPT", "PERL5LIB", "PERLLIB", "RUBYOPT", "RUBYLIB",
	"NODE_OPTIONS", "NODE_PATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
	"JDK_JAVA_OPTIONS", "CLASSPATH", NULL
};
/*
 * Prefixes of the same: ssci's own, the dynamic linker's, git's, bash's
 * (BASH_ENV, BASH_FUNC_*), Python's (PYTHONPATH, PYTHONSTARTUP), glibc's
 * MALLOC_*.
 */
static const char *const params_reserved_prefix[] = {
	"SSCI_", "LD_", "GIT_", "BASH", "PYTHON", "MALLOC_", "LC_", NULL
};

/* Fill why; -1.  The name is quoted with anything unprintable as '?'. */
static int __attribute__((format(printf, 4, 5)))
params_refuse(char *why, size_t size, const char *name, const char *fmt, ...)
{
	char quoted[PARAMS_QUOTE + 4], rest[200];
	size_t i;
	va_list ap;

	for (i = 0; name[i] != '\0' && i < PARAMS_QUOTE; i++)
		quoted[i] = (unsigned char)name[i] < 0x20 ||
		    (unsigned char)name[i] >= 0x7f ? '?' : name[i];
	if (name[i] != '\0') {
		memcpy(quoted + i, "...", 3);
		i += 3;
	}
	quoted[i] = '\0';
	va_start(ap, fmt);
	vsnprintf(rest, sizeof rest, fmt, ap);
	va_end(ap);
	snprintf(why, size, "parameter '%s' %s", quoted, rest);
	return -1;
}

int
params_name_check(const char *name, char *why, size_t size)
{
	size_t len = strlen(name);

	if (len == 0)
		return params_refuse(why, size, name, "has no name");
	if (len > PARAMS_MAX_NAME)
		return params_refuse(why, size, name, "has a name longer than "
		    "%d characters", PARAMS_MAX_NAME);
	if ((name[0] >= '0' && name[0] <= '9') || strspn(name,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
	    != len)
		return params_refuse(why, size, name, "is not a variable name: "
		    "letters, digits and '_', not starting with a digit");
	for (const char *const *r = params_reserved; *r != NULL; r++) {
		if (strcmp(name, *r) == 0)
			return params_refuse(why, size, name, "is reserved: "
			    "the runner or the system sets it");
	}
	for (const char *const *p = params_reserved_prefix; *p != NULL; p++) {
		if (strncmp(name, *p, strlen(*p)) == 0)
			return params_refuse(why, size, name, "is reserved: "
			    "no parameter may start with %s", *p);
	}
	return 0;
}

int
params_value_check(const char *name, const char *value, size_t len,
    char *why, size_t size)
{
	if (len > PARAMS_MAX_VALUE)
		return params_refuse(why, size, name, "has a value longer "
		    "than %d bytes", PARAMS_MAX_VALUE);
	if (memchr(value, '\0', len) != NULL)
		return params_refuse(why, size, name, "has a NUL byte in its "
		    "value");
	if (!utf8_valid(value, len))
		return params_refuse(why, size, name, "has a value that is "
		    "not UTF-8");
	return 0;
}

/* Every member of obj checked: 0, or -1 and why. */
static int
params_check_object(json_t *obj, char *why, size_t size)
{
	const char *name;
	json_t *v;

	if (!json_is_object(obj)) {
		snprintf(why, size, "parameters must be a JSON object of "
		    "NAME: VALUE strings");
		return -1;
	}
	if (json_object_size(obj) > PARAMS_MAX) {
		snprintf(why, size, "%zu parameters: at most %d are allowed",
		    json_object_size(obj), PARAMS_MAX);
		return -1;
	}
	json_object_foreach(obj, name, v) {
		if (params_name_check(name, why, size) == -1)
			return -1;
		if (!json_is_string(v))
			return params_refuse(why, size, name, "must have a "
			    "string for its value");
		if (params_value_check(name, json_string_value(v),
		    json_string_length(v), why, size) == -1)
			return -1;
	}
	return 0;
}

int
params_encode(json_t *obj, char **out, char *why, size_t size)
{
	*out = NULL;
	if (params_check_object(obj, why, size) == -1)
		return -1;
	if (json_object_size(obj) == 0)
		return 0;
	*out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (*out == NULL)
		fatalx("%s: out of memory", __func__);
	return 0;
}

int
params_from_pairs(char *const *pairs, size_t n, char **out, char *why,
    size_t size)
{
	json_t *obj;
	char *name;
	const char *eq;
	int rc = 0;

	*out = NULL;
	if ((obj = json_object()) == NULL)
		fatalx("%s: out of memory", __func__);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if ((eq = strchr(pairs[i], '=')) == NULL) {
			rc = params_refuse(why, size, pairs[i], "is not "
			    "NAME=VALUE");
			break;
		}
		name = xstrndup(pairs[i], (size_t)(eq - pairs[i]));
		if (params_name_check(name, why, size) == -1 ||
		    params_value_check(name, eq + 1, strlen(eq + 1), why,
		    size) == -1)
			rc = -1;
		else if (json_object_get(obj, name) != NULL)
			rc = params_refuse(why, size, name, "is given twice");
		else if (json_object_set_new(obj, name,
		    json_stringn(eq + 1, strlen(eq + 1))) == -1)
			fatalx("%s: out of memory", __func__);
		free(name);
	}
	if (rc == 0)
		rc = params_encode(obj, out, why, size);
	json_decref(obj);
	return rc;
}

int
params_env(const char *text, char ***env, size_t *n, char *why, size_t size)
{
	json_error_t jerr;
	const char *name;
	json_t *obj, *v;

	*env = NULL;
	*n = 0;
	obj = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	    &jerr);
	if (obj == NULL) {
		snprintf(why, size, "parameters are not JSON: %s", jerr.text);
		return -1;
	}
	if (params_check_object(obj, why, size) == -1) {
		json_decref(obj);
		return -1;
	}
	*env = xcalloc(json_object_size(obj) + 1, sizeof **env);
	json_object_foreach(obj, name, v)
		xasprintf(&(*env)[(*n)++], "%s=%s", name,
		    json_string_value(v));
	json_decref(obj);
	return 0;
}

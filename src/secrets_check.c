/* SPDX-License-Identifier: MIT */
/*
 * secrets_check.c - which secrets may pass (secrets.h): names that
 * cannot change how the runner, a shell or an interpreter behaves, values
 * long enough to mask, branch globs, and whether a job's branch is given
 * a secret.  The client, the protocol's parser, the store and the
 * dispatcher ask the same questions here.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "secrets.h"
#include "util.h"

/* How much of a refused name or glob a message quotes. */
#define SECRET_QUOTE 48

/* A word quoted for a message: escaped, cut. */
static void
secret_quote(const char *s, char *out, size_t size)
{
	log_escape_cut(s, strlen(s), SECRET_QUOTE, out, size);
}

int
secret_name_check(const char *name, char *why, size_t size)
{
	size_t len = strlen(name);
	char quoted[SECRET_QUOTE * 6 + 8], pwhy[200];

	secret_quote(name, quoted, sizeof quoted);
	if (len == 0) {
		snprintf(why, size, "a secret needs a name");
		return -1;
	}
	if (len > SECRET_MAX_NAME) {
		snprintf(why, size, "secret '%s' has a name longer than %d "
		    "characters", quoted, SECRET_MAX_NAME);
		return -1;
	}
	if ((name[0] >= '0' && name[0] <= '9') ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len) {
		snprintf(why, size, "secret '%s' is not a name of capital "
		    "letters, digits and '_', not starting with a digit",
		    quoted);
		return -1;
	}
	/* What a manual run's parameter may not be, a secret may not be. */
	if (params_name_check(name, pwhy, sizeof pwhy) == -1) {
		snprintf(why, size, "secret '%s' is a name the runner, the "
		    "system, a shell or an interpreter relies on", quoted);
		return -1;
	}
	return 0;
}

int
secret_name_valid(const char *name)
{
	char why[200];

	return secret_name_check(name, why, sizeof why) == 0;
}

int
secret_value_check(const char *value, size_t len, char *why, size_t size)
{
	if (len < SECRET_MIN_VALUE) {
		snprintf(why, size, "a secret's value must be at least %d "
		    "bytes: a shorter one would mask too much of a log",
		    SECRET_MIN_VALUE);
		return -1;
	}
	if (len > SECRET_MAX_VALUE) {
		snprintf(why, size, "a secret's value may be at most %d bytes",
		    SECRET_MAX_VALUE);
		return -1;
	}
	if (memchr(value, '\0', len) != NULL) {
		snprintf(why, size, "a secret's value may not hold a NUL byte");
		return -1;
	}
	if (!utf8_valid(value, len)) {
		snprintf(why, size, "a secret's value must be UTF-8 text");
		return -1;
	}
	return 0;
}

/* One glob of len bytes at g: 0, or -1 and why. */
static int
secret_glob_check(const char *g, size_t len, char *why, size_t size)
{
	char *copy = xstrndup(g, len), quoted[SECRET_QUOTE * 6 + 8];
	int rc = 0;

	secret_quote(copy, quoted, sizeof quoted);
	if (len > SECRET_MAX_GLOB) {
		snprintf(why, size, "branch glob '%s' is longer than %d "
		    "characters", quoted, SECRET_MAX_GLOB);
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < len; i++) {
		if ((unsigned char)g[i] < 0x20 || g[i] == 0x7f) {
			snprintf(why, size, "branch glob '%s' holds a control "
			    "character", quoted);
			rc = -1;
		}
	}
	if (rc == 0 && !utf8_valid(g, len)) {
		snprintf(why, size, "branch glob '%s' is not UTF-8", quoted);
		rc = -1;
	}
	free(copy);
	return rc;
}

#define SECRET_SEPARATORS " \t\n\r,"

int
secret_branches_normalize(const char *in, char **out, char *why, size_t size)
{
	char *joined = NULL;
	size_t len, n = 0;

	*out = NULL;
	for (const char *p = in != NULL ? in : ""; *p != '\0'; p += len) {
		p += strspn(p, SECRET_SEPARATORS);
		if ((len = strcspn(p, SECRET_SEPARATORS)) == 0)
			break;
		if (++n > SECRET_MAX_GLOBS) {
			snprintf(why, size, "a secret takes at most %d branch "
			    "globs", SECRET_MAX_GLOBS);
			free(joined);
			return -1;
		}
		if (secret_glob_check(p, len, why, size) == -1) {
			free(joined);
			return -1;
		}
		xappendf(&joined, "%s%.*s", joined != NULL ? " " : "",
		    (int)len, p);
	}
	*out = joined != NULL ? joined : xstrdup("");
	return 0;
}

int
secret_branches_valid(const char *globs)
{
	char why[200], *norm;
	int ok;

	if (secret_branches_normalize(globs, &norm, why, sizeof why) == -1)
		return 0;
	ok = strcmp(norm, globs) == 0;
	free(norm);
	return ok;
}

int
secret_branch_allowed(const char *globs, const char *branch)
{
	int pr = branch != NULL && strncmp(branch, "pr/", 3) == 0;
	char *copy, *glob, *save = NULL;
	int allowed = 0;

	if (globs == NULL || globs[0] == '\0')
		return branch == NULL || !pr;
	if (branch == NULL)
		return 0;
	copy = xstrdup(globs);
	for (glob = strtok_r(copy, " ", &save); glob != NULL && !allowed;
	    glob = strtok_r(NULL, " ", &save)) {
		/* A pull request's code is whoever opened it: only a glob
		 * that names pull requests gives it a secret. */
		if (pr && strncmp(glob, "pr/", 3) != 0)
			continue;
		allowed = fnmatch(glob, branch, 0) == 0;
	}
	free(copy);
	return allowed;
}

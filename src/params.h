/* SPDX-License-Identifier: MIT */
/*
 * params.h - a manual run's parameters (docs/QUEUE.md): NAME=VALUE pairs
 * that a person gives "ssci run", POST /api/run or a branch's Run form,
 * that the store keeps with the pipeline as a JSON object and that the
 * runner sets in its test's environment.  The one place that says which
 * names and values may pass: the client, the dispatcher (through the
 * protocol's parser) and the runner all check with these.
 *
 * A name is [A-Za-z_][A-Za-z0-9_]*, at most PARAMS_MAX_NAME bytes, and
 * none the runner or the system relies on: not SSCI_*, LD_*, GIT_*, nor
 * PATH, HOME, USER, SHELL, PWD, TMPDIR, LANG, IFS or CI.  A value is
 * valid UTF-8 of at most PARAMS_MAX_VALUE bytes without NUL.  At most
 * PARAMS_MAX of them.  Every refusal fills why with a sentence naming the
 * parameter (control characters in it shown as '?').
 */
#ifndef SSCI_PARAMS_H
#define SSCI_PARAMS_H

#include <stddef.h>

#define PARAMS_MAX 32
#define PARAMS_MAX_NAME 64
#define PARAMS_MAX_VALUE 4096

struct json_t;

/* Whether name may be a parameter's: 0, or -1 and why. */
int params_name_check(const char *name, char *why, size_t size);
/* Whether value (len bytes) may be name's value: 0, or -1 and why. */
int params_value_check(const char *name, const char *value, size_t len,
    char *why, size_t size);

/*
 * A JSON object of parameters checked whole and written as the store
 * keeps it: compact, keys sorted.  0 and *out (malloc'd; NULL for an
 * empty object), or -1 and why.
 */
int params_encode(struct json_t *obj, char **out, char *why, size_t size);
/*
 * The same from "NAME=VALUE" words (a name given twice is refused).
 * 0 and *out (NULL for none), or -1 and why.
 */
int params_from_pairs(char *const *pairs, size_t n, char **out, char *why,
    size_t size);
/*
 * The JSON text a runner was sent (any JSON, unchecked) as "NAME=VALUE"
 * strings, each checked again: 0 and *env (NULL-ended, malloc'd, free
 * with strv_free) and *n, or -1 and why.
 */
int params_env(const char *text, char ***env, size_t *n, char *why,
    size_t size);

#endif

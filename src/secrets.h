/* SPDX-License-Identifier: MIT */
/*
 * secrets.h - a repository's secrets (docs/SECURITY.md): values kept by
 * the dispatcher, sealed in its store, set with "ssci secret", the
 * protocol's secret_* messages or PUT /api/secrets, and given to the
 * jobs that ask for them as environment variables.
 *
 * secrets_check.c says which names, values and branch globs may pass and
 * which branches a secret is given to (the client, the protocol's parser,
 * the store and the dispatcher all ask it); secrets.c is the dispatcher's
 * part: the changes both doors make, the list they answer, and what a job
 * is given.
 *
 * A name is [A-Z_][A-Z0-9_]*, at most SECRET_MAX_NAME bytes, and none a
 * manual run's parameter may not be either (params.h: PATH, SSCI_*,
 * LD_*, ...).  A value is UTF-8 of SECRET_MIN_VALUE to SECRET_MAX_VALUE
 * bytes without NUL: a shorter one would mask too much of a job's log.
 * Branches are up to SECRET_MAX_GLOBS fnmatch globs (main, v[0-9]*, ...),
 * kept joined by one space.  With none, every branch but a pull
 * request's (pr/N, as forges' webhooks name them) is given the secret; a
 * pull request's branch is given it only by a glob that starts with
 * "pr/", so that "*" alone never hands a secret to code from a fork.
 */
#ifndef SSCI_SECRETS_H
#define SSCI_SECRETS_H

#include <stddef.h>

#define SECRET_MAX_NAME 64
#define SECRET_MIN_VALUE 4
#define SECRET_MAX_VALUE 65536
#define SECRET_MAX_GLOBS 32
#define SECRET_MAX_GLOB 255

/* secrets_check.c.  Each refusal fills why with a sentence. */
/* Whether name may be a secret's: 0, or -1 and why (the name quoted). */
int secret_name_check(const char *name, char *why, size_t size);
/* The same as a yes or no, for the protocol's table. */
int secret_name_valid(const char *name);
/* Whether len bytes may be a secret's value: 0, or -1 and why (never
 * quoting it). */
int secret_value_check(const char *value, size_t len, char *why,
    size_t size);
/*
 * Globs separated by blanks or commas, checked and joined by one space
 * ("" for none: the default rule): 0 and *out (malloc'd), or -1 and why.
 */
int secret_branches_normalize(const char *in, char **out, char *why,
    size_t size);
/* Whether globs (as normalized) pass, for the protocol's table. */
int secret_branches_valid(const char *globs);
/* Whether a job on branch (NULL: none) is given a secret of globs. */
int secret_branch_allowed(const char *globs, const char *branch);

/* secrets.c: the dispatcher's part. */
struct store;
struct json_t;

/*
 * A change asked through either door; code and why say why it was
 * refused: "bad_field" (a name, value or glob), "no_such_secret" (a
 * removal), "store".
 */
struct secret_change {
	const char *repo;
	const char *name;
	const char *value;	/* set: len bytes */
	size_t len;
	const char *branches;	/* set: NULL or "" for the default rule */
	const char *who;	/* "a client at ADDR", "the web, from IP" */
	const char *code;
	char why[300];
};

/* Set a secret, logging its name, repository and who (never its value). */
int secrets_set(struct store *store, struct secret_change *c);
/* Remove one: 0, or -1 with code and why. */
int secrets_remove(struct store *store, struct secret_change *c);
/*
 * A repository's secrets as {"secrets":[{"name","branches",
 * "updated_ms","updated_by"}]}, names only; NULL if the store failed.
 */
struct json_t *secrets_list_json(struct store *store, const char *repo);

/*
 * What a job of repo on branch (NULL: none) that asks for names[0..n-1]
 * is given: *env the "NAME=value" of each secret that exists and whose
 * branches take the branch (a name asked twice given once), and *missing
 * a sentence for each other, for the job's log: "no secret 'X'", "secret
 * 'X' is not given to branch 'pr/3'" (or "to jobs without a branch"),
 * "secret 'X' cannot be read on the dispatcher".  Both arrays are
 * malloc'd and NULL-terminated (free *env with secrets_env_free, which
 * wipes the values, and *missing with strv_free).  0, or -1 if the store
 * failed (nothing is given then; worth trying again).
 */
int secrets_for_job(struct store *store, const char *repo, const char *branch,
    char *const *names, size_t n, char ***env, size_t *nenv, char ***missing,
    size_t *nmissing);
/* Wipe and free what secrets_for_job gave in *env. */
void secrets_env_free(char **env, size_t n);

#endif

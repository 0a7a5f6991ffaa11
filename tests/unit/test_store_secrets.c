/* SPDX-License-Identifier: MIT */
/*
 * test_store_secrets.c - secrets in the SQLite store and on the
 * dispatcher (secrets.h): set, replaced, listed by name, removed; sealed
 * at rest under STATE/secrets.key (made 0600; the database's bytes never
 * hold a value; another key, or a value moved to another row, does not
 * open); names, values and branch globs checked; and what a job of a
 * branch is given, with a sentence for each secret it is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "unit_stderr.h"
#include "unit_store.h"
#include "secrets.h"
#include "store.h"
#include "util.h"

#define A "/srv/git/a.git"
#define B "https://git.example.com/b.git"
#define VALUE "s3cr3t-PLAIN-value-0123456789"

UNIT_STORE_FIXTURE("secrets")

struct listed {
	char names[8][80];
	char branches[8][80];
	char by[8][80];
	int n;
};

static int
collect(const struct secret_info *s, void *arg)
{
	struct listed *l = arg;

	assert_true(l->n < 8);
	snprintf(l->names[l->n], sizeof l->names[0], "%s", s->name);
	snprintf(l->branches[l->n], sizeof l->branches[0], "%s", s->branches);
	snprintf(l->by[l->n], sizeof l->by[0], "%s",
	    s->updated_by != NULL ? s->updated_by : "-");
	assert_true(s->updated_ms > 0);
	l->n++;
	return 0;
}

static void
set(struct unit_store *u, const char *repo, const char *name,
    const char *value, const char *branches)
{
	assert_int_equal(store_secret_set(u->store, repo, name, value,
	    strlen(value), branches, "a test"), 0);
}

static void
test_set_list_replace_remove(void **state)
{
	struct unit_store *u = *state;
	struct listed l = { .n = 0 };
	char *value = NULL, *globs = NULL;
	size_t len = 0;

	set(u, A, "PYPI_TOKEN", VALUE, "");
	set(u, A, "DEPLOY_KEY", "-----BEGIN KEY-----\nabc\n", "main");
	set(u, B, "PYPI_TOKEN", "another-one", "");
	assert_int_equal(store_secrets_list(u->store, A, collect, &l), 2);
	assert_string_equal(l.names[0], "DEPLOY_KEY");
	assert_string_equal(l.branches[0], "main");
	assert_string_equal(l.names[1], "PYPI_TOKEN");
	assert_string_equal(l.branches[1], "");
	assert_string_equal(l.by[1], "a test");

	/* Set again: replaced, not added. */
	set(u, A, "PYPI_TOKEN", "the-new-value", "main release/*");
	l.n = 0;
	assert_int_equal(store_secrets_list(u->store, A, collect, &l), 2);
	assert_string_equal(l.branches[1], "main release/*");
	assert_int_equal(store_secret_get(u->store, A, "PYPI_TOKEN", &value,
	    &len, &globs), 1);
	assert_string_equal(value, "the-new-value");
	assert_int_equal(len, strlen("the-new-value"));
	assert_string_equal(globs, "main release/*");
	free(value);
	free(globs);
	/* Newlines and all: a key file's value comes back whole. */
	assert_int_equal(store_secret_get(u->store, A, "DEPLOY_KEY", &value,
	    &len, &globs), 1);
	assert_string_equal(value, "-----BEGIN KEY-----\nabc\n");
	free(value);
	free(globs);

	assert_int_equal(store_secret_remove(u->store, A, "PYPI_TOKEN"), 0);
	assert_int_equal(store_secret_remove(u->store, A, "PYPI_TOKEN"), 1);
	assert_int_equal(store_secret_get(u->store, A, "PYPI_TOKEN", &value,
	    &len, &globs), 0);
	/* The other repository's is its own. */
	assert_int_equal(store_secret_get(u->store, B, "PYPI_TOKEN", &value,
	    &len, &globs), 1);
	assert_string_equal(value, "another-one");
	free(value);
	free(globs);
	l.n = 0;
	assert_int_equal(store_secrets_list(u->store, "/srv/git/none.git",
	    collect, &l), 0);
}

/* Whether the file at path holds needle anywhere. */
static int
file_holds(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	size_t n = strlen(needle), len;
	char *data;
	int found = 0;

	if (f == NULL)
		return 0;
	data = malloc(64 * 1024 * 1024);
	assert_non_null(data);
	len = fread(data, 1, 64 * 1024 * 1024, f);
	fclose(f);
	for (size_t i = 0; i + n <= len && !found; i++)
		found = memcmp(data + i, needle, n) == 0;
	free(data);
	return found;
}

static void
test_sealed_at_rest(void **state)
{
	struct unit_store *u = *state;
	char db[400], wal[400], key[400];
	struct stat st;

	set(u, A, "PYPI_TOKEN", VALUE, "");
	snprintf(db, sizeof db, "%s/ssci.db", u->state);
	snprintf(wal, sizeof wal, "%s/ssci.db-wal", u->state);
	snprintf(key, sizeof key, "%s/secrets.key", u->state);
	/* Neither the database nor its log holds the value, while open... */
	assert_false(file_holds(db, VALUE));
	assert_false(file_holds(wal, VALUE));
	assert_true(file_holds(db, "PYPI_TOKEN") || file_holds(wal,
	    "PYPI_TOKEN"));
	/* ... nor once closed (the log checkpointed into the file). */
	store_close(u->store);
	u->store = NULL;
	assert_false(file_holds(db, VALUE));
	assert_false(file_holds(wal, VALUE));
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st.st_mode & 0777, 0600);
	u->store = store_open(u->state);
	assert_non_null(u->store);
}

/* Replace the key file with other random bytes. */
static void
other_key(struct unit_store *u)
{
	char key[400];
	unsigned char bytes[32];
	FILE *r = fopen("/dev/urandom", "rb");
	int fd;

	assert_non_null(r);
	assert_int_equal(fread(bytes, 1, sizeof bytes, r), sizeof bytes);
	fclose(r);
	snprintf(key, sizeof key, "%s/secrets.key", u->state);
	unlink(key);
	fd = open(key, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, sizeof bytes), sizeof bytes);
	close(fd);
}

static void
test_another_key_does_not_open(void **state)
{
	struct unit_store *u = *state;
	struct unit_stderr err;
	char *value = NULL, *globs = NULL, **env, **missing;
	char *names[] = { "PYPI_TOKEN" };
	size_t len, nenv, nmissing;
	const char *said;
	int rc;

	set(u, A, "PYPI_TOKEN", VALUE, "");
	store_close(u->store);
	other_key(u);
	u->store = store_open(u->state);
	assert_non_null(u->store);
	unit_stderr_catch(&err);
	rc = store_secret_get(u->store, A, "PYPI_TOKEN", &value, &len, &globs);
	said = unit_stderr_release(&err);
	assert_int_equal(rc, -2);
	assert_null(globs);
	assert_non_null(strstr(said, "unable to open secret 'PYPI_TOKEN' of "
	    A ": it was not sealed with the key in"));
	/* A job asking for it is told, and given nothing. */
	unit_stderr_catch(&err);
	rc = secrets_for_job(u->store, A, "main", names, 1, &env, &nenv,
	    &missing, &nmissing);
	unit_stderr_release(&err);
	assert_int_equal(rc, 0);
	assert_int_equal(nenv, 0);
	assert_int_equal(nmissing, 1);
	assert_string_equal(missing[0], "secret 'PYPI_TOKEN' cannot be read "
	    "on the dispatcher (its log says why)");
	secrets_env_free(env, nenv);
	strv_free(missing, nmissing);
	/* Set again, it opens. */
	set(u, A, "PYPI_TOKEN", VALUE, "");
	assert_int_equal(store_secret_get(u->store, A, "PYPI_TOKEN", &value,
	    &len, &globs), 1);
	assert_string_equal(value, VALUE);
	free(value);
	free(globs);
}

/* A sealed value is bound to its repository and name. */
static void
test_moved_value_does_not_open(void **state)
{
	struct unit_store *u = *state;
	struct unit_stderr err;
	char db[400], *value = NULL, *globs = NULL;
	sqlite3 *h;
	size_t len;
	int rc;

	set(u, A, "ONE_TOKEN", "the first value", "");
	set(u, A, "TWO_TOKEN", "the second value", "");
	snprintf(db, sizeof db, "%s/ssci.db", u->state);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	assert_int_equal(sqlite3_exec(h, "UPDATE secrets SET value = (SELECT "
	    "value FROM secrets WHERE name = 'ONE_TOKEN') WHERE name = "
	    "'TWO_TOKEN'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	unit_stderr_catch(&err);
	rc = store_secret_get(u->store, A, "TWO_TOKEN", &value, &len, &globs);
	unit_stderr_release(&err);
	assert_int_equal(rc, -2);
	assert_int_equal(store_secret_get(u->store, A, "ONE_TOKEN", &value,
	    &len, &globs), 1);
	assert_string_equal(value, "the first value");
	free(value);
	free(globs);
}

static void
test_key_file_others_can_read(void **state)
{
	struct unit_store *u = *state;
	struct unit_stderr err;
	char key[400];
	const char *said;
	int rc;

	set(u, A, "PYPI_TOKEN", VALUE, "");
	store_close(u->store);
	snprintf(key, sizeof key, "%s/secrets.key", u->state);
	assert_int_equal(chmod(key, 0644), 0);
	u->store = store_open(u->state);
	unit_stderr_catch(&err);
	rc = store_secret_set(u->store, A, "OTHER_TOKEN", VALUE,
	    strlen(VALUE), "", "a test");
	said = unit_stderr_release(&err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(said, "can read or change it (chmod 600)"));
	assert_non_null(strstr(said, key));
}

static void
test_store_refuses_bad_arguments(void **state)
{
	struct unit_store *u = *state;
	struct unit_stderr err;

	unit_stderr_catch(&err);
	assert_int_equal(store_secret_set(u->store, A, "PATH", VALUE,
	    strlen(VALUE), "", "a test"), -1);
	assert_int_equal(store_secret_set(u->store, A, "lower", VALUE,
	    strlen(VALUE), "", "a test"), -1);
	assert_int_equal(store_secret_set(u->store, A, "SHORT", "abc", 3, "",
	    "a test"), -1);
	assert_int_equal(store_secret_set(u->store, A, "GLOBS", VALUE,
	    strlen(VALUE), "main  x", "a test"), -1);
	assert_int_equal(store_secret_set(u->store, "-x", "GOOD", VALUE,
	    strlen(VALUE), "", "a test"), -1);
	/* The refusals never quote the value. */
	assert_null(strstr(unit_stderr_release(&err), VALUE));
}

static void
test_names_values_globs(void **state)
{
	static const char *const bad[] = { "", "lower", "1ABC", "A-B", "PATH",
	    "SSCI_TOKEN", "LD_PRELOAD", "BASH_ENV", "PYTHONPATH", "HOME",
	    "NODE_OPTIONS", "LC_ALL", "A\nB",
	    "A12345678901234567890123456789012345678901234567890123456789012345",
	    NULL };
	char why[300], *out, big[SECRET_MAX_VALUE + 2];

	(void)state;
	for (const char *const *b = bad; *b != NULL; b++)
		assert_int_equal(secret_name_check(*b, why, sizeof why), -1);
	assert_int_equal(secret_name_check("PATH", why, sizeof why), -1);
	assert_string_equal(why, "secret 'PATH' is a name the runner, the "
	    "system, a shell or an interpreter relies on");
	assert_int_equal(secret_name_check("A\nB", why, sizeof why), -1);
	assert_null(strchr(why, '\n'));
	assert_int_equal(secret_name_check("PYPI_TOKEN", why, sizeof why), 0);
	assert_int_equal(secret_name_check("_X9", why, sizeof why), 0);

	assert_int_equal(secret_value_check("abc", 3, why, sizeof why), -1);
	assert_non_null(strstr(why, "at least 4 bytes"));
	assert_int_equal(secret_value_check("abcd", 4, why, sizeof why), 0);
	assert_int_equal(secret_value_check("ab\0cd", 5, why, sizeof why), -1);
	assert_int_equal(secret_value_check("ab\xff\xfe", 4, why, sizeof why),
	    -1);
	memset(big, 'x', sizeof big);
	assert_int_equal(secret_value_check(big, SECRET_MAX_VALUE, why,
	    sizeof why), 0);
	assert_int_equal(secret_value_check(big, SECRET_MAX_VALUE + 1, why,
	    sizeof why), -1);

	assert_int_equal(secret_branches_normalize(" main,release/*\tv[0-9]* ",
	    &out, why, sizeof why), 0);
	assert_string_equal(out, "main release/* v[0-9]*");
	assert_true(secret_branches_valid(out));
	free(out);
	assert_int_equal(secret_branches_normalize(NULL, &out, why,
	    sizeof why), 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(secret_branches_normalize("main\x01x", &out, why,
	    sizeof why), -1);
	assert_false(secret_branches_valid("main  release"));
	assert_int_equal(secret_branches_normalize("a b c d e f g h i j k l m "
	    "n o p q r s t u v w x y z aa bb cc dd ee ff gg", &out, why,
	    sizeof why), -1);
	assert_non_null(strstr(why, "at most 32"));

	/* The default rule: every branch but a pull request's. */
	assert_true(secret_branch_allowed("", "main"));
	assert_true(secret_branch_allowed("", "feature/x"));
	assert_true(secret_branch_allowed("", NULL));
	assert_false(secret_branch_allowed("", "pr/3"));
	/* Globs: "*" is every branch but a pull request's. */
	assert_true(secret_branch_allowed("main release/*", "release/1.2"));
	assert_false(secret_branch_allowed("main release/*", "feature"));
	assert_false(secret_branch_allowed("main", NULL));
	assert_true(secret_branch_allowed("*", "feature/x"));
	assert_false(secret_branch_allowed("*", "pr/3"));
	assert_false(secret_branch_allowed("[p]r/*", "pr/3"));
	assert_true(secret_branch_allowed("main pr/*", "pr/3"));
	assert_true(secret_branch_allowed("pr/7", "pr/7"));
	assert_false(secret_branch_allowed("pr/7", "pr/8"));
}

static void
test_secrets_for_job(void **state)
{
	struct unit_store *u = *state;
	char *ask[] = { "TOKEN", "DEPLOY", "NOPE", "TOKEN", "PR_TOKEN", "STAR",
	    "lower" };
	char **env, **missing;
	size_t nenv, nmissing;

	set(u, A, "TOKEN", "token-value", "");
	set(u, A, "DEPLOY", "deploy-value", "main release/*");
	set(u, A, "PR_TOKEN", "pr-value", "pr/*");
	set(u, A, "STAR", "star-value", "*");
	set(u, B, "NOPE", "b's own", "");

	assert_int_equal(secrets_for_job(u->store, A, "main", ask, 7, &env,
	    &nenv, &missing, &nmissing), 0);
	assert_int_equal(nenv, 3);
	assert_string_equal(env[0], "TOKEN=token-value");
	assert_string_equal(env[1], "DEPLOY=deploy-value");
	assert_string_equal(env[2], "STAR=star-value");
	assert_null(env[3]);
	assert_int_equal(nmissing, 3);
	assert_string_equal(missing[0], "no secret 'NOPE'");
	assert_string_equal(missing[1], "secret 'PR_TOKEN' is not given to "
	    "branch 'main'");
	assert_string_equal(missing[2], "no secret 'lower'");
	assert_null(missing[3]);
	secrets_env_free(env, nenv);
	strv_free(missing, nmissing);

	/* A pull request: only what a pr/ glob names. */
	assert_int_equal(secrets_for_job(u->store, A, "pr/3", ask, 6, &env,
	    &nenv, &missing, &nmissing), 0);
	assert_int_equal(nenv, 1);
	assert_string_equal(env[0], "PR_TOKEN=pr-value");
	assert_int_equal(nmissing, 4);
	assert_string_equal(missing[0], "secret 'TOKEN' is not given to "
	    "branch 'pr/3'");
	assert_string_equal(missing[1], "secret 'DEPLOY' is not given to "
	    "branch 'pr/3'");
	assert_string_equal(missing[2], "no secret 'NOPE'");
	assert_string_equal(missing[3], "secret 'STAR' is not given to "
	    "branch 'pr/3'");
	secrets_env_free(env, nenv);
	strv_free(missing, nmissing);

	/* No branch: the default rule's, not a glob's. */
	assert_int_equal(secrets_for_job(u->store, A, NULL, ask, 2, &env,
	    &nenv, &missing, &nmissing), 0);
	assert_int_equal(nenv, 1);
	assert_string_equal(env[0], "TOKEN=token-value");
	assert_string_equal(missing[0], "secret 'DEPLOY' is not given to "
	    "jobs without a branch");
	secrets_env_free(env, nenv);
	strv_free(missing, nmissing);

	/* Asking for none gives none. */
	assert_int_equal(secrets_for_job(u->store, A, "main", NULL, 0, &env,
	    &nenv, &missing, &nmissing), 0);
	assert_int_equal(nenv + nmissing, 0);
	assert_null(env[0]);
	secrets_env_free(env, nenv);
	strv_free(missing, nmissing);
}

/* Both doors' changes: checked, logged without the value. */
static void
test_changes_are_logged_without_values(void **state)
{
	struct unit_store *u = *state;
	struct secret_change c = { .repo = A, .name = "PYPI_TOKEN",
	    .value = VALUE, .len = strlen(VALUE), .branches = " main, v1 ",
	    .who = "a client at 127.0.0.1:5" };
	struct unit_stderr err;
	const char *said;
	json_t *list, *s;
	char *dumped;

	unit_stderr_catch(&err);
	assert_int_equal(secrets_set(u->store, &c), 0);
	said = unit_stderr_release(&err);
	assert_non_null(strstr(said, "secret 'PYPI_TOKEN' of " A " set by a "
	    "client at 127.0.0.1:5"));
	assert_null(strstr(said, VALUE));

	list = secrets_list_json(u->store, A);
	assert_non_null(list);
	dumped = json_dumps(list, JSON_COMPACT);
	assert_null(strstr(dumped, VALUE));
	free(dumped);
	s = json_array_get(json_object_get(list, "secrets"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "name")),
	    "PYPI_TOKEN");
	assert_string_equal(json_string_value(json_object_get(s, "branches")),
	    "main v1");
	assert_string_equal(json_string_value(json_object_get(s,
	    "updated_by")), "a client at 127.0.0.1:5");
	assert_true(json_is_integer(json_object_get(s, "updated_ms")));
	json_decref(list);

	/* Refused: a short value, a bad name; neither quotes the value. */
	c.value = "abc";
	c.len = 3;
	assert_int_equal(secrets_set(u->store, &c), -1);
	assert_string_equal(c.code, "bad_field");
	c.value = VALUE;
	c.len = strlen(VALUE);
	c.name = "GIT_DIR";
	assert_int_equal(secrets_set(u->store, &c), -1);
	assert_string_equal(c.code, "bad_field");
	assert_null(strstr(c.why, VALUE));

	c.name = "NO_SUCH";
	assert_int_equal(secrets_remove(u->store, &c), -1);
	assert_string_equal(c.code, "no_such_secret");
	assert_string_equal(c.why, "no secret 'NO_SUCH' of " A);
	c.name = "PYPI_TOKEN";
	unit_stderr_catch(&err);
	assert_int_equal(secrets_remove(u->store, &c), 0);
	said = unit_stderr_release(&err);
	assert_non_null(strstr(said, "secret 'PYPI_TOKEN' of " A " removed "
	    "by a client at 127.0.0.1:5"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_set_list_replace_remove),
		T(test_sealed_at_rest),
		T(test_another_key_does_not_open),
		T(test_moved_value_does_not_open),
		T(test_key_file_others_can_read),
		T(test_store_refuses_bad_arguments),
		T(test_names_values_globs),
		T(test_secrets_for_job),
		T(test_changes_are_logged_without_values),
	};

	log_init("test", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

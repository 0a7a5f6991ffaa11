/* SPDX-License-Identifier: MIT */
/*
 * proto.c - the dispatcher's wire protocol (docs/PROTOCOL.md): parse
 * newline-delimited JSON messages with jansson (proto_encode.c builds
 * them); only these two files know the wire format.  A line comes from a
 * peer we do not trust, so every field is checked for presence, JSON type
 * and range before it reaches a struct proto_msg; the fields of every type
 * are one table, proto_fields, read by one extractor rather than a
 * hand-written parser per type.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "job.h"
#include "params.h"
#include "plan.h"
#include "proto.h"
#include "secrets.h"
#include "util.h"

/*
 * How much of a peer's bad value an error message quotes: enough to
 * recognise it, short enough to fit struct proto_error.
 */
#define PROTO_QUOTE_MAX 48

static const char *const proto_types[] = {
	[PROTO_HELLO] = "hello",
	[PROTO_OK] = "ok",
	[PROTO_ERROR] = "error",
	[PROTO_DISPATCH] = "dispatch",
	[PROTO_STATUS] = "status",
	[PROTO_REGISTER] = "register",
	[PROTO_JOB] = "job",
	[PROTO_ACCEPTED] = "accepted",
	[PROTO_LOG] = "log",
	[PROTO_RESULT] = "result",
	[PROTO_PING] = "ping",
	[PROTO_PONG] = "pong",
	[PROTO_CANCEL] = "cancel",
	[PROTO_JOBS] = "jobs",
	[PROTO_SHOW] = "show",
	[PROTO_TAIL] = "tail",
	[PROTO_RETRY] = "retry",
	[PROTO_PLAN] = "plan",
	[PROTO_TESTS] = "tests",
	[PROTO_JOB_TESTS] = "job_tests",
	[PROTO_QUARANTINE] = "quarantine",
	[PROTO_RUN] = "run",
	[PROTO_SECRET_SET] = "secret_set",
	[PROTO_SECRET_LIST] = "secret_list",
	[PROTO_SECRET_RM] = "secret_rm",
	[PROTO_ARTIFACT] = "artifact",
	[PROTO_ARTIFACT_DATA] = "artifact_data",
	[PROTO_ARTIFACT_END] = "artifact_end",
	[PROTO_ARTIFACT_GET] = "artifact_get",
	[PROTO_ARTIFACTS] = "artifacts",
};
#define PROTO_NTYPES (sizeof proto_types / sizeof proto_types[0])

static const char *const proto_roles[] = {
	[PROTO_ROLE_RUNNER] = "runner",
	[PROTO_ROLE_OBSERVER] = "observer",
	[PROTO_ROLE_CLIENT] = "client",
};
#define PROTO_NROLES (sizeof proto_roles / sizeof proto_roles[0])

/* What a field holds on the wire and where it goes in struct proto_msg. */
enum field_kind {
	F_STRING,	/* char *, checked by valid if set */
	F_INT,		/* int within [min, max], def if absent */
	F_INT64,	/* int64_t within [min, max], def if absent */
	F_BOOL,		/* int, 0 or 1 */
	F_VERSION,	/* int, must be PROTO_VERSION */
	F_ROLE,		/* enum proto_role */
	F_COMMIT,	/* char[65]: normalized hex, or "bad_commit" */
	F_STATE,	/* state and has_state; min 1 asks for a final one */
	F_DATA,		/* data and data_len, at most max bytes */
	F_LABELS,	/* array of strings checked by valid (labels, nlabels),
			   at most max */
	F_RUN,		/* the same, into run and nrun */
	F_ENV,		/* the same, into env and nenv */
	F_REPORTS,	/* the same, into reports and nreports */
	F_SHARD_TESTS,	/* the same, into shard_tests and nshard_tests */
	F_NOTES,	/* sentences (notes, nnotes), at most max */
	F_SECRETS,	/* "NAME=value" strings (secrets, nsecrets), at most
			   max; a refused one is never quoted */
	F_OBJECT,	/* an object, as compact JSON text in data and
			   data_len, at most max bytes */
	F_TESTS,	/* object of test counts, see proto_test_fields */
	F_IDS,		/* array of job ids (jobs, njobs), at most max */
	F_ATTEMPTS,	/* array of attempts (attempts, nattempts), at most max */
	F_PREFIX,	/* char[65]: 4 to 64 hex digits, lower-cased */
	F_RECORDS,	/* array of test records (records, nrecords) */
	F_PRIORITY,	/* "high", "normal" or "low": priority and
			   priority_set */
	F_PARAMS,	/* an object of parameters checked by params_encode,
			   as its text (char *) */
	F_JSON,		/* any JSON value, as compact text (char *), at
			   most max bytes: checked by whoever reads it */
};

static const json_type field_json[] = {
	[F_STRING] = JSON_STRING,
	[F_INT] = JSON_INTEGER,
	[F_INT64] = JSON_INTEGER,
	[F_BOOL] = JSON_TRUE,	/* either boolean */
	[F_VERSION] = JSON_INTEGER,
	[F_ROLE] = JSON_STRING,
	[F_COMMIT] = JSON_STRING,
	[F_STATE] = JSON_STRING,
	[F_DATA] = JSON_STRING,
	[F_LABELS] = JSON_ARRAY,
	[F_RUN] = JSON_ARRAY,
	[F_ENV] = JSON_ARRAY,
	[F_SHARD_TESTS] = JSON_ARRAY,
	[F_SECRETS] = JSON_ARRAY,
	[F_NOTES] = JSON_ARRAY,
	[F_REPORTS] = JSON_ARRAY,
	[F_OBJECT] = JSON_OBJECT,
	[F_TESTS] = JSON_OBJECT,
	[F_IDS] = JSON_ARRAY,
	[F_ATTEMPTS] = JSON_ARRAY,
	[F_PREFIX] = JSON_STRING,
	[F_RECORDS] = JSON_ARRAY,
	[F_PRIORITY] = JSON_STRING,
	[F_PARAMS] = JSON_OBJECT,
	[F_JSON] = JSON_NULL,	/* any: not checked */
};

struct proto_field {
	enum proto_type	  type;
	const char	 *key;
	enum field_kind	  kind;
	int		  required;
	int64_t		  min;
	int64_t		  max;
	int64_t		  def;
	size_t		  off;
	int		(*valid)(const char *);
};

static int	text_valid(const char *);
static int	command_valid(const char *);
static int	job_name_valid(const char *);
static int	env_valid(const char *);
static int	test_name_valid(const char *);
static int	trigger_valid(const char *);

static int sha256_valid(const char *s);

/* A sentence for a job's log: printable, at most 1000 bytes. */
static int
note_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 1000 || !utf8_valid(s, len))
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

#define M(f) offsetof(struct proto_msg, f)
#define REQ 1
#define OPT 0
#define ID(t) { t, "id", F_INT64, REQ, 1, INT64_MAX, 0, M(job), NULL }

/*
 * The fields of each type, in the order they are checked: version comes
 * before role because a newer peer may use a role we do not know, and
 * "bad_version" is the more useful answer.  Unknown fields are ignored so
 * that a newer peer can add some.  Types without fields have no entry.
 */
static const struct proto_field proto_fields[] = {
	{ PROTO_HELLO, "version", F_VERSION, REQ, 0, 0, 0, M(version), NULL },
	{ PROTO_HELLO, "role", F_ROLE, REQ, 0, 0, 0, M(role), NULL },
	{ PROTO_HELLO, "token", F_STRING, OPT, 0, 0, 0, M(token), NULL },

	{ PROTO_OK, "job", F_INT64, OPT, 1, INT64_MAX, 0, M(job), NULL },
	{ PROTO_OK, "state", F_STATE, OPT, 0, 0, 0, M(state), NULL },
	{ PROTO_OK, "existing", F_BOOL, OPT, 0, 0, 0, M(existing), NULL },

	{ PROTO_ERROR, "code", F_STRING, REQ, 0, 0, 0, M(code), NULL },
	{ PROTO_ERROR, "message", F_STRING, REQ, 0, 0, 0, M(message), NULL },

	{ PROTO_DISPATCH, "repo", F_STRING, REQ, 0, 0, 0, M(repo),
	    repo_url_valid },
	{ PROTO_DISPATCH, "commit", F_COMMIT, REQ, 0, 0, 0, M(commit), NULL },
	{ PROTO_DISPATCH, "branch", F_STRING, OPT, 0, 0, 0, M(branch),
	    branch_name_valid },
	{ PROTO_DISPATCH, "rebuild", F_BOOL, OPT, 0, 0, 0, M(rebuild), NULL },
	{ PROTO_DISPATCH, "subject", F_STRING, OPT, 0, 0, 0, M(subject),
	    text_valid },
	{ PROTO_DISPATCH, "author", F_STRING, OPT, 0, 0, 0, M(author),
	    text_valid },
	{ PROTO_DISPATCH, "trigger", F_STRING, OPT, 0, 0, 0, M(trigger),
	    trigger_valid },
	{ PROTO_DISPATCH, "priority", F_PRIORITY, OPT, 0, 0, 0, M(priority),
	    NULL },

	{ PROTO_RUN, "repo", F_STRING, REQ, 0, 0, 0, M(repo), repo_url_valid },
	{ PROTO_RUN, "branch", F_STRING, REQ, 0, 0, 0, M(branch),
	    branch_name_valid },
	{ PROTO_RUN, "params", F_PARAMS, OPT, 0, 0, 0, M(params), NULL },

	{ PROTO_JOBS, "repo", F_STRING, OPT, 0, 0, 0, M(repo), repo_url_valid },
	{ PROTO_JOBS, "branch", F_STRING, OPT, 0, 0, 0, M(branch),
	    branch_name_valid },
	{ PROTO_JOBS, "state", F_STATE, OPT, 0, 0, 0, M(state), NULL },
	{ PROTO_JOBS, "limit", F_INT, OPT, 1, 1000, 20, M(limit), NULL },
	{ PROTO_JOBS, "before", F_INT64, OPT, 1, INT64_MAX, 0, M(before),
	    NULL },

	{ PROTO_SHOW, "id", F_INT64, OPT, 1, INT64_MAX, 0, M(job), NULL },
	{ PROTO_SHOW, "commit", F_PREFIX, OPT, 0, 0, 0, M(commit), NULL },
	{ PROTO_TAIL, "id", F_INT64, OPT, 1, INT64_MAX, 0, M(job), NULL },
	{ PROTO_TAIL, "commit", F_PREFIX, OPT, 0, 0, 0, M(commit), NULL },
	{ PROTO_TAIL, "offset", F_INT64, OPT, 0, INT64_MAX, 0, M(offset),
	    NULL },
	ID(PROTO_RETRY),

	{ PROTO_REGISTER, "name", F_STRING, REQ, 0, 0, 0, M(name),
	    name_valid },
	{ PROTO_REGISTER, "slots", F_INT, OPT, 1, PROTO_MAX_SLOTS, 1,
	    M(slots), NULL },
	{ PROTO_REGISTER, "labels", F_LABELS, OPT, 0, PROTO_MAX_LABELS, 0,
	    M(labels), name_valid },
	{ PROTO_REGISTER, "jobs", F_IDS, OPT, 0, PROTO_MAX_SLOTS, 0, M(jobs),
	    NULL },
	{ PROTO_REGISTER, "ahead", F_BOOL, OPT, 0, 0, 0, M(ahead), NULL },
	{ PROTO_REGISTER, "attempts", F_ATTEMPTS, OPT, 0, PROTO_MAX_SLOTS, 0,
	    M(attempts), NULL },

	ID(PROTO_JOB),
	{ PROTO_JOB, "repo", F_STRING, REQ, 0, 0, 0, M(repo),
	    repo_url_valid },
	{ PROTO_JOB, "commit", F_COMMIT, REQ, 0, 0, 0, M(commit), NULL },
	{ PROTO_JOB, "branch", F_STRING, OPT, 0, 0, 0, M(branch),
	    branch_name_valid },
	{ PROTO_JOB, "timeout", F_INT, OPT, 0, INT_MAX, 0, M(timeout), NULL },
	{ PROTO_JOB, "attempt", F_INT, OPT, 1, INT_MAX, 1, M(attempt), NULL },
	{ PROTO_JOB, "name", F_STRING, OPT, 0, 0, 0, M(name), job_name_valid },
	{ PROTO_JOB, "run", F_RUN, OPT, 0, PLAN_MAX_RUN, 0, M(run),
	    command_valid },
	{ PROTO_JOB, "env", F_ENV, OPT, 0, PLAN_MAX_JOB_ENV, 0, M(env),
	    env_valid },
	{ PROTO_JOB, "reports", F_REPORTS, OPT, 0, PLAN_MAX_REPORTS, 0,
	    M(reports), plan_report_valid },
	{ PROTO_JOB, "tests", F_SHARD_TESTS, OPT, 0, PLAN_MAX_LISTED, 0,
	    M(shard_tests), plan_test_id_valid },
	{ PROTO_JOB, "plan", F_BOOL, OPT, 0, 0, 0, M(plan), NULL },
	{ PROTO_JOB, "params", F_JSON, OPT, 0, PROTO_MAX_LINE, 0, M(params),
	    NULL },
	{ PROTO_JOB, "keep", F_JSON, OPT, 0, PROTO_MAX_LINE, 0, M(keep),
	    NULL },
	{ PROTO_JOB, "secrets", F_SECRETS, OPT, 0, PLAN_MAX_SECRETS, 0,
	    M(secrets), NULL },
	{ PROTO_JOB, "secret_notes", F_NOTES, OPT, 0, PLAN_MAX_SECRETS, 0,
	    M(notes), note_valid },
	{ PROTO_JOB, "inputs", F_JSON, OPT, 0, PROTO_MAX_LINE, 0, M(inputs),
	    NULL },
	{ PROTO_JOB, "max_artifact_bytes", F_INT64, OPT, 0, INT64_MAX, 0,
	    M(max_artifact_bytes), NULL },

	ID(PROTO_PLAN),
	{ PROTO_PLAN, "plan", F_OBJECT, REQ, 0, PLAN_MAX_ENCODED, 0, M(data),
	    NULL },

	ID(PROTO_TESTS),
	{ PROTO_TESTS, "attempt", F_INT, REQ, 1, INT_MAX, 0, M(attempt),
	    NULL },
	{ PROTO_TESTS, "first", F_INT64, REQ, 0, TESTREC_MAX_TESTS, 0,
	    M(first), NULL },
	{ PROTO_TESTS, "tests", F_RECORDS, REQ, 0, PROTO_MAX_RECORDS, 0,
	    M(records), NULL },

	ID(PROTO_JOB_TESTS),
	{ PROTO_JOB_TESTS, "failed", F_BOOL, OPT, 0, 0, 0, M(failed_only),
	    NULL },
	{ PROTO_JOB_TESTS, "limit", F_INT, OPT, 1, TEST_RUNS_PAGE_MAX, 1000,
	    M(limit), NULL },

	{ PROTO_QUARANTINE, "repo", F_STRING, OPT, 0, 0, 0, M(repo),
	    repo_url_valid },
	{ PROTO_QUARANTINE, "test", F_STRING, OPT, 0, 0, 0, M(test),
	    test_name_valid },
	{ PROTO_QUARANTINE, "remove", F_BOOL, OPT, 0, 0, 0, M(remove), NULL },

	/* A value is checked by its handler (secrets.c), which never
	 * quotes it as a refused field is quoted here. */
	{ PROTO_SECRET_SET, "repo", F_STRING, REQ, 0, 0, 0, M(repo),
	    repo_url_valid },
	{ PROTO_SECRET_SET, "name", F_STRING, REQ, 0, 0, 0, M(name),
	    secret_name_valid },
	{ PROTO_SECRET_SET, "value", F_STRING, REQ, 0, 0, 0, M(value), NULL },
	{ PROTO_SECRET_SET, "branches", F_STRING, OPT, 0, 0, 0, M(branches),
	    NULL },
	{ PROTO_SECRET_LIST, "repo", F_STRING, REQ, 0, 0, 0, M(repo),
	    repo_url_valid },
	{ PROTO_SECRET_RM, "repo", F_STRING, REQ, 0, 0, 0, M(repo),
	    repo_url_valid },
	{ PROTO_SECRET_RM, "name", F_STRING, REQ, 0, 0, 0, M(name),
	    secret_name_valid },

	ID(PROTO_ARTIFACT),
	{ PROTO_ARTIFACT, "attempt", F_INT, REQ, 1, INT_MAX, 0, M(attempt),
	    NULL },
	{ PROTO_ARTIFACT, "path", F_STRING, REQ, 0, 0, 0, M(path),
	    artifact_path_valid },
	{ PROTO_ARTIFACT, "size", F_INT64, REQ, 0, INT64_MAX, 0, M(size),
	    NULL },
	{ PROTO_ARTIFACT, "mode", F_INT, OPT, 0, 0777, 0644, M(mode), NULL },
	ID(PROTO_ARTIFACT_DATA),
	{ PROTO_ARTIFACT_DATA, "len", F_INT64, REQ, 1, PROTO_MAX_FRAME, 0,
	    M(frame_len), NULL },
	ID(PROTO_ARTIFACT_END),
	{ PROTO_ARTIFACT_END, "sha256", F_STRING, REQ, 0, 0, 0, M(sha256),
	    sha256_valid },
	ID(PROTO_ARTIFACT_GET),
	{ PROTO_ARTIFACT_GET, "path", F_STRING, REQ, 0, 0, 0, M(path),
	    artifact_path_valid },
	ID(PROTO_ARTIFACTS),

	ID(PROTO_ACCEPTED),
	ID(PROTO_CANCEL),

	ID(PROTO_LOG),
	{ PROTO_LOG, "data", F_DATA, REQ, 0, PROTO_MAX_LOG_CHUNK, 0, M(data),
	    NULL },

	ID(PROTO_RESULT),
	{ PROTO_RESULT, "status", F_STATE, REQ, 1, 0, 0, M(state), NULL },
	{ PROTO_RESULT, "exit_code", F_INT, OPT, INT_MIN, INT_MAX, -1,
	    M(exit_code), NULL },
	{ PROTO_RESULT, "duration_ms", F_INT64, OPT, 0, INT64_MAX, -1,
	    M(duration_ms), NULL },
	{ PROTO_RESULT, "tests", F_TESTS, OPT, 0, 0, 0, M(tests), NULL },
	{ PROTO_RESULT, "message", F_STRING, OPT, 0, 0, 0, M(message), NULL },
	{ PROTO_RESULT, "tests_partial", F_BOOL, OPT, 0, 0, 0,
	    M(tests_partial), NULL },
};

const char *
proto_field_name(enum proto_type type, size_t i)
{
	for (size_t k = 0; k < sizeof proto_fields / sizeof proto_fields[0];
	    k++) {
		if (proto_fields[k].type == type && i-- == 0)
			return proto_fields[k].key;
	}
	return NULL;
}

/* Inside a result's "tests" object. */
static const struct proto_field proto_test_fields[] = {
	{ PROTO_RESULT, "run", F_INT, OPT, 0, INT_MAX, -1, M(tests.run),
	    NULL },
	{ PROTO_RESULT, "failed", F_INT, OPT, 0, INT_MAX, -1, M(tests.failed),
	    NULL },
	{ PROTO_RESULT, "skipped", F_INT, OPT, 0, INT_MAX, -1,
	    M(tests.skipped), NULL },
};

#define nitems(a) (sizeof (a) / sizeof (a)[0])

const char *
proto_type_name(enum proto_type type)
{
	if ((unsigned)type >= PROTO_NTYPES)
		return "unknown";
	return proto_types[type];
}

const char *
proto_role_name(enum proto_role role)
{
	if ((unsigned)role >= PROTO_NROLES)
		return "unknown";
	return proto_roles[role];
}

/* Index of s in names, or -1. */
static int
name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	}
	return -1;
}

/* At most max bytes, no control characters. */
static int
printable_text(const char *s, size_t max)
{
	if (strlen(s) > max)
		return 0;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	}
	return 1;
}

/* A commit's subject or author. */
static int
text_valid(const char *s)
{
	return printable_text(s, 1024);
}

/* One command of a job's run: the shell's to read, any text but empty. */
static int
command_valid(const char *s)
{
	return *s != '\0' && strlen(s) <= PLAN_MAX_COMMAND;
}

/* A job's name in its pipeline, matrix values and all. */
static int
job_name_valid(const char *s)
{
	return *s != '\0' && printable_text(s, PLAN_MAX_JOB_NAME);
}

/* A test's name as a job's records give it (testrec_key). */
static int
test_name_valid(const char *s)
{
	return *s != '\0' && strlen(s) <= 2 * TESTREC_MAX_NAME + 1;
}

/* What may say it queued a dispatch: the others set their own. */
static int
trigger_valid(const char *s)
{
	return strcmp(s, "hook") == 0 || strcmp(s, "observer") == 0;
}

/* "KEY=VALUE" with a variable name for KEY. */
static int
env_valid(const char *s)
{
	size_t key = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_");

	return key > 0 && !(s[0] >= '0' && s[0] <= '9') && s[key] == '=' &&
	    strlen(s) <= PLAN_MAX_COMMAND;
}

/* A runner's name or label: like a repository, but at most 255 bytes. */
/*
 * Fill err and return -1.  The message may quote a peer's bytes and is both
 * logged and sent back in JSON, so anything but printable ASCII becomes '?':
 * that keeps logs clean and the message valid UTF-8 even when cut short.
 */
static int __attribute__((format(printf, 3, 4)))
set_error(struct proto_error *err, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	for (p = err->message; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	}
	return -1;
}

/* Refuse a field's value, quoting (the start of) it. */
static int
bad_value(struct proto_error *err, const char *code, const char *key,
    const char *value)
{
	return set_error(err, code, "field '%s' has an invalid value '%.*s%s'",
	    key, PROTO_QUOTE_MAX, value,
	    strlen(value) > PROTO_QUOTE_MAX ? "..." : "");
}

/* Refuse an integer outside [f->min, f->max]. */
static int
bad_range(struct proto_error *err, const struct proto_field *f)
{
	if (f->max == INT64_MAX)
		return set_error(err, "bad_field",
		    "field '%s' must be at least %lld", f->key,
		    (long long)f->min);
	return set_error(err, "bad_field",
	    "field '%s' must be between %lld and %lld", f->key,
	    (long long)f->min, (long long)f->max);
}

static int	get_fields(json_t *, enum proto_type,
		    const struct proto_field *, size_t, struct proto_msg *,
		    struct proto_error *);

/* An array of at most f->max strings, each checked by f->valid. */
static int
get_strings(json_t *v, const struct proto_field *f, char ***out, size_t *n,
    struct proto_error *err)
{
	json_t		*item;
	const char	*s;
	size_t		 i;

	if (json_array_size(v) > (size_t)f->max)
		return set_error(err, "bad_field", "field '%s' holds more "
		    "than %lld %s", f->key, (long long)f->max,
		    f->kind == F_LABELS ? "labels" : "strings");
	json_array_foreach(v, i, item) {
		if (!json_is_string(item))
			return set_error(err, "bad_field",
			    "field '%s' must hold strings", f->key);
		s = json_string_value(item);
		if (strlen(s) != json_string_length(item) || !f->valid(s))
			return bad_value(err, "bad_field", f->key, s);
	}
	*out = xcalloc(json_array_size(v) + 1, sizeof **out);
	json_array_foreach(v, i, item)
		(*out)[(*n)++] = xstrdup(json_string_value(item));
	return 0;
}

static int
sha256_valid(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* "NAME=value" of a secret; an error never quotes the value. */
static int
get_secrets(json_t *v, const struct proto_field *f, struct proto_msg *msg,
    struct proto_error *err)
{
	json_t		*item;
	const char	*s, *eq;
	char		 name[PLAN_MAX_NAME + 1];
	size_t		 i, len;

	if (json_array_size(v) > (size_t)f->max)
		return set_error(err, "bad_field", "field '%s' holds more "
		    "than %lld secrets", f->key, (long long)f->max);
	json_array_foreach(v, i, item) {
		s = json_string_value(item);
		eq = s != NULL ? strchr(s, '=') : NULL;
		len = eq != NULL ? (size_t)(eq - s) : 0;
		if (len > 0 && len <= PLAN_MAX_NAME) {
			memcpy(name, s, len);
			name[len] = '\0';
		}
		if (eq == NULL || len == 0 || len > PLAN_MAX_NAME ||
		    !plan_secret_name_valid(name) || eq[1] == '\0' ||
		    strlen(s) != json_string_length(item))
			return set_error(err, "bad_field", "field '%s' holds a "
			    "string that is no NAME=value", f->key);
	}
	msg->secrets = xcalloc(json_array_size(v) + 1, sizeof *msg->secrets);
	json_array_foreach(v, i, item)
		msg->secrets[msg->nsecrets++] = xstrdup(json_string_value(item));
	return 0;
}

/*
 * Check and store one field of obj as f says.  Returns 0, or -1 with err
 * filled if it is missing but required, of the wrong JSON type or invalid.
 */
static int
get_value(json_t *obj, const struct proto_field *f, struct proto_msg *msg,
    struct proto_error *err)
{
	static const char *const what[] = {
		[JSON_OBJECT] = "an object",
		[JSON_ARRAY] = "an array",
		[JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer",
		[JSON_TRUE] = "a boolean",
	};
	json_type	 want = field_json[f->kind];
	char		*p = (char *)msg + f->off;
	json_t		*v, *item;
	const char	*s;
	json_int_t	 n;
	size_t		 i;
	int		 role;

	if ((v = json_object_get(obj, f->key)) == NULL) {
		if (f->required)
			return set_error(err, "bad_field",
			    "missing field '%s'", f->key);
		if (f->kind == F_INT)
			*(int *)p = (int)f->def;
		else if (f->kind == F_INT64)
			*(int64_t *)p = f->def;
		return 0;
	}
	if (f->kind != F_JSON && (want == JSON_TRUE ? !json_is_boolean(v) :
	    json_typeof(v) != want))
		return set_error(err, "bad_field", "field '%s' must be %s",
		    f->key, what[want]);
	s = json_string_value(v);	/* NULL unless a string */
	n = json_integer_value(v);	/* 0 unless an integer */

	switch (f->kind) {
	case F_STRING:
		if (f->valid != NULL && !f->valid(s))
			return bad_value(err, "bad_field", f->key, s);
		*(char **)p = xstrdup(s);
		return 0;
	case F_INT:
	case F_INT64:
		if (n < f->min || n > f->max)
			return bad_range(err, f);
		if (f->kind == F_INT)
			*(int *)p = (int)n;
		else
			*(int64_t *)p = n;
		return 0;
	case F_BOOL:
		*(int *)p = json_is_true(v);
		return 0;
	case F_VERSION:
		if (n != PROTO_VERSION)
			return set_error(err, "bad_version",
			    "protocol version %lld is not supported (want %d)",
			    (long long)n, PROTO_VERSION);
		*(int *)p = PROTO_VERSION;
		return 0;
	case F_ROLE:
		if ((role = name_index(proto_roles, PROTO_NROLES, s)) == -1)
			return bad_value(err, "bad_field", f->key, s);
		*(enum proto_role *)p = (enum proto_role)role;
		return 0;
	case F_COMMIT:
		/* It ends up on git's command line: only hex gets through. */
		if (commit_id_normalize(s, p) == -1)
			return bad_value(err, "bad_commit", f->key, s);
		return 0;
	case F_STATE:
		if (job_state_parse(s, &msg->state) == -1 ||
		    (f->min && !job_state_final(msg->state)))
			return bad_value(err, "bad_field", f->key, s);
		msg->has_state = 1;
		return 0;
	case F_DATA:
		if (json_string_length(v) > (size_t)f->max)
			return set_error(err, "bad_field",
			    "field '%s' is longer than %lld bytes", f->key,
			    (long long)f->max);
		msg->data_len = json_string_length(v);
		msg->data = xmalloc(msg->data_len + 1);
		memcpy(msg->data, s, msg->data_len + 1);
		return 0;
	case F_LABELS:
		return get_strings(v, f, &msg->labels, &msg->nlabels, err);
	case F_RUN:
		return get_strings(v, f, &msg->run, &msg->nrun, err);
	case F_ENV:
		return get_strings(v, f, &msg->env, &msg->nenv, err);
	case F_REPORTS:
		return get_strings(v, f, &msg->reports, &msg->nreports, err);
	case F_SHARD_TESTS:
		return get_strings(v, f, &msg->shard_tests, &msg->nshard_tests,
		    err);
	case F_SECRETS:
		return get_secrets(v, f, msg, err);
	case F_NOTES:
		return get_strings(v, f, &msg->notes, &msg->nnotes, err);
	case F_OBJECT:
		msg->data = json_dumps(v, JSON_COMPACT);
		if (msg->data == NULL)
			fatalx("%s: out of memory", __func__);
		msg->data_len = strlen(msg->data);
		if (msg->data_len > (size_t)f->max)
			return set_error(err, "bad_field", "field '%s' is longer "
			    "than %lld bytes", f->key, (long long)f->max);
		return 0;
	case F_PRIORITY:
		if (job_priority_parse(s, &msg->priority) == -1)
			return set_error(err, "bad_field", "field '%s' must be "
			    "high, normal or low, not '%.*s%s'", f->key,
			    PROTO_QUOTE_MAX, s,
			    strlen(s) > PROTO_QUOTE_MAX ? "..." : "");
		msg->priority_set = 1;
		return 0;
	case F_PARAMS: {
		char why[200];

		if (params_encode(v, (char **)p, why, sizeof why) == -1)
			return set_error(err, "bad_field", "field '%s': %s",
			    f->key, why);
		return 0;
	}
	case F_JSON:
		*(char **)p = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (*(char **)p == NULL)
			fatalx("%s: out of memory", __func__);
		if (strlen(*(char **)p) > (size_t)f->max)
			return set_error(err, "bad_field", "field '%s' is longer "
			    "than %lld bytes", f->key, (long long)f->max);
		return 0;
	case F_TESTS:
		return get_fields(v, PROTO_RESULT, proto_test_fields,
		    nitems(proto_test_fields), msg, err);
	case F_PREFIX:
		if (strlen(s) < 4 || strlen(s) > 64 ||
		    strspn(s, "0123456789abcdefABCDEF") != strlen(s))
			return bad_value(err, "bad_commit", f->key, s);
		for (i = 0; s[i] != '\0'; i++)
			p[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ?
			    s[i] - 'A' + 'a' : s[i]);
		p[i] = '\0';
		return 0;
	case F_RECORDS: {
		char why[160];

		if (proto_records_get(v, (size_t)f->max, &msg->records,
		    &msg->nrecords, why, sizeof why) == -1)
			return set_error(err, "bad_field", "%s", why);
		return 0;
	}
	case F_IDS:
		if (json_array_size(v) > (size_t)f->max)
			return set_error(err, "bad_field",
			    "field '%s' holds more than %lld ids", f->key,
			    (long long)f->max);
		msg->jobs = xcalloc(json_array_size(v), sizeof *msg->jobs);
		json_array_foreach(v, i, item) {
			if (!json_is_integer(item) ||
			    json_integer_value(item) < 1)
				return set_error(err, "bad_field",
				    "field '%s' must hold job ids", f->key);
			msg->jobs[msg->njobs++] = json_integer_value(item);
		}
		return 0;
	case F_ATTEMPTS:
		if (json_array_size(v) > (size_t)f->max)
			return set_error(err, "bad_field",
			    "field '%s' holds more than %lld attempts", f->key,
			    (long long)f->max);
		msg->attempts = xcalloc(json_array_size(v),
		    sizeof *msg->attempts);
		json_array_foreach(v, i, item) {
			if (!json_is_integer(item) ||
			    json_integer_value(item) < 1 ||
			    json_integer_value(item) > INT_MAX)
				return set_error(err, "bad_field",
				    "field '%s' must hold attempts", f->key);
			msg->attempts[msg->nattempts++] =
			    (int)json_integer_value(item);
		}
		return 0;
	}
	return 0;
}

/* Check and store every field of type listed in fields. */
static int
get_fields(json_t *obj, enum proto_type type,
    const struct proto_field *fields, size_t nfields, struct proto_msg *msg,
    struct proto_error *err)
{
	for (size_t i = 0; i < nfields; i++) {
		if (fields[i].type == type &&
		    get_value(obj, &fields[i], msg, err) == -1)
			return -1;
	}
	return 0;
}

#define LOG_PREFIX "{\"type\":\"log\",\"id\":"
#define LOG_DATA ",\"data\":\""

/* The value of hex digit c, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at s; -1 if they are not. */
static long
hex4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(s[i]);

		if (h == -1)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * Decode the JSON string body at s (after its opening quote) into out;
 * *used is how many input bytes up to and including the closing quote.
 * Returns the decoded length, or -1 for anything unusual (left to the
 * general parser to judge).
 */
static long
json_unescape(const char *s, size_t avail, char *out, size_t *used)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
	size_t i = 0, o = 0;
	const char *e;
	long cp, lo;

	while (i < avail && s[i] != '"') {
		/* Plain text, most of a log line, is copied in runs. */
		size_t run = json_plain_len(s + i, avail - i, 0);

		if (run > 0) {
			memcpy(out + o, s + i, run);
			o += run;
			i += run;
			continue;
		}
		if ((unsigned char)s[i] < 0x20)
			return -1;
		/* What is left is an escape. */
		if (i + 1 >= avail)
			return -1;
		if (s[i + 1] != 'u') {
			if ((e = strchr(esc_in, s[i + 1])) == NULL || s[i + 1] == 0)
				return -1;
			out[o++] = esc_out[e - esc_in];
			i += 2;
			continue;
		}
		if (i + 6 > avail || (cp = hex4(s + i + 2)) <= 0)
			return -1;
		i += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 6 > avail || s[i] != '\\' || s[i + 1] != 'u' ||
			    (lo = hex4(s + i + 2)) < 0xdc00 || lo > 0xdfff)
				return -1;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		} else if (cp >= 0xdc00 && cp <= 0xdfff)
			return -1;
		if (cp < 0x80)
			out[o++] = (char)cp;
		else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | (cp >> 6));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xe0 | (cp >> 12));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | (cp >> 18));
			out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	if (i >= avail)
		return -1;
	*used = i + 1;
	return (long)o;
}

/*
 * Output chunks are most of what a dispatcher reads: a line exactly as
 * proto_encode_log writes it is taken apart here without building a JSON
 * tree.  Returns 1 with msg filled, or 0 to leave the line to the general
 * parser (which then accepts or refuses it as it would anyway).
 */
static int
proto_parse_log_fast(const char *line, size_t len, struct proto_msg *msg)
{
	size_t plen = sizeof LOG_PREFIX - 1, dlen = sizeof LOG_DATA - 1;
	size_t i = plen, used;
	int64_t id = 0;
	long n;

	if (len < plen || memcmp(line, LOG_PREFIX, plen) != 0)
		return 0;
	if (i >= len || line[i] < '1' || line[i] > '9')
		return 0;
	for (; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		if (id > (INT64_MAX - 9) / 10)
			return 0;
		id = id * 10 + (line[i] - '0');
	}
	if (len - i < dlen || memcmp(line + i, LOG_DATA, dlen) != 0)
		return 0;
	i += dlen;
	msg->data = xmalloc(len - i + 1);
	n = json_unescape(line + i, len - i, msg->data, &used);
	if (n < 0 || (size_t)n > PROTO_MAX_LOG_CHUNK || i + used + 1 != len ||
	    line[i + used] != '}' || !utf8_valid(msg->data, (size_t)n)) {
		free(msg->data);
		msg->data = NULL;
		return 0;
	}
	msg->data[n] = '\0';
	msg->data_len = (size_t)n;
	msg->type = PROTO_LOG;
	msg->job = id;
	return 1;
}

int
proto_parse(const char *line, size_t len, struct proto_msg *msg,
    struct proto_error *err)
{
	if (len <= PROTO_MAX_LINE) {
		memset(msg, 0, sizeof *msg);
		msg->exit_code = -1;
		msg->duration_ms = -1;
		msg->tests.run = msg->tests.failed = msg->tests.skipped = -1;
		err->type = -1;
		if (proto_parse_log_fast(line, len, msg))
			return 0;
	}
	return proto_parse_general(line, len, msg, err);
}

int
proto_parse_general(const char *line, size_t len, struct proto_msg *msg,
    struct proto_error *err)
{
	json_t		*root = NULL, *v;
	json_error_t	 jerr;
	const char	*type;
	int		 i;

	memset(msg, 0, sizeof *msg);
	err->type = -1;
	msg->exit_code = -1;
	msg->duration_ms = -1;
	msg->tests.run = msg->tests.failed = msg->tests.skipped = -1;

	if (len > PROTO_MAX_LINE) {
		set_error(err, "too_long", "line is longer than %d bytes",
		    PROTO_MAX_LINE);
		goto fail;
	}
	/*
	 * jansson refuses "\u0000" unless given JSON_ALLOW_NUL (there is no
	 * JSON_DISALLOW_NUL), so every string is a plain C string.  It also
	 * refuses invalid UTF-8 and nesting deeper than 2048.
	 */
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		set_error(err, "bad_json", "invalid JSON at column %d: %s",
		    jerr.column, jerr.text);
		goto fail;
	}
	if (!json_is_object(root)) {
		set_error(err, "bad_json", "message is not a JSON object");
		goto fail;
	}
	if ((v = json_object_get(root, "type")) == NULL ||
	    (type = json_string_value(v)) == NULL) {
		set_error(err, "unknown_type", "%s", v == NULL ?
		    "missing field 'type'" : "field 'type' must be a string");
		goto fail;
	}
	if ((i = name_index(proto_types, PROTO_NTYPES, type)) == -1) {
		bad_value(err, "unknown_type", "type", type);
		goto fail;
	}
	msg->type = (enum proto_type)i;
	err->type = i;
	if (get_fields(root, msg->type, proto_fields, nitems(proto_fields),
	    msg, err) == -1)
		goto fail;
	if ((msg->type == PROTO_SHOW || msg->type == PROTO_TAIL) &&
	    msg->job == 0 && msg->commit[0] == '\0') {
		set_error(err, "bad_field", "field 'id' or 'commit' is needed");
		goto fail;
	}
	if (msg->type == PROTO_OK)
		msg->raw = xstrndup(line, len);
	json_decref(root);
	return 0;

fail:
	json_decref(root);
	proto_msg_release(msg);
	return -1;
}

void
proto_msg_release(struct proto_msg *msg)
{
	free(msg->token);
	free(msg->code);
	free(msg->message);
	free(msg->repo);
	free(msg->branch);
	free(msg->name);
	free(msg->data);
	free(msg->jobs);
	free(msg->attempts);
	strv_free(msg->labels, msg->nlabels);
	strv_free(msg->run, msg->nrun);
	strv_free(msg->env, msg->nenv);
	strv_free(msg->reports, msg->nreports);
	strv_free(msg->shard_tests, msg->nshard_tests);
	free(msg->subject);
	free(msg->author);
	proto_records_free(msg->records, msg->nrecords);
	free(msg->test);
	free(msg->trigger);
	free(msg->params);
	if (msg->value != NULL)
		explicit_bzero(msg->value, strlen(msg->value));
	free(msg->value);
	free(msg->branches);
	free(msg->keep);
	strv_free(msg->notes, msg->nnotes);
	free(msg->path);
	free(msg->sha256);
	free(msg->inputs);
	/* Gone from memory, not only freed. */
	for (size_t i = 0; i < msg->nsecrets; i++)
		explicit_bzero(msg->secrets[i], strlen(msg->secrets[i]));
	strv_free(msg->secrets, msg->nsecrets);
	free(msg->raw);
	memset(msg, 0, sizeof *msg);
}

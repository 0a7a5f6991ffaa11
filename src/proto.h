/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the dispatcher's wire protocol: newline-delimited JSON, one
 * object per line, described in docs/PROTOCOL.md.  Only proto.c and
 * proto_encode.c know the format; everyone else sees struct proto_msg and the proto_encode_* functions.
 *
 * Receiving: split the stream into lines (at most PROTO_MAX_LINE bytes, not
 * counting the '\n'), call proto_parse on each.  It validates the type and
 * every field the type needs and fills a struct proto_msg whose strings are
 * owned by it; release it with proto_msg_release.
 *
 * Sending: each proto_encode_* returns a malloc'd NUL-terminated line
 * ending in '\n' and stores its length (with the '\n') in *len unless len
 * is NULL.
 */
#ifndef SSCI_PROTO_H
#define SSCI_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "testrec.h"

#define PROTO_VERSION 1
#define PROTO_MAX_LINE (1024 * 1024)
#define PROTO_MAX_LOG_CHUNK (64 * 1024)
/*
 * A log line: its data escaped (at worst "\u00XX", 6 bytes a byte), its
 * keys, an id of up to 20 characters and the '\n'.  Within PROTO_MAX_LINE.
 */
#define PROTO_MAX_LOG_LINE (6 * PROTO_MAX_LOG_CHUNK + 64)
#define PROTO_MAX_SLOTS 1024
#define PROTO_MAX_LABELS 64
/* Test records in one tests message. */
#define PROTO_MAX_RECORDS 1000
/* Raw bytes after an artifact_data line. */
#define PROTO_MAX_FRAME (256 * 1024)

enum proto_type {
	PROTO_HELLO,
	PROTO_OK,
	PROTO_ERROR,
	PROTO_DISPATCH,
	PROTO_STATUS,
	PROTO_REGISTER,
	PROTO_JOB,
	PROTO_ACCEPTED,
	PROTO_LOG,
	PROTO_RESULT,
	PROTO_PING,
	PROTO_PONG,
	PROTO_CANCEL,
	PROTO_JOBS,
	PROTO_SHOW,
	PROTO_TAIL,
	PROTO_RETRY,
	PROTO_PLAN,
	PROTO_TESTS,
	PROTO_JOB_TESTS,
	PROTO_QUARANTINE,
	PROTO_RUN,
	PROTO_SECRET_SET,
	PROTO_SECRET_LIST,
	PROTO_SECRET_RM,
	PROTO_ARTIFACT,
	PROTO_ARTIFACT_DATA,
	PROTO_ARTIFACT_END,
	PROTO_ARTIFACT_GET,
	PROTO_ARTIFACTS,
};

enum proto_role {
	PROTO_ROLE_RUNNER,
	PROTO_ROLE_OBSERVER,
	PROTO_ROLE_CLIENT,
};

/*
 * A parsed message.  Which fields are meaningful depends on type; the
 * others are zero / NULL / -1.  All strings are NUL-terminated and owned.
 *
 *   HELLO     role, version, token (may be NULL)
 *   OK        job (0 if absent), state (valid if has_state), existing,
 *             raw (the whole line, for clients that read more of it)
 *   ERROR     code, message
 *   DISPATCH  repo, commit, branch (may be NULL), rebuild, subject and
 *             author of the commit (may be NULL), trigger ("hook" or
 *             "observer", or NULL), priority if priority_set
 *   STATUS    -
 *   REGISTER  name, slots (default 1), jobs / njobs: the jobs it still
 *             holds from before a reconnect (at most PROTO_MAX_SLOTS),
 *             labels / nlabels: what it offers (at most PROTO_MAX_LABELS)
 *   JOB       job, repo, commit, branch (may be NULL), timeout, attempt,
 *             name (may be NULL), run / nrun and env / nenv: what to run
 *             (none: the runner chooses), reports / nreports: where
 *             its JUnit XML reports are, shard_tests / nshard_tests
 *             ("tests"): a shard's test ids, plan: look for .ssci.yml,
 *             params: its pipeline's parameters as JSON text, unchecked
 *             (the runner checks them: params.h), or NULL; keep: its
 *             artifacts, cache and secrets' names (plan_keep_encode's
 *             text, checked by the runner), secrets / nsecrets: the
 *             "NAME=value" it is given, inputs: the artifacts of the jobs
 *             it needs (JSON, checked by the runner), max_artifact_bytes
 *   ACCEPTED  job
 *   LOG       job, data / data_len (UTF-8, data_len <= PROTO_MAX_LOG_CHUNK)
 *   RESULT    job, state (passed|failed|error|timeout|cancelled),
 *             exit_code (-1 if absent), duration_ms, tests, message (may
 *             be NULL: why a job ended as error), tests_partial
 *   PING, PONG -
 *   CANCEL    job
 *   JOBS      repo, branch (may be NULL), state (if has_state), limit
 *             (default 20), before (0 if absent): a client's job list
 *   SHOW      job, or commit (a prefix of 4 to 64 hex digits): one job
 *   TAIL      job or commit, offset: a job and its log from offset
 *   RETRY     job: queue it again
 *   PLAN      job, data / data_len: the plan read from the .ssci.yml at
 *             its commit, as plan_encode's JSON text
 *   TESTS     job, attempt, first, records / nrecords (1 to
 *             PROTO_MAX_RECORDS): a job's per-test results, records
 *             first.. of its attempt
 *   JOB_TESTS job, failed_only, limit (default 1000): a client asks for
 *             a job's tests
 *   QUARANTINE repo, test (NULL: list, of repo or of all with no repo),
 *             remove: a client quarantines a test, lets it out, or lists
 *   RUN       repo, branch, params (checked by params_encode: compact
 *             JSON, keys sorted, or NULL for none): a manual run of the
 *             branch's tip
 *   SECRET_SET repo, name (secrets.h's rule), value (unchecked: its
 *             handler checks it without quoting it), branches (may be
 *             NULL; unchecked)
 *   SECRET_LIST repo
 *   SECRET_RM repo, name
 */
struct proto_msg {
	enum proto_type type;
	enum proto_role role;
	int version;
	char *token;
	char *code;
	char *message;
	int64_t job;
	int has_state;
	enum job_state state;
	int existing;
	char *repo;
	char commit[65];
	char *branch;
	int rebuild;
	char *name;
	int slots;
	int ahead;		/* register: it takes jobs ahead of its slots */
	int64_t *jobs;
	size_t njobs;
	int *attempts;		/* register: each held job's attempt */
	size_t nattempts;
	char **labels;
	size_t nlabels;
	int timeout;
	int attempt;
	char *data;
	size_t data_len;
	int exit_code;
	int64_t duration_ms;
	struct job_tests tests;
	char *subject;
	char *author;
	int limit;
	int64_t before;
	int64_t offset;
	char **run;
	size_t nrun;
	char **env;
	size_t nenv;
	char **reports;
	size_t nreports;
	char **shard_tests;
	size_t nshard_tests;
	int plan;
	struct test_record *records;
	size_t nrecords;
	int64_t first;
	int failed_only;
	int tests_partial;
	char *test;
	int remove;
	char *trigger;
	int priority;		/* enum job_priority */
	int priority_set;
	char *params;
	char *value;		/* SECRET_SET (wiped on release) */
	char *branches;		/* SECRET_SET, or NULL */
	char *keep;		/* JOB: plan_keep_encode's text, or NULL */
	char **secrets;		/* JOB: "NAME=value" */
	size_t nsecrets;
	char *inputs;		/* JOB: its needs' artifacts (JSON), or NULL */
	char **notes;		/* JOB: why secrets it asked for are not
				 * given, sentences */
	size_t nnotes;
	char *path;		/* ARTIFACT, ARTIFACT_GET: relative path */
	int64_t size;		/* ARTIFACT: bytes to come */
	int mode;		/* ARTIFACT: 0644 or 0755 */
	char *sha256;		/* ARTIFACT_END: 64 lower-case hex digits */
	int64_t frame_len;	/* ARTIFACT_DATA: raw bytes after the line,
				 * read into data / data_len by the reader */
	int64_t max_artifact_bytes;
	char *raw;
};

/* What a job message says of what to run; see PROTO_JOB. */
struct proto_run {
	const char *name;
	char *const *run;
	size_t nrun;
	char *const *env;
	size_t nenv;
	char *const *reports;
	size_t nreports;
	char *const *tests;	/* a shard's test ids */
	size_t ntests;
	int plan;
	const char *params;	/* its pipeline's parameters (JSON), or NULL */
	const struct plan_keep *keep;	/* or NULL */
	char *const *secrets;	/* "NAME=value" of those it may have */
	size_t nsecrets;
	const char *inputs;	/* its needs' artifacts (JSON), or NULL */
	char *const *notes;	/* why secrets are not given */
	size_t nnotes;
	int64_t max_artifact_bytes;	/* 0: none sent */
};

/*
 * Why a line was refused: code is a short constant ("bad_json",
 * "unknown_type", "bad_field", "bad_commit", "bad_version", "too_long"),
 * message a sentence naming the field or value.
 */
struct proto_error {
	const char *code;
	char message[256];
	int type;		/* the message's enum proto_type if known, else -1 */
};

/*
 * Parse one line (without its '\n'; len bytes, need not be NUL-terminated).
 * Returns 0 and fills *msg, or -1 and fills *err (msg is then released).
 */
int proto_parse(const char *line, size_t len, struct proto_msg *msg,
    struct proto_error *err);

/*
 * proto_parse without its shortcut for output lines: every line through
 * jansson.  For tests that compare the two.
 */
int proto_parse_general(const char *line, size_t len, struct proto_msg *msg,
    struct proto_error *err);

/* Free the strings of a parsed message and zero it. */
void proto_msg_release(struct proto_msg *msg);

/* Names on the wire. */
const char *proto_type_name(enum proto_type type);
/*
 * The i-th field (from 0) a message of type may carry, as the parser
 * checks it, or NULL past the last: docs/PROTOCOL.md is tested against it.
 */
const char *proto_field_name(enum proto_type type, size_t i);
const char *proto_role_name(enum proto_role role);

char *proto_encode_hello(enum proto_role role, const char *token, size_t *len);
char *proto_encode_ok(size_t *len);
char *proto_encode_ok_job(int64_t job, enum job_state state, int existing,
    size_t *len);
char *proto_encode_error(const char *code, const char *message, size_t *len);
/* An error line with a formatted message (cut at 511 bytes). */
char *proto_encode_errorf(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *proto_encode_dispatch(const char *repo, const char *commit,
    const char *branch, int rebuild, size_t *len);
/* A dispatch that also names the commit's subject and author. */
char *proto_encode_dispatch_info(const char *repo, const char *commit,
    const char *branch, const char *subject, const char *author, int rebuild,
    size_t *len);
/*
 * What a dispatch says, for proto_encode_dispatch_msg; NULL and 0 leave a
 * field out.
 */
struct proto_dispatch {
	const char *repo;
	const char *commit;
	const char *branch;
	const char *subject;
	const char *author;
	int rebuild;
	const char *trigger;	/* "hook" or "observer" */
	int priority;		/* enum job_priority, sent if priority_set */
	int priority_set;
};
char *proto_encode_dispatch_msg(const struct proto_dispatch *d, size_t *len);
/* A manual run of branch's tip; params is JSON text (params.h) or NULL. */
char *proto_encode_run(const char *repo, const char *branch,
    const char *params, size_t *len);
char *proto_encode_status(size_t *len);
/* ahead: the runner takes jobs ahead of its slots (docs/PROTOCOL.md). */
char *proto_encode_register(const char *name, int slots, int ahead,
    char *const *labels, size_t nlabels, const int64_t *jobs,
    const int *attempts, size_t njobs, size_t *len);
char *proto_encode_job(int64_t job, const char *repo, const char *commit,
    const char *branch, int timeout, int attempt, size_t *len);
/* A job with what to run (run may be NULL: as proto_encode_job). */
char *proto_encode_job_run(int64_t job, const char *repo, const char *commit,
    const char *branch, int timeout, int attempt, const struct proto_run *run,
    size_t *len);
/* A runner's plan for job: plan_encode's JSON (planlen bytes). */
char *proto_encode_plan(int64_t job, const char *plan, size_t planlen,
    size_t *len);
char *proto_encode_accepted(int64_t job, size_t *len);
/*
 * data may hold any bytes; invalid UTF-8 is replaced with U+FFFD.  What
 * would take the data past PROTO_MAX_LOG_CHUNK once replaced is dropped:
 * proto_encode_log_part instead takes only as much of data as fits in max
 * bytes once replaced (4..PROTO_MAX_LOG_CHUNK, else PROTO_MAX_LOG_CHUNK),
 * cut between characters, and says in *used how much (never 0 if datalen
 * is not).  data should not end inside a character, which would be
 * replaced as cut short.  Either line is at most PROTO_MAX_LOG_LINE bytes.
 */
char *proto_encode_log(int64_t job, const char *data, size_t datalen,
    size_t *len);
char *proto_encode_log_part(int64_t job, const char *data, size_t datalen,
    size_t max, size_t *used, size_t *len);
char *proto_encode_result(const struct job_result *result, size_t *len);
char *proto_encode_ping(size_t *len);

/*
 * The ping line, shared and constant: heartbeats to thousands of runners
 * need not build it each time.  And whether a line is exactly the pong
 * proto_encode_pong makes, so the dispatcher can skip parsing it.
 */
const char *proto_ping_line(size_t *len);
int proto_is_pong(const char *line, size_t len);
char *proto_encode_pong(size_t *len);
char *proto_encode_cancel(int64_t job, size_t *len);

/*
 * Artifacts: a file of a job's (then its bytes in artifact_data frames,
 * then artifact_end), a frame's line (datalen raw bytes follow it), a
 * file asked for (frames, then ok with size and sha256), a job's list.
 */
char *proto_encode_artifact(int64_t job, int attempt, const char *path,
    int64_t size, int mode, size_t *len);
char *proto_encode_artifact_data(int64_t job, size_t datalen, size_t *len);
char *proto_encode_artifact_end(int64_t job, const char *sha256,
    size_t *len);
char *proto_encode_artifact_get(int64_t job, const char *path, size_t *len);
char *proto_encode_artifacts(int64_t job, size_t *len);

/* A client's questions; NULL / 0 leave a field out. */
char *proto_encode_jobs(const char *repo, const char *branch,
    const char *state, int limit, int64_t before, size_t *len);
char *proto_encode_show(int64_t job, const char *commit, size_t *len);
char *proto_encode_tail(int64_t job, const char *commit, int64_t offset,
    size_t *len);
char *proto_encode_retry(int64_t job, size_t *len);

/* A client's questions about tests; test NULL lists the quarantined. */
char *proto_encode_job_tests(int64_t job, int failed_only, int limit,
    size_t *len);
char *proto_encode_quarantine(const char *repo, const char *test, int remove,
    size_t *len);

/*
 * A client's secrets: value is valuelen bytes of UTF-8 (left out if it is
 * not); branches may be NULL.
 */
char *proto_encode_secret_set(const char *repo, const char *name,
    const char *value, size_t valuelen, const char *branches, size_t *len);
char *proto_encode_secret_list(const char *repo, size_t *len);
char *proto_encode_secret_rm(const char *repo, const char *name, size_t *len);

/*
 * Records for a tests message, checked (proto_tests.c): 1 to max objects
 * with a name, a status and perhaps suite, file, duration_us and message,
 * each within testrec.h's bounds.  0 and *out (free with
 * proto_records_free), or -1 and a message in err.
 */
struct json_t;
int proto_records_get(struct json_t *array, size_t max,
    struct test_record **out, size_t *n, char *err, size_t errsize);
void proto_records_free(struct test_record *recs, size_t n);

/*
 * A runner's records of a job's attempt, gathered into tests messages,
 * the first holding record first: add while one fits, then take the
 * line (which empties the batch and counts on from where it ended).
 */
struct proto_tests_batch;
struct proto_tests_batch *proto_tests_batch_new(int64_t job, int attempt, int64_t first);
int proto_tests_batch_fits(const struct proto_tests_batch *b,
    const struct test_record *rec);
void proto_tests_batch_add(struct proto_tests_batch *b,
    const struct test_record *rec);
size_t proto_tests_batch_count(const struct proto_tests_batch *b);
char *proto_tests_batch_take(struct proto_tests_batch *b, size_t *len);
void proto_tests_batch_free(struct proto_tests_batch *b);

/*
 * An ok carrying more: the members of fields (a jansson object, whose
 * reference is taken) after "type":"ok".
 */
char *proto_encode_ok_json(struct json_t *fields, size_t *len);

#endif

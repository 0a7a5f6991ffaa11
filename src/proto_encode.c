/* SPDX-License-Identifier: MIT */
/*
 * proto_encode.c - build the protocol's lines (see proto.h): one compact
 * JSON object each, ending in a newline.  Strings that are not valid
 * UTF-8 have the bad bytes replaced rather than the field dropped.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "job.h"
#include "plan.h"
#include "proto.h"
#include "util.h"

/* jansson's constructors fail only when out of memory. */
static json_t *
json_check(json_t *v)
{
	if (v == NULL)
		fatalx("jansson: out of memory");
	return v;
}

static void
set_json(json_t *obj, const char *key, json_t *v)
{
	if (json_object_set_new(obj, key, json_check(v)) == -1)
		fatalx("%s: out of memory", __func__);
}

static void
append_json(json_t *list, json_t *v)
{
	if (json_array_append_new(list, json_check(v)) == -1)
		fatalx("%s: out of memory", __func__);
}

/*
 * Add a string unless it is NULL.  jansson refuses invalid UTF-8, and a
 * field silently dropped would be worse than a replaced byte.
 */
static void
set_string(json_t *obj, const char *key, const char *s)
{
	json_t	*v;
	char	*clean;
	size_t	 n;

	if (s == NULL)
		return;
	if ((v = json_string(s)) == NULL) {
		clean = utf8_sanitize(s, strlen(s), &n);
		v = json_stringn_nocheck(clean, n);
		free(clean);
	}
	set_json(obj, key, v);
}

static void
set_int(json_t *obj, const char *key, int64_t n)
{
	set_json(obj, key, json_integer(n));
}

/* Start a message of the given type; "type" comes first on the wire. */
static json_t *
msg_new(enum proto_type type)
{
	json_t	*obj = json_check(json_object());

	set_string(obj, "type", proto_type_name(type));
	return obj;
}

/* Turn obj into a line ending in '\n' and free it. */
static char *
msg_finish(json_t *obj, size_t *len)
{
	char	*s, *line;
	size_t	 n;

	if ((s = json_dumps(obj, JSON_COMPACT)) == NULL)
		fatalx("%s: out of memory", __func__);
	json_decref(obj);
	n = strlen(s);
	line = xmalloc(n + 2);
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	free(s);
	if (len != NULL)
		*len = n + 1;
	return line;
}

char *
proto_encode_hello(enum proto_role role, const char *token, size_t *len)
{
	json_t	*obj = msg_new(PROTO_HELLO);

	set_string(obj, "role", proto_role_name(role));
	set_int(obj, "version", PROTO_VERSION);
	set_string(obj, "token", token);
	return msg_finish(obj, len);
}

char *
proto_encode_ok(size_t *len)
{
	return msg_finish(msg_new(PROTO_OK), len);
}

char *
proto_encode_ok_job(int64_t job, enum job_state state, int existing,
    size_t *len)
{
	json_t	*obj = msg_new(PROTO_OK);

	set_int(obj, "job", job);
	set_string(obj, "state", job_state_name(state));
	set_json(obj, "existing", json_boolean(existing));
	return msg_finish(obj, len);
}

char *
proto_encode_error(const char *code, const char *message, size_t *len)
{
	json_t	*obj = msg_new(PROTO_ERROR);

	set_string(obj, "code", code != NULL ? code : "");
	set_string(obj, "message", message != NULL ? message : "");
	return msg_finish(obj, len);
}

char *
proto_encode_errorf(const char *code, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	return proto_encode_error(code, message, NULL);
}

char *
proto_encode_dispatch(const char *repo, const char *commit,
    const char *branch, int rebuild, size_t *len)
{
	return proto_encode_dispatch_info(repo, commit, branch, NULL, NULL,
	    rebuild, len);
}

char *
proto_encode_dispatch_info(const char *repo, const char *commit,
    const char *branch, const char *subject, const char *author, int rebuild,
    size_t *len)
{
	struct proto_dispatch d = {
		.repo = repo, .commit = commit, .branch = branch,
		.subject = subject, .author = author, .rebuild = rebuild,
	};

	return proto_encode_dispatch_msg(&d, len);
}

char *
proto_encode_dispatch_msg(const struct proto_dispatch *d, size_t *len)
{
	json_t	*obj = msg_new(PROTO_DISPATCH);

	set_string(obj, "repo", d->repo);
	set_string(obj, "commit", d->commit);
	set_string(obj, "branch", d->branch);
	set_string(obj, "subject", d->subject);
	set_string(obj, "author", d->author);
	if (d->rebuild)
		set_json(obj, "rebuild", json_true());
	set_string(obj, "trigger", d->trigger);
	if (d->priority_set)
		set_string(obj, "priority", job_priority_name(d->priority));
	return msg_finish(obj, len);
}

/*
 * Parameters as an object.  Text that is no JSON (a store's damage, not
 * ours) goes as a string: the runner refuses it and fails the job, rather
 * than run it without them.
 */
static void
set_params(json_t *obj, const char *params)
{
	json_t	*v;

	if (params == NULL)
		return;
	if ((v = json_loads(params, JSON_DECODE_ANY, NULL)) == NULL) {
		set_string(obj, "params", params);
		return;
	}
	set_json(obj, "params", v);
}

char *
proto_encode_run(const char *repo, const char *branch, const char *params,
    size_t *len)
{
	json_t	*obj = msg_new(PROTO_RUN);

	set_string(obj, "repo", repo);
	set_string(obj, "branch", branch);
	set_params(obj, params);
	return msg_finish(obj, len);
}

char *
proto_encode_status(size_t *len)
{
	return msg_finish(msg_new(PROTO_STATUS), len);
}

char *
proto_encode_register(const char *name, int slots, int ahead,
    char *const *labels, size_t nlabels, const int64_t *jobs,
    const int *attempts, size_t njobs, size_t *len)
{
	json_t	*obj = msg_new(PROTO_REGISTER);
	json_t	*ids, *names, *tries;

	set_string(obj, "name", name);
	set_int(obj, "slots", slots);
	if (ahead)
		set_json(obj, "ahead", json_true());
	if (nlabels > 0) {
		names = json_check(json_array());
		for (size_t i = 0; i < nlabels; i++)
			append_json(names, json_check(json_string(labels[i])));
		set_json(obj, "labels", names);
	}
	if (njobs > 0) {
		ids = json_check(json_array());
		for (size_t i = 0; i < njobs; i++)
			append_json(ids, json_integer(jobs[i]));
		set_json(obj, "jobs", ids);
	}
	if (njobs > 0 && attempts != NULL) {
		tries = json_check(json_array());
		for (size_t i = 0; i < njobs; i++)
			append_json(tries, json_integer(attempts[i]));
		set_json(obj, "attempts", tries);
	}
	return msg_finish(obj, len);
}

char *
proto_encode_job(int64_t job, const char *repo, const char *commit,
    const char *branch, int timeout, int attempt, size_t *len)
{
	return proto_encode_job_run(job, repo, commit, branch, timeout, attempt,
	    NULL, len);
}

/* An array of strings, if there are any. */
static void
set_strings(json_t *obj, const char *key, char *const *v, size_t n)
{
	json_t	*list;

	if (n == 0)
		return;
	list = json_check(json_array());
	for (size_t i = 0; i < n; i++) {
		json_t	*item = json_object();

		/* Through set_string, which mends what is not UTF-8. */
		set_string(json_check(item), "s", v[i]);
		append_json(list, json_incref(json_object_get(item, "s")));
		json_decref(item);
	}
	set_json(obj, key, list);
}

/* What a job keeps and may know, when it has any of it. */
static void
set_keep(json_t *obj, const struct proto_run *run)
{
	char *text;

	if (run->keep != NULL && (run->keep->nartifacts > 0 ||
	    run->keep->ncache_paths > 0 || run->keep->nsecrets > 0)) {
		text = plan_keep_encode(run->keep);
		set_json(obj, "keep", json_check(json_loads(text, 0, NULL)));
		free(text);
	}
	set_strings(obj, "secrets", run->secrets, run->nsecrets);
	set_strings(obj, "secret_notes", run->notes, run->nnotes);
	if (run->inputs != NULL)
		set_json(obj, "inputs", json_check(json_loads(run->inputs,
		    JSON_DECODE_ANY, NULL)));
	if (run->max_artifact_bytes > 0)
		set_int(obj, "max_artifact_bytes", run->max_artifact_bytes);
}

char *
proto_encode_job_run(int64_t job, const char *repo, const char *commit,
    const char *branch, int timeout, int attempt, const struct proto_run *run,
    size_t *len)
{
	json_t	*obj = msg_new(PROTO_JOB);

	set_int(obj, "id", job);
	set_string(obj, "repo", repo);
	set_string(obj, "commit", commit);
	set_string(obj, "branch", branch);
	set_int(obj, "timeout", timeout);
	set_int(obj, "attempt", attempt);
	if (run != NULL) {
		set_string(obj, "name", run->name);
		set_strings(obj, "run", run->run, run->nrun);
		set_strings(obj, "env", run->env, run->nenv);
		if (run->nreports > 0)
			set_strings(obj, "reports", run->reports,
			    run->nreports);
		if (run->ntests > 0)
			set_strings(obj, "tests", run->tests, run->ntests);
		set_keep(obj, run);
		if (run->plan)
			set_json(obj, "plan", json_true());
		set_params(obj, run->params);
	}
	return msg_finish(obj, len);
}

char *
proto_encode_plan(int64_t job, const char *plan, size_t planlen, size_t *len)
{
	json_t	*obj = msg_new(PROTO_PLAN), *v;

	set_int(obj, "id", job);
	/* plan_encode's, so valid: anything else is a bug of ours. */
	if ((v = json_loadb(plan, planlen, 0, NULL)) == NULL ||
	    !json_is_object(v))
		fatalx("%s: not a JSON object", __func__);
	set_json(obj, "plan", v);
	return msg_finish(obj, len);
}

/* A message that carries only the id of the job it is about. */
static char *
encode_id(enum proto_type type, int64_t job, size_t *len)
{
	json_t	*obj = msg_new(type);

	set_int(obj, "id", job);
	return msg_finish(obj, len);
}

char *
proto_encode_accepted(int64_t job, size_t *len)
{
	return encode_id(PROTO_ACCEPTED, job, len);
}

/*
 * A log line grows as it is written: most output is plain text, which
 * takes about its own size, so that is what is allocated first.
 */
struct logline {
	char *buf;
	size_t len, size;
};

/* Room for n more bytes. */
static void
logline_room(struct logline *l, size_t n)
{
	if (l->size - l->len >= n)
		return;
	while (l->size - l->len < n)
		l->size *= 2;
	l->buf = xrealloc(l->buf, l->size);
}

/*
 * The body of the data string, in one pass over the output: each byte
 * that is not UTF-8 (NUL included) becomes U+FFFD as utf8_sanitize makes
 * it, and the escapes are jansson's.  It stops before the character that
 * would take the sanitized text past max bytes; returns the bytes used.
 */
static size_t
logline_body(struct logline *l, const char *data, size_t n, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0, clean = 0, run;

	while (i < n) {
		unsigned char c;
		const char *e = NULL;

		/* ASCII needing no escape (most output) is copied in runs. */
		run = json_plain_len(data + i, n - i, 1);
		if (run > max - clean)
			run = max - clean;
		logline_room(l, run + 6);
		memcpy(l->buf + l->len, data + i, run);
		l->len += run;
		clean += run;
		i += run;
		if (i == n || clean == max)
			break;
		c = s[i];
		if (c == 0 || c >= 0x80) {
			/* A character copied whole, or one byte as U+FFFD. */
			const char *u = data + i;
			size_t ulen = utf8_seq_len(s + i, n - i), used = ulen;

			if (ulen == 0) {
				u = "\xef\xbf\xbd";
				ulen = 3;
				used = 1;
			}
			if (clean + ulen > max)
				break;
			memcpy(l->buf + l->len, u, ulen);
			l->len += ulen;
			clean += ulen;
			i += used;
			continue;
		}
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\t': e = "\\t"; break;
		case '\r': e = "\\r"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		}
		if (e != NULL) {
			l->buf[l->len++] = e[0];
			l->buf[l->len++] = e[1];
		} else {
			memcpy(l->buf + l->len, "\\u00", 4);
			l->buf[l->len + 4] = hex[c >> 4];
			l->buf[l->len + 5] = hex[c & 15];
			l->len += 6;
		}
		clean++;
		i++;
	}
	return i;
}

_Static_assert(PROTO_MAX_LOG_LINE <= PROTO_MAX_LINE,
    "a log line of escaped data must pass the receiver's limit");

/*
 * The log line written by hand, as jansson would write it (the same keys
 * in the same order, the same escapes): output is most of what runners
 * send, and building a JSON tree per chunk was most of their work.
 */
char *
proto_encode_log_part(int64_t job, const char *data, size_t datalen,
    size_t max, size_t *used, size_t *len)
{
	struct logline l;
	size_t most;

	/* Room for any character, and no more than the receiver takes. */
	if (max < 4 || max > PROTO_MAX_LOG_CHUNK)
		max = PROTO_MAX_LOG_CHUNK;
	most = datalen < max ? datalen : max;
	l.size = most + most / 8 + 64;
	l.buf = xmalloc(l.size);
	l.len = (size_t)snprintf(l.buf, l.size,
	    "{\"type\":\"log\",\"id\":%lld,\"data\":\"", (long long)job);
	*used = logline_body(&l, data, datalen, max);
	logline_room(&l, 4);
	memcpy(l.buf + l.len, "\"}\n", 4);
	l.len += 3;
	if (len != NULL)
		*len = l.len;
	return l.buf;
}

/*
 * Replacing invalid bytes can triple the data, so the result is cut at a
 * character boundary to stay within PROTO_MAX_LOG_CHUNK, which the
 * receiver enforces; the rest is dropped.
 */
char *
proto_encode_log(int64_t job, const char *data, size_t datalen, size_t *len)
{
	size_t used;

	return proto_encode_log_part(job, data, datalen, PROTO_MAX_LOG_CHUNK,
	    &used, len);
}

char *
proto_encode_result(const struct job_result *result, size_t *len)
{
	const struct job_tests	*t = &result->tests;
	json_t				*obj = msg_new(PROTO_RESULT), *tests;

	set_int(obj, "id", result->job);
	set_string(obj, "status", job_state_name(result->state));
	if (result->exit_code != -1)
		set_int(obj, "exit_code", result->exit_code);
	if (result->duration_ms >= 0)
		set_int(obj, "duration_ms", result->duration_ms);
	if (t->run >= 0 || t->failed >= 0 || t->skipped >= 0) {
		tests = json_check(json_object());
		if (t->run >= 0)
			set_int(tests, "run", t->run);
		if (t->failed >= 0)
			set_int(tests, "failed", t->failed);
		if (t->skipped >= 0)
			set_int(tests, "skipped", t->skipped);
		set_json(obj, "tests", tests);
	}
	set_string(obj, "message", result->message);
	if (result->tests_partial)
		set_json(obj, "tests_partial", json_true());
	return msg_finish(obj, len);
}

#define PROTO_PING_LINE "{\"type\":\"ping\"}\n"
#define PROTO_PONG_LINE "{\"type\":\"pong\"}"

const char *
proto_ping_line(size_t *len)
{
	*len = sizeof PROTO_PING_LINE - 1;
	return PROTO_PING_LINE;
}

int
proto_is_pong(const char *line, size_t len)
{
	return len == sizeof PROTO_PONG_LINE - 1 &&
	    memcmp(line, PROTO_PONG_LINE, len) == 0;
}

char *
proto_encode_ping(size_t *len)
{
	return msg_finish(msg_new(PROTO_PING), len);
}

char *
proto_encode_pong(size_t *len)
{
	return msg_finish(msg_new(PROTO_PONG), len);
}

char *
proto_encode_cancel(int64_t job, size_t *len)
{
	return encode_id(PROTO_CANCEL, job, len);
}

char *
proto_encode_artifact(int64_t job, int attempt, const char *path,
    int64_t size, int mode, size_t *len)
{
	json_t	*obj = msg_new(PROTO_ARTIFACT);

	set_int(obj, "id", job);
	set_int(obj, "attempt", attempt);
	set_string(obj, "path", path);
	set_int(obj, "size", size);
	set_int(obj, "mode", mode);
	return msg_finish(obj, len);
}

char *
proto_encode_artifact_data(int64_t job, size_t datalen, size_t *len)
{
	json_t	*obj = msg_new(PROTO_ARTIFACT_DATA);

	set_int(obj, "id", job);
	set_int(obj, "len", (int64_t)datalen);
	return msg_finish(obj, len);
}

char *
proto_encode_artifact_end(int64_t job, const char *sha256, size_t *len)
{
	json_t	*obj = msg_new(PROTO_ARTIFACT_END);

	set_int(obj, "id", job);
	set_string(obj, "sha256", sha256);
	return msg_finish(obj, len);
}

char *
proto_encode_artifact_get(int64_t job, const char *path, size_t *len)
{
	json_t	*obj = msg_new(PROTO_ARTIFACT_GET);

	set_int(obj, "id", job);
	set_string(obj, "path", path);
	return msg_finish(obj, len);
}

char *
proto_encode_artifacts(int64_t job, size_t *len)
{
	return encode_id(PROTO_ARTIFACTS, job, len);
}

char *
proto_encode_jobs(const char *repo, const char *branch, const char *state,
    int limit, int64_t before, size_t *len)
{
	json_t	*obj = msg_new(PROTO_JOBS);

	set_string(obj, "repo", repo);
	set_string(obj, "branch", branch);
	set_string(obj, "state", state);
	if (limit > 0)
		set_int(obj, "limit", limit);
	if (before > 0)
		set_int(obj, "before", before);
	return msg_finish(obj, len);
}

/* show and tail name a job by id or by a commit prefix. */
static json_t *
encode_which(enum proto_type type, int64_t job, const char *commit)
{
	json_t	*obj = msg_new(type);

	if (job > 0)
		set_int(obj, "id", job);
	set_string(obj, "commit", commit);
	return obj;
}

char *
proto_encode_show(int64_t job, const char *commit, size_t *len)
{
	return msg_finish(encode_which(PROTO_SHOW, job, commit), len);
}

char *
proto_encode_tail(int64_t job, const char *commit, int64_t offset,
    size_t *len)
{
	json_t	*obj = encode_which(PROTO_TAIL, job, commit);

	set_int(obj, "offset", offset);
	return msg_finish(obj, len);
}

char *
proto_encode_retry(int64_t job, size_t *len)
{
	return encode_id(PROTO_RETRY, job, len);
}

char *
proto_encode_ok_json(struct json_t *fields, size_t *len)
{
	json_t	*obj = msg_new(PROTO_OK);

	if (json_object_update(obj, fields) == -1)
		fatalx("%s: out of memory", __func__);
	json_decref(fields);
	/* "type" must stay "ok" whatever fields held. */
	set_string(obj, "type", proto_type_name(PROTO_OK));
	return msg_finish(obj, len);
}

char *
proto_encode_job_tests(int64_t job, int failed_only, int limit, size_t *len)
{
	json_t	*obj = msg_new(PROTO_JOB_TESTS);

	set_int(obj, "id", job);
	if (failed_only)
		set_json(obj, "failed", json_true());
	if (limit > 0)
		set_int(obj, "limit", limit);
	return msg_finish(obj, len);
}

char *
proto_encode_quarantine(const char *repo, const char *test, int remove,
    size_t *len)
{
	json_t	*obj = msg_new(PROTO_QUARANTINE);

	set_string(obj, "repo", repo);
	if (test != NULL)
		set_string(obj, "test", test);
	if (remove)
		set_json(obj, "remove", json_true());
	return msg_finish(obj, len);
}

char *
proto_encode_secret_set(const char *repo, const char *name,
    const char *value, size_t valuelen, const char *branches, size_t *len)
{
	json_t	*obj = msg_new(PROTO_SECRET_SET);
	json_t	*v = json_stringn(value, valuelen);

	set_string(obj, "repo", repo);
	set_string(obj, "name", name);
	/* Not UTF-8 (the client checks first): no value, never a changed
	 * one. */
	if (v != NULL)
		set_json(obj, "value", v);
	set_string(obj, "branches", branches);
	return msg_finish(obj, len);
}

char *
proto_encode_secret_list(const char *repo, size_t *len)
{
	json_t	*obj = msg_new(PROTO_SECRET_LIST);

	set_string(obj, "repo", repo);
	return msg_finish(obj, len);
}

char *
proto_encode_secret_rm(const char *repo, const char *name, size_t *len)
{
	json_t	*obj = msg_new(PROTO_SECRET_RM);

	set_string(obj, "repo", repo);
	set_string(obj, "name", name);
	return msg_finish(obj, len);
}

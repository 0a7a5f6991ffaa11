/* SPDX-License-Identifier: MIT */
/*
 * fuzz_proto.c - libFuzzer target for the wire protocol.  Any input must be
 * parsed or refused without a crash or leak, and whatever is accepted must
 * survive a round trip: encoded again, it parses back to the same fields.
 * The input is also taken as a job's output, made a log line.  A mismatch
 * calls abort() so that the fuzzer keeps the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Both NULL, or the same string. */
static int
same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
same_strings(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	}
	return 1;
}

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* Parse an encoder's line, which must be accepted, into out. */
static void
reparse(char *line, size_t len, enum proto_type type, struct proto_msg *out)
{
	struct proto_error	err;

	check(len > 0 && line[len - 1] == '\n');
	check(memchr(line, '\n', len - 1) == NULL);
	check(proto_parse(line, len - 1, out, &err) == 0);
	check(out->type == type);
	free(line);
}

/* Encode what m says, parse it again and compare the fields. */
static void
round_trip(const struct proto_msg *m)
{
	struct proto_msg	 r;
	struct job_result	 res;
	struct proto_run	 run;
	struct proto_dispatch	 dispatch;
	struct proto_tests_batch *batch;
	size_t			 len;
	char			*line = NULL;
	/* show and tail name a job by id, by commit prefix, or not at all. */
	const char		*prefix = m->commit[0] != '\0' ? m->commit : NULL;

	/*
	 * No default: the fuzz build has -Wswitch -Werror, so a message type
	 * the parser learns without a case here does not compile.
	 */
	switch (m->type) {
	case PROTO_HELLO:
		line = proto_encode_hello(m->role, m->token, &len);
		break;
	case PROTO_OK:
		if (m->job > 0 && m->has_state)
			line = proto_encode_ok_job(m->job, m->state,
			    m->existing, &len);
		else
			line = proto_encode_ok(&len);
		break;
	case PROTO_ERROR:
		line = proto_encode_error(m->code, m->message, &len);
		break;
	case PROTO_DISPATCH:
		dispatch = (struct proto_dispatch){ .repo = m->repo,
		    .commit = m->commit, .branch = m->branch,
		    .subject = m->subject, .author = m->author,
		    .rebuild = m->rebuild, .trigger = m->trigger,
		    .priority = m->priority, .priority_set = m->priority_set };
		line = proto_encode_dispatch_msg(&dispatch, &len);
		break;
	case PROTO_RUN:
		line = proto_encode_run(m->repo, m->branch, m->params, &len);
		break;
	case PROTO_STATUS:
		line = proto_encode_status(&len);
		break;
	case PROTO_REGISTER:
		/* Attempts only if there is one a job, as peer.c reads them. */
		line = proto_encode_register(m->name, m->slots, m->ahead,
		    m->labels, m->nlabels, m->jobs, m->nattempts == m->njobs ?
		    m->attempts : NULL, m->njobs, &len);
		break;
	case PROTO_JOB:
		run = (struct proto_run){ .name = m->name, .run = m->run,
		    .nrun = m->nrun, .env = m->env, .nenv = m->nenv,
		    .reports = m->reports, .nreports = m->nreports,
		    .tests = m->shard_tests, .ntests = m->nshard_tests,
		    .plan = m->plan, .params = m->params,
		    .secrets = m->secrets, .nsecrets = m->nsecrets,
		    .notes = m->notes, .nnotes = m->nnotes,
		    .max_artifact_bytes = m->max_artifact_bytes };
		line = proto_encode_job_run(m->job, m->repo, m->commit,
		    m->branch, m->timeout, m->attempt, &run, &len);
		break;
	case PROTO_PLAN:
		line = proto_encode_plan(m->job, m->data, m->data_len, &len);
		break;
	case PROTO_ACCEPTED:
		line = proto_encode_accepted(m->job, &len);
		break;
	case PROTO_LOG:
		line = proto_encode_log(m->job, m->data, m->data_len, &len);
		break;
	case PROTO_RESULT:
		res.job = m->job;
		res.state = m->state;
		res.exit_code = m->exit_code;
		res.duration_ms = m->duration_ms;
		res.tests = m->tests;
		res.message = m->message;
		line = proto_encode_result(&res, &len);
		break;
	case PROTO_PING:
		line = proto_encode_ping(&len);
		break;
	case PROTO_PONG:
		line = proto_encode_pong(&len);
		break;
	case PROTO_CANCEL:
		line = proto_encode_cancel(m->job, &len);
		break;
	case PROTO_JOBS:
		line = proto_encode_jobs(m->repo, m->branch, m->has_state ?
		    job_state_name(m->state) : NULL, m->limit, m->before, &len);
		break;
	case PROTO_SHOW:
		line = proto_encode_show(m->job, prefix, &len);
		break;
	case PROTO_TAIL:
		line = proto_encode_tail(m->job, prefix, m->offset, &len);
		break;
	case PROTO_RETRY:
		line = proto_encode_retry(m->job, &len);
		break;
	case PROTO_TESTS:
		batch = proto_tests_batch_new(m->job, m->attempt, m->first);
		for (size_t i = 0; i < m->nrecords; i++)
			proto_tests_batch_add(batch, &m->records[i]);
		line = proto_tests_batch_take(batch, &len);
		proto_tests_batch_free(batch);
		break;
	case PROTO_JOB_TESTS:
		line = proto_encode_job_tests(m->job, m->failed_only, m->limit,
		    &len);
		break;
	case PROTO_QUARANTINE:
		line = proto_encode_quarantine(m->repo, m->test, m->remove,
		    &len);
		break;
	case PROTO_SECRET_SET:
		line = proto_encode_secret_set(m->repo, m->name, m->value,
		    strlen(m->value), m->branches, &len);
		break;
	case PROTO_SECRET_LIST:
		line = proto_encode_secret_list(m->repo, &len);
		break;
	case PROTO_SECRET_RM:
		line = proto_encode_secret_rm(m->repo, m->name, &len);
		break;
	case PROTO_ARTIFACT:
		line = proto_encode_artifact(m->job, m->attempt, m->path,
		    m->size, m->mode, &len);
		break;
	case PROTO_ARTIFACT_DATA:
		line = proto_encode_artifact_data(m->job, (size_t)m->frame_len,
		    &len);
		break;
	case PROTO_ARTIFACT_END:
		line = proto_encode_artifact_end(m->job, m->sha256, &len);
		break;
	case PROTO_ARTIFACT_GET:
		line = proto_encode_artifact_get(m->job, m->path, &len);
		break;
	case PROTO_ARTIFACTS:
		line = proto_encode_artifacts(m->job, &len);
		break;
	}
	check(line != NULL);
	reparse(line, len, m->type, &r);

	/*
	 * Fields a type does not use are zero (or -1) on both sides, so one
	 * comparison of everything serves every type.  The bare "ok" drops
	 * a job or state given alone, so those are compared only together.
	 */
	check(r.role == m->role && r.version == m->version);
	check(same_string(r.token, m->token));
	check(same_string(r.code, m->code));
	check(same_string(r.message, m->message));
	if (m->type != PROTO_OK || (m->job > 0 && m->has_state)) {
		check(r.job == m->job && r.has_state == m->has_state);
		check(!m->has_state || r.state == m->state);
		check(r.existing == m->existing);
	}
	check(same_string(r.repo, m->repo));
	check(strcmp(r.commit, m->commit) == 0);
	check(same_string(r.branch, m->branch));
	check(r.rebuild == m->rebuild);
	check(same_string(r.name, m->name) && r.slots == m->slots);
	check(r.njobs == m->njobs && (m->njobs == 0 ||
	    memcmp(r.jobs, m->jobs, m->njobs * sizeof *m->jobs) == 0));
	check(r.ahead == m->ahead);
	/* Attempts go back out only as one a job (and with jobs). */
	if (m->type == PROTO_REGISTER && m->njobs > 0 &&
	    m->nattempts == m->njobs)
		check(r.nattempts == m->nattempts && memcmp(r.attempts,
		    m->attempts, m->nattempts * sizeof *m->attempts) == 0);
	check(r.timeout == m->timeout && r.attempt == m->attempt);
	check(r.data_len == m->data_len);
	check(m->data == NULL || memcmp(r.data, m->data, m->data_len) == 0);
	check(r.exit_code == m->exit_code);
	check(r.duration_ms == m->duration_ms);
	check(r.tests.run == m->tests.run);
	check(r.tests.failed == m->tests.failed);
	check(r.tests.skipped == m->tests.skipped);
	check(same_string(r.subject, m->subject));
	check(same_string(r.author, m->author));
	check(r.limit == m->limit && r.before == m->before);
	check(r.offset == m->offset);
	check(r.plan == m->plan);
	check(same_strings(r.run, r.nrun, m->run, m->nrun));
	check(same_strings(r.env, r.nenv, m->env, m->nenv));
	check(same_strings(r.reports, r.nreports, m->reports, m->nreports));
	check(same_strings(r.shard_tests, r.nshard_tests, m->shard_tests,
	    m->nshard_tests));
	check(r.first == m->first && r.failed_only == m->failed_only);
	check(same_string(r.test, m->test) && r.remove == m->remove);
	check(same_string(r.trigger, m->trigger));
	check(r.priority == m->priority && r.priority_set == m->priority_set);
	check(same_string(r.params, m->params));
	check(same_string(r.value, m->value));
	check(same_strings(r.secrets, r.nsecrets, m->secrets, m->nsecrets));
	check(same_strings(r.notes, r.nnotes, m->notes, m->nnotes));
	check(r.max_artifact_bytes == m->max_artifact_bytes);
	check(same_string(r.path, m->path) && r.size == m->size);
	check(r.mode == m->mode && r.frame_len == m->frame_len);
	check(same_string(r.sha256, m->sha256));
	check(same_string(r.branches, m->branches));
	check(r.nrecords == m->nrecords);
	for (size_t i = 0; i < m->nrecords; i++) {
		const struct test_record *a = &r.records[i], *b = &m->records[i];

		check(same_string(a->name, b->name));
		check(same_string(a->suite, b->suite));
		check(same_string(a->file, b->file));
		check(same_string(a->message, b->message));
		check(a->status == b->status);
		check(a->duration_us == b->duration_us);
	}
	proto_msg_release(&r);
}

/*
 * The input as a job's output: the log line's data is the input made
 * valid UTF-8 (utf8_sanitize, itself checked against utf8_valid) in one
 * pass, whole or in parts; and the eight-bytes-at-a-time scans agree with
 * a byte at a time.
 */
static void
check_output(const uint8_t *data, size_t size)
{
	struct proto_msg	 msg;
	const char		*text = (const char *)data;
	size_t			 len, cleanlen, used, i, n;
	char			*line, *clean;

	for (i = 0; i < size && data[i] != 0 && data[i] < 0x80; i++)
		;
	check(utf8_ascii_len(text, size) == i);
	for (int ascii = 0; ascii <= 1; ascii++) {
		for (i = 0; i < size && data[i] >= 0x20 && data[i] != '"' &&
		    data[i] != '\\' && (!ascii || data[i] < 0x80); i++)
			;
		check(json_plain_len(text, size, ascii) == i);
	}
	clean = utf8_sanitize(text, size, &cleanlen);
	check(utf8_valid(clean, cleanlen));
	check(utf8_valid(text, size) ==
	    (cleanlen == size && memcmp(clean, text, size) == 0));
	if (cleanlen <= PROTO_MAX_LOG_CHUNK) {
		line = proto_encode_log(9, text, size, &len);
		reparse(line, len, PROTO_LOG, &msg);
		check(msg.data_len == cleanlen);
		check(memcmp(msg.data, clean, cleanlen) == 0);
		proto_msg_release(&msg);
	}
	/* In parts, as a runner sends long output: the same text. */
	for (i = 0, n = 0; i < size; i += used) {
		line = proto_encode_log_part(9, text + i, size - i,
		    4 + size % 64, &used, &len);
		check(used > 0 && used <= size - i);
		reparse(line, len, PROTO_LOG, &msg);
		check(msg.data_len <= 4 + size % 64);
		check(n + msg.data_len <= cleanlen);
		check(memcmp(msg.data, clean + n, msg.data_len) == 0);
		n += msg.data_len;
		proto_msg_release(&msg);
	}
	check(n == cleanlen);
	free(clean);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_msg	 msg, general;
	struct proto_error	 err, gerr;
	size_t			 len;
	char			*line;
	int			 fast, slow;

	check_output(data, size);

	/* The shortcut for log lines must agree with the general parser. */
	fast = proto_parse((const char *)data, size, &msg, &err);
	slow = proto_parse_general((const char *)data, size, &general, &gerr);
	check(fast == slow);
	if (fast == 0) {
		check(msg.type == general.type && msg.job == general.job);
		check(msg.data_len == general.data_len);
		check(msg.data == NULL || memcmp(msg.data, general.data,
		    msg.data_len) == 0);
		proto_msg_release(&msg);
		proto_msg_release(&general);
	}

	if (proto_parse((const char *)data, size, &msg, &err) == -1) {
		/* A refusal must say why, in a message safe to send back. */
		check(err.code != NULL);
		check(memchr(err.message, '\0', sizeof err.message) != NULL);
		line = proto_encode_error(err.code, err.message, &len);
		reparse(line, len, PROTO_ERROR, &msg);
		check(strcmp(msg.code, err.code) == 0);
		check(strcmp(msg.message, err.message) == 0);
		proto_msg_release(&msg);
		return 0;
	}
	round_trip(&msg);
	proto_msg_release(&msg);
	return 0;
}

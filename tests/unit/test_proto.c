/* SPDX-License-Identifier: MIT */
/*
 * test_proto.c - unit tests of the wire protocol: every message type makes
 * the round trip through proto_encode_* and proto_parse, and every class of
 * bad input is refused with the right error code instead of crashing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "job.h"

#include "plan.h"
#include "proto.h"
#include "util.h"

#define SHA1 "0123456789abcdef0123456789abcdef01234567"
#define SHA256 \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Parse a NUL-terminated line that must be accepted. */
static void
parse_good(const char *line, struct proto_msg *msg)
{
	struct proto_error	err = { NULL, "", -1 };

	if (proto_parse(line, strlen(line), msg, &err) != 0)
		fail_msg("refused %s: %s: %s", line, err.code, err.message);
}

/* Parse an encoder's output, checking it is one line. */
static void
parse_encoded(char *line, size_t len, struct proto_msg *msg)
{
	struct proto_error	err = { NULL, "", -1 };

	assert_int_equal(len, strlen(line));
	assert_true(len > 0 && line[len - 1] == '\n');
	assert_null(memchr(line, '\n', len - 1));
	if (proto_parse(line, len - 1, msg, &err) != 0)
		fail_msg("refused %s: %s: %s", line, err.code, err.message);
	free(line);
}

/*
 * Parse len bytes that must be refused with code, and a message holding
 * want (if not NULL).  The message must come back zeroed.
 */
static void
parse_bad_len(const char *line, size_t len, const char *code,
    const char *want)
{
	struct proto_msg	msg, zero;
	struct proto_error	err = { NULL, "", -1 };

	memset(&zero, 0, sizeof zero);
	assert_int_equal(proto_parse(line, len, &msg, &err), -1);
	assert_non_null(err.code);
	assert_string_equal(err.code, code);
	if (want != NULL && strstr(err.message, want) == NULL)
		fail_msg("message '%s' lacks '%s'", err.message, want);
	assert_memory_equal(&msg, &zero, sizeof msg);
}

static void
parse_bad(const char *line, const char *code, const char *want)
{
	parse_bad_len(line, strlen(line), code, want);
}

static void
test_hello(void **state)
{
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;

	(void)state;
	line = proto_encode_hello(PROTO_ROLE_RUNNER, "s3cret", &len);
	assert_string_equal(line,
	    "{\"type\":\"hello\",\"role\":\"runner\",\"version\":1,"
	    "\"token\":\"s3cret\"}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_HELLO);
	assert_int_equal(msg.role, PROTO_ROLE_RUNNER);
	assert_int_equal(msg.version, PROTO_VERSION);
	assert_string_equal(msg.token, "s3cret");
	proto_msg_release(&msg);

	line = proto_encode_hello(PROTO_ROLE_OBSERVER, NULL, &len);
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.role, PROTO_ROLE_OBSERVER);
	assert_null(msg.token);
	proto_msg_release(&msg);

	parse_bad("{\"type\":\"hello\",\"role\":\"admin\",\"version\":1}",
	    "bad_field", "'role'");
	parse_bad("{\"type\":\"hello\",\"version\":1}", "bad_field",
	    "missing field 'role'");
}

static void
test_ok(void **state)
{
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;

	(void)state;
	line = proto_encode_ok(&len);
	assert_string_equal(line, "{\"type\":\"ok\"}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_OK);
	assert_int_equal(msg.job, 0);
	assert_int_equal(msg.has_state, 0);
	assert_int_equal(msg.exit_code, -1);
	assert_int_equal(msg.duration_ms, -1);
	assert_int_equal(msg.tests.run, -1);
	proto_msg_release(&msg);

	line = proto_encode_ok_job(42, JOB_QUEUED, 0, &len);
	assert_string_equal(line, "{\"type\":\"ok\",\"job\":42,"
	    "\"state\":\"queued\",\"existing\":false}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.job, 42);
	assert_true(msg.has_state);
	assert_int_equal(msg.state, JOB_QUEUED);
	assert_int_equal(msg.existing, 0);
	proto_msg_release(&msg);

	line = proto_encode_ok_job(7, JOB_PASSED, 1, &len);
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.state, JOB_PASSED);
	assert_int_equal(msg.existing, 1);
	proto_msg_release(&msg);

	parse_bad("{\"type\":\"ok\",\"state\":\"bogus\"}", "bad_field",
	    "'state'");
	parse_bad("{\"type\":\"ok\",\"job\":0}", "bad_field", "'job'");
}

static void
test_error(void **state)
{
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;

	(void)state;
	line = proto_encode_error("bad_commit", "no \"such\" commit", &len);
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_ERROR);
	assert_string_equal(msg.code, "bad_commit");
	assert_string_equal(msg.message, "no \"such\" commit");
	proto_msg_release(&msg);

	/* A message that is not UTF-8 must still make a valid line. */
	line = proto_encode_error("x", "caf\xe9", &len);
	parse_encoded(line, len, &msg);
	assert_string_equal(msg.message, "caf\xef\xbf\xbd");
	proto_msg_release(&msg);

	parse_bad("{\"type\":\"error\",\"code\":\"x\"}", "bad_field",
	    "missing field 'message'");
}

static void
test_dispatch(void **state)
{
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;

	(void)state;
	line = proto_encode_dispatch("/srv/repo.git", SHA1, "main", 0, &len);
	assert_string_equal(line, "{\"type\":\"dispatch\",\"repo\":"
	    "\"/srv/repo.git\",\"commit\":\"" SHA1 "\",\"branch\":\"main\"}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_DISPATCH);
	assert_string_equal(msg.repo, "/srv/repo.git");
	assert_string_equal(msg.commit, SHA1);
	assert_string_equal(msg.branch, "main");
	assert_int_equal(msg.rebuild, 0);
	proto_msg_release(&msg);

	line = proto_encode_dispatch("https://example.com/r.git", SHA1, NULL,
	    1, &len);
	parse_encoded(line, len, &msg);
	assert_null(msg.branch);
	assert_int_equal(msg.rebuild, 1);
	proto_msg_release(&msg);
}

/* What queued a dispatch and how soon it goes: only the known words. */
static void
test_dispatch_trigger_priority(void **state)
{
	struct proto_dispatch d = { .repo = "/srv/r.git", .commit = SHA1,
	    .branch = "main", .trigger = "hook",
	    .priority = JOB_PRIORITY_HIGH, .priority_set = 1 };
	struct proto_msg msg;
	size_t len;
	char *line;

	(void)state;
	line = proto_encode_dispatch_msg(&d, &len);
	assert_non_null(strstr(line, "\"trigger\":\"hook\""));
	assert_non_null(strstr(line, "\"priority\":\"high\""));
	parse_encoded(line, len, &msg);
	assert_string_equal(msg.trigger, "hook");
	assert_true(msg.priority_set);
	assert_int_equal(msg.priority, JOB_PRIORITY_HIGH);
	proto_msg_release(&msg);

	d.trigger = "observer";
	d.priority = JOB_PRIORITY_LOW;
	line = proto_encode_dispatch_msg(&d, &len);
	parse_encoded(line, len, &msg);
	assert_string_equal(msg.trigger, "observer");
	assert_int_equal(msg.priority, JOB_PRIORITY_LOW);
	proto_msg_release(&msg);

	/* Neither said (an older client): no trigger, the branch's priority. */
	d.trigger = NULL;
	d.priority_set = 0;
	line = proto_encode_dispatch_msg(&d, &len);
	assert_null(strstr(line, "trigger"));
	assert_null(strstr(line, "priority"));
	parse_encoded(line, len, &msg);
	assert_null(msg.trigger);
	assert_false(msg.priority_set);
	assert_int_equal(msg.priority, JOB_PRIORITY_NORMAL);
	proto_msg_release(&msg);

	parse_good("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"priority\":\"normal\"}", &msg);
	assert_true(msg.priority_set);
	assert_int_equal(msg.priority, JOB_PRIORITY_NORMAL);
	proto_msg_release(&msg);

	/* Anything else is refused, saying what would do. */
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"priority\":\"urgent\"}", "bad_field",
	    "field 'priority' must be high, normal or low, not 'urgent'");
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"priority\":\"HIGH\"}", "bad_field", "'priority'");
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"priority\":1}", "bad_field",
	    "field 'priority' must be a string");
	/* The others say what queued theirs themselves. */
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"trigger\":\"manual\"}", "bad_field",
	    "field 'trigger' has an invalid value 'manual'");
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"trigger\":\"api\"}", "bad_field", "'trigger'");
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"trigger\":\"\"}", "bad_field", "'trigger'");
}

/* A manual run: its parameters checked, kept as compact sorted JSON. */
static void
test_run(void **state)
{
	struct proto_msg msg;
	size_t len;
	char *line;

	(void)state;
	line = proto_encode_run("/srv/r.git", "main",
	    "{\"B\":\"two words\",\"A\":\"1\"}", &len);
	assert_string_equal(line, "{\"type\":\"run\",\"repo\":\"/srv/r.git\","
	    "\"branch\":\"main\",\"params\":{\"B\":\"two words\","
	    "\"A\":\"1\"}}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_RUN);
	assert_string_equal(msg.repo, "/srv/r.git");
	assert_string_equal(msg.branch, "main");
	assert_string_equal(msg.params, "{\"A\":\"1\",\"B\":\"two words\"}");
	proto_msg_release(&msg);

	/* None, or an empty object: no parameters. */
	line = proto_encode_run("/x", "b", NULL, &len);
	parse_encoded(line, len, &msg);
	assert_null(msg.params);
	proto_msg_release(&msg);
	parse_good("{\"type\":\"run\",\"repo\":\"/x\",\"branch\":\"b\","
	    "\"params\":{}}", &msg);
	assert_null(msg.params);
	proto_msg_release(&msg);

	parse_bad("{\"type\":\"run\",\"repo\":\"/x\"}", "bad_field",
	    "missing field 'branch'");
	parse_bad("{\"type\":\"run\",\"branch\":\"b\"}", "bad_field",
	    "missing field 'repo'");
	parse_bad("{\"type\":\"run\",\"repo\":\"/x\",\"branch\":\"-b\"}",
	    "bad_field", "'branch'");
	parse_bad("{\"type\":\"run\",\"repo\":\"/x\",\"branch\":\"b\","
	    "\"params\":[\"A=1\"]}", "bad_field",
	    "field 'params' must be an object");
	parse_bad("{\"type\":\"run\",\"repo\":\"/x\",\"branch\":\"b\","
	    "\"params\":{\"1X\":\"2\"}}", "bad_field",
	    "field 'params': parameter '1X' is not a variable name");
	parse_bad("{\"type\":\"run\",\"repo\":\"/x\",\"branch\":\"b\","
	    "\"params\":{\"PATH\":\"/x\"}}", "bad_field",
	    "parameter 'PATH' is reserved");
	parse_bad("{\"type\":\"run\",\"repo\":\"/x\",\"branch\":\"b\","
	    "\"params\":{\"SSCI_Y\":\"1\"}}", "bad_field",
	    "no parameter may start with SSCI_");
	parse_bad("{\"type\":\"run\",\"repo\":\"/x\",\"branch\":\"b\","
	    "\"params\":{\"A\":1}}", "bad_field",
	    "parameter 'A' must have a string for its value");
	parse_bad("{\"type\":\"run\",\"repo\":\"/x\",\"branch\":\"b\","
	    "\"params\":{\"A\":\"1\",\"A\":\"2\"}}", "bad_json", NULL);
}

/* A job carries its pipeline's parameters as they are: the runner judges. */
static void
test_job_params(void **state)
{
	struct proto_run r = { .params = "{\"A\":\"1\",\"B\":\"<b>\"}" };
	struct proto_msg msg;
	size_t len;
	char *line;

	(void)state;
	line = proto_encode_job_run(5, "/x", SHA1, "main", 0, 1, &r, &len);
	assert_non_null(strstr(line, "\"params\":{\"A\":\"1\",\"B\":\"<b>\"}"));
	parse_encoded(line, len, &msg);
	assert_string_equal(msg.params, "{\"A\":\"1\",\"B\":\"<b>\"}");
	proto_msg_release(&msg);

	/* Names the runner refuses still arrive, for it to fail the job. */
	parse_good("{\"type\":\"job\",\"id\":1,\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"params\":{\"PATH\":\"/x\"}}", &msg);
	assert_string_equal(msg.params, "{\"PATH\":\"/x\"}");
	proto_msg_release(&msg);
	parse_good("{\"type\":\"job\",\"id\":1,\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"params\":[1]}", &msg);
	assert_string_equal(msg.params, "[1]");
	proto_msg_release(&msg);
	/* Text that is no JSON goes as a string, which the runner refuses. */
	r.params = "{not json";
	line = proto_encode_job_run(5, "/x", SHA1, NULL, 0, 1, &r, &len);
	parse_encoded(line, len, &msg);
	assert_string_equal(msg.params, "\"{not json\"");
	proto_msg_release(&msg);
	/* None: none. */
	r.params = NULL;
	line = proto_encode_job_run(5, "/x", SHA1, NULL, 0, 1, &r, &len);
	parse_encoded(line, len, &msg);
	assert_null(msg.params);
	proto_msg_release(&msg);
}

static void
test_bare_types(void **state)
{
	struct {
		char		*(*encode)(size_t *);
		enum proto_type	 type;
		const char	*line;
	} t[] = {
		{ proto_encode_status, PROTO_STATUS, "{\"type\":\"status\"}\n" },
		{ proto_encode_ping, PROTO_PING, "{\"type\":\"ping\"}\n" },
		{ proto_encode_pong, PROTO_PONG, "{\"type\":\"pong\"}\n" },
	};
	struct proto_msg	 msg;
	size_t			 i, len;
	char			*line;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		line = t[i].encode(&len);
		assert_string_equal(line, t[i].line);
		parse_encoded(line, len, &msg);
		assert_int_equal(msg.type, t[i].type);
		assert_string_equal(proto_type_name(msg.type),
		    proto_type_name(t[i].type));
		proto_msg_release(&msg);
	}
}

/* An ok with more in it, as status and the client's questions answer. */
static void
test_ok_json(void **state)
{
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;

	(void)state;
	line = proto_encode_ok_json(json_pack("{s:i, s:s, s:[]}", "queued", 3,
	    "type", "error", "runners"), &len);
	assert_string_equal(line, "{\"type\":\"ok\",\"queued\":3,"
	    "\"runners\":[]}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_OK);
	assert_string_equal(msg.raw, "{\"type\":\"ok\",\"queued\":3,"
	    "\"runners\":[]}");
	proto_msg_release(&msg);
}

static void
test_register(void **state)
{
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;

	static const int64_t held[] = { 7, 42 };
	static const int tries[] = { 1, 3 };

	(void)state;
	line = proto_encode_register("builder-1", 4, 1, NULL, 0, held, tries, 2,
	    &len);
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_REGISTER);
	assert_string_equal(msg.name, "builder-1");
	assert_int_equal(msg.slots, 4);
	assert_int_equal(msg.ahead, 1);
	assert_int_equal(msg.njobs, 2);
	assert_int_equal(msg.jobs[0], 7);
	assert_int_equal(msg.jobs[1], 42);
	assert_int_equal(msg.nattempts, 2);
	assert_int_equal(msg.attempts[1], 3);
	proto_msg_release(&msg);
	parse_bad("{\"type\":\"register\",\"name\":\"b\",\"jobs\":[1],"
	    "\"attempts\":[0]}", "bad_field", "attempts");

	parse_bad("{\"type\":\"register\",\"name\":\"b\",\"jobs\":[0]}",
	    "bad_field", "jobs");
	parse_bad("{\"type\":\"register\",\"name\":\"b\",\"jobs\":[\"1\"]}",
	    "bad_field", "jobs");

	parse_good("{\"type\":\"register\",\"name\":\"b\","
	    "\"labels\":[\"linux\",\"x86_64\"]}", &msg);
	assert_int_equal(msg.slots, 1);
	assert_int_equal(msg.ahead, 0);
	proto_msg_release(&msg);
	parse_bad("{\"type\":\"register\",\"name\":\"b\",\"ahead\":1}",
	    "bad_field", "ahead");
}

static void
test_register_limits(void **state)
{
	struct proto_msg	msg;

	(void)state;
	parse_bad("{\"type\":\"register\",\"name\":\"b\",\"slots\":0}",
	    "bad_field", "'slots'");
	parse_bad("{\"type\":\"register\",\"name\":\"b\",\"slots\":5000}",
	    "bad_field", "between 1 and 1024");
	parse_bad("{\"type\":\"register\",\"name\":\"b\",\"slots\":-1}",
	    "bad_field", "'slots'");
	parse_good("{\"type\":\"register\",\"name\":\"b\",\"slots\":1024}",
	    &msg);
	assert_int_equal(msg.slots, 1024);
	proto_msg_release(&msg);
	parse_bad("{\"type\":\"register\",\"name\":\"\"}", "bad_field",
	    "'name'");
	parse_bad("{\"type\":\"register\",\"name\":\"-x\"}", "bad_field",
	    "'name'");
	parse_bad("{\"type\":\"register\",\"name\":\"a\\nb\"}", "bad_field",
	    "'name'");
	parse_bad("{\"type\":\"register\",\"name\":\"b\",\"labels\":[1]}",
	    "bad_field", "'labels'");
	parse_bad("{\"type\":\"register\",\"name\":\"b\",\"labels\":\"x\"}",
	    "bad_field", "field 'labels' must be an array");
}

static void
test_job(void **state)
{
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;

	(void)state;
	line = proto_encode_job(3, "/x", SHA1, "main", 1800, 1, &len);
	assert_string_equal(line, "{\"type\":\"job\",\"id\":3,\"repo\":\"/x\","
	    "\"commit\":\"" SHA1 "\",\"branch\":\"main\",\"timeout\":1800,"
	    "\"attempt\":1}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_JOB);
	assert_int_equal(msg.job, 3);
	assert_string_equal(msg.repo, "/x");
	assert_string_equal(msg.commit, SHA1);
	assert_string_equal(msg.branch, "main");
	assert_int_equal(msg.timeout, 1800);
	assert_int_equal(msg.attempt, 1);
	proto_msg_release(&msg);

	line = proto_encode_job(INT64_MAX, "/x", SHA256, NULL, 0, 3, &len);
	parse_encoded(line, len, &msg);
	assert_true(msg.job == INT64_MAX);
	assert_null(msg.branch);
	assert_int_equal(msg.attempt, 3);
	proto_msg_release(&msg);

	parse_good("{\"type\":\"job\",\"id\":1,\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\"}", &msg);
	assert_int_equal(msg.timeout, 0);
	assert_int_equal(msg.attempt, 1);
	proto_msg_release(&msg);
	parse_bad("{\"type\":\"job\",\"id\":1,\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"attempt\":0}", "bad_field", "'attempt'");
	parse_bad("{\"type\":\"job\",\"id\":1,\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"timeout\":-5}", "bad_field", "'timeout'");
}

/*
 * A planned job's message carries whatever a plan may hold: the longest
 * expanded name and the most variables a job can have.
 */
/* A job's keep, secrets and inputs cross; a bad secret is never quoted. */
static void
test_job_keep(void **state)
{
	static char *artifacts[] = { "out/*.bin" }, *names[] = { "TOKEN" };
	static char *secrets[] = { "TOKEN=s3cr=t value" }, *run[] = { "x" };
	struct plan_keep keep = { .artifacts = artifacts, .nartifacts = 1,
	    .expire_s = 60, .secrets = names, .nsecrets = 1 }, back;
	struct proto_run r = { .run = run, .nrun = 1, .keep = &keep,
	    .secrets = secrets, .nsecrets = 1, .inputs =
	    "[{\"job\":3,\"path\":\"a\",\"size\":1,\"sha256\":\"" SHA256 "\"}]",
	    .max_artifact_bytes = 1024 };
	struct proto_error err = { NULL, "", -1 };
	struct proto_msg msg;
	size_t len;
	char *line;

	(void)state;
	line = proto_encode_job_run(9, "/r", SHA256, "main", 0, 1, &r, &len);
	parse_encoded(line, len, &msg);
	assert_string_equal(msg.keep, "{\"artifacts\":[\"out/*.bin\"],"
	    "\"expire_in\":60,\"secrets\":[\"TOKEN\"]}");
	assert_int_equal(plan_keep_decode_text(msg.keep, &back), 0);
	assert_string_equal(back.artifacts[0], "out/*.bin");
	plan_keep_release(&back);
	assert_int_equal(msg.nsecrets, 1);
	assert_string_equal(msg.secrets[0], "TOKEN=s3cr=t value");
	assert_non_null(strstr(msg.inputs, "\"job\":3"));
	assert_int_equal(msg.max_artifact_bytes, 1024);
	proto_msg_release(&msg);

	line = "{\"type\":\"job\",\"id\":1,\"repo\":\"/r\",\"commit\":\"" SHA256
	    "\",\"secrets\":[\"bad name=hunter22\"]}";
	assert_int_equal(proto_parse(line, strlen(line), &msg, &err), -1);
	assert_string_equal(err.code, "bad_field");
	assert_null(strstr(err.message, "hunter22"));
	assert_int_equal(plan_keep_decode_text("{\"artifacts\":[\"../x\"]}",
	    &back), -1);
	assert_int_equal(plan_keep_decode_text("{\"other\":1}", &back), -1);
}

static void
test_job_run(void **state)
{
	static char name[PLAN_MAX_JOB_NAME + 2];
	char *env[PLAN_MAX_JOB_ENV + 1], *run[] = { "make", "make check" };
	struct proto_run r = { .name = name, .run = run, .nrun = 2,
	    .env = env, .nenv = PLAN_MAX_JOB_ENV };
	struct proto_msg msg;
	size_t len, i;
	char *line;

	(void)state;
	memset(name, 'n', PLAN_MAX_JOB_NAME);
	name[PLAN_MAX_JOB_NAME] = '\0';
	for (i = 0; i < PLAN_MAX_JOB_ENV; i++)
		xasprintf(&env[i], "V%zu=%zu", i, i);
	line = proto_encode_job_run(3, "/x", SHA1, NULL, 60, 1, &r, &len);
	parse_encoded(line, len, &msg);
	assert_string_equal(msg.name, name);
	assert_int_equal(msg.nrun, 2);
	assert_string_equal(msg.run[1], "make check");
	assert_int_equal(msg.nenv, PLAN_MAX_JOB_ENV);
	assert_string_equal(msg.env[PLAN_MAX_JOB_ENV - 1], "V263=263");
	assert_false(msg.plan);
	proto_msg_release(&msg);

	/* One more of either is refused. */
	name[PLAN_MAX_JOB_NAME] = 'n';
	name[PLAN_MAX_JOB_NAME + 1] = '\0';
	line = proto_encode_job_run(3, "/x", SHA1, NULL, 60, 1, &r, &len);
	line[len - 1] = '\0';
	parse_bad(line, "bad_field", "'name'");
	free(line);
	name[PLAN_MAX_JOB_NAME] = '\0';
	xasprintf(&env[PLAN_MAX_JOB_ENV], "X=1");
	r.nenv++;
	line = proto_encode_job_run(3, "/x", SHA1, NULL, 60, 1, &r, &len);
	line[len - 1] = '\0';
	parse_bad(line, "bad_field", "'env'");
	free(line);
	for (i = 0; i <= PLAN_MAX_JOB_ENV; i++)
		free(env[i]);

	parse_bad("{\"type\":\"job\",\"id\":1,\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"env\":[\"1X=2\"]}", "bad_field", "'env'");
	parse_bad("{\"type\":\"job\",\"id\":1,\"repo\":\"/x\",\"commit\":\""
	    SHA1 "\",\"run\":[\"\"]}", "bad_field", "'run'");
	parse_good("{\"type\":\"plan\",\"id\":4,\"plan\":{\"jobs\": []}}",
	    &msg);
	assert_int_equal(msg.type, PROTO_PLAN);
	assert_string_equal(msg.data, "{\"jobs\":[]}");
	assert_int_equal(msg.data_len, 11);
	proto_msg_release(&msg);
	line = proto_encode_plan(4, "{\"jobs\":[]}", 11, &len);
	assert_string_equal(line, "{\"type\":\"plan\",\"id\":4,"
	    "\"plan\":{\"jobs\":[]}}\n");
	free(line);
	parse_bad("{\"type\":\"plan\",\"id\":4,\"plan\":\"jobs: []\"}",
	    "bad_field", "'plan'");
}

static void
test_accepted_cancel(void **state)
{
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;

	(void)state;
	line = proto_encode_accepted(9, &len);
	assert_string_equal(line, "{\"type\":\"accepted\",\"id\":9}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_ACCEPTED);
	assert_int_equal(msg.job, 9);
	proto_msg_release(&msg);

	line = proto_encode_cancel(10, &len);
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_CANCEL);
	assert_int_equal(msg.job, 10);
	proto_msg_release(&msg);

	parse_bad("{\"type\":\"cancel\",\"id\":0}", "bad_field", "'id'");
	parse_bad("{\"type\":\"cancel\",\"id\":-3}", "bad_field", "'id'");
	parse_bad("{\"type\":\"accepted\"}", "bad_field", "missing field 'id'");
}

static void
test_log(void **state)
{
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;
	const char		 data[] = "line 1\n\tline \"2\"\r\n\xc3\xa9t\xc3\xa9";

	(void)state;
	line = proto_encode_log(4, data, sizeof data - 1, &len);
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_LOG);
	assert_int_equal(msg.job, 4);
	assert_int_equal(msg.data_len, sizeof data - 1);
	assert_memory_equal(msg.data, data, sizeof data);
	proto_msg_release(&msg);

	line = proto_encode_log(4, NULL, 0, &len);
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.data_len, 0);
	assert_string_equal(msg.data, "");
	proto_msg_release(&msg);
}

/* Invalid UTF-8 and NUL bytes in output become U+FFFD, never a bad line. */
static void
test_log_not_utf8(void **state)
{
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;
	const char		 data[] = { 'a', '\xff', 'b', '\0', 'c', '\xc3' };

	(void)state;
	line = proto_encode_log(1, data, sizeof data, &len);
	parse_encoded(line, len, &msg);
	assert_string_equal(msg.data,
	    "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd");
	assert_int_equal(msg.data_len, strlen(msg.data));
	proto_msg_release(&msg);
}

static void
test_log_limit(void **state)
{
	struct proto_msg	 msg;
	struct proto_error	 err;
	size_t			 n, len;
	char			*line, *big;

	(void)state;
	big = malloc(PROTO_MAX_LOG_CHUNK + 64);
	assert_non_null(big);

	/* Exactly the limit passes. */
	memset(big, 'x', PROTO_MAX_LOG_CHUNK + 1);
	line = proto_encode_log(1, big, PROTO_MAX_LOG_CHUNK, &len);
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.data_len, PROTO_MAX_LOG_CHUNK);
	proto_msg_release(&msg);

	/* One more byte on the wire is refused. */
	n = (size_t)snprintf(big, PROTO_MAX_LOG_CHUNK + 64,
	    "{\"type\":\"log\",\"id\":1,\"data\":\"");
	memset(big + n, 'x', PROTO_MAX_LOG_CHUNK + 1);
	n += PROTO_MAX_LOG_CHUNK + 1;
	memcpy(big + n, "\"}", 2);
	assert_int_equal(proto_parse(big, n + 2, &msg, &err), -1);
	assert_string_equal(err.code, "bad_field");
	assert_non_null(strstr(err.message, "'data'"));

	/*
	 * Replacement can triple invalid data; the encoder keeps the line
	 * parseable by cutting at a character boundary.
	 */
	memset(big, '\xff', PROTO_MAX_LOG_CHUNK);
	line = proto_encode_log(1, big, PROTO_MAX_LOG_CHUNK, &len);
	parse_encoded(line, len, &msg);
	assert_true(msg.data_len <= PROTO_MAX_LOG_CHUNK);
	assert_int_equal(msg.data_len % 3, 0);
	proto_msg_release(&msg);
	free(big);
}

static void
test_result(void **state)
{
	struct job_result	 r = { 12, JOB_FAILED, 1, 1234, { 10, 2, 1 },
				    NULL, 0, 0 };
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;

	(void)state;
	line = proto_encode_result(&r, &len);
	assert_string_equal(line, "{\"type\":\"result\",\"id\":12,\"status\":"
	    "\"failed\",\"exit_code\":1,\"duration_ms\":1234,\"tests\":"
	    "{\"run\":10,\"failed\":2,\"skipped\":1}}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.type, PROTO_RESULT);
	assert_int_equal(msg.job, 12);
	assert_true(msg.has_state);
	assert_int_equal(msg.state, JOB_FAILED);
	assert_int_equal(msg.exit_code, 1);
	assert_int_equal(msg.duration_ms, 1234);
	assert_int_equal(msg.tests.run, 10);
	assert_int_equal(msg.tests.failed, 2);
	assert_int_equal(msg.tests.skipped, 1);
	assert_null(msg.message);
	assert_false(msg.tests_partial);
	proto_msg_release(&msg);
	/* Records that are not all the job's tests say so. */
	r.tests_partial = 1;
	line = proto_encode_result(&r, &len);
	assert_non_null(strstr(line, ",\"tests_partial\":true"));
	parse_encoded(line, len, &msg);
	assert_true(msg.tests_partial);
	proto_msg_release(&msg);
}

/* Unknown values are left out on the wire and come back as -1. */
static void
test_result_unknowns(void **state)
{
	struct job_result	 r = { 13, JOB_ERROR, -1, 0, { 5, -1, -1 },
				    "git clone failed", 0, 0 };
	struct proto_msg	 msg;
	size_t			 len;
	char			*line;

	(void)state;
	line = proto_encode_result(&r, &len);
	assert_string_equal(line, "{\"type\":\"result\",\"id\":13,\"status\":"
	    "\"error\",\"duration_ms\":0,\"tests\":{\"run\":5},"
	    "\"message\":\"git clone failed\"}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.state, JOB_ERROR);
	assert_int_equal(msg.exit_code, -1);
	assert_int_equal(msg.duration_ms, 0);
	assert_int_equal(msg.tests.run, 5);
	assert_int_equal(msg.tests.failed, -1);
	assert_int_equal(msg.tests.skipped, -1);
	assert_string_equal(msg.message, "git clone failed");
	proto_msg_release(&msg);

	r.duration_ms = -1;
	r.tests.run = -1;
	r.message = NULL;
	line = proto_encode_result(&r, &len);
	assert_string_equal(line,
	    "{\"type\":\"result\",\"id\":13,\"status\":\"error\"}\n");
	parse_encoded(line, len, &msg);
	assert_int_equal(msg.duration_ms, -1);
	assert_int_equal(msg.tests.run, -1);
	proto_msg_release(&msg);

	parse_bad("{\"type\":\"result\",\"id\":1,\"status\":\"passed\","
	    "\"tests\":{\"run\":-2}}", "bad_field", "'run'");
	parse_bad("{\"type\":\"result\",\"id\":1,\"status\":\"passed\","
	    "\"tests\":[1]}", "bad_field", "'tests' must be an object");
	parse_bad("{\"type\":\"result\",\"id\":1,\"status\":\"passed\","
	    "\"duration_ms\":-1}", "bad_field", "'duration_ms'");
}

static void
test_result_not_final(void **state)
{
	(void)state;
	parse_bad("{\"type\":\"result\",\"id\":1,\"status\":\"running\"}",
	    "bad_field", "'status'");
	parse_bad("{\"type\":\"result\",\"id\":1,\"status\":\"queued\"}",
	    "bad_field", "'status'");
	parse_bad("{\"type\":\"result\",\"id\":1,\"status\":\"PASSED\"}",
	    "bad_field", "'status'");
	parse_bad("{\"type\":\"result\",\"id\":1}", "bad_field",
	    "missing field 'status'");
}

static void
test_bad_json(void **state)
{
	(void)state;
	parse_bad("", "bad_json", NULL);
	parse_bad_len(NULL, 0, "bad_json", NULL);
	parse_bad("{", "bad_json", NULL);
	parse_bad("{\"type\":\"ping\"", "bad_json", NULL);
	parse_bad("{\"type\":\"ping\"} {}", "bad_json", NULL);
	parse_bad("hello", "bad_json", NULL);
	parse_bad("{'type':'ping'}", "bad_json", NULL);
	parse_bad("{\"type\":\"ping\",\"type\":\"pong\"}", "bad_json",
	    "duplicate");
	parse_bad("{\"type\":\"log\",\"id\":1,\"data\":\"\xff\"}", "bad_json",
	    NULL);
}

static void
test_not_object(void **state)
{
	(void)state;
	parse_bad("[]", "bad_json", "not a JSON object");
	parse_bad("[{\"type\":\"ping\"}]", "bad_json", "not a JSON object");
	parse_bad("\"ping\"", "bad_json", NULL);
	parse_bad("42", "bad_json", NULL);
	parse_bad("null", "bad_json", NULL);
}

static void
test_unknown_type(void **state)
{
	(void)state;
	parse_bad("{\"type\":\"runtest\"}", "unknown_type", "'runtest'");
	parse_bad("{\"type\":\"\"}", "unknown_type", NULL);
	parse_bad("{\"type\":\"PING\"}", "unknown_type", NULL);
	parse_bad("{}", "unknown_type", "missing field 'type'");
	parse_bad("{\"type\":1}", "unknown_type", "must be a string");
	parse_bad("{\"type\":null}", "unknown_type", "must be a string");
}

static void
test_missing_field(void **state)
{
	(void)state;
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\"}", "bad_field",
	    "missing field 'commit'");
	parse_bad("{\"type\":\"dispatch\",\"commit\":\"" SHA1 "\"}",
	    "bad_field", "missing field 'repo'");
	parse_bad("{\"type\":\"log\",\"id\":1}", "bad_field",
	    "missing field 'data'");
	parse_bad("{\"type\":\"register\"}", "bad_field",
	    "missing field 'name'");
	parse_bad("{\"type\":\"hello\",\"role\":\"client\"}", "bad_field",
	    "missing field 'version'");
}

static void
test_wrong_type_field(void **state)
{
	(void)state;
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":42}",
	    "bad_field", "field 'commit' must be a string");
	parse_bad("{\"type\":\"cancel\",\"id\":\"3\"}", "bad_field",
	    "field 'id' must be an integer");
	parse_bad("{\"type\":\"cancel\",\"id\":3.0}", "bad_field",
	    "field 'id' must be an integer");
	parse_bad("{\"type\":\"cancel\",\"id\":null}", "bad_field",
	    "field 'id' must be an integer");
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\"" SHA1
	    "\",\"rebuild\":\"yes\"}", "bad_field",
	    "field 'rebuild' must be a boolean");
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\"" SHA1
	    "\",\"rebuild\":1}", "bad_field", "'rebuild'");
	parse_bad("{\"type\":\"hello\",\"role\":\"client\",\"version\":\"1\"}",
	    "bad_field", "field 'version' must be an integer");
	parse_bad("{\"type\":\"hello\",\"role\":\"client\",\"version\":1,"
	    "\"token\":7}", "bad_field", "field 'token' must be a string");
	parse_bad("{\"type\":\"register\",\"name\":\"b\",\"slots\":2.5}",
	    "bad_field", "'slots'");
}

static void
test_bad_commit(void **state)
{
	static const char *const bad[] = {
		"../../x",
		"--upload-pack=x",
		"",
		"0123456789abcdef0123456789abcdef0123456",	/* 39 */
		"0123456789abcdef0123456789abcdef012345678",	/* 41 */
		"0123456789abcdef0123456789abcdef0123456g",
		" 0123456789abcdef0123456789abcdef0123456",
		SHA1 SHA1,
	};
	char	line[512];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(line, sizeof line, "{\"type\":\"dispatch\","
		    "\"repo\":\"/x\",\"commit\":\"%s\"}", bad[i]);
		parse_bad(line, "bad_commit", "'commit'");
	}
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\","
	    "\"commit\":\"--upload-pack=x\"}", "bad_commit",
	    "'--upload-pack=x'");
	/* A long value is quoted only in part. */
	parse_bad("{\"type\":\"job\",\"id\":1,\"repo\":\"/x\",\"commit\":\""
	    SHA1 SHA1 SHA1 "\"}", "bad_commit", "...'");
}

static void
test_commit_normalized(void **state)
{
	struct proto_msg	msg;

	(void)state;
	parse_good("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":"
	    "\"0123456789ABCDEF0123456789ABCDEF01234567\"}", &msg);
	assert_string_equal(msg.commit, SHA1);
	proto_msg_release(&msg);

	parse_good("{\"type\":\"job\",\"id\":2,\"repo\":\"/x\",\"commit\":\""
	    SHA256 "\"}", &msg);
	assert_string_equal(msg.commit, SHA256);
	proto_msg_release(&msg);
}

static void
test_bad_repo_branch(void **state)
{
	(void)state;
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"--upload-pack=x\","
	    "\"commit\":\"" SHA1 "\"}", "bad_field", "'repo'");
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"\",\"commit\":\"" SHA1
	    "\"}", "bad_field", "'repo'");
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\"" SHA1
	    "\",\"branch\":\"../x\"}", "bad_field", "'branch'");
	parse_bad("{\"type\":\"dispatch\",\"repo\":\"/x\",\"commit\":\"" SHA1
	    "\",\"branch\":\"-f\"}", "bad_field", "'branch'");
}

static void
test_bad_version(void **state)
{
	(void)state;
	parse_bad("{\"type\":\"hello\",\"role\":\"client\",\"version\":2}",
	    "bad_version", "version 2");
	parse_bad("{\"type\":\"hello\",\"role\":\"client\",\"version\":0}",
	    "bad_version", NULL);
	parse_bad("{\"type\":\"hello\",\"role\":\"client\","
	    "\"version\":4294967297}", "bad_version", NULL);
	/* Version is checked first: a newer peer may have new roles. */
	parse_bad("{\"type\":\"hello\",\"role\":\"robot\",\"version\":9}",
	    "bad_version", NULL);
}

static void
test_embedded_nul(void **state)
{
	static const char	raw[] = "{\"type\":\"ping\"}\0garbage";
	static const char	inner[] = "{\"type\":\"\0ping\"}";

	(void)state;
	parse_bad_len(raw, sizeof raw - 1, "bad_json", NULL);
	parse_bad_len(inner, sizeof inner - 1, "bad_json", NULL);
	parse_bad("{\"type\":\"error\",\"code\":\"a\\u0000b\","
	    "\"message\":\"m\"}", "bad_json", NULL);
	parse_bad("{\"type\":\"log\",\"id\":1,\"data\":\"\\u0000\"}",
	    "bad_json", NULL);
}

static void
test_hostile(void **state)
{
	struct proto_msg	 msg;
	struct proto_error	 err;
	static const char	 prefix[] = "{\"type\":\"ping\",\"x\":";
	char			*deep;
	size_t			 i, n = 100000, p = sizeof prefix - 1;

	(void)state;
	parse_bad("{\"type\":\"cancel\",\"id\":99999999999999999999999}",
	    "bad_json", NULL);
	parse_bad("{\"type\":\"cancel\",\"id\":1e999}", "bad_json", NULL);
	parse_bad("{\"type\":\"register\",\"name\":\"b\","
	    "\"slots\":4294967297}", "bad_field", "'slots'");
	parse_bad("{\"type\":\"result\",\"id\":1,\"status\":\"failed\","
	    "\"exit_code\":2147483648}", "bad_field", "'exit_code'");

	/* Far deeper than jansson's limit, balanced, in a valid message. */
	deep = malloc(p + 2 * n + 1);
	assert_non_null(deep);
	memcpy(deep, prefix, p);
	for (i = 0; i < n; i++) {
		deep[p + i] = '[';
		deep[p + 2 * n - 1 - i] = ']';
	}
	deep[p + 2 * n] = '}';
	parse_bad_len(deep, p + 2 * n + 1, "bad_json", "depth");
	parse_bad_len(deep + p, 2 * n, "bad_json", "depth");
	free(deep);

	assert_int_equal(proto_parse("{}", (size_t)PROTO_MAX_LINE + 1, &msg,
	    &err), -1);
	assert_string_equal(err.code, "too_long");

	/* Control bytes from the peer never reach the error message. */
	parse_bad("{\"type\":\"a\\u001b[31mb\"}", "unknown_type", "'a?[31mb'");
}

static void
test_extra_fields(void **state)
{
	struct proto_msg	msg;

	(void)state;
	parse_good("{\"x\":{\"y\":[1,2,null]},\"type\":\"cancel\",\"id\":5,"
	    "\"future\":true}", &msg);
	assert_int_equal(msg.type, PROTO_CANCEL);
	assert_int_equal(msg.job, 5);
	proto_msg_release(&msg);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(proto_type_name(PROTO_HELLO), "hello");
	assert_string_equal(proto_type_name(PROTO_RESULT), "result");
	assert_string_equal(proto_type_name(PROTO_CANCEL), "cancel");
	assert_string_equal(proto_type_name((enum proto_type)99), "unknown");
	assert_string_equal(proto_role_name(PROTO_ROLE_RUNNER), "runner");
	assert_string_equal(proto_role_name(PROTO_ROLE_OBSERVER), "observer");
	assert_string_equal(proto_role_name(PROTO_ROLE_CLIENT), "client");
	assert_string_equal(proto_role_name((enum proto_role)-1), "unknown");
}

/* The heartbeat's shared lines parse as what they claim to be. */
static void
test_ping_pong_lines(void **state)
{
	struct proto_msg	 msg;
	struct proto_error	 err = { NULL, "", -1 };
	const char		*ping;
	char			*pong;
	size_t			 len;

	(void)state;
	ping = proto_ping_line(&len);
	assert_int_equal(ping[len - 1], '\n');
	assert_int_equal(proto_parse(ping, len - 1, &msg, &err), 0);
	assert_int_equal(msg.type, PROTO_PING);
	proto_msg_release(&msg);
	pong = proto_encode_pong(&len);
	assert_true(proto_is_pong(pong, len - 1));
	assert_false(proto_is_pong(pong, len));
	assert_false(proto_is_pong("{\"type\":\"ping\"}", 15));
	free(pong);
}

/* Log lines are written and read by hand; jansson must agree with both. */
static void
test_log_shortcut_agrees(void **state)
{
	static const char data[] = "plain \"quoted\" back\\slash\n\t\r\b\f"
	    "\x01\x1f\x7f caf\xc3\xa9 \xf0\x9f\x98\x80 bad\xff end";
	struct proto_msg	 fast, slow;
	struct proto_error	 err = { NULL, "", -1 };
	size_t			 len;
	char			*line;

	(void)state;
	line = proto_encode_log(42, data, sizeof data - 1, &len);
	assert_int_equal(proto_parse(line, len - 1, &fast, &err), 0);
	assert_int_equal(proto_parse_general(line, len - 1, &slow, &err), 0);
	assert_int_equal(fast.type, PROTO_LOG);
	assert_int_equal(fast.job, 42);
	assert_int_equal(fast.data_len, slow.data_len);
	assert_memory_equal(fast.data, slow.data, slow.data_len);
	/* The one invalid byte became U+FFFD, the rest came through. */
	assert_non_null(strstr(fast.data, "bad\xef\xbf\xbd end"));
	proto_msg_release(&fast);
	proto_msg_release(&slow);
	free(line);
	/* Unusual but valid JSON goes the general way and still parses. */
	line = "{\"type\":\"log\",\"id\":3,\"data\":\"\\ud83d\\ude00\"}";
	assert_int_equal(proto_parse(line, strlen(line), &fast, &err), 0);
	assert_string_equal(fast.data, "\xf0\x9f\x98\x80");
	proto_msg_release(&fast);
	line = "{\"type\":\"log\", \"id\":3,\"data\":\"x\"}";
	assert_int_equal(proto_parse(line, strlen(line), &fast, &err), 0);
	proto_msg_release(&fast);
	/* And what jansson refuses, the shortcut does not take. */
	line = "{\"type\":\"log\",\"id\":3,\"data\":\"\\u0000\"}";
	assert_int_equal(proto_parse(line, strlen(line), &fast, &err), -1);
	line = "{\"type\":\"log\",\"id\":3,\"data\":\"\\ud800\"}";
	assert_int_equal(proto_parse(line, strlen(line), &fast, &err), -1);
	line = "{\"type\":\"log\",\"id\":03,\"data\":\"x\"}";
	assert_int_equal(proto_parse(line, strlen(line), &fast, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_dispatch_trigger_priority),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_job_params),
		cmocka_unit_test(test_bare_types),
		cmocka_unit_test(test_ok_json),
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_ping_pong_lines),
		cmocka_unit_test(test_log_shortcut_agrees),
		cmocka_unit_test(test_register_limits),
		cmocka_unit_test(test_job),
		cmocka_unit_test(test_job_run),
		cmocka_unit_test(test_job_keep),
		cmocka_unit_test(test_accepted_cancel),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_log_not_utf8),
		cmocka_unit_test(test_log_limit),
		cmocka_unit_test(test_result),
		cmocka_unit_test(test_result_unknowns),
		cmocka_unit_test(test_result_not_final),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_not_object),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_missing_field),
		cmocka_unit_test(test_wrong_type_field),
		cmocka_unit_test(test_bad_commit),
		cmocka_unit_test(test_commit_normalized),
		cmocka_unit_test(test_bad_repo_branch),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_extra_fields),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

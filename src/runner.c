/* SPDX-License-Identifier: MIT */
/*
 * runner.c - "ssci runner [CLONE]": one connection to the dispatcher, kept
 * open; registers, takes jobs into its slots, answers pings, forwards
 * cancels.  What happens to a job is runjob.c's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <jansson.h>

#include "cmd.h"
#include "conn.h"
#include "cgroup.h"
#include "repo.h"
#include "runartifact.h"
#include "runcache.h"
#include "runner.h"
#include "plan.h"
#include "spawn.h"
#include "util.h"

static int
runner_job_memory(void *arg, const char *size)
{
	struct runner *r = arg;

	if (parse_size(size, &r->jobs.job_memory) == -1 ||
	    r->jobs.job_memory < (1 << 20)) {
		cmd_error("invalid --job-memory '%s': expected a size like "
		    "512M or 2G", size);
		return -1;
	}
	return 0;
}

static int
runner_reports(void *arg, const char *glob)
{
	struct runner *r = arg;

	if (!plan_report_valid(glob)) {
		cmd_error("invalid --reports '%s': a path relative to the "
		    "tree, without '..', at most %d bytes", glob,
		    PLAN_MAX_REPORT);
		return -1;
	}
	r->jobs.reports = glob;
	return 0;
}

static int
runner_cache_max(void *arg, const char *size)
{
	struct runner *r = arg;

	if (parse_size(size, &r->jobs.cache_max) == -1) {
		cmd_error("invalid --cache-max '%s': expected a size like 512M "
		    "or 5G, or 0 for no caching", size);
		return -1;
	}
	return 0;
}

static const struct cmd_opt runner_opts[] = {
	{ "dispatcher-server", required_argument, 'd', "HOST:PORT",
	    "localhost:8888", CMD_DISPATCHER_ABOUT,
	    CMD_STR(struct runner, client.server) },
	{ "name", required_argument, 'n', "NAME", "host name and pid",
	    "how the runner is known", CMD_COPY(struct runner, name) },
	{ "work-dir", required_argument, 'w', "DIR", "./ssci-work",
	    "clones of each repository, when no CLONE is given; made when a "
	    "job first needs it", CMD_STR(struct runner, jobs.work_dir) },
	{ "test-cmd", required_argument, 'c', "CMD", NULL,
	    "test command (run with /bin/sh -c) for repositories without "
	    ".ssci/test", CMD_STR(struct runner, jobs.test_cmd) },
	{ "job-timeout", required_argument, 't', "SECONDS", "the dispatcher's",
	    "overrides the job timeout on this runner",
	    CMD_INT(struct runner, jobs.job_timeout_s, 1, 1000000) },
	{ "jobs", required_argument, 'j', "N", "1",
	    "run up to N jobs at once, each in a git worktree of its own",
	    CMD_INT(struct runner, jobs.nslots, 1, 64) },
	{ "sandbox", no_argument, 'S', NULL, NULL,
	    "run each test inside bubblewrap: read-only file system but its "
	    "tree, its own /tmp, no network",
	    CMD_FLAG(struct runner, jobs.sandbox) },
	{ "sandbox-net", no_argument, 'N', NULL, NULL,
	    "the same, with the network",
	    CMD_FLAG(struct runner, jobs.sandbox_net) },
	{ "job-memory", required_argument, 'm', "SIZE", NULL,
	    "memory limit per job (512M, 2G), by a control group",
	    CMD_CALL(runner_job_memory) },
	{ "job-pids", required_argument, 'p', "N", NULL,
	    "process limit per job, by a control group",
	    CMD_INT(struct runner, jobs.job_pids, 1, 1000000) },
	{ "reports", required_argument, 'r', "GLOB", NULL,
	    "JUnit XML reports every job may write, relative to its tree "
	    "(build/junit-*.xml); read after the test for per-test results",
	    CMD_CALL(runner_reports) },
	{ "cache-dir", required_argument, 'C', "DIR", "WORK/caches",
	    "where jobs' caches are kept (a pipeline's cache:), one runner's "
	    "own", CMD_STR(struct runner, jobs.cache_dir) },
	{ "cache-max", required_argument, 'Q', "SIZE", "5G",
	    "the most the caches may hold (512M, 5G), the least recently "
	    "used removed first; 0: no caching",
	    CMD_CALL(runner_cache_max) },
	{ "label", required_argument, 'l', "NAME", NULL,
	    "something this runner offers, told to the dispatcher "
	    "(repeatable, up to 64; shown in its status; 1 to 255 bytes "
	    "without control characters, not starting with '-')",
	    CMD_LIST_VALID(struct runner, label_args, name_valid, "--label") },
	CMD_OPT_CONFIG,
	CMD_SECURITY_OPTIONS(struct runner, client.sec),
	CMD_OPT_VERBOSE(struct runner, client.verbose),
	CMD_OPT_HELP,
	CMD_OPT_END,
};

const struct cmd_spec cmd_runner_spec = {
	"usage: ssci runner [OPTIONS] [CLONE]\n", "vh", runner_opts,
	"runner", sizeof(struct runner), 0,
};

static void runner_flush_outbox(struct runner *r);

static void
runner_outbox_remove(struct runner *r, struct outbox *o)
{
	if (o->is_tests)
		r->outbox_tests_bytes -= strlen(o->line);
	TAILQ_REMOVE(&r->outbox, o, entry);
	free(o->line);
	free(o);
}

/*
 * The dispatcher could not store a result for a reason that passes (its
 * disk is full): keep it and send it again later, backing off.
 */
static void
runner_defer(struct runner *r, struct outbox *o)
{
	struct timeval tv;

	o->deferred = 1;
	if (evtimer_pending(r->ev_retry, NULL))
		return;
	tv.tv_sec = r->retry_backoff_ms / 1000;
	tv.tv_usec = (r->retry_backoff_ms % 1000) * 1000;
	evtimer_add(r->ev_retry, &tv);
	log_info("dispatcher cannot take the %s of job %lld now; sending "
	    "it again in %d ms", o->is_tests ? "tests" : "result",
	    (long long)o->job, r->retry_backoff_ms);
	r->retry_backoff_ms *= 2;
	if (r->retry_backoff_ms > RUNNER_RETRY_MAX_MS)
		r->retry_backoff_ms = RUNNER_RETRY_MAX_MS;
}

static void
runner_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner *r = arg;

	(void)fd;
	(void)what;
	struct outbox *o;

	TAILQ_FOREACH(o, &r->outbox, entry) {
		if (o->deferred) {
			o->deferred = 0;
			r->unsent++;
		}
	}
	runner_flush_outbox(r);
}

static void
runner_outbox_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct outbox *o = arg;
	struct runner *r = conn_arg(c);

	o->in_flight = 0;
	if (reply == NULL) {
		r->unsent++;	/* lost: sent again after reconnecting */
		return;
	}
	if (reply->type == PROTO_ERROR && reply->code != NULL &&
	    strcmp(reply->code, "try_again") == 0) {
		runner_defer(r, o);
		return;
	}
	if (reply->type == PROTO_ERROR)
		log_warnx("%s of job %lld refused: %s", o->is_tests ? "tests" :
		    "result", (long long)o->job, reply->message);
	else
		r->retry_backoff_ms = RUNNER_RETRY_MIN_MS;
	runner_outbox_remove(r, o);
}

/* Send what waits, in order, once registered again. */
static void
runner_flush_outbox(struct runner *r)
{
	struct outbox *o, *next;

	if (!r->registered)
		return;
	if (r->outbox_dropped) {
		log_warnx("output past %d bytes made while the dispatcher was "
		    "away was dropped", RUNNER_OUTBOX_LOG_MAX);
		r->outbox_dropped = 0;
	}
	for (o = TAILQ_FIRST(&r->outbox); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o->in_flight || o->deferred)
			continue;
		if (!o->is_result) {
			if (conn_send(r->client.conn, xstrdup(o->line)) == -1)
				return;
			r->outbox_log_bytes -= strlen(o->line);
			r->unsent--;
			runner_outbox_remove(r, o);
			continue;
		}
		if (conn_request(r->client.conn, xstrdup(o->line), runner_outbox_reply,
		    o) == -1)
			return;
		o->in_flight = 1;
		r->unsent--;
	}
}

static void
runner_outbox_add(struct runner *r, int64_t job, int attempt, char *line,
    int is_result)
{
	struct outbox *o = xcalloc(1, sizeof *o);

	o->job = job;
	o->attempt = attempt;
	o->line = line;
	o->is_result = is_result;
	TAILQ_INSERT_TAIL(&r->outbox, o, entry);
	r->unsent++;
}

static void
runner_deliver(struct runner *r, int64_t job, int attempt, char *line)
{
	runner_outbox_add(r, job, attempt, line, 1);
	runner_flush_outbox(r);
}

/* A job's tests go like its result: kept until answered, in order. */
static void
runner_job_tests(void *arg, struct runjob *j, char *line)
{
	struct runner *r = arg;

	r->outbox_tests_bytes += strlen(line);
	runner_outbox_add(r, j->id, j->attempt, line, 1);
	TAILQ_LAST(&r->outbox, outbox_list)->is_tests = 1;
	runner_flush_outbox(r);
}

static size_t
runner_tests_backlog(void *arg)
{
	const struct runner *r = arg;

	return r->outbox_tests_bytes;
}

static void
runner_send_log(struct runner *r, int64_t job, char *line)
{
	size_t len = strlen(line);

	if (r->registered && r->unsent == 0) {
		conn_send(r->client.conn, line);
		return;
	}
	if (r->outbox_log_bytes + len > RUNNER_OUTBOX_LOG_MAX) {
		r->outbox_dropped = 1;
		free(line);
		return;
	}
	r->outbox_log_bytes += len;
	runner_outbox_add(r, job, 0, line, 0);
}

static void
runner_register_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct runner *r = arg;

	if (reply == NULL)
		return;
	if (reply->type == PROTO_ERROR && reply->code != NULL &&
	    strcmp(reply->code, "name_taken") == 0) {
		/*
		 * Most often our own earlier connection, from a machine that
		 * died: the dispatcher drops it once it is found silent.
		 */
		if (!r->name_taken_said)
			log_warnx("registration refused: %s; trying again",
			    reply->message);
		r->name_taken_said = 1;
		conn_retry_later(c, "name taken");
		return;
	}
	if (reply->type == PROTO_ERROR) {
		log_warnx("registration refused: %s", reply->message);
		r->status = 1;
		event_base_loopexit(r->client.base, NULL);
		return;
	}
	r->name_taken_said = 0;
	r->registered = 1;
	log_info("registered with %s as '%s'", conn_server(c), r->name);
	runner_flush_outbox(r);
	runartifact_connection_back();
}

/* Register, naming the jobs still held: running, or with results unsent. */
static void
runner_ready(struct conn *c, void *arg)
{
	struct runner *r = arg;
	int64_t held[PROTO_MAX_SLOTS];
	int attempts[PROTO_MAX_SLOTS];
	struct outbox *o;
	size_t n = 0;

	for (int i = 0; i < r->jobs.nslots; i++) {
		if (r->slots[i] != NULL) {
			attempts[n] = r->slots[i]->attempt;
			held[n++] = r->slots[i]->id;
		}
	}
	TAILQ_FOREACH(o, &r->outbox, entry) {
		size_t k;

		if (n == PROTO_MAX_SLOTS)
			break;
		/* A job in a slot may have its result waiting: name it once. */
		for (k = 0; k < n && held[k] != o->job; k++)
			;
		/* Tests alone (their result stored) are no job held. */
		if (o->is_result && !o->is_tests && k == n) {
			attempts[n] = o->attempt;
			held[n++] = o->job;
		}
	}
	conn_request(c, proto_encode_register(r->name, r->jobs.nslots, 1,
	    r->labels, r->nlabels, held, attempts, n, NULL),
	    runner_register_reply, r);
}

/* The slot holding job id, or -1. */
static int
runner_slot_of(const struct runner *r, int64_t id)
{
	for (int i = 0; i < r->jobs.nslots; i++) {
		if (r->slots[i] != NULL && r->slots[i]->id == id)
			return i;
	}
	return -1;
}

/*
 * Start j in free slot i, saying `accepted`; unless the work dir is
 * another runner's: we must not work there, and leaving without a result
 * gives the job back to the dispatcher's queue.
 */
static void
runner_start(struct runner *r, int i, struct runjob *j)
{
	/* The work dir is made when a job first needs it. */
	if ((r->jobs.clone == NULL || r->jobs.nslots > 1) &&
	    workdir_ensure(r) == -1) {
		runjob_free(j);
		r->status = 1;
		event_base_loopexit(r->client.base, NULL);
		return;
	}
	conn_send(r->client.conn, proto_encode_accepted(j->id, NULL));
	j->slot = i;
	r->slots[i] = j;
	runjob_run(j);
}

/* Take job index k off the jobs ahead, in order. */
static struct runjob *
runner_ahead_take(struct runner *r, int k)
{
	struct runjob *j = r->ahead[k];

	memmove(r->ahead + k, r->ahead + k + 1,
	    (size_t)(r->nahead - k - 1) * sizeof *r->ahead);
	r->nahead--;
	return j;
}

/*
 * A job ahead cancelled before it started: its result says so at once,
 * as the dispatcher waits for one.  Nothing if no job ahead is id.
 */
static void
runner_ahead_cancel(struct runner *r, int64_t id)
{
	struct job_result res = { .job = id, .state = JOB_CANCELLED,
	    .exit_code = -1, .duration_ms = 0, .tests = { -1, -1, -1 },
	    .message = "cancelled before it started" };
	struct runjob *j;
	int attempt;

	for (int k = 0; k < r->nahead; k++) {
		if (r->ahead[k]->id != id)
			continue;
		j = runner_ahead_take(r, k);
		attempt = j->attempt;
		runjob_free(j);
		log_info("job %lld cancelled before it started", (long long)id);
		runner_deliver(r, id, attempt, proto_encode_result(&res, NULL));
		return;
	}
}

/* Forget the jobs ahead (the connection is gone, or we are). */
static void
runner_ahead_drop(struct runner *r)
{
	while (r->nahead > 0)
		runjob_free(runner_ahead_take(r, r->nahead - 1));
}

/*
 * A job from the dispatcher: take it into a free slot, or keep it for
 * the next slot to free (it was handed ahead), or refuse it.
 */
static void
runner_job(struct runner *r, struct proto_msg *msg)
{
	int held = runner_slot_of(r, msg->job);

	/* A job we planned comes back with what to run. */
	if (held != -1) {
		runjob_planned(r->slots[held], msg);
		return;
	}
	for (int i = 0; i < r->jobs.nslots; i++) {
		if (r->slots[i] == NULL) {
			runner_start(r, i, runjob_new(&r->jobs, i, msg));
			return;
		}
	}
	if (r->nahead < r->jobs.nslots) {
		r->ahead[r->nahead++] = runjob_new(&r->jobs, -1, msg);
		return;
	}
	conn_send(r->client.conn, proto_encode_error("busy", "every slot is busy",
	    NULL));
}

static void
runner_message(struct conn *c, struct proto_msg *msg, void *arg)
{
	struct runner *r = arg;

	switch (msg->type) {
	case PROTO_JOB:
		runner_job(r, msg);
		break;
	case PROTO_ARTIFACT_DATA:
		runartifact_frame(msg->data, msg->data_len);
		break;
	case PROTO_CANCEL:
		for (int i = 0; i < r->jobs.nslots; i++) {
			if (r->slots[i] != NULL && r->slots[i]->id == msg->job)
				runjob_stop(r->slots[i], JOB_CANCELLED);
		}
		runner_ahead_cancel(r, msg->job);
		conn_send(c, proto_encode_ok(NULL));
		break;
	default:
		log_warnx("unexpected %s from the dispatcher",
		    proto_type_name(msg->type));
	}
}

static void
runner_refused(struct conn *c, const char *why, void *arg)
{
	struct runner *r = arg;

	(void)c;
	(void)why;
	r->status = 1;
	event_base_loopexit(r->client.base, NULL);
}

static void
runner_lost(struct conn *c, void *arg)
{
	struct runner *r = arg;

	(void)c;
	r->registered = 0;
	runner_ahead_drop(r);
	runartifact_connection_lost();
}

static void
runner_drained(struct conn *c, void *arg)
{
	struct runner *r = arg;

	(void)c;
	for (int i = 0; i < r->jobs.nslots; i++) {
		if (r->slots[i] != NULL) {
			runjob_resume(r->slots[i]);
			runartifact_drained(r->slots[i]);
		}
	}
}

/* What a job tells its runner (struct runjob_config). */
static void
runner_job_output(void *arg, int64_t job, char *line)
{
	runner_send_log(arg, job, line);
}

static int
runner_congested(void *arg)
{
	struct runner *r = arg;

	return conn_congested(r->client.conn);
}

static void
runner_test_started(void *arg, int slot, pid_t pgid)
{
	workdir_record(arg, slot, pgid);
}

static void
runner_test_ended(void *arg, int slot)
{
	workdir_forget(arg, slot);
}

static void
runner_job_done(void *arg, struct runjob *j, char *result)
{
	struct runner *r = arg;

	int slot = j->slot;

	if (result != NULL)
		runner_deliver(r, j->id, j->attempt, result);
	r->slots[slot] = NULL;
	runjob_free(j);
	/*
	 * The next job is already here: no round trip between the two.  Not
	 * on a connection going away (its `accepted` would be lost): the
	 * dispatcher hands it out again.
	 */
	if (r->nahead > 0 && (!r->registered ||
	    !conn_is_ready(r->client.conn)))
		runner_ahead_drop(r);
	if (r->nahead > 0 && r->slots[slot] == NULL)
		runner_start(r, slot, runner_ahead_take(r, 0));
}

/* A job's artifacts over the connection (runartifact.c's transfers). */
static int
runner_artifact_begin(void *arg, struct runjob *j, const char *path,
    int64_t size, int mode)
{
	struct runner *r = arg;

	if (!r->registered)
		return -1;
	return conn_send(r->client.conn, proto_encode_artifact(j->id,
	    j->attempt, path, size, mode, NULL));
}

static int
runner_artifact_frame(void *arg, struct runjob *j, const void *data,
    size_t len)
{
	struct runner *r = arg;

	if (!r->registered)
		return -1;
	return conn_send_frame(r->client.conn, proto_encode_artifact_data(
	    j->id, len, NULL), data, len);
}

/* The answer to an artifact's end or an artifact_get, for its job. */
struct runner_artifact {
	struct runner *r;
	int64_t job;
	int get;
};

static void
runner_artifact_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct runner_artifact *ra = arg;
	int slot = runner_slot_of(ra->r, ra->job);
	struct runjob *j = slot != -1 ? ra->r->slots[slot] : NULL;
	json_t *ok = NULL;
	int get = ra->get;

	(void)c;
	free(ra);
	if (j == NULL) {
		/* Its job is gone; the bytes of a file it asked for come. */
		if (get && reply != NULL && reply->type == PROTO_OK &&
		    (ok = json_loads(reply->raw, 0, NULL)) != NULL) {
			runartifact_drain(json_integer_value(json_object_get(ok,
			    "size")));
			json_decref(ok);
		} else if (get)
			runartifact_drain(0);
		return;
	}
	if (!get) {
		runartifact_ended(j, reply == NULL ? NULL : reply->type ==
		    PROTO_ERROR ? reply->code : NULL, reply == NULL ? NULL :
		    reply->type == PROTO_ERROR ? reply->message : "");
		return;
	}
	if (reply == NULL || reply->type == PROTO_ERROR) {
		runartifact_got(j, reply ? reply->code : NULL,
		    reply ? reply->message : NULL, 0, NULL, 0);
		return;
	}
	ok = reply->raw != NULL ? json_loads(reply->raw, 0, NULL) : NULL;
	if (!json_is_integer(json_object_get(ok, "size")) ||
	    json_integer_value(json_object_get(ok, "size")) < 0 ||
	    !json_is_string(json_object_get(ok, "sha256")))
		runartifact_got(j, "bad_reply", "the dispatcher's answer has "
		    "no size and checksum", 0, NULL, 0);
	else
		runartifact_got(j, NULL, "", json_integer_value(
		    json_object_get(ok, "size")), json_string_value(
		    json_object_get(ok, "sha256")), (int)json_integer_value(
		    json_object_get(ok, "mode")));
	json_decref(ok);
}

static void
runner_artifact_end(void *arg, struct runjob *j, const char *sha256)
{
	struct runner *r = arg;
	struct runner_artifact *ra = xmalloc(sizeof *ra);

	*ra = (struct runner_artifact){ r, j->id, 0 };
	if (!r->registered || conn_request(r->client.conn,
	    proto_encode_artifact_end(j->id, sha256, NULL),
	    runner_artifact_reply, ra) == -1) {
		free(ra);
		runartifact_ended(j, NULL, NULL);
	}
}

static int
runner_artifact_get(void *arg, struct runjob *j, int64_t job,
    const char *path)
{
	struct runner *r = arg;
	struct runner_artifact *ra = xmalloc(sizeof *ra);

	*ra = (struct runner_artifact){ r, j->id, 1 };
	if (!r->registered || conn_request(r->client.conn,
	    proto_encode_artifact_get(job, path, NULL), runner_artifact_reply,
	    ra) == -1) {
		free(ra);
		return -1;
	}
	return 0;
}

/* The dispatcher's answer to a plan, for the job it is about. */
struct runner_plan {
	struct runner *r;
	int64_t job;
};

static void
runner_plan_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct runner_plan *rp = arg;
	struct runner *r = rp->r;
	int slot = runner_slot_of(r, rp->job);

	(void)c;
	free(rp);
	if (slot == -1)
		return;
	if (reply == NULL) {
		/*
		 * Lost with the connection: the dispatcher gives the job to
		 * a runner again, planned or not; ours must not go on.
		 */
		log_info("job %lld: connection lost while planning: left to "
		    "the dispatcher", (long long)r->slots[slot]->id);
		runjob_plan_answer(r->slots[slot], NULL, NULL);
		return;
	}
	runjob_plan_answer(r->slots[slot], reply->type == PROTO_ERROR ?
	    reply->code : NULL, reply->message);
}

static void
runner_job_plan(void *arg, struct runjob *j, const char *text, size_t len)
{
	struct runner *r = arg;
	struct runner_plan *rp = xmalloc(sizeof *rp);

	rp->r = r;
	rp->job = j->id;
	if (conn_request(r->client.conn, proto_encode_plan(j->id, text, len,
	    NULL), runner_plan_reply, rp) == -1) {
		/* Not connected: the dispatcher will give the job out again. */
		free(rp);
		runjob_plan_answer(j, NULL, NULL);
	}
}

/* Kill what still runs, at exit; the dispatcher re-queues those jobs. */
static void
runner_kill_jobs(struct runner *r)
{
	spawn_shutdown();
	runner_ahead_drop(r);
	for (int i = 0; i < r->jobs.nslots; i++) {
		if (r->slots[i] != NULL) {
			runjob_free(r->slots[i]);
			r->slots[i] = NULL;
		}
	}
}

/*
 * Check what --sandbox and the job limits need, once, and say plainly what
 * this machine cannot do.  -1 if the runner cannot run as asked.
 */
static int
runner_setup_isolation(struct runner *r)
{
	char why[256];

	if (r->jobs.sandbox && spawn_run_sync((const char *const[]){ "bwrap",
	    "--version", NULL }, NULL, NULL) != 0) {
		log_warnx("unable to sandbox tests: bubblewrap ('bwrap') is not "
		    "installed (apt-get install bubblewrap)");
		return -1;
	}
	if (r->jobs.job_memory == 0 && r->jobs.job_pids == 0)
		return 0;
	if (cgroup_probe(r->jobs.job_memory > 0, r->jobs.job_pids > 0, why,
	    sizeof why) == 0) {
		r->jobs.use_cgroups = 1;
		return 0;
	}
	log_warnx("job limits without control groups: %s; memory is limited "
	    "per process (RLIMIT_AS) instead%s", why, r->jobs.job_pids > 0 ?
	    ", and --job-pids is not enforced" : "");
	return 0;
}

/*
 * "ssci up" says who it is in SSCI_UP_PID, for our lock file: a later
 * "ssci up" can then tell a runner left by one that died from one started
 * by hand.  The tests we run need not see it.
 */
static void
runner_take_up_pid(struct runner *r)
{
	const char *up = getenv("SSCI_UP_PID");
	long v;

	if (up != NULL && parse_long(up, 1, 1L << 30, &v) == 0)
		r->up_pid = v;
	unsetenv("SSCI_UP_PID");
}

static char *
runner_default_name(void)
{
	char host[256];
	char *name;

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "runner");
	host[sizeof host - 1] = '\0';
	xasprintf(&name, "%s-%ld", host, (long)getpid());
	return name;
}

static const struct conn_callbacks runner_conn_cbs = {
	.on_ready = runner_ready, .on_message = runner_message,
	.on_refused = runner_refused, .on_lost = runner_lost,
	.on_drained = runner_drained,
};

static const struct cmd_client_kind runner_kind = {
	.log_name = "runner", .daemon = 1, .spawns = 1, .stop_on_signals = 1,
	.cbs = &runner_conn_cbs, .role = PROTO_ROLE_RUNNER, .reconnect = 1,
};

/* The loop's part: what jobs tell us, the retry timer, the connection. */
static void
runner_run(struct runner *r)
{
	r->slots = xcalloc((size_t)r->jobs.nslots, sizeof *r->slots);
	r->ahead = xcalloc((size_t)r->jobs.nslots, sizeof *r->ahead);
	cmd_client_start(&r->client);
	r->jobs.base = r->client.base;
	r->jobs.output = runner_job_output;
	r->jobs.congested = runner_congested;
	r->jobs.test_started = runner_test_started;
	r->jobs.test_ended = runner_test_ended;
	r->jobs.done = runner_job_done;
	r->jobs.plan = runner_job_plan;
	r->jobs.artifact_begin = runner_artifact_begin;
	r->jobs.artifact_frame = runner_artifact_frame;
	r->jobs.artifact_end = runner_artifact_end;
	r->jobs.artifact_get = runner_artifact_get;
	r->jobs.tests = runner_job_tests;
	r->jobs.tests_backlog = runner_tests_backlog;
	r->jobs.arg = r;
	r->retry_backoff_ms = RUNNER_RETRY_MIN_MS;
	r->ev_retry = evtimer_new(r->client.base, runner_retry_cb, r);
	/* Absolute, so that the sandbox can hide it wherever we were run. */
	if (r->client.sec.token_file != NULL)
		r->jobs.token_file = realpath(r->client.sec.token_file, NULL);
	if (cmd_client_connect(&r->client) == 0)
		cmd_client_run(&r->client);
	else
		r->status = 1;
	runner_kill_jobs(r);
	cgroup_cleanup();
	event_free(r->ev_retry);
	cmd_client_end(&r->client);
}

/* At exit: results never delivered are said, and the work dir let go. */
static void
runner_free(struct runner *r)
{
	struct outbox *o;

	while ((o = TAILQ_FIRST(&r->outbox)) != NULL) {
		TAILQ_REMOVE(&r->outbox, o, entry);
		if (o->is_result)
			log_warnx("%s of job %lld not delivered", o->is_tests ?
			    "tests" : "result", (long long)o->job);
		free(o->line);
		free(o);
	}
	free(r->slots);
	free(r->ahead);
	free(r->name);
	for (size_t i = 0; i < r->nlabels; i++)
		free(r->labels[i]);
	free(r->labels);
	free(r->label_args.items);
	free(r->jobs.work_abs);
	workdir_close(r);
	free((char *)r->jobs.token_file);
}

int
cmd_runner(int argc, char **argv)
{
	struct runner r = { .jobs = { .work_dir = "ssci-work", .nslots = 1,
	    .cache_max = RUNCACHE_DEFAULT_MAX } };
	char *clone_abs = NULL, *gitdir = NULL;
	int first, rc;

	TAILQ_INIT(&r.outbox);
	TAILQ_INIT(&r.worktree_turns.waiting);
	r.jobs.worktree_turns = &r.worktree_turns;
	first = cmd_parse(argc, argv, &cmd_runner_spec, &r);
	if (argc - first > 1)
		cmd_usage(&cmd_runner_spec);
	if (argc - first == 1)
		r.jobs.clone = argv[first];
	if (r.label_args.n > PROTO_MAX_LABELS) {
		fprintf(stderr, "ssci: at most %d --label\n", PROTO_MAX_LABELS);
		cmd_usage(&cmd_runner_spec);
	}
	r.labels = xcalloc(r.label_args.n + 1, sizeof *r.labels);
	for (r.nlabels = 0; r.nlabels < r.label_args.n; r.nlabels++)
		r.labels[r.nlabels] = xstrdup(r.label_args.items[r.nlabels]);
	/* --sandbox-net is a sandbox too. */
	r.jobs.sandbox |= r.jobs.sandbox_net;
	cmd_client_init(&r.client, &runner_kind, &r);
	if (r.jobs.clone != NULL) {
		if (access(r.jobs.clone, F_OK) == -1)
			fatal("unable to use clone '%s'", r.jobs.clone);
		if ((gitdir = repo_git_dir(r.jobs.clone)) == NULL)
			return 1;
		/* Absolute: tests run in it after a chdir, maybe sandboxed. */
		if ((clone_abs = realpath(r.jobs.clone, NULL)) == NULL)
			fatal("unable to resolve '%s'", r.jobs.clone);
		r.jobs.clone = clone_abs;
	}
	if (r.name == NULL)
		r.name = runner_default_name();
	runner_take_up_pid(&r);
	rc = workdir_open(&r, gitdir);
	free(gitdir);
	if (rc == -1 || runner_setup_isolation(&r) == -1)
		r.status = 1;
	else
		runner_run(&r);
	runner_free(&r);
	free(clone_abs);
	return r.status;
}

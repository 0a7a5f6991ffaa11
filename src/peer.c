/* SPDX-License-Identifier: MIT */
/*
 * peer.c - one connection to the dispatcher.  Reads lines, parses them,
 * looks the message up in peer_messages (who may send it, and what
 * handles it) and answers.  Bad input is answered with an error and
 * changes nothing; a peer that keeps sending it, or a line over the
 * limit, is disconnected.  A registered runner's side of the scheduler's
 * runner interface (send a job, a cancel, an answer) is here too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include <jansson.h>

#include "address.h"
#include "artifact.h"
#include "auth.h"
#include "dispatcher.h"
#include "plan.h"
#include "sched.h"
#include "secrets.h"
#include "store.h"
#include "util.h"

static int peer_on_hello(struct peer *p, const struct proto_msg *msg);
static int peer_on_register(struct peer *p, const struct proto_msg *msg);
static int peer_on_accepted(struct peer *p, const struct proto_msg *msg);
static int peer_on_log(struct peer *p, const struct proto_msg *msg);
static int peer_on_result(struct peer *p, const struct proto_msg *msg);
static int peer_on_plan(struct peer *p, const struct proto_msg *msg);
static int peer_on_tests(struct peer *p, const struct proto_msg *msg);
static int peer_on_error(struct peer *p, const struct proto_msg *msg);
static int peer_on_heard(struct peer *p, const struct proto_msg *msg);
static int peer_on_artifact(struct peer *p, const struct proto_msg *msg);
static int peer_on_artifact_data(struct peer *p,
    const struct proto_msg *msg);
static int peer_on_artifact_end(struct peer *p, const struct proto_msg *msg);
static int peer_on_artifact_get(struct peer *p, const struct proto_msg *msg);

#define FROM_RUNNER (1u << PROTO_ROLE_RUNNER)
#define FROM_CLIENTS ((1u << PROTO_ROLE_OBSERVER) | (1u << PROTO_ROLE_CLIENT))
#define FROM_ANYONE (FROM_RUNNER | FROM_CLIENTS)

/*
 * Every message the dispatcher takes.  docs/PROTOCOL.md lists the same
 * (tests/unit/test_messages.c compares them); a type not here is answered
 * unknown_type.
 */
const struct peer_message peer_messages[] = {
	{ PROTO_HELLO, FROM_ANYONE, PEER_BEFORE_HELLO, peer_on_hello, NULL },
	{ PROTO_DISPATCH, FROM_CLIENTS, 0, NULL, query_dispatch },
	{ PROTO_STATUS, FROM_CLIENTS, 0, NULL, query_status },
	{ PROTO_JOBS, FROM_CLIENTS, 0, NULL, query_jobs },
	{ PROTO_SHOW, FROM_CLIENTS, 0, NULL, query_show },
	{ PROTO_TAIL, FROM_CLIENTS, 0, NULL, query_tail },
	{ PROTO_CANCEL, FROM_CLIENTS, 0, NULL, query_cancel },
	{ PROTO_RETRY, FROM_CLIENTS, 0, NULL, query_retry },
	{ PROTO_RUN, FROM_CLIENTS, 0, NULL, query_run },
	{ PROTO_JOB_TESTS, FROM_CLIENTS, 0, NULL, query_job_tests },
	{ PROTO_QUARANTINE, FROM_CLIENTS, 0, NULL, query_quarantine },
	{ PROTO_SECRET_SET, FROM_CLIENTS, 0, NULL, query_secret_set },
	{ PROTO_SECRET_LIST, FROM_CLIENTS, 0, NULL, query_secret_list },
	{ PROTO_SECRET_RM, FROM_CLIENTS, 0, NULL, query_secret_rm },
	{ PROTO_REGISTER, FROM_RUNNER, 0, peer_on_register, NULL },
	{ PROTO_ACCEPTED, FROM_RUNNER, PEER_REGISTERED, peer_on_accepted,
	    NULL },
	{ PROTO_LOG, FROM_RUNNER, PEER_REGISTERED, peer_on_log, NULL },
	{ PROTO_RESULT, FROM_RUNNER, PEER_REGISTERED, peer_on_result, NULL },
	{ PROTO_PLAN, FROM_RUNNER, PEER_REGISTERED, peer_on_plan, NULL },
	{ PROTO_TESTS, FROM_RUNNER, PEER_REGISTERED, peer_on_tests, NULL },
	{ PROTO_ARTIFACT, FROM_RUNNER, PEER_REGISTERED, peer_on_artifact,
	    NULL },
	{ PROTO_ARTIFACT_DATA, FROM_RUNNER, PEER_REGISTERED,
	    peer_on_artifact_data, NULL },
	{ PROTO_ARTIFACT_END, FROM_RUNNER, PEER_REGISTERED,
	    peer_on_artifact_end, NULL },
	{ PROTO_ARTIFACT_GET, FROM_ANYONE, 0, peer_on_artifact_get, NULL },
	{ PROTO_ARTIFACTS, FROM_CLIENTS, 0, NULL, artifact_out_list },
	{ PROTO_OK, FROM_RUNNER, PEER_REGISTERED, peer_on_heard, NULL },
	{ PROTO_ERROR, FROM_RUNNER, PEER_REGISTERED, peer_on_error, NULL },
	{ PROTO_PONG, FROM_ANYONE, 0, peer_on_heard, NULL },
};
const size_t peer_nmessages = sizeof peer_messages / sizeof peer_messages[0];

static const struct peer_message *
peer_message_find(enum proto_type type)
{
	for (size_t i = 0; i < peer_nmessages; i++) {
		if (peer_messages[i].type == type)
			return &peer_messages[i];
	}
	return NULL;
}

static void
peer_free(struct peer *p)
{
	struct dispatcher *d = p->d;

	d->npeers--;
	if (d->live_next == p)
		d->live_next = LIST_NEXT(p, entry);
	LIST_REMOVE(p, entry);
	if (p->in_busy)
		LIST_REMOVE(p, busy_entry);
	artifact_in_free(p->upload);
	artifact_out_free(p->download);
	if (p->frame != NULL) {
		proto_msg_release(p->frame);
		free(p->frame);
	}
	peer_io_close(&p->io);
	free(p);
	gate_closed(&d->proto_gate);
}

/* A runner's connection is gone: the scheduler gives its jobs back. */
static void
peer_unregister(struct peer *p, const char *how, const char *why)
{
	struct sched_runner *r = p->runner;

	if (r == NULL)
		return;
	log_info("runner '%s' (%s) %s: %s", r->name, p->addr, how, why);
	p->runner = NULL;
	sched_runner_lost(p->d->sched, r, why);
}

void
peer_lost(struct peer *p, const char *why)
{
	if (p->runner != NULL)
		peer_unregister(p, "lost", why);
	else
		log_debug("peer %s closed: %s", p->addr, why);
	peer_free(p);
}

void
peer_send(struct peer *p, char *line)
{
	if (!p->closing)
		peer_io_write(&p->io, line, strlen(line));
	free(line);
}

void
peer_send_static(struct peer *p, const char *line, size_t len)
{
	/*
	 * Heartbeats go to every runner each second: when nothing waits to go
	 * out on a plain socket, write at once and spare the event loop the
	 * work of watching for writability.
	 */
	if (!p->closing)
		peer_io_write_now(&p->io, line, len);
}

/* Send what is queued, then close (the write callback finishes it). */
void
peer_close_after_flush(struct peer *p, const char *why)
{
	if (p->runner != NULL)
		peer_unregister(p, "disconnected", why);
	else
		log_info("closing connection from %s: %s", p->addr, why);
	p->closing = 1;
	peer_io_stop_reading(&p->io);
	if (peer_io_pending(&p->io) == 0)
		peer_free(p);
}

/* A refused message: answered; too many of them close the connection. */
static int
peer_bad(struct peer *p, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
peer_bad(struct peer *p, const char *code, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	peer_send(p, proto_encode_error(code, message, NULL));
	if (++p->bad_messages >= DISPATCHER_BAD_MESSAGES_MAX) {
		peer_close_after_flush(p, "too many bad messages");
		return -1;
	}
	return 0;
}

/* An answer that ends the connection. */
static int
peer_refuse(struct peer *p, char *line, const char *why)
{
	peer_send(p, line);
	peer_close_after_flush(p, why);
	return -1;
}

static int
peer_on_hello(struct peer *p, const struct proto_msg *msg)
{
	const struct dispatcher_config *cfg = &p->d->cfg;
	const char *want = msg->role == PROTO_ROLE_RUNNER &&
	    cfg->runner_token != NULL ? cfg->runner_token : cfg->token;
	char ip[64];
	int64_t wait;

	if (p->said_hello)
		return peer_bad(p, "bad_state", "hello was already said");
	/* Only here: not kept, which at 10,000 runners is 640 KiB. */
	peer_ip(p->addr, ip, sizeof ip);
	if (want != NULL) {
		/* A guesser's next try is not even looked at for a while. */
		if ((wait = address_penalty(p->d->addresses, ip)) > 0)
			return peer_refuse(p, proto_encode_errorf("slow_down",
			    "too many refused tokens from %s; try again in "
			    "%lld ms", ip, (long long)wait),
			    "still waiting after refused tokens");
		if (msg->token == NULL || !auth_equal(msg->token, want)) {
			address_failed(p->d->addresses, ip);
			log_warnx("refused %s hello from %s: %s token",
			    proto_role_name(msg->role), p->addr,
			    msg->token == NULL ? "no" : "wrong");
			return peer_refuse(p, proto_encode_errorf("bad_token",
			    "%s token for role %s", msg->token == NULL ? "no" :
			    "wrong", proto_role_name(msg->role)),
			    "refused token");
		}
		address_succeeded(p->d->addresses, ip);
	}
	p->said_hello = 1;
	p->role = msg->role;
	peer_send(p, proto_encode_ok(NULL));
	return 0;
}

/* p holds a job: looked at every tick from now (peer_live.c). */
static void
peer_watch_busy(struct peer *p)
{
	if (!p->in_busy) {
		LIST_INSERT_HEAD(&p->d->busy, p, busy_entry);
		p->in_busy = 1;
	}
}

/*
 * p's name was asked for by another connection: p may be a runner whose
 * machine is gone.  Pinged now and lost if silent for the runner timeout.
 */
static void
peer_suspect(struct peer *p)
{
	int64_t now = mono_ms();

	if (p == NULL || p->suspect)
		return;
	p->suspect = 1;
	p->busy_since_ms = now;
	p->next_ping_ms = now;
	peer_watch_busy(p);
}

/*
 * An idle runner's first ping falls somewhere in the idle interval:
 * runners register in bursts (all of them after a dispatcher restart),
 * and pinged in step they would be pinged in bursts every interval.
 * Successive multiples of 2^32 / the golden ratio spread them evenly.
 */
static void
peer_spread_pings(struct peer *p)
{
	struct dispatcher *d = p->d;
	int64_t every = d->cfg.idle_heartbeat_ms;

	if (every <= d->cfg.heartbeat_ms)
		return;
	d->ping_phase += 2654435769u;
	p->next_ping_ms += (int64_t)(((uint64_t)d->ping_phase *
	    (uint64_t)(every - d->cfg.heartbeat_ms)) >> 32);
}

static int
peer_on_register(struct peer *p, const struct proto_msg *msg)
{
	struct dispatcher *d = p->d;

	if (p->runner != NULL)
		return peer_bad(p, "bad_state", "already registered");
	p->runner = sched_register(d->sched, p, msg->name, p->addr, msg->slots,
	    msg->labels, msg->nlabels);
	if (p->runner == NULL) {
		peer_suspect(sched_runner_conn_named(d->sched, msg->name));
		return peer_bad(p, "name_taken", "a runner named '%s' is "
		    "connected", msg->name);
	}
	if (msg->ahead)
		sched_runner_set_ahead(d->sched, p->runner, msg->slots);
	p->next_ping_ms = mono_ms() + d->cfg.heartbeat_ms;
	peer_send(p, proto_encode_ok(NULL));
	/* Attempts, if there is one a job (older runners send none). */
	sched_runner_ready(d->sched, p->runner, msg->jobs, msg->nattempts ==
	    msg->njobs ? msg->attempts : NULL, msg->njobs);
	if (p->runner != NULL && sched_runner_holds(p->runner))
		peer_watch_busy(p);
	else if (p->runner != NULL)
		peer_spread_pings(p);
	return 0;
}

static int
peer_on_accepted(struct peer *p, const struct proto_msg *msg)
{
	sched_accepted(p->d->sched, p->runner, msg->job);
	return 0;
}

static int
peer_on_log(struct peer *p, const struct proto_msg *msg)
{
	sched_log(p->d->sched, p->runner, msg->job, msg->data, msg->data_len);
	return 0;
}

static int
peer_on_result(struct peer *p, const struct proto_msg *msg)
{
	struct job_result r = {
		.job = msg->job, .state = msg->state,
		.exit_code = msg->exit_code, .duration_ms = msg->duration_ms,
		.tests = msg->tests, .message = msg->message,
		.tests_partial = msg->tests_partial,
	};

	sched_result(p->d->sched, p->runner, &r);
	return 0;
}

static int
peer_on_plan(struct peer *p, const struct proto_msg *msg)
{
	sched_plan(p->d->sched, p->runner, msg->job, msg->data, msg->data_len);
	return 0;
}

static int
peer_on_tests(struct peer *p, const struct proto_msg *msg)
{
	sched_tests(p->d->sched, p->runner, msg->job, msg->attempt, msg->first,
	    msg->records, msg->nrecords);
	return 0;
}

static int
peer_on_artifact(struct peer *p, const struct proto_msg *msg)
{
	return artifact_in_begin(p->d, p, msg);
}

static int
peer_on_artifact_data(struct peer *p, const struct proto_msg *msg)
{
	return artifact_in_data(p->d, p, msg);
}

static int
peer_on_artifact_end(struct peer *p, const struct proto_msg *msg)
{
	char why[300];
	const char *code = artifact_in_end(p->d, p, msg, why, sizeof why);

	if (code != NULL)
		peer_send(p, proto_encode_error(code, why, NULL));
	else
		peer_send(p, proto_encode_ok_json(json_pack("{s:I}", "id",
		    (json_int_t)msg->job), NULL));
	return 0;
}

/* Its answer now, in its place among the replies; its bytes after. */
static int
peer_on_artifact_get(struct peer *p, const struct proto_msg *msg)
{
	peer_send(p, artifact_out_start(p->d, p, msg));
	if (artifact_out_pump(p) == -1) {
		peer_lost(p, "an artifact could not be read");
		return -1;
	}
	return 0;
}

static int
peer_on_error(struct peer *p, const struct proto_msg *msg)
{
	log_warnx("runner '%s' answered with an error: %s", p->runner->name,
	    msg->message);
	return 0;
}

/* Pong and ok: hearing from the peer is enough. */
static int
peer_on_heard(struct peer *p, const struct proto_msg *msg)
{
	(void)p;
	(void)msg;
	return 0;
}

/* Whether this peer may send m now; answered in one place if not. */
static int
peer_may_send(struct peer *p, const struct peer_message *m,
    const struct proto_msg *msg)
{
	if (m == NULL)
		return peer_bad(p, "unknown_type", "not a message a "
		    "dispatcher takes"), 0;
	if (!p->said_hello && !(m->when & PEER_BEFORE_HELLO))
		return peer_bad(p, "bad_state", "say hello first"), 0;
	if (p->said_hello && !(m->from & (1u << p->role)))
		return peer_bad(p, "bad_role", "a %s may not send %s",
		    proto_role_name(p->role), proto_type_name(msg->type)), 0;
	if ((m->when & PEER_REGISTERED) && p->runner == NULL)
		return peer_bad(p, "bad_state", "register first"), 0;
	return 1;
}

/* One message, its sender checked.  -1 if the peer is gone or closing. */
static int
peer_dispatch(struct peer *p, const struct proto_msg *msg)
{
	const struct peer_message *m = peer_message_find(msg->type);
	int rc = 0;

	if (peer_may_send(p, m, msg)) {
		p->last_heard_ms = mono_ms();
		if (m->query != NULL)
			peer_send(p, m->query(p->d, msg, p->addr));
		else
			rc = m->handle(p, msg);
	}
	return rc == -1 || p->closing ? -1 : 0;
}

/* One line.  Returns -1 if the peer is gone or closing. */
static int
peer_handle_line(struct peer *p, const char *line, size_t len)
{
	struct proto_msg msg;
	struct proto_error err;
	int rc;

	if (proto_parse(line, len, &msg, &err) == -1) {
		if (!p->said_hello && err.type == PROTO_HELLO)
			/* A refused hello ends the connection. */
			return peer_refuse(p, proto_encode_error(err.code,
			    err.message, NULL), "hello refused");
		if (err.type == PROTO_ARTIFACT_DATA)
			/* Its bytes would be read as lines: no way back. */
			return peer_refuse(p, proto_encode_error(err.code,
			    err.message, NULL), "a bad artifact frame");
		return peer_bad(p, err.code, "%s", err.message);
	}
	if (msg.type == PROTO_ARTIFACT_DATA) {
		/* Its bytes follow: handled once they are all in. */
		p->frame = xmalloc(sizeof *p->frame);
		*p->frame = msg;
		return 0;
	}
	rc = peer_dispatch(p, &msg);
	proto_msg_release(&msg);
	return rc;
}

/*
 * The frame's bytes, once all are in: 1 and handled, 0 if they are not
 * all in yet, -1 if the peer is gone or closing.
 */
static int
peer_take_frame(struct peer *p, struct evbuffer *in)
{
	struct proto_msg *msg = p->frame;
	size_t len = (size_t)msg->frame_len;
	int rc;

	if (evbuffer_get_length(in) < len)
		return 0;
	p->frame = NULL;
	msg->data = xmalloc(len + 1);
	evbuffer_remove(in, msg->data, len);
	msg->data_len = len;
	rc = peer_dispatch(p, msg);
	proto_msg_release(msg);
	free(msg);
	return rc == -1 ? -1 : 1;
}

static void
peer_too_long(struct peer *p)
{
	peer_refuse(p, proto_encode_errorf("too_long", "line longer than %d "
	    "bytes", PROTO_MAX_LINE), "line too long");
}

/* The lines and frames that are in, until the peer is gone or closing. */
static void
peer_read_lines(struct peer *p, struct evbuffer *in)
{
	int progressed = 0;
	size_t len;
	char *line;

	for (;;) {
		int rc = -1;

		if (p->closing)
			return;
		if (p->frame != NULL) {
			if ((rc = peer_take_frame(p, in)) == -1)
				return;
			if (rc == 0)
				break;
			progressed = 1;
			continue;
		}
		if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) == NULL)
			break;

		if (len > PROTO_MAX_LINE)
			peer_too_long(p);
		else if (p->said_hello && proto_is_pong(line, len)) {
			/* Most lines from idle peers: no parse needed. */
			p->last_heard_ms = mono_ms();
			rc = 0;
		} else
			rc = peer_handle_line(p, line, len);
		free(line);
		if (rc == -1)
			return;
		progressed = 1;
	}
	if (p->closing)
		return;
	/*
	 * What is left is a line or frame begun since the last whole one: a
	 * stream of frames always has one under way, and is not a trickle.
	 */
	if (evbuffer_get_length(in) > PROTO_MAX_LINE)
		peer_too_long(p);
	else if (evbuffer_get_length(in) == 0)
		p->partial_since_ms = 0;
	else if (progressed || p->partial_since_ms == 0)
		p->partial_since_ms = mono_ms();
}

/*
 * One sync of the store for all that a read brought (a client's burst of
 * dispatches is 15 or more lines), not one a commit.  The answers go out
 * after it: the event loop writes them once this returns (peer_io.h).
 * Not with TLS, whose bufferevent is libevent's to write as it likes.
 */
static void
peer_readable(void *arg)
{
	struct peer *p = arg;
	struct dispatcher *d = p->d;
	int held = d->tls == NULL;

	if (held)
		store_sync_hold(d->store);
	peer_read_lines(p, peer_io_input(&p->io));
	if (held)
		store_sync_release(d->store);
}

static void
peer_drained(void *arg)
{
	struct peer *p = arg;

	if (p->closing && peer_io_pending(&p->io) == 0)
		peer_free(p);
	else if (!p->closing && artifact_out_pump(p) == -1)
		peer_lost(p, "an artifact could not be read");
}

static void
peer_broken(void *arg, const char *why)
{
	peer_lost(arg, why);
}

static const struct peer_io_ops peer_io_ops = {
	.on_read = peer_readable,
	.on_write = peer_drained,
	.on_error = peer_broken,
};

struct peer *
peer_new(struct dispatcher *d, int fd, const char *addr)
{
	struct peer *p = xcalloc(1, sizeof *p);

	p->d = d;
	snprintf(p->addr, sizeof p->addr, "%s", addr);
	p->last_heard_ms = mono_ms();
	if (peer_io_start(&p->io, d->base, fd, d->tls, &peer_io_ops, p) == -1) {
		log_warnx("unable to set up connection from %s", addr);
		free(p);
		return NULL;
	}
	LIST_INSERT_HEAD(&d->peers, p, entry);
	if (++d->npeers > d->cfg.max_connections)
		peer_refuse(p, proto_encode_errorf("too_many", "the dispatcher "
		    "has %d connections already", d->cfg.max_connections),
		    "too many connections");
	return p;
}

void
peer_ip(const char *addr, char *ip, size_t size)
{
	const char *colon = strrchr(addr, ':');
	size_t n = colon != NULL ? (size_t)(colon - addr) : strlen(addr);

	if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	snprintf(ip, size, "%.*s", (int)n, addr);
}

void
peer_free_all(struct dispatcher *d)
{
	/* Runners' jobs stay running in the store: the next start queues
	 * them again.  sched_free forgets the runners themselves. */
	while (!LIST_EMPTY(&d->peers))
		peer_free(LIST_FIRST(&d->peers));
}

/*
 * A job's secrets together within ARTIFACT_MAX_SECRET_BYTES, which keeps
 * its line and the runner's masker small: the ones past it not given.
 */
static void
peer_secrets_cap(char ***env, size_t *nenv, char ***notes, size_t *nnotes)
{
	size_t total = 0, keep = 0, len;

	for (; keep < *nenv; keep++) {
		total += strlen((*env)[keep]);
		if (total > ARTIFACT_MAX_SECRET_BYTES)
			break;
	}
	if (keep == *nenv)
		return;
	*notes = xrealloc(*notes, (*nnotes + *nenv - keep + 1) *
	    sizeof **notes);
	for (size_t i = keep; i < *nenv; i++) {
		len = strcspn((*env)[i], "=");
		xasprintf(&(*notes)[(*nnotes)++], "secret '%.*s' is not given: "
		    "the job's secrets would hold more than %d bytes",
		    (int)len, (*env)[i], ARTIFACT_MAX_SECRET_BYTES);
		explicit_bzero((*env)[i], strlen((*env)[i]));
		free((*env)[i]);
		(*env)[i] = NULL;
	}
	(*notes)[*nnotes] = NULL;
	*nenv = keep;
}

/*
 * The secrets a planned job asks for that its branch may have; a note for
 * each it may not.  Only names are ever logged.
 */
static void
peer_job_secrets(struct peer *p, const struct job *job,
    const struct plan_spec *spec, char ***env, size_t *nenv, char ***notes,
    size_t *nnotes)
{
	if (spec->keep.nsecrets == 0)
		return;
	if (secrets_for_job(p->d->store, job->repo, job->branch,
	    spec->keep.secrets, spec->keep.nsecrets, env, nenv, notes,
	    nnotes) == -1) {
		*env = NULL;
		*nenv = 0;
		*notes = xcalloc(2, sizeof **notes);
		(*notes)[0] = xstrdup("its secrets could not be read from the "
		    "store now");
		*nnotes = 1;
		return;
	}
	peer_secrets_cap(env, nenv, notes, nnotes);
	log_debug("job %lld: %zu secret%s given, %zu not", (long long)job->id,
	    *nenv, *nenv == 1 ? "" : "s", *nnotes);
}

/* The scheduler's runner interface, on a peer. */
static void
peer_send_job(void *conn, const struct job *job,
    const struct plan_spec *spec, int attempt, int timeout_s)
{
	struct peer *p = conn;
	struct proto_run run = { .name = job->name, .plan = spec == NULL };
	char *inputs = NULL, **secrets = NULL, **notes = NULL;
	size_t nsecrets = 0, nnotes = 0;
	int64_t now = mono_ms();

	/* Busy now: watched at the busy pace from here (peer_live.c). */
	peer_watch_busy(p);
	p->busy_since_ms = now;
	if (p->next_ping_ms > now + p->d->cfg.heartbeat_ms)
		p->next_ping_ms = now + p->d->cfg.heartbeat_ms;

	if (spec != NULL) {
		run.run = spec->run;
		run.nrun = spec->nrun;
		run.env = spec->env;
		run.nenv = spec->nenv;
		run.reports = spec->reports;
		run.nreports = spec->nreports;
		run.tests = spec->tests;
		run.ntests = spec->ntests;
		run.keep = &spec->keep;
		inputs = artifact_out_inputs(p->d, job->id);
		run.inputs = inputs;
		peer_job_secrets(p, job, spec, &secrets, &nsecrets, &notes,
		    &nnotes);
		run.secrets = secrets;
		run.nsecrets = nsecrets;
		run.notes = notes;
		run.nnotes = nnotes;
	}
	run.max_artifact_bytes = p->d->cfg.max_artifact_bytes;
	/* A manual run's parameters go to every job of its pipeline. */
	run.params = job->params;
	peer_send(conn, proto_encode_job_run(job->id, job->repo, job->commit,
	    job->branch, timeout_s, attempt, &run, NULL));
	free(inputs);
	secrets_env_free(secrets, nsecrets);
	strv_free(notes, nnotes);
}

static void
peer_send_cancel(void *conn, int64_t job)
{
	peer_send(conn, proto_encode_cancel(job, NULL));
}

static void
peer_answer(void *conn, const char *code, const char *message)
{
	peer_send(conn, code == NULL ? proto_encode_ok(NULL) :
	    proto_encode_error(code, message, NULL));
}

const struct sched_runner_ops peer_runner_ops = {
	.send_job = peer_send_job,
	.send_cancel = peer_send_cancel,
	.answer = peer_answer,
};

/* SPDX-License-Identifier: MIT */
/*
 * dispatcher.h - the dispatcher's internals, shared by its rooms:
 * dispatcher.c (options, listener, heartbeat timer), peer.c (one connection:
 * lines in, replies out, roles), sched.c (the queue and the runner pool) and
 * results.c (job logs and the test_results files).
 */
#ifndef SSCI_DISPATCHER_H
#define SSCI_DISPATCHER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "cmd.h"
#include "diskuse.h"
#include "forge.h"
#include "gate.h"
#include "joblog.h"
#include "http_conn.h"
#include "lock.h"
#include "peer_io.h"
#include "proto.h"
#include "sched.h"


struct artifact_in;
struct artifact_out;
struct event_base;
struct evbuffer;
struct evhttp;
struct events_client;
struct results;
struct sched;
struct sched_runner;
struct sched_runner_ops;
struct bufferevent;
struct event;
struct store;
struct outbox;
struct statuses;
struct notices;
struct retention;
struct artifact_prune;

#define DISPATCHER_DEFAULT_PORT 8888
#define DISPATCHER_BAD_MESSAGES_MAX 10
#define DISPATCHER_HELLO_TIMEOUT_MS 10000
#define DISPATCHER_TICKS 10
#define DISPATCHER_MAX_HTTP_HOSTS 16
#define DISPATCHER_MAX_SCHEDULES 64
#define DISPATCHER_MAX_PRIORITIES 32
/* Descriptors kept for the store, logs and listeners, of the limit. */
#define DISPATCHER_FD_RESERVE 64
/* Default connection limits, when the descriptor limit allows more. */
#define DISPATCHER_MAX_CONNECTIONS 50000
#define DISPATCHER_MAX_HTTP 1024

struct dispatcher_config {
	const char *host;
	int port;
	const char *http;	/* "HOST:PORT", or NULL for none */
	const char *http_listen_host;	/* its HOST, once parsed */
	const char *http_hosts[DISPATCHER_MAX_HTTP_HOSTS];	/* --http-host */
	int nhttp_hosts;
	const char *state_dir;
	const char *store_url;	/* --store, or NULL for STATE/ssci.db */
	const char *results_dir;
	int64_t heartbeat_ms;	/* runners holding a job are pinged this often */
	int64_t idle_heartbeat_ms;	/* and runners holding none this often */
	int64_t runner_timeout_ms;
	int64_t client_timeout_ms;	/* silent non-runners, unfinished lines */
	int64_t http_timeout_ms;	/* idle HTTP connections, whole requests */
	int job_timeout_s;
	int max_attempts;
	int retry_failed;	/* re-runs of a failed job (verdict.h) */
	int64_t max_log_bytes;
	int64_t max_artifact_bytes;	/* a job's artifacts together */
	char *token;		/* clients' and observers' (and runners' if alone) */
	char *runner_token;	/* runners', if apart */
	int http_auth;		/* reads on HTTP need the token too */
	int local_repos;	/* paths and file:// may be dispatched */
	const char *tls_cert;
	const char *tls_key;
	int max_connections;
	int max_http_connections;	/* web pages and event streams */
	int max_queued_per_repo;
	int http_rate;		/* requests per second per address */
	/* Forges (http_hooks.c, statuses.c) and notifications (notices.c). */
	struct cmd_list forge_specs;	/* --forge */
	struct cmd_list forge_repos;	/* --forge-repo */
	const char *public_url;	/* job pages' base for others; NULL: --http */
	struct cmd_list notify_urls;
	struct cmd_list notify_emails;
	int notify_all;
	/* Retention (retention.c) and room on the disk (diskuse.c). */
	int keep_days;		/* 0: keep forever */
	int keep_jobs;		/* 0: keep every job */
	struct diskuse_min min_free;
	/* The queue (docs/QUEUE.md): sched.c, bisect.c, schedule.c. */
	struct cmd_list coalesce;	/* --coalesce */
	int64_t coalesce_wait_ms;	/* --coalesce-wait */
	/* Arrays, not lists: options a configuration check reads and drops. */
	struct sched_branch_priority
	    branch_priorities[DISPATCHER_MAX_PRIORITIES];
	size_t nbranch_priorities;
	const char *schedules[DISPATCHER_MAX_SCHEDULES];	/* --schedule */
	size_t nschedules;
	const char *schedule_clock;	/* --test-schedule-clock */
};

/* What may come when, for struct peer_message. */
#define PEER_BEFORE_HELLO 1	/* before hello (only hello itself) */
#define PEER_REGISTERED 2	/* only from a registered runner */

struct peer {
	/* Pointers and 64-bit fields first, the flags last: no padding, for
	 * there is one of these per runner (10,000 and more). */
	struct dispatcher *d;
	struct sched_runner *runner;	/* once registered */
	int64_t last_heard_ms;	/* monotonic */
	int64_t next_ping_ms;	/* monotonic; pings are spread over the interval */
	/*
	 * monotonic: when it was last handed a job.  Silence counts from
	 * this or last_heard_ms, whichever is later, so that a runner idle
	 * (and pinged rarely) for a while is not lost the moment it is busy.
	 */
	int64_t busy_since_ms;
	int64_t partial_since_ms;	/* monotonic: a line began, or 0 */
	struct proto_msg *frame;	/* an artifact_data awaiting its bytes */
	struct artifact_in *upload;	/* an artifact arriving, or NULL */
	struct artifact_out *download;	/* an artifact being sent, or NULL */
	LIST_ENTRY(peer) entry;
	LIST_ENTRY(peer) busy_entry;	/* in d->busy, when in_busy */
	enum proto_role role;
	int bad_messages;
	bool said_hello;
	/*
	 * Another connection asked for its name: until heard from again it
	 * is watched at the busy pace from busy_since_ms, so that a runner
	 * started again after its machine died gets the name within the
	 * runner timeout, not the idle one.
	 */
	bool suspect;
	bool closing;		/* flush the output, then free */
	bool in_busy;
	char addr[64];		/* "IP:PORT" */
	struct peer_io io;
};

/*
 * A message the dispatcher takes: who may send it (a mask of 1 << role),
 * when (PEER_*), and either the handler of a connection's own message or
 * the query that returns the answer line to a client's question.
 */
struct peer_message {
	enum proto_type type;
	unsigned from;
	int when;
	int (*handle)(struct peer *p, const struct proto_msg *msg);
	char *(*query)(struct dispatcher *d, const struct proto_msg *msg,
	    const char *who);
};

/* Job durations since start, for /metrics. */
#define METRICS_BUCKETS 12

struct metrics {
	int64_t bucket[METRICS_BUCKETS];	/* cumulative, as Prometheus */
	int64_t count;
	double sum_s;
};

struct dispatcher {
	struct dispatcher_config cfg;
	struct event_base *base;
	struct store *store;
	struct store_watch *store_watch;	/* its connection, on a server */
	struct joblogs logs;
	struct results *results;
	struct sched *sched;
	struct address_table *addresses;	/* guessers, HTTP budgets */
	LIST_HEAD(, peer) peers;
	/*
	 * Runners holding a job, looked at every tick (peer_live.c); the
	 * other peers are looked at a slice per tick, once a heartbeat each,
	 * the next slice beginning at live_next (NULL: the first peer).
	 */
	LIST_HEAD(, peer) busy;
	struct peer *live_next;
	struct event *ev_heartbeat;
	int64_t started_ms;
	int npeers;
	struct ssl_ctx_st *tls;		/* SSL_CTX, when serving TLS */
	struct evhttp *http;
	struct event *ev_ping;		/* keeps event streams alive */
	LIST_HEAD(, events_client) events;	/* event streams */
	struct metrics metrics;
	struct gate proto_gate;		/* the protocol listener's */
	struct gate http_gate;		/* the HTTP listener's */
	struct http_conns http_conns;
	int lock_fd;			/* STATE/dispatcher.lock */
	struct lock_holder lock;	/* what it says of us */
	int ticks;			/* of the heartbeat timer */
	uint32_t ping_phase;	/* where the next idle runner's pings fall */
	struct forges forges;
	struct outbox *outbox;		/* NULL: nothing to tell anyone */
	struct statuses *statuses;	/* NULL: no forge has a token */
	struct notices *notices;	/* NULL: no --notify-* */
	char *public_url;		/* without a trailing '/' */
	struct retention *retention;	/* NULL: everything is kept */
	struct artifact_prune *artifacts;	/* expiry, pruned folders */
	struct diskuse *diskuse;
	struct bisect *bisect;
	struct schedules *schedules;	/* NULL: no --schedule */
	int argc;			/* the command line, for a reload */
	char **argv;
	const char *log_file;		/* --log-file, or NULL */
};

/* The files the options name, read apart from the configuration. */
struct dispatcher_files {
	const char *token;		/* --token-file */
	const char *runner_token;	/* --runner-token-file */
	const char *log;		/* --log-file */
};

/*
 * dispatcher_opts.c: the options into cfg (the command line after the
 * configuration file), checked together; exits on a wrong one.
 */
void dispatcher_options(int argc, char **argv, struct dispatcher_config *cfg,
    struct dispatcher_files *files, int *verbose);
/*
 * SIGHUP: the log file reopened, the token files read again, and the
 * options read again and those a reload applies applied; all or nothing.
 */
void dispatcher_reload(struct dispatcher *d);

/* peer.c */
extern const struct peer_message peer_messages[];
extern const size_t peer_nmessages;
/* The scheduler's runner interface, on a peer (conn is a struct peer). */
extern const struct sched_runner_ops peer_runner_ops;
struct peer *peer_new(struct dispatcher *d, int fd, const char *addr);
/* The IP part of "IP:PORT" or "[IP6]:PORT" into ip. */
void peer_ip(const char *addr, char *ip, size_t size);
/* Send a NUL-terminated line (taken over and freed). */
void peer_send(struct peer *p, char *line);
/* Send a line that stays ours (not freed). */
void peer_send_static(struct peer *p, const char *line, size_t len);
/* Send what is queued, then close; a runner's jobs go back to the queue. */
void peer_close_after_flush(struct peer *p, const char *why);
/* Close now: its jobs go back to the queue.  why is logged. */
void peer_lost(struct peer *p, const char *why);
void peer_free_all(struct dispatcher *d);

/* peer_live.c: ping runners, close silent connections (each tick) */
void peer_heartbeat(struct dispatcher *d);

/*
 * query.c: the answers to clients' questions (dispatch, status, jobs,
 * show, tail, cancel, retry), one line each; who is the client's address.
 */
char *query_dispatch(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
char *query_status(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
char *query_jobs(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
char *query_show(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
char *query_tail(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
char *query_cancel(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
char *query_retry(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
/* A manual run of a branch's tip, with parameters (manual.c). */
char *query_run(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
/* query_tests.c */
char *query_job_tests(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
char *query_quarantine(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);

/* query_secrets.c: a client's secrets (secrets.h) */
char *query_secret_set(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
char *query_secret_list(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);
char *query_secret_rm(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);

/* metrics.c */
void metrics_job_finished(struct dispatcher *d, enum job_state state,
    int64_t duration_ms);
/* The Prometheus text of "/metrics". */
void metrics_write(struct dispatcher *d, struct evbuffer *out);

/* http.c */
/* Serve the web pages and the API on cfg.http; exits if it cannot. */
void http_start(struct dispatcher *d);
void http_stop(struct dispatcher *d);

#endif

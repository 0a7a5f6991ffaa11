/* SPDX-License-Identifier: MIT */
/*
 * dispatcher.h - the dispatcher's internals, shared by its rooms:
 * dispatcher.c (options, listener, heartbeat timer), peer.c (one connection:
 * lines in, replies out, roles), sched.c (the queue and the runner pool) and
 * results.c (job logs and the test_results files).
 */
#ifndef SSCI_DISPATCHER_H
#define SSCI_DISPATCHER_H

#include <stdint.h>

#include "gate.h"
#include "http_conn.h"
#include "lock.h"
#include "proto.h"

struct event_base;
struct evbuffer;
struct evhttp;
struct events_client;
struct bufferevent;
struct event;
struct store;

#define DISPATCHER_DEFAULT_PORT 8888
#define DISPATCHER_BAD_MESSAGES_MAX 10
#define DISPATCHER_HELLO_TIMEOUT_MS 10000
#define DISPATCHER_TICKS 10
#define DISPATCHER_MAX_HTTP_HOSTS 16
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
	const char *results_dir;
	int heartbeat_s;
	int runner_timeout_s;
	int client_timeout_s;	/* silent non-runners, unfinished lines */
	int http_timeout_s;	/* idle HTTP connections, whole requests */
	int job_timeout_s;
	int max_attempts;
	int64_t max_log_bytes;
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
};

/*
 * A job handed to a runner and not yet finished.  A foreign one is a job a
 * reconnecting runner still holds that is no longer its own (re-queued and
 * given to another runner, or over): it takes a slot until the runner
 * reports on it, and that report is refused.
 */
struct assignment {
	int64_t job;
	int foreign;
	char commit[65];
	char *repo;
	int attempt;
	int log_fd;
	int64_t log_bytes;
	int log_truncated;
	/*
	 * Its result was refused for a passing reason (disk full): the
	 * runner sends it again later; the slot is free meanwhile.
	 */
	int result_pending;
	char *cancelled_by;	/* who asked to cancel it, or NULL */
	struct peer *runner;
	struct assignment *next;
};

struct peer {
	struct dispatcher *d;
	struct bufferevent *bev;
	char addr[64];		/* "IP:PORT" */
	char ip[64];		/* the address alone, for auth_* */
	int said_hello;
	enum proto_role role;
	int registered;
	char *name;
	int slots;
	int busy;
	struct assignment *jobs;
	int64_t last_heard_ms;	/* monotonic */
	int64_t next_ping_ms;	/* monotonic; pings are spread over the interval */
	int64_t partial_since_ms;	/* monotonic: a line began, or 0 */
	int bad_messages;
	int closing;		/* flush the output, then free */
	struct peer *next;
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
	char *logs_dir;
	struct peer *peers;
	struct event *ev_heartbeat;
	int64_t started_ms;
	int npeers;
	struct ssl_ctx_st *tls;		/* SSL_CTX, when serving TLS */
	struct evhttp *http;
	struct event *ev_ping;		/* keeps event streams alive */
	struct events_client *events;
	struct metrics metrics;
	struct gate proto_gate;		/* the protocol listener's */
	struct gate http_gate;		/* the HTTP listener's */
	struct http_conns http_conns;
	int lock_fd;			/* STATE/dispatcher.lock */
	struct lock_holder lock;	/* what it says of us */
	int64_t housekeeping;		/* seconds of sched_housekeeping */
	int64_t *orphans;		/* running jobs no runner held last look */
	size_t norphans;
	/* results.c: files to write again, and the start-up check */
	char (*results_retry)[65];
	size_t nresults_retry;
	int results_backoff_s;
	struct event *ev_results_retry;
	struct event *ev_results_sweep;
	char sweep_after[65];
};

/* peer.c */
struct peer *peer_new(struct dispatcher *d, int fd, const char *addr);
/* The IP part of "IP:PORT" or "[IP6]:PORT" into ip. */
void peer_ip(const char *addr, char *ip, size_t size);
/* Send a NUL-terminated line (taken over and freed). */
void peer_send(struct peer *p, char *line);
/* Send a line that stays ours (not freed). */
void peer_send_static(struct peer *p, const char *line, size_t len);
void peer_send_error(struct peer *p, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Send what is queued, then close; a runner's jobs go back to the queue. */
void peer_close_after_flush(struct peer *p, const char *why);
/* Close now: its jobs go back to the queue.  why is logged. */
void peer_lost(struct peer *p, const char *why);
void peer_free_all(struct dispatcher *d);

/* sched.c */
/*
 * Whether a dispatch of repo must be refused (why says so): a URL git
 * would run a helper for, or a local path without --local-repos.
 */
int sched_repo_refused(const struct dispatcher *d, const char *repo,
    char *why, size_t size);
/*
 * Queue a job for msg's repo, commit and branch (see store_dispatch),
 * keep its subject and author, and hand out what can be.  0, -1 on a
 * store error, -2 if the repository's queue is full.
 */
int sched_queue_job(struct dispatcher *d, const struct proto_msg *msg,
    int64_t *id, enum job_state *state, int *existing);
/*
 * Cancel a job for who ("a client at ADDR"): a queued one ends now, a
 * running one's runner is told to stop it; its log and reason say who.
 * *state is its state after that.  0; 1 if no such job; 2 if it was over
 * already (*state says how it ended).
 */
int sched_cancel_job(struct dispatcher *d, int64_t id, const char *who,
    enum job_state *state);
/* Queue a finished job again: 0 and *new_id, 1 no such job, 2 not over. */
int sched_retry_job(struct dispatcher *d, int64_t id, int64_t *new_id);
void sched_register(struct peer *p, const struct proto_msg *msg);
void sched_result(struct peer *p, const struct proto_msg *msg);
void sched_log(struct peer *p, const struct proto_msg *msg);
void sched_accepted(struct peer *p, const struct proto_msg *msg);
/* Give every job of a lost runner back to the queue (or up on it). */
void sched_runner_lost(struct peer *p, const char *why);
/* Drop a runner's assignments without touching the store (shutdown). */
void sched_forget(struct peer *p);
/* Hand queued jobs to free runner slots. */
void sched_run(struct dispatcher *d);
/*
 * Once a second: hand out what a failing store held back, and every
 * SCHED_ORPHAN_EVERY seconds requeue running jobs that no runner holds.
 */
#define SCHED_ORPHAN_EVERY 5
void sched_housekeeping(struct dispatcher *d);
/*
 * Ping the runners whose turn it is and declare silent ones lost; called
 * DISPATCHER_TICKS times per heartbeat, so that with thousands of runners
 * the pings go out in small groups, not one burst.
 */
void sched_heartbeat(struct dispatcher *d);

/* query.c: what clients ask (dispatch, status, jobs, show, tail, cancel, retry) */
void query_handle(struct peer *p, const struct proto_msg *msg);

/* metrics.c */
void metrics_job_finished(struct dispatcher *d, enum job_state state,
    int64_t duration_ms);
/* The Prometheus text of "/metrics". */
void metrics_write(struct dispatcher *d, struct evbuffer *out);

/* http.c */
/* Serve the web pages and the API on cfg.http; exits if it cannot. */
void http_start(struct dispatcher *d);
void http_stop(struct dispatcher *d);

/* results.c */
/*
 * Open logs/<job>.log for appending, emptied first for a new attempt
 * (fresh), kept for a runner that reconnects mid-job; fd or -1.
 */
int results_log_open(struct dispatcher *d, int64_t job, int fresh);
/* Append a line of ssci's own to job's log, made if need be. */
void results_log_note(struct dispatcher *d, int64_t job, const char *line);
/* Append a chunk, honouring max_log_bytes. */
void results_log_append(struct dispatcher *d, struct assignment *a,
    const char *data, size_t len);
/*
 * Read up to max bytes of job's log from offset into a new buffer (*data,
 * *len); *size is the log's whole size.  0, or -1 if there is no log.
 */
int results_log_read(struct dispatcher *d, int64_t job, int64_t offset,
    size_t max, char **data, size_t *len, int64_t *size);
/*
 * Write results/<commit> atomically: the log, then the result line.  If it
 * cannot be written now, it is tried again on a timer with backoff (up to
 * RESULTS_RETRY_MAX_S apart), with the commit's latest result then.
 */
#define RESULTS_RETRY_MAX_S 30
int results_write(struct dispatcher *d, int64_t job);
/*
 * Start the retry timer and the start-up check: every finished commit's
 * file, RESULTS_SWEEP_PAGE commits a turn of the loop, is written again if
 * it is missing or holds an older result.
 */
#define RESULTS_SWEEP_PAGE 200
void results_start(struct dispatcher *d);
void results_stop(struct dispatcher *d);
/*
 * Logs stop (with a note) when the state dir's disk has less than this
 * free: the store needs room to record the jobs' ends.
 */
#define RESULTS_LOG_FLOOR (4LL << 20)

#endif

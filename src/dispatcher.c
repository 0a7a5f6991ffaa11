/* SPDX-License-Identifier: MIT */
/*
 * dispatcher.c - "ssci dispatcher": options, the store, the listening
 * socket and the heartbeat timer, and what ties the rooms together: the
 * scheduler (sched.c) reaches runners through peer.c and tells the event
 * stream (events.c) and the metrics what happens.
 */
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "cmd.h"
#include "bisect.h"
#include "artifact_prune.h"
#include "artifact.h"
#include "dispatcher.h"
#include "events.h"
#include "lock.h"
#include "results.h"
#include "retention.h"
#include "outbox.h"
#include "sched.h"
#include "schedule.h"
#include "spawn.h"
#include "statuses.h"
#include "store.h"
#include "store_watch.h"
#include "tls.h"
#include "address.h"
#include "auth.h"
#include "util.h"

/* "127.0.0.1:8888" or "[::1]:8888" from a socket address. */
static void
format_addr(const struct sockaddr *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
		snprintf(buf, size, "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
		snprintf(buf, size, "[%s]:%d", host, port);
	} else
		snprintf(buf, size, "?");
}

static void
dispatcher_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct dispatcher *d = arg;
	char addr[64];
	int one = 1;

	(void)l;
	(void)salen;
	gate_accepted(&d->proto_gate);
	format_addr(sa, addr, sizeof addr);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	evutil_make_socket_nonblocking(fd);
	peer_new(d, fd, addr);
}

/* Bind host:port, preferring an IPv4 address as clients try it first. */
static struct evconnlistener *
dispatcher_listen(struct dispatcher *d)
{
	struct addrinfo hints, *res, *ai, *pick = NULL;
	struct evconnlistener *l;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	char portstr[16], addr[80];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(portstr, sizeof portstr, "%d", d->cfg.port);
	rc = getaddrinfo(d->cfg.host, portstr, &hints, &res);
	if (rc != 0)
		fatalx("unable to resolve '%s': %s", d->cfg.host,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (pick == NULL || (ai->ai_family == AF_INET &&
		    pick->ai_family != AF_INET))
			pick = ai;
	}
	l = evconnlistener_new_bind(d->base, dispatcher_accept_cb, d,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    128, pick->ai_addr, (int)pick->ai_addrlen);
	if (l == NULL)
		fatal("unable to listen on '%s:%d'", d->cfg.host, d->cfg.port);
	freeaddrinfo(res);
	gate_init(&d->proto_gate, d->base, l, "protocol");
	getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss, &sslen);
	format_addr((struct sockaddr *)&ss, addr, sizeof addr);
	snprintf(d->lock.address, sizeof d->lock.address, "%s", addr);
	lock_note(d->lock_fd, &d->lock);
	printf("listening on %s\n", addr);
	fflush(stdout);
	return l;
}

/*
 * DISPATCHER_TICKS times per heartbeat: the connections' liveness; once
 * a heartbeat, the scheduler's housekeeping.
 */
static void
dispatcher_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dispatcher *d = arg;

	(void)fd;
	(void)what;
	peer_heartbeat(d);
	sched_tick(d->sched);
	if (++d->ticks % DISPATCHER_TICKS == 0) {
		sched_housekeeping(d->sched);
		bisect_resume(d->bisect);
	}
}

/* What the scheduler does, told to the event stream and the metrics. */
static void
dispatcher_saw_job(void *arg, int64_t job, const char *what)
{
	struct dispatcher *d = arg;

	events_job(arg, job, what);
	if (d->statuses != NULL)
		statuses_job(d->statuses, job);
	if (d->notices != NULL && strcmp(what, "finished") == 0)
		notices_job(d->notices, job);
	if (strcmp(what, "finished") == 0)
		bisect_job_finished(d->bisect, job);
}

/* A bisection ended: the branch's breaker is told like its breaking. */
static void
dispatcher_bisected(const struct bisection *b, void *arg)
{
	struct dispatcher *d = arg;

	if (d->notices != NULL)
		notices_bisection(d->notices, b);
}

static void
dispatcher_saw_runner(void *arg, const char *what, const char *name)
{
	events_runner(arg, what, name);
}

static void
dispatcher_saw_log(void *arg, int64_t job, int64_t offset, const char *data,
    size_t len)
{
	events_log(arg, job, offset, data, len);
}

static void
dispatcher_saw_result(void *arg, enum job_state state, int64_t duration_ms)
{
	metrics_job_finished(arg, state, duration_ms);
}

static const struct sched_watchers dispatcher_watchers = {
	.job = dispatcher_saw_job,
	.runner = dispatcher_saw_runner,
	.log = dispatcher_saw_log,
	.result = dispatcher_saw_result,
};

/*
 * One dispatcher per state dir: two would share a database and hand the
 * same jobs out twice.  The lock file says our pid, address and, when
 * "ssci up" started us, its pid.
 */
static int
dispatcher_lock(struct dispatcher *d)
{
	const char *up = getenv("SSCI_UP_PID");
	struct lock_holder holder;
	char *path;
	long v;

	if (mkdir_p(d->cfg.state_dir) == -1)
		return -1;
	xasprintf(&path, "%s/dispatcher.lock", d->cfg.state_dir);
	d->lock_fd = lock_take(path, &holder);
	free(path);
	if (d->lock_fd == -2)
		log_warnx("unable to use state dir '%s': a dispatcher (pid %ld%s%s) "
		    "uses it", d->cfg.state_dir, (long)holder.pid,
		    holder.address[0] ? ", listening on " : "", holder.address);
	if (d->lock_fd < 0)
		return -1;
	d->lock.pid = getpid();
	if (up != NULL && parse_long(up, 1, 1L << 30, &v) == 0)
		d->lock.up = (pid_t)v;
	unsetenv("SSCI_UP_PID");
	return 0;
}

/*
 * The store; a dispatcher started again after losing its store's server
 * (store_watch.c) waits for the server rather than giving up.
 */
static struct store *
dispatcher_store_open(struct dispatcher *d)
{
	int again = getenv(STORE_WATCH_AGAIN) != NULL;
	struct store *store;

	unsetenv(STORE_WATCH_AGAIN);
	/*
	 * A standby waits in here, before the loop handles SIGHUP: a
	 * reload (or a log rotation's HUP) must not end it.
	 */
	signal(SIGHUP, SIG_IGN);
	store = again ? store_open_again(d->cfg.state_dir, d->cfg.store_url) :
	    store_open_url(d->cfg.state_dir, d->cfg.store_url);
	signal(SIGHUP, SIG_DFL);
	return store;
}

/*
 * Descriptors: as many as we may have (the soft limit raised to the hard
 * one), and connection limits that leave room for the store, the logs of
 * running jobs and the HTTP side, so that no kind of client can take the
 * descriptors another needs.  Limits given on the command line stay.
 */
static void
dispatcher_fd_limits(struct dispatcher_config *cfg)
{
	struct rlimit rl;
	rlim_t was;
	long budget;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("unable to read the descriptor limit");
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			rl.rlim_cur = was;
	}
	budget = rl.rlim_cur > (1 << 24) ? (1 << 24) : (long)rl.rlim_cur;
	budget = budget > 2 * DISPATCHER_FD_RESERVE ?
	    budget - DISPATCHER_FD_RESERVE : budget / 2;
	if (cfg->max_connections == 0)
		cfg->max_connections = budget / 2 > DISPATCHER_MAX_CONNECTIONS ?
		    DISPATCHER_MAX_CONNECTIONS : budget / 2 > 4 ? (int)budget / 2 : 4;
	if (cfg->max_http_connections == 0)
		cfg->max_http_connections = budget / 4 > DISPATCHER_MAX_HTTP ?
		    DISPATCHER_MAX_HTTP : budget / 4 > 4 ? (int)budget / 4 : 4;
	if (rl.rlim_cur != was)
		log_info("descriptor limit raised from %llu to %llu: at most %d "
		    "protocol and %d HTTP connections", (unsigned long long)was,
		    (unsigned long long)rl.rlim_cur, cfg->max_connections,
		    cfg->max_http_connections);
	else
		log_info("descriptor limit %llu: at most %d protocol and %d HTTP "
		    "connections", (unsigned long long)rl.rlim_cur,
		    cfg->max_connections, cfg->max_http_connections);
}

/*
 * What tells others: the outbox and, for forges with a token and for
 * --notify-*, what fills it.  Without an HTTP side the links go to
 * --public-url, or to nowhere useful ("http://localhost").
 */
static void
dispatcher_tellers(struct dispatcher *d)
{
	int tokens = 0;

	for (size_t i = 0; i < d->forges.n; i++)
		tokens += d->forges.list[i].token != NULL;
	if (tokens == 0 && d->cfg.notify_urls.n == 0 &&
	    d->cfg.notify_emails.n == 0)
		return;
	if (d->public_url == NULL)
		d->public_url = xstrdup("http://localhost");
	d->outbox = outbox_new(d->base, d->store, &d->forges,
	    d->cfg.notify_urls.items, d->cfg.notify_urls.n,
	    d->cfg.notify_emails.n > 0, d->cfg.state_dir);
	if (tokens > 0)
		d->statuses = statuses_new(d->store, d->outbox, &d->forges,
		    d->public_url);
	if (d->cfg.notify_urls.n > 0 || d->cfg.notify_emails.n > 0)
		d->notices = notices_new(d->store, d->outbox,
		    d->cfg.notify_urls.items, d->cfg.notify_urls.n,
		    d->cfg.notify_emails.items, d->cfg.notify_emails.n,
		    d->cfg.notify_all, d->public_url);
}

static void
dispatcher_reload_cb(void *arg)
{
	dispatcher_reload(arg);
}

int
cmd_dispatcher(int argc, char **argv)
{
	struct dispatcher d = { 0 };
	struct sched_config sched_cfg;
	struct evconnlistener *l;
	struct cmd_signals *sigs;
	struct timeval tv;
	struct dispatcher_files files;
	int verbose = 0, requeued;

	dispatcher_options(argc, argv, &d.cfg, &files, &verbose);
	d.argc = argc;
	d.argv = argv;
	d.log_file = files.log;
	if (files.log != NULL && log_to_file(files.log) == -1)
		return 1;
	log_init_daemon("dispatcher", verbose);
	dispatcher_fd_limits(&d.cfg);
	d.cfg.token = auth_token(files.token);
	if (files.runner_token != NULL &&
	    (d.cfg.runner_token = auth_read_token(files.runner_token)) == NULL)
		return 1;
	if (d.cfg.tls_cert != NULL)
		d.tls = tls_server(d.cfg.tls_cert, d.cfg.tls_key);
	if (forges_load(&d.forges, d.cfg.forge_specs.items,
	    d.cfg.forge_specs.n, d.cfg.forge_repos.items,
	    d.cfg.forge_repos.n) == -1 ||
	    outbox_load(&d.forges, d.cfg.notify_urls.n) == -1)
		exit(1);
	if (d.cfg.public_url != NULL) {
		d.public_url = xstrdup(d.cfg.public_url);
		while (*d.public_url != '\0' &&
		    d.public_url[strlen(d.public_url) - 1] == '/')
			d.public_url[strlen(d.public_url) - 1] = '\0';
	}
	signal(SIGPIPE, SIG_IGN);
	if (dispatcher_lock(&d) == -1 || mkdir_p(d.cfg.results_dir) == -1 ||
	    (d.store = dispatcher_store_open(&d)) == NULL ||
	    joblogs_init(&d.logs, d.cfg.state_dir, d.cfg.max_log_bytes) == -1) {
		if (d.store != NULL)
			store_close(d.store);
		free(d.cfg.token);
		free(d.cfg.runner_token);
		if (d.tls != NULL)
			tls_free(d.tls);
		return 1;
	}
	store_set_queue_limit(d.store, d.cfg.max_queued_per_repo);
	joblogs_keep_in(&d.logs, d.store);
	/* Artifacts cut short by the last stop: never listed, now gone. */
	artifact_in_clean(d.cfg.state_dir);
	requeued = store_requeue_running(d.store);
	if (requeued > 0)
		log_info("%d job%s that were running went back to the queue",
		    requeued, requeued == 1 ? "" : "s");
	d.base = event_base_new();
	if (d.base == NULL)
		fatalx("unable to create the event loop");
	d.store_watch = store_watch_new(d.base, d.store, d.argc, d.argv);
	d.started_ms = now_ms();
	LIST_INIT(&d.peers);
	LIST_INIT(&d.busy);
	LIST_INIT(&d.events);
	d.addresses = address_table_new();
	d.results = results_new(d.base, d.store, &d.logs, d.cfg.results_dir);
	sched_cfg.job_timeout_s = d.cfg.job_timeout_s;
	sched_cfg.max_attempts = d.cfg.max_attempts;
	sched_cfg.retry_failed = d.cfg.retry_failed;
	sched_cfg.local_repos = d.cfg.local_repos;
	sched_cfg.coalesce = d.cfg.coalesce.items;
	sched_cfg.ncoalesce = d.cfg.coalesce.n;
	sched_cfg.priorities = d.cfg.branch_priorities;
	sched_cfg.npriorities = d.cfg.nbranch_priorities;
	sched_cfg.coalesce_wait_ms = d.cfg.coalesce_wait_ms;
	d.sched = sched_new(&sched_cfg, d.store, d.results, &d.logs,
	    &peer_runner_ops, &dispatcher_watchers, &d);
	/* Children (artifacts' tar and rm, mail) are watched on the loop. */
	spawn_init(d.base);
	d.artifacts = artifact_prune_new(d.base, d.store, d.cfg.state_dir);
	d.retention = retention_new(d.base, d.store, &d.logs, d.artifacts,
	    d.cfg.keep_days, d.cfg.keep_jobs);
	d.diskuse = diskuse_new(d.base, d.sched, d.cfg.state_dir,
	    d.cfg.results_dir, &d.cfg.min_free);
	l = dispatcher_listen(&d);
	results_check_all(d.results);
	if (d.cfg.http != NULL)
		http_start(&d);
	dispatcher_tellers(&d);
	d.bisect = bisect_new(d.store, d.sched, dispatcher_bisected, &d);
	bisect_resume(d.bisect);
	d.schedules = schedules_new(d.base, d.store, d.sched,
	    d.cfg.schedules, d.cfg.nschedules, d.cfg.schedule_clock);
	tv.tv_sec = d.cfg.heartbeat_ms / DISPATCHER_TICKS / 1000;
	tv.tv_usec = d.cfg.heartbeat_ms / DISPATCHER_TICKS % 1000 * 1000;
	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1000;
	d.ev_heartbeat = event_new(d.base, -1, EV_PERSIST,
	    dispatcher_heartbeat_cb, &d);
	event_add(d.ev_heartbeat, &tv);
	sigs = cmd_stop_on_signals(d.base);
	cmd_on_hangup(sigs, dispatcher_reload_cb, &d);

	event_base_dispatch(d.base);

	http_stop(&d);
	schedules_free(d.schedules);
	bisect_free(d.bisect);
	statuses_free(d.statuses);
	notices_free(d.notices);
	/*
	 * A child still running (sendmail, an artifacts' tar or rm) is
	 * killed, and reports to no one.
	 */
	spawn_shutdown();
	if (d.outbox != NULL)
		outbox_free(d.outbox);
	forges_release(&d.forges);
	free(d.public_url);
	free(d.cfg.forge_specs.items);
	free(d.cfg.forge_repos.items);
	free(d.cfg.notify_urls.items);
	free(d.cfg.notify_emails.items);
	free(d.cfg.coalesce.items);
	peer_free_all(&d);
	retention_free(d.retention);
	artifact_prune_free(d.artifacts);
	diskuse_free(d.diskuse);
	sched_free(d.sched);
	evconnlistener_free(l);
	gate_release(&d.proto_gate);
	results_free(d.results);
	address_table_free(d.addresses);
	event_free(d.ev_heartbeat);
	cmd_signals_free(sigs);
	store_watch_free(d.store_watch);
	event_base_free(d.base);
	store_close(d.store);
	joblogs_release(&d.logs);
	free(d.cfg.token);
	free(d.cfg.runner_token);
	if (d.tls != NULL)
		tls_free(d.tls);
	return 0;
}

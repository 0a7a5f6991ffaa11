/* SPDX-License-Identifier: MIT */
/*
 * loadgen.c - many fake runners in one process, for bench/run's "scale"
 * benchmark.  It opens N connections to a dispatcher with epoll, and each
 * speaks the runner protocol (docs/PROTOCOL.md): hello, register as
 * "lg-<i>" with one slot, pong every ping, and answer every job at once
 * with "accepted" and a passing result, without touching git.  One more
 * connection, a client, dispatches jobs with fake commit ids when told to.
 *
 * usage: loadgen HOST PORT RUNNERS JOBS [DEADLINE_S]
 *
 * It reads commands on standard input, one a line:
 *   dispatch   send JOBS dispatches, one at a time (each after the previous
 *              one's "ok"), timing each round trip; when every job was
 *              handed out and its result acknowledged, print the figures
 * and exits at end of input.  On standard output it prints "# ..." notes,
 * "registered N" once every runner is registered, "figure NAME=VALUE UNIT"
 * lines and "dispatched" when the dispatch phase is over.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define MAX_PENDING_CONNECTS 200	/* the dispatcher's backlog is 128 */
#define READ_CHUNK 65536

enum lg_state { LG_IDLE, LG_CONNECTING, LG_OPEN, LG_CLOSED };

struct lg_conn {
	int fd;
	int idx;		/* runner number, or -1 for the client */
	enum lg_state state;
	int oks;		/* "ok" replies seen */
	int registered;
	char *in;
	size_t inlen, incap;
	char *out;
	size_t outlen, outoff, outcap;
	int want_out;		/* EPOLLOUT is armed */
};

static int epfd;
static struct sockaddr_in server;
static struct lg_conn *conns;	/* runners, then the client at [nrunners] */
static int nrunners, njobs;
static int next_to_connect, connecting, nregistered, nlost;
static long npings, nerrors;

static int dispatching, dispatched, jobs_seen, results_acked;
static double t_first_dispatch, t_last_job, t_sent, t_all_acked;
static double *rtts;
static char prefix[16];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void
die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
arm(struct lg_conn *c, int want_out)
{
	struct epoll_event ev = { 0 };

	if (c->want_out == want_out)
		return;
	c->want_out = want_out;
	ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		die("epoll_ctl");
}

static void conn_close(struct lg_conn *c, const char *why);

/* Write what waits; arm EPOLLOUT if the socket is full. */
static void
flush_out(struct lg_conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff,
		    c->outlen - c->outoff);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			arm(c, 1);
			return;
		}
		if (n == -1) {
			conn_close(c, strerror(errno));
			return;
		}
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	arm(c, 0);
}

static void
send_line(struct lg_conn *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (c->outlen + (size_t)n > c->outcap) {
		c->outcap = (c->outlen + (size_t)n) * 2;
		c->out = realloc(c->out, c->outcap);
		if (c->out == NULL)
			die("realloc");
	}
	memcpy(c->out + c->outlen, line, (size_t)n);
	c->outlen += (size_t)n;
	if (!c->want_out)
		flush_out(c);
}

static void
send_dispatch(int i)
{
	struct lg_conn *c = &conns[nrunners];

	t_sent = now_s();
	if (i == 0)
		t_first_dispatch = t_sent;
	send_line(c, "{\"type\":\"dispatch\",\"repo\":"
	    "\"https://example.invalid/loadgen.git\",\"commit\":\"%s%032x\","
	    "\"branch\":\"main\"}\n", prefix, (unsigned)i + 1);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Every dispatch answered, every job handed out and its result taken. */
static void
maybe_report(void)
{
	double p50, p99, sum = 0;

	if (!dispatching || dispatched < njobs || jobs_seen < njobs ||
	    results_acked < njobs)
		return;
	dispatching = 0;
	qsort(rtts, (size_t)njobs, sizeof *rtts, cmp_double);
	for (int i = 0; i < njobs; i++)
		sum += rtts[i];
	p50 = rtts[(njobs - 1) / 2];
	p99 = rtts[(int)((njobs - 1) * 0.99 + 0.5)];
	say("figure scale_dispatch_rtt_p50_ms=%.3f ms\n", p50 * 1e3);
	say("figure scale_dispatch_rtt_p99_ms=%.3f ms\n", p99 * 1e3);
	say("figure scale_dispatch_rtt_max_ms=%.3f ms\n",
	    rtts[njobs - 1] * 1e3);
	say("figure scale_dispatch_rtt_mean_ms=%.3f ms\n", sum / njobs * 1e3);
	say("figure scale_handout_s=%.3f s\n", t_last_job - t_first_dispatch);
	say("figure scale_handout_jobs_per_s=%.1f jobs/s\n",
	    njobs / (t_last_job - t_first_dispatch));
	say("figure scale_all_results_s=%.3f s\n",
	    t_all_acked - t_first_dispatch);
	say("figure scale_lost_connections=%d count\n", nlost);
	say("figure scale_pings_answered=%ld count\n", npings);
	say("figure scale_protocol_errors=%ld count\n", nerrors);
	say("dispatched\n");
}

/* One line from the dispatcher on connection c. */
static void
handle_line(struct lg_conn *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg = json_loadb(line, len, 0, &jerr), *v;
	const char *type;

	if (msg == NULL || (type = json_string_value(json_object_get(msg,
	    "type"))) == NULL) {
		fprintf(stderr, "loadgen: bad line: %.*s\n", (int)len, line);
		nerrors++;
		json_decref(msg);
		return;
	}
	if (strcmp(type, "ping") == 0) {
		npings++;
		send_line(c, "{\"type\":\"pong\"}\n");
	} else if (strcmp(type, "ok") == 0) {
		c->oks++;
		if (c->idx < 0) {
			/* The client: hello's ok, then one per dispatch. */
			if (c->oks == 1)
				say("# client connected\n");
			else if (dispatching) {
				rtts[dispatched] = now_s() - t_sent;
				if (++dispatched < njobs)
					send_dispatch(dispatched);
			}
		} else if (c->oks == 2) {
			c->registered = 1;
			connecting--;
			if (++nregistered == nrunners)
				say("registered %d\n", nregistered);
		} else if (c->oks > 2 && ++results_acked == njobs)
			t_all_acked = now_s();
	} else if (strcmp(type, "job") == 0) {
		json_int_t id = json_integer_value(json_object_get(msg, "id"));

		if (++jobs_seen == njobs)
			t_last_job = now_s();
		send_line(c, "{\"type\":\"accepted\",\"id\":%lld}\n"
		    "{\"type\":\"result\",\"id\":%lld,\"status\":\"passed\","
		    "\"exit_code\":0,\"duration_ms\":1}\n", (long long)id,
		    (long long)id);
	} else if (strcmp(type, "cancel") == 0) {
		send_line(c, "{\"type\":\"ok\"}\n");
	} else if (strcmp(type, "error") == 0) {
		v = json_object_get(msg, "message");
		fprintf(stderr, "loadgen: conn %d: error: %s\n", c->idx,
		    json_string_value(v) ? json_string_value(v) : "?");
		nerrors++;
	}
	json_decref(msg);
	maybe_report();
}

static void
conn_close(struct lg_conn *c, const char *why)
{
	if (c->state == LG_CLOSED)
		return;
	if (c->state == LG_CONNECTING || (c->state == LG_OPEN &&
	    !c->registered && c->idx >= 0))
		connecting--;
	if (c->registered || c->idx < 0) {
		nlost++;
		fprintf(stderr, "loadgen: conn %d lost: %s\n", c->idx, why);
	}
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->state = LG_CLOSED;
	if (c->idx < 0) {
		fprintf(stderr, "loadgen: the client connection is gone\n");
		exit(1);
	}
}

static void
read_in(struct lg_conn *c)
{
	for (;;) {
		ssize_t n;
		char *nl, *start;

		if (c->incap - c->inlen < READ_CHUNK) {
			c->incap = c->inlen + READ_CHUNK * 2;
			c->in = realloc(c->in, c->incap);
			if (c->in == NULL)
				die("realloc");
		}
		n = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_close(c, n == 0 ? "closed by the dispatcher" :
			    strerror(errno));
			return;
		}
		c->inlen += (size_t)n;
		start = c->in;
		while ((nl = memchr(start, '\n', c->inlen - (size_t)(start -
		    c->in))) != NULL) {
			handle_line(c, start, (size_t)(nl - start));
			if (c->state == LG_CLOSED)
				return;
			start = nl + 1;
		}
		c->inlen -= (size_t)(start - c->in);
		memmove(c->in, start, c->inlen);
	}
	/* Keep idle connections small: give back a big empty buffer. */
	if (c->inlen == 0 && c->incap > READ_CHUNK * 2) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
}

/* Start connecting c; hello (and register) go out once connected. */
static void
conn_start(struct lg_conn *c)
{
	struct epoll_event ev = { 0 };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		die("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->state = LG_CONNECTING;
	c->oks = 0;
	c->registered = 0;
	c->want_out = 1;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		die("epoll_ctl");
	if (connect(c->fd, (struct sockaddr *)&server, sizeof server) == -1 &&
	    errno != EINPROGRESS)
		die("connect");
	if (c->idx >= 0)
		connecting++;
}

static void
connected(struct lg_conn *c)
{
	int err = 0;
	socklen_t len = sizeof err;

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0 && c->idx < 0) {
		errno = err;
		die("connect");
	}
	if (err != 0) {
		/* Refused or reset: try this one again later. */
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		connecting--;
		c->state = LG_IDLE;
		next_to_connect = c->idx < next_to_connect ? c->idx :
		    next_to_connect;
		return;
	}
	c->state = LG_OPEN;
	arm(c, 0);	/* armed for the connect; now only when needed */
	if (c->idx < 0)
		send_line(c, "{\"type\":\"hello\",\"role\":\"client\","
		    "\"version\":1}\n");
	else
		send_line(c, "{\"type\":\"hello\",\"role\":\"runner\","
		    "\"version\":1}\n{\"type\":\"register\",\"name\":"
		    "\"lg-%d\",\"slots\":1}\n", c->idx);
}

static void
connect_more(void)
{
	while (connecting < MAX_PENDING_CONNECTS && next_to_connect <
	    nrunners) {
		struct lg_conn *c = &conns[next_to_connect++];

		if (c->state == LG_IDLE)
			conn_start(c);
	}
}

static void
read_stdin(void)
{
	static char buf[256];
	static size_t len;
	ssize_t n = read(0, buf + len, sizeof buf - 1 - len);
	char *nl;

	if (n <= 0) {
		say("# end of input: exiting\n");
		exit(0);
	}
	len += (size_t)n;
	buf[len] = '\0';
	while ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		if (strcmp(buf, "dispatch") == 0 && !dispatching) {
			dispatching = 1;
			dispatched = jobs_seen = results_acked = 0;
			send_dispatch(0);
		}
		len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, len + 1);
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256], ev = { 0 };
	double deadline;
	int port;

	if (argc < 5) {
		fprintf(stderr, "usage: loadgen HOST PORT RUNNERS JOBS "
		    "[DEADLINE_S]\n");
		return 2;
	}
	memset(&server, 0, sizeof server);
	server.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) {
		fprintf(stderr, "loadgen: %s: not an IPv4 address\n", argv[1]);
		return 2;
	}
	port = atoi(argv[2]);
	server.sin_port = htons((uint16_t)port);
	nrunners = atoi(argv[3]);
	njobs = atoi(argv[4]);
	deadline = now_s() + (argc > 5 ? atof(argv[5]) : 600);
	snprintf(prefix, sizeof prefix, "%08x", (unsigned)time(NULL));
	rtts = calloc((size_t)njobs + 1, sizeof *rtts);
	conns = calloc((size_t)nrunners + 1, sizeof *conns);
	if (rtts == NULL || conns == NULL)
		die("calloc");
	for (int i = 0; i < nrunners; i++)
		conns[i].idx = i;
	conns[nrunners].idx = -1;

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;	/* standard input */
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev) == -1) {
		/* A file or /dev/null: no commands, run until killed. */
		if (errno != EPERM)
			die("epoll_ctl stdin");
		say("# standard input is not a pipe: no commands\n");
	}
	conn_start(&conns[nrunners]);
	connect_more();

	for (;;) {
		int n = epoll_wait(epfd, evs, 256, 1000);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct lg_conn *c = evs[i].data.ptr;

			if (c == NULL) {
				read_stdin();
				continue;
			}
			if (c->state == LG_CONNECTING) {
				if (evs[i].events & (EPOLLOUT | EPOLLERR |
				    EPOLLHUP))
					connected(c);
				continue;
			}
			if (c->state != LG_OPEN)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				read_in(c);
			if (c->state == LG_OPEN && (evs[i].events & EPOLLOUT))
				flush_out(c);
		}
		connect_more();
		if (now_s() > deadline) {
			fprintf(stderr, "loadgen: deadline passed (registered "
			    "%d/%d, dispatched %d, jobs %d, results %d)\n",
			    nregistered, nrunners, dispatched, jobs_seen,
			    results_acked);
			say("figure scale_pings_answered=%ld count\n", npings);
			return 1;
		}
	}
}

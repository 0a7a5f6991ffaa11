/* SPDX-License-Identifier: MIT */
/*
 * outbox.c - the store's outbox sent out: HTTP POSTs through libcurl's
 * multi interface driven by the libevent loop (its sockets and its timer
 * are events of ours), mail through sendmail as a child on the loop.
 * libcurl is loaded at run time (curl_load.c), only when there is an HTTP
 * target, and called through its table.
 *
 * Each target has its messages read from the store, oldest first, a page
 * at a time; a message starts when no earlier message of its key is on
 * its way or waiting, so that a commit's statuses arrive in order.  A
 * forge's token goes only into the Authorization header of its own
 * requests, never into the store or a log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "curl_load.h"
#include "forge.h"
#include "outbox.h"
#include "spawn.h"
#include "store.h"
#include "util.h"

/* Messages of a target read at once: the rest wait for the next page. */
#define OUTBOX_PAGE 64

struct outbox_target {
	char *name;			/* "forge:NAME", "url:URL", "mail" */
	const struct forge *forge;	/* a forge's, or NULL */
	int mail;
	int inflight;
	int failures;			/* in a row */
	int paused;
	struct event *ev_resume;
	struct outbox *o;
};

struct outbox_send {
	struct outbox *o;
	struct outbox_target *t;
	int64_t id;
	char *key;
	CURL *easy;
	struct curl_slist *headers;
	char error[CURL_ERROR_SIZE];
	char reply[OUTBOX_REPLY_MAX + 1];
	size_t reply_len;
	char *mail_file;
	LIST_ENTRY(outbox_send) entry;
};

struct outbox {
	struct event_base *base;
	struct store *store;
	char *mail_dir;
	struct outbox_target *targets;
	size_t ntargets;
	const struct curl_fns *curl;	/* NULL without an HTTP target */
	CURLM *multi;
	struct event *ev_timer;		/* libcurl's timeout */
	struct event *ev_pump;		/* start what can start, soon */
	LIST_HEAD(, outbox_send) sends;
	int inflight;
	/*
	 * Messages taken by their target whose removal from the store
	 * failed: never sent again by this run, removed when the store
	 * takes it.
	 */
	int64_t *taken;
	size_t ntaken;
};

static void outbox_pump_soon(struct outbox *o);

/*
 * Why a message may be dropped for good: the target said it is wrong, or
 * sent it elsewhere (redirects are not followed: the token would go too).
 */
static int
outbox_refused(long status)
{
	return (status >= 300 && status < 500 && status != 408 &&
	    status != 429) || (status > 0 && status < 200);
}

/*
 * sendmail's exit codes (sysexits.h) that sending again will not change:
 * a bad command line, bad data, an unknown user or host.
 */
static int
outbox_mail_refused(int status)
{
	return status >= 64 && status <= 68;
}

static void
outbox_send_free(struct outbox_send *s)
{
	LIST_REMOVE(s, entry);
	s->t->inflight--;
	s->o->inflight--;
	if (s->easy != NULL) {
		s->o->curl->multi_remove_handle(s->o->multi, s->easy);
		s->o->curl->easy_cleanup(s->easy);
	}
	if (s->headers != NULL)
		s->o->curl->slist_free_all(s->headers);
	if (s->mail_file != NULL) {
		unlink(s->mail_file);
		free(s->mail_file);
	}
	free(s->key);
	free(s);
}

static void
outbox_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox_target *t = arg;

	(void)fd;
	(void)what;
	t->paused = 0;
	outbox_pump_soon(t->o);
}

/*
 * A message was sent (ok), refused for good (why, dropped), or not taken
 * now (why, kept: the target pauses).
 */
static void
outbox_done(struct outbox_send *s, int ok, int drop, const char *why)
{
	struct outbox_target *t = s->t;
	struct timeval tv;
	int64_t wait;

	if (ok || drop) {
		if (drop)
			log_warnx("dropped message %lld to %s: %s",
			    (long long)s->id, t->name, why);
		if (store_outbox_remove(s->o->store, s->id) == -1) {
			log_warnx("message %lld to %s stays in the outbox for "
			    "now: it is removed later", (long long)s->id,
			    t->name);
			s->o->taken = xrealloc(s->o->taken, (s->o->ntaken + 1) *
			    sizeof *s->o->taken);
			s->o->taken[s->o->ntaken++] = s->id;
		}
		/* A target that answered is up, whatever it said. */
		t->failures = 0;
	} else {
		t->failures++;
		wait = t->failures > 6 ? OUTBOX_BACKOFF_MAX_MS :
		    1000LL << (t->failures - 1);
		if (wait > OUTBOX_BACKOFF_MAX_MS)
			wait = OUTBOX_BACKOFF_MAX_MS;
		if (!t->paused)
			log_warnx("unable to send message %lld to %s: %s; trying "
			    "again in %lld ms", (long long)s->id, t->name, why,
			    (long long)wait);
		t->paused = 1;
		tv.tv_sec = wait / 1000;
		tv.tv_usec = wait % 1000 * 1000;
		evtimer_add(t->ev_resume, &tv);
	}
	outbox_send_free(s);
	outbox_pump_soon(t->o);
}

/* libcurl finished some transfers: see how each went. */
static void
outbox_check_done(struct outbox *o)
{
	char why[2 * OUTBOX_REPLY_MAX + 100], esc[OUTBOX_REPLY_MAX + 100];
	struct outbox_send *s;
	CURLMsg *msg;
	long status;
	int left;

	while ((msg = o->curl->multi_info_read(o->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		o->curl->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s);
		if (msg->data.result != CURLE_OK) {
			snprintf(why, sizeof why, "%s", s->error[0] != '\0' ?
			    s->error : o->curl->easy_strerror(msg->data.result));
			outbox_done(s, 0, 0, why);
			continue;
		}
		status = 0;
		o->curl->easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
		s->reply[s->reply_len] = '\0';
		log_escape(s->reply, esc, sizeof esc);
		snprintf(why, sizeof why, "answered %ld%s%s", status,
		    esc[0] != '\0' ? ": " : "", esc);
		if (status >= 200 && status < 300)
			outbox_done(s, 1, 0, NULL);
		else
			outbox_done(s, 0, outbox_refused(status), why);
	}
}

static void
outbox_socket_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *o = arg;
	int running, flags = (what & EV_READ ? CURL_CSELECT_IN : 0) |
	    (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	o->curl->multi_socket_action(o->multi, fd, flags, &running);
	outbox_check_done(o);
}

static void
outbox_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *o = arg;
	int running;

	(void)fd;
	(void)what;
	o->curl->multi_socket_action(o->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	outbox_check_done(o);
}

/* libcurl says which events of a socket it wants. */
static int
outbox_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *socketp)
{
	struct outbox *o = arg;
	struct event *ev = socketp;
	short kind;

	(void)easy;
	if (ev != NULL) {
		event_free(ev);
		ev = NULL;
	}
	if (what != CURL_POLL_REMOVE) {
		kind = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
		    (what & CURL_POLL_OUT ? EV_WRITE : 0);
		ev = event_new(o->base, fd, kind, outbox_socket_cb, o);
		if (ev == NULL)
			fatalx("unable to watch a socket of libcurl's");
		event_add(ev, NULL);
	}
	o->curl->multi_assign(o->multi, fd, ev);
	return 0;
}

/* libcurl's timeout: -1 none, 0 now (on the next turn), else in ms. */
static int
outbox_curl_timer(CURLM *multi, long ms, void *arg)
{
	struct outbox *o = arg;
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };

	(void)multi;
	if (ms < 0)
		evtimer_del(o->ev_timer);
	else
		evtimer_add(o->ev_timer, &tv);
	return 0;
}

/* Our sockets are close-on-exec like every descriptor of ours. */
static curl_socket_t
outbox_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)arg;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* The start of an answer, for the log; the rest is read and dropped. */
static size_t
outbox_reply(char *data, size_t size, size_t n, void *arg)
{
	struct outbox_send *s = arg;
	size_t len = size * n, room = OUTBOX_REPLY_MAX - s->reply_len;

	memcpy(s->reply + s->reply_len, data, len < room ? len : room);
	s->reply_len += len < room ? len : room;
	return len;
}

static int
outbox_start_http(struct outbox_send *s, const struct outbox_message *m)
{
	const struct forge *g = s->t->forge;
	const struct curl_fns *c = s->o->curl;
	char *auth = NULL;
	CURL *e;

	/* The token goes to its forge's API only, whatever the store says. */
	if (g != NULL && (strncmp(m->url, g->api, strlen(g->api)) != 0 ||
	    m->url[strlen(g->api)] != '/'))
		return -2;
	if ((e = c->easy_init()) == NULL)
		return -1;
	s->easy = e;
	s->headers = c->slist_append(s->headers,
	    "Content-Type: application/json");
	s->headers = c->slist_append(s->headers, g != NULL &&
	    g->kind == FORGE_GITHUB ? "Accept: application/vnd.github+json" :
	    "Accept: application/json");
	if (g != NULL) {
		xasprintf(&auth, "Authorization: %s %s", g->kind ==
		    FORGE_GITEA ? "token" : "Bearer", g->token);
		s->headers = c->slist_append(s->headers, auth);
		/* No copy of the token lingers in our memory. */
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	c->easy_setopt(e, CURLOPT_URL, m->url);
	c->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	c->easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	c->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	c->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	c->easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
	c->easy_setopt(e, CURLOPT_USERAGENT, "ssci/" SSCI_VERSION);
	c->easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	c->easy_setopt(e, CURLOPT_COPYPOSTFIELDS, m->body);
	c->easy_setopt(e, CURLOPT_WRITEFUNCTION, outbox_reply);
	c->easy_setopt(e, CURLOPT_WRITEDATA, s);
	c->easy_setopt(e, CURLOPT_ERRORBUFFER, s->error);
	c->easy_setopt(e, CURLOPT_PRIVATE, s);
	c->easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, outbox_open_socket);
	if (c->multi_add_handle(s->o->multi, e) != CURLM_OK)
		return -1;
	return 0;
}

static void
outbox_mail_output(struct spawn *sp, const char *data, size_t len, void *arg)
{
	struct outbox_send *s = arg;
	size_t room = OUTBOX_REPLY_MAX - s->reply_len;

	(void)sp;
	memcpy(s->reply + s->reply_len, data, len < room ? len : room);
	s->reply_len += len < room ? len : room;
}

static void
outbox_mail_done(struct spawn *sp, int status, void *arg)
{
	struct outbox_send *s = arg;
	char why[2 * OUTBOX_REPLY_MAX + 100], esc[OUTBOX_REPLY_MAX + 100];

	(void)sp;
	s->reply[s->reply_len] = '\0';
	log_escape(s->reply, esc, sizeof esc);
	snprintf(why, sizeof why, "sendmail exited with %d%s%s", status,
	    esc[0] != '\0' ? ": " : "", esc);
	outbox_done(s, status == 0, outbox_mail_refused(status), why);
}

/* sendmail -t reads the message, which names its recipients, from a file. */
static int
outbox_start_mail(struct outbox_send *s, const struct outbox_message *m)
{
	char *program = spawn_find_program("sendmail");
	const char *argv[] = { NULL, "-t", "-oi", NULL };
	struct spawn_opts opts = { 0 };
	struct spawn *sp;

	xasprintf(&s->mail_file, "%s/mail-%lld.txt", s->o->mail_dir,
	    (long long)m->id);
	if (mkdir_p(s->o->mail_dir) == -1 || write_file_atomic(s->mail_file,
	    m->body, strlen(m->body)) == -1) {
		free(program);
		return -1;
	}
	argv[0] = program != NULL ? program : "/usr/sbin/sendmail";
	opts.argv = argv;
	opts.stdin_path = s->mail_file;
	opts.on_output = outbox_mail_output;
	opts.on_done = outbox_mail_done;
	opts.arg = s;
	sp = spawn_start(&opts);
	free(program);
	return sp != NULL ? 0 : -1;
}

/*
 * How many messages t may have on their way: one for mail, and one for a
 * target that failed last (a probe, until it takes one again).
 */
static int
outbox_room(const struct outbox_target *t)
{
	return t->mail || t->failures > 0 ? 1 : OUTBOX_INFLIGHT;
}

/* A message of target t's page, started if nothing earlier holds its key. */
struct outbox_page {
	struct outbox_target *t;
	char **held;			/* keys waiting or on their way */
	size_t nheld;
};

static int
outbox_held(struct outbox_page *p, const char *key)
{
	for (size_t i = 0; i < p->nheld; i++) {
		if (strcmp(p->held[i], key) == 0)
			return 1;
	}
	return 0;
}

static int
outbox_consider(const struct outbox_message *m, void *arg)
{
	struct outbox_page *p = arg;
	struct outbox_target *t = p->t;
	struct outbox *o = t->o;
	struct outbox_send *s;
	int rc, on_way = 0;

	LIST_FOREACH(s, &o->sends, entry) {
		if (s->id == m->id)
			on_way = 1;
	}
	for (size_t i = 0; i < o->ntaken; i++) {
		if (o->taken[i] == m->id)
			on_way = 1;
	}
	if (on_way || outbox_held(p, m->key) || t->paused ||
	    t->inflight >= outbox_room(t)) {
		p->held = xrealloc(p->held, (p->nheld + 1) * sizeof *p->held);
		p->held[p->nheld++] = xstrdup(m->key);
		return 0;
	}
	s = xcalloc(1, sizeof *s);
	s->o = o;
	s->t = t;
	s->id = m->id;
	s->key = xstrdup(m->key);
	LIST_INSERT_HEAD(&o->sends, s, entry);
	t->inflight++;
	o->inflight++;
	p->held = xrealloc(p->held, (p->nheld + 1) * sizeof *p->held);
	p->held[p->nheld++] = xstrdup(m->key);
	rc = t->mail ? outbox_start_mail(s, m) : outbox_start_http(s, m);
	if (rc == -2)
		outbox_done(s, 0, 1, "its address is not the forge's API any more "
		    "(was --forge changed?)");
	else if (rc == -1)
		/* Not started: kept, and tried again after a pause. */
		outbox_done(s, 0, 0, "unable to start sending it");
	return 0;
}

static void
outbox_pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *o = arg;

	(void)fd;
	(void)what;
	/* What was taken but not removed: removed now, if the store can. */
	for (size_t i = 0; i < o->ntaken;) {
		if (store_outbox_remove(o->store, o->taken[i]) == 0)
			o->taken[i] = o->taken[--o->ntaken];
		else
			i++;
	}
	if (o->ntaken > 0) {
		struct timeval tv = { 1, 0 };

		event_add(o->ev_pump, &tv);
	}
	for (size_t i = 0; i < o->ntargets; i++) {
		struct outbox_target *t = &o->targets[i];
		struct outbox_page page = { .t = t };

		if (t->paused || t->inflight >= outbox_room(t))
			continue;
		store_outbox_list(o->store, t->name, OUTBOX_PAGE,
		    outbox_consider, &page);
		strv_free(page.held, page.nheld);
	}
}

static void
outbox_pump_soon(struct outbox *o)
{
	event_active(o->ev_pump, EV_TIMEOUT, 0);
}

static void
outbox_add_target(struct outbox *o, const char *name,
    const struct forge *forge, int mail)
{
	struct outbox_target *t = &o->targets[o->ntargets++];

	t->name = xstrdup(name);
	t->forge = forge;
	t->mail = mail;
	t->o = o;
	t->ev_resume = evtimer_new(o->base, outbox_resume_cb, t);
}

/* Whether any target is sent by HTTP: a forge with a token, a URL. */
static int
outbox_has_http(const struct forges *f, size_t nurls)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->list[i].token != NULL)
			return 1;
	}
	return nurls > 0;
}

int
outbox_load(const struct forges *f, size_t nurls)
{
	if (!outbox_has_http(f, nurls) || curl_load() != NULL)
		return 0;
	log_warnx("statuses to forges (a --forge with a token) and "
	    "--notify-url need libcurl (Debian's libcurl4): not starting");
	return -1;
}

/* libcurl started for o, its sockets and timer on o's loop. */
static void
outbox_start_curl(struct outbox *o)
{
	const struct curl_fns *c = curl_load();

	if (c == NULL || c->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (o->multi = c->multi_init()) == NULL)
		fatalx("unable to start libcurl");
	o->curl = c;
	c->multi_setopt(o->multi, CURLMOPT_SOCKETFUNCTION, outbox_curl_socket);
	c->multi_setopt(o->multi, CURLMOPT_SOCKETDATA, o);
	c->multi_setopt(o->multi, CURLMOPT_TIMERFUNCTION, outbox_curl_timer);
	c->multi_setopt(o->multi, CURLMOPT_TIMERDATA, o);
}

struct outbox *
outbox_new(struct event_base *base, struct store *store,
    const struct forges *f, const char *const *urls, size_t nurls, int mail,
    const char *state_dir)
{
	struct outbox *o = xcalloc(1, sizeof *o);
	char *name;

	o->base = base;
	o->store = store;
	xasprintf(&o->mail_dir, "%s/mail", state_dir);
	LIST_INIT(&o->sends);
	/* Mail alone needs no libcurl. */
	if (outbox_has_http(f, nurls))
		outbox_start_curl(o);
	o->ev_timer = evtimer_new(base, outbox_timer_cb, o);
	o->ev_pump = event_new(base, -1, 0, outbox_pump_cb, o);
	o->targets = xcalloc(f->n + nurls + 1, sizeof *o->targets);
	for (size_t i = 0; i < f->n; i++) {
		if (f->list[i].token == NULL)
			continue;
		xasprintf(&name, "forge:%s", f->list[i].name);
		outbox_add_target(o, name, &f->list[i], 0);
		free(name);
	}
	for (size_t i = 0; i < nurls; i++) {
		xasprintf(&name, "url:%s", urls[i]);
		outbox_add_target(o, name, NULL, 0);
		free(name);
	}
	if (mail)
		outbox_add_target(o, "mail", NULL, 1);
	/* What an earlier run left is sent first. */
	outbox_pump_soon(o);
	return o;
}

void
outbox_free(struct outbox *o)
{
	while (!LIST_EMPTY(&o->sends))
		outbox_send_free(LIST_FIRST(&o->sends));
	if (o->curl != NULL) {
		o->curl->multi_cleanup(o->multi);
		o->curl->global_cleanup();
	}
	for (size_t i = 0; i < o->ntargets; i++) {
		event_free(o->targets[i].ev_resume);
		free(o->targets[i].name);
	}
	free(o->targets);
	free(o->taken);
	event_free(o->ev_timer);
	event_free(o->ev_pump);
	free(o->mail_dir);
	free(o);
}

int
outbox_put(struct outbox *o, const char *target, const char *key,
    const char *url, const char *body)
{
	if (store_outbox_add(o->store, target, key, url, body) == -1) {
		log_warnx("unable to keep a message to %s in the outbox: it is "
		    "lost", target);
		return -1;
	}
	outbox_pump_soon(o);
	return 0;
}

int
outbox_inflight(const struct outbox *o)
{
	return o->inflight;
}

/* SPDX-License-Identifier: MIT */
/*
 * http_artifacts.c - a job's artifacts over HTTP (docs/ARTIFACTS.md):
 * GET /jobs/ID/artifacts/PATH, one file, and GET /jobs/ID/artifacts.tar,
 * all of them.  A file is found by its store row only (the URL's path is
 * checked, then looked up; no file is named from the URL itself) and sent
 * ARTIFACT_PIECE bytes at a time, each read with pread once the one
 * before has gone to the client; the tar comes from a tar child whose
 * output is read only while what the client has not taken stays under
 * ARTIFACT_TAR_HIGH.  Memory is bounded whatever the size, and a client
 * that goes away mid-way frees everything (and the tar child is killed).
 * Files are served as downloads: a type from a small table (never one a
 * browser would run), Content-Disposition: attachment, nosniff.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "artifact_prune.h"
#include "dispatcher.h"
#include "http.h"
#include "http_conn.h"
#include "spawn.h"
#include "store.h"
#include "util.h"

#define ARTIFACT_PIECE (256 * 1024)	/* read and sent at a time */
#define ARTIFACT_TAR_HIGH (256 * 1024)	/* unsent tar: stop reading it */

/* One file on its way to a client. */
struct artifact_send {
	struct evhttp_request *req;
	int fd;
	int64_t offset;
	int64_t size;
};

/* A tar of a job's artifacts on its way to a client. */
struct artifact_tar {
	struct evhttp_request *req;	/* NULL once the client went */
	struct spawn *sp;		/* the tar child, NULL once done */
	int paused;
	int64_t job;
};

/*
 * Content types by name: only types a browser shows without running
 * anything; a page or a picture that may hold script (.html, .svg) is
 * not served as itself, so that no artifact runs on this site.
 */
static const struct {
	const char *suffix;
	const char *type;
} artifact_types[] = {
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".log", "text/plain; charset=utf-8" },
	{ ".html", "text/plain; charset=utf-8" },
	{ ".htm", "text/plain; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".xml", "application/xml" },
	{ ".tar", "application/x-tar" },
	{ ".gz", "application/gzip" },
	{ ".tgz", "application/gzip" },
	{ ".zip", "application/zip" },
	{ ".png", "image/png" },
	{ ".svg", "application/octet-stream" },
};

static const char *
artifact_type(const char *name)
{
	size_t len = strlen(name), n;

	for (size_t i = 0; i < sizeof artifact_types /
	    sizeof artifact_types[0]; i++) {
		n = strlen(artifact_types[i].suffix);
		if (len > n && strcasecmp(name + len - n,
		    artifact_types[i].suffix) == 0)
			return artifact_types[i].type;
	}
	return "application/octet-stream";
}

/* Whether c may stand in a quoted filename as itself. */
static int
artifact_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%';
}

/*
 * Content-Disposition for a file named name (RFC 6266): the name quoted
 * with anything but plain ASCII as '_', and when that changed it, the
 * name itself as filename*=UTF-8''... (RFC 8187).
 */
static char *
artifact_disposition(const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	struct evbuffer *b = evbuffer_new();
	const unsigned char *p;
	int changed = 0;
	char *value;
	size_t len;

	evbuffer_add_printf(b, "attachment; filename=\"");
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		changed |= !artifact_plain(*p);
		evbuffer_add_printf(b, "%c", artifact_plain(*p) ? *p : '_');
	}
	evbuffer_add_printf(b, "\"");
	if (changed) {
		evbuffer_add_printf(b, "; filename*=UTF-8''");
		for (p = (const unsigned char *)name; *p != '\0'; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
			    *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    strchr("!#$&+-.^_`|~", *p) != NULL)
				evbuffer_add_printf(b, "%c", *p);
			else
				evbuffer_add_printf(b, "%%%c%c", hex[*p >> 4],
				    hex[*p & 15]);
		}
	}
	len = evbuffer_get_length(b);
	value = xmalloc(len + 1);
	evbuffer_remove(b, value, len);
	value[len] = '\0';
	evbuffer_free(b);
	return value;
}

/* The headers of a download named name: type, disposition, no sniffing. */
static void
artifact_headers(struct evhttp_request *req, const char *name,
    const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char *disposition = artifact_disposition(name);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Content-Disposition", disposition);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	/* Opened in place anyway, it may run nothing here. */
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; "
	    "sandbox");
	evhttp_add_header(h, "Cache-Control", "private");
	free(disposition);
}

static void
artifact_send_free(struct artifact_send *s)
{
	close(s->fd);
	free(s);
}

/* The client went away mid-way (or the server is stopping). */
static void
artifact_send_closed(struct evhttp_connection *evcon, void *arg)
{
	struct artifact_send *s = arg;

	(void)evcon;
	/* A request cut off mid-reply is ours to free once let go. */
	if (evhttp_request_get_connection(s->req) == NULL)
		evhttp_request_free(s->req);
	artifact_send_free(s);
}

/*
 * Cut the connection of req, whose reply has begun and cannot be whole:
 * the client sees it end short, never a reply that looks whole.
 */
static void
artifact_cut(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);

	evhttp_connection_set_closecb(evcon, NULL, NULL);
	evhttp_connection_free(evcon);
}

static void artifact_send_piece(struct artifact_send *s);

/* The last piece has gone to the client: the next. */
static void
artifact_sent(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	artifact_send_piece(arg);
}

static void
artifact_send_piece(struct artifact_send *s)
{
	struct evhttp_request *req = s->req;
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec v;
	size_t want = s->size - s->offset > ARTIFACT_PIECE ? ARTIFACT_PIECE :
	    (size_t)(s->size - s->offset);
	ssize_t n;

	if (buf == NULL || evbuffer_reserve_space(buf, (ev_ssize_t)want, &v,
	    1) < 1)
		fatalx("libevent: out of memory");
	do
		n = pread(s->fd, v.iov_base, want, (off_t)s->offset);
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		if (n == -1)
			log_warn("unable to read an artifact for %s",
			    evhttp_request_get_uri(req));
		else
			log_warnx("unable to read an artifact for %s: it "
			    "was cut short", evhttp_request_get_uri(req));
		evbuffer_free(buf);
		artifact_send_free(s);
		artifact_cut(req);
		return;
	}
	v.iov_len = (size_t)n;
	evbuffer_commit_space(buf, &v, 1);
	s->offset += n;
	if (s->offset < s->size) {
		evhttp_send_reply_chunk_with_cb(req, buf, artifact_sent, s);
		evbuffer_free(buf);
		return;
	}
	/* The last piece: evhttp ends the reply once it has gone. */
	evhttp_send_reply_chunk(req, buf);
	evbuffer_free(buf);
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    NULL, NULL);
	artifact_send_free(s);
	evhttp_send_reply_end(req);
}

/* Open a's file for reading: the descriptor, or -1 after answering. */
static int
artifact_open(struct http_ctx *h, const struct store_artifact *a)
{
	char *file = artifact_file(h->d->cfg.state_dir, a->job, a->path);
	struct stat st;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		log_warn("unable to open artifact '%s'", file);
		http_error(h->req, errno == ENOENT ? HTTP_NOTFOUND :
		    HTTP_INTERNAL, "artifact", "the artifact's file cannot be "
		    "read");
	} else if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size != a->size) {
		log_warnx("unable to send artifact '%s': it is not the file "
		    "of %lld bytes its row says", file, (long long)a->size);
		http_error(h->req, HTTP_INTERNAL, "artifact", "the artifact's "
		    "file is not the one that was kept");
		close(fd);
		fd = -1;
	}
	free(file);
	return fd;
}

/* GET /jobs/ID/artifacts/PATH: PATH may hold slashes. */
int
http_artifact(struct http_ctx *h)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(h->req);
	int64_t job = http_job_id(h->parts[1]);
	struct store_artifact a;
	struct artifact_send *s;
	const char *path = h->rest[3], *name, *match;
	char *path_out = NULL, etag[72], length[32];
	int rc, fd;

	if (job <= 0)
		return 0;
	if (!artifact_path_valid(path)) {
		http_error(h->req, HTTP_BADREQUEST, "bad_path", "an artifact's "
		    "path is relative, without '.' or '..' parts");
		return 1;
	}
	rc = store_artifact_get(h->d->store, job, path, &a, &path_out);
	if (rc != 1) {
		if (rc == -1)
			http_error(h->req, HTTP_INTERNAL, "store", "unable to "
			    "read the artifacts");
		return rc == -1;
	}
	snprintf(etag, sizeof etag, "\"%s\"", a.sha256);
	match = evhttp_find_header(evhttp_request_get_input_headers(h->req),
	    "If-None-Match");
	if (match != NULL && (strstr(match, etag) != NULL ||
	    strcmp(match, "*") == 0)) {
		evhttp_add_header(out, "ETag", etag);
		evhttp_send_reply(h->req, 304, "Not Modified", NULL);
		free(path_out);
		return 1;
	}
	if ((fd = artifact_open(h, &a)) == -1) {
		free(path_out);
		return 1;
	}
	name = strrchr(a.path, '/') != NULL ? strrchr(a.path, '/') + 1 :
	    a.path;
	artifact_headers(h->req, name, artifact_type(name));
	evhttp_add_header(out, "ETag", etag);
	snprintf(length, sizeof length, "%lld", (long long)a.size);
	/* With its length set, evhttp sends it as it is, not in chunks. */
	evhttp_add_header(out, "Content-Length", length);
	free(path_out);
	if (h->method == EVHTTP_REQ_HEAD || a.size == 0) {
		close(fd);
		evhttp_send_reply(h->req, HTTP_OK, "OK", NULL);
		return 1;
	}
	s = xcalloc(1, sizeof *s);
	s->req = h->req;
	s->fd = fd;
	s->size = a.size;
	evhttp_send_reply_start(h->req, HTTP_OK, "OK");
	evhttp_connection_set_closecb(evhttp_request_get_connection(h->req),
	    artifact_send_closed, s);
	artifact_send_piece(s);
	return 1;
}

/* The client took what was waiting: read on. */
static void
artifact_tar_drained(struct evhttp_connection *evcon, void *arg)
{
	struct artifact_tar *t = arg;

	(void)evcon;
	if (t->paused && t->sp != NULL) {
		spawn_resume(t->sp);
		t->paused = 0;
	}
}

static void
artifact_tar_output(struct spawn *sp, const char *data, size_t len,
    void *arg)
{
	struct artifact_tar *t = arg;
	struct evbuffer *buf;

	if (t->req == NULL)
		return;
	buf = evbuffer_new();
	if (buf == NULL || evbuffer_add(buf, data, len) == -1)
		fatalx("libevent: out of memory");
	evhttp_send_reply_chunk_with_cb(t->req, buf, artifact_tar_drained, t);
	evbuffer_free(buf);
	if (!t->paused && http_conn_backlog(t->req) >= ARTIFACT_TAR_HIGH) {
		spawn_pause(sp);
		t->paused = 1;
	}
}

static void
artifact_tar_done(struct spawn *sp, int status, void *arg)
{
	struct artifact_tar *t = arg;
	struct evhttp_request *req = t->req;

	(void)sp;
	if (req != NULL && status == 0) {
		evhttp_connection_set_closecb(evhttp_request_get_connection(
		    req), NULL, NULL);
		evhttp_send_reply_end(req);
	} else if (req != NULL) {
		log_warnx("unable to send job %lld's artifacts as a tar: tar "
		    "ended with %d", (long long)t->job, status);
		artifact_cut(req);
	}
	free(t);
}

/* The client went away: the tar child goes too (its done frees t). */
static void
artifact_tar_closed(struct evhttp_connection *evcon, void *arg)
{
	struct artifact_tar *t = arg;

	(void)evcon;
	if (evhttp_request_get_connection(t->req) == NULL)
		evhttp_request_free(t->req);
	t->req = NULL;
	if (t->sp != NULL)
		spawn_kill(t->sp, SIGKILL);
}

/* Each row's path for tar's list, NUL-ended. */
static int
artifact_tar_list(const struct store_artifact *a, void *arg)
{
	if (artifact_path_valid(a->path))
		evbuffer_add(arg, a->path, strlen(a->path) + 1);
	return 0;
}

/*
 * The list of the job's files in an unnamed file (made and unlinked at
 * once, so that none is ever left), at offset 0: its descriptor, or -1
 * (said, unless the job has no files: then *empty is set).
 */
static int
artifact_tar_list_file(struct http_ctx *h, int64_t job, int *empty)
{
	struct evbuffer *list = evbuffer_new();
	char *tmp;
	int fd = -1, n;

	n = store_artifacts_of_job(h->d->store, job, artifact_tar_list, list);
	*empty = n == 0 || (n > 0 && evbuffer_get_length(list) == 0);
	if (n == -1 || *empty)
		goto out;
	xasprintf(&tmp, "%s/artifacts/.tar-list-XXXXXX", h->d->cfg.state_dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		log_warn("unable to make '%s'", tmp);
	else
		unlink(tmp);
	free(tmp);
	if (fd != -1 && (write_all(fd, evbuffer_pullup(list, -1),
	    evbuffer_get_length(list)) == -1 || lseek(fd, 0, SEEK_SET) != 0)) {
		log_warn("unable to write job %lld's list of artifacts",
		    (long long)job);
		close(fd);
		fd = -1;
	}
out:
	evbuffer_free(list);
	return fd;
}

/* GET /jobs/ID/artifacts.tar */
int
http_artifacts_tar(struct http_ctx *h)
{
	int64_t job = http_job_id(h->parts[1]);
	char *dir, name[64], input[64];
	struct spawn_opts opts;
	struct artifact_tar *t;
	int fd, empty;

	if (job <= 0)
		return 0;
	fd = artifact_tar_list_file(h, job, &empty);
	if (fd == -1) {
		if (!empty)
			http_error(h->req, HTTP_INTERNAL, "artifacts", "unable "
			    "to list the artifacts");
		return !empty;
	}
	snprintf(name, sizeof name, "job-%lld-artifacts.tar", (long long)job);
	artifact_headers(h->req, name, "application/x-tar");
	if (h->method == EVHTTP_REQ_HEAD) {
		close(fd);
		evhttp_send_reply(h->req, HTTP_OK, "OK", NULL);
		return 1;
	}
	t = xcalloc(1, sizeof *t);
	t->req = h->req;
	t->job = job;
	dir = artifact_job_dir(h->d->cfg.state_dir, job);
	/* The child opens the list through our descriptor, before exec. */
	snprintf(input, sizeof input, "/proc/self/fd/%d", fd);
	opts = (struct spawn_opts){
		.argv = (const char *const[]){ "tar", "-cf", "-",
		    "--numeric-owner", "--owner=0", "--group=0",
		    "--no-recursion", "--ignore-failed-read", "--null",
		    "--verbatim-files-from", "-C", dir, "-T", "-", NULL },
		.stdin_path = input,
		/* Its messages would corrupt the archive. */
		.stderr_path = "/dev/null",
		.on_output = artifact_tar_output,
		.on_done = artifact_tar_done,
		.arg = t,
		.free_arg = free,
	};
	t->sp = spawn_start(&opts);
	close(fd);
	free(dir);
	if (t->sp == NULL) {
		free(t);
		http_error(h->req, HTTP_INTERNAL, "artifacts", "unable to run "
		    "tar");
		return 1;
	}
	evhttp_send_reply_start(h->req, HTTP_OK, "OK");
	evhttp_connection_set_closecb(evhttp_request_get_connection(h->req),
	    artifact_tar_closed, t);
	return 1;
}

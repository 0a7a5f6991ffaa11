/* SPDX-License-Identifier: MIT */
/*
 * client_artifacts.c - "ssci artifacts JOB [-o DIR]": a job's artifacts
 * listed, or fetched into DIR one after the other, each written under a
 * temporary name, checked against its SHA-256 and only then renamed to
 * its path (never through a link), so that a fetch cut short leaves no
 * file that looks whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "conn.h"
#include "proto.h"
#include "tls.h"
#include "util.h"

struct client_fetch {
	struct conn *conn;
	json_t *list;		/* the job's artifacts, as listed */
	int64_t job;
	char *dir;
	size_t next;
	int fd, dirfd;
	char *tmp;
	int64_t left, bytes;
	struct tls_sha256 *sha;
	void (*done)(void *arg, int status);
	void *arg;
};

static const char *
item_str(const json_t *item, const char *key)
{
	const char *s = json_string_value(json_object_get(item, key));

	return s != NULL ? s : "";
}

static void fetch_next(struct client_fetch *f);

static void
fetch_end(struct client_fetch *f, int status)
{
	if (status == 0)
		printf("saved %zu artifact%s (%" PRId64 " bytes) in %s\n",
		    f->next, f->next == 1 ? "" : "s", f->bytes, f->dir);
	f->done(f->arg, status);
}

static void
fetch_fail(struct client_fetch *f, const char *path, const char *why)
{
	char hex[65];

	fprintf(stderr, "ssci: unable to fetch '%s': %s\n", path, why);
	if (f->fd != -1)
		close(f->fd);
	if (f->dirfd != -1) {
		unlinkat(f->dirfd, f->tmp, 0);
		close(f->dirfd);
	}
	f->fd = f->dirfd = -1;
	if (f->sha != NULL)
		tls_sha256_end(f->sha, hex);
	f->sha = NULL;
	fetch_end(f, 1);
}

/* Every byte came: checked, then in place with its mode. */
static void
fetch_done(struct client_fetch *f)
{
	const json_t *item = json_array_get(f->list, f->next);
	const char *path = item_str(item, "path");
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int mode = (int)json_integer_value(json_object_get(item, "mode"));
	char hex[65];

	tls_sha256_end(f->sha, hex);
	f->sha = NULL;
	if (strcmp(hex, item_str(item, "sha256")) != 0) {
		fetch_fail(f, path, "it came with another checksum");
		return;
	}
	if (fchmod(f->fd, (mode & 0111) ? 0755 : 0644) == -1) {
		fetch_fail(f, path, strerror(errno));
		return;
	}
	close(f->fd);
	f->fd = -1;
	if (renameat(f->dirfd, f->tmp, f->dirfd, base) == -1) {
		fetch_fail(f, path, strerror(errno));
		return;
	}
	close(f->dirfd);
	f->dirfd = -1;
	free(f->tmp);
	f->tmp = NULL;
	f->next++;
	fetch_next(f);
}

static void
fetch_reply(struct conn *c, struct proto_msg *reply, void *arg)
{
	struct client_fetch *f = arg;
	const json_t *item = json_array_get(f->list, f->next);
	const char *path = item_str(item, "path");

	(void)c;
	if (reply == NULL) {
		fetch_fail(f, path, "the connection was lost");
		return;
	}
	if (reply->type == PROTO_ERROR) {
		fetch_fail(f, path, reply->message ? reply->message : "refused");
		return;
	}
	f->fd = file_create_beneath(f->dir, path, &f->tmp, &f->dirfd);
	if (f->fd == -1) {
		fetch_fail(f, path, strerror(errno));
		return;
	}
	f->left = json_integer_value(json_object_get(item, "size"));
	f->sha = tls_sha256_new();
	if (f->left == 0)
		fetch_done(f);
}

static void
fetch_next(struct client_fetch *f)
{
	const json_t *item;

	if (f->next == json_array_size(f->list)) {
		fetch_end(f, 0);
		return;
	}
	item = json_array_get(f->list, f->next);
	/* Saved into a checkout, a .git path would be git's own files. */
	if (!artifact_path_valid(item_str(item, "path")) ||
	    strcmp(item_str(item, "path"), ".git") == 0 ||
	    strncmp(item_str(item, "path"), ".git/", 5) == 0) {
		fetch_fail(f, item_str(item, "path"), "not a path to write");
		return;
	}
	if (conn_request(f->conn, proto_encode_artifact_get(f->job,
	    item_str(item, "path"), NULL), fetch_reply, f) == -1)
		fetch_fail(f, item_str(item, "path"), "the connection was lost");
}

struct client_fetch *
client_fetch_start(struct conn *c, json_t *reply, const char *dir,
    void (*done)(void *arg, int status), void *arg)
{
	struct client_fetch *f = xcalloc(1, sizeof *f);

	f->conn = c;
	f->list = json_incref(json_object_get(reply, "artifacts"));
	f->job = json_integer_value(json_object_get(reply, "job"));
	f->dir = xstrdup(dir);
	f->fd = f->dirfd = -1;
	f->done = done;
	f->arg = arg;
	if (!json_is_array(f->list) || mkdir_p(dir) == -1) {
		if (json_is_array(f->list))
			fprintf(stderr, "ssci: unable to make '%s'\n", dir);
		f->list = f->list != NULL ? f->list : json_array();
		fetch_end(f, 1);
		return f;
	}
	fetch_next(f);
	return f;
}

void
client_fetch_frame(struct client_fetch *f, const char *data, size_t len)
{
	const char *path;

	if (f == NULL || f->fd == -1)
		return;
	path = item_str(json_array_get(f->list, f->next), "path");
	if ((int64_t)len > f->left) {
		fetch_fail(f, path, "more bytes came than its size");
		return;
	}
	tls_sha256_update(f->sha, data, len);
	if (write_all(f->fd, data, len) == -1) {
		fetch_fail(f, path, strerror(errno));
		return;
	}
	f->left -= (int64_t)len;
	f->bytes += (int64_t)len;
	if (f->left == 0)
		fetch_done(f);
}

void
client_fetch_free(struct client_fetch *f)
{
	char hex[65];

	if (f == NULL)
		return;
	if (f->fd != -1)
		close(f->fd);
	if (f->dirfd != -1) {
		unlinkat(f->dirfd, f->tmp, 0);
		close(f->dirfd);
	}
	if (f->sha != NULL)
		tls_sha256_end(f->sha, hex);
	free(f->tmp);
	free(f->dir);
	json_decref(f->list);
	free(f);
}

char *
client_request_artifacts(const struct client_args *a, int64_t offset)
{
	long id;

	(void)offset;
	if (parse_long(a->which, 1, INT32_MAX, &id) == -1)
		return NULL;
	return proto_encode_artifacts(id, NULL);
}

void
client_print_artifacts(json_t *reply, const struct client_args *a,
    int color)
{
	json_t *list = json_object_get(reply, "artifacts"), *item;
	size_t i;

	(void)a;
	(void)color;
	if (json_array_size(list) == 0) {
		printf("job %s has no artifacts\n", a->which);
		return;
	}
	json_array_foreach(list, i, item) {
		const char *path = item_str(item, "path");

		/* Checked: no control character reaches the terminal. */
		printf("%12" PRId64 "  %.12s  %s\n", (int64_t)json_integer_value(
		    json_object_get(item, "size")), item_str(item, "sha256"),
		    artifact_path_valid(path) ? path : "(a bad path)");
	}
}

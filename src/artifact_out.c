/* SPDX-License-Identifier: MIT */
/*
 * artifact_out.c - a job's artifacts sent to whoever asks on the protocol
 * port: a runner fetching the artifacts of the jobs its job needs, or
 * `ssci artifacts`.  The answer (ok with the size and checksum, or an
 * error) comes at once, in its place among the replies; the bytes follow
 * in artifact_data frames, read from the file only as the connection's
 * output drains, so memory stays at about one megabyte whatever the size.
 * One file at a time per connection: the asker waits for the last frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "artifact.h"
#include "dispatcher.h"
#include "proto.h"
#include "store.h"
#include "util.h"

/* Frames are added while the output holds less than this. */
#define OUT_HIGH (1024 * 1024)

struct artifact_out {
	int fd;
	int64_t job;
	int64_t left;
	char *name;		/* for messages: "job 3's 'a/b'" */
};

void
artifact_out_free(struct artifact_out *out)
{
	if (out == NULL)
		return;
	if (out->fd != -1)
		close(out->fd);
	free(out->name);
	free(out);
}

/* The file is sent, or cannot be: the connection goes back to lines. */
static void
artifact_out_done(struct peer *p)
{
	artifact_out_free(p->download);
	p->download = NULL;
	peer_io_write_low(&p->io, 0);
}

int
artifact_out_pump(struct peer *p)
{
	struct artifact_out *out = p->download;
	char *line, *data;
	size_t len, want;
	ssize_t n;

	if (out == NULL)
		return 0;
	data = xmalloc(PROTO_MAX_FRAME);
	while (out->left > 0 && peer_io_pending(&p->io) < OUT_HIGH) {
		want = out->left < PROTO_MAX_FRAME ? (size_t)out->left :
		    PROTO_MAX_FRAME;
		n = read(out->fd, data, want);
		if (n <= 0) {
			/* The asker counts bytes: without them it must go. */
			log_warnx("unable to read %s: %s", out->name, n == 0 ?
			    "it is shorter than its size" : strerror(errno));
			free(data);
			artifact_out_done(p);
			return -1;
		}
		line = proto_encode_artifact_data(out->job, (size_t)n, &len);
		peer_io_write(&p->io, line, len);
		peer_io_write(&p->io, data, (size_t)n);
		free(line);
		out->left -= n;
		/* The asker takes what is sent: it is not idle. */
		p->last_heard_ms = mono_ms();
	}
	free(data);
	if (out->left == 0)
		artifact_out_done(p);
	return 0;
}

char *
artifact_out_start(struct dispatcher *d, struct peer *p,
    const struct proto_msg *msg)
{
	struct store_artifact row;
	struct artifact_out *out;
	char *file, *reply, *owned = NULL;
	int found;

	if (p->download != NULL)
		return proto_encode_error("bad_state", "one artifact at a "
		    "time: the last one is still being sent", NULL);
	found = store_artifact_get(d->store, msg->job, msg->path, &row,
	    &owned);
	free(owned);	/* row.path is msg->path's; only size and sum count */
	if (found == -1)
		return proto_encode_error("store", "unable to read the "
		    "artifacts", NULL);
	if (found == 0)
		return proto_encode_errorf("no_such_artifact", "job %lld has "
		    "no artifact '%s'", (long long)msg->job, msg->path);
	out = xcalloc(1, sizeof *out);
	out->job = msg->job;
	out->left = row.size;
	xasprintf(&out->name, "job %lld's '%s'", (long long)msg->job,
	    msg->path);
	xasprintf(&file, "%s/artifacts/%lld/%s", d->cfg.state_dir,
	    (long long)msg->job, msg->path);
	out->fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (out->fd == -1) {
		log_warn("unable to open '%s'", file);
		free(file);
		artifact_out_free(out);
		return proto_encode_errorf("store", "unable to open job %lld's "
		    "artifact '%s'", (long long)msg->job, msg->path);
	}
	free(file);
	reply = proto_encode_ok_json(json_pack("{s:I, s:s, s:s, s:i}",
	    "size", (json_int_t)row.size, "sha256", row.sha256, "path",
	    msg->path, "mode", row.mode), NULL);
	/* The caller sends the ok, then pumps the frames as output drains. */
	p->download = out;
	if (out->left == 0)
		artifact_out_done(p);
	else
		peer_io_write_low(&p->io, OUT_HIGH / 2);
	return reply;
}

/* The artifacts of a job, for `ssci artifacts`. */
static int
artifact_out_row(const struct store_artifact *a, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:I, s:s, s:i, s:o}",
	    "path", a->path, "size", (json_int_t)a->size, "sha256", a->sha256,
	    "mode", a->mode, "expires", a->expires > 0 ?
	    json_integer(a->expires) : json_null()));
	return 0;
}

static int
artifact_out_input(const struct store_artifact *a, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I, s:s, s:I, s:s}", "job",
	    (json_int_t)a->job, "path", a->path, "size", (json_int_t)a->size,
	    "sha256", a->sha256));
	return 0;
}

char *
artifact_out_inputs(struct dispatcher *d, int64_t job)
{
	json_t *list = json_array();
	char *text = NULL;

	/* The store logs its own error; the job then runs without them. */
	if (store_artifacts_of_needs(d->store, job, artifact_out_input,
	    list) > 0 && (text = json_dumps(list, JSON_COMPACT)) == NULL)
		fatalx("%s: out of memory", __func__);
	/* The job message must fit a line: the job is told, and ends. */
	if (text != NULL && strlen(text) > ARTIFACT_MAX_INPUTS_TEXT) {
		free(text);
		xasprintf(&text, "{\"error\":\"the jobs it needs kept %zu "
		    "artifacts, too many to list in its job message\"}",
		    json_array_size(list));
	}
	json_decref(list);
	return text;
}

char *
artifact_out_list(struct dispatcher *d, const struct proto_msg *msg,
    const char *who)
{
	json_t *list = json_array();
	struct job job;
	int found;

	(void)who;
	if ((found = store_job_get(d->store, msg->job, &job)) != 1) {
		json_decref(list);
		return found == 0 ? proto_encode_errorf("no_such_job",
		    "no job %lld", (long long)msg->job) :
		    proto_encode_error("store", "unable to read the job", NULL);
	}
	job_release(&job);
	if (store_artifacts_of_job(d->store, msg->job, artifact_out_row,
	    list) == -1) {
		json_decref(list);
		return proto_encode_error("store", "unable to read the "
		    "artifacts", NULL);
	}
	return proto_encode_ok_json(json_pack("{s:I, s:o}", "job",
	    (json_int_t)msg->job, "artifacts", list), NULL);
}

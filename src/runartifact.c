/* SPDX-License-Identifier: MIT */
/*
 * runartifact.c - a job's artifacts on the runner (docs/ARTIFACTS.md):
 * after its test, passed or not, the files its plan names are found in
 * its tree (runartifact_find.c) and sent to the dispatcher, a file at a
 * time for the whole runner (the dispatcher takes one upload per
 * connection), in frames read from the file only while the connection is
 * not backed up; before its test, the artifacts of the jobs it needs are
 * fetched into its tree, each checked against its SHA-256 before it is
 * renamed into place.  Memory stays at a frame or two whatever the size.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "proto.h"
#include "runartifact.h"
#include "runjob_int.h"
#include "tls.h"
#include "util.h"

struct runartifact {
	/* Sending: the files found, the one being sent. */
	struct runartifact_file *files;
	size_t nfiles, next;
	int fd;
	int64_t left;
	struct tls_sha256 *sha;
	int waiting;		/* for the answer to the file's end */
	int failed;		/* the job ends as error: why says */
	char why[300];
	enum job_state state;
	int exit_code;
	int64_t started_ms, sent;	/* for the runner's log */
	/* Fetching: the inputs, the one coming. */
	json_t *inputs;
	size_t in_next;
	int in_fd;		/* the folder it goes to */
	int in_write;		/* the file, under in_tmp */
	int64_t in_left;
	int64_t in_started_ms, in_bytes;
	char *in_tmp, *in_dest;
	char in_sha[65];
	struct tls_sha256 *in_hash;
	int queued;		/* in waiting */
	int stalled;		/* the connection was lost: go on when back */
	TAILQ_ENTRY(runjob) entry;
};

/* Whose turn it is to use the connection for artifacts, and who waits. */
static struct runjob *turn;
static TAILQ_HEAD(, runjob) waiting = TAILQ_HEAD_INITIALIZER(waiting);

static void upload_next(struct runjob *j);
static void fetch_next(struct runjob *j);

static struct runartifact *
art_of(struct runjob *j)
{
	if (j->art == NULL) {
		j->art = xcalloc(1, sizeof *j->art);
		j->art->fd = j->art->in_fd = j->art->in_write = -1;
	}
	return j->art;
}

/* j waits for the connection, or has it now (1). */
static int
take_turn(struct runjob *j)
{
	if (turn == NULL || turn == j) {
		turn = j;
		return 1;
	}
	TAILQ_INSERT_TAIL(&waiting, j, art->entry);
	j->art->queued = 1;
	return 0;
}

/*
 * Bytes of a fetched file still to come for a job that is gone: dropped
 * as they come, and nobody asks for a file before they are all in (the
 * dispatcher sends one at a time per connection).
 */
static int64_t drain_left;
/* artifact_get asked and not answered yet (their files come after). */
static int pending_gets;

static void
wake_next(void)
{
	struct runjob *next;

	if (turn != NULL || drain_left > 0 || pending_gets > 0 ||
	    (next = TAILQ_FIRST(&waiting)) == NULL)
		return;
	TAILQ_REMOVE(&waiting, next, art->entry);
	next->art->queued = 0;
	turn = next;
	if (next->art->inputs != NULL &&
	    next->art->in_next < json_array_size(next->art->inputs))
		fetch_next(next);
	else
		upload_next(next);
}

static void
give_turn(struct runjob *j)
{
	if (turn != j)
		return;
	turn = NULL;
	wake_next();
}

/* Sending is over: the job goes on to its cache and result. */
static void
upload_done(struct runjob *j)
{
	struct runartifact *a = j->art;
	enum job_state state = a->failed ? JOB_ERROR : a->state;

	log_info("job %lld: artifacts sent, %lld bytes in %lld ms",
	    (long long)j->id, (long long)a->sent,
	    (long long)(mono_ms() - a->started_ms));
	give_turn(j);
	runjob_cache_finish(j, state, a->exit_code, a->failed ? a->why : NULL);
}

static void
file_close(struct runartifact *a)
{
	char hex[65];

	if (a->fd != -1)
		close(a->fd);
	a->fd = -1;
	if (a->sha != NULL)
		tls_sha256_end(a->sha, hex);
	a->sha = NULL;
}

/*
 * The connection was lost in the middle of a file: the dispatcher drops
 * what it had of it, so the file starts again, whole, once the runner is
 * registered again (runartifact_connection_back).  The job keeps the
 * turn meanwhile.
 */
static void
stall(struct runjob *j)
{
	struct runartifact *a = j->art;

	if (a->stalled)
		return;
	a->stalled = 1;
	a->waiting = 0;
	file_close(a);
	if (a->in_write != -1) {
		close(a->in_write);
		a->in_write = -1;
	}
	if (a->in_fd != -1) {
		if (a->in_tmp != NULL)
			unlinkat(a->in_fd, a->in_tmp, 0);
		close(a->in_fd);
		a->in_fd = -1;
	}
	free(a->in_tmp);
	a->in_tmp = NULL;
	if (a->in_hash != NULL) {
		char hex[65];

		tls_sha256_end(a->in_hash, hex);
		a->in_hash = NULL;
	}
	runjob_note(j, "the connection to the dispatcher was lost while "
	    "moving artifacts: going on once it is back");
}

/* Frames of the file while the connection takes them. */
static void
upload_pump(struct runjob *j)
{
	struct runartifact *a = j->art;
	struct runartifact_file *f = &a->files[a->next];
	char hex[65], *data;
	size_t want;
	ssize_t n;

	data = xmalloc(RUNARTIFACT_FRAME);
	while (a->left > 0 && !j->cfg->congested(j->cfg->arg)) {
		want = a->left < RUNARTIFACT_FRAME ? (size_t)a->left :
		    RUNARTIFACT_FRAME;
		n = read(a->fd, data, want);
		if (n <= 0) {
			runjob_note(j, "artifact '%s' could not be read whole: "
			    "%s", f->path, n == 0 ? "it shrank" :
			    strerror(errno));
			a->left = 0;	/* the dispatcher refuses it short */
			break;
		}
		tls_sha256_update(a->sha, data, (size_t)n);
		if (j->cfg->artifact_frame(j->cfg->arg, j, data,
		    (size_t)n) == -1) {
			free(data);
			stall(j);
			return;
		}
		a->left -= n;
		a->sent += n;
	}
	free(data);
	if (a->left > 0)
		return;		/* resumed when the output drains */
	tls_sha256_end(a->sha, hex);
	a->sha = NULL;
	close(a->fd);
	a->fd = -1;
	a->waiting = 1;
	j->cfg->artifact_end(j->cfg->arg, j, hex);
}

/* A file the plan named was not kept: the job cannot pass. */
static void
upload_refused(struct runjob *j, const char *path, const char *why)
{
	struct runartifact *a = j->art;

	runjob_note(j, "artifact '%s' not kept: %s", path, why);
	if (!a->failed) {
		a->failed = 1;
		snprintf(a->why, sizeof a->why, "artifact '%s' not kept: %s",
		    path, why);
	}
	a->next = a->nfiles;
	upload_done(j);
}

static void
upload_next(struct runjob *j)
{
	struct runartifact *a = j->art;
	struct runartifact_file *f;
	struct stat st;

	for (; a->next < a->nfiles; a->next++) {
		f = &a->files[a->next];
		/*
		 * Never blocking on a fifo swapped in since, and only the
		 * file that was found: what the job left running may have
		 * changed the tree meanwhile.
		 */
		a->fd = open(f->open_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK);
		if (a->fd != -1 && (fstat(a->fd, &st) == -1 ||
		    !S_ISREG(st.st_mode) || st.st_dev != f->dev ||
		    st.st_ino != f->ino)) {
			close(a->fd);
			a->fd = -1;
			errno = ESTALE;
		}
		if (a->fd == -1) {
			upload_refused(j, f->path, strerror(errno));
			return;
		}
		a->left = f->size;
		a->sha = tls_sha256_new();
		if (j->cfg->artifact_begin(j->cfg->arg, j, f->path, f->size,
		    f->mode) == -1) {
			stall(j);
			return;
		}
		upload_pump(j);
		return;
	}
	a->next = a->nfiles;
	upload_done(j);
}

void
runartifact_drained(struct runjob *j)
{
	struct runartifact *a = j->art;

	/* Fetching needs nothing here: the dispatcher paces its frames. */
	if (a != NULL && turn == j && a->fd != -1 && !a->waiting)
		upload_pump(j);
}

void
runartifact_ended(struct runjob *j, const char *code, const char *message)
{
	struct runartifact *a = j->art;
	struct runartifact_file *f;

	if (a == NULL || !a->waiting || a->next >= a->nfiles)
		return;
	f = &a->files[a->next];
	a->waiting = 0;
	if (code == NULL && message == NULL) {
		stall(j);
		return;
	}
	if (code != NULL) {
		upload_refused(j, f->path, message != NULL ? message : code);
		return;
	}
	runjob_note(j, "artifact '%s' kept (%" PRId64 " bytes)", f->path,
	    f->size);
	a->next++;
	upload_next(j);
}

void
runartifact_send(struct runjob *j, enum job_state state, int exit_code)
{
	struct runartifact *a;
	int64_t total = 0;

	if (j->keep.nartifacts == 0) {
		runjob_cache_finish(j, state, exit_code, NULL);
		return;
	}
	a = art_of(j);
	a->state = state;
	a->exit_code = exit_code;
	if (runartifact_find(j, &a->files, &a->nfiles) == -1) {
		runjob_cache_finish(j, state, exit_code, NULL);
		return;
	}
	for (size_t i = 0; i < a->nfiles; i++)
		total += a->files[i].size;
	if (j->max_artifact_bytes > 0 && total > j->max_artifact_bytes) {
		snprintf(a->why, sizeof a->why, "the artifacts hold %" PRId64
		    " bytes, more than --max-artifact-bytes (%" PRId64 ")",
		    total, j->max_artifact_bytes);
		runjob_note(j, "%s", a->why);
		runjob_cache_finish(j, JOB_ERROR, exit_code, a->why);
		return;
	}
	runjob_note(j, "sending %zu artifact%s, %" PRId64 " bytes", a->nfiles,
	    a->nfiles == 1 ? "" : "s", total);
	a->next = 0;
	a->started_ms = mono_ms();
	if (take_turn(j))
		upload_next(j);
}

/* One of the inputs as the dispatcher sent it, checked. */
static int
input_valid(const json_t *in)
{
	const char *path = json_string_value(json_object_get(in, "path"));
	const char *sha = json_string_value(json_object_get(in, "sha256"));
	const json_t *job = json_object_get(in, "job");
	const json_t *size = json_object_get(in, "size");

	return json_is_object(in) && path != NULL &&
	    artifact_path_valid(path) && strcmp(path, ".git") != 0 &&
	    strncmp(path, ".git/", 5) != 0 && sha != NULL &&
	    strlen(sha) == 64 && strspn(sha, "0123456789abcdef") == 64 &&
	    json_is_integer(job) && json_integer_value(job) > 0 &&
	    json_is_integer(size) && json_integer_value(size) >= 0;
}

static void
fetch_fail(struct runjob *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A needed artifact did not come: the job cannot run as its plan says. */
static void
fetch_fail(struct runjob *j, const char *fmt, ...)
{
	struct runartifact *a = j->art;
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (a->in_fd != -1)
		close(a->in_fd);
	a->in_fd = -1;
	free(a->in_tmp);
	free(a->in_dest);
	a->in_tmp = a->in_dest = NULL;
	give_turn(j);
	runjob_note(j, "%s", why);
	runjob_finish(j, JOB_ERROR, -1, why);
}

static void
fetch_next(struct runjob *j)
{
	struct runartifact *a = j->art;
	const json_t *in;

	if (a->in_next == json_array_size(a->inputs)) {
		if (a->in_next > 0) {
			runjob_note(j, "fetched %zu artifact%s of the jobs it "
			    "needs", a->in_next, a->in_next == 1 ? "" : "s");
			log_info("job %lld: artifacts fetched, %lld bytes in "
			    "%lld ms", (long long)j->id, (long long)a->in_bytes,
			    (long long)(mono_ms() - a->in_started_ms));
		}
		give_turn(j);
		runjob_cache_restore(j);
		return;
	}
	in = json_array_get(a->inputs, a->in_next);
	if (j->cfg->artifact_get(j->cfg->arg, j,
	    json_integer_value(json_object_get(in, "job")),
	    json_string_value(json_object_get(in, "path"))) == -1)
		stall(j);
	else
		pending_gets++;
}

void
runartifact_fetch(struct runjob *j)
{
	struct runartifact *a;
	json_t *inputs;

	if (j->inputs == NULL) {
		runjob_cache_restore(j);
		return;
	}
	a = art_of(j);
	inputs = json_loads(j->inputs, 0, NULL);
	if (json_is_string(json_object_get(inputs, "error"))) {
		char why[300];

		snprintf(why, sizeof why, "%s", json_string_value(
		    json_object_get(inputs, "error")));
		json_decref(inputs);
		fetch_fail(j, "%s", why);
		return;
	}
	for (size_t i = 0; json_is_array(inputs) &&
	    i < json_array_size(inputs); i++)
		if (!input_valid(json_array_get(inputs, i))) {
			json_decref(inputs);
			inputs = NULL;
			break;
		}
	if (!json_is_array(inputs)) {
		json_decref(inputs);
		fetch_fail(j, "the artifacts it needs are not listed as "
		    "they should be");
		return;
	}
	a->inputs = inputs;
	a->in_next = 0;
	a->in_started_ms = mono_ms();
	if (take_turn(j))
		fetch_next(j);
}

/* The whole file came: checked, then in place. */
static void
fetch_done(struct runjob *j)
{
	struct runartifact *a = j->art;
	const char *path = json_string_value(json_object_get(
	    json_array_get(a->inputs, a->in_next), "path"));
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char hex[65];

	tls_sha256_end(a->in_hash, hex);
	a->in_hash = NULL;
	if (strcmp(hex, a->in_sha) != 0) {
		unlinkat(a->in_fd, a->in_tmp, 0);
		fetch_fail(j, "artifact '%s' came with another checksum than "
		    "it was kept with", path);
		return;
	}
	if (renameat(a->in_fd, a->in_tmp, a->in_fd, base) == -1) {
		unlinkat(a->in_fd, a->in_tmp, 0);
		fetch_fail(j, "unable to put artifact '%s' in the tree: %s",
		    path, strerror(errno));
		return;
	}
	close(a->in_fd);
	a->in_fd = -1;
	free(a->in_tmp);
	a->in_tmp = NULL;
	a->in_next++;
	fetch_next(j);
}

void
runartifact_got(struct runjob *j, const char *code, const char *message,
    int64_t size, const char *sha256, int mode)
{
	struct runartifact *a = j->art;
	const json_t *in;
	const char *path;
	int fd;

	if (pending_gets > 0)
		pending_gets--;
	if (a == NULL || a->inputs == NULL ||
	    a->in_next >= json_array_size(a->inputs))
		return;
	in = json_array_get(a->inputs, a->in_next);
	path = json_string_value(json_object_get(in, "path"));
	if (code == NULL && message == NULL) {
		stall(j);
		return;
	}
	if (code != NULL) {
		fetch_fail(j, "unable to fetch artifact '%s' of job %lld: %s",
		    path, (long long)json_integer_value(json_object_get(in,
		    "job")), message != NULL ? message : code);
		return;
	}
	fd = file_create_beneath(j->tree, path, &a->in_tmp, &a->in_fd);
	if (fd == -1) {
		fetch_fail(j, "unable to make artifact '%s' in the tree: %s",
		    path, strerror(errno));
		return;
	}
	/* The file is written through fd; in_fd holds its folder. */
	if (fchmod(fd, (mode & 0111) ? 0755 : 0644) == -1) {
		close(fd);
		unlinkat(a->in_fd, a->in_tmp, 0);
		fetch_fail(j, "unable to make artifact '%s' in the tree: %s",
		    path, strerror(errno));
		return;
	}
	a->in_left = size;
	snprintf(a->in_sha, sizeof a->in_sha, "%s", sha256);
	a->in_hash = tls_sha256_new();
	a->in_write = fd;
	if (size == 0) {
		close(a->in_write);
		a->in_write = -1;
		fetch_done(j);
	}
}

void
runartifact_drain(int64_t bytes)
{
	if (pending_gets > 0)
		pending_gets--;
	drain_left += bytes;
	wake_next();
}

void
runartifact_frame(const char *data, size_t len)
{
	struct runjob *j = turn;
	struct runartifact *a = j != NULL ? j->art : NULL;

	if (drain_left > 0) {
		drain_left -= (int64_t)len < drain_left ? (int64_t)len :
		    drain_left;
		if (drain_left == 0)
			wake_next();
		return;
	}
	if (a == NULL || a->in_write == -1)
		return;
	if ((int64_t)len > a->in_left) {
		close(a->in_write);
		a->in_write = -1;
		unlinkat(a->in_fd, a->in_tmp, 0);
		fetch_fail(j, "artifact came longer than its size");
		return;
	}
	tls_sha256_update(a->in_hash, data, len);
	if (write_all(a->in_write, data, len) == -1) {
		close(a->in_write);
		a->in_write = -1;
		unlinkat(a->in_fd, a->in_tmp, 0);
		fetch_fail(j, "unable to write an artifact in the tree: %s",
		    strerror(errno));
		return;
	}
	a->in_left -= (int64_t)len;
	a->in_bytes += (int64_t)len;
	if (a->in_left == 0) {
		close(a->in_write);
		a->in_write = -1;
		fetch_done(j);
	}
}

int
runartifact_stop(struct runjob *j)
{
	struct runartifact *a = j->art;

	if (a == NULL || (turn != j && !a->queued))
		return 0;
	/* What the dispatcher still sends of the file is dropped. */
	if (turn == j && a->in_write != -1 && a->in_left > 0 && !a->stalled)
		drain_left += a->in_left;
	runartifact_free(j);
	return 1;
}

void
runartifact_connection_lost(void)
{
	/* Nothing more comes on that connection. */
	drain_left = 0;
	if (turn != NULL && turn->art != NULL &&
	    (turn->art->fd != -1 || turn->art->waiting ||
	    turn->art->in_write != -1 || turn->art->in_fd != -1))
		stall(turn);
}

void
runartifact_connection_back(void)
{
	struct runjob *j = turn;
	struct runartifact *a = j != NULL ? j->art : NULL;

	if (a == NULL || !a->stalled)
		return;
	a->stalled = 0;
	if (a->inputs != NULL && a->in_next < json_array_size(a->inputs))
		fetch_next(j);
	else
		upload_next(j);
}

void
runartifact_free(struct runjob *j)
{
	struct runartifact *a = j->art;
	char hex[65];

	if (a == NULL)
		return;
	if (turn == j)
		give_turn(j);
	else if (a->queued)
		TAILQ_REMOVE(&waiting, j, art->entry);
	file_close(a);
	if (a->in_write != -1)
		close(a->in_write);
	if (a->in_fd != -1) {
		if (a->in_tmp != NULL)
			unlinkat(a->in_fd, a->in_tmp, 0);
		close(a->in_fd);
	}
	if (a->in_hash != NULL)
		tls_sha256_end(a->in_hash, hex);
	free(a->in_tmp);
	free(a->in_dest);
	json_decref(a->inputs);
	runartifact_files_free(a->files, a->nfiles);
	free(a);
	j->art = NULL;
}

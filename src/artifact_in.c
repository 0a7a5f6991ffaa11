/* SPDX-License-Identifier: MIT */
/*
 * artifact_in.c - a runner's artifacts as they arrive (docs/ARTIFACTS.md):
 * each file written as its frames come under STATE/artifacts/.incoming,
 * its SHA-256 counted on the way, and only once the runner's checksum
 * matches and the file is synced is it renamed to
 * STATE/artifacts/<job>/<path> and listed in the store.  A file cut short
 * (the runner lost, the dispatcher killed) is never listed: a half file
 * never looks whole.  Memory per upload is one frame.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "artifact.h"
#include "dispatcher.h"
#include "plan.h"
#include "sched.h"
#include "store.h"
#include "tls.h"
#include "util.h"

/* Bytes written before their writeback is started. */
#define ARTIFACT_IN_FLUSH (8 * 1024 * 1024)

struct artifact_in {
	int64_t job;		/* the file's job, 0 when none is coming */
	int attempt;
	char *path;
	int64_t size, got;
	int mode;
	int fd;
	char *tmp;		/* its name while it comes */
	struct tls_sha256 *sha;
	char refused[200];	/* why it is not kept, or "" */
	int64_t expire_of;	/* the job expire_s is of */
	int64_t expire_s;	/* its plan's expire_in, 0: none */
};

/* How long a job's plan keeps its artifacts (0: as long as the job). */
static int64_t
artifact_in_expire(struct dispatcher *d, int64_t id)
{
	struct plan_spec spec;
	struct job job;
	int64_t expire = 0;

	if (store_job_get(d->store, id, &job) != 1)
		return 0;
	if (job.spec != NULL && plan_spec_decode(job.spec, &spec) == 0) {
		expire = spec.keep.expire_s;
		plan_spec_release(&spec);
	}
	job_release(&job);
	return expire;
}

/* What was written of the file coming: gone. */
static void
artifact_in_remove(struct artifact_in *in)
{
	if (in->fd != -1) {
		close(in->fd);
		in->fd = -1;
	}
	if (in->tmp != NULL) {
		unlink(in->tmp);
		free(in->tmp);
		in->tmp = NULL;
	}
}

static void
artifact_in_drop(struct artifact_in *in)
{
	char hex[65];

	artifact_in_remove(in);
	if (in->sha != NULL) {
		tls_sha256_end(in->sha, hex);
		in->sha = NULL;
	}
	free(in->path);
	in->path = NULL;
	in->job = 0;
}

void
artifact_in_clean(const char *state_dir)
{
	struct dirent *de;
	char *dir, *file;
	DIR *dp;

	xasprintf(&dir, "%s/artifacts/.incoming", state_dir);
	if ((dp = opendir(dir)) != NULL) {
		while ((de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			xasprintf(&file, "%s/%s", dir, de->d_name);
			if (unlink(file) == -1)
				log_warn("unable to remove '%s'", file);
			free(file);
		}
		closedir(dp);
	}
	free(dir);
}

void
artifact_in_free(struct artifact_in *in)
{
	if (in == NULL)
		return;
	artifact_in_drop(in);
	free(in);
}

/* Refuse the file coming: its frames are read and dropped. */
static int
artifact_in_refuse(struct artifact_in *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
artifact_in_refuse(struct artifact_in *in, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(in->refused, sizeof in->refused, fmt, ap);
	va_end(ap);
	artifact_in_remove(in);
	return 0;
}

int
artifact_in_begin(struct dispatcher *d, struct peer *p,
    const struct proto_msg *msg)
{
	struct artifact_in *in;
	struct sched_assignment *a;
	static unsigned long counter;
	char *dir;

	if (p->upload == NULL) {
		p->upload = xcalloc(1, sizeof *p->upload);
		p->upload->fd = -1;
	}
	in = p->upload;
	artifact_in_drop(in);
	in->job = msg->job;
	in->attempt = msg->attempt;
	in->path = xstrdup(msg->path);
	in->size = msg->size;
	in->got = 0;
	in->mode = (msg->mode & 0111) ? 0755 : 0644;
	in->refused[0] = '\0';
	in->sha = tls_sha256_new();
	a = sched_find(p->runner, msg->job);
	if (!sched_runs_it(a) || a->attempt != msg->attempt)
		return artifact_in_refuse(in, "job %lld (attempt %d) is not "
		    "held by '%s'", (long long)msg->job, msg->attempt,
		    p->runner->name);
	if (in->expire_of != msg->job) {
		in->expire_of = msg->job;
		in->expire_s = artifact_in_expire(d, msg->job);
	}
	/* Counted with the job's assignment, whatever the connection. */
	if (msg->size > d->cfg.max_artifact_bytes - a->artifact_bytes)
		return artifact_in_refuse(in, "the job's artifacts would hold "
		    "more than %" PRId64 " bytes (--max-artifact-bytes)",
		    d->cfg.max_artifact_bytes);
	xasprintf(&dir, "%s/artifacts/.incoming", d->cfg.state_dir);
	if (mkdir_p(dir) == -1) {
		log_warn("unable to make '%s'", dir);
		free(dir);
		return artifact_in_refuse(in, "unable to make a folder for it");
	}
	xasprintf(&in->tmp, "%s/%lld-%d-%lu", dir, (long long)msg->job,
	    msg->attempt, ++counter);
	free(dir);
	in->fd = open(in->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in->fd == -1) {
		log_warn("unable to open '%s'", in->tmp);
		return artifact_in_refuse(in, "unable to open a file for it");
	}
	return 0;
}

int
artifact_in_data(struct dispatcher *d, struct peer *p,
    const struct proto_msg *msg)
{
	struct artifact_in *in = p->upload;

	(void)d;
	if (in == NULL || in->job != msg->job || in->refused[0] != '\0')
		return 0;	/* dropped; the end says why */
	if ((int64_t)msg->data_len > in->size - in->got)
		return artifact_in_refuse(in, "'%s' sent more than its %" PRId64
		    " bytes", in->path, in->size);
	tls_sha256_update(in->sha, msg->data, msg->data_len);
	if (write_all(in->fd, msg->data, msg->data_len) == -1) {
		log_warn("unable to write '%s'", in->tmp);
		return artifact_in_refuse(in, "unable to write it: %s",
		    strerror(errno));
	}
	/*
	 * Start writing back each 8 MiB as it comes, so that the fsync
	 * before the file is listed has little left to wait for.
	 */
	if ((in->got + (int64_t)msg->data_len) / ARTIFACT_IN_FLUSH !=
	    in->got / ARTIFACT_IN_FLUSH)
		sync_file_range(in->fd, in->got / ARTIFACT_IN_FLUSH *
		    ARTIFACT_IN_FLUSH, ARTIFACT_IN_FLUSH, SYNC_FILE_RANGE_WRITE);
	in->got += (int64_t)msg->data_len;
	return 0;
}

/* The file is whole and checked: in place, then listed. */
static const char *
artifact_in_keep(struct dispatcher *d, struct artifact_in *in,
    const char *sha256)
{
	struct store_artifact row;
	char *dest;

	if (fchmod(in->fd, (mode_t)in->mode) == -1 || fsync(in->fd) == -1) {
		log_warn("unable to sync '%s'", in->tmp);
		return "unable to sync it";
	}
	xasprintf(&dest, "%s/artifacts/%lld/%s", d->cfg.state_dir,
	    (long long)in->job, in->path);
	if (mkdir_p_parent(dest) == -1 || rename(in->tmp, dest) == -1) {
		log_warn("unable to move '%s' to '%s'", in->tmp, dest);
		free(dest);
		return "unable to move it into place";
	}
	sync_parent_dir(dest);
	free(dest);
	free(in->tmp);
	in->tmp = NULL;
	memset(&row, 0, sizeof row);
	row.job = in->job;
	row.path = in->path;
	row.size = in->size;
	memcpy(row.sha256, sha256, 65);
	row.mode = in->mode;
	row.created = (int64_t)time(NULL);
	row.expires = in->expire_s > 0 ? row.created + in->expire_s : 0;
	if (store_artifact_add(d->store, &row) == -1)
		return "unable to list it in the store";
	return NULL;
}

const char *
artifact_in_end(struct dispatcher *d, struct peer *p,
    const struct proto_msg *msg, char *why, size_t whysize)
{
	struct artifact_in *in = p->upload;
	struct sched_assignment *a;
	const char *failed;
	char hex[65];

	if (in == NULL || in->job != msg->job) {
		snprintf(why, whysize, "no artifact of job %lld was coming",
		    (long long)msg->job);
		return "bad_state";
	}
	if (in->refused[0] == '\0' && in->got != in->size)
		artifact_in_refuse(in, "'%s' has %" PRId64 " of its %" PRId64
		    " bytes", in->path, in->got, in->size);
	tls_sha256_end(in->sha, hex);
	in->sha = NULL;
	if (in->refused[0] == '\0' && strcmp(hex, msg->sha256) != 0)
		artifact_in_refuse(in, "'%s' does not have the checksum the "
		    "runner counted", in->path);
	if (in->refused[0] == '\0' &&
	    (failed = artifact_in_keep(d, in, hex)) != NULL)
		artifact_in_refuse(in, "%s", failed);
	if (in->refused[0] != '\0') {
		snprintf(why, whysize, "%s", in->refused);
		log_warnx("job %lld: artifact refused: %s", (long long)in->job,
		    in->refused);
		artifact_in_drop(in);
		return strstr(why, "--max-artifact-bytes") != NULL ?
		    "too_big" : "refused";
	}
	if ((a = sched_find(p->runner, in->job)) != NULL)
		a->artifact_bytes += in->size;
	log_debug("job %lld: artifact '%s' kept, %" PRId64 " bytes",
	    (long long)in->job, in->path, in->size);
	artifact_in_drop(in);
	return NULL;
}

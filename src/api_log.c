/* SPDX-License-Identifier: MIT */
/*
 * api_log.c - a job's log as the API, the client and the pages read it
 * (api.h): a sharded job's is its shards', each under a header line,
 * put together for each read from the shards' sizes, with only the
 * asked window read from their files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dispatcher.h"
#include "util.h"

/* The most of each shard's log a sharded job's log holds. */
#define API_SHARD_LOG_MAX (16 * 1024 * 1024)

/* One shard's part: its header, then its log (and a newline it lacks). */
struct api_log_part {
	int64_t job;
	char *head;
	int64_t size;		/* of its log, at most API_SHARD_LOG_MAX */
	int newline;		/* its log does not end with one */
};

struct api_log_parts {
	struct dispatcher *d;
	int64_t of;
	struct api_log_part *parts;
	size_t n;
};

static int
api_log_part_add(const struct job *job, void *arg)
{
	struct api_log_parts *l = arg;
	struct api_log_part *p;
	char *data = NULL;
	size_t len = 0;
	int64_t size = 0;

	if (job->shard_of != l->of)
		return 0;
	l->parts = xrealloc(l->parts, (l->n + 1) * sizeof *l->parts);
	p = &l->parts[l->n++];
	p->job = job->id;
	xasprintf(&p->head, "=== %s: %s (job %lld) ===\n", job->name != NULL ?
	    job->name : "?", job_state_name(job->state), (long long)job->id);
	if (joblog_read(&l->d->logs, job->id, 0, 0, &data, &len, &size) == -1)
		size = 0;
	free(data);
	p->size = size < API_SHARD_LOG_MAX ? size : API_SHARD_LOG_MAX;
	p->newline = 0;
	/* Its last byte, so that the next header starts a line. */
	if (p->size > 0 && joblog_read(&l->d->logs, job->id, p->size - 1, 1,
	    &data, &len, &size) == 0) {
		p->newline = len == 1 && data[0] != '\n';
		free(data);
	}
	return 0;
}

/* Copy what of [from, from + n) of a part's piece at at falls in the window. */
static void
api_log_window(char *out, size_t *got, int64_t offset, size_t max, int64_t at,
    const char *piece, int64_t n)
{
	int64_t start = offset > at ? offset - at : 0;
	int64_t end = offset + (int64_t)max < at + n ? offset + (int64_t)max - at
	    : n;

	if (start < end) {
		memcpy(out + *got, piece + start, (size_t)(end - start));
		*got += (size_t)(end - start);
	}
}

int
api_log_read(struct dispatcher *d, const struct job *job, int64_t offset,
    size_t max, char **data, size_t *len, int64_t *size)
{
	struct api_log_parts l = { d, job->id, NULL, 0 };
	int64_t at = 0, total = 0;
	size_t got = 0;

	if (job->shards == 0)
		return joblog_read(&d->logs, job->id, offset, max, data, len,
		    size);
	store_pipeline_jobs(d->store, job->pipeline, api_log_part_add, &l);
	for (size_t i = 0; i < l.n; i++)
		total += (int64_t)strlen(l.parts[i].head) + l.parts[i].size +
		    l.parts[i].newline;
	if (offset < 0 || offset > total)
		offset = total;
	if ((int64_t)max > total - offset)
		max = (size_t)(total - offset);
	*data = xmalloc(max + 1);
	for (size_t i = 0; i < l.n && got < max; i++) {
		struct api_log_part *p = &l.parts[i];
		int64_t headlen = (int64_t)strlen(p->head);
		int64_t from = offset > at + headlen ? offset - at - headlen : 0;
		char *part = NULL;
		size_t partlen = 0;
		int64_t ignored;

		api_log_window(*data, &got, offset, max, at, p->head, headlen);
		at += headlen;
		/* Only the window's bytes of the shard's log are read. */
		if (from < p->size && offset + (int64_t)max > at &&
		    joblog_read(&d->logs, p->job, from, (size_t)(p->size - from <
		    (int64_t)(max - got) ? p->size - from : (int64_t)(max - got)),
		    &part, &partlen, &ignored) == 0) {
			memcpy(*data + got, part, partlen);
			got += partlen;
			free(part);
		}
		at += p->size;
		if (p->newline)
			api_log_window(*data, &got, offset, max, at, "\n", 1);
		at += p->newline;
	}
	(*data)[got] = '\0';
	*len = got;
	*size = total;
	for (size_t i = 0; i < l.n; i++)
		free(l.parts[i].head);
	free(l.parts);
	return 0;
}

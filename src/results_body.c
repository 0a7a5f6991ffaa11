/* SPDX-License-Identifier: MIT */
/*
 * results_body.c - what a results file holds (results.h).  A pipeline of
 * one job that was never planned keeps the seed's shape: the job's log,
 * then "result: passed exit_code=0 ... job=7".  A planned pipeline has
 * each job's log under a header line naming it, then one line for the
 * whole pipeline: "result: failed jobs=5 failed_jobs=build ...
 * pipeline=7".  A sharded job's header is followed by its shards', each
 * with its log; the line counts the job, not its shards.  Logs are copied by the kernel, never held whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "joblog.h"
#include "results.h"
#include "store.h"
#include "util.h"

/* Copy the whole of fd in to fd out with the kernel's help. */
static int
copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
		    errno != EOPNOTSUPP)
			return -1;
		break;
	}
	while ((n = read(in, buf, sizeof buf)) > 0) {
		if (write_all(out, buf, (size_t)n) == -1)
			return -1;
	}
	return n == 0 ? 0 : -1;
}

/*
 * Job id's log into out, ended by a newline so that what follows starts a
 * line: 0, or -1 (logged).  A job without a log (skipped) adds nothing.
 */
static int
results_copy_log(const struct joblogs *logs, int64_t id, int out,
    const char *outpath)
{
	char *path = joblog_read_path(logs, id), last;
	int in, rc = 0;

	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in != -1 && copy_fd(in, out) == -1) {
		log_warn("unable to copy '%s' to '%s'", path, outpath);
		rc = -1;
	}
	/* Output without a last newline must not swallow the next line. */
	if (rc == 0 && in != -1 && lseek(in, -1, SEEK_END) != -1 &&
	    read(in, &last, 1) == 1 && last != '\n' &&
	    write_all(out, "\n", 1) == -1)
		rc = -1;
	if (in != -1)
		close(in);
	free(path);
	return rc;
}

/*
 * "result: passed exit_code=0 tests_run=3 ... attempt=1 job=7\n"; replaces
 * names the commit's earlier result this file replaces (0: none).
 */
static int
results_job_line(const struct job *job, int64_t replaces, char *buf,
    size_t size)
{
	int n = snprintf(buf, size, "result: %s", job_state_name(job->state));

#define ADD(...) n += snprintf(buf + n, size - (size_t)n, __VA_ARGS__)
	if (job->exit_code != -1)
		ADD(" exit_code=%d", job->exit_code);
	if (job->tests.run != -1)
		ADD(" tests_run=%d", job->tests.run);
	if (job->tests.failed != -1)
		ADD(" tests_failed=%d", job->tests.failed);
	if (job->tests.skipped != -1)
		ADD(" tests_skipped=%d", job->tests.skipped);
	if (job->duration_ms != -1)
		ADD(" duration_ms=%lld", (long long)job->duration_ms);
	if (replaces > 0)
		ADD(" replaces=%lld", (long long)replaces);
	ADD(" runner=%s attempt=%d job=%lld\n",
	    job->runner ? job->runner : "-", job->attempt, (long long)job->id);
#undef ADD
	return n;
}

/* A planned pipeline's jobs as they are read, for its result line. */
struct results_sum {
	const struct joblogs *logs;
	int out;
	const char *outpath;
	int failed;		/* a copy failed */
	int jobs, passed;
	struct job_tests tests;
	int64_t first_start, last_end;
	char *failed_jobs, *skipped_jobs, *allowed;	/* NULL: none */
};

/* Add name to a comma-separated list (malloc'd, NULL while empty). */
static void
results_list_add(char **list, const char *name)
{
	char *longer;

	if (*list == NULL) {
		*list = xstrdup(name);
		return;
	}
	xasprintf(&longer, "%s,%s", *list, name);
	free(*list);
	*list = longer;
}

static int
results_sum_job(const struct job *job, void *arg)
{
	struct results_sum *sum = arg;
	const char *name = job->name ? job->name : "test";
	char *head;

	/* A sharded job heads its shards' logs, which follow it. */
	if (job->shards > 0)
		xasprintf(&head, "=== %s: %s (job %lld, %d shards) ===\n", name,
		    job_state_name(job->state), (long long)job->id,
		    job->shards);
	else
		xasprintf(&head, "=== %s: %s (job %lld) ===\n", name,
		    job_state_name(job->state), (long long)job->id);
	if (write_all(sum->out, head, strlen(head)) == -1 ||
	    (job->shards == 0 && results_copy_log(sum->logs, job->id, sum->out,
	    sum->outpath) == -1))
		sum->failed = 1;
	free(head);
	/* Its job counts for it. */
	if (job->shard_of > 0)
		return 0;
	sum->jobs++;
	if (job->state == JOB_PASSED)
		sum->passed++;
	else if (job->allow_failure)
		results_list_add(&sum->allowed, name);
	else if (job->state == JOB_SKIPPED)
		results_list_add(&sum->skipped_jobs, name);
	else
		results_list_add(&sum->failed_jobs, name);
	if (job->tests.run >= 0) {
		sum->tests.run += job->tests.run;
		sum->tests.failed += job->tests.failed > 0 ?
		    job->tests.failed : 0;
		sum->tests.skipped += job->tests.skipped > 0 ?
		    job->tests.skipped : 0;
	}
	if (job->started_ms > 0 && (sum->first_start == 0 ||
	    job->started_ms < sum->first_start))
		sum->first_start = job->started_ms;
	if (job->finished_ms > sum->last_end)
		sum->last_end = job->finished_ms;
	return 0;
}

/* The pipeline's result line (malloc'd). */
static char *
results_pipeline_line(const struct pipeline *p, const struct results_sum *sum,
    int64_t replaces)
{
	char *line;

	xasprintf(&line, "result: %s jobs=%d passed=%d",
	    job_state_name(p->state), sum->jobs, sum->passed);
	if (sum->failed_jobs != NULL)
		xappendf(&line, " failed_jobs=%s", sum->failed_jobs);
	if (sum->skipped_jobs != NULL)
		xappendf(&line, " skipped_jobs=%s", sum->skipped_jobs);
	if (sum->allowed != NULL)
		xappendf(&line, " allowed_failures=%s", sum->allowed);
	if (sum->tests.run > 0)
		xappendf(&line, " tests_run=%d tests_failed=%d "
		    "tests_skipped=%d", sum->tests.run, sum->tests.failed,
		    sum->tests.skipped);
	if (sum->first_start > 0 && sum->last_end >= sum->first_start)
		xappendf(&line, " duration_ms=%lld",
		    (long long)(sum->last_end - sum->first_start));
	if (replaces > 0)
		xappendf(&line, " replaces=%lld", (long long)replaces);
	xappendf(&line, " pipeline=%lld\n", (long long)p->id);
	return line;
}

int
results_body(struct store *store, const struct joblogs *logs,
    const struct pipeline *p, const struct job *own, int out,
    const char *outpath)
{
	struct results_sum sum;
	char *line = NULL;
	struct job job;
	int rc = -1;

	memset(&sum, 0, sizeof sum);
	if (p->plan == NULL) {
		if (own == NULL) {
			if (store_job_get(store, p->id, &job) != 1)
				return -1;
			own = &job;
		}
		line = xmalloc(1024);
		results_job_line(own, p->replaces, line, 1024);
		if (own == &job)
			job_release(&job);
		if (results_copy_log(logs, p->id, out, outpath) == -1)
			goto done;
	} else {
		sum.logs = logs;
		sum.out = out;
		sum.outpath = outpath;
		if (store_pipeline_jobs(store, p->id, results_sum_job,
		    &sum) == -1 || sum.failed)
			goto done;
		line = results_pipeline_line(p, &sum, p->replaces);
	}
	if (write_all(out, line, strlen(line)) == -1) {
		log_warn("unable to write '%s'", outpath);
		goto done;
	}
	rc = 0;
done:
	free(line);
	free(sum.failed_jobs);
	free(sum.skipped_jobs);
	free(sum.allowed);
	return rc;
}

size_t
results_tail(const struct pipeline *p, char *buf, size_t size)
{
	int n = snprintf(buf, size, " %s=%lld\n", p->plan == NULL ? "job" :
	    "pipeline", (long long)p->id);

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

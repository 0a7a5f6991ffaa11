/* SPDX-License-Identifier: MIT */
/*
 * runner.h - the runner's internals: runner.c keeps the connection and the
 * slots, runjob.c takes one job from checkout to result (knowing its
 * runner only through struct runjob_config), workdir.c keeps the work dir.
 */
#ifndef SSCI_RUNNER_H
#define SSCI_RUNNER_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "plan.h"
#include "proto.h"
#include "cgroup.h"
#include "cmd_client.h"
#include "lineguard.h"
#include "summary.h"

struct event_base;
struct event;
struct conn;
struct spawn;

#define RUNNER_KILL_GRACE_MS 5000
#define RUNNER_GIT_OUTPUT_MAX (64 * 1024)
/*
 * Output goes out in log lines of this many bytes of data, or as many as
 * fit once invalid UTF-8 is replaced (proto_encode_log_part), cut between
 * characters: a pipe's read of 64 KiB is two lines.  Not the whole 64 KiB
 * the protocol allows: the dispatcher allocates each line twice (as read,
 * and decoded), and glibc's free of a block of 64 KiB or more trims the
 * top of the heap (brk), which the next line grows again, its pages
 * faulted in anew; with lines below that the dispatcher's CPU for 101 MiB
 * of output was about a sixth lower.
 */
#define RUNNER_LOG_CHUNK (32 * 1024)
/*
 * A character cut by the end of a read is joined with the next read in a
 * buffer of this many bytes (and the carried ones), the read a slice at a
 * time if longer.
 */
#define RUNNER_LOG_JOIN (64 * 1024)

/*
 * What could not be sent while the dispatcher was away, in order: output
 * lines, and results, which stay until the dispatcher answers them.
 */
struct outbox {
	int64_t job;
	int attempt;		/* the job's, for registering again */
	char *line;
	int is_result;		/* sent until answered: a result or tests */
	int is_tests;
	int in_flight;
	int deferred;		/* refused for now: sent again by ev_retry */
	TAILQ_ENTRY(outbox) entry;
};

/* A result the dispatcher could not store yet is sent again this late. */
#define RUNNER_RETRY_MIN_MS 500
#define RUNNER_RETRY_MAX_MS 30000

/* Output kept for a dispatcher that is away; past this it is dropped. */
#define RUNNER_OUTBOX_LOG_MAX (16 * 1024 * 1024)

struct runjob;
struct runreport;

/*
 * What a job needs of its runner: the runner's settings (work_abs once
 * the work dir is made), and where what the job produces goes.
 */
/*
 * A runner's jobs add their worktrees one at a time: git's "worktree add"
 * reads every worktree of the clone, and one that another add has only
 * half made fails it ("failed to read .git/worktrees/X/commondir").
 */
struct mask;
struct runartifact;
struct runcache_op;
struct runjob_turns {
	TAILQ_HEAD(, runjob) waiting;
	int busy;
	void (*wake)(struct runjob *j);	/* its turn has come */
};

struct runjob_config {
	struct event_base *base;
	struct runjob_turns *worktree_turns;	/* the runner's */
	const char *clone;	/* the seed's way: one given clone, or NULL */
	const char *work_dir;	/* clones per repository when clone is NULL */
	char *work_abs;		/* work_dir made absolute, once made */
	const char *test_cmd;	/* or NULL */
	const char *token_file;	/* hidden from sandboxed tests */
	int sandbox;		/* run tests inside bubblewrap */
	int sandbox_net;	/* ... with the network */
	long long job_memory;	/* bytes, 0 for no limit */
	int job_pids;		/* 0 for no limit */
	int use_cgroups;	/* limits by control group, else what we can */
	int job_timeout_s;	/* overrides the dispatcher's if > 0 */
	const char *reports;	/* --reports: JUnit XML every job may write */
	const char *cache_dir;	/* --cache-dir, or NULL: WORK/caches */
	long long cache_max;	/* --cache-max in bytes; 0: no caching */
	int nslots;
	/* A chunk of output as a log line (taken over). */
	void (*output)(void *arg, int64_t job, char *line);
	/* Whether output must wait: the connection is backed up. */
	int (*congested)(void *arg);
	/* The test of slot runs as process group pgid; and has ended. */
	void (*test_started)(void *arg, int slot, pid_t pgid);
	void (*test_ended)(void *arg, int slot);
	/*
	 * The job is over, with its result line (taken over): free it.  A
	 * NULL result: it was given back (planned, to run elsewhere).
	 */
	void (*done)(void *arg, struct runjob *j, char *result);
	/* A tests message of job j (taken over), sent before its result. */
	void (*tests)(void *arg, struct runjob *j, char *line);
	/* Bytes of tests messages not acknowledged yet. */
	size_t (*tests_backlog)(void *arg);
	/*
	 * Job j's artifacts (runartifact.c): a file's start, a frame of it,
	 * its end (answered through runartifact_ended), a needed job's file
	 * asked for (answered through runartifact_got, its frames given to
	 * runartifact_frame).  -1 when not connected.
	 */
	int (*artifact_begin)(void *arg, struct runjob *j, const char *path,
	    int64_t size, int mode);
	int (*artifact_frame)(void *arg, struct runjob *j, const void *data,
	    size_t len);
	void (*artifact_end)(void *arg, struct runjob *j, const char *sha256);
	int (*artifact_get)(void *arg, struct runjob *j, int64_t job,
	    const char *path);
	/* Send the plan of job j (plan_encode's JSON, len bytes). */
	void (*plan)(void *arg, struct runjob *j, const char *text,
	    size_t len);
	void *arg;
};

struct runner {
	struct cmd_client client;	/* the loop and the connection */
	char *name;
	struct cmd_list label_args;	/* --label as given */
	char **labels;		/* the same, said when registering */
	size_t nlabels;
	struct runjob_config jobs;
	struct runjob_turns worktree_turns;
	char *own_dir;		/* holds runner.lock and tests/ (workdir.c) */
	int lock_fd;
	long up_pid;		/* the "ssci up" that started us, or 0 */
	struct runjob **slots;
	/*
	 * Jobs handed ahead (one a slot at most), in the order they came:
	 * each starts, and is accepted, when a slot frees.  Dropped when the
	 * connection is lost: the dispatcher gives them back to its queue.
	 */
	struct runjob **ahead;
	int nahead;
	int registered;
	int name_taken_said;	/* "trying again" was logged for this refusal */
	TAILQ_HEAD(outbox_list, outbox) outbox;	/* oldest first */
	int status;		/* exit status: 1 once refused */
	int unsent;		/* outbox entries not sent yet */
	size_t outbox_log_bytes;
	size_t outbox_tests_bytes;	/* tests messages not answered */
	int outbox_dropped;	/* output was dropped while away */
	struct event *ev_retry;	/* sends deferred results again */
	int retry_backoff_ms;
};

enum runjob_step {
	STEP_CLEAR,
	STEP_CLONE,
	STEP_HAVE_COMMIT,
	STEP_FETCH,
	STEP_FETCH_COMMIT,
	STEP_WORKTREE,
	STEP_CHECKOUT,
	STEP_CLEAN,
	STEP_PLAN,
	STEP_TEST,
};

struct runjob {
	const struct runjob_config *cfg;
	int slot;
	int64_t id;
	char *repo;
	char commit[65];
	char *branch;
	int timeout_s;
	int attempt;
	char *name;		/* in its pipeline, or NULL */
	char **run;		/* a planned job's commands, or none */
	size_t nrun;
	char **env;		/* and its environment */
	size_t nenv;
	char **reports;		/* its plan's report globs */
	size_t nreports;
	char **tests;		/* a shard's test ids, for $SSCI_TESTS_FILE */
	size_t ntests;
	char **params;		/* a manual run's "NAME=VALUE", checked */
	size_t nparams;
	char *params_error;	/* why its parameters were refused, or NULL */
	struct plan_keep keep;	/* its artifacts, cache, secrets' names */
	char **secrets;		/* "NAME=value" it was given */
	size_t nsecrets;
	char **secret_notes;	/* why some it asked for were not given */
	size_t nsecret_notes;
	struct mask *mask;	/* its secrets, taken out of its output */
	char *inputs;		/* its needs' artifacts (JSON), or NULL */
	int64_t max_artifact_bytes;	/* 0: no cap sent */
	struct runcache_op *cache_op;	/* restoring or saving, or NULL */
	struct runartifact *art;	/* its artifacts' transfers, or NULL */
	char cache_key[65];	/* its cache's, once restored; or "" */
	int cache_exit;		/* the test's exit status while saving */
	struct runreport *report;	/* its tests, read */
	int tests_partial;	/* its records are not all its tests */
	int plan;		/* look for .ssci.yml and send it */
	int planning;		/* sent it, waiting for the answer */
	char *repo_dir;		/* the clone */
	char *clone_tmp;	/* where a first clone is made, then renamed */
	char *tree;		/* where the commit is checked out */
	enum runjob_step step;
	int fetched;		/* a fetch of origin was done for this job */
	int fetched_by_id;	/* and a fetch of the commit by its id */
	int unlocked;		/* a stale index.lock was removed for it */
	struct spawn *child;
	struct summary_parser summary;
	struct line_guard guard;	/* the test's lines never pass for ours */
	int64_t started_ms;	/* monotonic */
	struct event *ev_timeout;
	struct event *ev_kill;
	enum job_state ending;	/* JOB_TIMEOUT or JOB_CANCELLED once asked to stop */
	int paused;
	char carry[4];		/* the start of a UTF-8 character cut by a read */
	size_t ncarry;
	char *join;		/* carry and a read's start (when needed) */
	struct cgroup_job cgroup;
	int has_cgroup;
	int recorded;		/* its test group is noted in the work dir */
	int default_cmd;	/* the test is the default (unittest) */
	int waiting;		/* for its turn to add its worktree */
	int has_turn;		/* adding its worktree */
	TAILQ_ENTRY(runjob) turn_entry;
};

/* runjob.c */
/* A job for slot, from the dispatcher's message; nothing runs yet. */
struct runjob *runjob_new(const struct runjob_config *cfg, int slot,
    const struct proto_msg *msg);
/*
 * Run it: its steps go on in the loop; cfg->done is called when it ends,
 * which may be at once.
 */
void runjob_run(struct runjob *j);
/* The dispatcher's answer to j's plan: ok (code NULL) or an error. */
void runjob_plan_answer(struct runjob *j, const char *code,
    const char *message);
/* The job again, now with what to run: it goes on. */
void runjob_planned(struct runjob *j, const struct proto_msg *msg);
/* Stop it (cancel from the dispatcher, or shutdown). */
void runjob_stop(struct runjob *j, enum job_state why);
/* The connection can take output again. */
void runjob_resume(struct runjob *j);
void runjob_free(struct runjob *j);

/* workdir.c */
/*
 * At start: with a clone (its git dir given), lock CLONE/.git/ssci-runner;
 * else lock the work dir if it exists already.  Groups of tests that an
 * earlier runner left there are ended.  0, or -1 (logged): another runner
 * works there, or the folder is unusable.
 */
int workdir_open(struct runner *r, const char *clone_gitdir);
/* Make (and lock) the work dir for a job that needs it: 0 or -1. */
int workdir_ensure(struct runner *r);
/* Note the test group of slot, for a runner started after us; and forget it. */
void workdir_record(struct runner *r, int slot, pid_t pgid);
void workdir_forget(struct runner *r, int slot);
void workdir_close(struct runner *r);

#endif

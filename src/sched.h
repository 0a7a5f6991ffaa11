/* SPDX-License-Identifier: MIT */
/*
 * sched.h - the queue and the runner pool, with no sockets.  The store is
 * the truth about jobs; the scheduler keeps only what lives with a
 * connected runner: which runner holds which job.  It talks to runners
 * through a small interface (struct sched_runner_ops: send a job, send a
 * cancel, answer a message), is told when one is lost, and tells its
 * watchers (the event stream, the metrics) what happened; so a test can
 * drive it with fake runners (tests/unit/test_sched.c).
 *
 * The rules: the queue is read in its order (docs/QUEUE.md: priority,
 * then repositories and branches in turn, FIFO within a branch, which the
 * store computes); the runnable job at its front (every job it needs has
 * passed) goes to the least busy runner with a free slot that has its
 * labels, and a job no runner can take does not hold up the jobs behind
 * it.  A runner that checks out a pipeline's first job sends the
 * plan it found (sched_plan.c); the plan's jobs join the queue where that
 * job was.  A lost runner's jobs go back
 * to the front of the queue, or end as error once they have had
 * max_attempts runners.  A runner that comes back still holding a job gets
 * it back if nobody else has it and it is still wanted; otherwise it is
 * told to stop it, and its result is refused.
 */
#ifndef SSCI_SCHED_H
#define SSCI_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "job.h"
#include "joblog.h"

struct plan_spec;
struct results;
struct store;

/* A job handed to a runner and not yet finished. */
struct sched_assignment {
	int64_t job;
	/*
	 * A job a reconnecting runner still holds that is no longer its own
	 * (queued again and given to another runner, or over): it takes a
	 * slot until the runner reports on it, and that report is refused.
	 */
	int foreign;
	char commit[65];
	int attempt;
	struct joblog log;
	/*
	 * Its result was refused for a passing reason (disk full): the
	 * runner sends it again later; the slot is free meanwhile.
	 */
	int result_pending;
	char *cancelled_by;	/* who asked to cancel it, or NULL */
	int fail_retries;	/* of its attempts, failure re-runs */
	/*
	 * A tests message could not be stored for now: the result waits
	 * (try_again) until it has been, so that no job is judged on part
	 * of its records.
	 */
	int tests_later;
	int64_t artifact_bytes;	/* of its artifacts kept (--max-artifact-bytes) */
	/*
	 * The runner said it has it (accepted, output, or holding it when it
	 * registered again).  A job whose runner fell silent before that
	 * never ran there, and goes back without counting an attempt.
	 */
	int accepted;
	/*
	 * Handed to a runner whose slots were all taken, to start when one
	 * frees (sched_runner_set_ahead, sched_pool.c): queued in the store
	 * until the runner says `accepted`, so a lost runner's job is simply
	 * handed out again.
	 */
	int ahead;
	struct sched_runner *runner;
	LIST_ENTRY(sched_assignment) entry;
};

struct sched_runner {
	char *name;
	const char *addr;	/* where it connected from (sched_register's) */
	char **labels;		/* what it said it offers (register) */
	size_t nlabels;
	int slots;
	int busy;		/* jobs held: slots taken, and more if ahead */
	/*
	 * How many jobs it takes ahead, to start as its slots free (0: none,
	 * an old runner), and whether it is given any now: only while its
	 * jobs are short (its last took SCHED_AHEAD_MAX_MS or less), where
	 * the round trip between two jobs is worth hiding.
	 */
	int ahead;
	int ahead_ok;
	LIST_HEAD(, sched_assignment) jobs;
	void *conn;		/* the connection, for sched_runner_ops */
	TAILQ_ENTRY(sched_runner) entry;	/* all runners */
	/* In the list of runners with a free slot, or of those with room
	 * ahead (in_free says which: SCHED_IN_FREE, SCHED_IN_AHEAD). */
	TAILQ_ENTRY(sched_runner) free_entry;
	int in_free;
	int silent;		/* lost for silence, not a closed connection */
};

TAILQ_HEAD(sched_runners, sched_runner);

#define SCHED_IN_FREE 1
#define SCHED_IN_AHEAD 2
/* A runner whose last job took longer is handed no job ahead. */
#define SCHED_AHEAD_MAX_MS 250
/* Queued jobs held ahead by runners at once, at most (sched_pool.c). */
#define SCHED_AHEAD_HELD_MAX 128

/* How the scheduler reaches a runner; conn is sched_register's. */
struct sched_runner_ops {
	/* spec: what to run, or NULL: the runner chooses, and plans. */
	void (*send_job)(void *conn, const struct job *job,
	    const struct plan_spec *spec, int attempt, int timeout_s);
	void (*send_cancel)(void *conn, int64_t job);
	/* Answer the runner's message: ok if code is NULL, else an error. */
	void (*answer)(void *conn, const char *code, const char *message);
	/*
	 * Whether the runner can take the job; NULL: every job.  Where a
	 * job's requirements will meet a runner's labels.
	 */
	int (*takes)(void *conn, const struct job *job);
};

/* Who watches the scheduler; any may be NULL.  arg is sched_new's. */
struct sched_watchers {
	/* Job id was "queued", "started" or "finished". */
	void (*job)(void *arg, int64_t job, const char *what);
	/* A runner "joined" or was "lost". */
	void (*runner)(void *arg, const char *what, const char *name);
	/* Output of a job at offset in its log. */
	void (*log)(void *arg, int64_t job, int64_t offset, const char *data,
	    size_t len);
	/* A runner reported how a job ended. */
	void (*result)(void *arg, enum job_state state, int64_t duration_ms);
};

/* --branch-priority: dispatches on branches matching glob get priority. */
#define SCHED_GLOB_MAX 255
struct sched_branch_priority {
	char glob[SCHED_GLOB_MAX + 1];
	int priority;		/* enum job_priority */
};

struct sched_config {
	int job_timeout_s;	/* given to runners with each job */
	int max_attempts;	/* runners a job may have before error */
	int local_repos;	/* paths and file:// may be dispatched */
	int retry_failed;	/* re-runs of a failed job (verdict.h) */
	/* --coalesce: branches whose pushes supersede queued ones. */
	const char *const *coalesce;
	size_t ncoalesce;
	/* First match wins; else pull requests (pr/N) low, others normal. */
	const struct sched_branch_priority *priorities;
	size_t npriorities;
	/* A coalescing push waits this long for the rest of its burst. */
	int64_t coalesce_wait_ms;
};

struct sched {
	struct sched_config cfg;
	struct store *store;
	struct results *results;
	const struct joblogs *logs;
	const struct sched_runner_ops *ops;
	const struct sched_watchers *watchers;
	void *arg;
	struct sched_runners runners;
	struct sched_runners free;	/* idle ones first */
	struct sched_runners ahead;	/* full, with room for a job ahead */
	int nrunners;
	int free_slots;
	int ahead_room;		/* jobs the runners in ahead may take */
	/* Queued jobs held ahead: the queue's reader passes them over. */
	struct sched_assignment *ahead_held[SCHED_AHEAD_HELD_MAX];
	int nahead_held;
	int64_t *orphans;	/* running jobs no runner held last look */
	size_t norphans;
	int64_t housekeeping;	/* calls of sched_housekeeping */
	int64_t held_until;	/* a push is held until then (ms), or 0 */
	char *refusal;		/* why new dispatches are refused, or NULL */
};

struct sched *sched_new(const struct sched_config *cfg, struct store *store,
    struct results *results, const struct joblogs *logs,
    const struct sched_runner_ops *ops, const struct sched_watchers *watchers,
    void *arg);
/* Forget every runner without touching the store (shutdown): the next
 * start queues their jobs again. */
void sched_free(struct sched *s);

/*
 * Whether a dispatch of repo must be refused (why says so): a URL git
 * would run a helper for, or a local path without local_repos.
 */
int sched_repo_refused(const struct sched *s, const char *repo, char *why,
    size_t size);
/*
 * Refuse every new dispatch and retry, saying why (the disk is nearly
 * full), or take them again (why NULL).  Jobs already taken go on.
 */
void sched_set_refusal(struct sched *s, const char *why);
/* A new configuration (a reload): for the jobs handed out from now on. */
void sched_set_config(struct sched *s, const struct sched_config *cfg);
/* Why dispatches are refused now, or NULL. */
const char *sched_refusal(const struct sched *s);
/*
 * Queue the job a request asks for (see store_dispatch) and hand out what
 * can be.  Unless the request sets its priority, its branch's applies
 * (sched_config's priorities); a push (trigger hook, observer, webhook or
 * api) on a branch that coalesces supersedes the branch's queued pushes
 * that have not started.  0, -1 on a store error, -2 if the repository's queue is full,
 * -3 while dispatches are refused (sched_refusal says why).
 */
int sched_queue_job(struct sched *s, const struct job_request *request,
    int64_t *id, enum job_state *state, int *existing);
/*
 * Cancel a job's pipeline for who ("a client at ADDR"): each queued job
 * ends now, each running one's runner is told to stop it; logs and
 * reasons say who.  *state is the job's state after that.  0; 1 if no
 * such job; 2 if the whole pipeline was over already (*state says how
 * the job ended).
 */
int sched_cancel_job(struct sched *s, int64_t id, const char *who,
    enum job_state *state);
/*
 * Queue a finished job's pipeline again (sched_retry_planned for a
 * planned one): 0 and *new_id, 1 no such job, 2 not over, -1, -2 full,
 * -3 refused (sched_refusal).
 */
int sched_retry_job(struct sched *s, int64_t id, int64_t *new_id);

/*
 * A runner registers: NULL if the name is taken by a connected runner.
 * Labels are copied; addr is kept, and must last as long as the runner
 * (the connection's own).  The caller answers, then calls
 * sched_runner_ready.
 */
struct sched_runner *sched_register(struct sched *s, void *conn,
    const char *name, const char *addr, int slots, char *const *labels,
    size_t nlabels);
/*
 * Its answer sent, a registered runner takes back the jobs it still holds
 * from before a reconnect (or is told to stop them), then gets work.
 */
void sched_runner_ready(struct sched *s, struct sched_runner *r,
    const int64_t *held, const int *attempts, size_t nheld);
/* Runner messages.  A result is answered through ops->answer. */
void sched_accepted(struct sched *s, struct sched_runner *r, int64_t job);
void sched_log(struct sched *s, struct sched_runner *r, int64_t job,
    const char *data, size_t len);
void sched_result(struct sched *s, struct sched_runner *r,
    const struct job_result *result);
/*
 * A runner's per-test records of job (records first.. of attempt), kept
 * if it holds that attempt; answered through ops->answer (sched_tests.c).
 */
void sched_tests(struct sched *s, struct sched_runner *r, int64_t job,
    int attempt, int64_t first, const struct test_record *recs, size_t n);
/*
 * The runner's connection is gone (why says how): its jobs go back to the
 * queue, or end; r is freed.
 */
void sched_runner_lost(struct sched *s, struct sched_runner *r,
    const char *why);

/* Hand queued jobs to free runner slots. */
void sched_run(struct sched *s);
/*
 * Often (the dispatcher's ticks): once a held coalescing push may go,
 * hand out what can be.
 */
void sched_tick(struct sched *s);
/*
 * Once a heartbeat: hand out what a failing store held back, and every
 * SCHED_ORPHAN_EVERY calls queue again the running jobs no runner holds.
 */
#define SCHED_ORPHAN_EVERY 5
void sched_housekeeping(struct sched *s);

/*
 * A runner sends the plan (plan_encode's JSON, len bytes) it read from
 * the .ssci.yml of job, the first of its pipeline: the plan's jobs are
 * queued and it goes on with one of them
 * (it is sent that job again, with what to run, before the answer), or
 * the job goes back to the queue for a runner with its labels (only the
 * answer), or the plan does not decode (an error answer: the runner ends
 * the job with that message).
 */
void sched_plan(struct sched *s, struct sched_runner *r, int64_t job,
    const char *text, size_t len);

/*
 * Retry the planned pipeline of job: a new pipeline of the same plan that
 * keeps the jobs that passed (their logs shared) and runs the others.
 * 0 and *new_id, -1 (logged), -2 if the repository's queue is full.
 */
int sched_retry_planned(struct sched *s, const struct job *job,
    const struct pipeline *pipeline, int64_t *new_id);

/* sched_shard.c */
struct plan;
/*
 * Split plan's jobs that say `shards` (docs/PIPELINES.md) for job, the
 * planning job (its repository and branch), planned on planner (NULL: a
 * retry): each keeps its place as the job its shards make up
 * (shard_total), its shards added after the plan's jobs; a job with
 * fewer than two tests or shards stays whole.  notes gets a line per job
 * for the log.  0, or -1 with err saying why (a shard's ids too big).
 */
int sched_shard_plan(struct sched *s, const struct sched_runner *planner,
    const struct job *job, struct plan *plan, char *notes, size_t size,
    char *err, size_t errsize);

/* Whether runner r has every label of labels (words, may be NULL). */
int sched_runner_takes(const struct sched_runner *r, const char *labels);

/* Whether r holds a job (its own, or one it still reports on). */
int sched_runner_holds(const struct sched_runner *r);

/* The connection (sched_register's conn) of the runner named name, or NULL. */
void *sched_runner_conn_named(struct sched *s, const char *name);

/* r is about to be lost because it fell silent (sched_runner_lost). */
void sched_runner_went_silent(struct sched_runner *r);

/*
 * r takes up to n jobs ahead (it said so when registering): it is handed
 * one while its slots are all busy, and starts it, saying `accepted`,
 * when a slot frees.  Only while its jobs are short (SCHED_AHEAD_MAX_MS).
 */
void sched_runner_set_ahead(struct sched *s, struct sched_runner *r, int n);

/* Shared by sched.c, sched_jobs.c and sched_plan.c. */
/* Take an assignment off its runner (its slot is free) and free it. */
void sched_unassign(struct sched *s, struct sched_assignment *a);
/* Send job to r, with what to run if it is planned. */
void sched_send_job(struct sched *s, struct sched_runner *r,
    const struct job *job, int attempt);
/* The assignment of job to r, or NULL. */
struct sched_assignment *sched_find(const struct sched_runner *r,
    int64_t job);
/* The assignment of job to whichever runner holds it as its own, or NULL. */
struct sched_assignment *sched_holder(const struct sched *s, int64_t job);
/* Tell the watchers that job was "queued", "started" or "finished". */
void sched_watch_job(struct sched *s, int64_t job, const char *what);

/* Queued job id ended: a runner that holds it ahead is told to drop it. */
void sched_ahead_drop(struct sched *s, int64_t id);

/* sched_pool.c: the runner pool, and queued jobs held ahead by runners. */
/* r joins the pool (its slots free), or leaves it. */
void sched_pool_join(struct sched *s, struct sched_runner *r);
void sched_pool_leave(struct sched *s, struct sched_runner *r);
/* r holds delta more jobs (or fewer); ahead_ok: it is handed jobs ahead. */
void sched_pool_busy(struct sched *s, struct sched_runner *r, int delta,
    int ahead_ok);
/* r's last job took duration_ms: jobs ahead for it only if that is short. */
void sched_pool_timed(struct sched *s, struct sched_runner *r,
    int64_t duration_ms);
/* The runner for job: one with a free slot (idle first), else one that
 * takes it ahead; NULL if none. */
struct sched_runner *sched_pool_pick(struct sched *s, const struct job *job);
/* The assignment holding queued job id ahead, or NULL. */
struct sched_assignment *sched_ahead_held(const struct sched *s, int64_t id);
/* Jobs runners may be handed ahead now (ahead_room, within the bound). */
int sched_ahead_room(const struct sched *s);
void sched_ahead_remember(struct sched *s, struct sched_assignment *a);
void sched_ahead_forget(struct sched *s, int64_t id);
/* The runner with a free slot for job (idle first), or NULL. */
struct sched_runner *sched_pool_pick_free(struct sched *s,
    const struct job *job);
/* Whether r runs fewer jobs than its slots (jobs ahead not counted). */
int sched_pool_has_free_slot(const struct sched_runner *r);
/* Whether a was handed ahead and its runner has not started it yet. */
int sched_waits_ahead(const struct sched_assignment *a);
/*
 * Whether a is the runner's to report on: not foreign, and started if it
 * was handed ahead (its runner says `accepted` before anything else).
 */
int sched_runs_it(const struct sched_assignment *a);

#endif

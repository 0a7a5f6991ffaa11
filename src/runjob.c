/* SPDX-License-Identifier: MIT */
/*
 * runjob.c - one job on a runner, as a chain of child processes: clone the
 * repository if this runner has no clone of it yet, make sure the commit is
 * there (fetching if not), check it out clean, send the tree's plan if
 * asked to, then run the test step (runjob_test.c) with its output
 * streamed to the dispatcher (runjob_out.c), and report the result.
 * Every step is an argument vector; no shell ever sees a commit id, branch
 * or URL.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "lineguard.h"
#include "params.h"
#include "mask.h"
#include "runartifact.h"
#include "runjob_int.h"
#include "plan.h"
#include "runplan.h"
#include "spawn.h"
#include "util.h"

static void runjob_step(struct runjob *j, enum runjob_step step);

/* A job whose turn has come adds its worktree (struct runjob_turns). */
static void
runjob_wake(struct runjob *j)
{
	runjob_step(j, STEP_WORKTREE);
}

/* Whether the slot's tree is there: the clone itself, or a worktree. */
static int
runjob_has_tree(struct runjob *j)
{
	char *dotgit;
	int has;

	if (strcmp(j->tree, j->repo_dir) == 0)
		return 1;
	xasprintf(&dotgit, "%s/.git", j->tree);
	has = access(dotgit, F_OK) == 0;
	free(dotgit);
	return has;
}

/*
 * The git dir of the slot's tree: TREE/.git itself, or for a worktree the
 * "gitdir: PATH" its .git file names (written by our git; read without
 * following a link or waiting on a FIFO a test may have put there).
 */
static char *
runjob_gitdir(struct runjob *j)
{
	char *dotgit, *dir = NULL, line[4096];
	struct stat st;
	ssize_t n;
	int fd;

	xasprintf(&dotgit, "%s/.git", j->tree);
	if (lstat(dotgit, &st) == 0 && S_ISDIR(st.st_mode))
		return dotgit;
	fd = open(dotgit, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(dotgit);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (n = read(fd, line, sizeof line - 1)) > 0) {
		line[n] = '\0';
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "gitdir: ", 8) == 0 && line[8] != '\0')
			xasprintf(&dir, "%s%s%s",
			    line[8] == '/' ? "" : j->tree,
			    line[8] == '/' ? "" : "/", line + 8);
	}
	close(fd);
	return dir;
}

/*
 * The slot's tree's index.lock and HEAD.lock, which only a git of this
 * slot makes: one there when a checkout failed was left by a git still
 * running, or killed, when its runner was killed (a runner started again
 * works in the same trees).  Removed, said in the log; 0 if there was one.
 */
static int
runjob_unlock(struct runjob *j)
{
	static const char *const locks[] = { "index.lock", "HEAD.lock" };
	char *dir, *lock;
	int removed = 0;

	j->unlocked = 1;
	if ((dir = runjob_gitdir(j)) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof locks / sizeof locks[0]; i++) {
		xasprintf(&lock, "%s/%s", dir, locks[i]);
		if (unlink(lock) == 0) {
			runjob_note(j, "removed '%s', left by a git that ended "
			    "with its runner", lock);
			removed = 1;
		}
		free(lock);
	}
	free(dir);
	return removed ? 0 : -1;
}

static void
runjob_rm_done(int status, const char *out, size_t len, void *arg)
{
	(void)status;
	(void)out;
	(void)len;
	(void)arg;
}

/*
 * The first clone of a repository was made aside and is now moved into
 * place; if another slot's clone got there first, ours is thrown away.
 */
static void
runjob_clone_done(struct runjob *j)
{
	if (rename(j->clone_tmp, j->repo_dir) == 0)
		return;
	spawn_capture((const char *const[]){ "rm", "-rf", "--", j->clone_tmp,
	    NULL }, NULL, 0, runjob_rm_done, NULL);
}

static void
runjob_git_done(int status, const char *out, size_t len, void *arg)
{
	struct runjob *j = arg;

	(void)len;
	j->child = NULL;
	runjob_turn_over(j);
	if (j->ending != JOB_RUNNING) {
		runjob_finish(j, j->ending, -1, j->ending == JOB_TIMEOUT ?
		    "job timeout" : "cancelled");
		return;
	}
	switch (j->step) {
	case STEP_CLEAR:
		if (status != 0)
			return runjob_fail(j, "rm -rf", status, out);
		runjob_step(j, STEP_CLONE);
		break;
	case STEP_CLONE:
		if (status != 0)
			return runjob_fail(j, "git clone", status, out);
		runjob_clone_done(j);
		runjob_step(j, STEP_HAVE_COMMIT);
		break;
	case STEP_HAVE_COMMIT:
		/* Missing after a fetch: the commit is on no branch; ask by id. */
		runjob_step(j, status == 0 ? STEP_WORKTREE : j->fetched ?
		    STEP_FETCH_COMMIT : STEP_FETCH);
		break;
	case STEP_FETCH:
		/*
		 * Another slot fetching at the same time may hold a lock: say
		 * so and go on; checkout tells whether the commit came.
		 */
		if (status != 0)
			runjob_log(j, out, strlen(out));
		j->fetched = 1;
		/* A tree to check out in: checkout says whether the commit
		 * came, with one git run less than asking first. */
		runjob_step(j, runjob_has_tree(j) ? STEP_CHECKOUT :
		    STEP_HAVE_COMMIT);
		break;
	case STEP_FETCH_COMMIT:
		/* Fetching by id fails harmlessly if the fetch brought it. */
		j->fetched_by_id = 1;
		runjob_step(j, STEP_WORKTREE);
		break;
	case STEP_WORKTREE:
		if (status != 0)
			return runjob_fail(j, "git worktree add", status, out);
		runjob_step(j, STEP_CHECKOUT);
		break;
	case STEP_CHECKOUT:
		/*
		 * Tried before a fetch: the commit may be new.  The branches
		 * are fetched, not the commit by its id: that leaves the
		 * clone's branches where they were, and each later fetch then
		 * brings everything since (measured: no faster a job).
		 */
		if (status != 0 && !j->fetched) {
			runjob_step(j, STEP_FETCH);
			break;
		}
		/* Still missing after the fetch: the commit is on no branch. */
		if (status != 0 && !j->fetched_by_id) {
			runjob_step(j, STEP_FETCH_COMMIT);
			break;
		}
		if (status != 0 && !j->unlocked && runjob_unlock(j) == 0) {
			runjob_step(j, STEP_CHECKOUT);
			break;
		}
		if (status != 0)
			return runjob_fail(j, "git checkout", status, out);
		runjob_step(j, STEP_CLEAN);
		break;
	case STEP_CLEAN:
		if (status != 0)
			return runjob_fail(j, "git clean", status, out);
		runjob_step(j, j->plan ? STEP_PLAN : STEP_TEST);
		break;
	default:
		fatalx("job %lld: git finished in step %d", (long long)j->id,
		    j->step);
	}
}

/* Run a git command (or rm) in dir as the current step. */
static void
runjob_git(struct runjob *j, const char *dir, const char *const *argv)
{
	j->child = spawn_capture(argv, dir, RUNNER_GIT_OUTPUT_MAX,
	    runjob_git_done, j);
	if (j->child == NULL)
		runjob_fail(j, strcmp(argv[0], "git") == 0 ? argv[1] : argv[0],
		    -1, NULL);
}

/*
 * Read the tree's plan, if it has one, and send it; else test as without
 * pipelines.  The file is parsed here, on the runner: the dispatcher
 * never reads a repository's YAML, only the plan made of it.
 */
/* The plan, its lists run: sent to the dispatcher. */
static void
runjob_plan_send(struct runjob *j, struct plan *plan)
{
	char err[600], *json;

	json = plan_encode(plan);
	plan_release(plan);
	free(plan);
	if (strlen(json) > PLAN_MAX_ENCODED) {
		snprintf(err, sizeof err, "%s: the plan takes %zu bytes once "
		    "expanded and listed, more than %d", PLAN_FILE, strlen(json),
		    PLAN_MAX_ENCODED);
		free(json);
		runjob_note(j, "%s", err);
		runjob_finish(j, JOB_ERROR, -1, err);
		return;
	}
	j->planning = 1;
	j->cfg->plan(j->cfg->arg, j, json, strlen(json));
	free(json);
}

static void
runjob_plan(struct runjob *j)
{
	char err[600], *text;
	struct plan *plan;
	size_t len;

	switch (runplan_read(j->tree, &text, &len, err, sizeof err)) {
	case 0:
		runjob_step(j, STEP_TEST);
		return;
	case -1:
		runjob_note(j, "%s", err);
		runjob_finish(j, JOB_ERROR, -1, err);
		return;
	}
	plan = xmalloc(sizeof *plan);
	if (plan_parse(text, len, plan, err, sizeof err) == -1) {
		free(text);
		free(plan);
		runjob_note(j, "%s", err);
		runjob_finish(j, JOB_ERROR, -1, err);
		return;
	}
	free(text);
	runlist_start(j, plan, runjob_plan_send);
}

static void
runjob_step(struct runjob *j, enum runjob_step step)
{
	char spec[80];

	j->step = step;
	snprintf(spec, sizeof spec, "%s^{commit}", j->commit);
	switch (step) {
	case STEP_CLEAR:
		/* A runner killed while cloning left its clone half made. */
		if (access(j->clone_tmp, F_OK) == -1) {
			runjob_step(j, STEP_CLONE);
			break;
		}
		runjob_note(j, "removing '%s', a clone left unfinished",
		    j->clone_tmp);
		runjob_git(j, NULL, (const char *const[]){ "rm", "-rf", "--",
		    j->clone_tmp, NULL });
		break;
	case STEP_CLONE:
		runjob_git(j, NULL, (const char *const[]){ "git", "clone",
		    "--quiet", "--no-checkout", "--", j->repo, j->clone_tmp,
		    NULL });
		break;
	case STEP_WORKTREE:
		if (runjob_has_tree(j)) {
			runjob_step(j, STEP_CHECKOUT);
			break;
		}
		if (j->cfg->worktree_turns->busy) {
			TAILQ_INSERT_TAIL(&j->cfg->worktree_turns->waiting, j,
			    turn_entry);
			j->waiting = 1;
			break;
		}
		j->cfg->worktree_turns->busy = 1;
		j->has_turn = 1;
		runjob_git(j, j->repo_dir, (const char *const[]){ "git",
		    "worktree", "add", "--quiet", "--force", "--detach",
		    "--no-checkout", "--", j->tree, j->commit, NULL });
		break;
	case STEP_HAVE_COMMIT:
		runjob_git(j, j->repo_dir, (const char *const[]){ "git",
		    "cat-file", "-e", spec, NULL });
		break;
	case STEP_FETCH:
		/* No automatic gc or maintenance in the middle of a job. */
		runjob_git(j, j->repo_dir, (const char *const[]){ "git",
		    "-c", "gc.auto=0", "-c", "maintenance.auto=false", "fetch",
		    "--quiet", "origin", NULL });
		break;
	case STEP_FETCH_COMMIT:
		runjob_git(j, j->repo_dir, (const char *const[]){ "git",
		    "-c", "gc.auto=0", "-c", "maintenance.auto=false", "fetch",
		    "--quiet", "--no-tags", "--no-write-fetch-head", "origin",
		    j->commit, NULL });
		break;
	case STEP_CHECKOUT:
		runjob_git(j, j->tree, (const char *const[]){ "git",
		    "checkout", "--quiet", "--force", "--detach", j->commit,
		    NULL });
		break;
	case STEP_CLEAN:
		/* An emptied reports folder is kept, not made anew each job. */
		runjob_git(j, j->tree, runreport_empty_dir(j->tree) ?
		    (const char *const[]){ "git", "clean", "-ffdxq", "-e",
		    "/" RUNREPORT_DIR, NULL } : (const char *const[]){ "git",
		    "clean", "-ffdxq", NULL });
		break;
	case STEP_PLAN:
		runjob_plan(j);
		break;
	case STEP_TEST:
		runartifact_fetch(j);
		break;
	}
}

/* A folder name for a repository URL: its last part and a hash of it. */
static char *
runjob_repo_slug(const char *url)
{
	const char *base = url + strlen(url);
	uint64_t h = 1469598103934665603ULL;
	char part[48];
	size_t n = 0;
	char *slug;

	for (const char *p = url; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	while (base > url && base[-1] == '/')
		base--;
	while (base > url && base[-1] != '/' && base[-1] != ':')
		base--;
	for (; *base != '\0' && *base != '/' && n < sizeof part - 1; base++)
		part[n++] = (strchr("-_.", *base) || (*base >= 'a' &&
		    *base <= 'z') || (*base >= 'A' && *base <= 'Z') ||
		    (*base >= '0' && *base <= '9')) ? *base : '_';
	part[n] = '\0';
	xasprintf(&slug, "%s-%016llx", n > 0 && part[0] != '.' ? part : "repo",
	    (unsigned long long)h);
	return slug;
}

static void
runjob_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	runjob_stop(arg, JOB_TIMEOUT);
}

static void
runjob_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runjob *j = arg;

	(void)fd;
	(void)what;
	if (j->child != NULL)
		spawn_kill(j->child, SIGKILL);
}

static void
runjob_drop_spec(struct runjob *j)
{
	strv_free(j->run, j->nrun);
	strv_free(j->env, j->nenv);
	strv_free(j->reports, j->nreports);
	strv_free(j->tests, j->ntests);
	free(j->name);
	plan_keep_release(&j->keep);
	for (size_t i = 0; i < j->nsecrets; i++)
		explicit_bzero(j->secrets[i], strlen(j->secrets[i]));
	strv_free(j->secrets, j->nsecrets);
	strv_free(j->secret_notes, j->nsecret_notes);
	free(j->inputs);
	j->secrets = j->secret_notes = NULL;
	j->nsecrets = j->nsecret_notes = 0;
	j->inputs = NULL;
	j->run = j->env = j->reports = j->tests = NULL;
	j->name = NULL;
	j->nrun = j->nenv = j->nreports = j->ntests = 0;
}

/* What to run, from a job message that says (a planned job). */
static void
runjob_take_spec(struct runjob *j, const struct proto_msg *msg)
{
	runjob_drop_spec(j);
	if (msg->name != NULL)
		j->name = xstrdup(msg->name);
	j->run = xcalloc(msg->nrun + 1, sizeof *j->run);
	for (size_t i = 0; i < msg->nrun; i++)
		j->run[j->nrun++] = xstrdup(msg->run[i]);
	j->env = xcalloc(msg->nenv + 1, sizeof *j->env);
	for (size_t i = 0; i < msg->nenv; i++)
		j->env[j->nenv++] = xstrdup(msg->env[i]);
	j->reports = xcalloc(msg->nreports + 1, sizeof *j->reports);
	for (size_t i = 0; i < msg->nreports; i++)
		j->reports[j->nreports++] = xstrdup(msg->reports[i]);
	j->tests = xcalloc(msg->nshard_tests + 1, sizeof *j->tests);
	for (size_t i = 0; i < msg->nshard_tests; i++)
		j->tests[j->ntests++] = xstrdup(msg->shard_tests[i]);
	/* A keep that does not read is refused when the job starts. */
	if (msg->keep != NULL &&
	    plan_keep_decode_text(msg->keep, &j->keep) == -1 &&
	    j->params_error == NULL)
		j->params_error = xstrdup("its artifacts, cache or secrets "
		    "are not as a plan's");
	j->secrets = xcalloc(msg->nsecrets + 1, sizeof *j->secrets);
	for (size_t i = 0; i < msg->nsecrets; i++)
		j->secrets[j->nsecrets++] = xstrdup(msg->secrets[i]);
	j->secret_notes = xcalloc(msg->nnotes + 1, sizeof *j->secret_notes);
	for (size_t i = 0; i < msg->nnotes; i++)
		j->secret_notes[j->nsecret_notes++] = xstrdup(msg->notes[i]);
	if (msg->inputs != NULL)
		j->inputs = xstrdup(msg->inputs);
	j->max_artifact_bytes = msg->max_artifact_bytes;
}

/*
 * A manual run's parameters, checked again here (params.h): one that
 * would not pass fails the job when it starts, rather than being passed
 * or left out.  They stay for the job's life: the job sent again with
 * its plan carries the same.
 */
static void
runjob_take_params(struct runjob *j, const struct proto_msg *msg)
{
	char why[300];

	if (msg->params == NULL)
		return;
	if (params_env(msg->params, &j->params, &j->nparams, why,
	    sizeof why) == -1)
		j->params_error = xstrdup(why);
}

void
runjob_planned(struct runjob *j, const struct proto_msg *msg)
{
	struct timeval tv = { 0, 0 };
	int64_t left;

	if (!j->planning || msg->nrun == 0) {
		log_warnx("job %lld: sent again while not waiting for its plan",
		    (long long)j->id);
		return;
	}
	j->planning = 0;
	runjob_take_spec(j, msg);
	if (j->ending != JOB_RUNNING) {
		/* Stopped while its plan was on the way: it ends here. */
		runjob_finish(j, j->ending, -1, j->ending == JOB_TIMEOUT ?
		    "job timeout" : "cancelled");
		return;
	}
	/* The job's own timeout, counted from its start. */
	if (j->cfg->job_timeout_s == 0 && msg->timeout > 0) {
		j->timeout_s = msg->timeout;
		left = (int64_t)msg->timeout * 1000 - (mono_ms() - j->started_ms);
		tv.tv_sec = left > 0 ? left / 1000 : 0;
		tv.tv_usec = left > 0 ? (left % 1000) * 1000 : 0;
		evtimer_add(j->ev_timeout, &tv);
	}
	log_info("job %lld: planned as '%s'", (long long)j->id,
	    j->name != NULL ? j->name : "?");
	runjob_step(j, STEP_TEST);
}

void
runjob_plan_answer(struct runjob *j, const char *code, const char *message)
{
	char why[700];

	if (!j->planning)
		return;
	j->planning = 0;
	if (code == NULL) {
		/*
		 * Not sent back with what to run: queued for a runner with
		 * its labels, or the dispatcher is gone.  It is not ours.
		 */
		log_info("job %lld: planned; it runs elsewhere",
		    (long long)j->id);
		j->cfg->done(j->cfg->arg, j, NULL);
		return;
	}
	if (j->ending != JOB_RUNNING) {
		runjob_finish(j, j->ending, -1, j->ending == JOB_TIMEOUT ?
		    "job timeout" : "cancelled");
		return;
	}
	snprintf(why, sizeof why, "%s", message != NULL ? message :
	    "the dispatcher refused the plan");
	runjob_note(j, "%s", why);
	runjob_finish(j, JOB_ERROR, -1, why);
}

struct runjob *
runjob_new(const struct runjob_config *cfg, int slot,
    const struct proto_msg *msg)
{
	struct runjob *j = xcalloc(1, sizeof *j);

	j->cfg = cfg;
	j->slot = slot;
	j->id = msg->job;
	j->repo = xstrdup(msg->repo);
	memcpy(j->commit, msg->commit, sizeof j->commit);
	j->branch = msg->branch ? xstrdup(msg->branch) : NULL;
	j->timeout_s = cfg->job_timeout_s > 0 ? cfg->job_timeout_s :
	    msg->timeout;
	j->attempt = msg->attempt;
	runjob_take_spec(j, msg);
	runjob_take_params(j, msg);
	j->plan = msg->plan && msg->nrun == 0;
	j->ending = JOB_RUNNING;
	summary_init(&j->summary);
	line_guard_init(&j->guard);
	cfg->worktree_turns->wake = runjob_wake;
	j->ev_timeout = evtimer_new(cfg->base, runjob_timeout_cb, j);
	j->ev_kill = evtimer_new(cfg->base, runjob_kill_cb, j);
	return j;
}

void
runjob_run(struct runjob *j)
{
	const struct runjob_config *cfg = j->cfg;
	struct timeval tv;
	char *gitdir, *slug, *repos = NULL;
	int have_clone;

	j->started_ms = mono_ms();
	if (j->timeout_s > 0) {
		tv.tv_sec = j->timeout_s;
		tv.tv_usec = 0;
		evtimer_add(j->ev_timeout, &tv);
	}
	log_info("job %lld: %s %s (attempt %d)", (long long)j->id, j->repo,
	    j->commit, j->attempt);
	if (j->params_error != NULL) {
		runjob_note(j, "refused to run it: %s", j->params_error);
		runjob_finish(j, JOB_ERROR, -1, j->params_error);
		return;
	}
	slug = runjob_repo_slug(cfg->clone != NULL ? cfg->clone : j->repo);
	if (cfg->clone != NULL)
		j->repo_dir = xstrdup(cfg->clone);
	else {
		xasprintf(&repos, "%s/repos", cfg->work_abs);
		xasprintf(&j->repo_dir, "%s/%s", repos, slug);
	}
	xasprintf(&j->clone_tmp, "%s.tmp-%d", j->repo_dir, j->slot);
	/* One slot works in the clone; more get a worktree each. */
	if (cfg->nslots == 1)
		j->tree = xstrdup(j->repo_dir);
	else
		xasprintf(&j->tree, "%s/trees/%s-%d", cfg->work_abs, slug,
		    j->slot);
	xasprintf(&gitdir, "%s/.git", j->repo_dir);
	free(slug);
	have_clone = cfg->clone != NULL || access(gitdir, F_OK) == 0;
	free(gitdir);
	if ((!have_clone && mkdir_p(repos) == -1) || (cfg->nslots > 1 &&
	    mkdir_p_parent(j->tree) == -1)) {
		runjob_note(j, "unable to create the work folder '%s'",
		    cfg->work_dir);
		free(repos);
		runjob_finish(j, JOB_ERROR, -1, "unable to create work folder");
		return;
	}
	free(repos);
	/*
	 * Most often the commit came with an earlier fetch: check it out at
	 * once, and fetch only when that fails (one git run a job less).
	 */
	runjob_step(j, !have_clone ? STEP_CLEAR : runjob_has_tree(j) ?
	    STEP_CHECKOUT : STEP_HAVE_COMMIT);
}

void
runjob_stop(struct runjob *j, enum job_state why)
{
	struct timeval tv = { RUNNER_KILL_GRACE_MS / 1000,
	    (RUNNER_KILL_GRACE_MS % 1000) * 1000 };

	if (j->ending != JOB_RUNNING)
		return;
	j->ending = why;
	if (j->waiting) {
		/* No child to end: it ends now, without its turn. */
		TAILQ_REMOVE(&j->cfg->worktree_turns->waiting, j, turn_entry);
		j->waiting = 0;
		runjob_finish(j, why, -1, why == JOB_TIMEOUT ? "job timeout" :
		    "cancelled");
		return;
	}
	if (runartifact_stop(j)) {
		/* Moving artifacts, or waiting to: nothing of its own runs. */
		runjob_finish(j, why, -1, why == JOB_TIMEOUT ? "job timeout" :
		    "cancelled");
		return;
	}
	if (j->cache_op != NULL) {
		/* Restoring or saving its cache: nothing of its own runs. */
		runjob_cache_stop(j);
		runjob_finish(j, why, -1, why == JOB_TIMEOUT ? "job timeout" :
		    "cancelled");
		return;
	}
	if (j->planning) {
		/*
		 * Nothing runs yet, but the dispatcher has its plan: the job
		 * ends once it answers, so that its slot is not taken by
		 * the job sent back meanwhile.
		 */
		return;
	}
	if (j->child == NULL)
		return;
	spawn_kill(j->child, SIGTERM);
	evtimer_add(j->ev_kill, &tv);
}

void
runjob_resume(struct runjob *j)
{
	if (j->paused && j->child != NULL) {
		spawn_resume(j->child);
		j->paused = 0;
	}
}

void
runjob_free(struct runjob *j)
{
	/* At shutdown: nobody else is to be woken. */
	if (j->waiting)
		TAILQ_REMOVE(&j->cfg->worktree_turns->waiting, j, turn_entry);
	if (j->has_turn)
		j->cfg->worktree_turns->busy = 0;
	if (j->recorded)
		j->cfg->test_ended(j->cfg->arg, j->slot);
	if (j->has_cgroup)
		cgroup_job_destroy(&j->cgroup);
	runjob_cache_stop(j);
	runartifact_free(j);
	mask_free(j->mask);
	runreport_free(j);
	event_free(j->ev_timeout);
	event_free(j->ev_kill);
	runjob_drop_spec(j);
	strv_free(j->params, j->nparams);
	free(j->params_error);
	free(j->repo);
	free(j->branch);
	free(j->repo_dir);
	free(j->clone_tmp);
	free(j->tree);
	free(j->join);
	free(j);
}

/* SPDX-License-Identifier: MIT */
/*
 * runjob.c - one job on a runner, as a chain of child processes: clone the
 * repository if this runner has no clone of it yet, make sure the commit is
 * there (fetching if not), check it out clean, then run the test command
 * with its output streamed to the dispatcher, and report the result.
 * Every step is an argument vector; no shell ever sees a commit id, branch
 * or URL.
 */
#include <errno.h>
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
#include "runner.h"
#include "runplan.h"
#include "spawn.h"
#include "testcmd.h"
#include "util.h"

static void runjob_step(struct runjob *j, enum runjob_step step);
static void runjob_turn_over(struct runjob *j);

/*
 * Where to cut data[0..len) so that no UTF-8 character is split: len, or
 * the start of a character whose last bytes are not there yet.
 */
static size_t
utf8_cut(const char *data, size_t len)
{
	for (size_t back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = (unsigned char)data[len - back];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue;	/* a continuation byte: look further back */
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? len - back : len;
	}
	return len;
}

/* Send output to the dispatcher; paused reading resumes on drain. */
static void
runjob_send(struct runjob *j, const char *data, size_t len)
{
	while (len > 0) {
		size_t chunk = len;

		if (chunk > RUNNER_LOG_CHUNK)
			chunk = utf8_cut(data, RUNNER_LOG_CHUNK);
		if (chunk == 0)
			chunk = len > RUNNER_LOG_CHUNK ? RUNNER_LOG_CHUNK : len;
		j->cfg->output(j->cfg->arg, j->id,
		    proto_encode_log(j->id, data, chunk, NULL));
		data += chunk;
		len -= chunk;
	}
	if (j->child != NULL && j->step == STEP_TEST &&
	    j->cfg->congested(j->cfg->arg)) {
		spawn_pause(j->child);
		j->paused = 1;
	}
}

/*
 * Output as it comes: a character cut by the end of a read waits in carry
 * for the rest of it, so that it is not sent as two invalid halves.
 */
static void
runjob_log(struct runjob *j, const char *data, size_t len)
{
	size_t total = j->ncarry + len, cut;
	char *joined = xmalloc(total);

	memcpy(joined, j->carry, j->ncarry);
	memcpy(joined + j->ncarry, data, len);
	cut = utf8_cut(joined, total);
	runjob_send(j, joined, cut);
	j->ncarry = total - cut;	/* at most 3 */
	memcpy(j->carry, joined + cut, j->ncarry);
	free(joined);
}

/* Send what is still carried, at the end of the output. */
static void
runjob_log_flush(struct runjob *j)
{
	if (j->ncarry > 0)
		runjob_send(j, j->carry, j->ncarry);
	j->ncarry = 0;
}

static void
runjob_note(struct runjob *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
runjob_guarded(const char *data, size_t len, void *arg)
{
	runjob_log(arg, data, len);
}

/* A line of our own in the job's log, "ssci: ...", on a line of its own. */
static void
runjob_note(struct runjob *j, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	line_guard_flush(&j->guard, runjob_guarded, j);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	runjob_log(j, "ssci: ", 6);
	runjob_log(j, buf, (size_t)n);
}

/* Report the result and free the slot. */
static void
runjob_finish(struct runjob *j, enum job_state state, int exit_code,
    const char *message)
{
	struct job_result res = { 0 };
	const char *format;

	runjob_turn_over(j);
	line_guard_flush(&j->guard, runjob_guarded, j);
	runjob_log_flush(j);
	format = summary_finish(&j->summary, &res.tests);
	res.job = j->id;
	res.state = state;
	res.exit_code = exit_code;
	res.duration_ms = mono_ms() - j->started_ms;
	res.message = message;
	log_info("job %lld (%s) %s in %lld ms%s%s", (long long)j->id,
	    j->commit, job_state_name(state), (long long)res.duration_ms,
	    format ? ", summary from " : "", format ? format : "");
	j->cfg->done(j->cfg->arg, j, proto_encode_result(&res, NULL));
}

/* A step's child failed to start or failed: end as error. */
static void
runjob_fail(struct runjob *j, const char *what, int status, const char *out)
{
	char msg[512];

	if (out != NULL && *out != '\0')
		runjob_log(j, out, strlen(out));
	if (status == -1)
		snprintf(msg, sizeof msg, "unable to run %s", what);
	else
		snprintf(msg, sizeof msg, "%s failed with exit status %d", what,
		    status);
	runjob_note(j, "%s", msg);
	runjob_finish(j, JOB_ERROR, -1, msg);
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

/* j's worktree is added (or not): the next job waiting adds its own. */
static void
runjob_turn_over(struct runjob *j)
{
	struct runjob_turns *turns = j->cfg->worktree_turns;
	struct runjob *next;

	if (!j->has_turn)
		return;
	j->has_turn = 0;
	turns->busy = 0;
	if ((next = TAILQ_FIRST(&turns->waiting)) != NULL) {
		TAILQ_REMOVE(&turns->waiting, next, turn_entry);
		next->waiting = 0;
		runjob_step(next, STEP_WORKTREE);
	}
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
		runjob_step(j, STEP_HAVE_COMMIT);
		break;
	case STEP_FETCH_COMMIT:
		/* Fetching by id fails harmlessly if the fetch brought it. */
		runjob_step(j, STEP_WORKTREE);
		break;
	case STEP_WORKTREE:
		if (status != 0)
			return runjob_fail(j, "git worktree add", status, out);
		runjob_step(j, STEP_CHECKOUT);
		break;
	case STEP_CHECKOUT:
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

static void
runjob_test_output(struct spawn *sp, const char *data, size_t len, void *arg)
{
	struct runjob *j = arg;

	(void)sp;
	summary_feed(&j->summary, data, len);
	line_guard_feed(&j->guard, data, len, runjob_guarded, j);
}

/*
 * The default command (unittest discovery) passing with no test found is
 * no pass: a newcomer's pytest suite, or a .ssci/test forgotten, would be
 * green.  Say what to do.  Python 3.12 exits 5 when no test ran.
 */
static int
runjob_ran_nothing(struct runjob *j, int status)
{
	struct job_tests tests;
	char file[300];

	if (!j->default_cmd || (status != 0 && status != 5))
		return 0;
	summary_finish(&j->summary, &tests);
	if (tests.run != 0)
		return 0;
	runjob_note(j, "no tests ran; add an executable .ssci/test or "
	    "--test-cmd");
	if (testcmd_pytest_style(j->tree, file, sizeof file))
		runjob_note(j, "tests/ holds pytest-style tests (%s), which "
		    "unittest does not find: make .ssci/test run pytest, "
		    "for example 'python3 -m pytest'", file);
	return 1;
}

static void
runjob_test_done(struct spawn *sp, int status, void *arg)
{
	struct runjob *j = arg;
	enum job_state state = status == 0 ? JOB_PASSED : JOB_FAILED;

	(void)sp;
	j->child = NULL;
	if (j->has_cgroup) {
		int oom = cgroup_job_oom(&j->cgroup);

		cgroup_job_destroy(&j->cgroup);
		j->has_cgroup = 0;
		if (oom && j->ending == JOB_RUNNING) {
			char why[96];

			snprintf(why, sizeof why, "memory limit of %lld MiB "
			    "exceeded", j->cfg->job_memory >> 20);
			runjob_note(j, "%s: the test was killed", why);
			runjob_finish(j, JOB_FAILED, status, why);
			return;
		}
	}
	if (j->ending == JOB_TIMEOUT) {
		runjob_note(j, "killed after the job timeout of %d s",
		    j->timeout_s);
		runjob_finish(j, JOB_TIMEOUT, status, "job timeout");
	} else if (j->ending == JOB_CANCELLED)
		runjob_finish(j, JOB_CANCELLED, status, "cancelled");
	else if (runjob_ran_nothing(j, status))
		runjob_finish(j, JOB_ERROR, status, "no tests ran");
	else
		runjob_finish(j, state, status, NULL);
}

/* A NULL-ended vector of malloc'd strings, freed. */
static void
runjob_free_argv(char **argv)
{
	for (char **a = argv; a != NULL && *a != NULL; a++)
		free(*a);
	free(argv);
}

/*
 * The test's argv wrapped in bubblewrap: everything read-only but the
 * work tree, a /tmp of its own, no network unless asked, its own process
 * numbers, and the runner's work folder (other trees, clones) and token
 * file out of sight.
 */
static char **
runjob_sandbox_argv(struct runjob *j, const char *const *test)
{
	/* --cap-drop ALL: a runner running as root must not lend its power. */
	const char *fixed[] = { "bwrap", "--die-with-parent", "--new-session",
	    "--cap-drop", "ALL", "--unshare-pid", "--unshare-ipc",
	    "--unshare-uts",
	    "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
	    "--tmpfs", "/tmp", NULL };
	char tree[PATH_MAX], **argv;
	size_t n = 0, cap = 64;

	if (realpath(j->tree, tree) == NULL)
		snprintf(tree, sizeof tree, "%s", j->tree);
	argv = xcalloc(cap, sizeof *argv);
	for (const char *const *a = fixed; *a != NULL; a++)
		argv[n++] = xstrdup(*a);
	if (!j->cfg->sandbox_net)
		argv[n++] = xstrdup("--unshare-net");
	if (j->cfg->work_abs != NULL) {
		argv[n++] = xstrdup("--tmpfs");
		argv[n++] = xstrdup(j->cfg->work_abs);
	}
	if (j->cfg->token_file != NULL) {
		argv[n++] = xstrdup("--ro-bind");
		argv[n++] = xstrdup("/dev/null");
		argv[n++] = xstrdup(j->cfg->token_file);
	}
	argv[n++] = xstrdup("--bind");
	argv[n++] = xstrdup(tree);
	argv[n++] = xstrdup(tree);
	/*
	 * The runner runs git in this tree after the test: a test that could
	 * write .git (hooks, config) would run code outside the sandbox.
	 */
	argv[n++] = xstrdup("--ro-bind");
	xasprintf(&argv[n++], "%s/.git", tree);
	xasprintf(&argv[n++], "%s/.git", tree);
	argv[n++] = xstrdup("--chdir");
	argv[n++] = xstrdup(tree);
	argv[n++] = xstrdup("--");
	for (; *test != NULL && n < cap - 1; test++)
		argv[n++] = xstrdup(*test);
	argv[n] = NULL;
	return argv;
}

/*
 * Memory and process limits for the test: its own control groups where
 * the kernel lets us, else an address-space limit per process.  -1 after
 * ending the job if the groups could not be made.
 */
static int
runjob_limits(struct runjob *j, struct spawn_opts *opts)
{
	const struct runjob_config *cfg = j->cfg;
	char name[64];

	if (cfg->job_memory == 0 && cfg->job_pids == 0)
		return 0;
	if (!cfg->use_cgroups) {
		opts->memory_limit = cfg->job_memory;
		if (cfg->job_pids > 0)
			runjob_note(j, "process limit not enforced: no writable "
			    "pids control group on this runner");
		return 0;
	}
	snprintf(name, sizeof name, "%ld-%lld", (long)getpid(),
	    (long long)j->id);
	if (cgroup_job_create(&j->cgroup, name, cfg->job_memory,
	    cfg->job_pids) == -1) {
		runjob_note(j, "unable to make the job's control group");
		runjob_finish(j, JOB_ERROR, -1, "unable to limit the job");
		return -1;
	}
	j->has_cgroup = 1;
	opts->join_fds = j->cgroup.fds;
	opts->njoin_fds = j->cgroup.n;
	return 0;
}

/*
 * The test's environment: who it is, then a planned job's own (matrix
 * values, env); malloc'd, NULL-ended.
 */
static char **
runjob_env(struct runjob *j)
{
	char **env = xcalloc(7 + j->nenv, sizeof *env);
	size_t n = 0;

	xasprintf(&env[n++], "CI=true");
	xasprintf(&env[n++], "SSCI_COMMIT=%s", j->commit);
	xasprintf(&env[n++], "SSCI_BRANCH=%s", j->branch ? j->branch : "");
	xasprintf(&env[n++], "SSCI_JOB=%lld", (long long)j->id);
	xasprintf(&env[n++], "SSCI_REPO=%s", j->repo);
	if (j->name != NULL)
		xasprintf(&env[n++], "SSCI_JOB_NAME=%s", j->name);
	for (size_t i = 0; i < j->nenv; i++)
		env[n++] = xstrdup(j->env[i]);
	env[n] = NULL;
	return env;
}

/*
 * What tests the tree: a planned job's commands, else the repository's
 * test command.  0 and *args, or -1 once the job has ended.
 */
static int
runjob_command(struct runjob *j, struct testcmd *tc, const char ***planned,
    const char *const **args)
{
	if (j->nrun > 0) {
		memset(tc, 0, sizeof *tc);
		*planned = runplan_argv(j->run, j->nrun);
		*args = *planned;
		return 0;
	}
	testcmd_choose(tc, j->tree, j->cfg->test_cmd);
	j->default_cmd = tc->kind == TESTCMD_DEFAULT;
	*args = tc->argv;
	if (tc->kind == TESTCMD_NOT_EXECUTABLE) {
		runjob_note(j, ".ssci/test is not executable: run "
		    "'chmod +x .ssci/test' (or 'git update-index --chmod=+x "
		    ".ssci/test') and commit it");
		runjob_finish(j, JOB_ERROR, -1, "'.ssci/test' is not executable");
		return -1;
	}
	if (tc->kind == TESTCMD_NONE) {
		runjob_note(j, "no test command: the repository has no "
		    "executable .ssci/test, no .ssci.yml and no tests/ folder, "
		    "and the runner has no --test-cmd");
		runjob_finish(j, JOB_ERROR, -1, "no test command");
		return -1;
	}
	return 0;
}

static void
runjob_test(struct runjob *j)
{
	static const char *const runjob_unset[] = { "SSCI_TOKEN", NULL };
	const char *const *args;
	const char **planned = NULL;
	char **env, **argv_sandbox = NULL;
	struct spawn_opts opts = { 0 };
	struct testcmd tc;

	if (runjob_command(j, &tc, &planned, &args) == -1 ||
	    runjob_limits(j, &opts) == -1) {
		testcmd_release(&tc);
		free(planned);
		return;
	}
	if (j->cfg->sandbox) {
		argv_sandbox = runjob_sandbox_argv(j, args);
		args = (const char *const *)argv_sandbox;
	}
	env = runjob_env(j);
	opts.argv = args;
	opts.dir = j->tree;
	opts.env = (const char *const *)env;
	opts.unset = runjob_unset;
	opts.on_output = runjob_test_output;
	opts.on_done = runjob_test_done;
	opts.arg = j;
	j->child = spawn_start(&opts);
	runjob_free_argv(env);
	if (j->child != NULL && !j->cfg->sandbox) {
		/* bwrap ends its tests itself when we die (--die-with-parent). */
		j->cfg->test_started(j->cfg->arg, j->slot,
		    spawn_pid(j->child));
		j->recorded = 1;
	}
	if (j->child == NULL) {
		runjob_note(j, "unable to start the test command '%s'", args[0]);
		runjob_finish(j, JOB_ERROR, -1, "unable to start the test command");
	}
	testcmd_release(&tc);
	free(planned);
	runjob_free_argv(argv_sandbox);
}

/* Send the tree's plan, if it has one; else test as without pipelines. */
static void
runjob_plan(struct runjob *j)
{
	char err[300], *text;
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
	j->planning = 1;
	j->cfg->plan(j->cfg->arg, j, text, len);
	free(text);
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
		    "--quiet", "origin", j->commit, NULL });
		break;
	case STEP_CHECKOUT:
		runjob_git(j, j->tree, (const char *const[]){ "git",
		    "checkout", "--quiet", "--force", "--detach", j->commit,
		    NULL });
		break;
	case STEP_CLEAN:
		runjob_git(j, j->tree, (const char *const[]){ "git", "clean",
		    "-ffdxq", NULL });
		break;
	case STEP_PLAN:
		runjob_plan(j);
		break;
	case STEP_TEST:
		runjob_test(j);
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
	for (size_t i = 0; i < j->nrun; i++)
		free(j->run[i]);
	free(j->run);
	for (size_t i = 0; i < j->nenv; i++)
		free(j->env[i]);
	free(j->env);
	free(j->name);
	j->run = j->env = NULL;
	j->name = NULL;
	j->nrun = j->nenv = 0;
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
	j->planned = 1;
	runjob_take_spec(j, msg);
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

	if (!j->planning && !j->planned)
		return;
	if (code == NULL) {
		if (j->planning) {
			/*
			 * Queued for a runner with its labels, or the
			 * dispatcher is gone: the job is not ours any more.
			 */
			log_info("job %lld: planned; it runs elsewhere",
			    (long long)j->id);
			j->planning = 0;
			j->cfg->done(j->cfg->arg, j, NULL);
		}
		return;
	}
	j->planning = 0;
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
	j->plan = msg->plan && msg->nrun == 0;
	j->ending = JOB_RUNNING;
	summary_init(&j->summary);
	line_guard_init(&j->guard);
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
	runjob_step(j, have_clone ? STEP_HAVE_COMMIT : STEP_CLEAR);
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
	if (j->planning) {
		/* Nothing runs yet: it ends now; a late plan is ignored. */
		j->planning = 0;
		runjob_finish(j, why, -1, why == JOB_TIMEOUT ? "job timeout" :
		    "cancelled");
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
	event_free(j->ev_timeout);
	event_free(j->ev_kill);
	runjob_drop_spec(j);
	free(j->repo);
	free(j->branch);
	free(j->repo_dir);
	free(j->clone_tmp);
	free(j->tree);
	free(j);
}

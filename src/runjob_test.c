/* SPDX-License-Identifier: MIT */
/*
 * runjob_test.c - a job's test step (runjob_int.h): the command (a planned
 * job's commands, or the repository's test command), its environment,
 * the sandbox and limits it runs in, its output read for test counts,
 * and how it ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mask.h"
#include "runjob_int.h"
#include "runplan.h"
#include "spawn.h"
#include "testcmd.h"
#include "util.h"

/* The test's output once its secrets are masked: read, then logged. */
static void
runjob_test_masked(const char *data, size_t len, void *arg)
{
	struct runjob *j = arg;

	summary_feed(&j->summary, data, len);
	runreport_output(j, data, len);
	line_guard_feed(&j->guard, data, len, runjob_guarded, j);
}

/*
 * Before the output goes anywhere (the log, the test readers): every
 * secret the job has, whole, cut between reads, or in base64, is ***.
 */
static void
runjob_test_output(struct spawn *sp, const char *data, size_t len, void *arg)
{
	struct runjob *j = arg;

	(void)sp;
	if (j->mask != NULL)
		mask_feed(j->mask, data, len, runjob_test_masked, j);
	else
		runjob_test_masked(data, len, j);
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
	/* What the masker held, waiting to see if a secret began there. */
	mask_flush(j->mask, runjob_test_masked, j);
	if (runjob_child_done(j) && j->ending == JOB_RUNNING) {
		char why[96];

		snprintf(why, sizeof why, "memory limit of %lld MiB exceeded",
		    j->cfg->job_memory >> 20);
		runjob_note(j, "%s: the test was killed", why);
		runjob_finish(j, JOB_FAILED, status, why);
		return;
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
		runreport_finish(j, state, status);
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
runjob_sandbox_argv(struct runjob *j, const struct runjob_what *w,
    const char *const *test)
{
	/* --cap-drop ALL: a runner running as root must not lend its power. */
	const char *fixed[] = { "bwrap", "--die-with-parent", "--new-session",
	    "--cap-drop", "ALL", "--unshare-pid", "--unshare-ipc",
	    "--unshare-uts",
	    "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
	    "--tmpfs", "/tmp", NULL };
	char tree[PATH_MAX], **argv;
	size_t n = 0, cap = 40 + 3 * (w->nenv + j->nparams + 1);

	for (const char *const *t = test; *t != NULL; t++)
		cap++;
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
	/*
	 * What the job's plan sets is set inside only: in bwrap's own
	 * environment, LD_PRELOAD and its kind would run the repository's
	 * code outside the sandbox.
	 */
	if (w->name != NULL) {
		argv[n++] = xstrdup("--setenv");
		argv[n++] = xstrdup("SSCI_JOB_NAME");
		argv[n++] = xstrdup(w->name);
	}
	/* A manual run's parameters after the plan's: the later one wins. */
	for (size_t i = 0; i < w->nenv + j->nparams; i++) {
		const char *var = i < w->nenv ? w->env[i] :
		    j->params[i - w->nenv];
		const char *eq = strchr(var, '=');

		if (eq == NULL)
			continue;
		argv[n++] = xstrdup("--setenv");
		argv[n++] = xstrndup(var, (size_t)(eq - var));
		argv[n++] = xstrdup(eq + 1);
	}
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
int
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

/* Whether var ("NAME=value") is named by one of the job's parameters. */
static int
runjob_param_named(const struct runjob *j, const char *var)
{
	size_t len = strcspn(var, "=");

	for (size_t i = 0; i < j->nparams; i++) {
		if (strncmp(j->params[i], var, len) == 0 &&
		    j->params[i][len] == '=')
			return 1;
	}
	return 0;
}

/*
 * The test's environment: who it is, then a planned job's own (matrix
 * values, env) and a manual run's parameters (which win over the plan's
 * of the same name: the person asked for them now), unless the sandbox
 * sets those inside; malloc'd, NULL-ended.  Never through a shell: each
 * is one entry of the child's environment.
 */
static char **
runjob_env(struct runjob *j, const struct runjob_what *w, int sandboxed)
{
	char **env = xcalloc(10 + w->nenv + j->nparams + j->nsecrets,
	    sizeof *env);
	size_t n = 0;

	xasprintf(&env[n++], "CI=true");
	xasprintf(&env[n++], "SSCI_COMMIT=%s", j->commit);
	xasprintf(&env[n++], "SSCI_BRANCH=%s", j->branch ? j->branch : "");
	xasprintf(&env[n++], "SSCI_JOB=%lld", (long long)j->id);
	xasprintf(&env[n++], "SSCI_REPO=%s", j->repo);
	if (runreport_dir(j) != NULL)
		xasprintf(&env[n++], "SSCI_REPORTS=%s", runreport_dir(j));
	if (w->tests_file != NULL)
		xasprintf(&env[n++], "SSCI_TESTS_FILE=%s", w->tests_file);
	if (w->name != NULL && !sandboxed)
		xasprintf(&env[n++], "SSCI_JOB_NAME=%s", w->name);
	for (size_t i = 0; i < w->nenv && !sandboxed; i++) {
		if (!runjob_param_named(j, w->env[i]))
			env[n++] = xstrdup(w->env[i]);
	}
	for (size_t i = 0; i < j->nparams && !sandboxed; i++)
		env[n++] = xstrdup(j->params[i]);
	/*
	 * Secrets last, also with the sandbox: bwrap's own environment
	 * passes to the test, and no secret's name is one bwrap heeds
	 * (secrets_check.c), while --setenv would show the value to anyone
	 * reading bwrap's command line.
	 */
	for (size_t i = 0; i < j->nsecrets && w->secrets; i++)
		env[n++] = xstrdup(j->secrets[i]);
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

struct spawn *
runjob_spawn_in_tree(struct runjob *j, const struct runjob_what *w,
    const char *const *args, struct spawn_opts *opts)
{
	static const char *const runjob_unset[] = { "SSCI_TOKEN", NULL };
	char **env, **argv_sandbox = NULL;
	struct spawn *sp;

	if (j->cfg->sandbox) {
		argv_sandbox = runjob_sandbox_argv(j, w, args);
		args = (const char *const *)argv_sandbox;
	}
	env = runjob_env(j, w, j->cfg->sandbox);
	opts->argv = args;
	opts->dir = j->tree;
	opts->env = (const char *const *)env;
	opts->unset = runjob_unset;
	sp = spawn_start(opts);
	runjob_free_argv(env);
	runjob_free_argv(argv_sandbox);
	if (sp != NULL && !j->cfg->sandbox) {
		/* bwrap ends its tests itself when we die (--die-with-parent). */
		j->cfg->test_started(j->cfg->arg, j->slot, spawn_pid(sp));
		j->recorded = 1;
	}
	return sp;
}

int
runjob_child_done(struct runjob *j)
{
	int oom = 0;

	if (j->has_cgroup) {
		oom = cgroup_job_oom(&j->cgroup);
		cgroup_job_destroy(&j->cgroup);
		j->has_cgroup = 0;
	}
	if (j->recorded) {
		j->cfg->test_ended(j->cfg->arg, j->slot);
		j->recorded = 0;
	}
	return oom;
}

/*
 * A shard's test ids, one per line, in $SSCI_TESTS_FILE: inside the tree,
 * where a sandboxed test sees it, and gone with git clean.  0, or -1 once
 * the job has ended.
 */
static int
runjob_tests_file(struct runjob *j, char **path)
{
	FILE *f = NULL;
	int fd, bad;

	*path = NULL;
	if (j->ntests == 0)
		return 0;
	xasprintf(path, "%s/%s", j->tree, RUNJOB_TESTS_FILE);
	fd = open(*path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd != -1 && (f = fdopen(fd, "w")) == NULL)
		close(fd);
	bad = f == NULL;
	for (size_t i = 0; !bad && i < j->ntests; i++)
		bad = fprintf(f, "%s\n", j->tests[i]) < 0;
	if (f != NULL && fclose(f) == EOF)
		bad = 1;
	if (!bad)
		return 0;
	runjob_note(j, "unable to write '%s': %s", *path, strerror(errno));
	runjob_finish(j, JOB_ERROR, -1, "unable to write the shard's tests");
	free(*path);
	*path = NULL;
	return -1;
}

/* The job's secrets: what was not given said, the masker made. */
static void
runjob_secrets_start(struct runjob *j)
{
	char **values;

	for (size_t i = 0; i < j->nsecret_notes; i++)
		runjob_note(j, "%s", j->secret_notes[i]);
	if (j->nsecrets == 0 || j->mask != NULL)
		return;
	values = xcalloc(j->nsecrets + 1, sizeof *values);
	for (size_t i = 0; i < j->nsecrets; i++)
		values[i] = strchr(j->secrets[i], '=') + 1;
	j->mask = mask_new(values, j->nsecrets);
	free(values);
	runjob_note(j, "secrets given: %zu (masked in this log)",
	    j->nsecrets);
}

void
runjob_test(struct runjob *j)
{
	const char *const *args;
	const char **planned = NULL;
	struct spawn_opts opts = { 0 };
	struct runjob_what w = { j->name, j->env, j->nenv, NULL, 1 };
	struct testcmd tc;
	char *tests_file;

	if (runjob_command(j, &tc, &planned, &args) == -1 ||
	    runjob_limits(j, &opts) == -1 ||
	    runjob_tests_file(j, &tests_file) == -1) {
		testcmd_release(&tc);
		free(planned);
		return;
	}
	w.tests_file = tests_file;
	runjob_secrets_start(j);
	runreport_start(j);
	opts.on_output = runjob_test_output;
	opts.on_done = runjob_test_done;
	opts.arg = j;
	/* Not held up each 64 KiB: biglogs 1.70 -> 1.37 the direct run. */
	opts.pipe_bytes = RUNJOB_TEST_PIPE_BYTES;
	j->child = runjob_spawn_in_tree(j, &w, args, &opts);
	free(tests_file);
	if (j->child == NULL) {
		runjob_note(j, "unable to start the test command '%s'", args[0]);
		runjob_finish(j, JOB_ERROR, -1, "unable to start the test command");
	}
	testcmd_release(&tc);
	free(planned);
}


/* SPDX-License-Identifier: MIT */
/*
 * spawn.c - start children in their own process group and watch them on
 * the libevent loop.  Children are started with vfork: a fork copies the
 * page tables of a parent that maps forty libraries, and pays a fault for
 * each page either side writes before the exec, which made a spawn cost
 * twice what it does now (1.2 ms against 0.55 ms, measured).  So between
 * vfork and exec the child shares the parent's memory: it makes only
 * async-signal-safe system calls, writes nothing but its own stack, and
 * everything it needs (the program's path, the environment) is prepared
 * before.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "spawn.h"
#include "util.h"

extern char **environ;

struct spawn {
	pid_t pid;
	int fd;			/* read end of the output pipe, -1 at EOF */
	int exited;
	int status;
	int paused;
	struct event *ev_read;
	struct event *ev_linger;
	spawn_output_cb on_output;
	spawn_done_cb on_done;
	void *arg;
	void (*free_arg)(void *);	/* for spawn_shutdown; may be NULL */
	LIST_ENTRY(spawn) entry;
};

static struct event_base *spawn_base;
static struct event *spawn_sigchld;
static LIST_HEAD(, spawn) spawn_list = LIST_HEAD_INITIALIZER(spawn_list);

/* Find argv0 in PATH as execvp would, before the fork. */
static char *
spawn_search_path(const char *name, const char *path)
{
	char *copy, *dir, *save = NULL, *candidate;

	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		xasprintf(&candidate, "%s/%s", *dir ? dir : ".", name);
		if (access(candidate, X_OK) == 0) {
			free(copy);
			return candidate;
		}
		free(candidate);
	}
	free(copy);
	return NULL;
}

/*
 * Programs found before, so that a runner's four git runs a job do not
 * each try a dozen folders of PATH (11 failed access() a spawn, measured).
 * An entry is used while PATH is the same and the file is still there.
 */
#define SPAWN_FOUND_MAX 8
static struct spawn_found {
	char *name;
	char *path_env;
	char *program;
} spawn_found[SPAWN_FOUND_MAX];
static size_t spawn_found_next;

char *
spawn_find_program(const char *name)
{
	const char *path = getenv("PATH");
	struct spawn_found *f;
	char *program;

	if (strchr(name, '/') != NULL)
		return xstrdup(name);
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (size_t i = 0; i < SPAWN_FOUND_MAX; i++) {
		f = &spawn_found[i];
		if (f->name != NULL && strcmp(f->name, name) == 0 &&
		    strcmp(f->path_env, path) == 0 &&
		    access(f->program, X_OK) == 0)
			return xstrdup(f->program);
	}
	if ((program = spawn_search_path(name, path)) == NULL)
		return NULL;
	f = &spawn_found[spawn_found_next++ % SPAWN_FOUND_MAX];
	free(f->name);
	free(f->path_env);
	free(f->program);
	f->name = xstrdup(name);
	f->path_env = xstrdup(path);
	f->program = xstrdup(program);
	return program;
}

/* Whether entry ("NAME=value") names one of names. */
static int
spawn_env_named(const char *entry, const char *const *names)
{
	size_t n = strcspn(entry, "=");

	for (; names != NULL && *names != NULL; names++) {
		if (strlen(*names) == n && strncmp(*names, entry, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * environ plus the extra entries, which win over same-named ones, less
 * the names in unset.
 */
static char **
spawn_build_env(const char *const *extra, const char *const *unset)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	while (extra != NULL && extra[m] != NULL)
		m++;
	env = xcalloc(n + m + 1, sizeof *env);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t nlen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		int overridden = 0;

		for (size_t j = 0; j < m; j++) {
			if (strncmp(extra[j], environ[i], nlen) == 0 &&
			    extra[j][nlen] == '=')
				overridden = 1;
		}
		if (!overridden && !spawn_env_named(environ[i], unset))
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		env[k++] = (char *)extra[j];
	env[k] = NULL;
	return env;
}

/* What the child needs that must be found before the fork. */
struct spawn_child_ctx {
	pid_t parent;		/* to notice a parent that died before prctl */
	int death_signal;
	int max_fd;		/* for the fallback of close_range */
};

/*
 * Every descriptor above 2 is closed at exec, whoever opened it and
 * however: the test must not hold the runner's connection, whatever a
 * library forgot to mark.  Marked rather than closed so that errfd still
 * works until exec.
 */
static void
spawn_child_cloexec(const struct spawn_child_ctx *ctx)
{
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (int fd = 3; fd < ctx->max_fd; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/*
 * The steps of a child's setup, so that a failure says which one failed
 * (as git's run-command does): the child writes the step and errno.
 */
enum spawn_step {
	SPAWN_STEP_DEATH_SIGNAL,
	SPAWN_STEP_CGROUP,
	SPAWN_STEP_MEMORY_LIMIT,
	SPAWN_STEP_DESCRIPTORS,
	SPAWN_STEP_CHDIR,
	SPAWN_STEP_EXEC,
};

static const char *const spawn_step_names[] = {
	[SPAWN_STEP_DEATH_SIGNAL] = "setting its death signal",
	[SPAWN_STEP_CGROUP] = "joining its cgroup",
	[SPAWN_STEP_MEMORY_LIMIT] = "limiting its memory",
	[SPAWN_STEP_DESCRIPTORS] = "setting up its descriptors",
	[SPAWN_STEP_CHDIR] = "changing to its folder",
	[SPAWN_STEP_EXEC] = "exec",
};

struct spawn_failure {
	int step;
	int err;
};

/*
 * In the child: set up and exec, or write the failed step and errno to
 * errfd and _exit.  Only async-signal-safe calls from here on.  Every
 * signal is blocked on entry (see spawn_fork) and unblocked only once
 * every handler is back to its default, so that no handler of the
 * parent's (libevent's, which writes to the parent's loop) runs here.
 */
static void __attribute__((noreturn, noinline))
spawn_child(const char *path, char *const *argv, char *const *env,
    const struct spawn_opts *opts, const struct spawn_child_ctx *ctx,
    int outfd, int errfd)
{
	const char *dir = opts->dir;
	struct sigaction sa;
	struct rlimit rl;
	struct spawn_failure failure;
	int nullfd, stderrfd, step;
	sigset_t none;

	/*
	 * The child dies with us: a supervisor killed with -9 must not leave
	 * its children running unsupervised.  A parent that died before the
	 * prctl took effect is seen by getppid.
	 */
	step = SPAWN_STEP_DEATH_SIGNAL;
	if (prctl(PR_SET_PDEATHSIG, ctx->death_signal) == -1)
		goto fail;
	if (getppid() != ctx->parent)
		_exit(127);
	setpgid(0, 0);
	step = SPAWN_STEP_CGROUP;
	for (int i = 0; i < opts->njoin_fds; i++) {
		if (write(opts->join_fds[i], "0", 1) != 1)
			goto fail;
	}
	step = SPAWN_STEP_MEMORY_LIMIT;
	if (opts->memory_limit > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)opts->memory_limit;
		if (setrlimit(RLIMIT_AS, &rl) == -1)
			goto fail;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	step = SPAWN_STEP_DESCRIPTORS;
	nullfd = open(opts->stdin_path != NULL ? opts->stdin_path :
	    "/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd == -1 || dup2(nullfd, 0) == -1 || dup2(outfd, 1) == -1 ||
	    dup2(outfd, 2) == -1)
		goto fail;
	if (opts->stderr_path != NULL && ((stderrfd = open(opts->stderr_path,
	    O_WRONLY | O_CLOEXEC)) == -1 || dup2(stderrfd, 2) == -1))
		goto fail;
	spawn_child_cloexec(ctx);
	step = SPAWN_STEP_CHDIR;
	if (dir != NULL && chdir(dir) == -1)
		goto fail;
	step = SPAWN_STEP_EXEC;
	execve(path, argv, env);
fail:
	failure.step = step;
	failure.err = errno;
	while (write(errfd, &failure, sizeof failure) == -1 && errno == EINTR)
		;
	_exit(127);
}

static void
spawn_report_failure(const char *program, const char *dir,
    const struct spawn_failure *failure)
{
	const char *step = failure->step >= 0 && failure->step <=
	    SPAWN_STEP_EXEC ? spawn_step_names[failure->step] : "?";

	if (dir != NULL)
		log_warnx("unable to run '%s' in '%s': %s: %s", program, dir,
		    step, strerror(failure->err));
	else
		log_warnx("unable to run '%s': %s: %s", program, step,
		    strerror(failure->err));
}

/* Fork and exec; returns the pid and the output pipe's read end, or -1. */
static pid_t
spawn_fork(const struct spawn_opts *opts, int *outfd)
{
	const char *const *argv = opts->argv;
	const char *dir = opts->dir;
	struct spawn_child_ctx ctx = { .parent = getpid(),
	    .death_signal = opts->death_signal ? opts->death_signal : SIGKILL };
	struct spawn_failure failure;
	int outpipe[2], errpipe[2], err;
	sigset_t all, old;
	struct rlimit rl;
	char *path, **env;
	ssize_t n;
	pid_t pid;

	path = spawn_find_program(argv[0]);
	if (path == NULL) {
		log_warnx("unable to run '%s': not found in PATH", argv[0]);
		return -1;
	}
	if (pipe2(outpipe, O_CLOEXEC) == -1 || pipe2(errpipe, O_CLOEXEC) == -1) {
		log_warn("unable to run '%s': pipe", argv[0]);
		free(path);
		return -1;
	}
	/* A refusal (over fs.pipe-max-size) leaves the default. */
	if (opts->pipe_bytes > 0)
		fcntl(outpipe[0], F_SETPIPE_SZ, opts->pipe_bytes);
	env = spawn_build_env(opts->env, opts->unset);
	ctx.max_fd = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
	/* No handler of ours may run in the child, which shares our memory. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0)
		spawn_child(path, (char *const *)argv, env, opts, &ctx,
		    outpipe[1], errpipe[1]);
	err = errno;	/* the child's too (shared): read only if vfork failed */
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(path);
	free(env);
	close(outpipe[1]);
	close(errpipe[1]);
	if (pid == -1) {
		errno = err;
		log_warn("unable to run '%s': vfork", argv[0]);
		close(outpipe[0]);
		close(errpipe[0]);
		return -1;
	}
	/* Also in the parent, so a signal sent at once reaches the group. */
	setpgid(pid, pid);
	do
		n = read(errpipe[0], &failure, sizeof failure);
	while (n == -1 && errno == EINTR);
	close(errpipe[0]);
	if (n == sizeof failure) {
		waitpid(pid, NULL, 0);
		close(outpipe[0]);
		spawn_report_failure(argv[0], dir, &failure);
		return -1;
	}
	*outfd = outpipe[0];
	return pid;
}

/* Done once exited and at EOF: report, then free. */
static void
spawn_check_done(struct spawn *sp)
{
	if (!sp->exited || sp->fd != -1)
		return;
	LIST_REMOVE(sp, entry);
	if (sp->ev_linger != NULL)
		event_free(sp->ev_linger);
	sp->on_done(sp, sp->status, sp->arg);
	free(sp);
}

static void
spawn_close_output(struct spawn *sp)
{
	if (sp->fd == -1)
		return;
	event_free(sp->ev_read);
	sp->ev_read = NULL;
	close(sp->fd);
	sp->fd = -1;
}

static void
spawn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spawn *sp = arg;
	char buf[65536];
	ssize_t n;

	(void)what;
	n = read(fd, buf, sizeof buf);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		spawn_close_output(sp);
		spawn_check_done(sp);
		return;
	}
	if (sp->on_output != NULL)
		sp->on_output(sp, buf, (size_t)n, sp->arg);
}

/* The child exited long ago but something still holds its pipe. */
static void
spawn_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spawn *sp = arg;

	(void)fd;
	(void)what;
	killpg(sp->pid, SIGKILL);
	spawn_close_output(sp);
	spawn_check_done(sp);
}

static void
spawn_exited(struct spawn *sp, int wstatus)
{
	struct timeval tv = { SPAWN_LINGER_MS / 1000,
	    (SPAWN_LINGER_MS % 1000) * 1000 };

	sp->exited = 1;
	/*
	 * The leader is gone: whatever it left in its group (a daemon it
	 * started, children that ignored SIGTERM) goes with it.
	 */
	killpg(sp->pid, SIGKILL);
	if (WIFSIGNALED(wstatus))
		sp->status = 128 + WTERMSIG(wstatus);
	else
		sp->status = WEXITSTATUS(wstatus);
	if (sp->fd != -1) {
		/* A paused reader must still drain to see EOF. */
		spawn_resume(sp);
		sp->ev_linger = evtimer_new(spawn_base, spawn_linger_cb, sp);
		evtimer_add(sp->ev_linger, &tv);
	}
	spawn_check_done(sp);
}

static void
spawn_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct spawn *sp;
	int wstatus;
	pid_t pid;

	(void)sig;
	(void)what;
	(void)arg;
	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		if (!WIFEXITED(wstatus) && !WIFSIGNALED(wstatus))
			continue;
		LIST_FOREACH(sp, &spawn_list, entry) {
			if (sp->pid == pid && !sp->exited) {
				spawn_exited(sp, wstatus);
				break;
			}
		}
	}
}

void
spawn_init(struct event_base *base)
{
	spawn_base = base;
	spawn_sigchld = evsignal_new(base, SIGCHLD, spawn_sigchld_cb, NULL);
	if (spawn_sigchld == NULL || evsignal_add(spawn_sigchld, NULL) == -1)
		fatalx("unable to watch SIGCHLD");
}

struct spawn *
spawn_start(const struct spawn_opts *opts)
{
	struct spawn *sp;
	int fd;
	pid_t pid;

	pid = spawn_fork(opts, &fd);
	if (pid == -1)
		return NULL;
	evutil_make_socket_nonblocking(fd);
	sp = xcalloc(1, sizeof *sp);
	sp->pid = pid;
	sp->fd = fd;
	sp->on_output = opts->on_output;
	sp->on_done = opts->on_done;
	sp->arg = opts->arg;
	sp->free_arg = opts->free_arg;
	sp->ev_read = event_new(spawn_base, fd, EV_READ | EV_PERSIST,
	    spawn_read_cb, sp);
	event_add(sp->ev_read, NULL);
	LIST_INSERT_HEAD(&spawn_list, sp, entry);
	/* It may have exited before we listed it; look now. */
	spawn_sigchld_cb(SIGCHLD, 0, NULL);
	return sp;
}

void
spawn_kill(struct spawn *sp, int sig)
{
	if (killpg(sp->pid, sig) == -1 && errno != ESRCH)
		log_warn("unable to signal process group %ld", (long)sp->pid);
}

void
spawn_pause(struct spawn *sp)
{
	if (sp->fd != -1 && !sp->paused) {
		event_del(sp->ev_read);
		sp->paused = 1;
	}
}

void
spawn_resume(struct spawn *sp)
{
	if (sp->fd != -1 && sp->paused) {
		event_add(sp->ev_read, NULL);
		sp->paused = 0;
	}
}

pid_t
spawn_pid(const struct spawn *sp)
{
	return sp->pid;
}

struct spawn_capture {
	char *buf;
	size_t len;
	size_t limit;
	spawn_capture_cb cb;
	void *arg;
};

static void
spawn_capture_output(struct spawn *sp, const char *data, size_t len,
    void *arg)
{
	struct spawn_capture *cap = arg;

	(void)sp;
	if (len > cap->limit - cap->len)
		len = cap->limit - cap->len;
	memcpy(cap->buf + cap->len, data, len);
	cap->len += len;
}

static void
spawn_capture_done(struct spawn *sp, int status, void *arg)
{
	struct spawn_capture *cap = arg;

	(void)sp;
	cap->buf[cap->len] = '\0';
	cap->cb(status, cap->buf, cap->len, cap->arg);
	free(cap->buf);
	free(cap);
}

static void
spawn_capture_free(void *arg)
{
	struct spawn_capture *cap = arg;

	free(cap->buf);
	free(cap);
}

struct spawn *
spawn_capture(const char *const *argv, const char *dir, size_t limit,
    spawn_capture_cb cb, void *arg)
{
	struct spawn_capture *cap = xcalloc(1, sizeof *cap);
	struct spawn_opts opts = {
		.argv = argv, .dir = dir, .on_output = spawn_capture_output,
		.on_done = spawn_capture_done, .arg = cap,
	};
	struct spawn *sp;

	cap->buf = xmalloc(limit + 1);
	cap->limit = limit;
	cap->cb = cb;
	cap->arg = arg;
	sp = spawn_start(&opts);
	if (sp == NULL)
		spawn_capture_free(cap);
	else
		sp->free_arg = spawn_capture_free;
	return sp;
}

void
spawn_shutdown(void)
{
	struct spawn *sp;

	while ((sp = LIST_FIRST(&spawn_list)) != NULL) {
		LIST_REMOVE(sp, entry);
		if (!sp->exited) {
			killpg(sp->pid, SIGKILL);
			waitpid(sp->pid, NULL, 0);
		}
		spawn_close_output(sp);
		if (sp->ev_linger != NULL)
			event_free(sp->ev_linger);
		if (sp->free_arg != NULL)
			sp->free_arg(sp->arg);
		free(sp);
	}
	if (spawn_sigchld != NULL) {
		event_free(spawn_sigchld);
		spawn_sigchld = NULL;
	}
	for (size_t i = 0; i < SPAWN_FOUND_MAX; i++) {
		free(spawn_found[i].name);
		free(spawn_found[i].path_env);
		free(spawn_found[i].program);
		spawn_found[i].name = spawn_found[i].path_env =
		    spawn_found[i].program = NULL;
	}
}

int
spawn_run_sync(const char *const *argv, const char *dir, char **out)
{
	struct spawn_opts opts = { .argv = argv, .dir = dir };
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap);
	int fd, wstatus;
	ssize_t n;
	pid_t pid;

	pid = spawn_fork(&opts, &fd);
	if (pid == -1) {
		free(buf);
		return -1;
	}
	for (;;) {
		if (len + 4096 > cap)
			buf = xrealloc(buf, cap *= 2);
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	while (waitpid(pid, &wstatus, 0) == -1) {
		if (errno != EINTR) {
			free(buf);
			return -1;
		}
	}
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) :
	    WEXITSTATUS(wstatus);
}

/* SPDX-License-Identifier: MIT */
/*
 * spawn.h - child processes watched by the libevent loop.  Only spawn.c
 * forks.
 *
 * A child runs an argument vector (never a shell line built from our
 * input) in a process group of its own, with stdin from /dev/null (or a
 * file it names) and
 * stdout and stderr together on one pipe, which the loop reads as output
 * arrives.  It gets no other descriptor of ours, no handler or blocked
 * signal of ours, and it dies with us.  A child that cannot start is
 * reported by spawn_start itself, naming the step of its setup that
 * failed, through a close-on-exec pipe.  A child counts as done only when it has exited and
 * its output reached end of file, so no trailing output is lost.  When it
 * exits, whatever is left in its process group is killed, so no grandchild
 * outlives it; if something outside the group still holds the pipe, it is
 * closed after SPAWN_LINGER_MS.
 *
 * Usage: spawn_init once per process with the loop, then spawn_start.  The
 * done callback runs exactly once, after which the struct spawn is freed.
 */
#ifndef SSCI_SPAWN_H
#define SSCI_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct event_base;
struct spawn;

#define SPAWN_LINGER_MS 2000

/* Output as it arrives; data is not NUL-terminated. */
typedef void (*spawn_output_cb)(struct spawn *sp, const char *data,
    size_t len, void *arg);

/*
 * The child is done: status is its exit code, or 128 + signal number if a
 * signal ended it, as a shell reports it.
 */
typedef void (*spawn_done_cb)(struct spawn *sp, int status, void *arg);

struct spawn_opts {
	const char *const *argv;	/* argv[0] is looked up in PATH */
	const char *dir;		/* working folder, or NULL */
	const char *stdin_path;		/* the child's stdin; NULL: /dev/null */
	/*
	 * The child's stderr, opened for writing ("/dev/null"), when its
	 * output must stay clean (a tar on its stdout); NULL: with stdout.
	 */
	const char *stderr_path;
	const char *const *env;		/* extra "NAME=value", NULL-ended, or NULL */
	const char *const *unset;	/* names to leave out, NULL-ended, or NULL */
	const int *join_fds;		/* cgroup.procs files the child joins */
	int njoin_fds;
	long long memory_limit;		/* RLIMIT_AS in bytes; 0 for none */
	/*
	 * The output pipe's size to ask for, or 0 for the system's default:
	 * a test printing fast then writes on while its output is handled.
	 * Each counts against the user's pipe-user-pages-soft (64 MiB by
	 * default), so only for what prints much.
	 */
	int pipe_bytes;
	/*
	 * What the child gets when this process dies (PR_SET_PDEATHSIG):
	 * 0 for SIGKILL; a supervisor's daemons get SIGTERM to stop cleanly.
	 */
	int death_signal;
	spawn_output_cb on_output;	/* may be NULL: output is dropped */
	spawn_done_cb on_done;
	void *arg;
	/* What spawn_shutdown calls instead of on_done, or NULL. */
	void (*free_arg)(void *arg);
};

/*
 * Where a program is found as execvp would find it (a name with a '/' is
 * taken as it is): a malloc'd path, or NULL.
 */
char *spawn_find_program(const char *name);

/* Watch SIGCHLD on base.  Call once before the first spawn_start. */
void spawn_init(struct event_base *base);

/* Start a child.  Returns NULL after logging why it could not run. */
struct spawn *spawn_start(const struct spawn_opts *opts);

/* Send sig to the child's whole process group. */
void spawn_kill(struct spawn *sp, int sig);

/* Stop and resume reading output (for back-pressure). */
void spawn_pause(struct spawn *sp);
void spawn_resume(struct spawn *sp);

pid_t spawn_pid(const struct spawn *sp);

/*
 * At exit: SIGKILL every child's group and free them without calling their
 * callbacks (what they would report to is going away too).
 */
void spawn_shutdown(void);

/*
 * Run argv on the loop and collect its output (up to limit bytes; the rest
 * is dropped).  cb gets the status as above and the output, NUL-terminated.
 * Returns the child, or NULL (cb not called) if it could not start.
 */
typedef void (*spawn_capture_cb)(int status, const char *out, size_t len,
    void *arg);
struct spawn *spawn_capture(const char *const *argv, const char *dir,
    size_t limit, spawn_capture_cb cb, void *arg);

/*
 * Run argv to completion without the loop, output appended to *out (a
 * malloc'd NUL-terminated string, may be NULL to drop it).  For start-up
 * only, before the loop runs.  Returns the status as above, or -1.
 */
int spawn_run_sync(const char *const *argv, const char *dir, char **out);

#endif

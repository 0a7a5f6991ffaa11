/* SPDX-License-Identifier: MIT */
/*
 * relay.c - the least that streaming a test's output to a server costs:
 * bench/biglogs.py times it beside the test run directly and the test run
 * by ssci.
 *
 *	relay OUTFILE COMMAND [ARG...]
 *
 * runs COMMAND with its output into a pipe of 1 MiB (as ssci's runner
 * does), copies what it reads to a TCP connection on loopback, and a
 * second process copies what arrives into OUTFILE: the pipe, the process
 * between, the socket and the file that the runner and the dispatcher
 * cannot do without, and nothing else (no protocol, no masking, no
 * store).  Exits 0 when COMMAND succeeded and every byte reached OUTFILE.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static long long
copy(int in, int out, const char *what)
{
	static char buf[CHUNK];
	long long total = 0;
	ssize_t n, w, off;

	while ((n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0)
			err(1, "read (%s)", what);
		for (off = 0; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) < 0)
				err(1, "write (%s)", what);
		total += n;
	}
	return total;
}

static pid_t
receiver(int listener, const char *path)
{
	pid_t pid;
	int conn, out;

	if ((pid = fork()) < 0)
		err(1, "fork");
	if (pid > 0)
		return pid;
	if ((conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC)) < 0)
		err(1, "accept");
	if ((out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		err(1, "unable to open '%s'", path);
	copy(conn, out, "to the file");
	if (close(out) < 0)
		err(1, "unable to write '%s'", path);
	_exit(0);
}

static pid_t
test(char **argv, int *out)
{
	int fds[2], null;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		err(1, "pipe");
	(void)fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
	if ((pid = fork()) < 0)
		err(1, "fork");
	if (pid == 0) {
		if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
			err(1, "/dev/null");
		/* dup2 clears close-on-exec: the test gets 0, 1 and 2 only. */
		dup2(null, 0);
		dup2(fds[1], 1);
		execvp(argv[0], argv);
		err(127, "unable to run '%s'", argv[0]);
	}
	close(fds[1]);
	*out = fds[0];
	return pid;
}

static int
exited_ok(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int listener, conn, output;
	pid_t rpid, tpid;

	if (argc < 3) {
		fprintf(stderr, "usage: relay OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(listener, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    listen(listener, 1) < 0 ||
	    getsockname(listener, (struct sockaddr *)&sin, &len) < 0)
		err(1, "listen on loopback");
	rpid = receiver(listener, argv[1]);
	close(listener);
	if ((conn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(conn, (struct sockaddr *)&sin, sizeof sin) < 0)
		err(1, "connect on loopback");
	tpid = test(argv + 2, &output);
	copy(output, conn, "to the socket");
	close(conn);
	return exited_ok(tpid) && exited_ok(rpid) ? 0 : 1;
}

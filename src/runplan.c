/* SPDX-License-Identifier: MIT */
/*
 * runplan.c - the runner's part of pipelines: the checked-out tree's
 * .ssci.yml read with care (a regular file inside the tree, bounded), and
 * a planned job's commands as one argument vector for one shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan.h"
#include "runplan.h"
#include "util.h"

int
runplan_read(const char *tree, char **text, size_t *len, char *err,
    size_t errsize)
{
	char *path;
	struct stat st;
	ssize_t n;
	int fd;

	*text = NULL;
	*len = 0;
	xasprintf(&path, "%s/%s", tree, PLAN_FILE);
	/* A link could lead out of the tree: only the file itself counts. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	free(path);
	if (fd == -1 && errno == ENOENT)
		return 0;
	if (fd == -1) {
		snprintf(err, errsize, "%s: unable to read it: %s%s", PLAN_FILE,
		    strerror(errno), errno == ELOOP ? " (a symbolic link)" : "");
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "%s: not a regular file", PLAN_FILE);
		close(fd);
		return -1;
	}
	if (st.st_size > PLAN_MAX_BYTES) {
		snprintf(err, errsize, "%s: larger than %d bytes", PLAN_FILE,
		    PLAN_MAX_BYTES);
		close(fd);
		return -1;
	}
	*text = xmalloc((size_t)st.st_size + 1);
	n = read(fd, *text, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		snprintf(err, errsize, "%s: unable to read it", PLAN_FILE);
		free(*text);
		*text = NULL;
		return -1;
	}
	(*text)[n] = '\0';
	*len = (size_t)n;
	return 1;
}

/*
 * Each command is said in the log, then run by its own shell; the first
 * that fails ends the job with its exit status.  The commands are the
 * script's arguments, never pasted into it.
 */
#define RUNPLAN_SCRIPT \
	"for c in \"$@\"; do printf '$ %s\\n' \"$c\"; " \
	"/bin/sh -c \"$c\" || exit $?; done"

const char **
runplan_argv(char *const *run, size_t nrun)
{
	const char **argv = xcalloc(nrun + 5, sizeof *argv);
	size_t n = 0;

	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = RUNPLAN_SCRIPT;
	argv[n++] = "ssci-run";
	for (size_t i = 0; i < nrun; i++)
		argv[n++] = run[i];
	argv[n] = NULL;
	return argv;
}

/* SPDX-License-Identifier: MIT */
/*
 * cgroup.h - memory and process-count limits for one job, with a control
 * group of its own (cgroup v2, or the v1 memory and pids hierarchies).
 * Where the kernel does not let us make one, cgroup_probe says why, and
 * the caller reports it.
 */
#ifndef SSCI_CGROUP_H
#define SSCI_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP_MAX_FDS 2

struct cgroup_job {
	char *dirs[CGROUP_MAX_FDS];
	int fds[CGROUP_MAX_FDS];	/* cgroup.procs, open for the child */
	int n;
	int v2;
};

/*
 * Whether per-job groups can be made here for memory (want_memory) and
 * process counts (want_pids): 0, or -1 with why filled in.
 */
int cgroup_probe(int want_memory, int want_pids, char *why, size_t size);

/*
 * cgroup v2 with a subtree delegated to this process (systemd's
 * Delegate=yes, as in the runner's unit): the group of pid, read from
 * self (the text of /proc/self/cgroup) under root (/sys/fs/cgroup),
 * becomes the parent of the jobs' groups if it offers controllers ("memory
 * pids") and we may write it: pid moves into its leaf "runner", and the
 * controllers are handed down.  0 and *base (malloc'd), or -1.
 */
int cgroup_delegate(const char *root, const char *self, const char *controllers,
    pid_t pid, char **base);

/*
 * Make the groups of job name with the limits (0 for none) and open their
 * cgroup.procs, so that a child can join them between fork and exec by
 * writing "0".  0, or -1 after logging.
 */
int cgroup_job_create(struct cgroup_job *cg, const char *name,
    int64_t memory_bytes, int pids);

/* Whether the memory limit killed something in the job. */
int cgroup_job_oom(const struct cgroup_job *cg);

/* Kill what is left in the groups and remove them. */
void cgroup_job_destroy(struct cgroup_job *cg);

/* Remove the groups that were still busy when their jobs ended. */
void cgroup_cleanup(void);

#endif

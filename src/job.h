/* SPDX-License-Identifier: MIT */
/*
 * job.h - the states a job goes through, shared by the store, the protocol
 * and the dispatcher: queued -> running -> passed|failed|error|timeout|cancelled.
 */
#ifndef SSCI_JOB_H
#define SSCI_JOB_H

enum job_state {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_PASSED,
	JOB_FAILED,
	JOB_ERROR,
	JOB_TIMEOUT,
	JOB_CANCELLED,
};

/* "queued", "running", "passed", ...; never NULL for a valid state. */
const char *job_state_name(enum job_state state);

/* Parse a state name; returns 0 and sets *out, or -1 if unknown. */
int job_state_parse(const char *name, enum job_state *out);

/* Whether the state is final (passed, failed, error, timeout, cancelled). */
int job_state_final(enum job_state state);

#endif

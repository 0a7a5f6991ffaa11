/* SPDX-License-Identifier: MIT */
/*
 * runartifact.h - a job's artifacts on the runner (docs/ARTIFACTS.md):
 * sent after its test (runartifact.c), found in its tree
 * (runartifact_find.c), and the artifacts of the jobs it needs fetched
 * into its tree before its test.
 */
#ifndef SSCI_RUNARTIFACT_H
#define SSCI_RUNARTIFACT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "job.h"

struct runjob;

#define RUNARTIFACT_FRAME (256 * 1024)	/* bytes of one frame */
#define RUNARTIFACT_MAX_FILES 10000	/* files of one job's artifacts */

/* A file to send: its path in the job's folder, where it is read from. */
struct runartifact_file {
	char *path;
	char *open_path;
	dev_t dev;		/* what was found, checked when it is opened */
	ino_t ino;
	int64_t size;
	int mode;
};

/* runartifact.c */
/*
 * After the test ended in state: the artifacts sent (a note for each
 * refusal), then runjob_cache_finish; a job whose artifacts pass
 * --max-artifact-bytes ends as error.
 */
void runartifact_send(struct runjob *j, enum job_state state,
    int exit_code);
/* The dispatcher's answer to a file's end: code NULL for ok; both NULL
 * when the connection was lost. */
void runartifact_ended(struct runjob *j, const char *code,
    const char *message);
/* Before the test: its inputs fetched, then runjob_cache_restore. */
void runartifact_fetch(struct runjob *j);
/* The answer to an artifact_get (NULL: the connection was lost). */
void runartifact_got(struct runjob *j, const char *code, const char *message,
    int64_t size, const char *sha256, int mode);
/*
 * j was stopped (cancel, timeout): 1 if it was moving artifacts or waiting
 * to, which it no longer does (the caller ends it), else 0.
 */
int runartifact_stop(struct runjob *j);
/* An artifact_get answered for a job that is gone: its bytes dropped. */
void runartifact_drain(int64_t bytes);
/* A frame of the file being fetched, for whichever job fetches. */
void runartifact_frame(const char *data, size_t len);
/* The connection's output drained: sending goes on. */
void runartifact_drained(struct runjob *j);
/*
 * The runner's connection was lost: the transfer under way stops and
 * starts its file again once the runner is registered again (back).
 */
void runartifact_connection_lost(void);
void runartifact_connection_back(void);
/* Its transfers stopped, its state freed (the job ends or is freed). */
void runartifact_free(struct runjob *j);

/* runartifact_find.c */
/* The files j's plan names, in its tree: 0, or -1 with a note. */
int runartifact_find(struct runjob *j, struct runartifact_file **files,
    size_t *nfiles);
void runartifact_files_free(struct runartifact_file *files, size_t n);
#endif

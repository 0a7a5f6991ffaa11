/* SPDX-License-Identifier: MIT */
/*
 * artifact.h - a job's artifacts on the dispatcher's protocol port
 * (docs/ARTIFACTS.md): received from the runner that ran the job
 * (artifact_in.c) and sent to whoever asks (artifact_out.c).  Each works
 * on one connection's state; peer.c calls them from its message table.
 */
#ifndef SSCI_ARTIFACT_H
#define SSCI_ARTIFACT_H

#include <stddef.h>

/* A job message's inputs text at most (the line is 1 MiB in all). */
#define ARTIFACT_MAX_INPUTS_TEXT (512 * 1024)
/* A job's secrets' values together at most (masking holds them all). */
#define ARTIFACT_MAX_SECRET_BYTES (64 * 1024)

struct artifact_in;
struct artifact_out;
struct dispatcher;
struct peer;
struct proto_msg;

/* artifact_in.c: a file's start, one frame of it, its end. */
int artifact_in_begin(struct dispatcher *d, struct peer *p,
    const struct proto_msg *msg);
int artifact_in_data(struct dispatcher *d, struct peer *p,
    const struct proto_msg *msg);
/*
 * The file is whole: kept and listed (NULL), or an error code with why
 * written ("too_big" past --max-artifact-bytes, "refused" otherwise).
 */
const char *artifact_in_end(struct dispatcher *d, struct peer *p,
    const struct proto_msg *msg, char *why, size_t whysize);
/* A connection's upload state freed; a file that was coming removed. */
void artifact_in_free(struct artifact_in *in);
/* Files left coming by a dispatcher that was stopped removed. */
void artifact_in_clean(const char *state_dir);

/*
 * artifact_out.c: an artifact_get answered (the reply line, to be sent
 * before the frames); then the frames pumped as the output drains: 0, or
 * -1 if the file cannot be read (the asker must then be dropped).
 */
char *artifact_out_start(struct dispatcher *d, struct peer *p,
    const struct proto_msg *msg);
int artifact_out_pump(struct peer *p);
void artifact_out_free(struct artifact_out *out);
/* The artifacts of the jobs job needs, as a job message's inputs (JSON
 * text), or NULL when there are none. */
char *artifact_out_inputs(struct dispatcher *d, int64_t job);
/* A job's artifacts as a client's answer. */
char *artifact_out_list(struct dispatcher *d, const struct proto_msg *msg,
    const char *who);

#endif

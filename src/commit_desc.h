/* SPDX-License-Identifier: MIT */
/*
 * commit_desc.h - a commit as it is reported to the dispatcher: its id,
 * author and subject, read from git log's output in COMMIT_DESC_FORMAT and
 * made fit for the protocol, which refuses control characters and long
 * texts.  The observer and "ssci notify" both describe commits this way.
 */
#ifndef SSCI_COMMIT_DESC_H
#define SSCI_COMMIT_DESC_H

#include <stddef.h>

/* git log's --format for commit_desc_parse: "id US author US subject". */
#define COMMIT_DESC_FORMAT "--format=%H%x1f%an%x1f%s"

/* An author or subject longer than this (in bytes) is cut. */
#define COMMIT_DESC_MAX 1000

struct commit_desc {
	char id[65];		/* the full id, lower case */
	char *author;		/* NULL if the line had none */
	char *subject;		/* NULL if the line had none */
};

/*
 * Every line of out that starts with a commit id, in order, into *descs
 * (NULL if none): their number.  Control characters in the author and
 * subject become spaces, and each is cut at COMMIT_DESC_MAX bytes.
 */
size_t commit_desc_parse(const char *out, struct commit_desc **descs);

/* Free n descriptions and the array that holds them. */
void commit_desc_free(struct commit_desc *descs, size_t n);

#endif

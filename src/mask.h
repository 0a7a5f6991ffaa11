/* SPDX-License-Identifier: MIT */
/*
 * mask.h - a job's secrets taken out of its output before the output goes
 * anywhere (log lines, test reports, the summary): every occurrence of a
 * secret, or of its base64 form, becomes "***", also when a test writes it
 * in pieces that reach us in different reads.
 *
 * Usage: mask_new with the job's secret values, then mask_feed with the
 * output as it comes (an occurrence may be cut anywhere between two feeds),
 * mask_flush at the end of the output (or when mask_held has kept bytes
 * back too long for the caller's taste), mask_free.  mask_string masks a
 * whole string at once (a JUnit message).  A NULL mask has no secrets:
 * every function takes it, and output passes through unchanged.
 */
#ifndef SSCI_MASK_H
#define SSCI_MASK_H

#include <stddef.h>

#define MASK_REPLACEMENT "***"

struct mask;

/* Masked output goes to out(data, len, arg), never with len 0. */
typedef void (*mask_out)(const char *data, size_t len, void *arg);

/*
 * The n values (C strings: any bytes but NUL) are copied.  Each is masked
 * as itself, as its standard base64 (with and without '=' padding) and as
 * the part of its base64 that does not depend on its neighbours when it is
 * encoded inside longer data, at each of the three byte alignments (such a
 * part shorter than 8 characters is not masked: it would mask innocent
 * text).  The caller keeps values to 4..65536 bytes; an empty value is
 * ignored.  NULL when there is nothing to mask (n == 0).  Memory, fixed
 * here whatever the output: some 220 bytes per byte of the values (an
 * automaton of all their forms; 14 MiB for one value of 64 KiB).
 */
struct mask *mask_new(char *const *values, size_t n);
void mask_free(struct mask *m);

/*
 * Pass on data masked.  Bytes that cannot begin an occurrence go out in
 * this call; at most the longest pattern's length - 1 bytes are held back
 * until a later feed says whether they begin one.  Occurrences that
 * overlap are replaced left to right, the longest at a place first.
 */
void mask_feed(struct mask *m, const char *data, size_t len, mask_out out,
    void *arg);
/* The end of the output: what is held back goes out, masked. */
void mask_flush(struct mask *m, mask_out out, void *arg);
/* Bytes held back now. */
size_t mask_held(const struct mask *m);

/*
 * s masked as a whole (it is independent of any stream being fed): 1 and
 * *masked (malloc'd) when something was replaced, else 0 and *masked
 * untouched.
 */
int mask_string(const struct mask *m, const char *s, char **masked);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * store_copy.c - a whole store copied into another (ssci migrate), for
 * stores of one backend: the backend copies.
 */
#include "store_backend.h"
#include "util.h"

int
store_copy(struct store *from, struct store *to, store_copied_cb cb,
    void *arg)
{
	if (from->backend != to->backend) {
		log_warnx("unable to copy between stores of two kinds");
		return -1;
	}
	return from->backend->copy(from, to, cb, arg);
}

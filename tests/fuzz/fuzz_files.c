/* SPDX-License-Identifier: MIT */
/*
 * fuzz_files.c - libFuzzer target for the files ssci reads back that
 * anyone with the repository or the state dir could have written: a line
 * of .git/ssci/pending, a lock file's note, a repository URL's class.  No
 * input may crash them, and what a pending line gives is valid.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lock.h"
#include "pending.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct pending_item it;
	struct lock_holder h;
	int kind;

	memcpy(text, data, size);
	text[size] = '\0';
	if (pending_parse_line(text, &it) == 0) {
		check(strlen(it.commit) == 40 || strlen(it.commit) == 64);
		check(it.branch == NULL || branch_name_valid(it.branch));
		check(repo_url_valid(it.repo));
		pending_item_release(&it);
	}
	lock_parse(text, &h);
	check(h.pid >= 0 && h.up >= 0);
	check(memchr(h.address, '\0', sizeof h.address) != NULL);
	check(memchr(h.name, '\0', sizeof h.name) != NULL);
	kind = repo_url_kind(text);
	check(kind == REPO_URL_REMOTE || kind == REPO_URL_LOCAL ||
	    kind == REPO_URL_REFUSED);
	free(text);
	return 0;
}

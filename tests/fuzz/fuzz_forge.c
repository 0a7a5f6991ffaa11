/* SPDX-License-Identifier: MIT */
/*
 * fuzz_forge.c - libFuzzer target for a forge's webhook payload
 * (forge_hook_parse).  The first byte picks the forge and the event
 * header; the rest is the body.  A payload is refused with a message, or
 * read into an event within the rules: commit ids of 40 or 64 lowercase
 * hex digits, each once and at most FORGE_HOOK_MAX_COMMITS, a branch
 * git would take, texts without control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forge.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_text(const char *s)
{
	if (s == NULL)
		return;
	check(utf8_valid(s, strlen(s)));
	for (; *s != '\0'; s++)
		check((unsigned char)*s >= 0x20 && *s != 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		enum forge_kind kind;
		const char *event;
	} picks[] = {
		{ FORGE_GITHUB, "push" }, { FORGE_GITHUB, "pull_request" },
		{ FORGE_GITHUB, "ping" }, { FORGE_GITEA, "push" },
		{ FORGE_GITEA, "pull_request" }, { FORGE_GITLAB, "Push Hook" },
		{ FORGE_GITLAB, "Merge Request Hook" }, { FORGE_GITLAB, "x" },
	};
	struct forge_event ev;
	char why[200], norm[65];
	size_t pick;

	if (size == 0)
		return 0;
	pick = data[0] % (sizeof picks / sizeof picks[0]);
	why[0] = '\0';
	if (forge_hook_parse(picks[pick].kind, picks[pick].event,
	    (const char *)data + 1, size - 1, &ev, why, sizeof why) == -1) {
		check(why[0] != '\0' && ev.commits == NULL);
		return 0;
	}
	check(ev.ncommits <= FORGE_HOOK_MAX_COMMITS);
	for (size_t i = 0; i < ev.ncommits; i++) {
		check(commit_id_normalize(ev.commits[i].id, norm) == 0 &&
		    strcmp(norm, ev.commits[i].id) == 0);
		for (size_t j = 0; j < i; j++)
			check(strcmp(ev.commits[i].id, ev.commits[j].id) != 0);
		check_text(ev.commits[i].subject);
		check_text(ev.commits[i].author);
	}
	if (ev.kind == FORGE_EVENT_PUSH || ev.kind == FORGE_EVENT_PULL)
		check(ev.ncommits > 0 && ev.branch != NULL &&
		    branch_name_valid(ev.branch) && ev.clone_url != NULL);
	if (ev.kind == FORGE_EVENT_IGNORED)
		check(ev.why != NULL && ev.ncommits == 0);
	check_text(ev.why);
	check_text(ev.pr_title);
	forge_event_release(&ev);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * forge.h - where the code lives: the forges a dispatcher hears webhooks
 * from and reports statuses to (GitHub, Gitea or Forgejo, GitLab), the
 * repositories of theirs it may build (forge.c), and a webhook's payload
 * read into what it asks us to build (forge_hook.c).
 *
 * Which repositories are built is configuration, never the payload's
 * word: a payload's clone URL must lie under a configured forge's URL and
 * name an allowed OWNER/NAME.
 */
#ifndef SSCI_FORGE_H
#define SSCI_FORGE_H

#include <stddef.h>

enum forge_kind {
	FORGE_GITHUB,
	FORGE_GITEA,		/* and Forgejo, which speaks the same */
	FORGE_GITLAB,
};

/* What a webhook's body may weigh. */
#define FORGE_HOOK_MAX_BODY (25 * 1024 * 1024)
/* Commits one push may ask for: GitHub lists 2048 at most. */
#define FORGE_HOOK_MAX_COMMITS 2048
/* A delivery id longer than this is refused. */
#define FORGE_DELIVERY_MAX 128

struct forge {
	char *name;
	enum forge_kind kind;
	char *url;		/* its base URL, without a trailing '/' */
	char *api;		/* its REST API's base URL */
	char *secret;		/* the webhooks' shared secret */
	char *token;		/* the API's token; NULL: no statuses */
};

struct forges {
	struct forge *list;
	size_t n;
	char **repos;		/* allowed "OWNER/NAME", or "*" */
	size_t nrepos;
};

/* "github", "gitea", "gitlab"; "forgejo" parses as gitea. */
const char *forge_kind_name(enum forge_kind kind);
int forge_kind_parse(const char *s, enum forge_kind *out);

/*
 * "NAME=KIND,URL,SECRET_FILE[,TOKEN_FILE]" into f (no file read yet) and
 * the files' names: 0, or -1 with why.
 */
int forge_spec_parse(const char *spec, struct forge *f, char **secret_file,
    char **token_file, char *why, size_t size);

/* An allowed repository as --forge-repo takes it: "OWNER/NAME" or "*". */
int forge_repo_valid(const char *s);

/*
 * Every --forge spec into f, secrets and tokens read from their files
 * (which others may not read), and the allowed repositories: 0, or -1
 * after saying why on stderr.
 */
int forges_load(struct forges *f, const char *const *specs, size_t nspecs,
    const char *const *repos, size_t nrepos);
void forges_release(struct forges *f);

/*
 * Read the secret and token files of specs again (a reload) into f,
 * which specs made: 0, or -1 after saying why (f as it was), also when
 * specs now name other forges, which takes a restart.
 */
int forges_reread(struct forges *f, const char *const *specs, size_t nspecs);

/*
 * Whether a repository URL lies under forge g: 1 with the repository's
 * "OWNER/NAME" (malloc'd) in *path, or 0.  The URL may end in ".git".
 */
int forge_match(const struct forge *g, const char *url, char **path);

/*
 * The forge (of kind, or of any kind if kind < 0) that a repository URL
 * lies under, the one with the longest URL if several do, with *path as
 * forge_match's; or NULL.
 */
const struct forge *forges_match(const struct forges *f, int kind,
    const char *url, char **path);

/* Whether path ("OWNER/NAME") may be built. */
int forges_allowed(const struct forges *f, const char *path);

/* What a webhook asks for. */
enum forge_event_kind {
	FORGE_EVENT_PING,
	FORGE_EVENT_PUSH,
	FORGE_EVENT_PULL,	/* a pull or merge request */
	FORGE_EVENT_IGNORED,	/* nothing to build: why says so */
};

struct forge_commit {
	char id[65];
	char *subject;		/* may be NULL */
	char *author;		/* may be NULL */
};

/* A webhook read; strings are owned (forge_event_release). */
struct forge_event {
	enum forge_event_kind kind;
	char *why;		/* IGNORED: why nothing is built */
	char *clone_url;	/* the repository to build; NULL: an IGNORED
				 * event that names none */
	char *branch;		/* a push's branch; "pr/N" for a pull request */
	struct forge_commit *commits;	/* oldest first, the tip last */
	size_t ncommits;
	char *pr_title;		/* a pull request's title and page */
	char *pr_url;
};

/*
 * Read a webhook from a forge of kind: event is its event header's value
 * (X-GitHub-Event, X-Gitea-Event, X-Gitlab-Event), body its len bytes.
 * 0 and *ev; or -1 with why (malformed: not JSON, a field missing or of
 * the wrong kind, a bad commit id or branch).
 */
int forge_hook_parse(enum forge_kind kind, const char *event,
    const char *body, size_t len, struct forge_event *ev, char *why,
    size_t size);
void forge_event_release(struct forge_event *ev);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * forge_hook.c - a forge's webhook payload read into what it asks us to
 * build: a push's commits, oldest first, or a pull request's head.  The
 * payload is untrusted text: every field is checked for its kind, commit
 * ids and branch names as strictly as the protocol checks them, texts
 * cleaned of control characters and cut, and the number of commits
 * bounded.  The signature was checked before (hooks.c); which
 * repositories may be built is forge.c's to say.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "forge.h"
#include "util.h"

/* A subject, an author or a title longer than this (bytes) is cut. */
#define FORGE_TEXT_MAX 300

static int
hook_fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

/* A string member of obj, or NULL if it is absent or not a string. */
static const char *
hook_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A string at a path of object keys ("repository", "clone_url", NULL). */
static const char *
hook_path(const json_t *obj, ...)
{
	const char *key;
	va_list ap;

	va_start(ap, obj);
	while (obj != NULL && (key = va_arg(ap, const char *)) != NULL)
		obj = json_object_get(obj, key);
	va_end(ap);
	return json_string_value(obj);
}

/*
 * One line of text: the first line of s, control characters made spaces,
 * cut at FORGE_TEXT_MAX bytes between UTF-8 characters, made valid UTF-8.
 * NULL stays NULL.
 */
static char *
hook_text(const char *s)
{
	size_t len;

	if (s == NULL)
		return NULL;
	len = strcspn(s, "\r\n");
	if (len > FORGE_TEXT_MAX) {
		len = FORGE_TEXT_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	char *text = utf8_sanitize(s, len, NULL);

	for (char *c = text; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	}
	return text;
}

/* Whether id is all zeros: git's name for "no commit" (a deleted branch). */
static int
hook_zero_id(const char *id)
{
	return id != NULL && *id != '\0' && strspn(id, "0") == strlen(id);
}

static void
hook_ignore(struct forge_event *ev, const char *fmt, ...)
{
	va_list ap;
	char buf[200];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ev->kind = FORGE_EVENT_IGNORED;
	ev->why = hook_text(buf);
}

/* Add commit id (with its message and author, either may be NULL). */
static int
hook_add_commit(struct forge_event *ev, const char *id, const char *message,
    const char *author, char *why, size_t size)
{
	struct forge_commit *c;
	char norm[65];

	if (id == NULL || commit_id_normalize(id, norm) == -1)
		return hook_fail(why, size, "a commit id is not 40 or 64 hex "
		    "digits");
	for (size_t i = 0; i < ev->ncommits; i++) {
		if (strcmp(ev->commits[i].id, norm) == 0)
			return 0;
	}
	if (ev->ncommits == FORGE_HOOK_MAX_COMMITS)
		return hook_fail(why, size, "more than %d commits",
		    FORGE_HOOK_MAX_COMMITS);
	ev->commits = xrealloc(ev->commits, (ev->ncommits + 1) *
	    sizeof *ev->commits);
	c = &ev->commits[ev->ncommits++];
	memcpy(c->id, norm, sizeof c->id);
	c->subject = hook_text(message);
	c->author = hook_text(author);
	return 0;
}

static void
hook_reverse(struct forge_event *ev)
{
	for (size_t i = 0, j = ev->ncommits; i + 1 < j; i++, j--) {
		struct forge_commit t = ev->commits[i];

		ev->commits[i] = ev->commits[j - 1];
		ev->commits[j - 1] = t;
	}
}

/*
 * A push's commits, oldest first, the tip last.  GitHub lists them oldest
 * first; Gitea, and GitLab since 14, newest first: a list that begins
 * with the tip is turned round, and one without it is taken in its
 * forge's order.
 */
static int
hook_push_commits(enum forge_kind kind, const json_t *root, const char *tip,
    struct forge_event *ev, char *why, size_t size)
{
	const json_t *commits = json_object_get(root, "commits"), *c;
	char norm[65];
	size_t i, n;
	int reverse;

	if (commits != NULL && !json_is_array(commits) && !json_is_null(commits))
		return hook_fail(why, size, "'commits' is not a list");
	n = json_array_size(commits);
	if (n > FORGE_HOOK_MAX_COMMITS)
		return hook_fail(why, size, "more than %d commits",
		    FORGE_HOOK_MAX_COMMITS);
	if (commit_id_normalize(tip, norm) == -1)
		return hook_fail(why, size, "the pushed tip is not a commit id");
	reverse = kind != FORGE_GITHUB;
	if (n > 1) {
		const char *first = hook_str(json_array_get(commits, 0), "id");
		const char *last = hook_str(json_array_get(commits, n - 1),
		    "id");
		char a[65];

		if (first != NULL && commit_id_normalize(first, a) == 0 &&
		    strcmp(a, norm) == 0)
			reverse = 1;
		else if (last != NULL && commit_id_normalize(last, a) == 0 &&
		    strcmp(a, norm) == 0)
			reverse = 0;
	}
	json_array_foreach(commits, i, c) {
		if (!json_is_object(c))
			return hook_fail(why, size, "a commit is not an object");
		if (hook_add_commit(ev, hook_str(c, "id"), hook_str(c,
		    "message"), hook_path(c, "author", "name", NULL), why,
		    size) == -1)
			return -1;
	}
	if (reverse)
		hook_reverse(ev);
	/* The tip last, where it is not already. */
	for (i = 0; i < ev->ncommits && strcmp(ev->commits[i].id, norm) != 0;
	    i++)
		;
	if (i == ev->ncommits) {
		const json_t *head = json_object_get(root, "head_commit");

		return hook_add_commit(ev, norm, hook_str(head, "message"),
		    hook_path(head, "author", "name", NULL), why, size);
	}
	if (i + 1 < ev->ncommits) {
		struct forge_commit t = ev->commits[i];

		memmove(&ev->commits[i], &ev->commits[i + 1],
		    (ev->ncommits - i - 1) * sizeof *ev->commits);
		ev->commits[ev->ncommits - 1] = t;
	}
	return 0;
}

static int
hook_push(enum forge_kind kind, const json_t *root, struct forge_event *ev,
    char *why, size_t size)
{
	const char *ref = hook_str(root, "ref"), *after = hook_str(root, "after");
	const char *url = kind == FORGE_GITLAB ?
	    hook_path(root, "project", "git_http_url", NULL) :
	    hook_path(root, "repository", "clone_url", NULL);

	if (ref == NULL || url == NULL)
		return hook_fail(why, size, "a push needs 'ref' and the "
		    "repository's clone URL");
	ev->clone_url = xstrdup(url);
	if (strncmp(ref, "refs/heads/", 11) != 0) {
		hook_ignore(ev, "'%.100s' is not a branch", ref);
		return 0;
	}
	if (kind == FORGE_GITLAB && json_is_string(json_object_get(root,
	    "checkout_sha")) && !hook_zero_id(after))
		after = hook_str(root, "checkout_sha");
	if (json_is_true(json_object_get(root, "deleted")) ||
	    hook_zero_id(after) || (kind == FORGE_GITLAB &&
	    json_is_null(json_object_get(root, "checkout_sha")))) {
		hook_ignore(ev, "branch '%.100s' was deleted", ref + 11);
		return 0;
	}
	if (after == NULL)
		return hook_fail(why, size, "a push needs 'after'");
	if (!branch_name_valid(ref + 11))
		return hook_fail(why, size, "the branch's name is not one we "
		    "take");
	ev->kind = FORGE_EVENT_PUSH;
	ev->branch = xstrdup(ref + 11);
	return hook_push_commits(kind, root, after, ev, why, size);
}

/* Which pull request actions build its head: a new or moved head. */
static int
hook_pull_builds(enum forge_kind kind, const char *action, const json_t *attrs)
{
	if (action == NULL)
		return 0;
	if (kind == FORGE_GITLAB)
		/* An update without oldrev changed its title, not its code. */
		return strcmp(action, "open") == 0 ||
		    strcmp(action, "reopen") == 0 ||
		    (strcmp(action, "update") == 0 &&
		    json_is_string(json_object_get(attrs, "oldrev")));
	return strcmp(action, "opened") == 0 ||
	    strcmp(action, "reopened") == 0 ||
	    strcmp(action, kind == FORGE_GITHUB ? "synchronize" :
	    "synchronized") == 0;
}

static int
hook_pull(enum forge_kind kind, const json_t *root, struct forge_event *ev,
    char *why, size_t size)
{
	const json_t *pr, *number;
	const char *action, *url, *sha, *message = NULL, *author = NULL;
	char branch[40];

	if (kind == FORGE_GITLAB) {
		pr = json_object_get(root, "object_attributes");
		number = json_object_get(pr, "iid");
		action = hook_str(pr, "action");
		url = hook_path(root, "project", "git_http_url", NULL);
		sha = hook_path(pr, "last_commit", "id", NULL);
		message = hook_path(pr, "last_commit", "message", NULL);
		author = hook_path(pr, "last_commit", "author", "name", NULL);
	} else {
		pr = json_object_get(root, "pull_request");
		number = json_object_get(root, "number");
		if (number == NULL)
			number = json_object_get(pr, "number");
		action = hook_str(root, "action");
		url = hook_path(root, "repository", "clone_url", NULL);
		sha = hook_path(pr, "head", "sha", NULL);
	}
	if (!json_is_object(pr) || url == NULL)
		return hook_fail(why, size, "a pull request needs its object "
		    "and the repository's clone URL");
	ev->clone_url = xstrdup(url);
	if (!hook_pull_builds(kind, action, pr)) {
		hook_ignore(ev, "pull request action '%.40s' builds nothing",
		    action != NULL ? action : "");
		return 0;
	}
	if (!json_is_integer(number) || json_integer_value(number) < 1 ||
	    json_integer_value(number) > 1000000000)
		return hook_fail(why, size, "a pull request needs its number");
	if (sha == NULL)
		return hook_fail(why, size, "a pull request needs its head "
		    "commit");
	snprintf(branch, sizeof branch, "pr/%lld",
	    (long long)json_integer_value(number));
	ev->kind = FORGE_EVENT_PULL;
	ev->branch = xstrdup(branch);
	ev->pr_title = hook_text(hook_str(pr, "title"));
	url = hook_str(pr, kind == FORGE_GITLAB ? "url" : "html_url");
	if (url != NULL && (strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "http://", 7) == 0))
		ev->pr_url = hook_text(url);
	return hook_add_commit(ev, sha, message, author, why, size);
}

int
forge_hook_parse(enum forge_kind kind, const char *event, const char *body,
    size_t len, struct forge_event *ev, char *why, size_t size)
{
	json_error_t err;
	json_t *root;
	int rc = 0;

	memset(ev, 0, sizeof *ev);
	if (event == NULL || *event == '\0')
		return hook_fail(why, size, "the event's kind is not given");
	if (len == 0)
		return hook_fail(why, size, "the body is empty");
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return hook_fail(why, size, "not JSON: %s (line %d)", err.text,
		    err.line);
	if (!json_is_object(root))
		rc = hook_fail(why, size, "not a JSON object");
	else if (kind != FORGE_GITLAB && strcmp(event, "ping") == 0)
		ev->kind = FORGE_EVENT_PING;
	else if (strcmp(event, kind == FORGE_GITLAB ? "Push Hook" : "push") == 0)
		rc = hook_push(kind, root, ev, why, size);
	else if (strcmp(event, kind == FORGE_GITLAB ? "Merge Request Hook" :
	    "pull_request") == 0)
		rc = hook_pull(kind, root, ev, why, size);
	else {
		/* Its repository, if it names one, for the check that follows. */
		const char *url = kind == FORGE_GITLAB ?
		    hook_path(root, "project", "git_http_url", NULL) :
		    hook_path(root, "repository", "clone_url", NULL);

		hook_ignore(ev, "a '%.60s' event builds nothing", event);
		ev->clone_url = url != NULL ? xstrdup(url) : NULL;
	}
	json_decref(root);
	if (rc == -1)
		forge_event_release(ev);
	return rc;
}

void
forge_event_release(struct forge_event *ev)
{
	for (size_t i = 0; i < ev->ncommits; i++) {
		free(ev->commits[i].subject);
		free(ev->commits[i].author);
	}
	free(ev->commits);
	free(ev->why);
	free(ev->clone_url);
	free(ev->branch);
	free(ev->pr_title);
	free(ev->pr_url);
	memset(ev, 0, sizeof *ev);
}

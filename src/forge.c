/* SPDX-License-Identifier: MIT */
/*
 * forge.c - the forges the dispatcher is told of (--forge) and the
 * repositories of theirs it may build (--forge-repo): their secrets and
 * tokens read from files, their API's address, and a repository URL
 * matched to its forge and OWNER/NAME.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "forge.h"
#include "util.h"

static const char *const forge_kind_names[] = {
	[FORGE_GITHUB] = "github",
	[FORGE_GITEA] = "gitea",
	[FORGE_GITLAB] = "gitlab",
};

const char *
forge_kind_name(enum forge_kind kind)
{
	return (unsigned)kind <= FORGE_GITLAB ? forge_kind_names[kind] : "?";
}

int
forge_kind_parse(const char *s, enum forge_kind *out)
{
	for (int k = FORGE_GITHUB; k <= FORGE_GITLAB; k++) {
		if (strcmp(s, forge_kind_names[k]) == 0) {
			*out = (enum forge_kind)k;
			return 0;
		}
	}
	if (strcmp(s, "forgejo") == 0) {
		*out = FORGE_GITEA;
		return 0;
	}
	return -1;
}

/* One segment of OWNER/NAME: letters, digits, '.', '_', '-'; not "." or "..". */
static int
forge_segment_valid(const char *s, size_t len)
{
	if (len == 0 || len > 255 || (len <= 2 && strncmp(s, "..", len) == 0))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* "OWNER/NAME", GitLab's "GROUP/SUB/NAME" too: two segments or more. */
static int
forge_path_valid(const char *s)
{
	const char *slash;
	int segments = 0;

	if (strlen(s) > 1024)
		return 0;
	for (;;) {
		slash = strchr(s, '/');
		if (!forge_segment_valid(s, slash ? (size_t)(slash - s) :
		    strlen(s)))
			return 0;
		segments++;
		if (slash == NULL)
			return segments >= 2;
		s = slash + 1;
	}
}

int
forge_repo_valid(const char *s)
{
	return strcmp(s, "*") == 0 || forge_path_valid(s);
}

/* A base URL: http(s)://HOST[:PORT][/PATH], no query, no credentials. */
static int
forge_url_valid(const char *url)
{
	const char *host;

	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return 0;
	if (*host == '\0' || *host == '/' || strlen(url) > 1000)
		return 0;
	for (const char *c = host; *c != '\0'; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '@' ||
		    *c == '?' || *c == '#' || *c == '\\')
			return 0;
	}
	return 1;
}

int
forge_spec_parse(const char *spec, struct forge *f, char **secret_file,
    char **token_file, char *why, size_t size)
{
	const char *eq = strchr(spec, '=');
	char *copy, *fields[5], *save = NULL, *tok;
	size_t n = 0, len;

	memset(f, 0, sizeof *f);
	*secret_file = *token_file = NULL;
	if (eq == NULL || eq == spec) {
		snprintf(why, size, "it is not NAME=KIND,URL,SECRET_FILE"
		    "[,TOKEN_FILE]");
		return -1;
	}
	copy = xstrdup(eq + 1);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && n < 5;
	    tok = strtok_r(NULL, ",", &save))
		fields[n++] = tok;
	if (n < 3 || n > 4) {
		snprintf(why, size, "it is not NAME=KIND,URL,SECRET_FILE"
		    "[,TOKEN_FILE]");
		goto fail;
	}
	f->name = xstrndup(spec, (size_t)(eq - spec));
	if (!forge_segment_valid(f->name, strlen(f->name))) {
		snprintf(why, size, "a forge's name is letters, digits, '.', "
		    "'_' and '-'");
		goto fail;
	}
	if (forge_kind_parse(fields[0], &f->kind) == -1) {
		snprintf(why, size, "its kind is github, gitea, forgejo or "
		    "gitlab, not '%.40s'", fields[0]);
		goto fail;
	}
	len = strlen(fields[1]);
	while (len > 0 && fields[1][len - 1] == '/')
		fields[1][--len] = '\0';
	if (!forge_url_valid(fields[1])) {
		snprintf(why, size, "its URL must be http:// or https://, with "
		    "a host and no credentials");
		goto fail;
	}
	f->url = xstrdup(fields[1]);
	if (f->kind == FORGE_GITHUB && strcmp(f->url, "https://github.com") == 0)
		f->api = xstrdup("https://api.github.com");
	else
		xasprintf(&f->api, "%s%s", f->url, f->kind == FORGE_GITHUB ?
		    "/api/v3" : f->kind == FORGE_GITEA ? "/api/v1" : "/api/v4");
	*secret_file = xstrdup(fields[2]);
	if (n == 4)
		*token_file = xstrdup(fields[3]);
	free(copy);
	return 0;
fail:
	free(copy);
	free(f->name);
	free(f->url);
	memset(f, 0, sizeof *f);
	return -1;
}

static void
forge_release(struct forge *f)
{
	free(f->name);
	free(f->url);
	free(f->api);
	free(f->secret);
	free(f->token);
}

int
forges_load(struct forges *f, const char *const *specs, size_t nspecs,
    const char *const *repos, size_t nrepos)
{
	char why[200], *secret_file, *token_file;

	memset(f, 0, sizeof *f);
	f->list = nspecs > 0 ? xcalloc(nspecs, sizeof *f->list) : NULL;
	for (size_t i = 0; i < nspecs; i++) {
		struct forge *g = &f->list[f->n];

		if (forge_spec_parse(specs[i], g, &secret_file, &token_file,
		    why, sizeof why) == -1) {
			fprintf(stderr, "ssci: invalid --forge '%s': %s\n",
			    specs[i], why);
			goto fail;
		}
		f->n++;
		for (size_t j = 0; j + 1 < f->n; j++) {
			if (strcmp(f->list[j].name, g->name) == 0) {
				fprintf(stderr, "ssci: two forges named '%s'\n",
				    g->name);
				free(secret_file);
				free(token_file);
				goto fail;
			}
		}
		g->secret = auth_read_token(secret_file);
		if (g->secret != NULL && token_file != NULL)
			g->token = auth_read_token(token_file);
		free(secret_file);
		if (g->secret == NULL || (token_file != NULL &&
		    g->token == NULL)) {
			free(token_file);
			goto fail;
		}
		free(token_file);
	}
	f->repos = nrepos > 0 ? xcalloc(nrepos, sizeof *f->repos) : NULL;
	for (size_t i = 0; i < nrepos; i++) {
		if (!forge_repo_valid(repos[i])) {
			fprintf(stderr, "ssci: invalid --forge-repo '%s': it is "
			    "OWNER/NAME or *\n", repos[i]);
			goto fail;
		}
		f->repos[f->nrepos++] = xstrdup(repos[i]);
	}
	return 0;
fail:
	forges_release(f);
	return -1;
}

void
forges_release(struct forges *f)
{
	for (size_t i = 0; i < f->n; i++)
		forge_release(&f->list[i]);
	free(f->list);
	strv_free(f->repos, f->nrepos);
	memset(f, 0, sizeof *f);
}

int
forges_reread(struct forges *f, const char *const *specs, size_t nspecs)
{
	struct forges fresh;
	size_t i;

	if (forges_load(&fresh, specs, nspecs, NULL, 0) == -1)
		return -1;
	for (i = 0; fresh.n == f->n && i < f->n; i++) {
		const struct forge *a = &f->list[i], *b = &fresh.list[i];

		if (strcmp(a->name, b->name) != 0 || a->kind != b->kind ||
		    strcmp(a->url, b->url) != 0 ||
		    (a->token == NULL) != (b->token == NULL))
			break;
	}
	if (fresh.n != f->n || i < f->n) {
		log_warnx("the forges (--forge) are not as at start: that "
		    "takes a restart");
		forges_release(&fresh);
		return -1;
	}
	for (i = 0; i < f->n; i++) {
		char *secret = f->list[i].secret, *token = f->list[i].token;

		f->list[i].secret = fresh.list[i].secret;
		f->list[i].token = fresh.list[i].token;
		fresh.list[i].secret = secret;
		fresh.list[i].token = token;
	}
	forges_release(&fresh);
	return 0;
}

int
forge_match(const struct forge *g, const char *url, char **path)
{
	size_t base = strlen(g->url), len;
	const char *rest;

	*path = NULL;
	if (url == NULL || strncasecmp(url, g->url, base) != 0 ||
	    url[base] != '/')
		return 0;
	rest = url + base + 1;
	len = strlen(rest);
	if (len > 4 && strcmp(rest + len - 4, ".git") == 0)
		len -= 4;
	*path = xstrndup(rest, len);
	if (forge_path_valid(*path))
		return 1;
	free(*path);
	*path = NULL;
	return 0;
}

const struct forge *
forges_match(const struct forges *f, int kind, const char *url, char **path)
{
	const struct forge *best = NULL;
	char *p;

	*path = NULL;
	for (size_t i = 0; i < f->n; i++) {
		const struct forge *g = &f->list[i];

		if ((kind >= 0 && (int)g->kind != kind) ||
		    !forge_match(g, url, &p))
			continue;
		/* A forge under another's URL (http://h/gitlab) is the nearer. */
		if (best == NULL || strlen(g->url) > strlen(best->url)) {
			free(*path);
			*path = p;
			best = g;
		} else
			free(p);
	}
	return best;
}

int
forges_allowed(const struct forges *f, const char *path)
{
	for (size_t i = 0; i < f->nrepos; i++) {
		/* Forges take names in any case: Owner/Repo is owner/repo. */
		if (strcmp(f->repos[i], "*") == 0 ||
		    strcasecmp(f->repos[i], path) == 0)
			return 1;
	}
	return 0;
}

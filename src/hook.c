/* SPDX-License-Identifier: MIT */
/*
 * hook.c - "ssci hook install|remove REPO": a git hook that runs
 * "ssci notify" for new commits, so testing starts at once instead of at
 * the observer's next poll.  A working repository gets post-commit, a bare
 * one post-receive.  A hook that is not ours is never overwritten.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "repo.h"
#include "spawn.h"
#include "util.h"

#define HOOK_MARKER "# Installed by \"ssci hook install\""

static const struct cmd_opt hook_opts[] = {
	CMD_OPT_HELP,
	CMD_OPT_END,
};

static const struct cmd_spec hook_spec = {
	"usage: ssci hook install REPO\n"
	"       ssci hook remove REPO\n", "h", hook_opts,
	NULL, 0, 0,
};

/*
 * The hook's path for the repository at repo, or NULL (logged): where git
 * will look for it, which core.hooksPath may move out of .git/hooks.
 */
static char *
hook_path(const char *repo)
{
	char *gitdir, *bare = NULL, *out = NULL, *path;
	const char *name;
	int is_bare;

	if ((gitdir = repo_git_dir(repo)) == NULL)
		return NULL;
	free(gitdir);
	spawn_run_sync((const char *const[]){ "git", "rev-parse",
	    "--is-bare-repository", NULL }, repo, &bare);
	is_bare = bare != NULL && strncmp(bare, "true", 4) == 0;
	free(bare);
	name = is_bare ? "hooks/post-receive" : "hooks/post-commit";
	if (spawn_run_sync((const char *const[]){ "git", "rev-parse",
	    "--git-path", name, NULL }, repo, &out) != 0 || out == NULL ||
	    out[0] == '\0') {
		log_warnx("unable to find where the hooks of '%s' go", repo);
		free(out);
		return NULL;
	}
	out[strcspn(out, "\n")] = '\0';
	/* Relative to the repository, as git answers it. */
	if (out[0] == '/')
		path = out;
	else {
		xasprintf(&path, "%s/%s", repo, out);
		free(out);
	}
	return path;
}

/* path quoted for sh: inside single quotes, ' written as '\''. */
static char *
sh_quote(const char *s)
{
	char *out = xmalloc(strlen(s) * 4 + 3), *o = out;

	*o++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *s;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/*
 * The whole text of our hook, running the ssci quoted as quoted ('ssci'
 * when it is on PATH).  The hook never fails a commit or a push: without
 * ssci it says what to do; a dispatcher that is down gets the commits
 * later (notify keeps them in .git/ssci/pending).
 */
static char *
hook_text(const char *quoted, int post_receive)
{
	char *text;

	xasprintf(&text, "#!/bin/sh\n%s: it reports new commits to\n"
	    "# SuperSimpleCI.  Take it out with \"ssci hook remove\".\n"
	    "ssci=%s\n"
	    "if ! command -v \"$ssci\" >/dev/null 2>&1; then\n"
	    "\techo \"ssci hook: $ssci not found: put ssci on PATH, or run "
	    "'ssci hook install' again\" >&2\n"
	    "\texit 0\n"
	    "fi\n"
	    "\"$ssci\" notify %s\n"
	    "exit 0\n", HOOK_MARKER, quoted,
	    post_receive ? "--post-receive" : "HEAD");
	return text;
}

/* The hook of ssci before it looked for ssci on PATH, to recognise it. */
static char *
hook_text_v1(const char *quoted, int post_receive)
{
	char *text;

	xasprintf(&text, "#!/bin/sh\n%s: it reports new commits to\n"
	    "# SuperSimpleCI.  Take it out with \"ssci hook remove\".\n"
	    "exec %s notify %s\n", HOOK_MARKER, quoted,
	    post_receive ? "--post-receive" : "HEAD");
	return text;
}

/* The quoted word after key ("\nssci=", "\nexec ") up to end, or NULL. */
static char *
hook_word(const char *buf, const char *key, const char *end)
{
	const char *start = strstr(buf, key), *stop;

	if (start == NULL)
		return NULL;
	start += strlen(key);
	if ((stop = strstr(start, end)) == NULL)
		return NULL;
	return xstrndup(start, (size_t)(stop - start));
}

/*
 * Whether the file at path is exactly a hook we installed (a hook that
 * only mentions us is the user's); -1 if it is absent.  The file names
 * the binary: the text we would write with it must be the whole file.
 */
static int
hook_is_ours(const char *path)
{
	char buf[4096], *quoted, *text;
	size_t n;
	FILE *f = fopen(path, "re");
	int ours = 0;

	if (f == NULL)
		return errno == ENOENT ? -1 : 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (int v = 0; v <= 1 && !ours; v++) {
		quoted = v == 0 ? hook_word(buf, "\nssci=", "\n") :
		    hook_word(buf, "\nexec ", " notify ");
		for (int pr = 0; quoted != NULL && pr <= 1 && !ours; pr++) {
			text = v == 0 ? hook_text(quoted, pr) :
			    hook_text_v1(quoted, pr);
			ours = strlen(text) == n && memcmp(text, buf, n) == 0;
			free(text);
		}
		free(quoted);
	}
	return ours;
}

/* How the hook names ssci: 'ssci' when PATH has one, else this binary. */
static char *
hook_ssci(void)
{
	char self[PATH_MAX], *found = spawn_find_program("ssci");
	ssize_t n;

	if (found != NULL) {
		free(found);
		return xstrdup("ssci");
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n == -1)
		fatal("unable to find the ssci binary");
	self[n] = '\0';
	return sh_quote(self);
}

static int
hook_install(const char *path)
{
	char *quoted, *text;
	int rc;

	if (hook_is_ours(path) == 0) {
		log_warnx("unable to install '%s': a hook is there already; "
		    "remove it, or add \"ssci notify HEAD\" to it yourself",
		    path);
		return 1;
	}
	quoted = hook_ssci();
	text = hook_text(quoted, strstr(path, "post-receive") != NULL);
	/* A core.hooksPath folder may not exist yet. */
	if (mkdir_p_parent(path) == -1) {
		free(quoted);
		free(text);
		return 1;
	}
	rc = write_file_atomic(path, text, strlen(text));
	free(quoted);
	free(text);
	if (rc == -1)
		return 1;
	if (chmod(path, 0755) == -1) {
		log_warn("unable to make '%s' executable", path);
		return 1;
	}
	printf("installed %s\n", path);
	return 0;
}

static int
hook_remove(const char *path)
{
	switch (hook_is_ours(path)) {
	case -1:
		log_warnx("no hook at '%s'", path);
		return 1;
	case 0:
		log_warnx("unable to remove '%s': it was not installed by ssci",
		    path);
		return 1;
	}
	if (unlink(path) == -1) {
		log_warn("unable to remove '%s'", path);
		return 1;
	}
	printf("removed %s\n", path);
	return 0;
}

int
cmd_hook(int argc, char **argv)
{
	char *path;
	int rc;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		cmd_help(&hook_spec);
	if (argc != 3 || (strcmp(argv[1], "install") != 0 &&
	    strcmp(argv[1], "remove") != 0))
		cmd_usage(&hook_spec);
	log_init("hook", 0);
	if ((path = hook_path(argv[2])) == NULL)
		return 1;
	rc = strcmp(argv[1], "install") == 0 ? hook_install(path) :
	    hook_remove(path);
	free(path);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * runartifact_find.c - a job's tree and its artifacts' paths: the files
 * the plan's paths and globs name, each inside the tree (a link leading
 * out, a path with "..", the repository's .git refused and noted); and a
 * file made at a path of the tree without following a link the commit may
 * have planted there.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mask.h"
#include "plan.h"
#include "runartifact.h"
#include "runjob_int.h"
#include "util.h"

struct finder {
	struct runjob *j;
	char *real_tree;	/* the tree with its links resolved */
	size_t tree_len;	/* of j->tree, and its '/' */
	struct runartifact_file *files;
	size_t n, cap;
	int full_noted;
	size_t refused;		/* files refused; the first few are noted */
	size_t visited;		/* entries walked, files or not */
};

/* Refusals noted one by one, the rest counted: a tree of a million
 * links does not make a million lines. */
#define FIND_MAX_NOTES 20
/* Entries a job's artifacts may make the runner look at. */
#define FIND_MAX_VISITS 100000

static void refuse(struct finder *f, const char *rel, const char *why);

/* nftw has no argument for its callback: one walk at a time. */
static struct finder *walking;

static int
already(const struct finder *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->files[i].path, path) == 0)
			return 1;
	return 0;
}

/* The file at abs (inside the tree), as rel; a note if it is refused. */
static void
add_file(struct finder *f, const char *abs, const char *rel)
{
	struct runjob *j = f->j;
	char real[PATH_MAX];
	struct stat st;

	char *masked;
	const char *inside;

	if (!artifact_path_valid(rel) || strcmp(rel, ".git") == 0 ||
	    strncmp(rel, ".git/", 5) == 0) {
		refuse(f, rel, "not a path an artifact may have");
		return;
	}
	/* A path is shown and kept everywhere: it may not hold a secret. */
	if (mask_string(j->mask, rel, &masked) == 1) {
		refuse(f, masked, "its path holds a secret");
		free(masked);
		return;
	}
	if (realpath(abs, real) == NULL || stat(real, &st) == -1) {
		refuse(f, rel, strerror(errno));
		return;
	}
	inside = real + strlen(f->real_tree) + 1;
	if (strncmp(real, f->real_tree, strlen(f->real_tree)) != 0 ||
	    real[strlen(f->real_tree)] != '/') {
		refuse(f, rel, "a link leading out of the tree");
		return;
	}
	if (strcmp(inside, ".git") == 0 || strncmp(inside, ".git/", 5) == 0) {
		refuse(f, rel, "a link into the repository's own folder");
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		refuse(f, rel, "not a regular file");
		return;
	}
	if (already(f, rel))
		return;
	if (f->n == RUNARTIFACT_MAX_FILES) {
		if (!f->full_noted)
			runjob_note(j, "artifacts: more than %d files; the "
			    "rest are not sent", RUNARTIFACT_MAX_FILES);
		f->full_noted = 1;
		return;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->files = xrealloc(f->files, f->cap * sizeof *f->files);
	}
	f->files[f->n].path = xstrdup(rel);
	f->files[f->n].open_path = xstrdup(real);
	f->files[f->n].dev = st.st_dev;
	f->files[f->n].ino = st.st_ino;
	f->files[f->n].size = st.st_size;
	f->files[f->n].mode = (st.st_mode & 0111) ? 0755 : 0644;
	f->n++;
}

static void
refuse(struct finder *f, const char *rel, const char *why)
{
	if (f->refused++ < FIND_MAX_NOTES)
		runjob_note(f->j, "artifact '%s' refused: %s", rel, why);
}

static int
walk_one(const char *abs, const struct stat *st, int type, struct FTW *ftw)
{
	struct finder *f = walking;

	(void)st;
	(void)ftw;
	if (strlen(abs) <= f->tree_len)
		return 0;
	if (++f->visited > FIND_MAX_VISITS) {
		if (!f->full_noted)
			runjob_note(f->j, "artifacts: more than %d entries to "
			    "look at; the rest are not sent", FIND_MAX_VISITS);
		f->full_noted = 1;
		return 1;
	}
	if (type == FTW_F || type == FTW_SL)
		add_file(f, abs, abs + f->tree_len);
	/* Full: a tree of a million files is not walked to its end. */
	return f->full_noted ? 1 : 0;
}

/* A match of a pattern: a file, or a folder whose files all are. */
static void
add_match(struct finder *f, const char *abs)
{
	struct stat st;
	char *rel;

	if (strlen(abs) <= f->tree_len)
		return;
	rel = xstrdup(abs + f->tree_len);
	while (rel[0] != '\0' && rel[strlen(rel) - 1] == '/')
		rel[strlen(rel) - 1] = '\0';
	if (lstat(abs, &st) == 0 && S_ISDIR(st.st_mode)) {
		char real[PATH_MAX];

		/* Walked only where it is, inside the tree. */
		if (realpath(abs, real) == NULL ||
		    strncmp(real, f->real_tree, strlen(f->real_tree)) != 0 ||
		    real[strlen(f->real_tree)] != '/')
			refuse(f, rel, "a folder outside the tree");
		else if (strcmp(rel, ".git") == 0 ||
		    strncmp(rel, ".git/", 5) == 0)
			refuse(f, rel, "the repository's own folder");
		else {
			walking = f;
			nftw(abs, walk_one, 16, FTW_PHYS);
			walking = NULL;
		}
	} else
		add_file(f, abs, rel);
	free(rel);
}

/* The tree's path with glob's special characters escaped. */
static char *
escaped_tree(const char *tree)
{
	char *out = xmalloc(strlen(tree) * 2 + 2), *o = out;

	for (const char *p = tree; *p != '\0'; p++) {
		if (strchr("*?[]\\", *p) != NULL)
			*o++ = '\\';
		*o++ = *p;
	}
	*o++ = '/';
	*o = '\0';
	return out;
}

int
runartifact_find(struct runjob *j, struct runartifact_file **files,
    size_t *nfiles)
{
	struct finder f = { .j = j };
	char real[PATH_MAX], *pattern, *prefix;
	glob_t g;

	*files = NULL;
	*nfiles = 0;
	if (realpath(j->tree, real) == NULL) {
		runjob_note(j, "artifacts not sent: '%s': %s", j->tree,
		    strerror(errno));
		return -1;
	}
	f.real_tree = real;
	f.tree_len = strlen(j->tree) + 1;
	prefix = escaped_tree(j->tree);
	for (size_t i = 0; i < j->keep.nartifacts; i++) {
		const char *pat = j->keep.artifacts[i];

		/* Checked by the plan too; a runner trusts no one's word. */
		if (!plan_artifact_valid(pat)) {
			runjob_note(j, "artifact '%s' refused: not a path in "
			    "the tree", pat);
			continue;
		}
		xasprintf(&pattern, "%s%s", prefix, pat);
		memset(&g, 0, sizeof g);
		if (glob(pattern, GLOB_MARK, NULL, &g) != 0)
			runjob_note(j, "artifact '%s': no such file", pat);
		for (size_t k = 0; k < g.gl_pathc; k++)
			add_match(&f, g.gl_pathv[k]);
		globfree(&g);
		free(pattern);
	}
	free(prefix);
	if (f.refused > FIND_MAX_NOTES)
		runjob_note(j, "artifacts: %zu more refused", f.refused -
		    FIND_MAX_NOTES);
	*files = f.files;
	*nfiles = f.n;
	return 0;
}

void
runartifact_files_free(struct runartifact_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(files[i].path);
		free(files[i].open_path);
	}
	free(files);
}

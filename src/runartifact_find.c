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

#include "proto.h"
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
};

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

	if (!artifact_path_valid(rel) || strcmp(rel, ".git") == 0 ||
	    strncmp(rel, ".git/", 5) == 0) {
		runjob_note(j, "artifact '%s' refused: not a path an artifact "
		    "may have", rel);
		return;
	}
	if (realpath(abs, real) == NULL || stat(real, &st) == -1) {
		runjob_note(j, "artifact '%s' refused: %s", rel,
		    strerror(errno));
		return;
	}
	if (strncmp(real, f->real_tree, strlen(f->real_tree)) != 0 ||
	    real[strlen(f->real_tree)] != '/') {
		runjob_note(j, "artifact '%s' refused: a link leading out of "
		    "the tree", rel);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		runjob_note(j, "artifact '%s' refused: not a regular file",
		    rel);
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
	f->files[f->n].size = st.st_size;
	f->files[f->n].mode = (st.st_mode & 0111) ? 0755 : 0644;
	f->n++;
}

static int
walk_one(const char *abs, const struct stat *st, int type, struct FTW *ftw)
{
	struct finder *f = walking;

	(void)st;
	(void)ftw;
	if (strlen(abs) <= f->tree_len)
		return 0;
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
		if (strcmp(rel, ".git") == 0 || strncmp(rel, ".git/", 5) == 0)
			runjob_note(f->j, "artifact '%s' refused: the "
			    "repository's own folder", rel);
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
		if (!plan_report_valid(pat)) {
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

/* SPDX-License-Identifier: MIT */
/*
 * reportglob.c - a report pattern's files inside a tree, no link followed
 * and a bounded number of directory entries read (reportglob.h).
 */
#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reportglob.h"
#include "util.h"

struct glob_walk {
	const char *tree;
	char **parts;
	size_t nparts;
	size_t *budget;
	report_glob_cb cb;
	void *arg;
	int out_of_budget;
};

static void glob_level(struct glob_walk *w, const char *rel, size_t k);

/* rel (in the tree) matched part k: go down, or say what it is. */
static void
glob_found(struct glob_walk *w, const char *rel, size_t k)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", w->tree, rel) >=
	    sizeof path || lstat(path, &st) == -1)
		return;
	if (S_ISLNK(st.st_mode)) {
		w->cb(rel, REPORT_GLOB_LINK, w->arg);
		return;
	}
	if (k + 1 < w->nparts) {
		if (S_ISDIR(st.st_mode))
			glob_level(w, rel, k + 1);
		return;
	}
	w->cb(rel, S_ISREG(st.st_mode) ? REPORT_GLOB_FILE : REPORT_GLOB_OTHER,
	    w->arg);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What part k names under rel ("" for the tree itself). */
static void
glob_level(struct glob_walk *w, const char *rel, size_t k)
{
	const char *part = w->parts[k];
	char path[PATH_MAX], sub[PATH_MAX], **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *dir;

	if (w->out_of_budget)
		return;
	if (strpbrk(part, "*?[") == NULL) {
		if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel,
		    *rel != '\0' ? "/" : "", part) < sizeof sub)
			glob_found(w, sub, k);
		return;
	}
	if ((size_t)snprintf(path, sizeof path, "%s%s%s", w->tree,
	    *rel != '\0' ? "/" : "", rel) >= sizeof path ||
	    (dir = opendir(path)) == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (*w->budget == 0) {
			w->out_of_budget = 1;
			break;
		}
		(*w->budget)--;
		if (fnmatch(part, e->d_name, FNM_PERIOD) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel,
		    *rel != '\0' ? "/" : "", names[i]) < sizeof sub)
			glob_found(w, sub, k);
		free(names[i]);
	}
	free(names);
}

int
report_glob(const char *tree, const char *pattern, size_t *budget,
    report_glob_cb cb, void *arg)
{
	struct glob_walk w = { .tree = tree, .budget = budget, .cb = cb,
	    .arg = arg };
	char *copy = xstrdup(pattern), *save = NULL, *part;
	char *parts[PATH_MAX / 2];

	for (part = strtok_r(copy, "/", &save); part != NULL &&
	    w.nparts < sizeof parts / sizeof parts[0];
	    part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") != 0)
			parts[w.nparts++] = part;
	}
	w.parts = parts;
	if (w.nparts > 0)
		glob_level(&w, "", 0);
	free(copy);
	return w.out_of_budget ? -1 : 0;
}

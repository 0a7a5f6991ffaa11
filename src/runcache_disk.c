/* SPDX-License-Identifier: MIT */
/*
 * runcache_disk.c - a runner's caches on its disk (runcache_int.h): which
 * paths a cache may name and where they lead, the key, the folder ROOT
 * (its layout, the least recently used caches evicted, what killed runners
 * left removed).  No child runs here; runcache.c runs tar.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "runcache_int.h"
#include "tls.h"
#include "util.h"

const char *
runcache_size(int64_t bytes, char *buf, size_t size)
{
	if (bytes < (1 << 20))
		snprintf(buf, size, "%lld KiB", (long long)(bytes + 1023) >> 10);
	else if (bytes < (1LL << 30))
		snprintf(buf, size, "%.1f MiB", (double)bytes / (1 << 20));
	else
		snprintf(buf, size, "%.1f GiB", (double)bytes / (1 << 30));
	return buf;
}

int
runcache_path_valid(const char *path, int home_ok)
{
	size_t len = path != NULL ? strlen(path) : 0;
	const char *p = path, *step;

	if (len == 0 || len > RUNCACHE_PATH_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return 0;
	}
	if (home_ok && strncmp(p, "~/", 2) == 0)
		p += 2;
	if (*p == '/' || *p == '~' || *p == '\0')
		return 0;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		step = p;
		p += n;
		if (n == 0 || (n == 1 && step[0] == '.') ||
		    (n == 2 && strncmp(step, "..", 2) == 0) ||
		    (n == 4 && strncmp(step, ".git", 4) == 0))
			return 0;
		if (*p == '/')
			p++;
	}
	return 1;
}

/* Whether real (resolved) is base or inside it. */
static int
runcache_under(const char *real, const char *base)
{
	size_t n = strlen(base);

	return strncmp(real, base, n) == 0 &&
	    (real[n] == '\0' || real[n] == '/');
}

int
runcache_inside(const char *base, const char *rel, int *exists, char **top)
{
	size_t baselen = strlen(base);
	char *full, *real, *slash;
	struct stat st;
	int rc = 0;

	if (top != NULL)
		*top = NULL;
	xasprintf(&full, "%s/%s", base, rel);
	*exists = lstat(full, &st) == 0;
	if (!*exists && errno != ENOENT)
		goto out;
	/* Missing: its deepest step that is there must be inside. */
	while (lstat(full, &st) == -1) {
		if (errno != ENOENT || (slash = strrchr(full, '/')) == NULL ||
		    (size_t)(slash - full) < baselen)
			goto out;
		if (top != NULL) {
			free(*top);
			*top = xstrdup(full);
		}
		*slash = '\0';
	}
	if ((real = realpath(full, NULL)) != NULL) {
		rc = runcache_under(real, base);
		free(real);
	}
out:
	if (rc == 0 && top != NULL) {
		free(*top);
		*top = NULL;
	}
	free(full);
	return rc;
}

/* Hash one key file of the tree: 0, or -1 with why in err. */
static int
runcache_key_file(struct tls_sha256 *h, const char *tree, const char *rel,
    size_t *total, char *err, size_t errsize)
{
	char buf[65536], *full;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int exists, fd;

	tls_sha256_update(h, "key", 4);
	tls_sha256_update(h, rel, strlen(rel) + 1);
	if (!runcache_inside(tree, rel, &exists, NULL)) {
		snprintf(err, errsize, "key file '%s' leads out of the tree",
		    rel);
		return -1;
	}
	if (!exists) {
		tls_sha256_update(h, "missing", 8);
		return 0;
	}
	/* Not blocking on a FIFO: it is refused as no regular file. */
	xasprintf(&full, "%s/%s", tree, rel);
	fd = open(full, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	free(full);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > RUNCACHE_KEY_BYTES - *total) {
		if (fd == -1 || !S_ISREG(st.st_mode))
			snprintf(err, errsize, "key file '%s' %s", rel,
			    fd == -1 ? strerror(errno) : "is not a file");
		else
			snprintf(err, errsize, "key files over %d MiB",
			    RUNCACHE_KEY_BYTES >> 20);
		if (fd != -1)
			close(fd);
		return -1;
	}
	snprintf(buf, sizeof buf, "file %lld", (long long)st.st_size);
	tls_sha256_update(h, buf, strlen(buf) + 1);
	while ((n = read(fd, buf, sizeof buf)) > 0 &&
	    got + (size_t)n <= (size_t)st.st_size) {
		tls_sha256_update(h, buf, (size_t)n);
		got += (size_t)n;
	}
	close(fd);
	if (n != 0 || got != (size_t)st.st_size) {
		snprintf(err, errsize, "key file '%s' %s", rel, n == -1 ?
		    strerror(errno) : "changed while it was read");
		return -1;
	}
	*total += got;
	return 0;
}

int
runcache_key(const struct runcache_job *c, char out[65], char *err,
    size_t errsize)
{
	const char *name = c->job_name != NULL ? c->job_name : "";
	struct tls_sha256 *h;
	char *tree;
	size_t total = 0;
	int rc = 0;

	for (size_t i = 0; i < c->nkey; i++) {
		if (!runcache_path_valid(c->key_files[i], 0)) {
			snprintf(err, errsize, "key file '%.300s' is not a path "
			    "relative to the tree", c->key_files[i]);
			return -1;
		}
	}
	if ((tree = realpath(c->tree, NULL)) == NULL) {
		snprintf(err, errsize, "the tree: %s", strerror(errno));
		return -1;
	}
	/* Every field ends in a NUL, so none can pass for another. */
	h = tls_sha256_new();
	tls_sha256_update(h, "ssci cache 1", 13);
	tls_sha256_update(h, name, strlen(name) + 1);
	for (size_t i = 0; i < c->npaths; i++) {
		tls_sha256_update(h, "path", 5);
		tls_sha256_update(h, c->paths[i], strlen(c->paths[i]) + 1);
	}
	for (size_t i = 0; i < c->nkey && rc == 0; i++)
		rc = runcache_key_file(h, tree, c->key_files[i], &total, err,
		    errsize);
	tls_sha256_end(h, out);
	free(tree);
	return rc;
}

char *
runcache_dir(const char *root, const char *repo, const char *branch)
{
	char hr[65], hb[65], *dir;

	tls_sha256_hex(repo, strlen(repo), hr);
	tls_sha256_hex(branch, strlen(branch), hb);
	xasprintf(&dir, "%s/%.32s/%.32s", root, hr, hb);
	return dir;
}

/* A cache file of ROOT, for the eviction. */
struct runcache_entry {
	char *path;
	int64_t size;
	struct timespec used;
};

static int
runcache_older(const void *a, const void *b)
{
	const struct runcache_entry *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Each entry of ROOT/<repo>/<branch>/ (no '.' folder): fn(folder, name). */
static void
runcache_walk(const char *root, void (*fn)(const char *dir,
    const char *name, void *arg), void *arg)
{
	DIR *top, *repo, *branch;
	struct dirent *e, *f, *g;
	char *rdir, *bdir;
	size_t seen = 0;

	if ((top = opendir(root)) == NULL)
		return;
	while ((e = readdir(top)) != NULL && seen < RUNCACHE_SCAN_MAX) {
		if (e->d_name[0] == '.')
			continue;
		xasprintf(&rdir, "%s/%s", root, e->d_name);
		if ((repo = opendir(rdir)) != NULL) {
			while ((f = readdir(repo)) != NULL &&
			    seen < RUNCACHE_SCAN_MAX) {
				if (f->d_name[0] == '.')
					continue;
				xasprintf(&bdir, "%s/%s", rdir, f->d_name);
				if ((branch = opendir(bdir)) != NULL) {
					while ((g = readdir(branch)) != NULL &&
					    seen++ < RUNCACHE_SCAN_MAX) {
						if (g->d_name[0] != '.')
							fn(bdir, g->d_name, arg);
					}
					closedir(branch);
				}
				fn(rdir, f->d_name, arg);
				free(bdir);
			}
			closedir(repo);
		}
		fn(root, e->d_name, arg);
		free(rdir);
	}
	closedir(top);
}

struct runcache_caches {
	struct runcache_entry *v;
	size_t n, cap;
};

static void
runcache_collect(const char *dir, const char *name, void *arg)
{
	struct runcache_caches *all = arg;
	size_t len = strlen(name);
	struct stat st;
	char *path;

	if (len < 5 || strcmp(name + len - 4, ".tar") != 0)
		return;
	xasprintf(&path, "%s/%s", dir, name);
	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		free(path);
		return;
	}
	if (all->n == all->cap) {
		all->cap = all->cap ? 2 * all->cap : 64;
		all->v = xrealloc(all->v, all->cap * sizeof *all->v);
	}
	all->v[all->n].path = path;
	all->v[all->n].size = st.st_size;
	all->v[all->n++].used = st.st_mtim;
}

int
runcache_evict(const char *root, int64_t max, const char *keep,
    int64_t *freed)
{
	struct runcache_caches all = { 0 };
	int64_t total = 0;
	int gone = 0;

	*freed = 0;
	runcache_walk(root, runcache_collect, &all);
	for (size_t i = 0; i < all.n; i++)
		total += all.v[i].size;
	qsort(all.v, all.n, sizeof *all.v, runcache_older);
	for (size_t i = 0; i < all.n; i++) {
		if (total > max && strcmp(all.v[i].path, keep) != 0 &&
		    unlink(all.v[i].path) == 0) {
			total -= all.v[i].size;
			*freed += all.v[i].size;
			gone++;
		}
		free(all.v[i].path);
	}
	free(all.v);
	return gone;
}

/* A temporary tar of dir (name) not made by the process except. */
static void
runcache_clean_entry(const char *dir, const char *name, void *arg)
{
	const char *tmp = strstr(name, ".tar.tmp.");
	const pid_t *except = arg;
	char *path;

	if (tmp == NULL || (except != NULL &&
	    strtol(tmp + 9, NULL, 10) == (long)*except))
		return;
	xasprintf(&path, "%s/%s", dir, name);
	unlink(path);
	free(path);
}

void
runcache_clean_tmp(const char *dir, pid_t except)
{
	struct dirent *e;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		runcache_clean_entry(dir, e->d_name, &except);
	closedir(d);
}

/* Empty folders of ROOT go (rmdir leaves the others). */
static void
runcache_prune(const char *dir, const char *name, void *arg)
{
	char *path;

	(void)arg;
	xasprintf(&path, "%s/%s", dir, name);
	rmdir(path);
	free(path);
}

void
runcache_unstage_dir(const char *stage)
{
	char *link;

	xasprintf(&link, "%s/tree", stage);
	unlink(link);
	free(link);
	xasprintf(&link, "%s/home", stage);
	unlink(link);
	free(link);
	rmdir(stage);
}

/* The tar folders of ROOT/.tmp that killed runners left. */
static void
runcache_clean_stages(const char *root)
{
	struct dirent *e;
	char *tmp, *stage;
	DIR *d;

	xasprintf(&tmp, "%s/%s", root, RUNCACHE_STAGES);
	if ((d = opendir(tmp)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			xasprintf(&stage, "%s/%s", tmp, e->d_name);
			runcache_unstage_dir(stage);
			free(stage);
		}
		closedir(d);
	}
	free(tmp);
}

int
runcache_open(const char *root)
{
	struct lock_holder holder;
	char *path;
	int fd;

	if (mkdir_p(root) == -1)
		return -1;
	xasprintf(&path, "%s/.lock", root);
	fd = lock_take(path, &holder);
	if (fd == -2)
		log_warnx("caches in '%s' belong to another runner (pid %ld): "
		    "this one caches nothing; give it a --cache-dir of its own",
		    root, (long)holder.pid);
	free(path);
	if (fd < 0)
		return fd;
	runcache_clean_stages(root);
	runcache_walk(root, runcache_clean_entry, NULL);
	runcache_walk(root, runcache_prune, NULL);
	return fd;
}

/* SPDX-License-Identifier: MIT */
/*
 * test_runcache.c - a runner's caches with a real loop and real tar in a
 * temporary folder: a miss, a save restored byte for byte (a link kept
 * a link), another key missing, a branch falling back to the default
 * branch's cache without ever writing it, least recently used caches
 * evicted under a small cap, a save stopped or left by a killed runner
 * leaving the last cache whole, paths leading out refused, and a restore
 * that fails removing what it put in place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "runcache.h"
#include "spawn.h"
#include "tls.h"
#include "unit_dir.h"
#include "unit_stderr.h"
#include "util.h"

static struct event_base *base;

struct fixture {
	char dir[256];
	char root[300], tree[300], home[300];
	char *paths[4];
	char *keys[2];
	struct runcache_job c;
};

/* What an op called back with. */
struct result {
	int done, ok;
	char from[64];
	char msg[2048];
};

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* size bytes of a pattern that depends on seed (tar cannot shrink it). */
static void
put_bytes(const char *path, size_t size, unsigned seed)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u;
		fputc((int)(seed >> 16) & 0xff, f);
	}
	assert_int_equal(fclose(f), 0);
}

/* The file at path, or "" if there is none (a static buffer). */
static const char *
got(const char *path)
{
	static char text[4096];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	text[0] = '\0';
	if (f == NULL)
		return text;
	n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static const char *
at(const char *dir, const char *rel)
{
	static char path[4][1024];
	static int next;
	char *p = path[next++ % 4];

	assert_true(snprintf(p, sizeof path[0], "%s/%s", dir, rel) <
	    (int)sizeof path[0]);
	return p;
}

static int
there(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	assert_non_null(f);
	assert_int_equal(unit_dir_make(f->dir, sizeof f->dir, "runcache"), 0);
	snprintf(f->root, sizeof f->root, "%s/caches", f->dir);
	snprintf(f->tree, sizeof f->tree, "%s/tree", f->dir);
	snprintf(f->home, sizeof f->home, "%s/home", f->dir);
	assert_int_equal(mkdir(f->tree, 0755), 0);
	assert_int_equal(mkdir(f->home, 0755), 0);
	assert_int_equal(mkdir(at(f->tree, "deps"), 0755), 0);
	assert_int_equal(mkdir(at(f->tree, "deps/sub"), 0755), 0);
	put(at(f->tree, "deps/a"), "alpha\n");
	put(at(f->tree, "deps/sub/b"), "beta\n");
	assert_int_equal(symlink("a", at(f->tree, "deps/link")), 0);
	assert_int_equal(mkdir(at(f->home, ".cache"), 0755), 0);
	assert_int_equal(mkdir(at(f->home, ".cache/pip"), 0755), 0);
	put(at(f->home, ".cache/pip/wheel"), "wheel\n");
	put(at(f->tree, "requirements.txt"), "requests==2\n");
	f->paths[0] = "deps/";
	f->paths[1] = "~/.cache/pip";
	f->keys[0] = "requirements.txt";
	f->keys[1] = "missing.lock";
	f->c = (struct runcache_job){
		.base = base, .root = f->root, .max_bytes = 1 << 20,
		.repo = "https://example.org/r.git", .branch = "main",
		.default_branch = "main", .job_name = "test", .tree = f->tree,
		.home = f->home, .paths = f->paths, .npaths = 2,
		.key_files = f->keys, .nkey = 2,
	};
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unit_dir_remove(f->dir);
	free(f);
	return 0;
}

static void
on_restored(void *arg, int restored, const char *branch,
    const char *message)
{
	struct result *r = arg;

	r->done = 1;
	r->ok = restored;
	snprintf(r->from, sizeof r->from, "%s", branch);
	snprintf(r->msg, sizeof r->msg, "%s", message);
}

static void
on_saved(void *arg, int saved, const char *message)
{
	struct result *r = arg;

	r->done = 1;
	r->ok = saved;
	snprintf(r->msg, sizeof r->msg, "%s", message);
}

static struct result
restore(const struct runcache_job *c)
{
	struct result r = { 0 };

	runcache_restore(c, on_restored, &r);
	assert_int_equal(r.done, 0);	/* never before it returns */
	while (!r.done)
		event_base_loop(base, EVLOOP_ONCE);
	return r;
}

static struct result
save(const struct runcache_job *c)
{
	struct result r = { 0 };

	runcache_save(c, on_saved, &r);
	assert_int_equal(r.done, 0);
	while (!r.done)
		event_base_loop(base, EVLOOP_ONCE);
	return r;
}

/* The loop run for ms milliseconds. */
static void
run_for(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/*
 * The cache file of c's key on branch: its folders are the starts of the
 * repository's and the branch's SHA-256.  (No popen here: spawn.c reaps
 * every child.)
 */
static const char *
cache_file(const struct runcache_job *c, const char *branch)
{
	static char path[512];
	char key[65], err[256], hr[65], hb[65];

	assert_int_equal(runcache_key(c, key, err, sizeof err), 0);
	tls_sha256_hex(c->repo, strlen(c->repo), hr);
	tls_sha256_hex(branch, strlen(branch), hb);
	snprintf(path, sizeof path, "%s/%.32s/%.32s/%s.tar", c->root, hr, hb,
	    key);
	return path;
}

/* The cache's paths gone from the tree and HOME. */
static void
wipe(struct fixture *f)
{
	unit_dir_remove(at(f->tree, "deps"));
	unit_dir_remove(at(f->home, ".cache/pip"));
	assert_false(there(at(f->tree, "deps")));
}

static void
test_paths_valid(void **state)
{
	(void)state;
	assert_true(runcache_path_valid("node_modules", 0));
	assert_true(runcache_path_valid("build/deps/", 0));
	assert_true(runcache_path_valid("~/.cache/pip", 1));
	assert_false(runcache_path_valid("~/.cache/pip", 0));
	assert_false(runcache_path_valid("~", 1));
	assert_false(runcache_path_valid("~/", 1));
	assert_false(runcache_path_valid("~root/x", 1));
	assert_false(runcache_path_valid("/etc", 1));
	assert_false(runcache_path_valid("../x", 1));
	assert_false(runcache_path_valid("a/../x", 1));
	assert_false(runcache_path_valid("a//x", 1));
	assert_false(runcache_path_valid("./x", 1));
	assert_false(runcache_path_valid(".git/hooks", 1));
	assert_false(runcache_path_valid("sub/.git", 1));
	assert_false(runcache_path_valid("a\nb", 1));
	assert_false(runcache_path_valid("", 1));
	assert_true(runcache_path_valid(".gitignore-cache", 1));
}

static void
test_key(void **state)
{
	struct fixture *f = *state;
	char k1[65], k2[65], err[256];

	assert_int_equal(runcache_key(&f->c, k1, err, sizeof err), 0);
	assert_int_equal(strlen(k1), 64);
	/* The missing key file counts: there, it makes another key. */
	put(at(f->tree, "missing.lock"), "");
	assert_int_equal(runcache_key(&f->c, k2, err, sizeof err), 0);
	assert_string_not_equal(k1, k2);
	unlink(at(f->tree, "missing.lock"));
	assert_int_equal(runcache_key(&f->c, k2, err, sizeof err), 0);
	assert_string_equal(k1, k2);
	/* Another job's name, another key; no key files: the name alone. */
	f->c.job_name = "build";
	assert_int_equal(runcache_key(&f->c, k2, err, sizeof err), 0);
	assert_string_not_equal(k1, k2);
	f->c.nkey = 0;
	assert_int_equal(runcache_key(&f->c, k1, err, sizeof err), 0);
	assert_string_not_equal(k1, k2);
	/* Refused: out of the tree, through a link or by name; a folder. */
	assert_int_equal(symlink("/etc/hostname", at(f->tree, "out")), 0);
	f->keys[0] = "out";
	f->c.nkey = 1;
	assert_int_equal(runcache_key(&f->c, k1, err, sizeof err), -1);
	assert_non_null(strstr(err, "leads out of the tree"));
	f->keys[0] = "../x";
	assert_int_equal(runcache_key(&f->c, k1, err, sizeof err), -1);
	f->keys[0] = "deps";
	assert_int_equal(runcache_key(&f->c, k1, err, sizeof err), -1);
	assert_non_null(strstr(err, "is not a file"));
}

static void
test_miss_then_save_and_restore(void **state)
{
	struct fixture *f = *state;
	struct result r;
	char link[64], key[65], err[256];
	struct stat st;
	mode_t mask;
	ssize_t n;

	put(at(f->tree, "deps/tool"), "#!/bin/sh\n");
	assert_int_equal(chmod(at(f->tree, "deps/tool"), 04755), 0);
	mask = umask(0);
	umask(mask);
	r = restore(&f->c);
	assert_int_equal(r.ok, 0);
	assert_non_null(strstr(r.msg, "no cache for key "));
	r = save(&f->c);
	assert_int_equal(r.ok, 1);
	assert_non_null(strstr(r.msg, "cache saved (key "));
	assert_true(there(cache_file(&f->c, "main")));
	wipe(f);
	r = restore(&f->c);
	assert_int_equal(r.ok, 1);
	assert_string_equal(r.from, "main");
	assert_non_null(strstr(r.msg, "cache restored (key "));
	assert_non_null(strstr(r.msg, "KiB, from branch main)"));
	assert_string_equal(got(at(f->tree, "deps/a")), "alpha\n");
	assert_string_equal(got(at(f->tree, "deps/sub/b")), "beta\n");
	assert_string_equal(got(at(f->home, ".cache/pip/wheel")), "wheel\n");
	/* An executable stays one; a set-user-ID bit does not come back. */
	assert_int_equal(stat(at(f->tree, "deps/tool"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755 & ~mask);
	n = readlink(at(f->tree, "deps/link"), link, sizeof link - 1);
	assert_int_equal(n, 1);
	link[n] = '\0';
	assert_string_equal(link, "a");
	/* Nothing of tar's own is left in ROOT/.tmp. */
	assert_int_equal(rmdir(at(f->root, ".tmp")), 0);
	/* Another key: a miss. */
	put(at(f->tree, "requirements.txt"), "requests==3\n");
	r = restore(&f->c);
	assert_int_equal(r.ok, 0);
	assert_non_null(strstr(r.msg, "no cache for key "));
	/*
	 * Saved under the key the job started with, though it rewrote a key
	 * file meanwhile: the next run of that commit finds it.
	 */
	assert_int_equal(runcache_key(&f->c, key, err, sizeof err), 0);
	put(at(f->tree, "requirements.txt"), "requests==4\n");
	f->c.key = key;
	put(at(f->tree, "deps/a"), "three\n");
	assert_int_equal(save(&f->c).ok, 1);
	f->c.key = NULL;
	put(at(f->tree, "requirements.txt"), "requests==3\n");
	wipe(f);
	assert_int_equal(restore(&f->c).ok, 1);
	assert_string_equal(got(at(f->tree, "deps/a")), "three\n");
	f->c.key = "not a key";
	r = restore(&f->c);
	assert_int_equal(r.ok, 0);
	assert_non_null(strstr(r.msg, "is no key"));
}

static void
test_branch_falls_back_read_only(void **state)
{
	struct fixture *f = *state;
	struct result r;
	struct stat before, after;
	char mainfile[512];

	assert_int_equal(save(&f->c).ok, 1);
	snprintf(mainfile, sizeof mainfile, "%s", cache_file(&f->c, "main"));
	assert_int_equal(stat(mainfile, &before), 0);
	wipe(f);
	f->c.branch = "pr/7";
	r = restore(&f->c);
	assert_int_equal(r.ok, 1);
	assert_string_equal(r.from, "main");
	assert_non_null(strstr(r.msg, "from branch main"));
	assert_string_equal(got(at(f->tree, "deps/a")), "alpha\n");
	/* The pull request's save is its own: main's cache is untouched. */
	put(at(f->tree, "deps/a"), "poisoned\n");
	assert_int_equal(save(&f->c).ok, 1);
	assert_true(there(cache_file(&f->c, "pr/7")));
	assert_int_equal(stat(mainfile, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_ino, before.st_ino);
	wipe(f);
	r = restore(&f->c);
	assert_string_equal(r.from, "pr/7");
	assert_string_equal(got(at(f->tree, "deps/a")), "poisoned\n");
	wipe(f);
	f->c.branch = "main";
	r = restore(&f->c);
	assert_string_equal(r.from, "main");
	assert_string_equal(got(at(f->tree, "deps/a")), "alpha\n");
	/* No default branch: no fallback. */
	f->c.branch = "feature";
	f->c.default_branch = NULL;
	assert_int_equal(restore(&f->c).ok, 0);
}

static void
test_lru_eviction(void **state)
{
	struct fixture *f = *state;
	char a[512], b[512];
	struct result r;

	f->c.npaths = 1;
	f->c.max_bytes = 250 << 10;
	put_bytes(at(f->tree, "deps/a"), 100 << 10, 1);
	f->c.job_name = "a";
	assert_int_equal(save(&f->c).ok, 1);
	snprintf(a, sizeof a, "%s", cache_file(&f->c, "main"));
	f->c.job_name = "b";
	assert_int_equal(save(&f->c).ok, 1);
	snprintf(b, sizeof b, "%s", cache_file(&f->c, "main"));
	/* a is used again: b is now the least recently used. */
	f->c.job_name = "a";
	assert_int_equal(restore(&f->c).ok, 1);
	f->c.job_name = "c";
	r = save(&f->c);
	assert_int_equal(r.ok, 1);
	assert_non_null(strstr(r.msg, "1 older cache evicted"));
	assert_true(there(a));
	assert_false(there(b));
	assert_true(there(cache_file(&f->c, "main")));
	/* One over the cap by itself is not kept, and evicts nothing. */
	put_bytes(at(f->tree, "deps/a"), 300 << 10, 2);
	f->c.job_name = "d";
	r = save(&f->c);
	assert_int_equal(r.ok, 0);
	assert_non_null(strstr(r.msg, "over --cache-max"));
	assert_false(there(cache_file(&f->c, "main")));
	assert_true(there(a));
	/* --cache-max 0: nothing at all. */
	f->c.max_bytes = 0;
	r = restore(&f->c);
	assert_int_equal(r.ok, 0);
	assert_non_null(strstr(r.msg, "--cache-max 0"));
}

/* How many files of dir hold ".tar.tmp.". */
static int
tmp_files(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".tar.tmp.") != NULL;
	closedir(d);
	return n;
}

static void
test_interrupted_save_keeps_the_cache(void **state)
{
	struct fixture *f = *state;
	char file[512], dir[512], stale[600];
	struct runcache_op *op;
	struct result r = { 0 };
	struct unit_stderr caught;
	const char *said;
	int fd, rc;

	assert_int_equal(save(&f->c).ok, 1);
	snprintf(file, sizeof file, "%s", cache_file(&f->c, "main"));
	snprintf(dir, sizeof dir, "%s", file);
	*strrchr(dir, '/') = '\0';
	/* A runner killed mid-save left half a tar. */
	snprintf(stale, sizeof stale, "%s.tmp.999999999.0", file);
	put(stale, "half a tar");
	/* This save is stopped (its tar killed) while it writes. */
	put(at(f->tree, "deps/a"), "changed\n");
	put_bytes(at(f->tree, "deps/big"), 8 << 20, 3);
	f->c.max_bytes = 64 << 20;
	op = runcache_save(&f->c, on_saved, &r);
	assert_non_null(op);
	/* The stale one went as the save began; stopped once tar writes. */
	assert_false(there(stale));
	while (tmp_files(dir) == 0 && !r.done)
		event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(r.done, 0);
	runcache_stop(op);
	for (int i = 0; i < 500 && tmp_files(dir) > 0; i++)
		run_for(10);
	assert_int_equal(r.done, 0);
	assert_int_equal(tmp_files(dir), 0);	/* the stale one too */
	unlink(at(f->tree, "deps/big"));
	put(at(f->tree, "deps/a"), "alpha\n");
	wipe(f);
	r = restore(&f->c);
	assert_int_equal(r.ok, 1);
	assert_string_equal(got(at(f->tree, "deps/a")), "alpha\n");
	/* A restart's runcache_open removes what a killed runner left. */
	put(stale, "half a tar");
	fd = runcache_open(f->root);
	assert_true(fd >= 0);
	assert_int_equal(tmp_files(dir), 0);
	assert_true(there(file));
	unit_stderr_catch(&caught);
	rc = runcache_open(f->root);
	said = unit_stderr_release(&caught);
	assert_int_equal(rc, -2);	/* one runner per cache dir */
	assert_non_null(strstr(said, "belong to another runner"));
	close(fd);
}

static void
test_paths_leading_out(void **state)
{
	struct fixture *f = *state;
	struct result r;
	char outside[512];

	snprintf(outside, sizeof outside, "%s/outside", f->dir);
	assert_int_equal(mkdir(outside, 0755), 0);
	put(at(outside, "secret"), "secret\n");
	assert_int_equal(symlink(outside, at(f->tree, "out")), 0);
	f->paths[0] = "out";
	f->paths[1] = "gone";
	r = save(&f->c);
	assert_int_equal(r.ok, 0);
	assert_non_null(strstr(r.msg, "cache path 'out' left out: it leads "
	    "out of its base"));
	assert_non_null(strstr(r.msg, "cache path 'gone' left out: it is not "
	    "there"));
	/* Through a link on the way, too. */
	f->paths[0] = "out/secret";
	f->paths[1] = "deps";
	r = save(&f->c);
	assert_int_equal(r.ok, 1);
	assert_non_null(strstr(r.msg, "'out/secret' left out"));
	/* A restore that would write through the tree's own link out. */
	unlink(at(outside, "secret"));
	r = restore(&f->c);
	assert_int_equal(r.ok, 0);
	assert_non_null(strstr(r.msg, "'out/secret' leads out of the tree"));
	assert_false(there(at(outside, "secret")));
}

static void
test_failed_restore_removes_what_it_made(void **state)
{
	struct fixture *f = *state;
	const char *file;
	struct result r;

	put_bytes(at(f->tree, "deps/sub/big"), 1 << 20, 4);
	f->c.max_bytes = 4 << 20;
	assert_int_equal(save(&f->c).ok, 1);
	file = cache_file(&f->c, "main");
	/* Cut in the middle of its last file: tar extracts, then fails. */
	assert_int_equal(truncate(file, 600 << 10), 0);
	wipe(f);
	r = restore(&f->c);
	assert_int_equal(r.ok, 0);
	assert_non_null(strstr(r.msg, "cache not restored: tar failed"));
	assert_non_null(strstr(r.msg, "removed"));
	assert_false(there(at(f->tree, "deps")));
	assert_false(there(at(f->home, ".cache/pip")));
	assert_true(there(at(f->home, ".cache")));	/* was there before */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths_valid),
		cmocka_unit_test_setup_teardown(test_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_miss_then_save_and_restore,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_branch_falls_back_read_only,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_lru_eviction, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_interrupted_save_keeps_the_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths_leading_out, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_restore_removes_what_it_made, setup, teardown),
	};
	int rc;

	base = event_base_new();
	spawn_init(base);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	spawn_shutdown();
	event_base_free(base);
	return rc;
}

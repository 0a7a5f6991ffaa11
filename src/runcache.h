/* SPDX-License-Identifier: MIT */
/*
 * runcache.h - a runner's caches (a job's `cache: {paths, key}`): what a
 * passing job left in some paths of its tree or its HOME, kept as one tar
 * on the runner's disk and put back before the next run of the same job
 * with the same key.  A cache is only a speed-up: whatever goes wrong is
 * a note for the job's log, and the job goes on as it would without one.
 *
 * On disk: ROOT/<repo>/<branch>/<key>.tar, where repo and branch are the
 * first 32 hex digits of their SHA-256 (any name makes a safe folder) and
 * key is runcache_key's.  A job restores its own branch's cache, else the
 * default branch's; it saves only into its own branch's folder, so a pull
 * request never writes what main's jobs restore.  A save is written to
 * <key>.tar.tmp.<pid>.<n>, synced and renamed over <key>.tar: a job or a
 * runner killed mid-save leaves the last cache whole (the temporary file
 * goes at the next runcache_open or the next save in that folder).  After
 * a save the least recently used caches (by mtime; a restore touches its
 * file) are removed until ROOT holds at most --cache-max bytes.
 *
 * Inside a tar every member is "tree/PATH" or "home/PATH": tar runs in a
 * folder of ROOT/.tmp/ holding two symbolic links, tree -> the job's
 * tree and home -> its HOME, so that no member names a place of its own
 * and each path is put back under the base it came from.
 *
 * Usage: runcache_open once (its lock keeps other runners out of ROOT);
 * runcache_restore before a job's commands, runcache_save after it
 * passed; runcache_stop if the job is stopped meanwhile.  Each calls back
 * exactly once, from the loop, never before it returns (unless stopped).
 */
#ifndef SSCI_RUNCACHE_H
#define SSCI_RUNCACHE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

#define RUNCACHE_DEFAULT_MAX (5LL << 30)	/* --cache-max */
#define RUNCACHE_PATH_MAX 256		/* a path of paths or key, in bytes */
#define RUNCACHE_KEY_BYTES (4 << 20)	/* the key files' contents, in all */
#define RUNCACHE_SCAN_MAX 10000		/* caches an eviction looks at */
#define RUNCACHE_OUTPUT_MAX 4096	/* of tar's output, kept for a note */

/* One job's cache, as the runner knows it. */
struct runcache_job {
	struct event_base *base;
	const char *root;		/* --cache-dir */
	int64_t max_bytes;		/* --cache-max; 0: no caching */
	const char *repo, *branch;	/* branch may be NULL */
	const char *default_branch;	/* the read-only fallback, or NULL */
	const char *job_name;		/* NULL counts as "" */
	const char *tree;		/* the job's checked-out tree */
	const char *home;		/* what "~/" is, or NULL: none */
	char *const *paths;		/* "dir/x", "~/.cache/pip" */
	size_t npaths;
	char *const *key_files;		/* files of the tree, or none */
	size_t nkey;
	/*
	 * runcache_key's answer before the job ran, or NULL: made now.  A
	 * save given the restore's key is found by the next run even if the
	 * job changed a key file (a lock file rewritten).
	 */
	const char *key;
};

/*
 * Whether path may be one of a cache's paths (home_ok) or key files: 1 to
 * RUNCACHE_PATH_MAX bytes without control characters, relative ("~/"
 * first for one under HOME, when home_ok), no empty, "." or ".." step, no
 * ".git" step (git runs in the tree after the job), a '/' at the end
 * allowed.
 */
int runcache_path_valid(const char *path, int home_ok);

/*
 * The cache's key into out: SHA-256 over the job's name, its cache paths
 * (other paths make another cache) and each key file's path and contents
 * (a missing one counts as missing).  0, or -1 with why in err: a path
 * not valid, a key file leading out of the tree or not a regular file,
 * more than RUNCACHE_KEY_BYTES of them, a read failed.  Reads the key
 * files at once: they are bounded.
 */
int runcache_key(const struct runcache_job *c, char out[65], char *err,
    size_t errsize);

/*
 * At the runner's start: ROOT made and locked, and what killed runners
 * left there removed (temporary tars, tar's folders, empty folders).  The
 * lock's descriptor (close it at exit); -2 if another runner holds it,
 * -1 on another error (both logged): then cache nothing.
 */
int runcache_open(const char *root);

struct runcache_op;

/*
 * A restore's end: restored 1 if the cache was put in place, from branch
 * (the job's own or the default branch); message is one or more lines
 * for the job's log, each without "ssci: " and separated by '\n' (never
 * NULL, never empty).
 */
typedef void (*runcache_restored_cb)(void *arg, int restored,
    const char *branch, const char *message);
/* A save's end: saved 1 if the cache was kept; message as above. */
typedef void (*runcache_saved_cb)(void *arg, int saved,
    const char *message);

/*
 * Put c's cache in place: tar extracts it into the tree and HOME (the
 * tree's own branch's, else the default branch's).  A restore that fails
 * halfway removes what it made (paths that were not there before).  A
 * path leading out of its base (a symbolic link on the way) stops the
 * restore.  c is copied: it need not outlive the call.
 */
struct runcache_op *runcache_restore(const struct runcache_job *c,
    runcache_restored_cb cb, void *arg);

/*
 * Keep c's paths as its branch's cache (call it after the job passed):
 * those not there, or leading out of their base, are left out with a
 * note; a cache over max_bytes by itself is not kept.  Then evicts.
 */
struct runcache_op *runcache_save(const struct runcache_job *c,
    runcache_saved_cb cb, void *arg);

/*
 * Stop op: its child is killed and what it wrote is cleaned up once it
 * has exited; its callback is never called.  A save stopped leaves the
 * last cache as it was; a restore stopped may leave part of the cache in
 * place (the job is ending: its tree is cleaned before the next one).
 */
void runcache_stop(struct runcache_op *op);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * plan.h - a pipeline's plan: the repository's .ssci.yml read with
 * libyaml, checked against the schema of docs/PIPELINES.md, its matrices
 * expanded into jobs; and a job's spec (what a runner runs) as text for
 * the store and back.
 *
 * The file is untrusted: every failure is an error message naming the
 * file, line and column (".ssci.yml:3:5: unknown key 'foo' in job
 * 'build'"), never a crash; aliases are refused, so nothing expands.
 */
#ifndef SSCI_PLAN_H
#define SSCI_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_FILE ".ssci.yml"
#define PLAN_MAX_BYTES (64 * 1024)	/* a bigger file is an error */
#define PLAN_MAX_JOBS 256		/* after matrix expansion */
#define PLAN_MAX_RUN 64			/* commands of one job */
#define PLAN_MAX_NAME 64		/* a job's name in the file, a label */
#define PLAN_MAX_TIMEOUT_S (7 * 24 * 3600)
#define PLAN_MAX_COMMAND (64 * 1024)	/* bytes of one command, one env entry */
#define PLAN_MAX_ENV 256		/* variables in one job's env */
#define PLAN_MAX_KEYS 8			/* a matrix's keys */
#define PLAN_MAX_VALUE 64		/* a matrix value */
/* A job's environment once expanded: its matrix's values, then its env. */
#define PLAN_MAX_JOB_ENV (PLAN_MAX_KEYS + PLAN_MAX_ENV)
/* An encoded plan, which must fit a protocol line. */
#define PLAN_MAX_ENCODED (1000 * 1024)
#define PLAN_MAX_LABELS 32		/* a job's labels */
#define PLAN_MAX_RETRY 10		/* re-runs of a failed job */
#define PLAN_MAX_REPORTS 16		/* report globs of a job */
#define PLAN_MAX_REPORT 256		/* bytes of one */
#define PLAN_SHARDS_AUTO (-1)		/* shards: auto */
#define PLAN_MAX_SHARDS 64		/* shards of one job */
#define PLAN_DEFAULT_MAX_SHARDS 8	/* auto's cap unless max_shards says */
/* A shard's test ids, as its spec holds them and a job message sends. */
#define PLAN_MAX_SHARD_TESTS_BYTES (512 * 1024)
#define PLAN_MAX_TEST_ID 1024		/* bytes of one listed test id */
#define PLAN_MAX_LISTED 100000		/* ids one list may print */
#define PLAN_MAX_SPLIT_JOBS 1024	/* a plan's jobs once split in shards */
#define PLAN_MAX_ARTIFACTS 64		/* artifact paths of one job */
#define PLAN_MAX_CACHE_PATHS 16		/* a cache's paths, and its key files */
#define PLAN_MAX_SECRETS 32		/* secrets one job asks for */
#define PLAN_MAX_EXPIRE_S (3650LL * 86400)	/* expire_in: ten years */
/* An expanded name: "name[K1=v1,...]". */
#define PLAN_MAX_JOB_NAME \
	(PLAN_MAX_NAME + 2 + PLAN_MAX_KEYS * (PLAN_MAX_NAME + PLAN_MAX_VALUE + 2))

/*
 * What a job keeps and may know (docs/ARTIFACTS.md): the files sent to
 * the dispatcher after it, the runner's cache, the secrets it is given.
 */
struct plan_keep {
	char **artifacts;	/* paths or globs in the tree */
	size_t nartifacts;
	int64_t expire_s;	/* artifacts kept this long; 0: as the job */
	char **cache_paths;	/* in the tree, or "~/..." under HOME */
	size_t ncache_paths;
	char **cache_key;	/* files of the tree keying the cache */
	size_t ncache_key;
	char **secrets;		/* names of the repository's secrets */
	size_t nsecrets;
};

/* What a runner runs for a job. */
struct plan_spec {
	char **run;		/* shell commands, run in order, stopping at
				 * the first that fails */
	size_t nrun;
	char **env;		/* "KEY=VALUE": the matrix's, then env's */
	size_t nenv;
	int timeout_s;		/* 0: the dispatcher's --job-timeout */
	int retry;		/* re-runs after a failure; 0: --retry-failed */
	char **reports;		/* JUnit XML files the job writes, as globs */
	size_t nreports;
	char **tests;		/* a shard's test ids, one per line in
				 * $SSCI_TESTS_FILE; none for other jobs */
	size_t ntests;
	struct plan_keep keep;
};

struct plan_job {
	char *name;		/* "build"; "integration[PY=3.11]" once expanded */
	struct plan_spec spec;
	char **labels;		/* a runner must have every one */
	size_t nlabels;
	size_t *needs;		/* indexes into plan.jobs, each job once */
	size_t nneeds;
	int allow_failure;
	/* Sharding (docs/PIPELINES.md): split over runners. */
	int shards;		/* 0: not split; N; or PLAN_SHARDS_AUTO */
	int max_shards;		/* auto's cap */
	char *list;		/* prints the ids to split; NULL: the last pass's */
	char **listed;		/* what list printed, filled by the runner */
	size_t nlisted;
	int has_listed;		/* list ran (listed may still be empty) */
	/*
	 * Once the dispatcher split the job (never encoded): it stays as the
	 * job its shards make up, shard_total of them, each a job after it
	 * with shard_of its index + 1.
	 */
	size_t shard_of;
	int shard_index;	/* 1 to shard_total */
	int shard_total;
	int64_t expected_ms;	/* a shard's expected time */
};

/* The jobs in file order, each matrix's jobs in place of its job. */
struct plan {
	struct plan_job *jobs;
	size_t njobs;
};

/*
 * Parse len bytes of .ssci.yml.  0 and *plan filled (release it with
 * plan_release), or -1 with err holding the message (plan is then empty).
 */
int plan_parse(const char *text, size_t len, struct plan *plan, char *err,
    size_t errsize);
void plan_release(struct plan *plan);

/*
 * A plan as one line of JSON (malloc'd), as a runner sends it, and back:
 * 0, or -1 with err saying what is wrong (plan is then empty).  Decoding
 * checks everything plan_parse guarantees but the file's own rules.
 */
char *plan_encode(const struct plan *plan);
int plan_decode(const char *text, size_t len, struct plan *plan, char *err,
    size_t errsize);

/* A spec as one line of JSON text (malloc'd), and back: 0, or -1 if bad. */
char *plan_spec_encode(const struct plan_spec *spec);
int plan_spec_decode(const char *text, struct plan_spec *spec);
void plan_spec_release(struct plan_spec *spec);

/*
 * A report glob: a path relative to the tree ("reports/junit-[a-z]*.xml"),
 * printable, with no ".." part; at most PLAN_MAX_REPORT bytes.
 */
int plan_report_valid(const char *s);

/*
 * A keep as one object of JSON text (malloc'd; "{}" when it holds
 * nothing), as a job message carries it, and back: 0, or -1 if bad.
 */
char *plan_keep_encode(const struct plan_keep *keep);
int plan_keep_decode_text(const char *text, struct plan_keep *keep);
void plan_keep_release(struct plan_keep *keep);

/*
 * An artifact's path or glob: a report path none of whose parts can match
 * "." or ".." (not ".", and not one that begins with '.' and holds a
 * pattern).
 */
int plan_artifact_valid(const char *s);
/* A cache path: a report path with no glob, or one after "~/". */
int plan_cache_path_valid(const char *s);
/* A secret's name: a letter or _, then letters, digits or _, at most 64. */
int plan_secret_name_valid(const char *s);

/* A test id as a list prints it: 1 to PLAN_MAX_TEST_ID printable bytes. */
int plan_test_id_valid(const char *s);

/* Labels as the store keeps them: words joined by single spaces. */
char *plan_labels_join(char *const *labels, size_t nlabels);

#endif

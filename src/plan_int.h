/* SPDX-License-Identifier: MIT */
/*
 * plan_int.h - what the plan's files share: the file as a tree of nodes
 * and the error messages (plan_yaml.c), the jobs as the schema check
 * leaves them (plan.c), and their expansion into the plan (plan_expand.c).
 */
#ifndef SSCI_PLAN_INT_H
#define SSCI_PLAN_INT_H

#include <stddef.h>

#include "plan.h"

#define PLAN_MAX_DEPTH 32	/* nested lists and mappings */
#define PLAN_MAX_NODES 10000	/* texts, lists and mappings in the file */
#define PLAN_MAX_ENV_VALUE 4096
/* What the expanded jobs may take, strings and arrays counted. */
#define PLAN_MAX_EXPANDED (4 * 1024 * 1024)
/* Characters of the file's text quoted in a message, and their room. */
#define PLAN_QUOTE_CHARS 40
#define PLAN_QUOTE_SIZE (PLAN_QUOTE_CHARS * 6 + 8)

enum pnode_kind { PNODE_SCALAR, PNODE_SEQ, PNODE_MAP };

/*
 * The file's one document as a flat array in document order: a list's or
 * mapping's items follow it, and end says where its subtree stops, so
 * its items are at i + 1, nodes[i + 1].end, ...  A mapping's items
 * alternate key and value; keys are scalars.
 */
struct pnode {
	enum pnode_kind kind;
	int plain;		/* a scalar written without quotes or | > */
	char *text;		/* a scalar's: UTF-8, no NUL; else NULL */
	size_t len;
	size_t nkids;
	size_t end;		/* the index after this node and its items */
	unsigned long line, col;	/* 1-based */
};

struct ptree {
	struct pnode *nodes;	/* nodes[0] is the document's root */
	size_t n, cap;
};

/* Where a failure's message goes. */
struct plan_err {
	char *buf;
	size_t size;
};

/* The first item of node i, and the one after item k. */
#define PNODE_FIRST(t, i) ((i) + 1)
#define PNODE_NEXT(t, k) ((t)->nodes[(k)].end)

/*
 * Read the text into t: 0, or -1 with the message written.  An empty
 * stream leaves t->n at 0.
 */
int plan_tree_load(const char *text, size_t len, struct ptree *t,
    struct plan_err *e);
void plan_tree_free(struct ptree *t);

/* Write ".ssci.yml:LINE:COL: message" and return -1. */
int plan_fail(struct plan_err *e, unsigned long line, unsigned long col,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same at a node's place. */
#define plan_fail_at(e, nd, ...) \
	plan_fail((e), (nd)->line, (nd)->col, __VA_ARGS__)

/* s made safe to quote in a message: escaped, cut after a few words. */
void plan_quote(const char *s, char out[PLAN_QUOTE_SIZE]);

/* "'key' in job 'name' must be rule, not found" at nd, and -1. */
int plan_expected(const struct pnode *nd, struct plan_err *e, const char *key,
    const char *name, const char *rule);

/* An empty, "~" or "null" plain scalar: what YAML calls null. */
int plan_is_null(const struct pnode *n);

/* A needs entry: the job it names (an index into the raw jobs), where. */
struct pneed {
	size_t job;
	unsigned long line, col;
};

/*
 * A job as the schema check leaves it: its fields as nodes of the tree
 * (0 where absent: nodes[0] is the root, never a field), known good.
 */
struct pjob {
	size_t key;		/* its name */
	size_t run, labels, matrix, env, reports;
	size_t *needs_at;	/* the needs entries' nodes */
	size_t nneeds_at;
	struct pneed *needs;	/* resolved by plan_expand, each job once */
	size_t nneeds;
	size_t combos;		/* jobs its matrix makes (1 without) */
	int timeout_s;
	int allow_failure;
	int retry;
	int shards;		/* 0, N or PLAN_SHARDS_AUTO */
	int max_shards;		/* 0: not given */
	size_t list;		/* its node, or 0 */
	/* plan_keep.c's keys: their nodes, or 0 */
	size_t artifacts, cache_paths, cache_key, secrets;
	int64_t expire_s;
};

/* plan_shards.c: the sharding keys of job name at node v into j. */
int plan_check_shards(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j);
int plan_check_max_shards(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j);
int plan_check_list(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j);
/* What the keys say together, once the job's are all read. */
int plan_check_sharding(const struct ptree *t, struct plan_err *e,
    const char *name, size_t key, const struct pjob *j);

/* plan_keep.c: artifacts, cache and secrets of job name at node v. */
int plan_check_artifacts(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j);
int plan_check_cache(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j);
int plan_check_secrets(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j);

/*
 * plan_keep.c: a job's keep as the fields of a spec's or plan job's JSON
 * object, and back (0, or -1 if a field is bad; keep is then empty).
 */
struct json_t;
int plan_keep_json(struct json_t *obj, const struct plan_keep *keep);
int plan_keep_decode(const struct json_t *obj, struct plan_keep *keep);
/* Whether key is one of those fields. */
int plan_keep_key(const char *key);

/* plan_json.c: checked allocation, strings (mended to UTF-8), arrays. */
struct json_t *plan_json_check(struct json_t *v);
struct json_t *plan_json_string(const char *s);
struct json_t *plan_json_strings(char *const *list, size_t n);
/*
 * A JSON array of strings into *out (n of them), each passing valid:
 * 0, or -1 with nothing kept.  An absent array is none.
 */
int plan_json_decode_strings(const struct json_t *a, size_t min, size_t max,
    int (*valid)(const char *), char ***out, size_t *n);

/*
 * Resolve the needs, refuse cycles and fill plan with the expanded jobs:
 * 0, or -1 with the message written and plan holding what was filled.
 */
int plan_expand(const struct ptree *t, struct pjob *jobs, size_t njobs,
    struct plan *plan, struct plan_err *e);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * plan_shards.c - a .ssci.yml job's sharding keys checked (plan_int.h):
 * shards (a count, or auto), max_shards (auto's cap) and list (the
 * command that prints the test ids to split).  docs/PIPELINES.md has the
 * rules.
 */
#include <stdio.h>
#include <string.h>

#include "plan_int.h"
#include "util.h"

#define SHARDS_RULE "a number of shards from 1 to 64, or auto"
#define MAX_SHARDS_RULE "a number from 1 to 64"

int
plan_check_shards(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j)
{
	const struct pnode *nd = &t->nodes[v];
	long n;

	if (nd->kind == PNODE_SCALAR && nd->plain &&
	    strcmp(nd->text, "auto") == 0) {
		j->shards = PLAN_SHARDS_AUTO;
		return 0;
	}
	if (nd->kind != PNODE_SCALAR ||
	    parse_long(nd->text, 1, PLAN_MAX_SHARDS, &n) == -1)
		return plan_expected(nd, e, "shards", name, SHARDS_RULE);
	j->shards = (int)n;
	return 0;
}

int
plan_check_max_shards(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j)
{
	const struct pnode *nd = &t->nodes[v];
	long n;

	if (nd->kind != PNODE_SCALAR ||
	    parse_long(nd->text, 1, PLAN_MAX_SHARDS, &n) == -1)
		return plan_expected(nd, e, "max_shards", name,
		    MAX_SHARDS_RULE);
	j->max_shards = (int)n;
	return 0;
}

int
plan_check_list(const struct ptree *t, struct plan_err *e,
    const char *name, size_t v, struct pjob *j)
{
	const struct pnode *nd = &t->nodes[v];

	if (nd->kind != PNODE_SCALAR || plan_is_null(nd))
		return plan_expected(nd, e, "list", name, "a command");
	if (nd->len > PLAN_MAX_COMMAND)
		return plan_fail_at(e, nd, "'list' in job '%s' is longer than "
		    "%d bytes", name, PLAN_MAX_COMMAND);
	j->list = v;
	return 0;
}

int
plan_check_sharding(const struct ptree *t, struct plan_err *e,
    const char *name, size_t key, const struct pjob *j)
{
	const struct pnode *at = &t->nodes[key];

	if (j->list != 0 && j->shards == 0)
		return plan_fail_at(e, &t->nodes[j->list], "'list' in job "
		    "'%s' lists tests to split, but the job has no 'shards'",
		    name);
	if (j->max_shards != 0 && j->shards != PLAN_SHARDS_AUTO)
		return plan_fail_at(e, at, "'max_shards' in job '%s' caps "
		    "'shards: auto', which the job does not say", name);
	return 0;
}

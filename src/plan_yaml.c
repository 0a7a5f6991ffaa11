/* SPDX-License-Identifier: MIT */
/*
 * plan_yaml.c - a .ssci.yml read with libyaml's event parser into a flat
 * tree (plan_int.h), and the plan's error messages.
 *
 * The file comes from whoever can push a commit, so what it may cost is
 * bounded here, before any schema: its size (plan.c), the nodes it makes,
 * how deep they nest.  Anchors and aliases are refused rather than
 * expanded, so a small file cannot stand for a huge one; tags are refused
 * too, since the schema gives every value its type.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "plan_int.h"
#include "util.h"

struct loader {
	struct ptree *t;
	struct plan_err *e;
	size_t stack[PLAN_MAX_DEPTH];	/* the open lists and mappings */
	size_t depth;
	int docs;
};

int
plan_fail(struct plan_err *e, unsigned long line, unsigned long col,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->size == 0)
		return -1;
	n = snprintf(e->buf, e->size, "%s:%lu:%lu: ", PLAN_FILE, line, col);
	if (n < 0 || (size_t)n >= e->size)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->buf + n, e->size - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

void
plan_quote(const char *s, char out[PLAN_QUOTE_SIZE])
{
	char cut[PLAN_QUOTE_CHARS * 4 + 1];
	size_t i = 0, chars = 0, len = strlen(s), n;

	/* Whole characters only, so that the cut stays UTF-8. */
	while (i < len && chars < PLAN_QUOTE_CHARS) {
		n = utf8_seq_len((const unsigned char *)s + i, len - i);
		if (n == 0)
			n = 1;
		i += n;
		chars++;
	}
	memcpy(cut, s, i);
	cut[i] = '\0';
	log_escape(cut, out, PLAN_QUOTE_SIZE - 4);
	if (i < len)
		strcat(out, "...");
}

int
plan_is_null(const struct pnode *n)
{
	return n->kind == PNODE_SCALAR && n->plain && (n->len == 0 ||
	    strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
	    strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0);
}

void
plan_tree_free(struct ptree *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->nodes[i].text);
	free(t->nodes);
	memset(t, 0, sizeof *t);
}

static const char *
kind_name(enum pnode_kind kind)
{
	return kind == PNODE_MAP ? "a mapping" : kind == PNODE_SEQ ? "a list" :
	    "a text";
}

/* Add a node at mark as the next item of the open list or mapping. */
static struct pnode *
add_node(struct loader *l, enum pnode_kind kind, const yaml_mark_t *mark)
{
	struct ptree *t = l->t;
	struct pnode *parent, *nd;

	if (t->n >= PLAN_MAX_NODES) {
		plan_fail(l->e, mark->line + 1, mark->column + 1,
		    "more than %d values in the file", PLAN_MAX_NODES);
		return NULL;
	}
	if (l->depth > 0) {
		parent = &t->nodes[l->stack[l->depth - 1]];
		if (parent->kind == PNODE_MAP && parent->nkids % 2 == 0 &&
		    kind != PNODE_SCALAR) {
			plan_fail(l->e, mark->line + 1, mark->column + 1,
			    "a key must be a text, not %s", kind_name(kind));
			return NULL;
		}
		parent->nkids++;
	} else if (t->n > 0) {
		/* libyaml gives one root per document; be sure. */
		plan_fail(l->e, mark->line + 1, mark->column + 1,
		    "only one document is allowed");
		return NULL;
	}
	if (t->n == t->cap) {
		t->cap = t->cap == 0 ? 64 : t->cap * 2;
		t->nodes = xrealloc(t->nodes, t->cap * sizeof *t->nodes);
	}
	nd = &t->nodes[t->n++];
	memset(nd, 0, sizeof *nd);
	nd->kind = kind;
	nd->end = t->n;
	nd->line = mark->line + 1;
	nd->col = mark->column + 1;
	return nd;
}

/* Anchors, aliases and tags are refused wherever they are. */
static int
refuse_extras(struct loader *l, const yaml_event_t *ev,
    const yaml_char_t *anchor, const yaml_char_t *tag)
{
	const yaml_mark_t *m = &ev->start_mark;

	if (anchor != NULL)
		return plan_fail(l->e, m->line + 1, m->column + 1,
		    "anchors and aliases are not supported");
	if (tag != NULL)
		return plan_fail(l->e, m->line + 1, m->column + 1,
		    "tags are not supported");
	return 0;
}

static int
on_scalar(struct loader *l, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct pnode *nd;

	if (refuse_extras(l, ev, ev->data.scalar.anchor,
	    ev->data.scalar.tag) == -1)
		return -1;
	/* libyaml checks the file's UTF-8, but "\0" makes a NUL. */
	if (!utf8_valid(value, len))
		return plan_fail(l->e, ev->start_mark.line + 1,
		    ev->start_mark.column + 1,
		    "a NUL character is not allowed");
	if ((nd = add_node(l, PNODE_SCALAR, &ev->start_mark)) == NULL)
		return -1;
	nd->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	nd->text = xstrndup(value, len);
	nd->len = len;
	return 0;
}

static int
on_start(struct loader *l, const yaml_event_t *ev, enum pnode_kind kind)
{
	const yaml_mark_t *m = &ev->start_mark;
	int seq = kind == PNODE_SEQ;

	if (refuse_extras(l, ev, seq ? ev->data.sequence_start.anchor :
	    ev->data.mapping_start.anchor, seq ? ev->data.sequence_start.tag :
	    ev->data.mapping_start.tag) == -1)
		return -1;
	if (l->depth == PLAN_MAX_DEPTH)
		return plan_fail(l->e, m->line + 1, m->column + 1,
		    "lists and mappings nested more than %d deep",
		    PLAN_MAX_DEPTH);
	if (add_node(l, kind, m) == NULL)
		return -1;
	l->stack[l->depth++] = l->t->n - 1;
	return 0;
}

static int
on_event(struct loader *l, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (l->docs++ > 0)
			return plan_fail(l->e, m->line + 1, m->column + 1,
			    "only one document is allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return plan_fail(l->e, m->line + 1, m->column + 1,
		    "anchors and aliases are not supported");
	case YAML_SCALAR_EVENT:
		return on_scalar(l, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(l, ev, PNODE_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_start(l, ev, PNODE_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		/* libyaml pairs them with their starts. */
		if (l->depth > 0) {
			l->depth--;
			l->t->nodes[l->stack[l->depth]].end = l->t->n;
		}
		return 0;
	default:
		return 0;
	}
}

/*
 * libyaml's own words for what is wrong.  Its marks count from 0; a
 * reader error (bad UTF-8, a control character) has only a byte offset.
 */
static int
parser_fail(const yaml_parser_t *p, const char *text, size_t len,
    struct plan_err *e)
{
	unsigned long line = p->problem_mark.line + 1;
	unsigned long col = p->problem_mark.column + 1;
	const char *problem = p->problem != NULL ? p->problem :
	    "not valid YAML";

	if (p->error == YAML_MEMORY_ERROR)
		fatalx("libyaml: out of memory");
	if (p->error == YAML_READER_ERROR) {
		line = col = 1;
		for (size_t i = 0; i < p->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)text[i] & 0xc0) != 0x80)
				col++;
		}
	}
	return plan_fail(e, line, col, "%s", problem);
}

int
plan_tree_load(const char *text, size_t len, struct ptree *t,
    struct plan_err *e)
{
	struct loader l;
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0, done = 0;

	memset(t, 0, sizeof *t);
	memset(&l, 0, sizeof l);
	l.t = t;
	l.e = e;
	if (!yaml_parser_initialize(&p))
		fatalx("libyaml: out of memory");
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = parser_fail(&p, text, len, e);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&l, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc == -1)
		plan_tree_free(t);
	return rc;
}

int
plan_expected(const struct pnode *nd, struct plan_err *e, const char *key,
    const char *name, const char *rule)
{
	char q[PLAN_QUOTE_SIZE];

	if (nd->kind != PNODE_SCALAR || plan_is_null(nd))
		return plan_fail_at(e, nd, "'%s' in job '%s' must be %s, not "
		    "%s", key, name, rule, nd->kind == PNODE_SEQ ? "a list" :
		    nd->kind == PNODE_MAP ? "a mapping" : "nothing");
	plan_quote(nd->text, q);
	return plan_fail_at(e, nd, "'%s' in job '%s' must be %s, not '%s'",
	    key, name, rule, q);
}

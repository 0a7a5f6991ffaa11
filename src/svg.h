/* SPDX-License-Identifier: MIT */
/*
 * svg.h - the pictures of the web pages, drawn by the server as SVG: a
 * branch's recent jobs as a strip of coloured marks, their durations as a
 * bar chart, the status badge (svg.c), and a pipeline's jobs as a graph
 * (svg_graph.c).
 */
#ifndef SSCI_SVG_H
#define SSCI_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"

struct evbuffer;

/* One job in a picture. */
struct svg_mark {
	int64_t id;		/* the job, for its link; 0 for no link */
	enum job_state state;
	int64_t duration_ms;	/* -1 if unknown */
	const char *title;	/* tooltip (unescaped), may be NULL */
};

/* The colour of a state, "#rrggbb". */
const char *svg_state_colour(enum job_state state);

/*
 * Marks (oldest first) as a row of rectangles.  A small strip (large == 0)
 * fits a table cell and has no links of its own; a large one links each
 * mark to its job's page.
 */
void svg_strip(struct evbuffer *out, const struct svg_mark *marks, size_t n,
    int large);

/*
 * Durations of the marks as bars under a large strip (same columns),
 * scaled to the longest, labelled with it.  Both are drawn wide, for the
 * page to show as wide as the card that holds them.
 */
void svg_durations(struct evbuffer *out, const struct svg_mark *marks,
    size_t n);

/* One job of a pipeline's graph (svg_graph.c). */
/* A shard inside its sharded job's box. */
struct svg_shard {
	int64_t id;
	enum job_state state;
	int index;		/* from 1 */
	int64_t expected_ms;	/* -1: unknown */
	int64_t duration_ms;	/* -1: not over */
};

struct svg_node {
	int64_t id;		/* the job, for its link */
	enum job_state state;
	const char *name;	/* unescaped; NULL: "#id" */
	const size_t *needs;	/* indexes of the nodes it needs */
	size_t nneeds;
	const struct svg_shard *shards;	/* a sharded job's, in order */
	size_t nshards;
};

/*
 * A pipeline's jobs as boxes in columns by depth (a job that needs
 * nothing is in the first column, any other one column right of the
 * deepest job it needs), each coloured by its state, holding its name and
 * state and linked to its page, with an arrow from each need to the job
 * that needs it.  The box of job current (0: none) has a thick outline.
 * A sharded job's box lists its shards, each with its state, expected
 * and real duration, and a link to its own page.
 */
void svg_pipeline(struct evbuffer *out, const struct svg_node *nodes,
    size_t n, int64_t current);

/* A shields-style badge "label | message" with the message on colour. */
void svg_badge(struct evbuffer *out, const char *label, const char *message,
    const char *colour);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * svg_graph.c - a pipeline's jobs drawn as a graph: a box per job in
 * columns by depth (what needs nothing on the left, each job one column
 * right of the deepest job it needs), arrows from each need to the job
 * that waits for it.  Like svg.c, plain SVG with its colours in
 * attributes (the pages' Content-Security-Policy forbids styles), every
 * name escaped, each box a link to its job's page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "html_int.h"
#include "svg.h"
#include "util.h"

#define SVG_BOX_W 176
#define SVG_BOX_H 44
#define SVG_COL_GAP 56
#define SVG_ROW_GAP 14
#define SVG_PAD 6
/* The most of a name a box shows; the rest is in its tooltip. */
#define SVG_NAME_CHARS 22
#define SVG_EDGE "#8c959f"
/* A shard's line in its job's box. */
#define SVG_SHARD_H 16

/* Where each job goes: its column (depth) and its place in it. */
struct svg_layout {
	size_t *depth;
	size_t *row;
	size_t *rows;		/* jobs in each column */
	size_t ncols, maxrows;
	int box_h;		/* every box's: room for the most shards */
};

/* Text on a state's colour: dark on the light ones, as the pills have. */
static const char *
svg_ink(enum job_state state)
{
	switch (state) {
	case JOB_QUEUED:
	case JOB_TIMEOUT:
	case JOB_SKIPPED:
		return "#1f2328";
	default:
		return "#ffffff";
	}
}

/*
 * Depth of each job: 1 + the deepest of its needs, 0 for none.  Passes
 * over the jobs until nothing changes (needs may point either way); a
 * circle, which the store never holds, stops at depth n - 1.
 */
static void
svg_depths(const struct svg_node *nodes, size_t n, size_t *depth)
{
	int changed = 1;

	memset(depth, 0, n * sizeof *depth);
	for (size_t pass = 0; pass < n && changed; pass++) {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			size_t d = 0;

			for (size_t k = 0; k < nodes[i].nneeds; k++) {
				size_t need = nodes[i].needs[k];

				if (need < n && need != i && depth[need] + 1 > d)
					d = depth[need] + 1;
			}
			if (d > n - 1)
				d = n - 1;
			if (d != depth[i]) {
				depth[i] = d;
				changed = 1;
			}
		}
	}
}

static void
svg_layout(const struct svg_node *nodes, size_t n, struct svg_layout *l)
{
	l->depth = xcalloc(n, sizeof *l->depth);
	l->row = xcalloc(n, sizeof *l->row);
	l->rows = xcalloc(n, sizeof *l->rows);
	l->ncols = l->maxrows = 0;
	l->box_h = SVG_BOX_H;
	for (size_t i = 0; i < n; i++)
		if (SVG_BOX_H + (int)nodes[i].nshards * SVG_SHARD_H > l->box_h)
			l->box_h = SVG_BOX_H + (int)nodes[i].nshards *
			    SVG_SHARD_H;
	svg_depths(nodes, n, l->depth);
	for (size_t i = 0; i < n; i++) {
		l->row[i] = l->rows[l->depth[i]]++;
		if (l->depth[i] + 1 > l->ncols)
			l->ncols = l->depth[i] + 1;
		if (l->rows[l->depth[i]] > l->maxrows)
			l->maxrows = l->rows[l->depth[i]];
	}
}

static void
svg_layout_free(struct svg_layout *l)
{
	free(l->depth);
	free(l->row);
	free(l->rows);
}

/* The top left corner of job i's box; a short column is centred. */
static void
svg_box_at(const struct svg_layout *l, size_t i, int *x, int *y)
{
	size_t col = l->depth[i];

	*x = SVG_PAD + (int)col * (SVG_BOX_W + SVG_COL_GAP);
	*y = SVG_PAD + (int)(l->maxrows - l->rows[col]) *
	    (l->box_h + SVG_ROW_GAP) / 2 +
	    (int)l->row[i] * (l->box_h + SVG_ROW_GAP);
}

/* An arrow from the right of need's box to the left of job i's. */
static void
svg_edge(struct evbuffer *out, const struct svg_layout *l,
    const struct svg_node *nodes, size_t need, size_t i)
{
	int x1, y1, x2, y2, bend;

	svg_box_at(l, need, &x1, &y1);
	svg_box_at(l, i, &x2, &y2);
	x1 += SVG_BOX_W;
	y1 += l->box_h / 2;
	x2 -= 1;
	y2 += l->box_h / 2;
	bend = (x2 - x1) / 2;
	evbuffer_add_printf(out, "<path class=\"edge\" data-from=\"%lld\" "
	    "data-to=\"%lld\" d=\"M%d %dC%d %d %d %d %d %d\" fill=\"none\" "
	    "stroke=\"" SVG_EDGE "\" stroke-width=\"1.5\" "
	    "marker-end=\"url(#ssci-arrow)\"/>", (long long)nodes[need].id,
	    (long long)nodes[i].id, x1, y1, x1 + bend, y1, x2 - bend, y2, x2,
	    y2);
}

/* A name as a box shows it: whole, or its start (UTF-8 kept whole) and …. */
static void
svg_name(struct evbuffer *out, const char *name)
{
	size_t len = strlen(name), cut = 0, chars = 0;

	while (cut < len && chars < SVG_NAME_CHARS) {
		cut++;
		while (cut < len && ((unsigned char)name[cut] & 0xc0) == 0x80)
			cut++;
		chars++;
	}
	if (cut == len) {
		html_escape(out, name);
		return;
	}
	/* One character fewer, to make room for the ellipsis. */
	while (cut > 0 && ((unsigned char)name[--cut] & 0xc0) == 0x80)
		;
	html_escape_len(out, name, cut);
	evbuffer_add_printf(out, "\xe2\x80\xa6");
}

/* Shard k's line in its job's box at (x, y): a link to its page. */
static void
svg_shard(struct evbuffer *out, const struct svg_node *node, size_t k,
    int x, int y)
{
	const struct svg_shard *sh = &node->shards[k];
	char expected[HTML_FMT_SIZE], took[HTML_FMT_SIZE];

	html_fmt_duration(expected, sizeof expected, sh->expected_ms);
	html_fmt_duration(took, sizeof took, sh->duration_ms);
	evbuffer_add_printf(out, "<a class=\"shard state-%s\" "
	    "href=\"/jobs/%lld\" data-job=\"%lld\"><title>shard %d of %zu "
	    "(#%lld): %s; expected %s, took %s</title>",
	    job_state_name(sh->state), (long long)sh->id, (long long)sh->id,
	    sh->index, node->nshards, (long long)sh->id,
	    job_state_name(sh->state), expected, took);
	evbuffer_add_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"10\" "
	    "height=\"10\" rx=\"2\" fill=\"%s\" stroke=\"currentColor\" "
	    "stroke-opacity=\".5\"/>", x, y + 2, svg_state_colour(sh->state));
	evbuffer_add_printf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
	    "fill=\"%s\">%d/%zu %s · est. %s</text></a>", x + 15, y + 11,
	    svg_ink(node->state), sh->index, node->nshards,
	    sh->duration_ms >= 0 ? took : job_state_name(sh->state),
	    expected);
}

/*
 * A sharded job's box: its name linked to its page, and a line for each
 * shard linked to the shard's (links do not nest, so the box is none).
 */
static void
svg_sharded_box(struct evbuffer *out, const struct svg_layout *l,
    const struct svg_node *node, size_t i, int current, const char *name)
{
	const char *state = job_state_name(node->state);
	int x, y;

	svg_box_at(l, i, &x, &y);
	evbuffer_add_printf(out, "<g class=\"node sharded state-%s%s\" "
	    "data-job=\"%lld\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" rx=\"6\" fill=\"%s\" stroke=\"currentColor\" "
	    "stroke-width=\"%s\" stroke-opacity=\"%s\"/>", state,
	    current ? " current" : "", (long long)node->id, x, y, SVG_BOX_W,
	    l->box_h, svg_state_colour(node->state), current ? "3" : "1",
	    current ? "1" : ".35");
	evbuffer_add_printf(out, "<a href=\"/jobs/%lld\"><title>",
	    (long long)node->id);
	html_escape(out, name);
	evbuffer_add_printf(out, " (#%lld): %s, %zu shards</title>"
	    "<text class=\"name\" x=\"%d\" y=\"%d\" font-size=\"12\" "
	    "font-weight=\"600\" fill=\"%s\">", (long long)node->id, state,
	    node->nshards, x + 10, y + 18, svg_ink(node->state));
	svg_name(out, name);
	evbuffer_add_printf(out, "</text><text class=\"state\" x=\"%d\" "
	    "y=\"%d\" font-size=\"11\" fill=\"%s\">%s · %zu shards</text>"
	    "</a>", x + 10, y + 34, svg_ink(node->state), state,
	    node->nshards);
	for (size_t k = 0; k < node->nshards; k++)
		svg_shard(out, node, k, x + 10, y + SVG_BOX_H - 4 +
		    (int)k * SVG_SHARD_H);
	evbuffer_add_printf(out, "</g>");
}

/* Job i's box: a link to its page, its name and state inside. */
static void
svg_box(struct evbuffer *out, const struct svg_layout *l,
    const struct svg_node *node, size_t i, int current)
{
	const char *state = job_state_name(node->state);
	char fallback[32];
	const char *name = node->name;
	int x, y;

	if (name == NULL || *name == '\0') {
		snprintf(fallback, sizeof fallback, "#%lld",
		    (long long)node->id);
		name = fallback;
	}
	if (node->nshards > 0) {
		svg_sharded_box(out, l, node, i, current, name);
		return;
	}
	svg_box_at(l, i, &x, &y);
	evbuffer_add_printf(out, "<a class=\"node state-%s%s\" "
	    "href=\"/jobs/%lld\" data-job=\"%lld\"><title>", state,
	    current ? " current" : "", (long long)node->id,
	    (long long)node->id);
	html_escape(out, name);
	evbuffer_add_printf(out, " (#%lld): %s</title>", (long long)node->id,
	    state);
	evbuffer_add_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" rx=\"6\" fill=\"%s\" stroke=\"currentColor\" "
	    "stroke-width=\"%s\" stroke-opacity=\"%s\"/>", x, y, SVG_BOX_W,
	    l->box_h, svg_state_colour(node->state), current ? "3" : "1",
	    current ? "1" : ".35");
	evbuffer_add_printf(out, "<text class=\"name\" x=\"%d\" y=\"%d\" "
	    "font-size=\"12\" font-weight=\"600\" fill=\"%s\">", x + 10,
	    y + 18, svg_ink(node->state));
	svg_name(out, name);
	evbuffer_add_printf(out, "</text><text class=\"state\" x=\"%d\" "
	    "y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text></a>", x + 10,
	    y + 34, svg_ink(node->state), state);
}

void
svg_pipeline(struct evbuffer *out, const struct svg_node *nodes, size_t n,
    int64_t current)
{
	struct svg_layout l;
	int width, height;

	if (n == 0)
		return;
	svg_layout(nodes, n, &l);
	width = 2 * SVG_PAD + (int)l.ncols * SVG_BOX_W +
	    (int)(l.ncols - 1) * SVG_COL_GAP;
	height = 2 * SVG_PAD + (int)l.maxrows * l.box_h +
	    (int)(l.maxrows - 1) * SVG_ROW_GAP;
	evbuffer_add_printf(out, "<svg class=\"pipeline-graph\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" role=\"group\" aria-label=\"the "
	    "pipeline's jobs; an arrow goes from a job to each job that "
	    "needs it\"><defs><marker id=\"ssci-arrow\" viewBox=\"0 0 10 10\" "
	    "refX=\"10\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" "
	    "markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path "
	    "d=\"M0 0L10 5L0 10z\" fill=\"" SVG_EDGE "\"/></marker></defs>"
	    "<g class=\"edges\">", width, height, width, height);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < nodes[i].nneeds; k++) {
			if (nodes[i].needs[k] < n && nodes[i].needs[k] != i)
				svg_edge(out, &l, nodes, nodes[i].needs[k], i);
		}
	}
	evbuffer_add_printf(out, "</g><g class=\"nodes\">");
	for (size_t i = 0; i < n; i++)
		svg_box(out, &l, &nodes[i], i, current > 0 &&
		    nodes[i].id == current);
	evbuffer_add_printf(out, "</g></svg>");
	svg_layout_free(&l);
}

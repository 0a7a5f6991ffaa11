/* SPDX-License-Identifier: MIT */
/*
 * svg.c - pictures drawn by the server: a strip of pass/fail marks, a bar
 * chart of durations and the status badge.  Plain SVG with the colours in
 * attributes, so that each picture looks the same inline in a page, alone
 * in a README or under a Content-Security-Policy that forbids styles.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "html_int.h"
#include "svg.h"

/* A large strip and the chart share columns and the left margin. */
#define SVG_MARGIN 56
#define SVG_MARK_H 28
#define SVG_SMALL_W 8
#define SVG_SMALL_GAP 2
#define SVG_SMALL_H 18
#define SVG_CHART_H 90
#define SVG_CHART_TOP 8
/*
 * A history's strip and chart are drawn this wide and shown as wide as
 * their card: the columns spread over it, at most SVG_STEP_MAX apart.
 */
#define SVG_WIDE 1000
#define SVG_STEP_MAX 48

static const char *const svg_colours[] = {
	[JOB_QUEUED] = "#afb8c1",
	[JOB_RUNNING] = "#0969da",
	[JOB_PASSED] = "#1f9d47",
	[JOB_FAILED] = "#d1242f",
	[JOB_ERROR] = "#8250df",
	[JOB_TIMEOUT] = "#d4a72c",
	[JOB_CANCELLED] = "#8c959f",
	[JOB_SKIPPED] = "#d0d7de",
};

const char *
svg_state_colour(enum job_state state)
{
	if ((unsigned)state >= sizeof svg_colours / sizeof svg_colours[0])
		return "#8c959f";
	return svg_colours[state];
}

/* A mark's tooltip, escaped, as a <title> child. */
static void
svg_title(struct evbuffer *out, const char *title)
{
	if (title == NULL)
		return;
	evbuffer_add_printf(out, "<title>");
	html_escape(out, title);
	evbuffer_add_printf(out, "</title>");
}

/* The columns of a large strip and its chart: step apart, w wide. */
static void
svg_columns(size_t n, int *step, int *w)
{
	*step = n > 0 ? (SVG_WIDE - SVG_MARGIN) / (int)n : SVG_STEP_MAX;
	if (*step > SVG_STEP_MAX)
		*step = SVG_STEP_MAX;
	*w = *step * 3 / 4 > 2 ? *step * 3 / 4 : 2;
}

/* One rectangle of a strip, with its job's state as a class for the tests. */
static void
svg_mark(struct evbuffer *out, const struct svg_mark *m, int x, int w, int h,
    int link)
{
	const char *name = job_state_name(m->state);

	if (link && m->id > 0)
		evbuffer_add_printf(out, "<a href=\"/jobs/%lld\">",
		    (long long)m->id);
	evbuffer_add_printf(out, "<rect class=\"mark state-%s\" "
	    "data-job=\"%lld\" x=\"%d\" y=\"0\" width=\"%d\" height=\"%d\" "
	    "rx=\"2\" fill=\"%s\">", name, (long long)m->id, x, w, h,
	    svg_state_colour(m->state));
	svg_title(out, m->title);
	evbuffer_add_printf(out, "</rect>");
	if (link && m->id > 0)
		evbuffer_add_printf(out, "</a>");
}

void
svg_strip(struct evbuffer *out, const struct svg_mark *marks, size_t n,
    int large)
{
	int w = SVG_SMALL_W, step = SVG_SMALL_W + SVG_SMALL_GAP;
	int h = large ? SVG_MARK_H : SVG_SMALL_H;
	int x0 = large ? SVG_MARGIN : 0;
	int width;

	if (large)
		svg_columns(n, &step, &w);
	width = large ? SVG_WIDE : x0 + (int)n * step;
	evbuffer_add_printf(out, "<svg class=\"strip%s\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"recent jobs, oldest first\">", large ? " large" : "",
	    width, h, width, h);
	if (large)
		evbuffer_add_printf(out, "<text class=\"axis\" x=\"%d\" "
		    "y=\"%d\" text-anchor=\"end\" font-size=\"11\" "
		    "fill=\"#57606a\">status</text>", x0 - 8, h / 2 + 4);
	for (size_t i = 0; i < n; i++)
		svg_mark(out, &marks[i], x0 + (int)i * step, w, h, large);
	evbuffer_add_printf(out, "</svg>");
}

/* The label and guide line of the chart's top (the longest) and bottom. */
static void
svg_axis(struct evbuffer *out, int64_t max, int width)
{
	char label[HTML_FMT_SIZE];
	int bottom = SVG_CHART_TOP + SVG_CHART_H;

	html_fmt_duration(label, sizeof label, max);
	evbuffer_add_printf(out, "<g class=\"axis\" font-size=\"11\" "
	    "fill=\"#57606a\" text-anchor=\"end\">"
	    "<text class=\"max\" x=\"%d\" y=\"%d\">%s</text>"
	    "<text x=\"%d\" y=\"%d\">0</text></g>"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d0d7de\" "
	    "stroke-dasharray=\"3 3\"/>"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#8c959f\"/>",
	    SVG_MARGIN - 8, SVG_CHART_TOP + 4, label,
	    SVG_MARGIN - 8, bottom, SVG_MARGIN - 4, SVG_CHART_TOP, width,
	    SVG_CHART_TOP, SVG_MARGIN - 4, bottom, width, bottom);
}

/* One bar, w wide, its height in proportion to the longest duration. */
static void
svg_bar(struct evbuffer *out, const struct svg_mark *m, int x, int w,
    int64_t max)
{
	char label[HTML_FMT_SIZE];
	int h = (int)(m->duration_ms * SVG_CHART_H / max);

	if (h < 1)
		h = 1;
	html_fmt_duration(label, sizeof label, m->duration_ms);
	evbuffer_add_printf(out, "<rect class=\"bar state-%s\" x=\"%d\" "
	    "y=\"%d\" width=\"%d\" height=\"%d\" rx=\"1\" fill=\"%s\" "
	    "fill-opacity=\"0.75\"><title>#%lld: %s</title></rect>",
	    job_state_name(m->state), x, SVG_CHART_TOP + SVG_CHART_H - h,
	    w, h, svg_state_colour(m->state), (long long)m->id, label);
}

void
svg_durations(struct evbuffer *out, const struct svg_mark *marks, size_t n)
{
	int step, w, width = SVG_WIDE, height;
	int64_t max = 0;

	svg_columns(n, &step, &w);
	for (size_t i = 0; i < n; i++) {
		if (marks[i].duration_ms > max)
			max = marks[i].duration_ms;
	}
	height = SVG_CHART_TOP + SVG_CHART_H + 6;
	evbuffer_add_printf(out, "<svg class=\"durations\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"durations\">",
	    width, height, width, height);
	if (max == 0) {
		evbuffer_add_printf(out, "<text x=\"%d\" y=\"%d\" "
		    "font-size=\"12\" fill=\"#57606a\">no durations yet</text>"
		    "</svg>", SVG_MARGIN, height / 2);
		return;
	}
	svg_axis(out, max, width);
	for (size_t i = 0; i < n; i++) {
		if (marks[i].duration_ms >= 0)
			svg_bar(out, &marks[i], SVG_MARGIN + (int)i * step, w,
			    max);
	}
	evbuffer_add_printf(out, "</svg>");
}

/* About how wide text is in 11px Verdana, as badges are measured. */
static int
svg_text_width(const char *s)
{
	int w = 0;

	for (; *s != '\0'; s++) {
		if (strchr("ijlt.:,;!|' ", *s) != NULL)
			w += 4;
		else if (strchr("frI", *s) != NULL)
			w += 5;
		else if (strchr("mwMW", *s) != NULL)
			w += 10;
		else
			w += 7;
	}
	return w;
}

/* One half of a badge's text, with its shadow. */
static void
svg_badge_text(struct evbuffer *out, int centre, const char *text)
{
	evbuffer_add_printf(out, "<text x=\"%d\" y=\"15\" fill=\"#010101\" "
	    "fill-opacity=\".3\">", centre);
	html_escape(out, text);
	evbuffer_add_printf(out, "</text><text x=\"%d\" y=\"14\">", centre);
	html_escape(out, text);
	evbuffer_add_printf(out, "</text>");
}

void
svg_badge(struct evbuffer *out, const char *label, const char *message,
    const char *colour)
{
	int lw = svg_text_width(label) + 12, mw = svg_text_width(message) + 12;

	evbuffer_add_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"20\" role=\"img\" aria-label=\"", lw + mw);
	html_escape(out, label);
	evbuffer_add_printf(out, ": ");
	html_escape(out, message);
	evbuffer_add_printf(out, "\"><title>");
	html_escape(out, label);
	evbuffer_add_printf(out, ": ");
	html_escape(out, message);
	evbuffer_add_printf(out, "</title><linearGradient id=\"s\" x2=\"0\" "
	    "y2=\"100%%\"><stop offset=\"0\" stop-color=\"#bbb\" "
	    "stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/>"
	    "</linearGradient><clipPath id=\"r\"><rect width=\"%d\" "
	    "height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>"
	    "<g clip-path=\"url(#r)\"><rect width=\"%d\" height=\"20\" "
	    "fill=\"#555\"/><rect x=\"%d\" width=\"%d\" height=\"20\" "
	    "fill=\"%s\"/><rect width=\"%d\" height=\"20\" fill=\"url(#s)\"/>"
	    "</g><g fill=\"#fff\" text-anchor=\"middle\" "
	    "font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" "
	    "font-size=\"11\">", lw + mw, lw, lw, mw, colour, lw + mw);
	svg_badge_text(out, lw / 2, label);
	svg_badge_text(out, lw + mw / 2, message);
	evbuffer_add_printf(out, "</g></svg>\n");
}

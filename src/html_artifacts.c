/* SPDX-License-Identifier: MIT */
/*
 * html_artifacts.c - a job's artifacts on its page: each file's path
 * (escaped, linked to its download) and size, the first
 * HTML_ARTIFACTS_MAX of them, and a link to all of them as a tar.
 */
#include <inttypes.h>
#include <stdio.h>

#include <event2/buffer.h>

#include "dispatcher.h"
#include "html_int.h"
#include "store.h"
#include "util.h"

/* Files a page lists; the tar holds them all. */
#define HTML_ARTIFACTS_MAX 1000

struct html_artifacts {
	struct evbuffer *rows;
	int64_t n;		/* files of the job */
	int64_t bytes;		/* their size together */
};

/* "512 B", "3.4 KiB", "50.0 MiB", "1.2 GiB". */
static void
html_fmt_size(char *buf, size_t size, int64_t bytes)
{
	if (bytes < 1024)
		snprintf(buf, size, "%" PRId64 " B", bytes);
	else if (bytes < 1024 * 1024)
		snprintf(buf, size, "%.1f KiB", (double)bytes / 1024);
	else if (bytes < 1024LL * 1024 * 1024)
		snprintf(buf, size, "%.1f MiB", (double)bytes / (1024 * 1024));
	else
		snprintf(buf, size, "%.1f GiB", (double)bytes /
		    (1024.0 * 1024 * 1024));
}

static int
html_artifact_row(const struct store_artifact *a, void *arg)
{
	struct html_artifacts *h = arg;
	char size[HTML_FMT_SIZE];

	h->bytes += a->size;
	if (h->n++ >= HTML_ARTIFACTS_MAX)
		return 0;
	html_fmt_size(size, sizeof size, a->size);
	evbuffer_add_printf(h->rows, "<tr><td class=\"path\"><a href=\"/jobs/"
	    "%" PRId64 "/artifacts/", a->job);
	html_url_part(h->rows, a->path, 1);
	evbuffer_add_printf(h->rows, "\" download>");
	html_escape(h->rows, a->path);
	evbuffer_add_printf(h->rows, "</a></td><td class=\"size\" "
	    "data-bytes=\"%" PRId64 "\">%s</td></tr>\n", a->size, size);
	return 0;
}

void
html_job_artifacts(struct dispatcher *d, const struct job *job,
    struct evbuffer *out)
{
	struct html_artifacts h = { evbuffer_new(), 0, 0 };
	char size[HTML_FMT_SIZE];

	if (h.rows == NULL)
		fatalx("libevent: out of memory");
	if (store_artifacts_of_job(d->store, job->id, html_artifact_row,
	    &h) > 0) {
		html_section(out, "artifacts", "Artifacts", (size_t)h.n);
		html_fmt_size(size, sizeof size, h.bytes);
		evbuffer_add_printf(out, "<p class=\"note\">%s in all: "
		    "<a id=\"artifacts-tar\" href=\"/jobs/%" PRId64
		    "/artifacts.tar\" download>download them as a tar</a>",
		    size, job->id);
		if (h.n > HTML_ARTIFACTS_MAX)
			evbuffer_add_printf(out, " (the first %d of %" PRId64
			    " are listed)", HTML_ARTIFACTS_MAX, h.n);
		evbuffer_add_printf(out, ".</p>\n<div class=\"scroll\"><table "
		    "class=\"artifacts\"><thead><tr><th>File</th><th>Size</th>"
		    "</tr></thead><tbody>\n");
		evbuffer_add_buffer(out, h.rows);
		evbuffer_add_printf(out, "</tbody></table></div>\n"
		    "</section>\n");
	}
	evbuffer_free(h.rows);
}

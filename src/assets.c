/* SPDX-License-Identifier: MIT */
/*
 * assets.c - the stylesheet and the script of the web pages, served from
 * the binary so that the dispatcher is one file to install.  They are
 * edited as src/web/style.css and src/web/app.js (plain CSS, plain modern
 * JavaScript without a framework) and built in by scripts/embed.
 */
#include <string.h>

#include "html.h"

/* Made at build time from src/web/ (scripts/embed). */
extern const unsigned char html_style[], html_script[];
extern const size_t html_style_len, html_script_len;

static const struct {
	const char *name;
	const unsigned char *data;
	const size_t *len;
	const char *type;
} html_assets[] = {
	{ "style.css", html_style, &html_style_len,
	    "text/css; charset=utf-8" },
	{ "app.js", html_script, &html_script_len,
	    "text/javascript; charset=utf-8" },
};

const char *
html_asset(const char *name, size_t *len, const char **content_type)
{
	for (size_t i = 0; i < sizeof html_assets / sizeof html_assets[0];
	    i++) {
		if (strcmp(name, html_assets[i].name) != 0)
			continue;
		*len = *html_assets[i].len;
		*content_type = html_assets[i].type;
		return (const char *)html_assets[i].data;
	}
	return NULL;
}

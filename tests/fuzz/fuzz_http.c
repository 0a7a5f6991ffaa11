/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http.c - libFuzzer target for what ssci parses of an HTTP request
 * itself: the path and query (http_parse), and the UTF-8 sanitising that
 * peer text goes through.  The input's first byte splits it into path and
 * query.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"

static void
check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_ctx h;
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	char *path = xstrndup((const char *)data, cut);
	char *query = xstrndup((const char *)data + cut, size - cut);
	char *clean;
	size_t len;

	memset(&h, 0, sizeof h);
	if (http_parse(&h, path, query) == NULL) {
		check(h.path != NULL && h.nparts <= HTTP_MAX_PARTS);
		for (int i = 0; i < h.nparts; i++) {
			/* rest[i] starts with parts[i]; no segment is empty. */
			check(*h.parts[i] != '\0');
			check(strncmp(h.rest[i], h.parts[i],
			    strlen(h.parts[i])) == 0);
		}
	}
	http_release(&h);

	clean = utf8_sanitize((const char *)data, size, &len);
	check(strlen(clean) == len);
	free(clean);
	free(path);
	free(query);
	return 0;
}

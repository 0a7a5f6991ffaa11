/* SPDX-License-Identifier: MIT */
/*
 * fuzz_term.c - libFuzzer target for the terminal filter of "ssci log".
 * Whatever the input and however it is cut into reads, the output is
 * valid UTF-8 with no C1 control, no C0 control but newline, tab and ESC,
 * and every ESC starts a colour sequence ESC [ digits ; : m; and it is the
 * same whether the input came in one read or in two.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static struct term_buf
run(const uint8_t *data, size_t size, size_t cut)
{
	struct term_filter f;
	struct term_buf out = { 0 };

	term_filter_init(&f);
	term_filter_feed(&f, (const char *)data, cut, &out);
	term_filter_feed(&f, (const char *)data + cut, size - cut, &out);
	term_filter_end(&f, &out);
	return out;
}

static void
check_safe(const struct term_buf *out)
{
	const unsigned char *s = (const unsigned char *)out->data;

	check(utf8_valid(out->data ? out->data : "", out->len));
	for (size_t i = 0; i < out->len; i++) {
		check(!(s[i] == 0xc2 && i + 1 < out->len && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9f));
		if (s[i] == 0x1b) {
			size_t j = i + 1;

			check(j < out->len && s[j] == '[');
			for (j++; j < out->len && (s[j] == ';' || s[j] == ':' ||
			    (s[j] >= '0' && s[j] <= '9')); j++)
				;
			check(j < out->len && s[j] == 'm');
			i = j;
			continue;
		}
		check(s[i] >= 0x20 || s[i] == '\n' || s[i] == '\t');
		check(s[i] != 0x7f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct term_buf whole = run(data, size, 0);
	struct term_buf split = run(data, size, size > 0 ? data[0] % size : 0);

	check_safe(&whole);
	check(whole.len == split.len);
	check(whole.len == 0 || memcmp(whole.data, split.data, whole.len) == 0);
	free(whole.data);
	free(split.data);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * test_runjob_log.c - how a runner cuts a job's output into log lines
 * (runjob_log): lines of RUNNER_LOG_CHUNK bytes of data (as full as
 * characters allow), each within the protocol's limits, no character
 * split, and, whatever the reads, the text the dispatcher stores is the
 * same as the old way's (chunks of 21,845 bytes, every read copied after
 * the carried bytes; kept here as the reference) and as the whole output
 * sanitized at once; with secrets masked before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mask.h"
#include "proto.h"
#include "runjob_int.h"
#include "util.h"
#include "unit_stderr.h"
#include "unit_text.h"

#define JOB 77

/* The text the dispatcher was sent, and how. */
struct sent {
	char *text;
	size_t len, size;
	size_t lines;
	size_t short_lines;	/* lines with room for another character */
};

static void
sent_add(struct sent *s, const char *data, size_t len)
{
	if (s->size - s->len < len + 1) {
		s->size = (s->len + len + 1) * 2;
		s->text = realloc(s->text, s->size);
		assert_non_null(s->text);
	}
	memcpy(s->text + s->len, data, len);
	s->len += len;
}

/* A line of the runner's, as the dispatcher reads it. */
static void
on_output(void *arg, int64_t job, char *line)
{
	struct sent *s = arg;
	struct proto_msg msg;
	struct proto_error err;
	size_t len = strlen(line);

	assert_int_equal(job, JOB);
	assert_true(len > 0 && line[len - 1] == '\n');
	assert_null(memchr(line, '\n', len - 1));
	assert_true(len - 1 <= PROTO_MAX_LOG_LINE);
	assert_int_equal(proto_parse(line, len - 1, &msg, &err), 0);
	assert_int_equal(msg.type, PROTO_LOG);
	assert_int_equal(msg.job, JOB);
	assert_true(msg.data_len > 0 && msg.data_len <= PROTO_MAX_LOG_CHUNK);
	sent_add(s, msg.data, msg.data_len);
	s->lines++;
	assert_true(msg.data_len <= RUNNER_LOG_CHUNK);
	if (msg.data_len <= RUNNER_LOG_CHUNK - 4)
		s->short_lines++;
	proto_msg_release(&msg);
	free(line);
}

static int
not_congested(void *arg)
{
	(void)arg;
	return 0;
}

static void
on_done(void *arg, struct runjob *j, char *result)
{
	(void)arg;
	(void)j;
	free(result);
}

/* The old way: every read joined to the carry in a new buffer. */
#define OLD_CHUNK (PROTO_MAX_LOG_CHUNK / 3)

struct oldjob {
	char carry[4];
	size_t ncarry;
	struct sent sent;
};

static size_t
old_utf8_cut(const char *data, size_t len)
{
	for (size_t back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = (unsigned char)data[len - back];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? len - back : len;
	}
	return len;
}

static void
old_send(struct oldjob *o, const char *data, size_t len)
{
	while (len > 0) {
		size_t chunk = len, n;
		char *clean;

		if (chunk > OLD_CHUNK)
			chunk = old_utf8_cut(data, OLD_CHUNK);
		if (chunk == 0)
			chunk = len > OLD_CHUNK ? OLD_CHUNK : len;
		clean = text_ref_sanitize(data, chunk, &n);
		sent_add(&o->sent, clean, n);
		free(clean);
		data += chunk;
		len -= chunk;
	}
}

static void
old_log(struct oldjob *o, const char *data, size_t len)
{
	size_t total = o->ncarry + len, cut;
	char *joined = malloc(total + 1);

	assert_non_null(joined);
	memcpy(joined, o->carry, o->ncarry);
	if (len > 0)
		memcpy(joined + o->ncarry, data, len);
	cut = old_utf8_cut(joined, total);
	old_send(o, joined, cut);
	o->ncarry = total - cut;
	memcpy(o->carry, joined + cut, o->ncarry);
	free(joined);
}

/* One job's output both ways. */
struct both {
	struct runjob_config cfg;
	struct runjob *j;
	struct sent sent;
	struct oldjob old;
	size_t calls, lines_before;
};

static void
both_start(struct both *b)
{
	memset(b, 0, sizeof *b);
	b->cfg.output = on_output;
	b->cfg.congested = not_congested;
	b->cfg.done = on_done;
	b->cfg.arg = &b->sent;
	b->j = calloc(1, sizeof *b->j);
	assert_non_null(b->j);
	b->j->cfg = &b->cfg;
	b->j->id = JOB;
	b->j->step = STEP_TEST;
	line_guard_init(&b->j->guard);
	summary_init(&b->j->summary);
}

/* A read of the job's output (or what the masker let through). */
static void
both_log(const char *data, size_t len, void *arg)
{
	struct both *b = arg;
	size_t before = b->sent.lines, short_before = b->sent.short_lines;
	size_t carried = b->j->ncarry;

	runjob_log(b->j, data, len);
	old_log(&b->old, data, len);
	/*
	 * Only the last line of a read may have had room for more (of each
	 * slice, when a carried character is joined to a long read).
	 */
	if (b->sent.lines > before)
		assert_true(b->sent.short_lines - short_before <=
		    (carried > 0 ?
		    2 + len / RUNNER_LOG_JOIN : 1));
	b->calls++;
}

/* The end of the output: the same text both ways, and as a whole. */
static void
both_end(struct both *b, const char *whole, size_t wholelen)
{
	struct unit_stderr err;
	char *clean;
	size_t n;

	/* It logs that the job passed. */
	unit_stderr_catch(&err);
	runjob_finish(b->j, JOB_PASSED, 0, "done");
	assert_non_null(strstr(unit_stderr_release(&err), "job 77"));
	assert_int_equal(b->j->ncarry, 0);
	old_send(&b->old, b->old.carry, b->old.ncarry);
	assert_int_equal(b->sent.len, b->old.sent.len);
	if (b->sent.len > 0)
		assert_memory_equal(b->sent.text, b->old.sent.text,
		    b->sent.len);
	if (whole != NULL) {
		clean = text_ref_sanitize(whole, wholelen, &n);
		assert_int_equal(b->sent.len, n);
		assert_memory_equal(b->sent.text, clean, n);
		free(clean);
	}
	free(b->j->join);
	free(b->j);
	free(b->sent.text);
	free(b->old.sent.text);
}

/* A read's size: tiny (a character cut anywhere), middling, a pipe's. */
static size_t
read_size(uint64_t *rng)
{
	uint32_t r = text_rand(rng);

	switch (r % 5) {
	case 0:
		return 1 + (r >> 8) % 3;
	case 1:
		return 1 + (r >> 8) % 200;
	case 2:
		return 1 + (r >> 8) % 20000;
	case 3:
		return 65536;
	default:
		return 65536 + (r >> 8) % 140000;
	}
}

/* Random output of each kind in random reads. */
static void
test_random_reads(void **state)
{
	size_t total = 400 * 1024, off, n;
	unsigned char *text = malloc(total);
	uint64_t rng = 31337;
	struct both b;

	(void)state;
	assert_non_null(text);
	for (int round = 0; round < 12; round++) {
		enum text_kind kind = (enum text_kind)(round % 4);
		size_t len = round < 4 ? total : text_rand(&rng) % total;

		text_fill(&rng, kind, text, len);
		both_start(&b);
		for (off = 0; off < len; off += n) {
			n = read_size(&rng);
			if (n > len - off)
				n = len - off;
			both_log((char *)text + off, n, &b);
		}
		/* Output may end inside a character: the carry goes out. */
		both_end(&b, (char *)text, len);
	}
	free(text);
}

/* Every cut of a short output with characters of every length. */
static void
test_every_cut(void **state)
{
	static const char text[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xe2\x82" "b\xff\xf0\x9f\x98" "c\0d\"\\\n\xc3";
	size_t len = sizeof text - 1;
	struct both b;

	(void)state;
	for (size_t i = 0; i <= len; i++)
		for (size_t k = i; k <= len; k++) {
			both_start(&b);
			both_log(text, i, &b);
			both_log(text + i, k - i, &b);
			both_log(text + k, len - k, &b);
			both_end(&b, text, len);
		}
}

/* A pipe's read of 64 KiB of text is two lines of 32 KiB. */
static void
test_lines_a_read(void **state)
{
	char *text = malloc(65536 * 4);
	uint64_t rng = 8;
	struct both b;

	(void)state;
	assert_non_null(text);
	text_fill(&rng, TEXT_ASCII, (unsigned char *)text, 65536 * 4);
	both_start(&b);
	for (int i = 0; i < 4; i++) {
		both_log(text + i * 65536, 65536, &b);
		assert_int_equal(b.sent.lines, (size_t)i * 2 + 2);
		assert_int_equal(b.sent.short_lines, 0);
	}
	both_end(&b, text, 65536 * 4);

	/* Wide characters: lines as full, a few bytes carried to the next. */
	text_fill(&rng, TEXT_WIDE, (unsigned char *)text, 65536 * 4);
	both_start(&b);
	for (int i = 0; i < 4; i++)
		both_log(text + i * 65536, 65536, &b);
	assert_true(b.sent.lines <= 4 * 3);
	both_end(&b, NULL, 0);

	/* Invalid bytes, three bytes each once replaced: as many lines. */
	memset(text, '\xff', 65536);
	both_start(&b);
	both_log(text, 65536, &b);
	assert_int_equal(b.sent.lines, (65536 + RUNNER_LOG_CHUNK / 3 - 1) /
	    (RUNNER_LOG_CHUNK / 3));
	both_end(&b, NULL, 0);
	free(text);
}

/*
 * Secrets are masked before the output is cut into lines: with secrets
 * cut by reads, the text is the same both ways and holds none of them.
 */
static void
test_masked(void **state)
{
	char *secrets[] = { "s3cr3t-\xc3\xa9t\xc3\xa9-value", "hunter22" };
	size_t total = 300 * 1024, off, n, at, k;
	unsigned char *text = malloc(total);
	struct mask *m = mask_new(secrets, 2);
	uint64_t rng = 4;
	struct both b;

	(void)state;
	assert_non_null(text);
	assert_non_null(m);
	for (int round = 0; round < 8; round++) {
		text_fill(&rng, (enum text_kind)(round % 4), text, total);
		for (int i = 0; i < 200; i++) {
			k = strlen(secrets[i % 2]);
			at = text_rand(&rng) % (total - k);
			memcpy(text + at, secrets[i % 2], k);
		}
		both_start(&b);
		for (off = 0; off < total; off += n) {
			n = read_size(&rng) % 70000 + 1;
			if (n > total - off)
				n = total - off;
			mask_feed(m, (char *)text + off, n, both_log, &b);
		}
		mask_flush(m, both_log, &b);
		assert_null(memmem(b.sent.text, b.sent.len, "hunter22", 8));
		assert_null(memmem(b.sent.text, b.sent.len, secrets[0],
		    strlen(secrets[0])));
		assert_non_null(memmem(b.sent.text, b.sent.len, "***", 3));
		both_end(&b, NULL, 0);
	}
	mask_free(m);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_reads),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_lines_a_read),
		cmocka_unit_test(test_masked),
	};

	log_init("test_runjob_log", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

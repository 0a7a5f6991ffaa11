/* SPDX-License-Identifier: MIT */
/*
 * mask.c - secrets taken out of a job's output as it streams.
 *
 * The patterns (each secret and its base64 forms) are the words of an
 * Aho-Corasick automaton, so that the work per byte does not depend on
 * how much of a pattern the output repeats (a test that prints the first
 * half of a secret a million times costs no more than any other text).
 * Occurrences are replaced greedily left to right, the longest at a place
 * first: a place is decided once no pattern that starts there or earlier
 * can still grow, which is what the automaton's state tells (the deepest
 * node on its failure chain that has children is the earliest place still
 * open).  The longest match found so far at each open place is kept in a
 * ring as long as the longest pattern, and the open places' bytes in a
 * buffer of the same size: memory never grows with the output.
 *
 * Most output contains no secret, and while the automaton is at its root
 * a byte pair that begins no pattern is skipped by a tight loop over a
 * bitmap of the patterns' first two bytes; the automaton only runs where
 * such a pair is seen.  Measured (tests/unit/test_mask.c, SSCI_MASK_BENCH=1,
 * -O2, 1 GiB through 3 secrets of about 40 bytes and their base64 forms,
 * on a busy 2-core AMD EPYC VM): 2.5 GiB/s on log-like text, the same on
 * random bytes, and 370 MiB/s on text made of nothing but the secrets'
 * first ten bytes (where every byte goes through the automaton).
 *
 * The base64 forms are those of `base64 -w0`: GNU base64's default
 * output, wrapped every 76 columns, has a newline inside a long secret's
 * encoding, and is not matched across it (the part before or after the
 * newline still is, when it is a pattern of its own).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "util.h"

/* A base64 form shorter than this matches too much innocent text. */
#define MASK_B64_MIN 8

struct mask_node {
	uint32_t fail;		/* the longest proper suffix that is a node */
	uint32_t child;		/* the first child, 0: none (root is no child) */
	uint32_t sibling;	/* the parent's next child, 0: none */
	uint32_t dict;		/* the nearest pattern end on the fail chain */
	uint32_t depth;
	uint32_t open;		/* depth of the first node of the chain (this
				   one first) that has children: how far back
				   a match may still begin */
	unsigned char byte;
	unsigned char end;	/* a pattern ends here */
};

/* One stream's state: the automaton's node and the places not passed on. */
struct mask_stream {
	uint32_t state;
	uint64_t pos;		/* stream offset of the next byte fed */
	uint64_t h;		/* the first place not passed on nor replaced */
	char *held;		/* the bytes of [h, pos) */
	uint32_t *best;		/* ring: the longest match at each place */
	size_t ring;		/* its size - 1 (a power of two - 1) */
	int replaced;
};

struct mask {
	struct mask_node *nodes;	/* [0] is the root */
	size_t nnodes;
	uint32_t root[256];		/* the root's children by byte */
	unsigned char pair[65536 / 8];	/* first two bytes of a pattern */
	size_t maxlen;			/* the longest pattern */
	struct mask_stream st;
};

/* Where the bytes of the places of one feed are: held, then data. */
struct mask_span {
	const char *held;
	uint64_t hb;		/* the place of held[0] */
	const char *data;
	uint64_t base;		/* the place of data[0] */
	mask_out out;
	void *arg;
};

struct mask_pattern {
	char *s;
	size_t len;
};

static const char mask_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 of in, with '=' padding; its length in *outlen. */
static char *
mask_base64(const unsigned char *in, size_t n, size_t *outlen)
{
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];

		*o++ = mask_b64[v >> 18];
		*o++ = mask_b64[v >> 12 & 63];
		*o++ = mask_b64[v >> 6 & 63];
		*o++ = mask_b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		*o++ = mask_b64[v >> 18];
		*o++ = mask_b64[v >> 12 & 63];
		*o++ = i + 1 < n ? mask_b64[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

static void
mask_add(struct mask_pattern **pats, size_t *npats, const char *s,
    size_t len)
{
	*pats = xrealloc(*pats, (*npats + 1) * sizeof **pats);
	(*pats)[*npats].s = xstrndup(s, len);
	(*pats)[*npats].len = len;
	(*npats)++;
}

/*
 * A value's patterns: itself, its base64 with and without padding (kept
 * however short: 6 characters for 4 bytes say no less than the 4 bytes
 * themselves), and for each alignment a (the value begins a bytes into a
 * 3-byte group of longer data) the characters of the encoding of a
 * bytes, the value and more bytes that depend on the value's bits only:
 * a character covers bits [6k, 6k + 6) of the data, the value bits
 * [8a, 8a + 8len), so the first ceil(8a/6) characters and those after
 * floor(8(a + len)/6) are cut off (the a bytes, zeros here, with them).
 * Alignment 0 is a prefix of the plain encoding, and the trie shares it;
 * a form equal to another is one word of the trie.
 */
static void
mask_patterns(const char *v, size_t len, struct mask_pattern **pats,
    size_t *npats)
{
	unsigned char *buf = xcalloc(len + 2, 1);
	size_t elen, pad = 0;
	char *e;

	mask_add(pats, npats, v, len);
	e = mask_base64((const unsigned char *)v, len, &elen);
	mask_add(pats, npats, e, elen);
	while (pad < elen && e[elen - 1 - pad] == '=')
		pad++;
	if (pad > 0)
		mask_add(pats, npats, e, elen - pad);
	free(e);
	for (size_t a = 0; a < 3; a++) {
		size_t from = (8 * a + 5) / 6, to = 8 * (a + len) / 6;

		memset(buf, 0, a);
		memcpy(buf + a, v, len);
		e = mask_base64(buf, a + len, &elen);
		if (to - from >= MASK_B64_MIN)
			mask_add(pats, npats, e + from, to - from);
		free(e);
	}
	free(buf);
}

static uint32_t
mask_goto(const struct mask *m, uint32_t s, unsigned char b)
{
	const struct mask_node *n = m->nodes;

	for (;;) {
		if (s == 0)
			return m->root[b];
		for (uint32_t c = n[s].child; c != 0; c = n[c].sibling)
			if (n[c].byte == b)
				return c;
		s = n[s].fail;
	}
}

static void
mask_insert(struct mask *m, const char *s, size_t len)
{
	struct mask_node *n = m->nodes;
	uint32_t u = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)s[i];
		uint32_t c;

		if (u == 0)
			c = m->root[b];
		else
			for (c = n[u].child; c != 0 && n[c].byte != b;
			    c = n[c].sibling)
				;
		if (c == 0) {
			c = (uint32_t)m->nnodes++;
			memset(&n[c], 0, sizeof n[c]);
			n[c].byte = b;
			n[c].depth = n[u].depth + 1;
			n[c].sibling = n[u].child;
			n[u].child = c;
			if (u == 0)
				m->root[b] = c;
		}
		u = c;
	}
	n[u].end = 1;
	if (len > m->maxlen)
		m->maxlen = len;
}

/* Failure, dictionary and open links, breadth first (shallower first). */
static void
mask_links(struct mask *m)
{
	struct mask_node *n = m->nodes;
	uint32_t *queue = xmalloc(m->nnodes * sizeof *queue);
	size_t head = 0, tail = 0;

	queue[tail++] = 0;
	while (head < tail) {
		uint32_t u = queue[head++];

		for (uint32_t c = n[u].child; c != 0; c = n[c].sibling) {
			uint32_t f = u == 0 ? 0 : mask_goto(m, n[u].fail,
			    n[c].byte);

			n[c].fail = f;
			n[c].dict = n[f].end ? f : n[f].dict;
			n[c].open = n[c].child != 0 ? n[c].depth : n[f].open;
			queue[tail++] = c;
		}
	}
	free(queue);
	/* Pairs that may begin a match; a 1-byte pattern begins any pair. */
	for (uint32_t c = n[0].child; c != 0; c = n[c].sibling) {
		for (uint32_t d = n[c].child; d != 0; d = n[d].sibling) {
			unsigned v = (unsigned)n[c].byte << 8 | n[d].byte;

			m->pair[v >> 3] |= (unsigned char)(1u << (v & 7));
		}
		if (n[c].end)
			memset(m->pair + n[c].byte * 32, 0xff, 32);
	}
}

static void
mask_stream_init(struct mask_stream *st, size_t maxlen)
{
	size_t ring = 1;

	while (ring < maxlen)
		ring <<= 1;
	memset(st, 0, sizeof *st);
	st->held = xmalloc(maxlen);
	st->best = xcalloc(ring, sizeof *st->best);
	st->ring = ring - 1;
}

struct mask *
mask_new(char *const *values, size_t n)
{
	struct mask_pattern *pats = NULL;
	size_t npats = 0, total = 1;
	struct mask *m;

	for (size_t i = 0; i < n; i++)
		if (values[i][0] != '\0')
			mask_patterns(values[i], strlen(values[i]), &pats,
			    &npats);
	if (npats == 0)
		return NULL;
	for (size_t i = 0; i < npats; i++)
		total += pats[i].len;
	m = xcalloc(1, sizeof *m);
	m->nodes = xmalloc(total * sizeof *m->nodes);
	memset(&m->nodes[0], 0, sizeof m->nodes[0]);
	m->nnodes = 1;
	for (size_t i = 0; i < npats; i++) {
		mask_insert(m, pats[i].s, pats[i].len);
		free(pats[i].s);
	}
	free(pats);
	m->nodes = xrealloc(m->nodes, m->nnodes * sizeof *m->nodes);
	mask_links(m);
	mask_stream_init(&m->st, m->maxlen);
	return m;
}

void
mask_free(struct mask *m)
{
	if (m == NULL)
		return;
	free(m->st.held);
	free(m->st.best);
	free(m->nodes);
	free(m);
}

/* Pass on the places [from, to), from held, data or both. */
static void
mask_emit(const struct mask_span *sp, uint64_t from, uint64_t to)
{
	if (from < to && from < sp->base) {
		uint64_t stop = to < sp->base ? to : sp->base;

		sp->out(sp->held + (from - sp->hb), (size_t)(stop - from),
		    sp->arg);
		from = stop;
	}
	if (from < to)
		sp->out(sp->data + (from - sp->base), (size_t)(to - from),
		    sp->arg);
}

/*
 * The byte b at place pos: the automaton's next state from s, and the
 * matches ending here kept in st's ring.
 */
static inline uint32_t
mask_step(const struct mask *m, const struct mask_stream *st, uint32_t s,
    unsigned char b, uint64_t pos)
{
	const struct mask_node *n = m->nodes;
	uint32_t *best = st->best;
	size_t ring = st->ring;

	s = mask_goto(m, s, b);
	best[pos & ring] = 0;
	/* Every match ending here begins at or after h: see mask_decide. */
	for (uint32_t t = n[s].end ? s : n[s].dict; t != 0; t = n[t].dict) {
		uint32_t *bp = &best[(pos + 1 - n[t].depth) & ring];

		if (*bp < n[t].depth)
			*bp = n[t].depth;
	}
	return s;
}

/*
 * Decide the places before the earliest one where a match may still
 * begin (all of them when final): each is passed on or begins the
 * longest match there, which is replaced.  The automaton then forgets
 * what began before h, so that its state (and every match it reports
 * from now on) begins at or after h.  Returns the new start of the run
 * of places passed on but not yet written.
 */
static uint64_t
mask_decide(const struct mask *m, struct mask_stream *st, uint64_t end,
    uint64_t run, const struct mask_span *sp, int final)
{
	const struct mask_node *n = m->nodes;
	const uint32_t *best = st->best;
	uint64_t h = st->h, stop;
	uint32_t s = st->state, k = 0;

	for (;;) {
		while (n[s].depth > end - h)
			s = n[s].fail;
		stop = end - (final ? 0 : n[s].open);
		while (h < stop && (k = best[h & st->ring]) == 0)
			h++;
		if (h >= stop)
			break;
		mask_emit(sp, run, h);
		sp->out(MASK_REPLACEMENT, strlen(MASK_REPLACEMENT), sp->arg);
		h += k;
		st->replaced = 1;
		run = h;
	}
	st->h = h;
	st->state = s;
	return run;
}

/*
 * The first i (from i on) where a pattern may begin: a pair of bytes
 * that begins one, or a last byte that begins one.
 */
static inline size_t
mask_scan(const struct mask *m, const unsigned char *p, size_t i,
    size_t len)
{
	for (; i + 4 < len; i += 4) {
		unsigned v0 = (unsigned)p[i] << 8 | p[i + 1];
		unsigned v1 = (unsigned)p[i + 1] << 8 | p[i + 2];
		unsigned v2 = (unsigned)p[i + 2] << 8 | p[i + 3];
		unsigned v3 = (unsigned)p[i + 3] << 8 | p[i + 4];

		if ((m->pair[v0 >> 3] >> (v0 & 7) |
		    m->pair[v1 >> 3] >> (v1 & 7) |
		    m->pair[v2 >> 3] >> (v2 & 7) |
		    m->pair[v3 >> 3] >> (v3 & 7)) & 1)
			break;
	}
	for (; i + 1 < len; i++) {
		unsigned v = (unsigned)p[i] << 8 | p[i + 1];

		if (m->pair[v >> 3] & (1u << (v & 7)))
			return i;
	}
	if (i < len && m->root[p[i]] != 0)
		return i;
	return len;
}

static void
mask_stream_feed(const struct mask *m, struct mask_stream *st,
    const char *data, size_t len, mask_out out, void *arg)
{
	const unsigned char *p = (const unsigned char *)data;
	uint64_t base = st->pos, run = st->h;
	struct mask_span sp = { st->held, st->h, data, base, out, arg };
	const struct mask_node *n;
	uint32_t s = st->state;
	uint64_t h = st->h;
	size_t i = 0, keep;

	while (i < len) {
		if (s == 0) {
			/* At the root everything before is decided. */
			i = mask_scan(m, p, i, len);
			h = base + i;
			if (i == len)
				break;
		}
		s = mask_step(m, st, s, p[i], base + i);
		i++;
		/* Most often a match grew by a byte: nothing to decide. */
		n = &m->nodes[s];
		if (base + i - h != n->depth || n->depth != n->open) {
			st->state = s;
			st->h = h;
			run = mask_decide(m, st, base + i, run, &sp, 0);
			s = st->state;
			h = st->h;
		}
	}
	st->state = s;
	st->h = h;
	mask_emit(&sp, run, st->h);
	/* Keep [h, base + len): fewer bytes than the longest pattern. */
	keep = (size_t)(base + len - st->h);
	if (st->h < base) {
		memmove(st->held, st->held + (st->h - sp.hb),
		    (size_t)(base - st->h));
		memcpy(st->held + (base - st->h), data, len);
	} else if (keep > 0)
		memcpy(st->held, data + (st->h - base), keep);
	st->pos = base + len;
}

static void
mask_stream_flush(const struct mask *m, struct mask_stream *st,
    mask_out out, void *arg)
{
	struct mask_span sp = { st->held, st->h, NULL, st->pos, out, arg };
	uint64_t run;

	run = mask_decide(m, st, st->pos, st->h, &sp, 1);
	mask_emit(&sp, run, st->pos);
	st->h = st->pos;
	st->state = 0;
}

void
mask_feed(struct mask *m, const char *data, size_t len, mask_out out,
    void *arg)
{
	if (m == NULL) {
		if (len > 0)
			out(data, len, arg);
		return;
	}
	mask_stream_feed(m, &m->st, data, len, out, arg);
}

void
mask_flush(struct mask *m, mask_out out, void *arg)
{
	if (m != NULL)
		mask_stream_flush(m, &m->st, out, arg);
}

size_t
mask_held(const struct mask *m)
{
	return m == NULL ? 0 : (size_t)(m->st.pos - m->st.h);
}

struct mask_buf {
	char *s;
	size_t len, cap;
};

static void
mask_collect(const char *data, size_t len, void *arg)
{
	struct mask_buf *b = arg;

	if (b->len + len + 1 > b->cap) {
		while (b->len + len + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 64;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, data, len);
	b->len += len;
	b->s[b->len] = '\0';
}

int
mask_string(const struct mask *m, const char *s, char **masked)
{
	struct mask_stream st;
	struct mask_buf b = { NULL, 0, 0 };

	if (m == NULL)
		return 0;
	/* Its own stream: a stream being fed is not disturbed. */
	mask_stream_init(&st, m->maxlen);
	mask_stream_feed(m, &st, s, strlen(s), mask_collect, &b);
	mask_stream_flush(m, &st, mask_collect, &b);
	free(st.held);
	free(st.best);
	if (!st.replaced) {
		free(b.s);
		return 0;
	}
	*masked = b.s;
	return 1;
}

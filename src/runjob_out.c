/* SPDX-License-Identifier: MIT */
/*
 * runjob_out.c - what a job says (runjob_int.h): its output streamed to
 * the dispatcher in chunks cut between UTF-8 characters, lines of ssci's
 * own, its result; and its turn at adding a worktree handed on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "runjob_int.h"
#include "spawn.h"
#include "util.h"

/*
 * Where to cut data[0..len) so that no UTF-8 character is split: len, or
 * the start of a character whose last bytes are not there yet.
 */
static size_t
utf8_cut(const char *data, size_t len)
{
	for (size_t back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = (unsigned char)data[len - back];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue;	/* a continuation byte: look further back */
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? len - back : len;
	}
	return len;
}

/* Output sent: while the connection is full, the test waits (till drain). */
static void
runjob_congestion(struct runjob *j)
{
	if (j->child != NULL && j->step == STEP_TEST &&
	    j->cfg->congested(j->cfg->arg)) {
		spawn_pause(j->child);
		j->paused = 1;
	}
}

/*
 * Send output that ends between characters to the dispatcher, in lines of
 * at most RUNNER_LOG_CHUNK bytes of data, each but the last as full as
 * its characters allow.
 */
static void
runjob_send(struct runjob *j, const char *data, size_t len)
{
	size_t used;

	while (len > 0) {
		j->cfg->output(j->cfg->arg, j->id,
		    proto_encode_log_part(j->id, data, len, RUNNER_LOG_CHUNK,
		    &used, NULL));
		data += used;
		len -= used;
	}
}

/* Send data but a character cut at its end, which is kept in carry. */
static void
runjob_send_cut(struct runjob *j, const char *data, size_t len)
{
	size_t cut;

	if (len == 0)
		return;
	cut = utf8_cut(data, len);
	runjob_send(j, data, cut);
	j->ncarry = len - cut;	/* at most 3 */
	memcpy(j->carry, data + cut, j->ncarry);
}

/*
 * Output as it comes: a character cut by the end of a read waits in carry
 * for the rest of it, so that it is not sent as two invalid halves.  Only
 * then is the output copied, to join the two (a slice at a time); output
 * that carries nothing over goes out from where it is.
 */
void
runjob_log(struct runjob *j, const char *data, size_t len)
{
	size_t n;

	while (j->ncarry > 0 && len > 0) {
		n = len < RUNNER_LOG_JOIN ? len : RUNNER_LOG_JOIN;
		if (j->join == NULL)
			j->join = xmalloc(RUNNER_LOG_JOIN + sizeof j->carry);
		memcpy(j->join, j->carry, j->ncarry);
		memcpy(j->join + j->ncarry, data, n);
		runjob_send_cut(j, j->join, j->ncarry + n);
		data += n;
		len -= n;
	}
	if (j->ncarry == 0)
		runjob_send_cut(j, data, len);
	runjob_congestion(j);
}

/* Send what is still carried, at the end of the output. */
static void
runjob_log_flush(struct runjob *j)
{
	if (j->ncarry == 0)
		return;
	runjob_send(j, j->carry, j->ncarry);
	j->ncarry = 0;
	runjob_congestion(j);
}

void
runjob_guarded(const char *data, size_t len, void *arg)
{
	runjob_log(arg, data, len);
}

void
runjob_note(struct runjob *j, const char *fmt, ...)
{
	char buf[1024], *masked;
	va_list ap;
	int n;

	line_guard_flush(&j->guard, runjob_guarded, j);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	buf[n] = '\0';
	runjob_log(j, "ssci: ", 6);
	/* A note may quote the job's own text (a path, tar's words). */
	if (mask_string(j->mask, buf, &masked) == 1) {
		runjob_log(j, masked, strlen(masked));
		free(masked);
	} else
		runjob_log(j, buf, (size_t)n);
}

void
runjob_finish(struct runjob *j, enum job_state state, int exit_code,
    const char *message)
{
	struct job_result res = { 0 };
	const char *format;

	runjob_turn_over(j);
	line_guard_flush(&j->guard, runjob_guarded, j);
	runjob_log_flush(j);
	format = summary_finish(&j->summary, &res.tests);
	res.job = j->id;
	res.state = state;
	res.exit_code = exit_code;
	res.duration_ms = mono_ms() - j->started_ms;
	res.message = message;
	res.tests_partial = j->tests_partial;
	log_info("job %lld (%s) %s in %lld ms%s%s", (long long)j->id,
	    j->commit, job_state_name(state), (long long)res.duration_ms,
	    format ? ", summary from " : "", format ? format : "");
	j->cfg->done(j->cfg->arg, j, proto_encode_result(&res, NULL));
}

void
runjob_fail(struct runjob *j, const char *what, int status, const char *out)
{
	char msg[512];

	if (out != NULL && *out != '\0')
		runjob_log(j, out, strlen(out));
	if (status == -1)
		snprintf(msg, sizeof msg, "unable to run %s", what);
	else
		snprintf(msg, sizeof msg, "%s failed with exit status %d", what,
		    status);
	runjob_note(j, "%s", msg);
	runjob_finish(j, JOB_ERROR, -1, msg);
}

void
runjob_turn_over(struct runjob *j)
{
	struct runjob_turns *turns = j->cfg->worktree_turns;
	struct runjob *next;

	if (!j->has_turn)
		return;
	j->has_turn = 0;
	turns->busy = 0;
	if ((next = TAILQ_FIRST(&turns->waiting)) != NULL) {
		TAILQ_REMOVE(&turns->waiting, next, turn_entry);
		next->waiting = 0;
		turns->wake(next);
	}
}


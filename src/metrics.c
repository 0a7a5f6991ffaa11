/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - "/metrics" in Prometheus' text format: jobs by state, the
 * queue and the age of its oldest job, runners connected and busy, job
 * durations as a histogram (since this dispatcher started), uptime.
 */
#include <event2/buffer.h>

#include "diskuse.h"
#include "dispatcher.h"
#include "retention.h"
#include "sched.h"
#include "store.h"
#include "util.h"

/* Upper bounds of the duration buckets, in seconds; the last is +Inf. */
static const double metrics_bounds[METRICS_BUCKETS - 1] = {
	0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 1800,
};

void
metrics_job_finished(struct dispatcher *d, enum job_state state,
    int64_t duration_ms)
{
	struct metrics *m = &d->metrics;
	double s = (double)duration_ms / 1000.0;

	(void)state;
	if (duration_ms < 0)
		return;
	for (int i = 0; i < METRICS_BUCKETS - 1; i++) {
		if (s <= metrics_bounds[i])
			m->bucket[i]++;
	}
	m->bucket[METRICS_BUCKETS - 1]++;
	m->count++;
	m->sum_s += s;
}

static void
metrics_head(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* Room on the disk and retention's work (diskuse.c, retention.c). */
static void
metrics_disk(struct dispatcher *d, struct evbuffer *out)
{
	static const char *const names[DISKUSE_DIRS] = { "state", "results" };
	struct diskuse_figures f[DISKUSE_DIRS];

	for (int i = 0; i < DISKUSE_DIRS; i++)
		diskuse_get(d->diskuse, (enum diskuse_dir)i, &f[i]);
	metrics_head(out, "ssci_disk_used_bytes", "gauge", "What the state "
	    "and results folders hold (counted in steps; absent until the "
	    "first count ends).");
	for (int i = 0; i < DISKUSE_DIRS; i++) {
		if (f[i].used >= 0)
			evbuffer_add_printf(out, "ssci_disk_used_bytes{dir=\"%s\"} "
			    "%lld\n", names[i], (long long)f[i].used);
	}
	metrics_head(out, "ssci_disk_free_bytes", "gauge", "Room left on the "
	    "folders' file systems.");
	for (int i = 0; i < DISKUSE_DIRS; i++)
		evbuffer_add_printf(out, "ssci_disk_free_bytes{dir=\"%s\"} "
		    "%lld\n", names[i], (long long)f[i].free);
	metrics_head(out, "ssci_disk_min_free_bytes", "gauge", "Under this "
	    "room new dispatches are refused (--min-free).");
	for (int i = 0; i < DISKUSE_DIRS; i++)
		evbuffer_add_printf(out, "ssci_disk_min_free_bytes{dir=\"%s\"} "
		    "%lld\n", names[i], (long long)f[i].min_free);
	metrics_head(out, "ssci_dispatches_refused", "gauge",
	    "1 while new dispatches are refused for want of room.");
	evbuffer_add_printf(out, "ssci_dispatches_refused %d\n",
	    diskuse_refusing(d->diskuse) != NULL);
	metrics_head(out, "ssci_pruned_jobs_total", "counter",
	    "Jobs removed by retention since the dispatcher started.");
	evbuffer_add_printf(out, "ssci_pruned_jobs_total %lld\n",
	    (long long)retention_removed(d->retention));
	metrics_head(out, "ssci_prune_step_seconds_max", "gauge",
	    "The longest step of retention since the dispatcher started.");
	evbuffer_add_printf(out, "ssci_prune_step_seconds_max %.6f\n",
	    (double)retention_slowest_us(d->retention) / 1e6);
}

void
metrics_write(struct dispatcher *d, struct evbuffer *out)
{
	const struct metrics *m = &d->metrics;
	int64_t counts[JOB_STATES], oldest, outbox;
	int runners = 0, busy = 0, slots = 0;
	struct sched_runner *r;

	metrics_head(out, "ssci_jobs", "gauge", "Jobs in the store by state.");
	if (store_count_states(d->store, counts) == 0) {
		for (int s = JOB_QUEUED; s < JOB_STATES; s++)
			evbuffer_add_printf(out, "ssci_jobs{state=\"%s\"} %lld\n",
			    job_state_name((enum job_state)s),
			    (long long)counts[s]);
	}
	metrics_head(out, "ssci_queue_length", "gauge", "Jobs waiting.");
	evbuffer_add_printf(out, "ssci_queue_length %lld\n",
	    (long long)counts[JOB_QUEUED]);
	metrics_head(out, "ssci_queue_oldest_age_seconds", "gauge",
	    "How long the oldest queued job has waited.");
	evbuffer_add_printf(out, "ssci_queue_oldest_age_seconds %.3f\n",
	    store_oldest_queued(d->store, &oldest) == 1 ?
	    (double)(now_ms() - oldest) / 1000.0 : 0.0);
	TAILQ_FOREACH(r, &d->sched->runners, entry) {
		runners++;
		slots += r->slots;
		busy += r->busy > 0;
	}
	metrics_head(out, "ssci_runners_connected", "gauge",
	    "Runners connected.");
	evbuffer_add_printf(out, "ssci_runners_connected %d\n", runners);
	metrics_head(out, "ssci_runners_busy", "gauge",
	    "Runners running at least one job.");
	evbuffer_add_printf(out, "ssci_runners_busy %d\n", busy);
	metrics_head(out, "ssci_runner_slots", "gauge",
	    "Job slots of the connected runners.");
	evbuffer_add_printf(out, "ssci_runner_slots %d\n", slots);
	metrics_head(out, "ssci_job_duration_seconds", "histogram",
	    "Durations of the jobs that ended since the dispatcher started.");
	for (int i = 0; i < METRICS_BUCKETS - 1; i++)
		evbuffer_add_printf(out, "ssci_job_duration_seconds_bucket"
		    "{le=\"%g\"} %lld\n", metrics_bounds[i],
		    (long long)m->bucket[i]);
	evbuffer_add_printf(out, "ssci_job_duration_seconds_bucket{le=\"+Inf\"} "
	    "%lld\n", (long long)m->bucket[METRICS_BUCKETS - 1]);
	evbuffer_add_printf(out, "ssci_job_duration_seconds_sum %.3f\n"
	    "ssci_job_duration_seconds_count %lld\n", m->sum_s,
	    (long long)m->count);
	metrics_head(out, "ssci_outbox_messages", "gauge",
	    "Statuses and notifications not yet taken by their target.");
	evbuffer_add_printf(out, "ssci_outbox_messages %lld\n",
	    store_outbox_count(d->store, &outbox) == 0 ? (long long)outbox : 0);
	metrics_head(out, "ssci_store_syncs_total", "counter",
	    "Times the store waited for the disk to keep a change.");
	evbuffer_add_printf(out, "ssci_store_syncs_total %lld\n",
	    (long long)store_syncs(d->store));
	metrics_disk(d, out);
	metrics_head(out, "ssci_uptime_seconds", "gauge",
	    "Seconds since the dispatcher started.");
	evbuffer_add_printf(out, "ssci_uptime_seconds %.3f\n",
	    (double)(now_ms() - d->started_ms) / 1000.0);
}

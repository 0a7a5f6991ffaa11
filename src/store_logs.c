/* SPDX-License-Identifier: MIT */
/*
 * store_logs.c - the store's interface to its copy of jobs' logs
 * (store.h): kept only by a store on a server, where a dispatcher taking
 * over reads them; a file's store leaves them to STATE/logs alone.
 */
#include "store_backend.h"
#include "util.h"

int
store_keeps_logs(struct store *store)
{
	return store->keeps_logs;
}

int
store_log_append(struct store *store, int64_t job, const void *data,
    size_t len)
{
	if (job <= 0 || len == 0)
		return len == 0 ? 0 : -1;
	return store->backend->log_append(store, job, data, len);
}

int
store_log_clear(struct store *store, int64_t job)
{
	return job <= 0 ? -1 : store->backend->log_clear(store, job);
}

int
store_log_copy(struct store *store, int64_t from, int64_t to)
{
	if (from <= 0 || to <= 0 || from == to)
		return -1;
	return store->backend->log_copy(store, from, to);
}

int
store_log_read(struct store *store, int64_t job, store_chunk_cb cb,
    void *arg)
{
	return job <= 0 ? -1 : store->backend->log_read(store, job, cb, arg);
}

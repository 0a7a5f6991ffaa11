/* SPDX-License-Identifier: MIT */
/*
 * store_sql_outbox.c - the SQL store's outbox (statuses and
 * notifications kept until their target took them) and the webhook
 * deliveries it remembers.  Each change is one statement, so one
 * transaction and one sync.
 */

#include "store_sql.h"
#include "util.h"

int
sqlstore_outbox_add(struct store *base, const char *target, const char *key,
    const char *url, const char *body)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_text(store, ST_OUTBOX_ADD, 1, target);
	sql_bind_text(store, ST_OUTBOX_ADD, 2, key);
	sql_bind_text(store, ST_OUTBOX_ADD, 3, url);
	sql_bind_text(store, ST_OUTBOX_ADD, 4, body);
	sql_bind_int64(store, ST_OUTBOX_ADD, 5, now_ms());
	return sql_run(store, ST_OUTBOX_ADD);
}

int
sqlstore_outbox_list(struct store *base, const char *target, int limit,
    store_outbox_cb cb, void *arg)
{
	struct sql_store *store = (struct sql_store *)base;
	struct sql_row *row = sql_row(store, ST_OUTBOX_LIST);
	struct outbox_message m;
	int rc, n = 0, stop = 0;

	sql_bind_text(store, ST_OUTBOX_LIST, 1, target);
	sql_bind_int64(store, ST_OUTBOX_LIST, 2, limit);
	while (!stop && (rc = sql_step(store, ST_OUTBOX_LIST)) == SQL_ROW) {
		m.id = sql_col_int64(row, 0);
		m.target = sql_col_text(row, 1);
		m.key = sql_col_text(row, 2);
		m.url = sql_col_text(row, 3);
		m.body = sql_col_text(row, 4);
		m.created_ms = sql_col_int64(row, 5);
		if (m.target == NULL || m.key == NULL || m.url == NULL ||
		    m.body == NULL)
			continue;
		n++;
		stop = cb(&m, arg) == -1;
	}
	sql_reset(store, ST_OUTBOX_LIST);
	return stop || rc == SQL_DONE ? n : -1;
}

int
sqlstore_outbox_remove(struct store *base, int64_t id)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_OUTBOX_REMOVE, 1, id);
	return sql_run(store, ST_OUTBOX_REMOVE);
}

int
sqlstore_outbox_count(struct store *base, int64_t *n)
{
	struct sql_store *store = (struct sql_store *)base;

	return sql_scalar(store, ST_OUTBOX_COUNT, n) == 1 ? 0 : -1;
}

int
sqlstore_delivery_known(struct store *base, const char *forge, const char *id,
    int64_t since_ms)
{
	struct sql_store *store = (struct sql_store *)base;
	int64_t at;

	sql_bind_text(store, ST_DELIVERY_FIND, 1, forge);
	sql_bind_text(store, ST_DELIVERY_FIND, 2, id);
	sql_bind_int64(store, ST_DELIVERY_FIND, 3, since_ms);
	return sql_scalar(store, ST_DELIVERY_FIND, &at);
}

int
sqlstore_delivery_add(struct store *base, const char *forge, const char *id,
    int64_t now, int64_t since_ms)
{
	struct sql_store *store = (struct sql_store *)base;

	sql_bind_int64(store, ST_DELIVERY_PRUNE, 1, since_ms);
	if (sql_run(store, ST_DELIVERY_PRUNE) == -1)
		return -1;
	sql_bind_text(store, ST_DELIVERY_ADD, 1, forge);
	sql_bind_text(store, ST_DELIVERY_ADD, 2, id);
	sql_bind_int64(store, ST_DELIVERY_ADD, 3, now);
	return sql_run(store, ST_DELIVERY_ADD);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_address.c - the dispatcher's table of client addresses: a guesser
 * waits longer after each refused token, a success forgives, the HTTP
 * budget allows bursts of twice the rate, a full table forgets the address
 * unheard of the longest, and two tables (two dispatchers) share nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "address.h"

static void
test_penalty_grows_and_success_forgives(void **state)
{
	struct address_table *t = address_table_new();
	int64_t wait;

	(void)state;
	for (int i = 0; i < ADDRESS_FREE_FAILURES - 1; i++)
		address_failed(t, "10.0.0.1");
	assert_int_equal(address_penalty(t, "10.0.0.1"), 0);
	address_failed(t, "10.0.0.1");
	wait = address_penalty(t, "10.0.0.1");
	assert_true(wait > 0 && wait <= 100);
	address_failed(t, "10.0.0.1");
	wait = address_penalty(t, "10.0.0.1");
	assert_true(wait > 100 && wait <= 200);
	for (int i = 0; i < 20; i++)
		address_failed(t, "10.0.0.1");
	assert_true(address_penalty(t, "10.0.0.1") <= ADDRESS_MAX_DELAY_MS);
	assert_true(address_penalty(t, "10.0.0.1") > ADDRESS_MAX_DELAY_MS / 2);
	/* Another address is not held up by this one. */
	assert_int_equal(address_penalty(t, "10.0.0.2"), 0);
	address_succeeded(t, "10.0.0.1");
	assert_int_equal(address_penalty(t, "10.0.0.1"), 0);
	address_table_free(t);
}

static void
test_rate_allows_bursts_of_twice_the_rate(void **state)
{
	struct address_table *t = address_table_new();
	int allowed = 0;

	(void)state;
	for (int i = 0; i < 100; i++)
		allowed += address_rate_ok(t, "::1", 10.0);
	/* 20 at once, perhaps one more if a 100 ms passed meanwhile. */
	assert_true(allowed >= 20 && allowed <= 22);
	assert_true(address_rate_ok(t, "::2", 10.0));
	address_table_free(t);
}

static void
test_full_table_forgets_the_stalest(void **state)
{
	struct address_table *t = address_table_new();
	char name[32];

	(void)state;
	for (int i = 0; i < ADDRESS_FREE_FAILURES; i++)
		address_failed(t, "192.0.2.1");
	assert_true(address_penalty(t, "192.0.2.1") > 0);
	/* As many new addresses as the table holds push it out... */
	for (int i = 0; i < ADDRESS_TABLE; i++) {
		snprintf(name, sizeof name, "198.51.100.%d/%d", i % 256, i);
		address_failed(t, name);
	}
	assert_int_equal(address_penalty(t, "192.0.2.1"), 0);
	/* ...while one heard of again keeps its place. */
	for (int i = 0; i < ADDRESS_FREE_FAILURES; i++)
		address_failed(t, "192.0.2.9");
	for (int i = 0; i < ADDRESS_TABLE - 1; i++) {
		snprintf(name, sizeof name, "203.0.113.%d/%d", i % 256, i);
		address_failed(t, name);
		assert_true(address_penalty(t, "192.0.2.9") > 0);
	}
	address_table_free(t);
}

static void
test_tables_share_nothing(void **state)
{
	struct address_table *a = address_table_new();
	struct address_table *b = address_table_new();

	(void)state;
	for (int i = 0; i < ADDRESS_FREE_FAILURES; i++)
		address_failed(a, "10.1.1.1");
	assert_true(address_penalty(a, "10.1.1.1") > 0);
	assert_int_equal(address_penalty(b, "10.1.1.1"), 0);
	address_table_free(a);
	address_table_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_penalty_grows_and_success_forgives),
		cmocka_unit_test(test_rate_allows_bursts_of_twice_the_rate),
		cmocka_unit_test(test_full_table_forgets_the_stalest),
		cmocka_unit_test(test_tables_share_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

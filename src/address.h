/* SPDX-License-Identifier: MIT */
/*
 * address.h - what the dispatcher remembers of each client address: its
 * failed attempts at the token (each refusal after the first few waits
 * longer) and its HTTP request budget (a token bucket).  One table per
 * dispatcher, of fixed size: the address unheard of the longest gives its
 * place to a new one, so a flood of addresses costs no memory.
 */
#ifndef SSCI_ADDRESS_H
#define SSCI_ADDRESS_H

#include <stdint.h>

/* After this many failures from one address, each refusal waits longer. */
#define ADDRESS_FREE_FAILURES 3
#define ADDRESS_MAX_DELAY_MS 10000
/* Failures older than this are forgotten. */
#define ADDRESS_FORGET_MS (10 * 60 * 1000)
#define ADDRESS_TABLE 256

struct address_table;

struct address_table *address_table_new(void);
void address_table_free(struct address_table *t);

/* Note a failed attempt from address (an IP, without its port). */
void address_failed(struct address_table *t, const char *address);

/*
 * How many milliseconds address must still wait before its next attempt
 * is even looked at: 0 for the first few failures, then 100 ms doubling
 * after each, up to ADDRESS_MAX_DELAY_MS.
 */
int64_t address_penalty(struct address_table *t, const char *address);

/* A success from address forgives its failures. */
void address_succeeded(struct address_table *t, const char *address);

/*
 * Whether address may make an HTTP request now: rate per second, in bursts
 * of up to twice that.
 */
int address_rate_ok(struct address_table *t, const char *address,
    double rate);

#endif

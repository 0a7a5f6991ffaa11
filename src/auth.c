/* SPDX-License-Identifier: MIT */
/*
 * auth.c - tokens (read from files that only their owner can read,
 * compared in constant time) and browser sessions.  Guessers are slowed
 * down by the dispatcher's address table (address.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "auth.h"
#include "util.h"

char *
auth_read_token(const char *file)
{
	char line[1024], *start, *end;
	struct stat st;
	FILE *f;

	f = fopen(file, "re");
	if (f == NULL) {
		log_warn("unable to read token file '%s'", file);
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0004)) {
		log_warnx("unable to use token file '%s': others can read it "
		    "(chmod 600)", file);
		fclose(f);
		return NULL;
	}
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	start = line + strspn(line, " \t");
	end = start + strlen(start);
	while (end > start && strchr(" \t\r\n", end[-1]) != NULL)
		*--end = '\0';
	if (*start == '\0') {
		log_warnx("unable to use token file '%s': it is empty", file);
		return NULL;
	}
	return xstrdup(start);
}

char *
auth_token(const char *file)
{
	const char *env = getenv("SSCI_TOKEN");
	char *token;

	if (file != NULL) {
		if ((token = auth_read_token(file)) == NULL)
			exit(1);
		return token;
	}
	return env != NULL && *env != '\0' ? xstrdup(env) : NULL;
}

int
auth_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t n = la > lb ? la : lb;
	unsigned char diff = la != lb;

	/* Walk the longer length whatever happens; no early exit. */
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)((i < la ? a[i] : 0) ^
		    (i < lb ? b[i] : 0));
	return diff == 0;
}

static struct {
	char id[65];
	int64_t expires_ms;
} auth_sessions[AUTH_SESSIONS];

int
auth_session_new(char id[65])
{
	unsigned char raw[32];
	size_t slot = 0;
	int64_t now = now_ms();

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1;
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	/* A free or expired slot, else the one that expires first. */
	for (size_t i = 1; i < AUTH_SESSIONS; i++) {
		if (auth_sessions[i].expires_ms < auth_sessions[slot].expires_ms)
			slot = i;
	}
	memcpy(auth_sessions[slot].id, id, 65);
	auth_sessions[slot].expires_ms = now + AUTH_SESSION_MS;
	return 0;
}

int
auth_session_valid(const char *id)
{
	int64_t now = now_ms();
	int ok = 0;

	if (strlen(id) != 64)
		return 0;
	/* Every slot looked at, each in the same time. */
	for (size_t i = 0; i < AUTH_SESSIONS; i++)
		ok |= auth_sessions[i].expires_ms > now &&
		    auth_equal(auth_sessions[i].id, id);
	return ok;
}

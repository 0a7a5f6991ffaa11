/* SPDX-License-Identifier: MIT */
/*
 * test_reportglob.c - a report pattern's files in a real folder: levels
 * matched one by one, names sorted, a leading '.' matched only by one,
 * links and FIFOs said but never followed or read, literal parts looked
 * up without reading their folder, and the entries read bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "reportglob.h"
#include "unit_dir.h"
#include "util.h"

struct found {
	char text[4096];	/* "F rel\n", "L rel\n", "O rel\n" */
};

static void
found(const char *rel, enum report_glob_kind kind, void *arg)
{
	struct found *f = arg;
	size_t n = strlen(f->text);

	snprintf(f->text + n, sizeof f->text - n, "%c %s\n",
	    kind == REPORT_GLOB_FILE ? 'F' : kind == REPORT_GLOB_LINK ? 'L' :
	    'O', rel);
}

static void
touch(const char *dir, const char *rel)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
}

static void
made(const char *dir, const char *rel)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static const char *
walk(const char *dir, const char *pattern, size_t budget, int want_rc)
{
	static struct found f;

	memset(&f, 0, sizeof f);
	assert_int_equal(report_glob(dir, pattern, &budget, found, &f),
	    want_rc);
	return f.text;
}

static void
test_levels_links_and_budget(void **state)
{
	char dir[256], path[512];
	const char *text, *p;
	int lines;

	(void)state;
	assert_int_equal(unit_dir_make(dir, sizeof dir, "glob"), 0);
	made(dir, "build");
	made(dir, "build/junit");
	made(dir, ".hidden");
	touch(dir, "build/junit/b.xml");
	touch(dir, "build/junit/a.xml");
	touch(dir, "build/junit/a.txt");
	touch(dir, ".hidden/x.xml");
	touch(dir, "top.xml");
	snprintf(path, sizeof path, "%s/up", dir);
	assert_int_equal(symlink("/", path), 0);
	snprintf(path, sizeof path, "%s/build/junit/link.xml", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof path, "%s/build/junit/fifo.xml", dir);
	assert_int_equal(mkfifo(path, 0600), 0);

	assert_string_equal(walk(dir, "build/junit/*.xml", 100, 0),
	    "F build/junit/a.xml\nF build/junit/b.xml\n"
	    "O build/junit/fifo.xml\nL build/junit/link.xml\n");
	/* A link is said, never gone into; a leading '.' needs one. */
	assert_string_equal(walk(dir, "*/*/*.xml", 100, 0),
	    "F build/junit/a.xml\nF build/junit/b.xml\n"
	    "O build/junit/fifo.xml\nL build/junit/link.xml\nL up\n");
	assert_string_equal(walk(dir, "*/*.xml", 100, 0), "L up\n");
	assert_string_equal(walk(dir, ".*/*.xml", 100, 0), "F .hidden/x.xml\n");
	assert_string_equal(walk(dir, "./top.xml", 0, 0), "F top.xml\n");
	assert_string_equal(walk(dir, "up/etc/passwd", 0, 0), "L up\n");
	assert_string_equal(walk(dir, "build", 0, 0), "O build\n");
	assert_string_equal(walk(dir, "none/*.xml", 100, 0), "");
	/* Out of entries: what was found in the 2 read stands. */
	text = walk(dir, "build/junit/*.xml", 2, -1);
	for (p = text, lines = 0; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_true(lines <= 2);
	unit_dir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_links_and_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_cgroup.c - a runner's job groups under the control group systemd
 * delegated to it (cgroup v2, Delegate=yes).  This machine's kernel
 * mounts cgroup v1 only, so the v2 tree is stood in for by a folder of
 * plain files shaped as the kernel's documentation (cgroup-v2.rst,
 * "Delegation") describes them: the test checks what cgroup_delegate
 * reads and writes there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cgroup.h"
#include "unit_dir.h"
#include "util.h"

#define SERVICE "/system.slice/ssci-runner@r1.service"

static void
put(const char *dir, const char *file, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
get(const char *dir, const char *file, char *buf, size_t size)
{
	char path[600];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* A tree: root, and the service's group offering controllers. */
static void
tree(char *root, size_t size, char *group, size_t gsize,
    const char *controllers)
{
	char leaf[600];

	assert_int_equal(unit_dir_make(root, size, "cgroup"), 0);
	put(root, "cgroup.controllers", "cpu io memory pids\n");
	snprintf(group, gsize, "%s%s", root, SERVICE);
	assert_int_equal(mkdir_p(group), 0);
	put(group, "cgroup.controllers", controllers);
	put(group, "cgroup.subtree_control", "");
	put(group, "cgroup.procs", "4321\n");
	/* The kernel makes a group's files with it; a folder does not. */
	snprintf(leaf, sizeof leaf, "%s/runner", group);
	assert_int_equal(mkdir(leaf, 0755), 0);
	put(leaf, "cgroup.procs", "");
}

static void
test_delegated_group_becomes_the_parent(void **state)
{
	char root[256], group[600], leaf[700], buf[200], *base;
	static const char self[] =
	    "12:pids:/system.slice/ssci-runner@r1.service\n"
	    "0::" SERVICE "\n";

	(void)state;
	tree(root, sizeof root, group, sizeof group, "memory pids\n");
	assert_int_equal(cgroup_delegate(root, self, "memory pids", 4321,
	    &base), 0);
	assert_string_equal(base, group);
	snprintf(leaf, sizeof leaf, "%s/runner", group);
	get(leaf, "cgroup.procs", buf, sizeof buf);
	assert_string_equal(buf, "4321");
	get(group, "cgroup.subtree_control", buf, sizeof buf);
	assert_string_equal(buf, "+memory +pids");
	free(base);
	unit_dir_remove(root);
}

static void
test_no_delegation_no_base(void **state)
{
	char root[256], group[600], *base = (char *)"x";

	(void)state;
	/* The group offers no pids controller. */
	tree(root, sizeof root, group, sizeof group, "memory\n");
	assert_int_equal(cgroup_delegate(root, "0::" SERVICE "\n",
	    "memory pids", 1, &base), -1);
	assert_null(base);
	/* Only v1 lines: no v2 group at all. */
	assert_int_equal(cgroup_delegate(root, "4:memory:/\n3:pids:/\n",
	    "memory", 1, &base), -1);
	/* A group we may not write (gone here). */
	assert_int_equal(cgroup_delegate(root, "0::/elsewhere.service\n",
	    "memory", 1, &base), -1);
	assert_null(base);
	unit_dir_remove(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delegated_group_becomes_the_parent),
		cmocka_unit_test(test_no_delegation_no_base),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

# SPDX-License-Identifier: MIT
"""workloads.py - the repositories the overhead benchmarks test, each the
same for ssci and for the floor's shell loop (SSCI_BENCH_WORKLOAD):

- trivial: one file f and .ssci/test = "exit 0" (bench/run overhead);
- unittest: a Python unittest suite of two tests, run verbose as ssci's
  default command does (bench/run overhead_unittest);
- c: a generated C project of the size issue 21 names: 50 files (46
  sources, a header, a test program, a Makefile, .ssci/test), built and
  tested by "make test"; each commit changes one source
  (bench/run overhead_c).
"""
import os

from common import git, make_repo, one_line_commit

UNITTEST_TEST = ("#!/bin/sh\n"
                 "exec python3 -m unittest discover -v -s tests\n")

UNITTEST_SUITE = '''import unittest


class TestArithmetic(unittest.TestCase):
    def test_add(self):
        self.assertEqual(1 + 1, 2)

    def test_join(self):
        self.assertEqual("-".join("ab"), "a-b")


if __name__ == "__main__":
    unittest.main()
'''

C_SOURCES = 46
C_TEST = "#!/bin/sh\nexec make -s test\n"
C_MAKEFILE = '''CC ?= cc
CFLAGS ?= -O0 -w
SRC = $(wildcard src/*.c)

all: check_prog

check_prog: $(SRC) tests/check.c src/lib.h
\t$(CC) $(CFLAGS) -Isrc -o $@ $(SRC) tests/check.c

test: check_prog
\t./check_prog

clean:
\trm -f check_prog

.PHONY: all test clean
'''


def _c_source(i, version):
    return (f'#include "lib.h"\n\n'
            f'/* version {version} */\n'
            f'int\nf{i}(int x)\n{{\n\treturn x + {i};\n}}\n')


def _make_c(path):
    make_repo(path, C_TEST)
    os.makedirs(os.path.join(path, "src"))
    os.makedirs(os.path.join(path, "tests"))
    with open(os.path.join(path, "Makefile"), "w") as f:
        f.write(C_MAKEFILE)
    with open(os.path.join(path, "src", "lib.h"), "w") as f:
        f.write("".join(f"int f{i}(int);\n" for i in range(C_SOURCES)))
    for i in range(C_SOURCES):
        with open(os.path.join(path, "src", f"f{i}.c"), "w") as f:
            f.write(_c_source(i, 0))
    with open(os.path.join(path, "tests", "check.c"), "w") as f:
        f.write('#include <stdio.h>\n#include "lib.h"\n\nint\nmain(void)\n'
                '{\n\tint sum = 0;\n\n' +
                "".join(f"\tsum += f{i}(0);\n" for i in range(C_SOURCES)) +
                f'\tif (sum != {sum(range(C_SOURCES))}) {{\n'
                '\t\tprintf("FAIL %d\\n", sum);\n\t\treturn 1;\n\t}\n'
                '\tprintf("ok\\n");\n\treturn 0;\n}\n')
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "a C project")


def make(kind, path):
    """The workload's repository at path; returns path."""
    if kind == "trivial":
        return make_repo(path)
    if kind == "unittest":
        make_repo(path, UNITTEST_TEST)
        os.makedirs(os.path.join(path, "tests"))
        with open(os.path.join(path, "tests", "test_arith.py"), "w") as f:
            f.write(UNITTEST_SUITE)
        git(path, "add", "tests")
        git(path, "commit", "-q", "-m", "two tests")
        return path
    if kind == "c":
        _make_c(path)
        return path
    raise ValueError(f"unknown workload '{kind}' (trivial, unittest, c)")


def change(kind, repo, i):
    """Commit change i of the workload; returns the commit id."""
    if kind != "c":
        return one_line_commit(repo, i)
    name = os.path.join(repo, "src", f"f{i % C_SOURCES}.c")
    with open(name, "w") as f:
        f.write(_c_source(i % C_SOURCES, i + 1))
    git(repo, "commit", "-q", "-a", "-m", f"change {i}")
    return git(repo, "rev-parse", "HEAD")

# SPDX-License-Identifier: MIT
"""The code's structure, as docs/ARCHITECTURE.md states it: no two files of
src/ use each other's functions (read from the built objects' symbol
tables with nm), only the runner parses a repository's YAML, SQLite is
spoken only by the SQLite backend, OpenSSL only by tls.c and seal.c,
libcurl only by the outbox, which loads it at run time (the binary is not
linked with it), the store knows nothing of the wire protocol, and the
file map names every file of src/ (and no file that is gone)."""
import os
import re
import subprocess
import unittest

from harness import only_on

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "src")


def objects_dir():
    """The folder of the objects the binary under test was linked from."""
    build = os.path.dirname(os.path.realpath(os.environ.get(
        "SSCI_BIN", os.path.join(ROOT, "build", "ssci"))))
    if not any(f.endswith(".o") for f in os.listdir(build)):
        build = os.path.join(ROOT, "build")
    return build


def symbols(objs):
    """{object: (defined, used)} external symbols, from one nm run."""
    out = subprocess.run(["nm", "-A"] + objs, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    table = {obj: (set(), set()) for obj in objs}
    for line in out.splitlines():
        obj, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[0] == "U":
            table[obj][1].add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBR":
            table[obj][0].add(parts[2])
    return table


def src_files(pattern):
    return sorted(f for f in os.listdir(SRC) if re.fullmatch(pattern, f))


@only_on("sqlite", why="uses no dispatcher's store: once is enough")
class Structure(unittest.TestCase):

    def test_no_two_files_use_each_other(self):
        build = objects_dir()
        owner, uses = {}, {}
        objs = {}
        for c in src_files(r"[a-z0-9_]+\.c"):
            objs[c] = os.path.join(build, c[:-2] + ".o")
            self.assertTrue(os.path.exists(objs[c]), objs[c] + " not built")
        table = symbols(list(objs.values()))
        for c, obj in objs.items():
            defined, used = table[obj]
            for sym in defined:
                owner[sym] = c
            uses[c] = used
        calls = {c: {owner[s] for s in used if s in owner} - {c}
                 for c, used in uses.items()}
        circles = sorted({tuple(sorted((a, b))) for a in calls
                          for b in calls[a] if a in calls.get(b, ())})
        self.assertEqual(circles, [], "files that use each other's "
                         "functions: %s" % circles)

    def test_only_the_sqlite_backend_speaks_sqlite(self):
        speaking = [f for f in src_files(r".*\.[ch]")
                    if "sqlite3" in open(os.path.join(SRC, f)).read()]
        self.assertTrue(speaking)
        self.assertEqual([f for f in speaking
                          if not f.startswith("store_sqlite")], [])

    def test_only_the_postgresql_backend_speaks_libpq(self):
        speaking = [f for f in src_files(r".*\.[ch]")
                    if re.search(r"<libpq-fe\.h>|\bPQ[a-z]+\(",
                                 open(os.path.join(SRC, f)).read())]
        self.assertTrue(speaking)
        self.assertEqual([f for f in speaking
                          if not f.startswith("store_pg")], [])

    def test_only_tls_and_seal_speak_openssl(self):
        speaking = [f for f in src_files(r".*\.[ch]")
                    if "<openssl/" in open(os.path.join(SRC, f)).read()]
        self.assertEqual(sorted(speaking), ["seal.c", "tls.c"])

    def test_libcurl_only_in_the_outbox_and_loaded_at_run_time(self):
        speaking = [f for f in src_files(r".*\.[ch]")
                    if "<curl/" in open(os.path.join(SRC, f)).read()]
        self.assertEqual(sorted(speaking), ["curl_load.h", "outbox.c"])
        binary = os.path.realpath(os.environ.get(
            "SSCI_BIN", os.path.join(ROOT, "build", "ssci")))
        out = subprocess.run(["objdump", "-p", binary], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        needed = re.findall(r"^\s*NEEDED\s+(\S+)$", out, re.M)
        self.assertIn("libc.so.6", needed)
        self.assertEqual([n for n in needed if "curl" in n], [])

    def test_the_store_knows_nothing_of_the_protocol(self):
        self.assertEqual([f for f in src_files(r"store.*\.[ch]")
                          if "proto.h" in open(os.path.join(SRC, f)).read()],
                         [])

    def test_only_runners_read_yaml(self):
        """A repository's .ssci.yml is parsed on the runner (runjob.c
        calls plan_parse); the dispatcher's files only decode the plan
        the runner sent."""
        build = objects_dir()
        objs = {c: os.path.join(build, c[:-2] + ".o")
                for c in src_files(r"[a-z0-9_]+\.c")}
        table = symbols(list(objs.values()))
        readers = sorted(c for c, obj in objs.items()
                         if "plan_parse" in table[obj][1])
        self.assertEqual(readers, ["runjob.c"])

    def test_the_file_map_names_every_file(self):
        with open(os.path.join(ROOT, "docs", "ARCHITECTURE.md")) as f:
            doc = f.read()
        file_map = doc.split("\n## File map\n")[1].split("\n## ")[0]
        named = set(re.findall(r"`([a-z0-9_]+\.[ch])`", file_map))
        files = set(src_files(r"[a-z0-9_]+\.[ch]"))
        self.assertEqual(sorted(files - named), [],
                         "in src/ but not in docs/ARCHITECTURE.md")
        self.assertEqual(sorted(named - files), [],
                         "in docs/ARCHITECTURE.md but not in src/")


if __name__ == "__main__":
    unittest.main()

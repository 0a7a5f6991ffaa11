# SPDX-License-Identifier: MIT
"""ssci migrate: a stopped dispatcher's SQLite store, 1,000 jobs with
their logs (980 written straight into the file, 20 run for real, a
secret), moved into an empty PostgreSQL database.  Every table's rows
and every log are compared by this test itself, reading both databases
(Python's sqlite3, psql); then a dispatcher on PostgreSQL goes on from
there."""
import hashlib
import os
import sqlite3
import subprocess

import pg_util
from harness import SSCI, SsciTest, only_on
from retention_fill import fill_store

TOKEN = "migrate-token-0123456789abcdef"
REPO = "https://example.org/secret.git"
# Each table and its key; the columns are read from SQLite's schema.
TABLES = [("repos", "id"), ("jobs", "id"), ("runners", "name"),
          ("pipelines", "id"), ("job_needs", "job_id, need_id"),
          ("tests", "id"), ("test_runs", "job_id, attempt, idx"),
          ("test_attempts", "job_id, attempt"), ("outbox", "id"),
          ("deliveries", "forge, id"), ("lanes", "id"),
          ("bisections", "id"), ("schedules", "spec"),
          ("secrets", "repo, name"), ("artifacts", "job_id, path")]
NULL = "<null>"


@only_on("postgresql", why="moves a SQLite store into PostgreSQL")
class TestMigrate(SsciTest):
    def migrate(self, *args):
        return subprocess.run([SSCI, "migrate", *args], cwd=self.tmp,
                              text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)

    def notify_with(self, env, d, repo, *commits):
        proc = subprocess.run([SSCI, "notify", "--dispatcher-server",
                               d.address, *commits], cwd=repo, env=env,
                              text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def sqlite_rows(self, db, table, key):
        cols = [c[1] for c in db.execute(f"PRAGMA table_info({table})")]
        kinds = {c[1]: c[2] for c in db.execute(
            f"PRAGMA table_info({table})")}
        sel = ", ".join(f"hex({c})" if kinds[c] == "BLOB" else c
                        for c in cols)
        rows = db.execute(f"SELECT {sel} FROM {table} ORDER BY {key}")
        return cols, [tuple(NULL if v is None else str(v).lower()
                            if kinds[c] == "BLOB" else str(v)
                            for c, v in zip(cols, r)) for r in rows]

    def pg_rows(self, conninfo, table, key, cols, kinds):
        sel = ", ".join(f"encode({c}, 'hex')" if kinds[c] == "BLOB" else c
                        for c in cols)
        out = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-P",
             f"null={NULL}", "-c",
             f"SELECT {sel} FROM {table} ORDER BY {key}", conninfo],
            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            check=True).stdout
        return [tuple(line.split("\x1f")) for line in out.splitlines()]

    def test_a_thousand_jobs_and_their_logs(self):
        state = os.path.join(self.tmp, "state")
        sqlite_store = ("--store", f"sqlite:{state}/ssci.db")
        tok = os.path.join(self.tmp, "token")
        with open(os.open(tok, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(TOKEN + "\n")
        d = self.dispatcher(args=(*sqlite_store, "--state-dir", state,
                                  "--token-file", tok))
        d.stop()
        fill_store(state, [("https://example.org/m.git", "main", 980, 1)])
        d = self.restart_dispatcher(d, args=(*sqlite_store, "--state-dir",
                                             state, "--token-file", tok))
        repo = self.make_repo()
        commits = [self.commit(repo, f"change {i}", {"f.txt": f"{i}\n"})
                   for i in range(20)]
        env = dict(os.environ, SSCI_TOKEN=TOKEN)
        self.start("runner", "runner", "--dispatcher-server", d.address,
                   "--name", "runner1", "--work-dir",
                   os.path.join(self.tmp, "work"), env=env)
        self.notify_with(env, d, repo, *commits)
        self.wait_results(d, commits)
        secret = subprocess.run(
            [SSCI, "secret", "--dispatcher-server", d.address,
             "--token-file", tok, "set", REPO, "API_KEY"],
            input="not-in-the-clear", text=True, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=self.tmp)
        self.assertEqual(secret.returncode, 0, secret.stderr)
        jobs_before = d.jobs()
        self.assertEqual(len(jobs_before), 1000)
        d.stop()

        base = os.environ["SSCI_TEST_PG"]
        db = pg_util.database_for(os.path.join(self.tmp, "target"))
        pg_util.psql(base, f"CREATE DATABASE {db}")
        self.pg_databases.add(db)
        target = f"{base} dbname={db}"
        proc = self.migrate("--from", f"sqlite:{state}/ssci.db", "--to",
                            target)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"jobs +1000 rows, sha256 \w+\.\.\. "
                         r"the same in both")
        self.assertRegex(proc.stdout, r"logs +1000 files")
        self.assertNotIn("NOT THE SAME", proc.stdout)

        # Every table, row by row, read by this test from both sides.
        lite = sqlite3.connect(os.path.join(state, "ssci.db"))
        for table, key in TABLES:
            kinds = {c[1]: c[2] for c in lite.execute(
                f"PRAGMA table_info({table})")}
            cols, want = self.sqlite_rows(lite, table, key)
            got = self.pg_rows(target, table, key, cols, kinds)
            self.assertEqual(len(got), len(want), table)
            self.assertEqual(got, want, table)
        lite.close()
        # Every log, by checksum.
        logs = {}
        for name in os.listdir(os.path.join(state, "logs")):
            with open(os.path.join(state, "logs", name), "rb") as f:
                logs[int(name[:-4])] = hashlib.sha256(f.read()).hexdigest()
        kept = dict(tuple(line.split("|")) for line in pg_util.psql(
            base, "SELECT job_id, encode(sha256(string_agg(data, ''::bytea "
            "ORDER BY seq)), 'hex') FROM job_logs GROUP BY job_id",
            db=db).split())
        self.assertEqual({int(k): v for k, v in kept.items()}, logs)

        # A second run refuses: the target holds jobs now.
        again = self.migrate("--from", f"sqlite:{state}/ssci.db", "--to",
                             target)
        self.assertEqual(again.returncode, 1)
        self.assertIn("its table repos has rows already", again.stderr)

        # The dispatcher goes on from there, on PostgreSQL.
        d = self.restart_dispatcher(d, args=("--store", target, "--state-dir",
                                             state, "--token-file", tok))
        self.assertEqual(d.jobs(), jobs_before)
        later = self.commit(repo, "after the move")
        self.notify_with(env, d, repo, later)
        self.wait_results(d, [later])
        job = [j for j in d.jobs() if j["commit"] == later][0]
        self.assertEqual(job["id"], 1001)
        self.assertEqual(job["state"], "passed")

    def test_refusals(self):
        state = os.path.join(self.tmp, "state")
        d = self.dispatcher(args=("--store", f"sqlite:{state}/ssci.db",
                                  "--state-dir", state))
        base = os.environ["SSCI_TEST_PG"]
        busy = self.migrate("--from", f"sqlite:{state}/ssci.db", "--to",
                            f"{base} dbname=postgres")
        self.assertEqual(busy.returncode, 1)
        self.assertIn(f"a dispatcher (pid {d.pid}) uses it; stop it first",
                      busy.stderr)
        d.stop()
        for args, said in [
                (("--from", "postgresql://h/db", "--to", "sqlite:x.db"),
                 "unable to migrate: --from is not sqlite:FILE"),
                (("--from", f"sqlite:{state}/ssci.db", "--to",
                  "sqlite:other.db"), "--to is not a PostgreSQL URL"),
                (("--from", "sqlite:/nonexistent/ssci.db", "--to",
                  f"{base} dbname=postgres"),
                 "unable to migrate '/nonexistent/ssci.db': No such file")]:
            proc = self.migrate(*args)
            self.assertEqual(proc.returncode, 1, args)
            self.assertIn(said, proc.stderr)

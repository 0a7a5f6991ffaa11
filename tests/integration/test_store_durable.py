# SPDX-License-Identifier: MIT
"""A change the dispatcher acknowledged is on the PostgreSQL server's disk:
the session commits without waiting (synchronous_commit off), so each
acknowledged change must have been flushed by a commit that waited.  The
test's own cluster makes the server's WAL writer wait 10 s and writes no
other WAL, so that a change left to it would still be unflushed when the
dispatch's "ok" arrives."""
import pg_util
from harness import SsciTest, only_on

SETTINGS = {"wal_writer_delay": "10000", "wal_level": "minimal",
            "max_wal_senders": "0", "autovacuum": "off"}
FLUSHED = "SELECT pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn()"


@only_on("postgresql", why="PostgreSQL's commits and flushes")
class TestDurable(SsciTest):
    def test_an_acknowledged_dispatch_is_flushed(self):
        cluster = pg_util.Cluster(settings=SETTINGS)
        self.addCleanup(cluster.stop)
        pg_util.psql(cluster.conninfo, "CREATE DATABASE durable")
        d = self.dispatcher(args=("--store",
                                  f"{cluster.conninfo} dbname=durable"))
        self.addCleanup(d.stop)
        repo = self.make_repo()
        for i in range(3):
            commit = self.commit(repo, f"change {i}", {"f.txt": f"{i}\n"})
            proc = self.notify(d, repo, commit)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            # No runner: nothing else writes after the dispatch's ok.
            self.assertEqual(pg_util.psql(cluster.conninfo, FLUSHED,
                                          db="durable").strip(), "t",
                             f"dispatch {i}: acknowledged, not flushed")
        self.assertEqual(len(d.jobs()), 3)
        # Several in one read: the first commit waits, one flush the rest.
        commits = [self.commit(repo, f"more {i}", {"f.txt": f"m{i}\n"})
                   for i in range(4)]
        proc = self.notify(d, repo, *commits)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(pg_util.psql(cluster.conninfo, FLUSHED,
                                      db="durable").strip(), "t",
                         "a burst of dispatches: acknowledged, not flushed")
        self.assertEqual(len(d.jobs()), 7)

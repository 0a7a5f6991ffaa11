# SPDX-License-Identifier: MIT
"""A transaction on PostgreSQL sends a change whose result nobody reads
along with the next statement (src/store_pg_tx.c): when such a change
fails, the failure is said once, for that statement, the transaction is
rolled back whole (the job's start with it), and the dispatcher goes on
once the database takes the change again."""
import os
import re

import pg_util
from harness import SsciTest, only_on

REFUSE_RUNNING = ("ALTER TABLE pipelines ADD CONSTRAINT refuse_running "
                  "CHECK (state <> 'running') NOT VALID")


@only_on("postgresql", why="the PostgreSQL store's transactions")
class TestPgTransactions(SsciTest):
    def sql(self, d, text):
        return pg_util.psql(os.environ["SSCI_TEST_PG"], text,
                            db=pg_util.database_for(d.state_dir))

    def test_a_failed_change_sent_ahead_rolls_its_transaction_back(self):
        d = self.dispatcher()
        repo = self.make_repo()
        commit = self.commit(repo, "second", {"f.txt": "2\n"})
        # A job's start sets its pipeline running, a change sent ahead.
        self.sql(d, REFUSE_RUNNING)
        self.assertEqual(self.notify(d, repo, commit).returncode, 0)
        self.runner(d, "runner1")
        failed = "unable to set a started job's pipeline running in"
        self.wait_for(lambda: failed in d.stderr(), "the refused change")
        # Rolled back whole: the job's own change, read at once, too.
        self.assertEqual(self.sql(d, "SELECT state, runner FROM jobs").strip(),
                         "queued|")
        lines = [l for l in d.stderr().splitlines() if "unable to" in l]
        self.assertTrue(lines)
        for line in lines:
            # Said for the change that failed, once, nothing after it.
            self.assertIn(failed, line)
            self.assertIn("refuse_running", line)
        self.assertNotRegex(d.stderr(), re.compile(
            "aborted|unable to commit|lost the connection"))

        self.sql(d, "ALTER TABLE pipelines DROP CONSTRAINT refuse_running")
        # The next hand-out (a heartbeat's turn at most) starts it.
        self.wait_results(d, [commit])
        self.assertIn("result: passed", d.result(commit))

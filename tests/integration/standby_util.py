# SPDX-License-Identifier: MIT
"""standby_util.py - what the tests of an active dispatcher and its
standby on one PostgreSQL database share (test_standby.py,
test_standby_netns.py): a repository whose runs wait for the release, the
busy picture the takeover happens in (2 jobs running, the rest queued,
an observer watching), and the check that every job ended once with its
whole log."""
import re
from collections import Counter

from faults_util import FaultTest

# What the dispatcher logs when it stops a start of a job that then runs
# again: a job held ahead taken back for a free runner (its holder may
# have begun it), or one put back in the queue.
RESTARTED = (r"\bjob {job} (held ahead by runner '[^']*' taken back"
             r"|back in the queue"
             r"|started by runner '[^']*' is no longer queued)")

# Each run says when it begins, waits for the release, says it ends.
BODY = '''echo "begin $SSCI_COMMIT"
echo "$PPID $$ $SSCI_JOB" >> "$T/started"
n=0
while [ ! -e "$T/release" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done
echo "end $SSCI_COMMIT"
'''


class StandbyTest(FaultTest):
    def commits(self, n):
        """A repository with n commits whose test is BODY."""
        repo, first = self.repo_with(BODY)
        commits = [first]
        for i in range(n - 1):
            commits.append(self.commit(repo, f"change {i}",
                                       {"change.txt": f"{i}\n"}))
        return repo, commits

    def busy(self, a, both, n):
        """Two runners and an observer naming both addresses, all on the
        active a, and n commits notified to it: 2 running, n - 2 queued.
        (repo, commits, runners, observer)."""
        repo, commits = self.commits(n)
        runners = [self.start(name, "runner", "--dispatcher-server", both,
                              "--name", name, "--work-dir",
                              self.path(f"{name}-work"))
                   for name in ("runner1", "runner2")]
        for r in runners:
            self.wait_log(r, f"registered with {a.address} ")
        self.notify_ok(a.address, repo, *commits)
        self.wait_runs(2)
        states = sorted(j["state"] for j in a.jobs())
        self.assertEqual(states, ["queued"] * (n - 2) + ["running"] * 2)
        watched = self.clone(repo, "watched")
        observer = self.start("observer", "observer", "--dispatcher-server",
                              both, "--interval", "0.2", watched)
        self.wait_log(observer, f"dispatcher {a.address}")
        return repo, commits, runners, observer

    def check_whole(self, d, commits):
        """Released: every commit passed once on d, with one results file
        holding its whole log, and each ran once but for a start d says
        it stopped."""
        self.release()
        jobs = self.check_once_each(d, commits)
        self.assertEqual(len(jobs), len(commits))
        for commit in commits:
            text = d.result(commit)
            self.assertIn(f"begin {commit}\n", text)
            self.assertIn(f"end {commit}\n", text)
        runs = Counter(job for _, _, job in self.runs())
        self.assertEqual(sorted(runs), sorted(j["id"] for j in jobs))
        for job, n in runs.items():
            if n > 1:
                self.assertRegex(d.stderr(), RESTARTED.format(job=job),
                                 f"job {job} ran {n} times: {self.runs()}")

# SPDX-License-Identifier: MIT
"""failover: two dispatchers on one PostgreSQL database (docs/SCALING.md),
one active, one standing by, and two runners and every notify naming both.
200 commits are pushed one by one (SSCI_BENCH_COMMITS, a notify every
SSCI_BENCH_PUSH_S, 0.25 s) while the active dispatcher is killed with -9
every SSCI_BENCH_KILL_S (10 s) and started again at once, to stand by.
For each kill: the time to the new active's "listening", and to the first
job it hands out (the first job started after the kill, from the store's
started_ms, wall clock).  Then every commit must have exactly one job,
passed; how many times its test ran is counted from a file each run
appends to (a run cut short by its runner's loss would count twice).
A notify pushed while neither dispatcher listens keeps its commit for
the next notify, which reports it first, as a git hook's would; they are
counted.  Target: the first job handed out within --runner-timeout + 2 s.
"""
import os
import re
import signal
import subprocess
import sys
import time

from common import (SSCI, Proc, figure, note, workdir, make_repo,
                    one_line_commit, runner, store_args, wait_for, median,
                    jobs)

COMMITS = int(os.environ.get("SSCI_BENCH_COMMITS", "200"))
PUSH_S = float(os.environ.get("SSCI_BENCH_PUSH_S", "0.25"))
KILL_S = float(os.environ.get("SSCI_BENCH_KILL_S", "10"))
HEARTBEAT_S, RUNNER_TIMEOUT_S = 0.25, 1.0
# Each run takes a moment and says it ran (into RUNS, written in), so
# that kills find jobs running.
TEST = """#!/bin/sh
echo "$SSCI_COMMIT" >> RUNS
sleep 0.1
"""


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pair:
    """The two dispatchers: their ports, and which Proc is which now."""

    def __init__(self, tmp, store):
        self.tmp, self.store = tmp, store
        self.ports = [free_port(), free_port()]
        self.procs = [None, None]
        self.starts = 0
        self.start(0)
        wait_for(lambda: self.listening(0), "a to be active", 30)
        self.start(1)
        wait_for(lambda: "standing by" in self.procs[1].stderr(),
                 "b to stand by", 30)

    def start(self, i):
        self.starts += 1
        name = f"{'ab'[i]}-{self.starts}"
        self.procs[i] = Proc(name, [
            SSCI, "dispatcher", "--local-repos", "--host", "127.0.0.1",
            "--port", str(self.ports[i]), "--http", "off",
            "--state-dir", os.path.join(self.tmp, f"{'ab'[i]}-state"),
            "--results-dir", os.path.join(self.tmp, f"{'ab'[i]}-results"),
            "--heartbeat", str(HEARTBEAT_S),
            "--runner-timeout", str(RUNNER_TIMEOUT_S), *self.store],
            self.tmp)

    def listening(self, i):
        return re.search(r"^listening on ", self.procs[i].stdout(), re.M)

    def active(self):
        for i in (0, 1):
            if self.procs[i].alive() and self.listening(i):
                return i
        return None

    def addresses(self):
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)


def main():
    tmp = workdir("failover")
    store = store_args("postgresql")
    runs = os.path.join(tmp, "runs")
    repo = make_repo(os.path.join(tmp, "repo"), TEST.replace("RUNS", runs))
    pair = Pair(tmp, store)
    both = pair.addresses()
    for w in range(2):
        runner(tmp, both, f"bench-{w}")
    commits, takeovers, listens = [], [], []
    next_kill = time.monotonic() + KILL_S
    pending = None      # (killed at, wall ms, the standby's index)
    kept = 0            # notifies that kept their commit for the next
    t0 = time.monotonic()
    while len(commits) < COMMITS or pending is not None:
        now = time.monotonic()
        if len(commits) < COMMITS:
            commits.append(one_line_commit(repo, len(commits)))
            proc = subprocess.run([SSCI, "notify", "--dispatcher-server",
                                   both, "--repo", repo, commits[-1]],
                                  cwd=repo, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
            if proc.returncode != 0:
                # Pushed while neither dispatcher listens (a takeover's
                # first moments): notify keeps the commit in
                # .git/ssci/pending and the next one reports it first, as
                # a git hook's would.
                if " kept in " not in proc.stderr:
                    raise RuntimeError(f"notify failed: {proc.stderr}")
                kept += 1
        i = pair.active()
        if pending is None and now >= next_kill and len(commits) < COMMITS \
                and i is not None:
            pair.procs[i].popen.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            pair.procs[i].popen.wait()
            # Gone: whatever starts from now on, the new active started.
            pending = (killed, time.time() * 1000, 1 - i)
            pair.start(i)           # back at once, to stand by
            next_kill = time.monotonic() + KILL_S
        if pending is not None:
            killed, killed_wall, j = pending
            if pair.listening(j) and len(listens) == len(takeovers):
                listens.append((time.monotonic() - killed) * 1000)
            if pair.listening(j):
                address = f"127.0.0.1:{pair.ports[j]}"
                started = [x["started_ms"] for x in jobs(address)
                           if x["started_ms"] and
                           x["started_ms"] > killed_wall]
                if started:
                    takeovers.append(min(started) - killed_wall)
                    note(f"kill {len(takeovers)}: listening after "
                         f"{listens[-1]:.0f} ms, first job handed out "
                         f"after {takeovers[-1]:.0f} ms")
                    pending = None
            elif time.monotonic() - killed > 60:
                raise RuntimeError("no takeover within 60 s")
        # While a takeover is watched, a look every 10 ms.
        if pending is not None and len(listens) == len(takeovers):
            time.sleep(0.01)
            continue
        time.sleep(max(0.0, PUSH_S - (time.monotonic() - now)))
    pushed = time.monotonic() - t0
    # The last push may have been kept too.
    wait_for(lambda: subprocess.run(
        [SSCI, "notify", "--dispatcher-server", both, "--repo", repo,
         "--flush"], cwd=repo, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL).returncode == 0,
        "the kept commits reported", 60, step=0.1)

    i = pair.active()
    address = f"127.0.0.1:{pair.ports[i]}"

    def all_final():
        rows = jobs(address)
        done = [x for x in rows if x["finished_ms"]]
        return rows if len(done) >= len(commits) else None
    rows = wait_for(all_final, "every job to end", 300)
    per_commit = {}
    for x in rows:
        per_commit.setdefault(x["commit"], []).append(x)
    lost = [c for c in commits if c not in per_commit]
    twice = [c for c, xs in per_commit.items() if len(xs) > 1]
    failed = [x for x in rows if x["state"] != "passed"]
    with open(runs) as f:
        ran = f.read().split()
    extra_runs = len(ran) - len(set(ran))
    note(f"{len(commits)} commits pushed in {pushed:.1f} s with "
         f"{len(takeovers)} kills; {len(rows)} jobs; attempts up to "
         f"{max(x['attempt'] for x in rows)}")
    figure("failover_kills", len(takeovers), "count", 0)
    figure("failover_listening_ms_median", median(listens), "ms", 0)
    figure("failover_listening_ms_worst", max(listens), "ms", 0)
    figure("failover_first_job_ms_median", median(takeovers), "ms", 0)
    figure("failover_first_job_ms_worst", max(takeovers), "ms", 0)
    figure("failover_target_ms", (RUNNER_TIMEOUT_S + 2) * 1000, "ms", 0)
    figure("failover_notify_kept_for_the_next", kept, "count", 0)
    figure("failover_commits_lost", len(lost), "count", 0)
    figure("failover_commits_with_two_jobs", len(twice), "count", 0)
    figure("failover_jobs_not_passed", len(failed), "count", 0)
    figure("failover_tests_run_again", extra_runs, "count", 0)
    if lost or twice or failed:
        note(f"WARNING: lost {lost[:3]}, twice {twice[:3]}, failed "
             f"{[(x['commit'][:8], x['state']) for x in failed[:3]]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

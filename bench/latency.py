# SPDX-License-Identifier: MIT
"""latency: commit -> result stored, hook-triggered.  A repository with
"ssci hook install", a dispatcher (its address written to
REPO/.git/ssci/dispatcher.addr, where the hook's "ssci notify HEAD" looks)
and one idle runner with its own clone.  Each try is timed from just
before "git commit" (the hook runs inside it) to the results file being
there, polled every 1 ms.  The job's stages come from the store's
created_ms, started_ms and finished_ms (wall clock, ms).

The floor, tried in turn with ssci: a commit (no hook) to a second
repository, then a shell loop that was waiting for it does in its own
clone the git work a runner does (check out, which fails for a new
commit; fetch; check out; clean) and runs the test.  What ssci adds is
its latency over the floor's.
"""
import os
import sqlite3
import subprocess
import sys
import time

from common import (SSCI, GIT_ENV, figure, note, workdir, git, make_repo,
                    dispatcher, runner, result_files, result_line, median)

TRIES = int(os.environ.get("SSCI_BENCH_TRIES", "20"))

# The floor's worker: for each commit id read, a runner's git work and
# the test, then one line out.
FLOOR_WORKER = r'''
cd "$1" || exit 1
while read -r c; do
    git checkout --quiet --force --detach "$c" 2>/dev/null || {
        git -c gc.auto=0 -c maintenance.auto=false fetch --quiet origin
        git checkout --quiet --force --detach "$c"
    }
    git clean -ffdxq
    ./.ssci/test </dev/null >/dev/null 2>&1
    echo "$?"
done
'''


class Floor:
    """A repository without the hook, a clone and a waiting worker."""

    def __init__(self, tmp):
        self.repo = make_repo(os.path.join(tmp, "floor-repo"))
        clone = os.path.join(tmp, "floor-clone")
        git(tmp, "clone", "-q", self.repo, clone)
        script = os.path.join(tmp, "floor-worker.sh")
        with open(script, "w") as f:
            f.write(FLOOR_WORKER)
        self.worker = subprocess.Popen(["bash", script, clone], text=True,
                                       stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE)

    def tryout(self, i):
        """Commit, git work and test: (total ms, the commit's own ms)."""
        with open(os.path.join(self.repo, "f"), "w") as f:
            f.write(f"floor {i} {time.monotonic_ns()}\n")
        git(self.repo, "add", "f")
        t0 = time.monotonic()
        subprocess.run(["git", "commit", "-q", "-m", f"floor {i}"],
                       cwd=self.repo, env=GIT_ENV, check=True)
        t_commit = time.monotonic()
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=self.repo,
                              text=True, stdout=subprocess.PIPE,
                              check=True).stdout.strip()
        t_parsed = time.monotonic()
        self.worker.stdin.write(head + "\n")
        self.worker.stdin.flush()
        rc = self.worker.stdout.readline().strip()
        t1 = time.monotonic()
        if rc != "0":
            raise RuntimeError(f"floor try {i}: the test gave '{rc}'")
        # The rev-parse is the benchmark's, not the floor's: left out.
        return ((t1 - t0 - (t_parsed - t_commit)) * 1000,
                (t_commit - t0) * 1000)

    def stop(self):
        self.worker.stdin.close()
        self.worker.wait()


def main():
    tmp = workdir("latency")
    repo = make_repo(os.path.join(tmp, "repo"))
    clone = os.path.join(tmp, "runner-clone")
    git(tmp, "clone", "-q", repo, clone)
    d, address, state, results = dispatcher(tmp)
    r = runner(tmp, address, "bench-latency", clone=clone)
    os.makedirs(os.path.join(repo, ".git", "ssci"), exist_ok=True)
    with open(os.path.join(repo, ".git", "ssci", "dispatcher.addr"), "w") as f:
        f.write(address + "\n")
    out = subprocess.run([SSCI, "hook", "install", repo], text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if out.returncode != 0:
        raise RuntimeError(f"hook install failed: {out.stderr}")

    # The test alone, as the runner runs it: the script in the work tree.
    alone = []
    for _ in range(TRIES):
        t0 = time.monotonic()
        subprocess.run([os.path.join(clone, ".ssci", "test")], cwd=clone,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        alone.append((time.monotonic() - t0) * 1000)
    test_ms = median(alone)

    floor = Floor(tmp)
    floor_lat, floor_commit_ms = [], []
    lat, commit_ms, durations, stages = [], [], [], []
    db = sqlite3.connect(os.path.join(state, "ssci.db"), timeout=10)
    for i in range(TRIES + 1):      # the first is a warm-up, not counted
        with open(os.path.join(repo, "f"), "w") as f:
            f.write(f"latency {i} {time.monotonic_ns()}\n")
        git(repo, "add", "f")
        seen = set(result_files(results))
        wall0 = time.time() * 1000
        t0 = time.monotonic()
        subprocess.run(["git", "commit", "-q", "-m", f"try {i}"], cwd=repo,
                       env=GIT_ENV, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        t_commit = time.monotonic()
        end = t0 + 60
        while True:
            new = set(result_files(results)) - seen
            if new:
                break
            if time.monotonic() > end:
                raise RuntimeError(f"no result for try {i}: "
                                   f"{d.stderr()[-2000:]}")
            time.sleep(0.001)
        t1 = time.monotonic()
        wall1 = time.time() * 1000
        commit = new.pop()
        fields = result_line(os.path.join(results, commit))
        if fields["state"] != "passed":
            note(f"WARNING: try {i} ended as {fields['state']}")
        if i == 0:
            floor.tryout(i)     # the floor's warm-up
            continue
        lat.append((t1 - t0) * 1000)
        commit_ms.append((t_commit - t0) * 1000)
        durations.append(int(fields["duration_ms"]))
        created, started, finished = db.execute(
            "SELECT created_ms, started_ms, finished_ms FROM jobs "
            "WHERE commit_id = ?", (commit,)).fetchone()
        stages.append((created - wall0, started - created,
                       finished - started, wall1 - finished))
        total, own = floor.tryout(i)
        floor_lat.append(total)
        floor_commit_ms.append(own)
    db.close()
    floor.stop()
    over = [x - test_ms for x in lat]
    outside = [x - dur for x, dur in zip(lat, durations)]
    note("per try (ms): " + " ".join(f"{x:.1f}" for x in lat))
    figure("latency_median_ms", median(lat), "ms", 1)
    figure("latency_max_ms", max(lat), "ms", 1)
    figure("latency_test_alone_median_ms", test_ms, "ms", 2)
    figure("latency_overhead_median_ms", median(over), "ms", 1)
    figure("latency_overhead_max_ms", max(over), "ms", 1)
    figure("latency_job_duration_median_ms", median(durations), "ms", 1)
    figure("latency_outside_job_median_ms", median(outside), "ms", 1)
    figure("latency_git_commit_with_hook_median_ms", median(commit_ms), "ms",
           1)
    names = ("commit_to_queued", "queued_to_started", "started_to_finished",
             "finished_to_file")
    for k, name in enumerate(names):
        figure(f"latency_stage_{name}_median_ms",
               median([s[k] for s in stages]), "ms", 1)
    note("floor per try (ms): " + " ".join(f"{x:.1f}" for x in floor_lat))
    figure("latency_git_commit_without_hook_median_ms",
           median(floor_commit_ms), "ms", 1)
    figure("latency_floor_median_ms", median(floor_lat), "ms", 1)
    figure("latency_floor_overhead_median_ms",
           median([x - test_ms for x in floor_lat]), "ms", 1)
    # Try by try, the two side by side: what ssci adds to the floor.
    figure("latency_over_floor_median_ms",
           median([a - b for a, b in zip(lat, floor_lat)]), "ms", 1)
    r.stop()
    d.stop()


if __name__ == "__main__":
    sys.exit(main())

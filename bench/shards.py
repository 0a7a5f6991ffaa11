# SPDX-License-Identifier: MIT
"""shards: one suite over 1, 2, 4 and 8 runners (docs/PIPELINES.md,
"Sharding", issue 18), split by measured durations, against the ideal and
against a naive split.

The suite: 40 tests that sleep, skewed: 4 of 4 s, 4 of 2 s and 32 of
0.5 s, 40 s in all; the longest is 4 s.  A small Python program in the
repository (t.py) lists them (`list`), runs the ids of $SSCI_TESTS_FILE
one after another and writes JUnit XML with each test's time, so the
store learns the durations.  One dispatcher and 8 runners (one slot each,
each its own work dir), on loopback.  An untimed first run on 8 shards
makes every runner's clone and is the run of history the split needs.

Each round, for N = 1, 2, 4, 8, a new commit whose .ssci.yml says
`shards: N`, timed from the dispatch (sent on the protocol) to its
results file (polled every 5 ms):

- "ssci": the shards run the ids ssci gave them;
- "zero": the same, with every test sleeping 0 s: what a sharded run
  costs besides its tests (the first runner's checkout, list and plan;
  each shard's checkout, its Python; the merge): the "one checkout" of
  the ideal.  It writes no report, so its times are not the tests';
- "naive" (N > 1): the same N shards, but each runs the tests whose
  place in the sorted list is its index modulo N, ignoring ssci's split,
  as an index-only split (GitLab's `parallel: N`) does.  With these
  names the slow tests sort at places 0, 4, 8, ... 28, so they pile up
  in the first shard: the naive split's worst case, which names decide;
- "naive-shuffled" (N > 1): the naive split of the same tests named in
  a shuffled order (a fixed seed): a typical case.

The ideal is max(40 s / N, 4 s) plus the zero run's time (median); the
ratio of the ssci run to it is the target (<= 1.15).  ROUNDS rounds,
median and worst.

Then the split's own cost on a big suite, on the loop of the dispatcher:
a job named unit reports the same 10,000 tests (JUnit, each with a time;
a shard only its own) in 10 runs without shards (the history a split reads: each test's median
over its last 5 runs); then ROUNDS commits whose unit says `shards: 4` and lists
the 10,000 ids (pytest's form, matched to the recorded names).  The
figures are the planning job's log line "split into 4 shards: ... (read
in X ms, split in Y ms)": the store's read of the durations, and the
whole split (read, match, split, the shards' specs).

SSCI_BENCH_SHARDS=suite or =split runs only that part.
"""
import os
import random
import re
import sys
import time

from common import (figure, note, workdir, git, dispatcher, runner,
                    result_files, wait_for, median, loadavg, dispatch,
                    Client)

ROUNDS = int(os.environ.get("SSCI_BENCH_ROUNDS", "5"))
RUNNERS = 8
COUNTS = (1, 2, 4, 8)

# The suite: (id, seconds).  Sorted, the slow ones come at 0, 4, ... 28.
SLOW_AT = {0: 4.0, 8: 4.0, 16: 4.0, 24: 4.0,
           4: 2.0, 12: 2.0, 20: 2.0, 28: 2.0}
SUITE = [(f"test_{i:02d}", SLOW_AT.get(i, 0.5)) for i in range(40)]
TOTAL = sum(s for _, s in SUITE)
LONGEST = max(s for _, s in SUITE)

# The suite's program: --list, or run the shard's ids (or the naive
# split's) with each test's time in JUnit XML.
T_PY = '''import os, sys, time
from xml.sax.saxutils import quoteattr
SUITE = %r
SHUFFLED = %r
def main():
    if sys.argv[1] == "--list":
        print("\\n".join(i for i, _ in SUITE))
        return
    mode, times = sys.argv[1], dict(SUITE)
    if mode.startswith("naive"):
        names = sorted(SHUFFLED if mode == "naive-shuffled" else times)
        k = int(os.environ["SSCI_SHARD_INDEX"]) - 1
        n = int(os.environ["SSCI_SHARD_TOTAL"])
        ids = [x for p, x in enumerate(names) if p %% n == k]
        if mode == "naive-shuffled":
            ids = [SHUFFLED[x] for x in ids]
    elif "SSCI_TESTS_FILE" in os.environ:
        with open(os.environ["SSCI_TESTS_FILE"]) as f:
            ids = f.read().split()
    else:               # one shard: the job runs whole
        ids = [i for i, _ in SUITE]
    cases = []
    for i in ids:
        t0 = time.monotonic()
        time.sleep(0 if mode == "zero" else times[i])
        cases.append('<testcase classname="t" name=%%s time="%%.3f"/>' %%
                     (quoteattr(i), time.monotonic() - t0))
    # Zero runs measure the rest: their times are no test's.
    if mode != "zero":
        with open(os.path.join(os.environ["SSCI_REPORTS"], "junit.xml"),
                  "w") as f:
            f.write("<testsuite>" + "".join(cases) + "</testsuite>")
    print(len(ids), "tests ran")
main()
'''

PLAN = """jobs:
  unit:
    run: python3 t.py {mode}
    list: python3 t.py --list
    shards: {n}
"""


def suite_program():
    """t.py, with the shuffled names of the naive-shuffled runs: a map
    from a shuffled name to the test it stands for."""
    names = [i for i, _ in SUITE]
    shuffled = names[:]
    random.Random(1).shuffle(shuffled)
    return T_PY % (SUITE, {f"n{k:02d}": test for k, test in
                           enumerate(shuffled)})


def commit(repo, mode, n, i):
    with open(os.path.join(repo, ".ssci.yml"), "w") as f:
        f.write(PLAN.format(mode=mode, n=n))
    with open(os.path.join(repo, "f"), "w") as f:
        f.write(f"{mode} {n} {i} {time.monotonic_ns()}\n")
    git(repo, "add", ".ssci.yml", "f")
    git(repo, "commit", "-q", "-m", f"{mode} {n} {i}")
    return git(repo, "rev-parse", "HEAD")


def run(address, repo, results, mode, n, i):
    """Seconds from the dispatch of a new commit to its results file."""
    c = commit(repo, mode, n, i)
    t0 = time.monotonic()
    dispatch(address, repo, [c])
    wait_for(lambda: c in result_files(results), f"{mode} {n} results",
             timeout=300)
    took = time.monotonic() - t0
    with open(os.path.join(results, c)) as f:
        last = f.read().rstrip("\n").split("\n")[-1]
    if not last.startswith("result: passed"):
        raise RuntimeError(f"{mode} {n}: {last}")
    return took


BIG = 10000
BIG_HISTORY = 10
BIG_PLAN = """jobs:
  unit:
    run: python3 report.py
{more}"""
# The big suite's "tests": a report of the shard's ids (all without one).
REPORT_PY = """import os
ids = None
if "SSCI_TESTS_FILE" in os.environ:
    with open(os.environ["SSCI_TESTS_FILE"]) as f:
        ids = set(f.read().split())
with open("report.xml") as f, \\
        open(os.path.join(os.environ["SSCI_REPORTS"], "junit.xml"), "w") as o:
    for line, test_id in zip(f, [None] + open("ids.txt").read().split()):
        if test_id is None or ids is None or test_id in ids:
            o.write(line)
    o.write("</testsuite>\\n")
"""
SPLIT_LINE = re.compile(r"split into (\d+) shards: (\d+) tests, (\d+) with "
                        r"measured times \(read in (\d+) ms, split in "
                        r"(\d+) ms\)")


def big_suite(repo):
    """10,000 tests as JUnit (pkg/mod_K.py::test_I in pytest's names) and
    their ids as a list would print them."""
    cases, ids = [], []
    for i in range(BIG):
        mod = f"mod_{i % 100:02d}"
        cases.append(f'<testcase classname="pkg.{mod}" name="test_{i:05d}" '
                     f'time="{(i % 37) / 1000:.3f}"/>')
        ids.append(f"pkg/{mod}.py::test_{i:05d}")
    # One line per test after the first, which the last one closes.
    with open(os.path.join(repo, "report.xml"), "w") as f:
        f.write("<testsuite>\n" + "\n".join(cases) + "\n")
    with open(os.path.join(repo, "ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    with open(os.path.join(repo, "report.py"), "w") as f:
        f.write(REPORT_PY)


def big_commit(repo, more, i):
    with open(os.path.join(repo, ".ssci.yml"), "w") as f:
        f.write(BIG_PLAN.format(more=more))
    with open(os.path.join(repo, "f"), "w") as f:
        f.write(f"big {i} {time.monotonic_ns()}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"big {i}")
    return git(repo, "rev-parse", "HEAD")


def split_cost(tmp):
    """The split's read and whole time for 10,000 tests; ROUNDS of each."""
    repo = os.path.join(tmp, "big")
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    big_suite(repo)
    _, address, _, results = dispatcher(tmp, "big-dispatcher")
    for k in range(4):
        runner(tmp, address, f"big{k + 1}")
    for i in range(BIG_HISTORY):
        c = big_commit(repo, "", i)
        dispatch(address, repo, [c])
        wait_for(lambda: c in result_files(results), "a history run",
                 timeout=300)
    reads, splits = [], []
    for r in range(ROUNDS):
        c = big_commit(repo, "    list: cat ids.txt\n    shards: 4\n",
                       BIG_HISTORY + r)
        (job,) = dispatch(address, repo, [c])
        wait_for(lambda: c in result_files(results), "a split run",
                 timeout=300)
        client = Client(address)
        try:
            (reply,) = client.request({"type": "tail", "id": job})
        finally:
            client.close()
        m = SPLIT_LINE.search(reply.get("data", ""))
        if m is None or int(m.group(3)) != BIG:
            raise RuntimeError(f"no split of {BIG} measured tests: "
                               f"{reply.get('data', '')[-500:]}")
        reads.append(int(m.group(4)))
        splits.append(int(m.group(5)))
    note(f"{BIG} tests, {BIG_HISTORY} runs of history; load {loadavg()}")
    figure("shards_10k_read_median", median(reads), "ms")
    figure("shards_10k_read_worst", max(reads), "ms")
    figure("shards_10k_split_median", median(splits), "ms")
    figure("shards_10k_split_worst", max(splits), "ms")


def suite_runs(tmp):
    """The 40-test suite on 1, 2, 4 and 8 runners: ssci, zero, naive."""
    repo = os.path.join(tmp, "repo")
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    with open(os.path.join(repo, "t.py"), "w") as f:
        f.write(suite_program())
    git(repo, "add", "t.py")
    git(repo, "commit", "-q", "-m", "suite")
    _, address, _, results = dispatcher(tmp)
    for k in range(RUNNERS):
        runner(tmp, address, f"r{k + 1}")
    note(f"{len(SUITE)} tests, {TOTAL:.0f} s in all, the longest "
         f"{LONGEST:.0f} s; {RUNNERS} runners; load {loadavg()}")
    first = run(address, repo, results, "ssci", 8, 0)
    note(f"first run (8 shards, no history: split by count): {first:.2f} s")
    times = {}
    for r in range(ROUNDS):
        for n in COUNTS:
            modes = ["ssci", "zero"] + (["naive", "naive-shuffled"]
                                        if n > 1 else [])
            for mode in modes:
                times.setdefault((mode, n), []).append(
                    run(address, repo, results, mode, n, r))
        note(f"round {r + 1} done, load {loadavg()}")
    for n in COUNTS:
        zero = median(times[("zero", n)])
        ideal = max(TOTAL / n, LONGEST) + zero
        ours = times[("ssci", n)]
        figure(f"shards_{n}_overhead_median", zero, "s")
        figure(f"shards_{n}_ideal", ideal, "s")
        figure(f"shards_{n}_ssci_median", median(ours), "s")
        figure(f"shards_{n}_ssci_worst", max(ours), "s")
        figure(f"shards_{n}_ssci_ratio_median", median(ours) / ideal, "x")
        figure(f"shards_{n}_ssci_ratio_worst", max(ours) / ideal, "x")
        for mode in ("naive", "naive-shuffled"):
            if (mode, n) not in times:
                continue
            ts = times[(mode, n)]
            figure(f"shards_{n}_{mode.replace('-', '_')}_median", median(ts),
                   "s")
            figure(f"shards_{n}_{mode.replace('-', '_')}_worst", max(ts), "s")


def main():
    """SSCI_BENCH_SHARDS=suite or split runs one part only."""
    tmp = workdir("shards")
    part = os.environ.get("SSCI_BENCH_SHARDS", "")
    if part in ("", "suite"):
        suite_runs(tmp)
    if part in ("", "split"):
        split_cost(tmp)
    note(f"load at the end {loadavg()}")


if __name__ == "__main__":
    sys.exit(main())

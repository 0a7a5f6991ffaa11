# SPDX-License-Identifier: MIT
"""queueing: coalescing with bisection, and fair share (issue 17,
docs/QUEUE.md).

1. Culprit finding.  A repository whose .ssci/test sleeps 1 s, then fails
   if the file `broken` is there.  Each round adds a commit that removes
   it (the base: dispatched alone, waited for, passed), then 200 commits
   of which the 137th adds it back; the 200 are dispatched at once (one
   protocol connection, all sent together), 2 runners of one slot each
   (each has already cloned the repository: two warm-up commits on
   another branch).
   (a) A dispatcher with --coalesce main: the newest push supersedes the
       queued ones, fails, and the dispatcher bisects the skipped range.
       Timed from just before the dispatch until the status reply (polled
       every 20 ms) shows the branch head's bisection "found"; the
       culprit it names is checked against the 137th commit.  Jobs run:
       the round's jobs that were not skipped (pushes tested, among them
       those the idle runners took before the rest of the 200 came in,
       and the bisection's runs).  Also the bisection's count of runs,
       and its step: from the end of one of its runs (the first: the
       failed push's) to the start of the next.  ROUNDS rounds.
   (b) A dispatcher without it: every commit tested.  Timed until the
       status shows nothing queued or running (polled every 50 ms); the
       culprit is the first failing commit in order.  This side takes
       about 100 s a round, so it runs EVERY_ROUNDS rounds (1 unless
       SSCI_BENCH_EVERY_ROUNDS says more, never more than ROUNDS).
   Speedup: (b)'s median wall time over (a)'s.  Targets: <= 10 jobs and
   >= 10x less wall time.
2. Fair-share wait.  Repository A with a backlog of 500 commits, all
   dispatched at once, whose test sleeps 0.2 s; one runner of one slot.
   While the backlog runs, ROUNDS times (0.3 to 1 s apart, so that B
   comes at any point of A's running job): a lone commit of repository B
   is dispatched, and its wait is its job's started_ms - created_ms (the
   dispatcher's clock), in seconds and in median A jobs (an A job's
   finished_ms - started_ms).  Against FIFO: the A jobs queued at B's
   dispatch, times an A job's cycle (median time between two A starts),
   is what B would have waited behind them.  Target: <= 1 A job.

Environment: SSCI_BENCH_ROUNDS (5), SSCI_BENCH_EVERY_ROUNDS (1).

(Not named queue.py: bench/'s scripts run with bench/ first on sys.path,
where a queue.py would hide the standard library's queue module.)
"""
import os
import random
import subprocess
import time

from common import (GIT_ENV, figure, note, workdir, git, make_repo,
                    dispatcher, runner, Client, wait_for, median, loadavg)

ROUNDS = int(os.environ.get("SSCI_BENCH_ROUNDS", "5"))
EVERY_ROUNDS = min(ROUNDS, int(os.environ.get("SSCI_BENCH_EVERY_ROUNDS",
                                              "1")))
COMMITS = 200
BREAKS = 137            # the 137th of the 200 adds `broken`
CULPRIT_RUNNERS = 2
BACKLOG = 500
FAIR_RUNNERS = 1

CULPRIT_TEST = "#!/bin/sh\nsleep 1\ntest ! -e broken\n"
FAIR_TEST = "#!/bin/sh\nsleep 0.2\n"
FINAL = {"passed", "failed", "error", "cancelled", "skipped", "timeout"}

_clock = [int(time.time())]


def add_commits(repo, n, tag, breaks=None, fix=False):
    """n commits on main made at once by git fast-import, each changing f;
    the first removes `broken` when fix, the breaks-th (from 1) adds it.
    Their ids and subjects, oldest first."""
    tip = git(repo, "rev-parse", "refs/heads/main")
    has_broken = git(repo, "ls-tree", "--name-only", tip, "broken") != ""
    out = []
    for i in range(1, n + 1):
        _clock[0] += 1
        subject = f"{tag} change {i}"
        msg = subject.encode() + b"\n"
        body = f"{tag} {i}\n".encode()
        out.append(b"commit refs/heads/main\n")
        for who in (b"author", b"committer"):
            out.append(b"%s Bench <b@x> %d +0000\n" % (who, _clock[0]))
        out.append(b"data %d\n%s" % (len(msg), msg))
        if i == 1:
            out.append(b"from %s\n" % tip.encode())
        out.append(b"M 100644 inline f\ndata %d\n%s\n" % (len(body), body))
        if fix and i == 1 and has_broken:
            out.append(b"D broken\n")
        if breaks == i:
            out.append(b"M 100644 inline broken\ndata 2\nx\n\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, env=GIT_ENV,
                   input=b"".join(out), check=True)
    ids = git(repo, "rev-list", "--reverse", f"{tip}..refs/heads/main")
    ids = ids.split()
    assert len(ids) == n
    return [(c, f"{tag} change {i + 1}") for i, c in enumerate(ids)]


def send(client, repo, commits, branch="main"):
    """Dispatch (commit, subject) pairs, all sent at once; job ids."""
    replies = client.request(*({"type": "dispatch", "repo": repo,
                                "commit": c, "branch": branch,
                                "subject": s} for c, s in commits))
    bad = [r for r in replies if r.get("type") != "ok"]
    if bad:
        raise RuntimeError(f"dispatch refused: {bad[0]}")
    return [r["job"] for r in replies]


def repo_jobs(client, repo, after=0):
    """Every job of repo with an id above after, oldest first."""
    out, before = [], None
    while True:
        q = {"type": "jobs", "repo": repo, "limit": 1000}
        if before is not None:
            q["before"] = before
        (reply,) = client.request(q)
        if reply.get("type") != "ok":
            raise RuntimeError(f"jobs query refused: {reply}")
        page = [j for j in reply["jobs"] if j["id"] > after]
        out += page
        if len(page) < len(reply["jobs"]) or len(reply["jobs"]) < 1000:
            break
        before = reply["jobs"][-1]["id"]
    return sorted(out, key=lambda j: j["id"])


def wait_jobs(client, repo, ids, timeout=120):
    """Wait until the jobs ids of repo are over; those jobs."""
    want = set(ids)

    def over():
        js = [j for j in repo_jobs(client, repo, min(want) - 1)
              if j["id"] in want]
        return js if len(js) == len(want) and \
            all(j["state"] in FINAL for j in js) else None
    return wait_for(over, f"jobs {sorted(want)}", timeout, step=0.02)


def status(client):
    (reply,) = client.request({"type": "status"})
    if reply.get("type") != "ok":
        raise RuntimeError(f"status refused: {reply}")
    return reply


def head_bisection(reply, repo):
    for h in reply.get("heads", []):
        if h.get("branch") == "main" and \
                os.path.realpath(h.get("repo", "")) == repo:
            return h.get("bisection")
    return None


# --- 1. culprit finding -------------------------------------------------

def culprit_side(tmp, coalesced, rounds):
    kind = "coalesced" if coalesced else "every"
    sub = os.path.join(tmp, kind)
    os.makedirs(sub)
    repo = os.path.realpath(make_repo(os.path.join(sub, "repo"),
                                      CULPRIT_TEST))
    d, address, _, _ = dispatcher(sub, args=("--coalesce", "main")
                                  if coalesced else ())
    runners = [runner(sub, address, f"r{i}")
               for i in range(CULPRIT_RUNNERS)]
    c = Client(address, timeout=120)
    # Warm-up on a branch that does not coalesce, until each runner has
    # its clone.
    seen = set()
    for w in range(5):
        ids = send(c, repo, add_commits(repo, CULPRIT_RUNNERS, f"warm{w}"),
                   branch="warm")
        seen |= {j["runner"] for j in wait_jobs(c, repo, ids)}
        if len(seen) == CULPRIT_RUNNERS:
            break
    note(f"{kind}: warm-up {w + 1} round(s), {len(seen)} of "
         f"{CULPRIT_RUNNERS} runners have cloned the repository")
    out, bisections = [], set()
    for r in range(rounds):
        base = add_commits(repo, 1, f"r{r} base", fix=True)
        (base_id,) = send(c, repo, base)
        (bj,) = wait_jobs(c, repo, [base_id])
        if bj["state"] != "passed":
            raise RuntimeError(f"base commit ended {bj['state']}")
        commits = add_commits(repo, COMMITS, f"r{r}", breaks=BREAKS)
        load = loadavg()
        t0 = time.monotonic()
        ids = send(c, repo, commits)
        if coalesced:
            def found():
                b = head_bisection(status(c), repo)
                if b is None or b["id"] in bisections or \
                        b["state"] == "running":
                    return None
                return b
            b = wait_for(found, "the bisection", 300, step=0.02)
        else:
            wait_for(lambda: (lambda s: s["queued"] == 0 and
                              not s["running"])(status(c)),
                     "every job", 600, step=0.05)
        wall = time.monotonic() - t0
        js = repo_jobs(c, repo, base_id)
        ran = [j for j in js if j["state"] != "skipped"]
        row = {"wall": wall, "jobs": len(ran), "load": load,
               "skipped": len(js) - len(ran),
               "bisection_runs": sum(1 for j in ran if j.get("bisection")),
               "want": commits[BREAKS - 1][0]}
        if coalesced:
            # The bisection's steps: from the end of one run (the failed
            # push's first) to the start of the next, on the dispatcher's
            # clock.
            steps = [j for j in ran if j.get("bisection")]
            bad = max((j for j in ran if not j.get("bisection")),
                      key=lambda j: j["id"])
            chain = [bad] + steps
            row["gaps"] = [y["started_ms"] - x["finished_ms"]
                           for x, y in zip(chain, chain[1:])
                           if y["started_ms"] and x["finished_ms"]]
            bisections.add(b["id"])
            cul = (b.get("culprit") or {}).get("commit")
            row["found"] = cul
            row["state"] = b["state"]
            row["runs"] = b["runs"]
            row["note"] = b.get("note")
        else:
            state = {}
            for j in ran:
                state.setdefault(j["commit"], j["state"])
            order = [state.get(cm) for cm, _ in commits]
            first = next((i for i, s in enumerate(order) if s == "failed"),
                         None)
            row["found"] = commits[first][0] if first is not None else None
            row["first_failing"] = None if first is None else first + 1
            row["consistent"] = all(
                s == ("failed" if i >= BREAKS - 1 else "passed")
                for i, s in enumerate(order))
        row["right"] = row["found"] == row["want"]
        out.append(row)
        wrong = "" if row["right"] else f" WRONG, want {row['want'][:12]}"
        if coalesced:
            note(f"coalesced round {r + 1}: bisection {row['state']} in "
                 f"{wall:.2f} s, {row['jobs']} jobs run "
                 f"({row['jobs'] - row['bisection_runs']} pushes tested, "
                 f"{row['bisection_runs']} bisection runs; "
                 f"the bisection counts {row['runs']} runs; from a run's "
                 f"end to the next's start median "
                 f"{median(row['gaps']) if row['gaps'] else 0:.0f} ms), "
                 f"{row['skipped']} skipped; culprit "
                 f"{(row['found'] or 'none')[:12]}"
                 f"{wrong}"
                 f"{'' if not row['note'] else ' (' + row['note'] + ')'}; "
                 f"load {load}")
        else:
            note(f"every-commit round {r + 1}: {wall:.2f} s, {row['jobs']} "
                 f"jobs run, {row['skipped']} skipped; first failing commit "
                 f"by order: number {row['first_failing']} "
                 f"({(row['found'] or 'none')[:12]})"
                 f"{'' if row['right'] else ' WRONG'}"
                 f"{'' if row['consistent'] else ', results not as expected'}"
                 f"; load {load}")
        if not row["right"]:
            note(f"WRONG: {kind} round {r + 1} named "
                 f"{row['found']} instead of {row['want']}")
    c.close()
    for p in runners:
        p.stop()
    d.stop()
    return out


def culprit(tmp):
    co = culprit_side(tmp, True, ROUNDS)
    if EVERY_ROUNDS < ROUNDS:
        note(f"every-commit side: {EVERY_ROUNDS} round(s) of about 100 s "
             f"(SSCI_BENCH_EVERY_ROUNDS), against {ROUNDS} coalesced")
    ev = culprit_side(tmp, False, EVERY_ROUNDS)
    wrong_co = sum(not r["right"] for r in co)
    wrong_ev = sum(not r["right"] for r in ev)
    tag = "" if not wrong_co else \
        f" (WRONG culprit in {wrong_co} of {len(co)} rounds)"
    jobs_co = [r["jobs"] for r in co]
    wall_co = [r["wall"] for r in co]
    wall_ev = [r["wall"] for r in ev]
    figure("culprit_jobs_coalesced", median(jobs_co), "jobs" + tag)
    figure("culprit_jobs_coalesced_worst", max(jobs_co), "jobs" + tag)
    figure("culprit_wall_coalesced", median(wall_co), "s" + tag, 2)
    figure("culprit_wall_coalesced_worst", max(wall_co), "s" + tag, 2)
    figure("culprit_bisection_runs", median([r["runs"] for r in co]),
           "runs (the failed push and the bisection's own)" + tag)
    gaps = [g for r in co for g in r["gaps"]]
    if gaps:
        figure("culprit_step_gap_ms", median(gaps), "ms", 0)
    figure("culprit_right_coalesced", f"{len(co) - wrong_co}/{len(co)}",
           "rounds")
    figure("culprit_jobs_every_commit", median([r["jobs"] for r in ev]),
           "jobs" + ("" if not wrong_ev else " (WRONG culprit)"))
    figure("culprit_wall_every_commit", median(wall_ev), "s", 2)
    if len(ev) > 1:
        figure("culprit_wall_every_commit_worst", max(wall_ev), "s", 2)
    figure("culprit_speedup", median(wall_ev) / median(wall_co), "x" + tag,
           1)
    figure("culprit_speedup_worst", min(wall_ev) / max(wall_co),
           "x" + tag, 1)
    note("targets: <= 10 jobs, >= 10x less wall time")


# --- 2. fair-share wait -------------------------------------------------

def fair(tmp):
    sub = os.path.join(tmp, "fair")
    os.makedirs(sub)
    repo_a = os.path.realpath(make_repo(os.path.join(sub, "a"), FAIR_TEST))
    repo_b = os.path.realpath(make_repo(os.path.join(sub, "b"), FAIR_TEST))
    backlog = add_commits(repo_a, BACKLOG, "a")
    lone = add_commits(repo_b, ROUNDS, "b")
    d, address, _, _ = dispatcher(sub, "fair")
    runners = [runner(sub, address, f"f{i}") for i in range(FAIR_RUNNERS)]
    c = Client(address, timeout=120)
    a_ids = send(c, repo_a, backlog)
    # A's first jobs (the runner's clone of A among them) out of the way.
    wait_for(lambda: sum(j["state"] == "passed"
                         for j in repo_jobs(c, repo_a)) >= 5,
             "A's first jobs", 60, step=0.05)
    rng = random.Random(17)
    b_ids = []
    for r in range(ROUNDS):
        time.sleep(rng.uniform(0.3, 1.0))
        (bid,) = send(c, repo_b, [lone[r]])
        b_ids.append(bid)
        wait_jobs(c, repo_b, [bid], timeout=60)
    a_jobs = repo_jobs(c, repo_a)
    b_jobs = [j for j in repo_jobs(c, repo_b) if j["id"] in set(b_ids)]
    c.close()
    for p in runners:
        p.stop()
    d.stop()

    done = [j for j in a_jobs if j["finished_ms"] and j["started_ms"]]
    a_ms = median([j["finished_ms"] - j["started_ms"] for j in done])
    starts = sorted(j["started_ms"] for j in a_jobs if j["started_ms"])
    cycle_ms = median([y - x for x, y in zip(starts, starts[1:])])
    note(f"A: {len(a_ids)} jobs queued at once, {len(done)} over when "
         f"the rounds ended; an A job takes {a_ms:.0f} ms (median "
         f"finished - started, the runner's job_ms median "
         f"{median([j['duration_ms'] for j in done]):.0f} ms), one "
         f"starts every {cycle_ms:.0f} ms (median); {FAIR_RUNNERS} runner "
         f"of one slot")
    waits, fifo = [], []
    for r, b in enumerate(b_jobs):
        t = b["created_ms"]
        ahead = sum(1 for j in a_jobs if j["created_ms"] <= t and
                    (j["started_ms"] is None or j["started_ms"] > t))
        passed = sum(1 for j in a_jobs if j["started_ms"] is not None and
                     t < j["started_ms"] < b["started_ms"])
        wait = (b["started_ms"] - t) / 1000
        waits.append(wait)
        fifo.append(ahead * cycle_ms / 1000)
        note(f"round {r + 1}: B waited {wait * 1000:.0f} ms "
             f"({wait * 1000 / a_ms:.2f} A jobs), {passed} A jobs started "
             f"before it; {ahead} A jobs were queued ahead, FIFO would "
             f"have been about {ahead * cycle_ms / 1000:.1f} s; B ended "
             f"{b['state']}")
    figure("fair_wait_median", median(waits), "s")
    figure("fair_wait_worst", max(waits), "s")
    figure("fair_wait_jobs_median", median(waits) * 1000 / a_ms, "A jobs", 2)
    figure("fair_wait_jobs_worst", max(waits) * 1000 / a_ms, "A jobs", 2)
    figure("fair_a_job_ms", a_ms, "ms", 0)
    note(f"FIFO (computed: A jobs queued ahead x {cycle_ms:.0f} ms): "
         f"median {median(fifo):.1f} s, worst {max(fifo):.1f} s; target: "
         f"B waits <= 1 A job")


def main():
    tmp = workdir("queueing")
    note(f"load average at start: {loadavg()}")
    culprit(tmp)
    fair(tmp)
    note(f"load average at end: {loadavg()}")


if __name__ == "__main__":
    main()

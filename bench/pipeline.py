# SPDX-License-Identifier: MIT
"""pipeline: what a pipeline (docs/PIPELINES.md, issue 13) costs over plain
jobs.

1. Pipeline against single jobs, on one dispatcher and 4 runners (one
   slot each, each its own work dir, clones made by a warm-up round): a
   commit whose .ssci.yml has 8 independent trivial jobs (j1..j8, `run:
   "exit 0"`), against 8 commits of a repository without .ssci.yml whose
   .ssci/test is `exit 0`, dispatched at once.  Each is timed from just
   before the dispatch (sent on the protocol, as overhead's raw dispatch:
   no git work of notify's) to its results: the pipeline's one
   results/<commit> file, written when the pipeline is over, or the 8th
   file of the single commits (polled every 2 ms).  ROUNDS rounds, A then
   B, with new commits each round.  Also per round: when the pipeline's
   other jobs were queued (the first runner's fetch, checkout and plan,
   during which the other runners wait), and CPU of the dispatcher, the
   runners and their children (git, the tests) from /proc/PID/stat.
2. Planning overhead, one runner, commits one after another: jobs of a
   commit whose .ssci.yml has one trivial job, against jobs of a commit
   without one, whose .ssci/test is `exit 0` ("plain") or does what a
   planned job's shell does (the same `printf` and `/bin/sh -c 'exit
   0'`: "same command"); each kind in its own repository, all commits
   made and fetched before (a warm-up job of each), so no job fetches.
   The difference of job `duration_ms` (the runner's clock, from the
   job's start to its result) of the n-th commit of each kind: against
   "same command" it is the planning alone (read .ssci.yml, `plan` sent,
   the dispatcher's parse and store transaction, the job sent back),
   against "plain" also the planned job's wrapper shell.
3. The plan's round trip alone: a runner played by this script on the
   protocol sends a one-job plan and times the dispatcher's answer (the
   job sent back with what to run), and, for comparison, the round trip
   of the job's result (stored, results file written, `ok`).
"""
import json
import os
import socket
import sys
import time

from common import (figure, note, workdir, git, make_repo, one_line_commit,
                    dispatcher, runner, result_files, result_line, wait_for,
                    median, loadavg, dispatch, jobs, cpu_s)

ROUNDS = int(os.environ.get("SSCI_BENCH_ROUNDS", "5"))
RUNNERS = 4
PIPELINE_JOBS = 8
PLAN_COMMITS = 20

ONE_JOB_PLAN = 'jobs:\n  j1:\n    run: "exit 0"\n'
# What a runner sends for it: the plan it made of the file (plan_encode).
ONE_JOB_JSON = {"jobs": [{"name": "j1", "run": ["exit 0"], "env": [],
                          "timeout": 0, "labels": [], "needs": [],
                          "allow_failure": False}]}
# What a planned job's shell does with `run: "exit 0"` (RUNPLAN_SCRIPT in
# src/runplan.c): say the command, then run it in a shell of its own.
SAME_COMMAND_TEST = ("#!/bin/sh\nprintf '$ %s\\n' 'exit 0'\n"
                     "/bin/sh -c 'exit 0' || exit $?\n")


def plan_text(n):
    return "jobs:\n" + "".join(f'  j{i}:\n    run: "exit 0"\n'
                               for i in range(1, n + 1))


def make_plan_repo(path, text):
    repo = make_repo(path)
    with open(os.path.join(repo, ".ssci.yml"), "w") as f:
        f.write(text)
    git(repo, "add", ".ssci.yml")
    git(repo, "commit", "-q", "-m", "pipeline")
    return repo


def wait_results(results, commits, timeout=120):
    want = set(commits)
    wait_for(lambda: want <= set(result_files(results)),
             f"{len(want)} results", timeout=timeout, step=0.002)
    return time.monotonic()


def timed_dispatch(address, results, repo, commits):
    """Seconds from just before the dispatch to the last result file."""
    t0 = time.monotonic()
    dispatch(address, repo, commits)
    return wait_results(results, commits) - t0, time.time() * 1000


def by_commit(address, commits):
    """The jobs of commits, by commit (a list each, oldest first)."""
    want = set(commits)
    out = {c: [] for c in commits}
    for j in reversed(jobs(address)):
        if j["commit"] in want:
            out[j["commit"]].append(j)
    return out


def worst(xs):
    return max(xs)


# --- 1. a pipeline of 8 jobs against 8 single-job commits ---------------

def pipeline_vs_single(tmp):
    pipe_repo = make_plan_repo(os.path.join(tmp, "pipe-repo"),
                               plan_text(PIPELINE_JOBS))
    plain_repo = make_repo(os.path.join(tmp, "plain-repo"))
    d, address, state, results = dispatcher(tmp)
    runners = [runner(tmp, address, f"r{i}") for i in range(RUNNERS)]

    # Warm-up, untimed, until every runner has its clone of both
    # repositories (a runner clones a repository at its first job of it).
    seen = set()
    for w in range(5):
        pc = one_line_commit(pipe_repo, f"warm-{w}")
        sc = [one_line_commit(plain_repo, f"warm-{w}-{i}")
              for i in range(PIPELINE_JOBS)]
        timed_dispatch(address, results, pipe_repo, [pc])
        timed_dispatch(address, results, plain_repo, sc)
        for c, js in by_commit(address, [pc, *sc]).items():
            seen |= {(j["repo"], j["runner"]) for j in js}
        ready = all((r, f"r{i}") in seen for r in (pipe_repo, plain_repo)
                    for i in range(RUNNERS))
        if ready:
            break
    note(f"warm-up: {w + 1} round(s); each of the {RUNNERS} runners "
         f"{'had' if ready else 'had NOT'} run jobs of both repositories")

    def cpu():
        """CPU seconds so far: dispatcher, runners, runners' children."""
        rs = [cpu_s(p.pid) for p in runners]
        return (cpu_s(d.pid)[0], sum(x[0] for x in rs),
                sum(x[1] for x in rs))

    def minus(a, b):
        return tuple(x - y for x, y in zip(a, b))

    pipes, singles, ratios = [], [], []
    cpu_a, cpu_b = (0, 0, 0), (0, 0, 0)
    for r in range(ROUNDS):
        # A: one commit, a pipeline of PIPELINE_JOBS jobs.
        pc = one_line_commit(pipe_repo, f"round-{r}")
        wall0 = time.time() * 1000
        c0 = cpu()
        dt_a, _ = timed_dispatch(address, results, pipe_repo, [pc])
        c1 = cpu()
        line = result_line(os.path.join(results, pc))
        (pjobs,) = by_commit(address, [pc]).values()
        # B: PIPELINE_JOBS commits, one job each.
        sc = [one_line_commit(plain_repo, f"round-{r}-{i}")
              for i in range(PIPELINE_JOBS)]
        wall1 = time.time() * 1000
        c2 = cpu()
        dt_b, _ = timed_dispatch(address, results, plain_repo, sc)
        c3 = cpu()
        cpu_a = tuple(x + y for x, y in zip(cpu_a, minus(c1, c0)))
        cpu_b = tuple(x + y for x, y in zip(cpu_b, minus(c3, c2)))
        sjobs = [j for js in by_commit(address, sc).values() for j in js]

        if line["state"] != "passed" or len(pjobs) != PIPELINE_JOBS or \
                any(j["state"] != "passed" for j in pjobs + sjobs) or \
                len(sjobs) != PIPELINE_JOBS:
            note(f"WARNING: round {r + 1}: pipeline {line['state']} with "
                 f"{len(pjobs)} jobs ({sorted(j['state'] for j in pjobs)}),"
                 f" single jobs {sorted(j['state'] for j in sjobs)}")
        first = min(pjobs, key=lambda j: j["id"])
        planned = [j for j in pjobs if j is not first]
        pipe = {"wall": dt_a,
                # dispatch -> the other jobs queued: the first runner's
                # fetch, checkout and plan, one after another.
                "planned_ms": min(j["created_ms"] for j in planned) - wall0,
                "first_ms": first["duration_ms"],
                "others_ms": median([j["duration_ms"] for j in planned]),
                "last_end_ms": max(j["finished_ms"] for j in pjobs) - wall0,
                "runners": len({j["runner"] for j in pjobs})}
        single = {"wall": dt_b,
                  "first_start_ms": min(j["started_ms"] for j in sjobs)
                  - wall1,
                  "job_ms": median([j["duration_ms"] for j in sjobs]),
                  "last_end_ms": max(j["finished_ms"] for j in sjobs)
                  - wall1,
                  "runners": len({j["runner"] for j in sjobs})}
        pipes.append(pipe)
        singles.append(single)
        ratios.append(dt_a / dt_b)
        note(f"round {r + 1}: pipeline {dt_a * 1000:.1f} ms (jobs planned "
             f"{pipe['planned_ms']:.0f} ms after the dispatch; first job "
             f"{pipe['first_ms']} ms, the others median "
             f"{pipe['others_ms']} ms; last job over at "
             f"{pipe['last_end_ms']:.0f} ms; {pipe['runners']} runners); "
             f"single {dt_b * 1000:.1f} ms (first started at "
             f"{single['first_start_ms']:.0f} ms; jobs median "
             f"{single['job_ms']} ms; last over at "
             f"{single['last_end_ms']:.0f} ms; {single['runners']} "
             f"runners); ratio {dt_a / dt_b:.3f}")
    for p in runners:
        p.stop()
    d.stop()

    walls_a = [x["wall"] * 1000 for x in pipes]
    walls_b = [x["wall"] * 1000 for x in singles]
    note("pipeline/single per round: " +
         " ".join(f"{x:.3f}" for x in ratios))
    figure("pipeline_8_jobs_ms", median(walls_a), "ms", 1)
    figure("pipeline_8_jobs_worst_ms", worst(walls_a), "ms", 1)
    figure("pipeline_8_single_commits_ms", median(walls_b), "ms", 1)
    figure("pipeline_8_single_commits_worst_ms", worst(walls_b), "ms", 1)
    figure("pipeline_ratio", median(ratios), "pipeline/single", 3)
    figure("pipeline_ratio_worst", worst(ratios), "pipeline/single", 3)
    figure("pipeline_planned_after_ms",
           median([x["planned_ms"] for x in pipes]), "ms", 1)
    figure("pipeline_first_job_median_ms",
           median([x["first_ms"] for x in pipes]), "ms", 1)
    figure("pipeline_other_jobs_median_ms",
           median([x["others_ms"] for x in pipes]), "ms", 1)
    figure("pipeline_single_job_median_ms",
           median([x["job_ms"] for x in singles]), "ms", 1)
    # CPU from /proc/PID/stat (10 ms ticks), the mean over the rounds.
    for what, i in (("dispatcher", 0), ("runners", 1),
                    ("runners_children", 2)):
        figure(f"pipeline_{what}_cpu_ms", cpu_a[i] / ROUNDS * 1000,
               "ms per pipeline", 0)
        figure(f"pipeline_single_{what}_cpu_ms", cpu_b[i] / ROUNDS * 1000,
               f"ms per {PIPELINE_JOBS} single commits", 0)


# --- 2. planning overhead, measured on a real runner --------------------

def planning_overhead(tmp):
    sub = os.path.join(tmp, "plan")
    os.makedirs(sub)
    repos = {
        "planned": make_plan_repo(os.path.join(sub, "planned-repo"),
                                  ONE_JOB_PLAN),
        "plain": make_repo(os.path.join(sub, "plain-repo")),
        "same": make_repo(os.path.join(sub, "same-repo"),
                          SAME_COMMAND_TEST),
    }
    kinds = list(repos)
    commits = {k: [one_line_commit(repos[k], i)
                   for i in range(PLAN_COMMITS + 1)] for k in kinds}
    d, address, state, results = dispatcher(sub)
    rn = runner(sub, address, "r0")
    # The first job of each repository clones it (with every commit):
    # untimed, so that no timed job fetches.
    for k in kinds:
        timed_dispatch(address, results, repos[k], commits[k][:1])
    walls = {k: [] for k in kinds}
    for i in range(1, PLAN_COMMITS + 1):
        # Each kind in turn, the order rotated, one job at a time.
        for k in kinds[i % 3:] + kinds[:i % 3]:
            dt, _ = timed_dispatch(address, results, repos[k],
                                   [commits[k][i]])
            walls[k].append(dt * 1000)
    rows = {}
    for k in kinds:
        got = by_commit(address, commits[k][1:])
        rows[k] = [got[c][0] for c in commits[k][1:]]
        bad = [j for j in rows[k] if j["state"] != "passed"]
        if bad:
            note(f"WARNING: {len(bad)} {k} jobs not passed: {bad[0]}")
        if k == "planned" and any(j.get("name") != "j1" for j in rows[k]):
            note("WARNING: a planned job is not named j1")
    rn.stop()
    d.stop()

    dur = {k: [j["duration_ms"] for j in rows[k]] for k in kinds}
    span = {k: [j["finished_ms"] - j["started_ms"] for j in rows[k]]
            for k in kinds}
    for k in kinds:
        note(f"{k}: job duration_ms median {median(dur[k])} (min "
             f"{min(dur[k])}, max {max(dur[k])}); started->finished "
             f"median {median(span[k])} ms; dispatch->result median "
             f"{median(walls[k]):.1f} ms")
    note("planning overhead = planned job minus unplanned job of the same "
         "n-th commit, runner's duration_ms; 'vs_same' compares with a "
         ".ssci/test running the same shells as a planned job (the cost of "
         "planning alone), 'vs_plain' with `exit 0` (planning plus the "
         "planned job's wrapper shell)")
    for base in ("plain", "same"):
        diffs = [a - b for a, b in zip(dur["planned"], dur[base])]
        sdiffs = [a - b for a, b in zip(span["planned"], span[base])]
        wdiffs = [a - b for a, b in zip(walls["planned"], walls[base])]
        note(f"planned - {base}, per commit: duration_ms "
             + " ".join(map(str, diffs)))
        figure(f"pipeline_plan_overhead_vs_{base}_ms", median(diffs),
               "ms (median of per-commit duration_ms differences)", 1)
        figure(f"pipeline_plan_overhead_vs_{base}_worst_ms", worst(diffs),
               "ms", 1)
        figure(f"pipeline_plan_overhead_vs_{base}_medians_ms",
               median(dur["planned"]) - median(dur[base]),
               "ms (difference of the medians)", 1)
        figure(f"pipeline_plan_overhead_vs_{base}_started_finished_ms",
               median(sdiffs), "ms", 1)
        figure(f"pipeline_plan_overhead_vs_{base}_dispatch_result_ms",
               median(wdiffs), "ms", 1)


# --- 3. the plan's round trip on the protocol ---------------------------

class FakeRunner:
    """A runner played on the protocol: one slot, answers pings."""

    def __init__(self, address, name):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        # Small requests one after another: no Nagle delay behind an ACK.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.send({"type": "hello", "role": "runner", "version": 1},
                  {"type": "register", "name": name, "slots": 1})
        for _ in range(2):
            m = self.read()
            if m["type"] != "ok":
                raise RuntimeError(f"fake runner refused: {m}")

    def send(self, *msgs):
        self.sock.sendall(b"".join(json.dumps(m).encode() + b"\n"
                                   for m in msgs))

    def read(self):
        """The next message that is not a ping (pings are answered)."""
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise RuntimeError("dispatcher closed the connection")
                self.buf += chunk
            line, _, self.buf = self.buf.partition(b"\n")
            m = json.loads(line)
            if m.get("type") == "ping":
                self.send({"type": "pong"})
                continue
            return m

    def close(self):
        self.sock.close()


def plan_round_trip(tmp):
    sub = os.path.join(tmp, "rtt")
    os.makedirs(sub)
    repo = make_plan_repo(os.path.join(sub, "repo"), ONE_JOB_PLAN)
    commits = [one_line_commit(repo, i) for i in range(PLAN_COMMITS + 1)]
    d, address, state, results = dispatcher(sub)
    fake = FakeRunner(address, "fake")
    plan_ms, ok_ms, result_ms = [], [], []
    for i, c in enumerate(commits):
        dispatch(address, repo, [c])
        job = fake.read()
        if job["type"] != "job" or not job.get("plan") or job.get("run"):
            raise RuntimeError(f"expected a job to plan: {job}")
        fake.send({"type": "accepted", "id": job["id"]})
        t0 = time.perf_counter()
        fake.send({"type": "plan", "id": job["id"], "plan": ONE_JOB_JSON})
        back = fake.read()
        t1 = time.perf_counter()
        if back["type"] != "job" or back.get("run") != ["exit 0"]:
            raise RuntimeError(f"plan answered {back}")
        ok = fake.read()
        t2 = time.perf_counter()
        if ok["type"] != "ok":
            raise RuntimeError(f"plan answered {back} then {ok}")
        fake.send({"type": "log", "id": job["id"], "data": "$ exit 0\n"})
        t3 = time.perf_counter()
        fake.send({"type": "result", "id": job["id"], "status": "passed",
                   "exit_code": 0, "duration_ms": 1})
        ok2 = fake.read()
        t4 = time.perf_counter()
        if ok2["type"] != "ok":
            raise RuntimeError(f"result answered {ok2}")
        if i == 0:
            continue            # the first of each is a warm-up
        plan_ms.append((t1 - t0) * 1000)
        ok_ms.append((t2 - t0) * 1000)
        result_ms.append((t4 - t3) * 1000)
    wait_results(results, commits)
    fake.close()
    d.stop()
    note("plan round trip on the protocol (a fake runner): from sending "
         "`plan` to the job coming back with what to run; a result's "
         "round trip (`result` -> `ok`) for comparison")
    note("plan -> job back, ms: " + " ".join(f"{x:.2f}" for x in plan_ms))
    figure("pipeline_plan_rtt_ms", median(plan_ms), "ms", 2)
    figure("pipeline_plan_rtt_worst_ms", worst(plan_ms), "ms", 2)
    figure("pipeline_plan_rtt_ok_ms", median(ok_ms), "ms", 2)
    figure("pipeline_result_rtt_ms", median(result_ms), "ms", 2)
    figure("pipeline_result_rtt_worst_ms", worst(result_ms), "ms", 2)


def main():
    note(f"load {loadavg()} (start)")
    tmp = workdir("pipeline")
    pipeline_vs_single(tmp)
    note(f"load {loadavg()}")
    planning_overhead(tmp)
    note(f"load {loadavg()}")
    plan_round_trip(tmp)
    note(f"load {loadavg()} (end)")


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: MIT
"""overhead: 200 one-line commits made at once, tested by a dispatcher and
two runners of one slot each, against the floor: a plain shell loop doing
the same git work and the same trivial test with the same parallelism.
SSCI_BENCH_WORKLOAD picks another repository and test (workloads.py):
overhead_unittest.py and overhead_c.py are this with unittest and c.

Each runner gets its own clone as its CLONE argument, made (like the
floor's two clones) before the 200 commits, so that both have to bring
them in with one fetch.  Each round runs the floor, ssci fed by
"ssci notify", and ssci fed by a plain socket client that sends all 200
dispatches at once ("raw dispatch": the dispatcher and runners without
notify's own cost).  Ratios are taken within a round and the median over
the rounds is reported: the machine is shared and noise comes in bursts.
SSCI_BENCH_WORKERS=1 runs one runner against one floor worker instead of
two against two: on 2 cores, a comparison where neither is short of CPU.
SSCI_BENCH_PG=1 adds to each round ssci with its store in PostgreSQL
(common.store_args), for its rate next to SQLite's in the same round.
"""
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time

from common import (SSCI, figure, note, workdir, git, dispatcher, runner,
                    cpu_s, idle_sample, result_line, wait_for,
                    median, store_args, jobs)
import workloads

WORKLOAD = os.environ.get("SSCI_BENCH_WORKLOAD", "trivial")
COMMITS = int(os.environ.get("SSCI_BENCH_COMMITS",
                             {"trivial": "200", "unittest": "200",
                              "c": "40"}.get(WORKLOAD, "200")))
# The raw dispatch rounds tell notify's cost apart; once is enough.
NAME = "overhead" if WORKLOAD == "trivial" else f"overhead_{WORKLOAD}"
RAW = os.environ.get("SSCI_BENCH_RAW", "1" if WORKLOAD == "trivial" else "0")
ROUNDS = int(os.environ.get("SSCI_BENCH_ROUNDS", "5"))
WORKERS = int(os.environ.get("SSCI_BENCH_WORKERS", "2"))
IDLE_S = 5
PROFILE = os.environ.get("SSCI_BENCH_PROFILE")
PG = os.environ.get("SSCI_BENCH_PG", "0") == "1"

# The git work a runner does for a commit in its clone, and the test, in
# the fewest processes: check out, and fetch only if that fails.
FLOOR_WORKER = r'''
cd "$1" || exit 1
while read -r c; do
    git checkout --quiet --force --detach "$c" 2>/dev/null || {
        git fetch --quiet origin
        git checkout --quiet --force --detach "$c"
    }
    git clean -ffdxq
    ./.ssci/test </dev/null >/dev/null 2>&1
done < "$2"
'''


def floor_round(tmp, clones, commits):
    """Two shell workers, commits split between them: jobs/s, the wall
    time and the CPU time of the workers and all they started."""
    script = os.path.join(tmp, "floor-worker.sh")
    with open(script, "w") as f:
        f.write(FLOOR_WORKER)
    lists = []
    for w in range(WORKERS):
        path = os.path.join(tmp, f"floor-list-{w}-{os.path.basename(clones[w])}")
        with open(path, "w") as f:
            f.write("".join(c + "\n" for c in commits[w::WORKERS]))
        lists.append(path)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    workers = [subprocess.Popen(["bash", script, clones[w], lists[w]])
               for w in range(WORKERS)]
    rcs = [w.wait() for w in workers]
    dt = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if any(rcs):
        raise RuntimeError(f"floor workers failed: {rcs}")
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return len(commits) / dt, dt, cpu


def raw_dispatch(address, repo, commits):
    """Dispatch every commit over one connection, all sent at once, then
    read the replies: what notify would cost with no git work and no wait
    between requests.  Returns a CompletedProcess-like object."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as s:
        msgs = [{"type": "hello", "role": "client", "version": 1}]
        msgs += [{"type": "dispatch", "repo": repo, "commit": c,
                  "branch": "main"} for c in commits]
        s.sendall(b"".join(json.dumps(m).encode() + b"\n" for m in msgs))
        buf = b""
        while buf.count(b"\n") < len(msgs):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    bad = [ln for ln in buf.splitlines() if b'"ok"' not in ln]
    return subprocess.CompletedProcess([], 1 if bad or
                                       buf.count(b"\n") < len(msgs) else 0,
                                       "", b"\n".join(bad).decode())


def ssci_round(tmp, repo, clones, commits, r, report, raw=False,
               store="sqlite"):
    sub = os.path.join(tmp, f"round-{r}{'-raw' if raw else ''}-{store}")
    os.makedirs(sub)
    d, address, state, results = dispatcher(sub, args=store_args(store))
    runners = [runner(sub, address, f"bench-{w}", clone=clones[w])
               for w in range(WORKERS)]
    pids = [d.pid] + [p.pid for p in runners]
    tracers = []
    if PROFILE:
        # Profiling only (SSCI_BENCH_PROFILE=strace|perf:DIR): syscall
        # counts (strace -c -f) or samples (perf record -g) of the
        # dispatcher and runner 0 over the round; slows what it watches.
        tool, _, outdir = PROFILE.partition(":")
        os.makedirs(outdir, exist_ok=True)
        for name, pid in (("dispatcher", d.pid), ("runner", runners[0].pid)):
            if tool == "strace":
                argv = ["strace", "-c", "-f", "-p", str(pid), "-o",
                        os.path.join(outdir, f"strace-{name}-{r}.txt")]
            else:
                argv = ["perf", "record", "-F", "4000", "-g", "-p", str(pid),
                        "-o", os.path.join(outdir, f"perf-{name}-{r}.data")]
            tracers.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL))
        time.sleep(1)
    before = {pid: cpu_s(pid) for pid in pids}
    wall0 = time.time() * 1000
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    if raw:
        proc = raw_dispatch(address, repo, commits)
    else:
        proc = subprocess.run([SSCI, "notify", "--dispatcher-server",
                               address, "--repo", repo, *commits], cwd=repo,
                              text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    t_notified = time.monotonic()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    notify_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"notify failed: {proc.stderr}")
    # One stat a poll, not a listing of the folder: the wait's own CPU
    # would otherwise be counted against ssci on a machine of 2 cores.
    missing = [os.path.join(results, c) for c in commits]

    def all_there():
        while missing and os.path.exists(missing[-1]):
            missing.pop()
        return not missing
    wait_for(all_there, f"{len(commits)} results", timeout=600, step=0.002)
    t1 = time.monotonic()
    after = {pid: cpu_s(pid) for pid in pids}
    for t in tracers:
        t.send_signal(signal.SIGINT)
        t.wait()
    states = [result_line(os.path.join(results, c))["state"] for c in commits]
    durations = [int(result_line(os.path.join(results, c))["duration_ms"])
                 for c in commits]
    rate = len(commits) / (t1 - t0)
    # Where a runner's time goes, from the store (wall clock, ms): the
    # job's own duration_ms on the runner, and the rest of each cycle from
    # one hand-out to the same runner's next (result stored, next job out).
    rows = sorted((j["runner"], j["created_ms"], j["started_ms"],
                   j["finished_ms"], j["duration_ms"])
                  for j in jobs(address, len(commits)))
    rows.sort(key=lambda r: r[2])
    gaps = []
    for name in {r[0] for r in rows}:
        mine = [r for r in rows if r[0] == name]
        for a, b in zip(mine, mine[1:]):
            gaps.append(b[2] - a[2] - a[4])
    out = {"rate": rate, "wall": t1 - t0, "notify": t_notified - t0,
           "passed": states.count("passed"), "notify_cpu": notify_cpu,
           "job_ms_median": median(durations),
           "gap_ms_median": median(gaps),
           "first_queued_ms": min(r[1] for r in rows) - wall0,
           "last_queued_ms": max(r[1] for r in rows) - wall0,
           "d_cpu": after[d.pid][0] - before[d.pid][0],
           "r_cpu": sum(after[p.pid][0] - before[p.pid][0] for p in runners),
           "r_kids_cpu": sum(after[p.pid][1] - before[p.pid][1]
                             for p in runners)}
    if report:
        time.sleep(1)   # let the last writes settle
        idle = idle_sample(pids, IDLE_S)
        out["d_idle"] = idle[d.pid]
        out["r_idle"] = [idle[p.pid] for p in runners]
    for p in runners:
        p.stop()
    d.stop()
    return out


def describe(res):
    return (f"{res['rate']:.1f} jobs/s ({res['wall']:.2f} s; dispatch took "
            f"{res['notify']:.2f} s; {res['passed']}/{COMMITS} passed; job "
            f"duration_ms median {res['job_ms_median']}; between a runner's "
            f"jobs median {res['gap_ms_median']} ms; first job queued after "
            f"{res['first_queued_ms']:.0f} ms, last after "
            f"{res['last_queued_ms']:.0f} ms; notify CPU "
            f"{res['notify_cpu']:.2f} s; dispatcher CPU {res['d_cpu']:.2f} s, "
            f"runners {res['r_cpu']:.2f} s + children "
            f"{res['r_kids_cpu']:.2f} s)")


def main():
    tmp = workdir("overhead")
    repo = workloads.make(WORKLOAD, os.path.join(tmp, "repo"))
    note(f"workload {WORKLOAD}, {COMMITS} commits")
    kinds = ("floor", "ssci", "raw") if RAW == "1" else ("floor", "ssci")
    kinds += ("pg",) if PG else ()
    clones = {}
    for r in range(ROUNDS):
        for kind in kinds:
            clones[kind, r] = [os.path.join(tmp, f"{kind}-{r}-clone-{w}")
                               for w in range(WORKERS)]
            for c in clones[kind, r]:
                git(tmp, "clone", "-q", repo, c)
    t0 = time.monotonic()
    commits = [workloads.change(WORKLOAD, repo, i) for i in range(COMMITS)]
    note(f"made {COMMITS} commits in {time.monotonic() - t0:.1f} s")

    # Each round: the floor, ssci with "ssci notify", and ssci with the
    # dispatches sent by a plain socket client (the dispatcher and runners
    # alone).  Ratios are taken within a round, next to each other in
    # time, and the median over rounds is reported.
    floors, floor_cpus, sscis, raws, pgs = [], [], [], [], []
    for r in range(ROUNDS):
        rate, dt, cpu = floor_round(tmp, clones["floor", r], commits)
        floors.append(rate)
        floor_cpus.append(cpu)
        note(f"round {r + 1}: floor {rate:.1f} jobs/s ({dt:.2f} s; CPU "
             f"{cpu:.2f} s)")
        res = ssci_round(tmp, repo, clones["ssci", r], commits, r,
                         report=(r == ROUNDS - 1))
        sscis.append(res)
        note(f"round {r + 1}: ssci {describe(res)}")
        if RAW == "1":
            raw = ssci_round(tmp, repo, clones["raw", r], commits, r, False,
                             raw=True)
            raws.append(raw)
            note(f"round {r + 1}: raw dispatch {describe(raw)}")
        if PG:
            pg = ssci_round(tmp, repo, clones["pg", r], commits, r, False,
                            store="postgresql")
            pgs.append(pg)
            note(f"round {r + 1}: ssci on PostgreSQL {describe(pg)}")
        for x in [res] + raws[-1:] + pgs[-1:]:
            if x["passed"] != COMMITS:
                note(f"WARNING: only {x['passed']} of {COMMITS} passed")

    ratios = [x["rate"] / f for x, f in zip(sscis, floors)]
    raw_ratios = [x["rate"] / f for x, f in zip(raws, floors)]
    note("ratios per round: " + " ".join(f"{x:.3f}" for x in ratios) +
         ("; raw dispatch: " + " ".join(f"{x:.3f}" for x in raw_ratios)
          if raws else ""))

    def med(key, runs=sscis):
        return median([x[key] for x in runs])
    last = sscis[-1]
    floor = median(floors)
    figure(f"{NAME}_floor_jobs_per_s", floor, "jobs/s", 1)
    figure(f"{NAME}_ssci_jobs_per_s", med("rate"), "jobs/s", 1)
    figure(f"{NAME}_ratio", median(ratios), "ssci/floor", 3)
    figure(f"{NAME}_ratio_worst", min(ratios), "ssci/floor", 3)
    figure(f"{NAME}_ratio_best", max(x["rate"] for x in sscis) / max(floors),
           "ssci/floor", 3)
    if raws:
        figure(f"{NAME}_raw_dispatch_jobs_per_s", med("rate", raws),
               "jobs/s", 1)
        figure(f"{NAME}_raw_dispatch_ratio", median(raw_ratios),
               "ssci/floor", 3)
    if pgs:
        # PostgreSQL next to SQLite, round by round.
        pg_ratios = [p["rate"] / s["rate"] for p, s in zip(pgs, sscis)]
        note("PostgreSQL/SQLite per round: " +
             " ".join(f"{x:.3f}" for x in pg_ratios))
        figure(f"{NAME}_pg_jobs_per_s", med("rate", pgs), "jobs/s", 1)
        figure(f"{NAME}_pg_vs_sqlite", median(pg_ratios),
               "PostgreSQL/SQLite", 3)
        figure(f"{NAME}_pg_vs_sqlite_worst", min(pg_ratios),
               "PostgreSQL/SQLite", 3)
        figure(f"{NAME}_pg_dispatcher_cpu_s", med("d_cpu", pgs), "s", 2)
    figure(f"{NAME}_per_job_ms",
           (1 / med("rate") - 1 / floor) * WORKERS * 1000,
           "ms (per job per runner, over the floor)", 1)
    figure(f"{NAME}_floor_per_job_ms", WORKERS * 1000 / floor, "ms", 2)
    # CPU budgets side by side: on 2 cores, what ssci spends beyond the
    # floor's own CPU is time the tests do not get.
    figure(f"{NAME}_floor_cpu_s", median(floor_cpus), "s", 2)
    figure(f"{NAME}_ssci_cpu_s", median([x["d_cpu"] + x["r_cpu"] +
                                         x["r_kids_cpu"] + x["notify_cpu"]
                                         for x in sscis]), "s", 2)
    figure(f"{NAME}_job_duration_median_ms", med("job_ms_median"), "ms", 1)
    figure(f"{NAME}_between_jobs_median_ms", med("gap_ms_median"), "ms", 1)
    figure(f"{NAME}_notify_s", med("notify"), "s", 3)
    figure(f"{NAME}_first_queued_ms", med("first_queued_ms"), "ms", 0)
    figure(f"{NAME}_notify_cpu_s", med("notify_cpu"), "s", 2)
    figure(f"{NAME}_dispatcher_cpu_s", med("d_cpu"), "s", 2)
    figure(f"{NAME}_runners_cpu_s", med("r_cpu"), "s", 2)
    figure(f"{NAME}_runners_children_cpu_s", med("r_kids_cpu"), "s", 2)
    figure(f"{NAME}_idle_dispatcher_rss_mib", last["d_idle"][1] / 1024,
           "MiB", 2)
    figure(f"{NAME}_idle_dispatcher_cpu_pct", last["d_idle"][0], "%", 2)
    figure(f"{NAME}_idle_runner_rss_mib",
           max(x[1] for x in last["r_idle"]) / 1024, "MiB", 2)
    figure(f"{NAME}_idle_runner_cpu_pct",
           max(x[0] for x in last["r_idle"]), "%", 2)


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: MIT
"""artifacts: what a job keeps, moved and reused (issue 14,
docs/ARTIFACTS.md).

1. Artifact throughput.  A pipeline whose `build` job copies a 200 MiB
   file of random bytes (made once, outside the repository) into its tree
   and keeps it as an artifact, and whose `use` job needs `build`, so the
   file goes runner -> dispatcher -> runner: the runner's log gives the
   upload's time ("artifacts sent, N bytes in X ms") and the fetch's
   ("artifacts fetched, N bytes in Y ms"); each checksummed, the
   dispatcher's copy synced.  One runner of one slot, state and work
   folders on the same disk as the copy below.  Against `cp` of the same
   file on the same disk, in the same round (page cache warm for both,
   the copy removed after).  Ratio: cp's time over X + Y, five rounds,
   median and worst.  Target: >= 0.5.
   The floor, in the same round: the same file sent twice over loopback
   TCP by this process alone, with the cheapest calls Linux has
   (sendfile into the socket, splice out of it into a file), the middle
   copy fsynced as the dispatcher's must be, and no checksum.  cp's time
   over the floor's is the best ratio any program moving the file
   through a second process over TCP can reach on this machine.
2. A warm cache.  A job that installs 50 small packages (wheels made here)
   from a local folder with pip into `.deps`, cached with `key:
   [requirements.txt]`, unless `.deps` came from the cache.  Each round
   changes requirements.txt's comment (a new key: cold) and then runs a
   commit that leaves it (warm: restored).  The job's own time
   (started_ms to finished_ms on the dispatcher) cold and warm; saved =
   cold - warm, five rounds, median and worst.

Environment: SSCI_BENCH_ROUNDS (5).
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time
import zipfile

from common import (SSCI, figure, note, workdir, git, dispatcher, runner,
                    Client, wait_for, median, loadavg, cpu_s)

ROUNDS = int(os.environ.get("SSCI_BENCH_ROUNDS", "5"))
BIG_MIB = 200
PACKAGES = 50


def commit(repo, files, message):
    for name, text in files.items():
        with open(os.path.join(repo, name), "w") as f:
            f.write(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def new_repo(path, files):
    os.makedirs(path)
    git(path, "init", "-q", "-b", "main")
    return commit(path, files, "start")


def notify(address, repo):
    subprocess.run([SSCI, "notify", "--dispatcher-server", address, "HEAD"],
                   cwd=repo, check=True, capture_output=True)


def jobs_of(client, commit, count):
    def done():
        (reply,) = client.request({"type": "jobs", "limit": 1000})
        jobs = [j for j in reply["jobs"] if j["commit"] == commit]
        if len(jobs) == count and all(j["state"] not in ("queued",
                                                         "running")
                                      for j in jobs):
            return {j["name"]: j for j in jobs}
        return None
    jobs = wait_for(done, f"the jobs of {commit[:8]}", timeout=600,
                    step=0.02)
    for j in jobs.values():
        if j["state"] != "passed":
            raise RuntimeError(f"job {j['name']} {j['state']}")
    return jobs


def hop(source, target, sync):
    """Send the file source over a loopback TCP connection into target:
    sendfile on one side (a thread), splice through a pipe on the other."""
    size = os.path.getsize(source)
    listener = socket.create_server(("127.0.0.1", 0))

    def send():
        with socket.create_connection(listener.getsockname()) as out, \
                open(source, "rb") as f:
            sent = 0
            while sent < size:
                sent += os.sendfile(out.fileno(), f.fileno(), sent,
                                    size - sent)
    sender = threading.Thread(target=send)
    sender.start()
    conn, _ = listener.accept()
    pipe_r, pipe_w = os.pipe()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            n = os.splice(conn.fileno(), pipe_w, 1 << 20)
            if n == 0:
                break
            while n:
                n -= os.splice(pipe_r, fd, n)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
        os.close(pipe_r)
        os.close(pipe_w)
        conn.close()
        listener.close()
        sender.join()


def floor_ms(w, big):
    """Two loopback hops of big, the middle copy synced; in ms."""
    middle, end = os.path.join(w, "middle.bin"), os.path.join(w, "end.bin")
    start = time.monotonic()
    hop(big, middle, True)
    hop(middle, end, False)
    ms = (time.monotonic() - start) * 1000
    os.unlink(middle)
    os.unlink(end)
    return ms


def warm(path):
    """Read path, so that it is in the page cache (this machine's cache
    lets go of files within seconds: a cp of a file it dropped reads the
    disk, 0.3-0.5 s instead of 0.05, seen)."""
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def throughput(w):
    big = os.path.join(w, "big.bin")
    with open(big, "wb") as f:
        for _ in range(BIG_MIB):
            f.write(os.urandom(1 << 20))
    repo = os.path.join(w, "repo")
    plan = (f"jobs:\n  build:\n    run: [mkdir -p out, 'cp {big} out/']\n"
            f"    artifacts: out/big.bin\n"
            f"  use:\n    needs: [build]\n    run: test -s out/big.bin\n")
    new_repo(repo, {".ssci.yml": plan, "n": "0\n"})
    d, address, _, _ = dispatcher(w)
    r = runner(w, address, "r1")
    client = Client(address)
    ratios, rates, cps, floors, moves = [], [], [], [], []
    for i in range(ROUNDS):
        head = commit(repo, {"n": f"{i + 1}\n"}, f"round {i}")
        before = r.stderr()
        # Each timed part starts with nothing dirty in the page cache:
        # writeback of the part before would slow it (cp from 51 ms to
        # 450 ms, seen) and make the ratios the order's, not the parts'.
        os.sync()
        d_cpu, r_cpu = cpu_s(d.pid)[0], cpu_s(r.pid)[0]
        notify(address, repo)
        jobs_of(client, head, 2)
        d_cpu, r_cpu = cpu_s(d.pid)[0] - d_cpu, cpu_s(r.pid)[0] - r_cpu
        log = r.stderr()[len(before):]
        sent = re.search(r"artifacts sent, (\d+) bytes in (\d+) ms", log)
        got = re.search(r"artifacts fetched, (\d+) bytes in (\d+) ms", log)
        if not sent or not got or int(sent.group(1)) != BIG_MIB << 20:
            raise RuntimeError(f"no transfer in the runner's log:\n{log}")
        ms = int(sent.group(2)) + int(got.group(2))
        copy = os.path.join(w, "copy.bin")
        os.sync()
        warm(big)
        start = time.monotonic()
        subprocess.run(["cp", big, copy], check=True)
        cp_ms = (time.monotonic() - start) * 1000
        os.unlink(copy)
        os.sync()
        warm(big)
        floor = floor_ms(w, big)
        ratios.append(cp_ms / ms)
        rates.append(BIG_MIB / (ms / 1000))
        cps.append(cp_ms)
        floors.append(floor)
        moves.append(ms)
        note(f"round {i + 1}: upload {sent.group(2)} ms + fetch "
             f"{got.group(2)} ms = {ms} ms ({BIG_MIB / (ms / 1000):.0f} "
             f"MiB/s); cp {cp_ms:.0f} ms; floor (two bare TCP hops) "
             f"{floor:.0f} ms; CPU dispatcher {d_cpu:.2f} s, "
             f"runner {r_cpu:.2f} s; load {loadavg()}")
    figure("artifact_mib_per_s_median", median(rates), "MiB/s", 0)
    figure("artifact_cp_ms_median", median(cps), "ms", 0)
    figure("artifact_vs_cp_median", median(ratios), "x", 2)
    figure("artifact_vs_cp_worst", min(ratios), "x", 2)
    figure("floor_two_hops_ms_median", median(floors), "ms", 0)
    figure("floor_vs_cp_median", median([c / f for c, f in
                                         zip(cps, floors)]), "x", 2)
    figure("artifact_vs_floor_median", median([f / m for f, m in
                                              zip(floors, moves)]),
           "x", 2)
    r.stop()
    d.stop()


def wheel(folder, i):
    """A small pure-Python wheel, pkgI 1.0."""
    name = f"pkg{i}"
    dist = f"{name}-1.0.dist-info"
    path = os.path.join(folder, f"{name}-1.0-py3-none-any.whl")
    files = {
        f"{name}/__init__.py": f"VALUE = {i}\n" + "# padding\n" * 200,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\n"
                            f"Version: 1.0\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: bench\n"
                         "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{n},,\n" for n in files) + f"{dist}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as z:
        for n, text in files.items():
            z.writestr(n, text)
        z.writestr(f"{dist}/RECORD", record)


def warm_cache(w):
    wheels = os.path.join(w, "wheels")
    os.makedirs(wheels)
    for i in range(PACKAGES):
        wheel(wheels, i)
    reqs = "".join(f"pkg{i}==1.0\n" for i in range(PACKAGES))
    run = (f"if [ ! -f .deps/.done ]; then {sys.executable} -m pip install "
           f"-q --no-index --disable-pip-version-check --find-links "
           f"{wheels} --target .deps -r requirements.txt && touch "
           f".deps/.done; fi\n"
           f"{sys.executable} -c 'import sys; sys.path.insert(0, \".deps\");"
           f" import pkg0, pkg{PACKAGES - 1}'\n")
    plan = ("jobs:\n  deps:\n    cache: {paths: [.deps], key: "
            "[requirements.txt]}\n    run: |\n" +
            "".join(f"      {line}\n" for line in run.splitlines()))
    repo = os.path.join(w, "repo2")
    new_repo(repo, {".ssci.yml": plan, "requirements.txt": reqs,
                    "n": "0\n"})
    d, address, _, _ = dispatcher(w, name="dispatcher2")
    r = runner(w, address, "r2")
    client = Client(address)
    colds, warms, saved = [], [], []
    for i in range(ROUNDS):
        times = []
        for kind, files in (("cold", {"requirements.txt":
                                      f"# round {i}\n" + reqs}),
                            ("warm", {"n": f"{i + 1}\n"})):
            head = commit(repo, files, f"{kind} {i}")
            notify(address, repo)
            job = jobs_of(client, head, 1)["deps"]
            times.append((job["finished_ms"] - job["started_ms"]) / 1000)
        colds.append(times[0])
        warms.append(times[1])
        saved.append(times[0] - times[1])
        note(f"round {i + 1}: cold {times[0]:.3f} s, warm {times[1]:.3f} s, "
             f"saved {times[0] - times[1]:.3f} s; load {loadavg()}")
    figure("cache_cold_s_median", median(colds), "s")
    figure("cache_warm_s_median", median(warms), "s")
    figure("cache_saved_s_median", median(saved), "s")
    figure("cache_saved_s_worst", min(saved), "s")
    r.stop()
    d.stop()


def main():
    w = workdir("artifacts")
    note(f"{ROUNDS} rounds; {BIG_MIB} MiB artifact; {PACKAGES} packages; "
         f"load {loadavg()}")
    throughput(w)
    warm_cache(w)


if __name__ == "__main__":
    main()

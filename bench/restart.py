# SPDX-License-Identifier: MIT
"""restart: a store holding 100,000 finished jobs and 10,000 queued ones.
A dispatcher is started once on an empty state folder to create the
schema and stopped; the rows are then written with Python's sqlite3 in
that schema.  Each try starts the dispatcher and times, from just before
the start, (a) its first dispatch answered: a client connects as soon as
"listening on" appears and sends hello and dispatch at once; (b) the
first queued job handed out: a runner connection, opened at the same
moment, sends hello and register and waits for its first "job".
"""
import hashlib
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time

from common import SSCI, figure, note, workdir, dispatcher, median

FINISHED = int(os.environ.get("SSCI_BENCH_FINISHED", "100000"))
QUEUED = int(os.environ.get("SSCI_BENCH_QUEUED", "10000"))
TRIES = 3
RTT_DISPATCHES = 20
REPO_URL = "https://example.invalid/restart.git"


def fill(db_path):
    db = sqlite3.connect(db_path)
    now = int(time.time() * 1000)
    db.execute("INSERT INTO repos (url, created_ms) VALUES (?, ?)",
               (REPO_URL, now))
    repo_id = db.execute("SELECT id FROM repos WHERE url = ?",
                         (REPO_URL,)).fetchone()[0]
    cols = [r[1] for r in db.execute("PRAGMA table_info(jobs)")]

    def sha(i):
        return hashlib.sha1(b"restart %d" % i).hexdigest()

    rows = []
    for i in range(FINISHED):
        t = now - (FINISHED + QUEUED - i) * 1000
        rows.append((repo_id, sha(i), "main", "passed", 1, i + 1,
                     "bench-runner", t, t + 10, t + 500, 0, 490, 3, 0, 0,
                     f"commit {i}", "Bench"))
    db.executemany(
        "INSERT INTO jobs (repo_id, commit_id, branch, state, attempt, "
        "queue_pos, runner, created_ms, started_ms, finished_ms, exit_code, "
        "duration_ms, tests_run, tests_failed, tests_skipped, subject, "
        "author) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    rows = []
    for i in range(FINISHED, FINISHED + QUEUED):
        t = now - (FINISHED + QUEUED - i) * 10
        rows.append((repo_id, sha(i), "main", "queued", 0, i + 1, t,
                     f"commit {i}", "Bench"))
    db.executemany(
        "INSERT INTO jobs (repo_id, commit_id, branch, state, attempt, "
        "queue_pos, created_ms, subject, author) "
        "VALUES (?,?,?,?,?,?,?,?,?)", rows)
    db.commit()
    counts = dict(db.execute("SELECT state, COUNT(*) FROM jobs "
                             "GROUP BY state").fetchall())
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return cols, counts


def read_lines(sock, n, want=None):
    """Read until n lines arrived (or one whose type is want)."""
    buf = b""
    got = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("dispatcher closed the connection")
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            msg = json.loads(line)
            got.append(msg)
            if (want is None and len(got) >= n) or \
               (want is not None and msg.get("type") == want):
                return got


def one_start(tmp, state, results, k):
    commit = hashlib.sha1(b"restart new %d" % k).hexdigest()
    res = {}
    t0 = time.monotonic()
    p = subprocess.Popen([SSCI, "dispatcher", "--port", "0", "--host",
                          "127.0.0.1", "--http", "off", "--state-dir", state,
                          "--results-dir", results], cwd=tmp,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=open(os.path.join(tmp, f"d{k}.err"), "w"),
                         start_new_session=True)
    try:
        line = p.stdout.readline().decode()
        t_listen = time.monotonic()
        m = re.match(r"listening on (\S+):(\d+)", line)
        if not m:
            raise RuntimeError(f"no listening line: {line!r}")
        port = int(m.group(2))

        def client():
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b'{"type":"hello","role":"client","version":1}\n' +
                      json.dumps({"type": "dispatch", "repo": REPO_URL,
                                  "commit": commit,
                                  "branch": "main"}).encode() + b"\n")
            got = read_lines(s, 2)
            res["dispatch"] = time.monotonic() - t0
            res["dispatch_reply"] = got[-1]
            s.close()

        def runner():
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b'{"type":"hello","role":"runner","version":1}\n'
                      b'{"type":"register","name":"restart-runner",'
                      b'"slots":1}\n')
            got = read_lines(s, 0, want="job")
            res["job"] = time.monotonic() - t0
            res["job_msg"] = got[-1]
            s.close()

        threads = [threading.Thread(target=client),
                   threading.Thread(target=runner)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        res["listen"] = t_listen - t0
        # Then dispatches one after another on one connection, the store
        # as full as it is: the steady round trip.
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b'{"type":"hello","role":"client","version":1}\n')
        read_lines(s, 1)
        rtts = []
        for j in range(RTT_DISPATCHES):
            c = hashlib.sha1(b"restart rtt %d %d" % (k, j)).hexdigest()
            t = time.monotonic()
            s.sendall(json.dumps({"type": "dispatch", "repo": REPO_URL,
                                  "commit": c, "branch": "main"}).encode()
                      + b"\n")
            read_lines(s, 1)
            rtts.append(time.monotonic() - t)
        s.close()
        res["rtts"] = rtts
    finally:
        p.terminate()
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
    return res


def main():
    tmp = workdir("restart")
    d, address, state, results = dispatcher(tmp)
    d.stop()
    empty = one_start(tmp, state, results, 0)
    figure("restart_empty_dispatch_rtt_median_ms",
           median(empty["rtts"]) * 1000, "ms", 2)
    note(f"empty store: listening after {empty['listen'] * 1000:.1f} ms, "
         f"dispatch answered after {empty['dispatch'] * 1000:.1f} ms")
    # Only the dispatch of the try above is in the store: start afresh.
    d.stop()
    for name in os.listdir(state):
        if name.startswith("ssci.db"):
            os.unlink(os.path.join(state, name))
    d, address, state, results = dispatcher(tmp, name="dispatcher")
    d.stop()
    t0 = time.monotonic()
    cols, counts = fill(os.path.join(state, "ssci.db"))
    note(f"store filled in {time.monotonic() - t0:.1f} s: {counts}; "
         f"{os.path.getsize(os.path.join(state, 'ssci.db')) >> 20} MiB")
    tries = []
    for k in range(1, TRIES + 1):
        res = one_start(tmp, state, results, k)
        if res.get("dispatch_reply", {}).get("type") != "ok":
            raise RuntimeError(f"dispatch refused: {res}")
        note(f"start {k}: listening {res['listen'] * 1000:.1f} ms, first "
             f"dispatch answered {res['dispatch'] * 1000:.1f} ms, first job "
             f"handed out {res['job'] * 1000:.1f} ms (job "
             f"{res['job_msg'].get('id')})")
        tries.append(res)
    figure("restart_empty_dispatch_ms", empty["dispatch"] * 1000, "ms", 1)
    figure("restart_listen_ms", median([r["listen"] for r in tries]) * 1000,
           "ms", 1)
    figure("restart_first_dispatch_ms",
           median([r["dispatch"] for r in tries]) * 1000, "ms", 1)
    figure("restart_first_dispatch_max_ms",
           max(r["dispatch"] for r in tries) * 1000, "ms", 1)
    figure("restart_first_job_ms",
           median([r["job"] for r in tries]) * 1000, "ms", 1)
    figure("restart_first_job_max_ms",
           max(r["job"] for r in tries) * 1000, "ms", 1)
    figure("restart_full_store_dispatch_rtt_median_ms",
           median([x for r in tries for x in r["rtts"]]) * 1000, "ms", 2)


if __name__ == "__main__":
    sys.exit(main())

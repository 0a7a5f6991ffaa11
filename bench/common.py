# SPDX-License-Identifier: MIT
"""common.py - what every benchmark in bench/ needs: a temporary folder,
git repositories, ssci programs started on loopback with port 0 (the port
read from their "listening on" line), CPU and memory read from /proc,
"figure NAME=VALUE UNIT" lines, and cleanup of exactly the processes we
started, by PID.  A dispatcher's store is SQLite's unless told otherwise
(SSCI_BENCH_STORE=postgresql, or store_args): then a database in a
PostgreSQL cluster of the benchmark's own, on the same disk, with fsync on
as a real one has.
"""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SSCI = os.path.abspath(os.environ.get("SSCI_BIN") or os.path.join(ROOT, "ssci"))
LOADGEN = os.environ.get("LOADGEN")
RELAY = os.environ.get("RELAY")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="b@x",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="b@x")

TRIVIAL_TEST = "#!/bin/sh\nexit 0\n"

_started = []           # every Proc we started, for cleanup
STORE = os.environ.get("SSCI_BENCH_STORE", "sqlite")
_cluster = []           # the PostgreSQL cluster, once started
_databases = [0]


def store_args(store=None):
    """The --store options of a dispatcher on store ("sqlite" or
    "postgresql"; STORE by default): a new database for each."""
    if (store or STORE) == "sqlite":
        return []
    if not _cluster:
        sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
        import pg_util
        c = pg_util.Cluster(settings={"fsync": os.environ.get("SSCI_BENCH_PG_FSYNC", "on")})
        # The dispatchers first: a server gone makes them stand by.
        atexit.register(lambda: (stop_all(), c.stop()))
        _cluster.append((c, pg_util))
    c, pg_util = _cluster[0]
    _databases[0] += 1
    db = f"bench_{_databases[0]}"
    pg_util.psql(c.conninfo, f"CREATE DATABASE {db}")
    return ["--store", f"{c.conninfo} dbname={db}"]


def figure(name, value, unit, digits=3):
    """Print one machine-readable line."""
    if isinstance(value, float):
        value = f"{value:.{digits}f}"
    print(f"figure {name}={value} {unit}", flush=True)


def note(msg):
    print(f"# {msg}", flush=True)


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def workdir(name):
    """A fresh temporary folder for one benchmark, removed at exit unless
    SSCI_BENCH_KEEP is set."""
    base = os.environ.get("SSCI_BENCH_TMP") or None
    path = tempfile.mkdtemp(prefix=f"ssci-bench-{name}-", dir=base)
    if not os.environ.get("SSCI_BENCH_KEEP"):
        def clean():
            stop_all()          # nothing of ours may still write there
            shutil.rmtree(path, True)
        atexit.register(clean)
    return path


def git(cwd, *args, check=True):
    proc = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {cwd}: {proc.stderr}")
    return proc.stdout.strip()


def make_repo(path, test_script=TRIVIAL_TEST):
    """A repository whose .ssci/test is test_script; returns path."""
    os.makedirs(os.path.join(path, ".ssci"))
    git(path, "init", "-q", "-b", "main")
    with open(os.path.join(path, ".ssci", "test"), "w") as f:
        f.write(test_script)
    os.chmod(os.path.join(path, ".ssci", "test"), 0o755)
    with open(os.path.join(path, "f"), "w") as f:
        f.write("0\n")
    git(path, "add", ".ssci", "f")
    git(path, "commit", "-q", "-m", "start")
    return path


def one_line_commit(repo, i):
    """Change the one line of f and commit; returns the commit id."""
    with open(os.path.join(repo, "f"), "w") as f:
        f.write(f"{i} {time.monotonic_ns()}\n")
    git(repo, "commit", "-q", "-a", "-m", f"change {i}")
    return git(repo, "rev-parse", "HEAD")


def _raise_nofile():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Proc:
    """A program we started, in its own session, output in files (or a
    pipe for stdout when asked)."""

    def __init__(self, name, argv, cwd, stdin=subprocess.DEVNULL,
                 pipe_stdout=False, many_fds=False):
        self.name = name
        self.out_path = os.path.join(cwd, f"{name}.out")
        self.err_path = os.path.join(cwd, f"{name}.err")
        self.err = open(self.err_path, "w")
        self.out = None if pipe_stdout else open(self.out_path, "w")
        self.popen = subprocess.Popen(
            argv, cwd=cwd, stdin=stdin,
            stdout=subprocess.PIPE if pipe_stdout else self.out,
            stderr=self.err, start_new_session=True,
            preexec_fn=_raise_nofile if many_fds else None)
        self.pid = self.popen.pid
        _started.append(self)

    def stdout(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.popen.poll() is None

    def stop(self, timeout=10):
        """SIGTERM to our PID, then SIGKILL to its group (which it leads)."""
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait()
            except ProcessLookupError:
                pass
        for f in (self.out, self.err):
            if f is not None:
                f.close()
        if self in _started:
            _started.remove(self)
        return self.popen.returncode


def stop_all():
    for p in reversed(list(_started)):
        try:
            p.stop()
        except OSError:
            pass


atexit.register(stop_all)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def wait_for(fn, what, timeout=60, step=0.005):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(step)


def dispatcher(tmp, name="dispatcher", args=(), many_fds=False):
    """Start a dispatcher on a free loopback port; (proc, address, state,
    results)."""
    state = os.path.join(tmp, f"{name}-state")
    results = os.path.join(tmp, f"{name}-results")
    if "--store" not in args:
        args = [*store_args(), *args]
    p = Proc(name, [SSCI, "dispatcher", "--local-repos", "--port", "0",
                    "--host", "127.0.0.1",
                    "--http", "off", "--state-dir", state, "--results-dir",
                    results, *args], tmp, many_fds=many_fds)
    m = wait_for(lambda: re.search(r"^listening on (\S+):(\d+)$", p.stdout(),
                                   re.M) or (not p.alive() and "dead"),
                 f"{name} to listen")
    if m == "dead":
        raise RuntimeError(f"{name} died: {p.stderr()}")
    return p, f"127.0.0.1:{m.group(2)}", state, results


def runner(tmp, address, name, clone=None, args=()):
    argv = [SSCI, "runner", "--dispatcher-server", address, "--name", name,
            "--work-dir", os.path.join(tmp, f"{name}-work"), *args]
    if clone is not None:
        argv.append(clone)
    p = Proc(name, argv, tmp)
    wait_for(lambda: "registered with" in p.stderr() or not p.alive(),
             f"runner {name} to register")
    if not p.alive():
        raise RuntimeError(f"runner {name} died: {p.stderr()}")
    return p


def _stat_fields(pid):
    """/proc/PID/stat's fields after the command's name: [0] is the state
    (field 3), [1] the parent's pid, [11] utime (field 14)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_s(pid):
    """(own utime+stime, waited-for children's cutime+cstime) in seconds."""
    fields = _stat_fields(pid)
    own = (int(fields[11]) + int(fields[12])) / CLK_TCK
    kids = (int(fields[13]) + int(fields[14])) / CLK_TCK
    return own, kids


def store_server_cpu_s():
    """The CPU seconds the benchmark's PostgreSQL cluster has used, its
    postmaster and every process it started (the dispatchers' backends,
    the WAL writer), or None when no cluster was started: on the same two
    cores as the dispatcher, its share is part of every job's time."""
    if not _cluster:
        return None
    c = _cluster[0][0]
    with open(os.path.join(c.data, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if int(entry) == postmaster or \
                    int(_stat_fields(entry)[1]) == postmaster:
                total += cpu_s(entry)[0]
        except OSError:
            continue        # gone since listed
    return total


def machine_cpu_ticks():
    """(busy, steal): the clock ticks all CPUs have spent working and
    those the host ran something else while they were ready to (steal, on
    a virtual machine), from /proc/stat, so far."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return user + nice + system + irq + softirq, steal


def steal_pct(before, after):
    """Of the CPU time asked for between two machine_cpu_ticks(), the share
    the host did not give: a store's round trips wait for it twice."""
    busy, steal = after[0] - before[0], after[1] - before[1]
    return 100.0 * steal / (busy + steal) if busy + steal > 0 else 0.0


def rss_kib(pid):
    """VmRSS in KiB, or 0 if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_statm_kib(pid):
    """Resident pages from /proc/PID/statm (cheaper than status)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_KIB
    except OSError:
        return 0


def idle_sample(pids, seconds):
    """{pid: (cpu percent of one core, VmRSS KiB)} over seconds of idleness."""
    before = {pid: cpu_s(pid)[0] for pid in pids}
    t0 = time.monotonic()
    time.sleep(seconds)
    dt = time.monotonic() - t0
    return {pid: ((cpu_s(pid)[0] - before[pid]) / dt * 100, rss_kib(pid))
            for pid in pids}


class RssSampler(threading.Thread):
    """Sample the VmRSS of some processes every interval; keep the peak."""

    def __init__(self, pids, interval=0.05):
        super().__init__(daemon=True)
        self.pids = pids
        self.interval = interval
        self.peak = {pid: 0 for pid in pids}
        self.samples = 0
        self._stop_evt = threading.Event()

    def run(self):
        while not self._stop_evt.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_kib(pid))
            self.samples += 1
            self._stop_evt.wait(self.interval)

    def stop(self):
        self._stop_evt.set()
        self.join()


def result_files(results_dir):
    try:
        return [n for n in os.listdir(results_dir) if not n.startswith(".")]
    except FileNotFoundError:
        return []


def result_line(path):
    """The fields of the last "result:" line of a results file."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 4096))
        tail = f.read().decode(errors="replace")
    # Output that does not end in a newline has the line glued to it.
    line = tail[tail.rindex("result: "):].splitlines()[0]
    parts = line.split()
    fields = {"state": parts[1]}
    for kv in parts[2:]:
        k, _, v = kv.partition("=")
        fields[k] = v
    return fields


def loadavg():
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Client:
    """One protocol connection as a client (hello sent and answered):
    requests sent together, their replies read in order."""

    def __init__(self, address, timeout=60):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)),
                                             timeout=timeout)
        # Small requests one after another: no Nagle delay behind an ACK.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        (reply,) = self.request({"type": "hello", "role": "client",
                                 "version": 1})
        if reply.get("type") != "ok":
            raise RuntimeError(f"hello refused: {reply}")

    def request(self, *msgs):
        """Send msgs at once; their replies, in order."""
        self.sock.sendall(b"".join(json.dumps(m).encode() + b"\n"
                                   for m in msgs))
        replies = []
        while len(replies) < len(msgs):
            while b"\n" not in self.buf:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise RuntimeError("dispatcher closed the connection")
                self.buf += chunk
            line, _, self.buf = self.buf.partition(b"\n")
            replies.append(json.loads(line))
        return replies

    def close(self):
        self.sock.close()


def dispatch(address, repo, commits, branch="main"):
    """Dispatch commits over one new client connection, all sent at once
    (no git work, unlike ssci notify); their job ids."""
    c = Client(address)
    try:
        replies = c.request(*({"type": "dispatch", "repo": repo,
                               "commit": commit, "branch": branch}
                              for commit in commits))
    finally:
        c.close()
    bad = [r for r in replies if r.get("type") != "ok"]
    if bad:
        raise RuntimeError(f"dispatch refused: {bad[0]}")
    return [r["job"] for r in replies]


def jobs(address, limit=1000):
    """The newest jobs (at most limit, up to 1000), as the "jobs" query
    gives them (docs/API.md), newest first."""
    c = Client(address)
    try:
        (reply,) = c.request({"type": "jobs", "limit": limit})
    finally:
        c.close()
    if reply.get("type") != "ok":
        raise RuntimeError(f"jobs query refused: {reply}")
    return reply["jobs"]

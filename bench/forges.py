# SPDX-License-Identifier: MIT
"""forges: forge webhooks in, commit statuses out (issue 16), on loopback.

1. Webhook -> queued.  A dispatcher (HTTP on loopback) with
   `--forge gh=github,http://127.0.0.1:PORT,SECRET_FILE --forge-repo o/r`
   and no token (so no statuses) and no runner (so its jobs stay
   queued).  Each round, HOOKS signed GitHub push webhooks, one new
   commit each, are sent one after another on one persistent HTTP
   connection; each is timed from sending the request to reading the
   whole 200 answer, which comes once the job is committed to the store:
   the webhook-to-queued time.  Median and p99 per round; target: the
   median <= 5 ms.

2. The dispatch round trip while statuses go to a slow forge.  A forge
   stand-in (a Python ThreadingHTTPServer, a process of its own, so that
   it takes no time from this one's clock) answers every POST 201 after
   STANDIN_DELAY_S (200 ms) and logs each status as it arrives.  Each
   round, a fresh dispatcher with
   `--forge gh=github,http://127.0.0.1:STANDIN,SECRET_FILE,TOKEN_FILE
   --forge-repo o/r`:
   (a) idle: DISPATCHES dispatches of new commits of another repository
       (not under the forge: no statuses) on one protocol connection, one
       every PACE_S (each timed from the send to its "ok", as
       bench/restart.py and bench/loadgen.c time a dispatch round trip);
   (b) loaded: webhooks for STATUSES new commits of o/r (one each, as fast
       as the dispatcher answers them), each of which queues one `pending`
       status of context ssci; then at once the same dispatches as (a)
       while the outbox drains (4 on their way at 200 ms: about 20 a
       second, so about 50 s for 1,000; the window is DISPATCHES x
       PACE_S, 10 s).
   The ratio of (b)'s median to (a)'s is the target (<= 1.2).  At the
   end of each window: how many statuses the stand-in had received, the
   drain rate (statuses received since the first one / the time since),
   and the check that none is lost (received + still in the outbox table
   of the store, read once the dispatcher stopped, = STATUSES).
   After the last round its dispatcher is left to drain the outbox
   whole: every status must arrive exactly once, well formed; then (c)
   the same dispatches again, the store as full but the outbox empty.

Both dispatchers run with --http-rate 1000000: the per-address HTTP rate
limit (default 100 requests a second) also counts webhooks, and all of
these come from 127.0.0.1.

Environment: SSCI_BENCH_ROUNDS (5), SSCI_BENCH_HOOKS (200 webhooks per
round in 1.), SSCI_BENCH_STATUSES (1000), SSCI_BENCH_DISPATCHES (500),
SSCI_BENCH_DRAIN=0 skips the full drain after the last round.
"""
import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import sqlite3
import sys
import time

from common import (figure, note, workdir, dispatcher, Proc, Client,
                    wait_for, median, loadavg)

ROUNDS = int(os.environ.get("SSCI_BENCH_ROUNDS", "5"))
HOOKS = int(os.environ.get("SSCI_BENCH_HOOKS", "200"))
STATUSES = int(os.environ.get("SSCI_BENCH_STATUSES", "1000"))
DISPATCHES = int(os.environ.get("SSCI_BENCH_DISPATCHES", "500"))
DRAIN = os.environ.get("SSCI_BENCH_DRAIN", "1") != "0"
PACE_S = 0.02               # one dispatch every 20 ms: 500 in 10 s
STANDIN_DELAY_S = 0.2
SECRET = "bench-webhook-secret-0123456789"
TOKEN = "bench-forge-token-9876543210"
OTHER_REPO = "https://example.invalid/other.git"

# The forge stand-in: every POST answered 201 after a delay; each status
# logged as one JSON line when it arrives (before the delay).
STANDIN_PY = r'''import http.server, json, re, sys, threading, time
DELAY = float(sys.argv[1])
PATH = re.compile(r"^/api/v3/repos/([^/]+)/([^/]+)/statuses/([0-9a-f]{40})$")
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # no 40 ms stall on a reply
    def do_POST(self):
        t = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        m = PATH.match(self.path)
        try:
            status = json.loads(body)
        except ValueError:
            status = None
        rec = {"t": t, "path": self.path, "sha": m and m.group(3),
               "repo": m and m.group(1) + "/" + m.group(2),
               "auth": self.headers.get("Authorization"), "status": status}
        with lock:
            sys.stdout.write(json.dumps(rec) + "\n")
            sys.stdout.flush()
        time.sleep(DELAY)
        out = json.dumps({"id": 1, "state": (status or {}).get("state"),
                          "context": (status or {}).get("context")}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
sys.stdout.write("listening %d\n" % srv.server_address[1])
sys.stdout.flush()
srv.serve_forever()
'''


def secret_files(tmp):
    """The secret and token files, mode 600 as the dispatcher wants."""
    paths = []
    for name, value in (("secret", SECRET), ("token", TOKEN)):
        path = os.path.join(tmp, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
        os.chmod(path, 0o600)
        paths.append(path)
    return paths


def sha(*parts):
    return hashlib.sha1(" ".join(map(str, parts)).encode()).hexdigest()


def push_body(base, commit, before, i):
    """A GitHub push event of one commit to refs/heads/main of o/r at the
    forge base, in GitHub's layout (its main fields; compact JSON, as
    GitHub sends it)."""
    html = f"{base}/o/r"
    api = f"{base}/api/v3/repos/o/r"
    owner = {"name": "o", "email": "o@users.noreply.example", "login": "o",
             "id": 2001, "node_id": "MDQ6VXNlcjIwMDE=",
             "avatar_url": f"{base}/avatars/u/2001?", "gravatar_id": "",
             "url": f"{base}/api/v3/users/o", "html_url": f"{base}/o",
             "type": "User", "site_admin": False}
    who = {"name": "Bench Dev", "email": "dev@example.invalid",
           "username": "bench-dev"}
    c = {"id": commit, "tree_id": sha("tree", i), "distinct": True,
         "message": f"Change {i}\n\nOne line of f changes.",
         "timestamp": "2025-01-01T12:00:00Z", "url": f"{html}/commit/{commit}",
         "author": who, "committer": who, "added": [], "removed": [],
         "modified": ["f"]}
    repo = {"id": 4242, "node_id": "R_kgDOBench", "name": "r",
            "full_name": "o/r", "private": False, "owner": owner,
            "html_url": html, "description": "A widget that spins",
            "fork": False, "url": html}
    for k in ("forks", "keys", "collaborators", "teams", "hooks",
              "issue_events", "events", "assignees", "branches", "tags",
              "blobs", "git_tags", "git_refs", "trees", "statuses",
              "languages", "stargazers", "contributors", "subscribers",
              "subscription", "commits", "git_commits", "comments",
              "issue_comment", "contents", "compare", "merges", "archive",
              "downloads", "issues", "pulls", "milestones",
              "notifications", "labels", "releases", "deployments"):
        repo[f"{k}_url"] = f"{api}/{k.replace('_', '/')}"
    repo.update({"created_at": 1735689600, "updated_at":
                 "2025-01-01T12:00:00Z", "pushed_at": 1735732800,
                 "git_url": "git://127.0.0.1/o/r.git",
                 "ssh_url": "git@127.0.0.1:o/r.git",
                 "clone_url": f"{html}.git", "svn_url": html,
                 "homepage": None, "size": 42, "language": "C",
                 "default_branch": "main", "master_branch": "main",
                 "visibility": "public", "topics": []})
    return json.dumps({
        "ref": "refs/heads/main", "before": before, "after": commit,
        "repository": repo,
        "pusher": {"name": "bench-dev", "email": "dev@example.invalid"},
        "sender": {k: owner[k] for k in owner if k not in ("name", "email")},
        "created": False, "deleted": False, "forced": False,
        "base_ref": None, "compare": f"{html}/compare/{before[:12]}..."
        f"{commit[:12]}", "commits": [c], "head_commit": c,
    }, separators=(",", ":")).encode()


class Hooks:
    """GitHub push webhooks to one dispatcher on one persistent HTTP
    connection."""

    def __init__(self, http_port, base, tag):
        self.base = base
        self.tag = tag
        self.n = 0
        self.before = sha(tag, "start")
        self.conn = http.client.HTTPConnection("127.0.0.1", http_port,
                                               timeout=60)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def push(self):
        """One push of a new commit: (its id, ms from the send to the
        whole answer)."""
        self.n += 1
        commit = sha(self.tag, self.n)
        body = push_body(self.base, commit, self.before, self.n)
        self.before = commit
        sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json",
                   "User-Agent": "GitHub-Hookshot/bench",
                   "X-GitHub-Event": "push",
                   "X-GitHub-Delivery": f"{self.tag}-{self.n}",
                   "X-GitHub-Hook-ID": "431122907",
                   "X-Hub-Signature-256": "sha256=" + sig}
        t0 = time.perf_counter()
        self.conn.request("POST", "/hooks/github", body, headers)
        r = self.conn.getresponse()
        answer = r.read()
        ms = (time.perf_counter() - t0) * 1000
        if r.status != 200:
            raise RuntimeError(f"webhook {self.n}: {r.status} {answer!r}")
        queued = json.loads(answer).get("queued") or []
        if [q.get("commit") for q in queued] != [commit] or \
                queued[0].get("existing"):
            raise RuntimeError(f"webhook {self.n} queued {answer!r}")
        self.last_body = len(body)
        return commit, ms

    def close(self):
        self.conn.close()


def forge_dispatcher(tmp, name, forge):
    """A dispatcher with the forge and o/r allowed, HTTP on a free
    loopback port; (proc, protocol address, state dir, HTTP port)."""
    p, address, state, _ = dispatcher(
        tmp, name, args=["--http", "127.0.0.1:0", "--http-rate", "1000000",
                         "--forge", forge, "--forge-repo", "o/r"])
    m = wait_for(lambda: re.search(r"^http listening on \S+:(\d+)$",
                                   p.stdout(), re.M) or
                 (not p.alive() and "dead"), f"{name}'s HTTP side")
    if m == "dead":
        raise RuntimeError(f"{name} died: {p.stderr()}")
    return p, address, state, int(m.group(1))


def pct(xs, q):
    """The q-quantile (nearest rank) of xs."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(q * len(s) + 0.5) - 1))]


def dispatch_rtts(address, tag, n, pace):
    """n dispatches of new commits of OTHER_REPO on one client connection,
    one every pace seconds (on a fixed schedule); each round trip in ms."""
    c = Client(address)
    rtts = []
    try:
        start = time.monotonic()
        for i in range(n):
            delay = start + i * pace - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            msg = {"type": "dispatch", "repo": OTHER_REPO,
                   "commit": sha("dispatch", tag, i), "branch": "main"}
            t0 = time.perf_counter()
            (reply,) = c.request(msg)
            rtts.append((time.perf_counter() - t0) * 1000)
            if reply.get("type") != "ok":
                raise RuntimeError(f"dispatch refused: {reply}")
    finally:
        c.close()
    return rtts


def err_summary(procs):
    """A note of what the dispatchers wrote on stderr past their start:
    warnings and errors, by kind."""
    kinds = {}
    for p in procs:
        for line in p.stderr().splitlines():
            if not re.search(r"warn|error|unable|refused|dropped|fatal",
                             line, re.I):
                continue
            key = re.sub(r"\b[0-9a-f]{7,40}\b|\d+", "N", line)[-120:]
            kinds[key] = kinds.get(key, 0) + 1
    if not kinds:
        note("dispatchers' stderr: no warnings or errors")
    for key, count in sorted(kinds.items(), key=lambda kv: -kv[1])[:10]:
        note(f"dispatchers' stderr, {count}x: {key}")


def hooks_to_queued(tmp, secret):
    """1. webhook -> queued, ROUNDS rounds of HOOKS webhooks."""
    # The forge's URL only names where o/r lives: nothing is fetched.
    base = "http://127.0.0.1:9"
    d, _, _, http_port = forge_dispatcher(tmp, "hooks-dispatcher",
                                          f"gh=github,{base},{secret}")
    meds, p99s, worst, size = [], [], [], 0
    for r in range(ROUNDS):
        h = Hooks(http_port, base, f"hooks-{r}")
        try:
            h.push()            # a warm-up, not counted
            ms = [h.push()[1] for _ in range(HOOKS)]
            size = h.last_body
        finally:
            h.close()
        meds.append(median(ms))
        p99s.append(pct(ms, 0.99))
        worst.append(max(ms))
        note(f"round {r + 1}: {HOOKS} webhooks, median {meds[-1]:.2f} ms, "
             f"p99 {p99s[-1]:.2f} ms, max {worst[-1]:.2f} ms; load "
             f"{loadavg()}")
    d.stop()
    note(f"webhook -> queued: {HOOKS} GitHub push webhooks a round (one "
         f"commit each, {size} bytes of body), one persistent connection; "
         f"the answer comes after the job is in the store")
    figure("forges_hook_queued_median_ms", median(meds), "ms", 2)
    figure("forges_hook_queued_median_worst_ms", max(meds), "ms", 2)
    figure("forges_hook_queued_p99_median_ms", median(p99s), "ms", 2)
    figure("forges_hook_queued_p99_worst_ms", max(p99s), "ms", 2)
    figure("forges_hook_queued_max_ms", max(worst), "ms", 2)


def received(standin):
    """The statuses the stand-in logged so far."""
    return [json.loads(line) for line in standin.stdout().splitlines()
            if line.startswith("{")]


def left_in_outbox(state):
    """Rows still in the store's outbox (read once the dispatcher is
    stopped)."""
    db = sqlite3.connect(os.path.join(state, "ssci.db"), timeout=10)
    try:
        (n,) = db.execute("SELECT count(*) FROM outbox").fetchone()
    finally:
        db.close()
    return n


def check_statuses(got, commits, whole=True):
    """Problems with the statuses got for commits: none missing (if
    whole), none twice, each a well-formed pending ssci status with the
    token."""
    problems = []
    shas = [g["sha"] for g in got]
    missing = set(commits) - set(shas)
    if missing and whole:
        problems.append(f"{len(missing)} commits got no status")
    twice = len(shas) - len(set(shas))
    if twice:
        problems.append(f"{twice} statuses came twice")
    if set(shas) - set(commits):
        problems.append(f"{len(set(shas) - set(commits))} statuses for "
                        f"commits not sent")
    bad = [g for g in got if g["repo"] != "o/r" or
           g["auth"] != f"Bearer {TOKEN}" or
           not isinstance(g["status"], dict) or
           g["status"].get("state") != "pending" or
           g["status"].get("context") != "ssci" or
           "/jobs/" not in str(g["status"].get("target_url"))]
    if bad:
        problems.append(f"{len(bad)} malformed, e.g. {bad[0]}")
    return problems


def slow_forge(tmp, secret, token):
    """2. the dispatch round trip, idle and while STATUSES statuses go to
    a forge that answers after 200 ms."""
    script = os.path.join(tmp, "standin.py")
    with open(script, "w") as f:
        f.write(STANDIN_PY)
    idle, loaded, ratios, counts, rates, hook_s = [], [], [], [], [], []
    procs = []
    lost = 0
    for r in range(ROUNDS):
        s = Proc(f"standin{r}", [sys.executable, script,
                                 str(STANDIN_DELAY_S)], tmp)
        m = wait_for(lambda: re.search(r"^listening (\d+)$", s.stdout(),
                                       re.M) or (not s.alive() and "dead"),
                     "the forge stand-in")
        if m == "dead":
            raise RuntimeError(f"stand-in died: {s.stderr()}")
        base = f"http://127.0.0.1:{m.group(1)}"
        d, address, state, http_port = forge_dispatcher(
            tmp, f"slow{r}", f"gh=github,{base},{secret},{token}")
        procs.append(d)
        dispatch_rtts(address, f"warm-{r}", 20, 0)      # not counted
        a = dispatch_rtts(address, f"idle-{r}", DISPATCHES, PACE_S)
        if received(s):
            raise RuntimeError("statuses before any webhook")
        h = Hooks(http_port, base, f"slow-{r}")
        t0 = time.monotonic()
        try:
            commits = [h.push()[0] for _ in range(STATUSES)]
        finally:
            h.close()
        hook_s.append(time.monotonic() - t0)
        b = dispatch_rtts(address, f"loaded-{r}", DISPATCHES, PACE_S)
        t_end = time.time()
        got = [g for g in received(s) if g["t"] <= t_end]
        if not got:
            raise RuntimeError(f"no status reached the stand-in: "
                               f"{d.stderr()[-2000:]}")
        first = min(g["t"] for g in got)
        rate = (len(got) - 1) / max(1e-9, t_end - first)
        idle.append(a)
        loaded.append(b)
        ratios.append(median(b) / median(a))
        counts.append(len(got))
        rates.append(rate)
        problems = check_statuses(got, commits, whole=False)
        if problems:
            note(f"WARNING: round {r + 1}: " + "; ".join(problems))
        note(f"round {r + 1}: idle median {median(a):.3f} ms p99 "
             f"{pct(a, 0.99):.3f} ms; loaded median {median(b):.3f} ms "
             f"p99 {pct(b, 0.99):.3f} ms (ratio {ratios[-1]:.2f}); "
             f"{STATUSES} webhooks in {hook_s[-1]:.2f} s "
             f"({STATUSES / hook_s[-1]:.0f}/s); the stand-in had "
             f"{len(got)} statuses at the end ({rate:.1f}/s); load "
             f"{loadavg()}")
        if r == ROUNDS - 1 and DRAIN:
            drain(d, s, address, commits, f"after-{r}")
        d.stop()
        all_got = {g["sha"] for g in received(s)}
        s.stop()
        left = left_in_outbox(state)
        if len(all_got) + left < STATUSES:
            lost += STATUSES - len(all_got) - left
            note(f"WARNING: round {r + 1}: {len(all_got)} statuses received "
                 f"+ {left} in the outbox < {STATUSES}")
        # A status on its way at the stop has arrived and is still in the
        # outbox: it would go again after a restart.
        note(f"round {r + 1} stopped (SIGTERM): {len(all_got)} statuses "
             f"received, {left} left in the outbox (both: "
             f"{len(all_got) + left - STATUSES})")
    note(f"dispatch round trip: {DISPATCHES} dispatches of new commits of "
         f"another repository, one every {PACE_S * 1000:.0f} ms on one "
         f"connection, idle then right after {STATUSES} webhooks queued "
         f"{STATUSES} statuses for a forge answering after "
         f"{STANDIN_DELAY_S * 1000:.0f} ms; figures: the median and worst "
         f"over {ROUNDS} rounds of each round's median and p99")
    for name, runs in (("idle", idle), ("loaded", loaded)):
        meds = [median(x) for x in runs]
        p99s = [pct(x, 0.99) for x in runs]
        figure(f"forges_dispatch_rtt_{name}_median_ms", median(meds), "ms")
        figure(f"forges_dispatch_rtt_{name}_median_worst_ms", max(meds),
               "ms")
        figure(f"forges_dispatch_rtt_{name}_p99_median_ms", median(p99s),
               "ms")
        figure(f"forges_dispatch_rtt_{name}_p99_worst_ms", max(p99s), "ms")
    figure("forges_dispatch_rtt_ratio_median", median(ratios), "x", 2)
    figure("forges_dispatch_rtt_ratio_worst", max(ratios), "x", 2)
    figure("forges_statuses_received_at_end_median", median(counts),
           "count", 0)
    figure("forges_statuses_drain_rate_median", median(rates), "per_s", 1)
    figure("forges_statuses_drain_rate_worst", min(rates), "per_s", 1)
    figure("forges_loaded_hooks_median_s", median(hook_s), "s", 2)
    figure("forges_statuses_lost", lost, "count", 0)
    err_summary(procs)


def drain(d, s, address, commits, tag):
    """Let the outbox drain whole; check every status; then (c), the
    dispatch round trip with the same store and an empty outbox."""
    t0 = time.monotonic()
    try:
        wait_for(lambda: len(received(s)) >= len(commits), "the drain",
                 timeout=max(120, 3 * len(commits) / 20), step=0.2)
    except RuntimeError:
        note(f"WARNING: after {time.monotonic() - t0:.0f} s more only "
             f"{len(received(s))} of {len(commits)} statuses arrived")
    time.sleep(STANDIN_DELAY_S * 2)     # the last ones answered
    got = received(s)
    first, last = min(g["t"] for g in got), max(g["t"] for g in got)
    rate = (len(got) - 1) / max(1e-9, last - first)
    problems = check_statuses(got, commits)
    note(f"last round drained: {len(got)} statuses in {last - first:.1f} s "
         f"({rate:.1f}/s); " + ("; ".join(problems) if problems else
                                "each commit exactly one pending ssci "
                                "status with the token"))
    figure("forges_statuses_full_drain_rate", rate, "per_s", 1)
    figure("forges_statuses_full_drain_problems", len(problems), "count", 0)
    c = dispatch_rtts(address, tag, DISPATCHES // 2, PACE_S)
    figure("forges_dispatch_rtt_drained_median_ms", median(c), "ms")
    figure("forges_dispatch_rtt_drained_p99_ms", pct(c, 0.99), "ms")


def main():
    tmp = workdir("forges")
    secret, token = secret_files(tmp)
    note(f"load at the start {loadavg()}")
    t0 = time.monotonic()
    hooks_to_queued(tmp, secret)
    note(f"webhook part took {time.monotonic() - t0:.0f} s")
    slow_forge(tmp, secret, token)
    note(f"load at the end {loadavg()}")


if __name__ == "__main__":
    sys.exit(main())

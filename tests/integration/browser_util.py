"""browser_util.py - what the web tests share: plain HTTP requests on
loopback (standard library only), a reader of the /api/events stream, a
test script that waits on gate files, and headless Chromium.

Despite the name it serves test_http.py and test_client.py too; the
browser part is at the end.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import urllib.parse

from harness import SsciTest

CHROMIUM = os.environ.get("SSCI_CHROMIUM", "/usr/bin/chromium")

# A test that announces itself, writes its pid, prints a line when the file
# step-$SSCI_JOB appears, and ends when release-$SSCI_JOB does (or after
# about 60 s, so a broken test cannot leave it behind). GATE is a folder.
SLOW_SCRIPT = r"""#!/bin/sh
gate='%(gate)s'
echo "job $SSCI_JOB started"
echo $$ > "$gate/pid-$SSCI_JOB"
%(extra)s
i=0
while [ $i -lt 1200 ]; do
    if [ -e "$gate/step-$SSCI_JOB" ] && [ ! -e "$gate/stepped-$SSCI_JOB" ]; then
        echo "step line of job $SSCI_JOB"
        : > "$gate/stepped-$SSCI_JOB"
    fi
    [ -e "$gate/release-$SSCI_JOB" ] && break
    sleep 0.05
    i=$((i + 1))
done
echo "job $SSCI_JOB released"
echo "1 passed, 0 failed"
exit %(exit)d
"""


def slow_script(gate, extra="", exit_code=0):
    return SLOW_SCRIPT % {"gate": gate, "extra": extra, "exit": exit_code}


def touch(gate, name, job):
    with open(os.path.join(gate, f"{name}-{job}"), "w"):
        pass


def request(base, path, method="GET", body=None, headers=None, timeout=10):
    """(status, {header: value} lower-cased, body bytes)."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port,
                                      timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return (resp.status, {k.lower(): v for k, v in resp.getheaders()},
                data)
    finally:
        conn.close()


def api(base, path, method="GET", body=None, headers=None):
    """(status, parsed JSON) of an API call; the reply must be JSON."""
    status, hdrs, data = request(base, path, method, body, headers)
    if not hdrs.get("content-type", "").startswith("application/json"):
        raise AssertionError(f"{method} {path}: {status} "
                             f"{hdrs.get('content-type')}: {data[:300]!r}")
    return status, json.loads(data)


def text(base, path):
    """(status, content type, text) of a GET."""
    status, hdrs, data = request(base, path)
    return status, hdrs.get("content-type", ""), data.decode("utf-8",
                                                             "replace")


def quote(s):
    return urllib.parse.quote(s, safe="")


class EventStream:
    """GET /api/events read by a thread; self.events holds (type, data)
    with data parsed from JSON, self.comments the ': ...' lines."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port,
                                               timeout=60)
        self.conn.request("GET", "/api/events")
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.content_type = self.resp.getheader("Content-Type", "")
        self.events, self.comments, self.errors = [], [], []
        self.closing = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        kind, data = None, []
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    return
                line = line.decode("utf-8").rstrip("\r\n")
                if line.startswith(":"):
                    with self.lock:
                        self.comments.append(line)
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
                elif line == "" and data:
                    with self.lock:
                        self.events.append((kind, json.loads("\n".join(
                            data))))
                    kind, data = None, []
        except (OSError, ValueError, http.client.HTTPException) as e:
            if self.closing:
                return
            with self.lock:
                self.errors.append(repr(e))

    def find(self, kind, **match):
        """Events of kind whose data has every key=value of match."""
        with self.lock:
            return [d for k, d in self.events if k == kind and
                    all(d.get(key) == v for key, v in match.items())]

    def log_text(self, job):
        return "".join(d.get("data", "") for d in self.find("log", id=job))

    def close(self):
        """Shut the socket (which ends the reader's read), then close."""
        self.closing = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(10)
        self.conn.close()


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return re.sub(r"^.*\) ", "", f.read())[0] != "Z"
    except FileNotFoundError:
        return False


def huge_post(base, size):
    """POST a body of size bytes; the status line's code (0 if none)."""
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /api/dispatch HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: "
                  + str(size).encode() + b"\r\n\r\n")
        try:
            s.sendall(b"{" + b" " * (size - 2) + b"}")
        except OSError:
            pass  # the server may answer and close before reading it all
        reply = b""
        try:
            while b"\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except OSError:
            pass
    m = re.match(rb"HTTP/1\.[01] (\d+)", reply)
    return int(m.group(1)) if m else 0



def metrics(base):
    """(status, content type, {sample: value}) of /metrics."""
    status, ctype, body = text(base, "/metrics")
    samples = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return status, ctype, samples


class WebTest(SsciTest):
    """A dispatcher with its HTTP side (self.d, self.url), a runner, and a
    folder of gate files (self.gate) for slow_script."""

    def setUp(self):
        super().setUp()
        self.gate = os.path.join(self.tmp, "gate")
        os.makedirs(self.gate)

    def system(self, runner=True):
        self.d = self.dispatcher(http=True)
        self.url = self.d.http_url
        if runner:
            self.runner(self.d, "r1")
        return self.d

    def dispatch(self, repo, commit, branch="main", **more):
        return api(self.url, "/api/dispatch", "POST",
                   {"repo": repo, "commit": commit, "branch": branch, **more})

    def job(self, job_id):
        status, job = api(self.url, f"/api/jobs/{job_id}")
        self.assertEqual(status, 200, job)
        return job

    def wait_state(self, job_id, *states):
        return self.wait_for(lambda: (lambda j: j if j["state"] in states
                                      else None)(self.job(job_id)),
                             f"job {job_id} to be {'/'.join(states)}")

    def slow_repo(self, extra="", exit_code=0):
        repo = self.make_repo()
        commit = self.commit(repo, "slow test", {
            ".ssci/test": slow_script(self.gate, extra, exit_code)})
        return repo, commit


# --- headless Chromium -----------------------------------------------------

def chromium_argv(profile, *extra):
    """Chromium that talks to nobody but 127.0.0.1."""
    return [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-default-apps", "--disable-extensions",
            "--disable-dev-shm-usage", "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}", *extra]


def chromium(url, *extra, timeout=90):
    """Run Chromium once on a loopback url; its CompletedProcess."""
    if not url.startswith("http://127.0.0.1:"):
        raise AssertionError(f"Chromium may load only loopback: {url}")
    profile = tempfile.mkdtemp(prefix="ssci-chromium-")
    argv = chromium_argv(profile, *extra, url)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, text=True,
                            errors="replace", stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        out, err = "", "timed out"
    finally:
        try:  # its own process group: Chromium and the helpers it started
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def dump_dom(url):
    """The DOM of url after its scripts ran, as HTML text."""
    proc = chromium(url, "--virtual-time-budget=3000", "--dump-dom")
    if proc.returncode != 0 or "<html" not in proc.stdout:
        raise AssertionError(f"chromium --dump-dom {url}: exit "
                             f"{proc.returncode}\n{proc.stderr[-2000:]}")
    return proc.stdout


def screenshot(url, path):
    """A 1280x1000 PNG of url at path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)
    proc = chromium(url, "--virtual-time-budget=3000",
                    "--window-size=1280,1000", f"--screenshot={path}")
    if not os.path.exists(path):
        raise AssertionError(f"chromium --screenshot {url}: exit "
                             f"{proc.returncode}\n{proc.stderr[-2000:]}")
    return path

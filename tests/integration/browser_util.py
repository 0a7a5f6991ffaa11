# SPDX-License-Identifier: MIT
"""browser_util.py - what the web tests share: a dispatcher with its HTTP
side, a test script that waits on gate files, and headless Chromium.
(HTTP requests and the event stream are harness's http() and
EventStream.)

Despite the name it serves test_http.py and test_client.py too; the
browser part is at the end.
"""
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import select
import tempfile
import time

from harness import SsciTest, http_json

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


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return re.sub(r"^.*\) ", "", f.read())[0] != "Z"
    except FileNotFoundError:
        return False


class WebTest(SsciTest):
    """A dispatcher with its HTTP side (self.d, self.url), a runner, and a
    folder of gate files (self.gate) for slow_script."""

    def setUp(self):
        super().setUp()
        self.gate = os.path.join(self.tmp, "gate")
        os.makedirs(self.gate)

    def start_system(self, runner=True):
        self.d = self.dispatcher(http=True)
        self.url = self.d.http_url
        if runner:
            self.runner(self.d, "r1")
        return self.d

    def dispatch(self, repo, commit, branch="main", **more):
        """POST /api/dispatch; (status, parsed answer)."""
        return http_json(self.url, "/api/dispatch", "POST",
                         {"repo": repo, "commit": commit, "branch": branch,
                          **more})

    def job(self, job_id):
        status, job = http_json(self.url, f"/api/jobs/{job_id}")
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

class Browser:
    """Headless Chromium driven over --remote-debugging-pipe: the DevTools
    protocol as JSON messages ending in NUL, commands on its fd 3, replies
    and events on its fd 4.  (--dump-dom with --virtual-time-budget never
    returns on these pages: their event stream stays open, so virtual time
    never runs out.)  Every request the page makes is paused and let
    through only to origin (or data:); others fail and land in blocked.
    A JavaScript dialog (alert) is answered and recorded in dialogs."""

    def __init__(self, origin, width=1280, height=1000, timeout=60):
        if not origin.startswith("http://127.0.0.1:"):
            raise AssertionError(f"Chromium may load only loopback: {origin}")
        self.origin, self.timeout = origin, timeout
        self.profile = tempfile.mkdtemp(prefix="ssci-chromium-")
        cmd_r, self.cmd_w = os.pipe()
        self.out_r, out_w = os.pipe()
        argv = ["/bin/bash", "-c", f'exec "$0" "$@" 3<&{cmd_r} 4>&{out_w}',
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions",
                "--disable-dev-shm-usage", "--hide-scrollbars",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
                f"--window-size={width},{height}", "about:blank"]
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, pass_fds=(cmd_r, out_w),
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.err, start_new_session=True)
        os.close(cmd_r)
        os.close(out_w)
        self.buf, self.next_id, self.replies = b"", 0, {}
        self.events, self.requests, self.blocked, self.dialogs = [], [], [], []
        self.session = None
        target = self.call("Target.createTarget", url="about:blank")
        self.session = self.call("Target.attachToTarget", flatten=True,
                                 targetId=target["targetId"])["sessionId"]
        for method in ("Page.enable", "Network.enable", "Runtime.enable"):
            self.call(method)
        self.call("Fetch.enable", patterns=[{"urlPattern": "*"}])
        self.call("Emulation.setDeviceMetricsOverride", width=width,
                  height=height, deviceScaleFactor=1, mobile=False)

    def send(self, method, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def call(self, method, **params):
        """Send a command and wait for its result."""
        n = self.send(method, **params)
        self.pump(lambda: n in self.replies, method)
        reply = self.replies.pop(n)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def pump(self, done, what):
        """Read messages, answering paused requests and dialogs, until
        done() is true."""
        deadline = time.monotonic() + self.timeout
        while not done():
            while b"\0" not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.out_r], [], [],
                                                  left)[0]:
                    raise AssertionError(f"Chromium: timed out: {what}\n"
                                         f"{self.stderr()[-2000:]}")
                chunk = os.read(self.out_r, 1 << 16)
                if not chunk:
                    raise AssertionError(f"Chromium ended: {what}\n"
                                         f"{self.stderr()[-2000:]}")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            self.handle(json.loads(raw))

    def handle(self, msg):
        if "id" in msg:
            self.replies[msg["id"]] = msg
            return
        method, params = msg.get("method"), msg.get("params", {})
        self.events.append((method, params))
        if method == "Fetch.requestPaused":
            url = params["request"]["url"]
            self.requests.append(url)
            if url.startswith(self.origin + "/") or url.startswith("data:"):
                self.send("Fetch.continueRequest",
                          requestId=params["requestId"])
            else:
                self.blocked.append(url)
                self.send("Fetch.failRequest", requestId=params["requestId"],
                          errorReason="BlockedByClient")
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(params.get("message"))
            self.send("Page.handleJavaScriptDialog", accept=True)

    def answered(self, path):
        """How many requests to origin+path (any query) were answered:
        loaded in full, or for the endless event stream, its headers."""
        url = self.origin + path
        ids = {p["requestId"] for m, p in self.events
               if m == "Network.requestWillBeSent" and
               (p["request"]["url"] == url or
                p["request"]["url"].startswith(url + "?"))}
        end = ("Network.responseReceived" if path == "/api/events" else
               "Network.loadingFinished")
        return sum(1 for m, p in self.events
                   if m == end and p.get("requestId") in ids)

    def open(self, path, *wait_for):
        """Load origin+path; wait for its load event and for a response
        to each (path, count) of wait_for (requests of its scripts)."""
        self.events.clear()
        self.call("Page.navigate", url=self.origin + path)
        self.pump(lambda: any(m == "Page.loadEventFired"
                              for m, _ in self.events), f"load {path}")
        for want, count in wait_for:
            self.pump(lambda: self.answered(want) >= count,
                      f"{count} responses to {want}")
        # Let the tasks those responses queued run before looking.
        self.evaluate("new Promise(r => setTimeout(r, 0))", True)

    def evaluate(self, expr, await_promise=False):
        result = self.call("Runtime.evaluate", expression=expr,
                           returnByValue=True, awaitPromise=await_promise)
        return result["result"].get("value")

    def dom(self):
        return self.evaluate("document.documentElement.outerHTML")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            f.write(base64.b64decode(data))
        os.replace(path + ".tmp", path)

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")

    def close(self):
        try:
            self.send("Browser.close")
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        try:  # its own process group: Chromium and the helpers it started
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.close(self.cmd_w)
        os.close(self.out_r)
        self.err.close()
        shutil.rmtree(self.profile, ignore_errors=True)

# SPDX-License-Identifier: MIT
"""Manual runs and triggers (issue 17): "ssci run REPO BRANCH NAME=VALUE",
POST /api/run and a branch page's Run form queue the branch's tip again,
high priority, triggered "manual by ...", with the parameters in its
test's environment (over a plan's own variable of that name); the job's
page shows them escaped; bad names are refused by the client, the
dispatcher and the runner, each saying which; a branch without a commit
has none to run; and dispatches say what sent them (hook, observer,
api) and how soon they go (notify --priority)."""
import json
import os
import re
import socket
import unittest
import urllib.parse

from browser_util import CHROMIUM, Browser
from harness import SsciTest, git, http, http_json, parse_html

# The test prints what it was given: a value never passes a shell.
SHOW = ("#!/bin/sh\nprintf 'A=[%s]\\n' \"$A\"\nprintf 'B=[%s]\\n' \"$B\"\n"
        "printf 'V=[%s]\\n' \"${V-unset}\"\necho '1 passed, 0 failed'\n")
PLAN = """\
jobs:
  show:
    run: printf 'A=[%s] K=[%s]\\n' "$A" "$K"
    env: {A: from-plan, K: kept}
"""


class ManualBase(SsciTest):
    """A dispatcher with its web side, a runner, and a repository whose
    tip (self.tip, on main) a hook has reported and a runner tested."""

    def setUp(self):
        super().setUp()
        self.d = self.dispatcher(http=True)
        self.url = self.d.http_url
        self.repo = self.make_repo()
        self.tip = self.commit(self.repo, "show", {".ssci/test": SHOW})
        self.runner(self.d, "r1", clone=self.clone(self.repo, "r1-clone"))
        proc = self.notify(self.d, self.repo, self.tip)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.first = self.wait_jobs(self.d, 1)[0]

    def job(self, job_id):
        status, job = http_json(self.url, f"/api/jobs/{job_id}")
        self.assertEqual(status, 200, job)
        return job

    def finished(self, job_id):
        return self.wait_for(lambda: (lambda j: j if j["state"] in (
            "passed", "failed", "error") else None)(self.job(job_id)),
            f"job {job_id} to finish")

    def log(self, job_id):
        status, log = http_json(self.url, f"/api/jobs/{job_id}/log")
        self.assertEqual(status, 200, log)
        return log["data"]

    def run_cmd(self, *args):
        return self.ssci("run", "--dispatcher-server", self.d.address, *args)

    def count(self):
        return len(self.d.jobs())


class ManualRunTest(ManualBase):
    def test_run_with_parameters(self):
        self.assertEqual((self.first["trigger"], self.first["priority"],
                          self.first["params"]), ("hook", "normal", None))
        proc = self.run_cmd(self.repo, "main", "A=1", "B=two words", "V=")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        m = re.fullmatch(r"job (\d+) queued: a run of main at (\w{12})\n",
                         proc.stdout)
        self.assertTrue(m, proc.stdout)
        self.assertEqual(m.group(2), self.tip[:12])
        job = self.finished(int(m.group(1)))
        self.assertEqual(job["state"], "passed", self.log(job["id"]))
        self.assertEqual((job["commit"], job["branch"]), (self.tip, "main"))
        self.assertRegex(job["trigger"],
                         r"^manual by a client at 127\.0\.0\.1:\d+$")
        self.assertEqual(job["priority"], "high")
        self.assertEqual(job["params"], {"A": "1", "B": "two words",
                                         "V": ""})
        self.assertNotEqual(job["pipeline"], self.first["pipeline"])
        log = self.log(job["id"])
        self.assertIn("A=[1]\nB=[two words]\nV=[]\n", log)
        self.wait_for(lambda: "B=[two words]" in (self.d.result(self.tip) or
                                                   ""), "the results file")
        # The protocol's show says the same; --json prints the answer.
        proc = self.run_cmd("--json", self.repo, "main")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        answer = json.loads(proc.stdout)
        self.assertEqual((answer["type"], answer["commit"]),
                         ("ok", self.tip))
        plain = self.finished(answer["job"])
        self.assertEqual(plain["params"], None)
        self.assertIn("A=[]\nB=[]\nV=[unset]\n", self.log(plain["id"]))

    def test_job_page_escapes_everything(self):
        value = "<script>alert('x')</script> & \"q\""
        proc = self.run_cmd(self.repo, "main", f"V={value}", "A=<b>")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job_id = int(proc.stdout.split()[1])
        self.finished(job_id)
        page = http(self.url, f"/jobs/{job_id}")
        self.assertEqual(page.status, 200)
        text = page.body.decode()
        self.assertNotIn("<script>alert", text)
        self.assertNotIn("<b>", text)
        self.assertIn("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; "
                      "&amp; &quot;q&quot;", text)
        tree = parse_html(text)
        self.assertRegex(tree.one("dd", "trigger").text(),
                         r"^manual by a client at 127\.0\.0\.1:\d+$")
        self.assertEqual(tree.one("dd", "priority").text(), "high")
        rows = [(r.one("th").text(), r.one("td", "value").text())
                for r in tree.one("table", "params").find_all("tr")]
        self.assertEqual(rows, [("A", "<b>"), ("V", value)])
        # A push's page has neither priority nor parameters.
        tree = parse_html(http(self.url, f"/jobs/{self.first['id']}")
                          .body.decode())
        self.assertEqual(tree.one("dd", "trigger").text(), "hook")
        self.assertEqual(list(tree.find_all("dd", "priority")), [])
        self.assertEqual(list(tree.find_all("table", "params")), [])

    def test_bad_parameters_are_refused(self):
        cases = [
            ("1X=2", "parameter '1X' is not a variable name"),
            ("PATH=/x", "parameter 'PATH' is reserved"),
            ("SSCI_Y=1", "parameter 'SSCI_Y' is reserved: no parameter "
             "may start with SSCI_"),
            ("LD_PRELOAD=/x.so", "parameter 'LD_PRELOAD' is reserved: no "
             "parameter may start with LD_"),
            ("NOVALUE", "parameter 'NOVALUE' is not NAME=VALUE"),
            ("A-B=1", "parameter 'A-B' is not a variable name"),
        ]
        for word, want in cases:
            proc = self.run_cmd(self.repo, "main", "A=1", word)
            self.assertEqual(proc.returncode, 2, (word, proc.stderr))
            self.assertIn(f"ssci: {want}", proc.stderr)
            self.assertEqual(proc.stderr.count("\n"), 1, proc.stderr)
        proc = self.run_cmd(self.repo, "main", "A=1", "A=2")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("parameter 'A' is given twice", proc.stderr)
        proc = self.run_cmd(self.repo, "main", *[f"P{i}=x" for i in
                                                 range(33)])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("33 parameters: at most 32 are allowed", proc.stderr)
        proc = self.run_cmd(self.repo)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("usage: ssci run", proc.stderr)
        # A client that does not check: the dispatcher does.
        for params, want in [({"PATH": "/x"}, "parameter 'PATH' is "
                              "reserved"),
                             ({"A": 1}, "parameter 'A' must have a string"),
                             ({"X": "v" * 4097}, "longer than 4096 bytes"),
                             ("A=1", "field 'params' must be an object")]:
            reply = self.d.query({"type": "run", "repo": self.repo,
                                  "branch": "main", "params": params})
            self.assertEqual(reply["type"], "error", reply)
            self.assertEqual(reply["code"], "bad_field")
            self.assertIn(want, reply["message"])
        self.assertEqual(self.count(), 1, "nothing was queued")

    def test_no_commit_yet(self):
        proc = self.run_cmd(self.repo, "feature", "A=1")
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stderr, f"ssci: no commit of feature of "
                         f"{self.repo} is known yet: notify one first\n")
        reply = self.d.query({"type": "run", "repo": self.repo + "-other",
                              "branch": "main"})
        self.assertEqual(reply["code"], "no_commit", reply)
        self.assertEqual(self.count(), 1)

    def test_api_run(self):
        status, answer = http_json(self.url, "/api/run", "POST", {
            "repo": self.repo, "branch": "main",
            "params": {"B": "from the api", "A": "2"}})
        self.assertEqual(status, 201, answer)
        self.assertEqual((answer["state"], answer["commit"],
                          answer["existing"]), ("queued", self.tip, False))
        job = self.finished(answer["job"])
        self.assertEqual(job["trigger"], "manual by the web, from 127.0.0.1")
        self.assertEqual(job["priority"], "high")
        self.assertEqual(job["params"], {"A": "2", "B": "from the api"})
        self.assertIn("A=[2]\nB=[from the api]\n", self.log(job["id"]))
        bad = [
            ({"repo": self.repo, "branch": "main", "params": {"IFS": "x"}},
             400, "bad_field", "parameter 'IFS' is reserved"),
            ({"repo": self.repo, "branch": "main", "params": "A=1"},
             400, "bad_field", "field 'params' must be an object"),
            ({"repo": self.repo, "branch": "main",
              "params": {f"P{i}": "x" for i in range(33)}},
             400, "bad_field", "at most 32 are allowed"),
            ({"repo": self.repo}, 400, "bad_field",
             "missing field 'branch'"),
            ({"repo": self.repo, "branch": "nope"}, 404, "no_commit",
             "no commit of nope of"),
        ]
        for body, want_status, code, message in bad:
            status, answer = http_json(self.url, "/api/run", "POST", body)
            self.assertEqual((status, answer["error"]["code"]),
                             (want_status, code), answer)
            self.assertIn(message, answer["error"]["message"])
        self.assertEqual(self.count(), 2)

    def test_api_dispatch_trigger_and_priority(self):
        c = self.commit(self.repo, "more")
        status, answer = http_json(self.url, "/api/dispatch", "POST", {
            "repo": self.repo, "commit": c, "branch": "main",
            "priority": "urgent"})
        self.assertEqual((status, answer["error"]["code"]),
                         (400, "bad_field"))
        self.assertEqual(answer["error"]["message"], "field 'priority' must "
                         "be high, normal or low, not 'urgent'")
        status, answer = http_json(self.url, "/api/dispatch", "POST", {
            "repo": self.repo, "commit": c, "branch": "main",
            "priority": "low"})
        self.assertEqual(status, 201, answer)
        job = self.job(answer["job"])
        self.assertEqual((job["trigger"], job["priority"]), ("api", "low"))

    def test_notify_priority(self):
        c = self.commit(self.repo, "urgent")
        proc = self.notify(self.d, self.repo, "--priority", "high", c)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job = self.job(int(proc.stdout.split()[2]))
        self.assertEqual((job["trigger"], job["priority"]), ("hook", "high"))
        proc = self.notify(self.d, self.repo, "--priority", "urgent", c)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("urgent", proc.stderr)
        # A branch's own priority when none is asked for: pull requests
        # wait behind the others.
        c = self.commit(self.repo, "a pull request's")
        proc = self.notify(self.d, self.repo, "--branch", "pr/7", c)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job = self.job(int(proc.stdout.split()[2]))
        self.assertEqual((job["trigger"], job["priority"]), ("hook", "low"))

    def test_observer_trigger(self):
        self.observer(self.d, self.clone(self.repo, "watched"))
        c = self.commit(self.repo, "observed")
        job = self.wait_for(lambda: next((j for j in self.d.jobs()
                                          if j["commit"] == c), None),
                            "the observer's dispatch")
        self.assertEqual(job["trigger"], "observer")

    def test_parameters_win_over_the_plan(self):
        c = self.commit(self.repo, "plan", {".ssci.yml": PLAN})
        self.notify(self.d, self.repo, c)
        self.wait_for(lambda: len([j for j in self.d.jobs()
                                   if j["commit"] == c and j["state"] ==
                                   "passed"]) == 1, "the planned pipeline")
        proc = self.run_cmd(self.repo, "main", "A=manual")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        first = int(proc.stdout.split()[1])
        job = self.wait_for(lambda: next(
            (j for j in self.d.jobs() if j["pipeline"] == first and
             j["name"] == "show" and j["state"] == "passed"), None),
            "the planned job of the manual run")
        self.assertEqual(job["params"], {"A": "manual"})
        self.assertIn("A=[manual] K=[kept]", self.log(job["id"]))


class RunnerChecksAgain(SsciTest):
    """The runner trusts no dispatcher: a job whose parameters it would
    not set ends as error, saying which, before anything runs."""

    def test_refused_parameter_fails_the_job(self):
        repo = self.make_repo()
        commit = self.commit(repo, "show", {".ssci/test": SHOW})
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)
        listener.settimeout(30)
        port = listener.getsockname()[1]
        self.start("runner", "runner", "--dispatcher-server",
                   f"127.0.0.1:{port}", "--name", "r", "--work-dir",
                   os.path.join(self.tmp, "work"), self.clone(repo, "c"))
        sock, _ = listener.accept()
        self.addCleanup(sock.close)
        sock.settimeout(30)
        lines = sock.makefile("rb")

        def read():
            msg = json.loads(lines.readline())
            if msg["type"] == "ping":
                return read()
            return msg

        def send(msg):
            sock.sendall(json.dumps(msg).encode() + b"\n")

        self.assertEqual(read()["type"], "hello")
        send({"type": "ok"})
        self.assertEqual(read()["type"], "register")
        send({"type": "ok"})
        send({"type": "job", "id": 7, "repo": repo, "commit": commit,
              "branch": "main", "timeout": 60, "attempt": 1,
              "params": {"A": "1", "LD_PRELOAD": "/tmp/x.so"}})
        said = []
        while True:
            msg = read()
            said.append(msg)
            if msg["type"] == "result":
                break
        send({"type": "ok"})
        self.assertEqual(said[0], {"type": "accepted", "id": 7})
        result = said[-1]
        self.assertEqual(result["status"], "error", said)
        self.assertIn("parameter 'LD_PRELOAD' is reserved",
                      result["message"])
        log = "".join(m["data"] for m in said if m["type"] == "log")
        self.assertIn("ssci: refused to run it: parameter 'LD_PRELOAD' is "
                      "reserved", log)
        self.assertNotIn("A=[", log, "the test never ran")


@unittest.skipUnless(os.access(CHROMIUM, os.X_OK), "no Chromium")
class RunForm(ManualBase):
    """The branch page's Run form, in headless Chromium: its lines become
    the parameters, and it leads to the new job's page."""

    def test_run_form(self):
        browser = Browser(self.url)
        self.addCleanup(browser.close)
        path = ("/history/" + urllib.parse.quote(self.repo, safe="") +
                "/main")
        browser.open(path)
        self.assertEqual(browser.evaluate(
            "document.querySelector('#run-form code.sha').textContent"),
            self.tip[:7])
        # A bad name: the dispatcher's refusal, shown, and no new job.
        browser.evaluate("document.getElementById('run-params').value = "
                         "'PATH=/x'; document.querySelector('#run-form "
                         "button.run').click()")
        browser.pump(lambda: browser.answered("/api/run") >= 1, "a run")
        error = self.wait_for(lambda: browser.evaluate(
            "document.getElementById('run-error').textContent"),
            "the refusal shown")
        self.assertIn("parameter 'PATH' is reserved", error)
        self.assertEqual(self.count(), 1)
        browser.events.clear()
        browser.evaluate("document.getElementById('run-params').value = "
                         "'A=from the form\\n\\nB=<i>x</i>'; "
                         "document.querySelector('#run-form button.run')"
                         ".click()")
        browser.pump(lambda: any(m == "Page.loadEventFired"
                                 for m, _ in browser.events),
                     "the new job's page")
        job_id = int(browser.evaluate("location.pathname").rsplit("/", 1)[1])
        job = self.finished(job_id)
        self.assertEqual(job["params"], {"A": "from the form",
                                         "B": "<i>x</i>"})
        self.assertEqual(job["trigger"], "manual by the web, from 127.0.0.1")
        self.assertIn("A=[from the form]\nB=[<i>x</i>]\n", self.log(job_id))


if __name__ == "__main__":
    unittest.main()

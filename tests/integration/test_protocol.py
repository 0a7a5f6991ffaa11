# SPDX-License-Identifier: MIT
"""The dispatcher's wire protocol spoken over a raw socket: hello first,
every request answered, bad input refused without changing anything, a
peer sending garbage cut off while the others are served."""
import json
import os

from harness import SsciTest, git, hello, http

HELLO = hello()
MIB = 1024 * 1024


class TestProtocol(SsciTest):
    def setUp(self):
        super().setUp()
        self.repo = self.make_repo("master")
        self.head = git(self.repo, "rev-parse", "HEAD")
        self.d = self.dispatcher()

    def client(self, hello=HELLO):
        """A Client to the dispatcher that said hello (if given) and was
        answered ok."""
        c = self.connect(self.d, hello=False)
        if hello is not None:
            self.assertEqual(c.request(hello), {"type": "ok"})
        return c

    def error(self, c, msg, code=None):
        """msg must be answered on c with an error (of this code)."""
        reply = c.request(msg)
        self.assertEqual(reply.get("type"), "error", (msg, reply))
        self.assertIsInstance(reply.get("code"), str, reply)
        self.assertIsInstance(reply.get("message"), str, reply)
        if code is not None:
            self.assertEqual(reply["code"], code, (msg, reply))
        return reply

    def dispatch(self, commit=None, **fields):
        msg = {"type": "dispatch", "repo": self.repo, "commit": self.head,
               "branch": "main"}
        if commit is not None:
            msg["commit"] = commit
        return dict(msg, **fields)

    def assert_nothing_changed(self, before):
        self.assertEqual(self.d.jobs(), [])
        results = self.d.results_dir
        self.assertEqual(os.listdir(results) if os.path.isdir(results)
                         else [], [])
        stray = {f for f in self.tree() - before
                 if not f.startswith("dispatcher-state" + os.sep)}
        self.assertEqual(stray, set(), "no file written outside the state")

    def tree(self):
        return {os.path.relpath(os.path.join(p, f), self.tmp)
                for p, _, fs in os.walk(self.tmp) for f in fs}

    def test_dispatch_and_repeat(self):
        c = self.client()
        first = c.request(self.dispatch())
        self.assertEqual(first, {"type": "ok", "job": first["job"],
                                 "state": "queued", "existing": False})
        again = c.request(self.dispatch())
        self.assertEqual((again["job"], again["existing"]),
                         (first["job"], True))
        self.assertEqual(len(self.d.jobs()), 1)

    def test_a_burst_answered_whole_and_in_order(self):
        """Many dispatches in one write (read by the dispatcher in one piece
        or several): each is answered, in the order sent, and another client
        is served meanwhile."""
        c = self.client()
        other = self.client()
        commits = [f"{i:040x}" for i in range(1, 41)]
        c.send_bytes(b"".join(json.dumps(self.dispatch(x)).encode() + b"\n"
                              for x in commits))
        self.assertEqual(other.request({"type": "status"})["type"], "ok")
        jobs = [c.recv() for _ in commits]
        self.assertEqual([j["type"] for j in jobs], ["ok"] * len(commits))
        self.assertEqual([j["job"] for j in jobs],
                         sorted(j["job"] for j in jobs))
        self.assertEqual(sorted(j["commit"] for j in self.d.jobs()),
                         commits)

    def test_a_burst_synced_once_a_read(self):
        """A burst of dispatches is kept through a power cut by one wait
        for the disk for all that one read brought, not one a commit: 40
        dispatches in one write (one read, or a few if the kernel hands
        them over in pieces) cost a few syncs; then each dispatch alone
        costs one."""
        self.d = self.dispatcher("d-http", http=True)
        c = self.client()

        def syncs():
            for line in http(self.d.http_url, "/metrics").text().splitlines():
                if line.startswith("ssci_store_syncs_total "):
                    return int(line.split()[1])
            self.fail("no ssci_store_syncs_total in /metrics")

        before = syncs()
        commits = [f"{i:040x}" for i in range(1, 41)]
        c.send_bytes(b"".join(json.dumps(self.dispatch(x)).encode() + b"\n"
                              for x in commits))
        self.assertEqual([c.recv()["type"] for _ in commits],
                         ["ok"] * len(commits))
        burst = syncs() - before
        self.assertGreaterEqual(burst, 1)
        self.assertLessEqual(burst, 10, "one sync a read, not a commit")
        for x in range(41, 44):
            self.assertEqual(c.request(self.dispatch(f"{x:040x}"))["type"],
                             "ok")
        self.assertEqual(syncs() - before, burst + 3)
        self.assertEqual(len(self.d.jobs()), 43)

    def test_hello_first(self):
        before = self.tree()
        c = self.client(hello=None)
        self.error(c, self.dispatch(), "bad_state")
        self.error(c, {"type": "status"})
        self.assertEqual(c.request(HELLO), {"type": "ok"})
        self.error(c, HELLO)  # only once
        self.assert_nothing_changed(before)

    def test_bad_hello_is_refused_and_closed(self):
        bad = [dict(HELLO, version=2), dict(HELLO, version="1"),
               dict(HELLO, role="overlord"), {"type": "hello", "version": 1}]
        for hello in bad:
            c = self.client(hello=None)
            reply = self.error(c, hello)
            if hello.get("version") == 2:
                self.assertEqual(reply["code"], "bad_version")
            self.assertTrue(c.closed(), f"closed after refusing {hello}")

    def test_bad_requests_change_nothing(self):
        before = self.tree()
        outside = [os.path.join(os.path.dirname(self.tmp), name)
                   for name in ("x", "--upload-pack=x")]
        existed = [os.path.exists(p) for p in outside]
        cases = [b"{not json", b"[]", b'"dispatch"', b"null",
                 b'{"type":"dispatch","repo":"/x","commit":"\xff\xfe"}',
                 {"type": "frobnicate"}, {"type": 7}, {"repo": self.repo},
                 {"type": "dispatch", "repo": self.repo},
                 {"type": "dispatch", "commit": self.head},
                 self.dispatch(commit=12345), self.dispatch(repo=["/x"]),
                 self.dispatch(branch=3), self.dispatch(rebuild="yes"),
                 self.dispatch(commit="../../x"),
                 self.dispatch(commit="--upload-pack=x"),
                 self.dispatch(commit=""), self.dispatch(commit="a" * 39),
                 self.dispatch(commit="g" * 40),
                 self.dispatch(commit=self.head + "\n"),
                 self.dispatch(commit="../../" + self.head),
                 self.dispatch(repo=""), self.dispatch(repo="--upload-pack=x"),
                 self.dispatch(repo="/x\n--upload-pack=x"),
                 self.dispatch(branch="--force"),
                 self.dispatch(branch="../../x"),
                 {"type": "register", "name": "sneaky", "slots": 1},
                 {"type": "result", "id": 1, "status": "passed"},
                 {"type": "log", "id": 1, "data": "x"},
                 {"type": "accepted", "id": 1}]
        for case in cases:
            c = self.client()
            self.error(c, case)
            self.assertEqual(c.request({"type": "status"})["type"], "ok",
                             f"still served after {case!r}")
        self.assert_nothing_changed(before)
        self.assertEqual([os.path.exists(p) for p in outside], existed)

    def test_register_needs_runner_role(self):
        for role in ("client", "observer"):
            c = self.client(dict(HELLO, role=role))
            self.error(c, {"type": "register", "name": "x", "slots": 1},
                       "bad_role")
        self.assertEqual(self.client().request(
            {"type": "status"})["runners"], [])

    def test_line_just_under_limit_is_answered(self):
        c = self.client()
        msg = {"type": "status", "pad": ""}
        msg["pad"] = "x" * (MIB - len(json.dumps(msg)) - 16)
        self.assertEqual(c.request(msg)["type"], "ok")

    def test_line_over_limit_is_refused_then_closed(self):
        for tail in (b"\n", b""):
            c = self.client()
            c.send_bytes(b'{"type":"status","pad":"' + b"x" * MIB +
                         b'"}' + tail)
            reply = c.recv()
            self.assertIsNotNone(reply, "a reply before the close")
            self.assertEqual((reply["type"], reply["code"]),
                             ("error", "too_long"))
            self.assertTrue(c.closed())
        self.assertEqual(self.client().request(
            {"type": "status"})["type"], "ok")

    def test_garbage_peer_cut_off_other_peer_served(self):
        good = self.client()
        bad = self.client()
        for i in range(12):
            try:
                bad.send(b"garbage %d" % i)
            except (BrokenPipeError, ConnectionResetError):
                break
            if i % 3 == 0:
                self.assertEqual(good.request({"type": "status"})["type"],
                                 "ok")
        replies = bad.drain()
        self.assertIsNotNone(replies, "the garbage peer is disconnected")
        self.assertEqual({r["type"] for r in replies}, {"error"})
        self.assertGreaterEqual(len(replies), 1)
        self.assertLessEqual(len(replies), 11)
        reply = good.request(self.dispatch())
        self.assertEqual((reply["type"], reply["state"]), ("ok", "queued"))
        self.assertEqual(len(self.d.jobs()), 1)
        self.assertTrue(self.d.alive())

    def test_status(self):
        c = self.client()
        status = c.request({"type": "status"})
        self.assertEqual((status["type"], status["queued"], status["runners"]),
                         ("ok", 0, []))
        second = self.commit(self.repo, "two")
        for commit in (self.head, second):
            self.assertEqual(c.request(self.dispatch(commit))["type"], "ok")
        self.assertEqual(c.request({"type": "status"})["queued"], 2)
        self.runner(self.d, "r1", clone=self.clone(self.repo, "run"))
        self.wait_jobs(self.d, 2)
        status = c.request({"type": "status"})
        self.assertEqual(status["queued"], 0)
        self.assertEqual([(r["name"], r["slots"], r["busy"])
                          for r in status["runners"]], [("r1", 1, 0)])
        self.assertEqual(status.get("running"), [])

    def test_runner_labels_kept_and_shown(self):
        raw = self.client(dict(HELLO, role="runner"))
        self.error(raw, {"type": "register", "name": "x",
                         "labels": ["-bad"]}, "bad_field")
        self.error(raw, {"type": "register", "name": "x",
                         "labels": ["a"] * 65}, "bad_field")
        self.assertEqual(raw.request({"type": "register", "name": "raw",
                                      "labels": ["gpu", "linux"]}),
                         {"type": "ok"})
        self.runner(self.d, "r1", args=("--label", "arm64",
                                        "--label", "big disk"))
        c = self.client()
        runners = c.request({"type": "status"})["runners"]
        self.assertEqual(sorted((r["name"], r["labels"]) for r in runners),
                         [("r1", ["arm64", "big disk"]),
                          ("raw", ["gpu", "linux"])])
        p = self.ssci("runner", "--label", "-x")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("invalid --label '-x'", p.stderr)

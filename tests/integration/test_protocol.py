# SPDX-License-Identifier: MIT
"""The dispatcher's wire protocol spoken over a raw socket: hello first,
every request answered, bad input refused without changing anything, a
peer sending garbage cut off while the others are served."""
import json
import os
import socket

from harness import DEADLINE, SsciTest, git

HELLO = {"type": "hello", "role": "client", "version": 1}
MIB = 1024 * 1024


class Client:
    def __init__(self, test, d, hello=HELLO):
        self.test = test
        self.sock = socket.create_connection(("127.0.0.1", d.port))
        self.sock.settimeout(DEADLINE)
        self.file = self.sock.makefile("rb")
        test.addCleanup(self.close)
        if hello is not None:
            test.assertEqual(self.request(hello), {"type": "ok"})

    def close(self):
        self.file.close()
        self.sock.close()

    def send(self, msg):
        line = msg if isinstance(msg, bytes) else json.dumps(msg).encode()
        self.sock.sendall(line + b"\n")

    def recv(self):
        line = self.file.readline()
        self.test.assertTrue(line.endswith(b"\n"), f"a reply, got {line!r}")
        return json.loads(line)

    def request(self, msg):
        self.send(msg)
        return self.recv()

    def error(self, msg, code=None):
        """msg must be answered with an error (of this code)."""
        reply = self.request(msg)
        self.test.assertEqual(reply.get("type"), "error", (msg, reply))
        self.test.assertIsInstance(reply.get("code"), str, reply)
        self.test.assertIsInstance(reply.get("message"), str, reply)
        if code is not None:
            self.test.assertEqual(reply["code"], code, (msg, reply))
        return reply

    def drain(self, timeout=5):
        """Replies until the dispatcher closes; None if it does not."""
        replies = []
        self.sock.settimeout(timeout)
        try:
            while True:
                line = self.file.readline()
                if not line:
                    return replies
                replies.append(json.loads(line))
        except ConnectionResetError:
            return replies
        except TimeoutError:
            return None
        finally:
            self.sock.settimeout(DEADLINE)

    def closed(self, timeout=5):
        """Whether the dispatcher closes the connection (EOF or reset)
        within timeout seconds, without sending anything more."""
        self.sock.settimeout(timeout)
        try:
            return self.file.readline() == b""
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        finally:
            self.sock.settimeout(DEADLINE)


class TestProtocol(SsciTest):
    def setUp(self):
        super().setUp()
        self.repo = self.make_repo("master")
        self.head = git(self.repo, "rev-parse", "HEAD")
        self.d = self.dispatcher()

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
        c = Client(self, self.d)
        first = c.request(self.dispatch())
        self.assertEqual(first, {"type": "ok", "job": first["job"],
                                 "state": "queued", "existing": False})
        again = c.request(self.dispatch())
        self.assertEqual((again["job"], again["existing"]),
                         (first["job"], True))
        self.assertEqual(len(self.d.jobs()), 1)

    def test_hello_first(self):
        before = self.tree()
        c = Client(self, self.d, hello=None)
        c.error(self.dispatch(), "bad_state")
        c.error({"type": "status"})
        self.assertEqual(c.request(HELLO), {"type": "ok"})
        c.error(HELLO)  # only once
        self.assert_nothing_changed(before)

    def test_bad_hello_is_refused_and_closed(self):
        bad = [dict(HELLO, version=2), dict(HELLO, version="1"),
               dict(HELLO, role="overlord"), {"type": "hello", "version": 1}]
        for hello in bad:
            c = Client(self, self.d, hello=None)
            reply = c.error(hello)
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
            c = Client(self, self.d)
            c.error(case)
            self.assertEqual(c.request({"type": "status"})["type"], "ok",
                             f"still served after {case!r}")
        self.assert_nothing_changed(before)
        self.assertEqual([os.path.exists(p) for p in outside], existed)

    def test_register_needs_runner_role(self):
        for role in ("client", "observer"):
            c = Client(self, self.d, dict(HELLO, role=role))
            c.error({"type": "register", "name": "x", "slots": 1}, "bad_role")
        self.assertEqual(Client(self, self.d).request(
            {"type": "status"})["runners"], [])

    def test_line_just_under_limit_is_answered(self):
        c = Client(self, self.d)
        msg = {"type": "status", "pad": ""}
        msg["pad"] = "x" * (MIB - len(json.dumps(msg)) - 16)
        self.assertEqual(c.request(msg)["type"], "ok")

    def test_line_over_limit_is_refused_then_closed(self):
        for tail in (b"\n", b""):
            c = Client(self, self.d)
            c.sock.sendall(b'{"type":"status","pad":"' + b"x" * MIB +
                           b'"}' + tail)
            reply = c.recv()
            self.assertEqual((reply["type"], reply["code"]),
                             ("error", "too_long"))
            self.assertTrue(c.closed())
        self.assertEqual(Client(self, self.d).request(
            {"type": "status"})["type"], "ok")

    def test_garbage_peer_cut_off_other_peer_served(self):
        good = Client(self, self.d)
        bad = Client(self, self.d)
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
        c = Client(self, self.d)
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
        raw = Client(self, self.d, dict(HELLO, role="runner"))
        raw.error({"type": "register", "name": "x", "labels": ["-bad"]},
                  "bad_field")
        raw.error({"type": "register", "name": "x", "labels": ["a"] * 65},
                  "bad_field")
        self.assertEqual(raw.request({"type": "register", "name": "raw",
                                      "labels": ["gpu", "linux"]}),
                         {"type": "ok"})
        self.runner(self.d, "r1", args=("--label", "arm64",
                                        "--label", "big disk"))
        c = Client(self, self.d)
        runners = c.request({"type": "status"})["runners"]
        self.assertEqual(sorted((r["name"], r["labels"]) for r in runners),
                         [("r1", ["arm64", "big disk"]),
                          ("raw", ["gpu", "linux"])])
        p = self.ssci("runner", "--label", "-x")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("invalid --label '-x'", p.stderr)

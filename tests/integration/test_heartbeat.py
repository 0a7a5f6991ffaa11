# SPDX-License-Identifier: MIT
"""Liveness.  Heartbeats: a runner holding a job is pinged every --heartbeat and lost
when silent for --runner-timeout; a runner holding none is pinged every
--idle-heartbeat and lost when silent for that plus --runner-timeout (an
idle runner has no job to lose, and pinging ten thousand of them each
second was most of an idle dispatcher's work).  The runner here is a raw
protocol connection, so the test sees every ping.  Reconnects: a runner
that lost its dispatcher tries again every 0.1 s for 5 s (a restart), so
it is back within about that of the dispatcher listening again."""
import signal
import time

from harness import SsciTest, git

HEARTBEAT = 0.1
TIMEOUT = 0.6


class TestHeartbeat(SsciTest):
    def setUp(self):
        super().setUp()
        self.repo = self.make_repo("repo")
        self.head = git(self.repo, "rev-parse", "HEAD")

    def start_raw(self, idle):
        self.d = self.dispatcher(args=(
            "--heartbeat", str(HEARTBEAT), "--idle-heartbeat", str(idle),
            "--runner-timeout", str(TIMEOUT)))
        runner = self.connect(self.d, role="runner")
        self.assertEqual(runner.request({"type": "register", "name": "raw",
                                         "slots": 1}), {"type": "ok"})
        return runner, time.monotonic()

    def listen(self, runner, seconds, answer=True):
        """Read for this long, answering pings (if answer); the number of
        pings and the other messages.  None for the pings if closed."""
        end = time.monotonic() + seconds
        pings, others = 0, []
        while (left := end - time.monotonic()) > 0:
            msg = runner.recv(timeout=left)
            if msg is None:
                if runner.eof:
                    return None, others
                continue
            if msg["type"] == "ping":
                pings += 1
                if answer:
                    runner.send({"type": "pong"})
            else:
                others.append(msg)
        return pings, others

    def dispatch(self):
        reply = self.connect(self.d).request({
            "type": "dispatch", "repo": self.repo, "commit": self.head,
            "branch": "main"})
        self.assertEqual(reply["type"], "ok", reply)
        return reply["job"]

    def runners(self):
        return self.connect(self.d).request({"type": "status"})["runners"]

    def test_idle_pinged_rarely_busy_often(self):
        runner, _ = self.start_raw(idle=1)
        pings, _ = self.listen(runner, 4)
        # One ping per idle second (the first somewhere in the first one,
        # so that runners registered together are not pinged together);
        # before, an idle runner got 10 a second like a busy one.
        self.assertIn(pings, (3, 4, 5), "pings to an idle runner in 4 s")
        job = self.dispatch()
        msg = runner.recv()
        while msg["type"] == "ping":
            runner.send({"type": "pong"})
            msg = runner.recv()
        self.assertEqual((msg["type"], msg["id"]), ("job", job), msg)
        runner.send({"type": "accepted", "id": job})
        pings, _ = self.listen(runner, 1.0)
        self.assertGreaterEqual(pings, 6, "pings to a busy runner in 1 s")
        # Silent while busy: lost after --runner-timeout, not the idle
        # pace's 1.6 s.
        silent = time.monotonic()
        pings, _ = self.listen(runner, 5, answer=False)
        self.assertIsNone(pings, "closed as lost")
        self.assertLess(time.monotonic() - silent, TIMEOUT + 0.8)
        self.assertEqual(self.runners(), [])
        self.wait_for(lambda: self.d.jobs()[0]["state"] == "queued",
                      "the job back in the queue")

    def test_silent_idle_runner_lost_after_idle_interval(self):
        runner, registered = self.start_raw(idle=1.2)
        pings, _ = self.listen(runner, 8, answer=False)
        self.assertIsNone(pings, "closed as lost")
        took = time.monotonic() - registered
        # Last heard at register; lost once silent for the idle interval
        # plus the runner timeout (1.8 s), not at the runner timeout (0.6 s,
        # as before).
        self.assertGreater(took, 1.2)
        self.assertLess(took, 1.2 + TIMEOUT + 2)
        self.assertEqual(self.runners(), [])

    def test_long_idle_runner_given_a_job_is_not_lost_for_it(self):
        """Silence is counted from the hand-out for a runner that was idle:
        one silent for 1.5 s (well within its idle pace) answers its job
        0.1 s later, inside --runner-timeout, and keeps it."""
        runner, _ = self.start_raw(idle=5)
        pings, _ = self.listen(runner, 1.5, answer=False)
        self.assertIsNotNone(pings, "not lost while idle")
        job = self.dispatch()
        msg = runner.recv()
        self.assertEqual((msg["type"], msg["id"]), ("job", job), msg)
        time.sleep(0.1)
        runner.send({"type": "accepted", "id": job})
        pings, _ = self.listen(runner, 1.0)
        self.assertIsNotNone(pings, "not lost")
        [status] = self.runners()
        self.assertEqual((status["name"], status["busy"]), ("raw", 1))
        self.assertEqual(self.d.jobs()[0]["state"], "running")


    def test_silent_idle_runners_do_not_use_up_attempts(self):
        """Three runners of a machine gone (no FIN) while idle are handed
        the job in turn before each is found silent: the job never ran, so
        it goes back without an attempt counted (before, it ended as error
        after three), and the next live runner passes it."""
        self.d = self.dispatcher(args=(
            "--heartbeat", str(HEARTBEAT), "--idle-heartbeat", "30",
            "--runner-timeout", str(TIMEOUT)))
        for i in range(3):
            dead = self.connect(self.d, role="runner")
            self.assertEqual(dead.request({"type": "register",
                                           "name": f"dead{i}", "slots": 1}),
                             {"type": "ok"})
        self.dispatch()
        self.wait_for(lambda: self.runners() == [], "all three lost",
                      timeout=10)
        [job] = self.d.jobs()
        self.assertEqual((job["state"], job["attempt"]), ("queued", 0), job)
        self.assertIn("before it took the job", job["reason"])
        self.runner(self.d, "alive")
        job = self.wait_for(lambda: (lambda j: j if j["finished_ms"] else
                                     None)(self.d.jobs()[0]), "the job")
        self.assertEqual((job["state"], job["attempt"]), ("passed", 1), job)

    def test_runner_started_again_gets_its_name(self):
        """A runner started again while its dead predecessor's connection is
        still idle and open: refused the name at first, it tries again, and
        the dispatcher, asked for the name, watches the old one at the busy
        pace and drops it within --runner-timeout."""
        runner, _ = self.start_raw(idle=30)
        del runner      # silent from now on, its connection left open
        again = self.start_runner("raw")
        self.wait_for(lambda: "registered with" in again.stderr(),
                      "the runner started again to register", timeout=10)
        self.assertIn("a runner named 'raw' is connected; trying again",
                      again.stderr())
        self.assertTrue(again.alive())
        self.assertIn("runner 'raw'", self.d.stderr())
        [status] = self.runners()
        self.assertEqual(status["name"], "raw")

    def start_runner(self, name):
        return SsciTest.start(self, f"{name}-again", "runner",
                              "--dispatcher-server", self.d.address,
                              "--name", name, "--work-dir",
                              f"{self.tmp}/{name}-work")


class TestReconnect(SsciTest):
    def test_runner_back_soon_after_a_restart(self):
        d = self.dispatcher()
        self.runner(d, "r1")
        # Quick retries follow a connection that was up a while (1 s): one
        # dropped at once is more likely a dispatcher refusing us.
        time.sleep(1.2)
        d.signal(signal.SIGKILL)
        d.popen.wait()
        # Down 3.2 s: a runner backing off from 0.1 s (0.1, 0.3, 0.7, 1.5,
        # 3.1 s after the loss) would next try at 6.3 s.
        time.sleep(3.2)
        d = self.restart_dispatcher(d)
        listening = time.monotonic()
        self.wait_for(lambda: [r["name"] for r in
                               d.query({"type": "status"})["runners"]] ==
                      ["r1"], "the runner to register again")
        self.assertLess(time.monotonic() - listening, 1.0,
                        "back within a quick retry of the restart")

# SPDX-License-Identifier: MIT
"""Limits (issue 10, bug 5 and the weaknesses of slow and many clients):
with few descriptors and more idle HTTP clients than descriptors the
dispatcher neither spins nor floods its log, keeps serving runners and
recovers; an HTTP request or a protocol line trickled in is cut off at a
deadline; a client silent after its hello is closed; event streams are
capped per address and in all, and together never hold more than a bound
of unsent output."""
import json
import os
import socket
import time
from http.client import HTTPException

from faults_util import FaultTest
from harness import http

LIMIT = ("prlimit", "--nofile=256:256", "--")
FLOOD = 'head -c 60000000 /dev/zero | tr "\\0" "x" | fold -w 100\n'


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line.split()[1] for line in f
                        if line.startswith("VmHWM:")))


class TestLimits(FaultTest):
    def idle_clients(self, port, count, source="127.0.0.1"):
        """count connections to port that send nothing (non-blocking, so
        that those the kernel cannot take yet do not hold us up)."""
        socks = []
        for _ in range(count):
            s = socket.socket()
            s.bind((source, 0))
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)

        def close_all():
            for s in socks:
                s.close()
        self.addCleanup(close_all)
        return socks, close_all

    def http_port(self, d):
        return int(d.http_url.rsplit(":", 1)[1])

    def status_ok(self, d, timeout=2):
        try:
            return http(d.http_url, "/api/status", timeout=timeout).status \
                == 200
        except (OSError, HTTPException):
            return False

    def flood_then_serve_a_runner(self, args, runner_first):
        repo = self.make_repo()
        commit = self.commit(repo, "tested while flooded")
        d = self.dispatcher(http=True, wrap=LIMIT, args=args)
        runner = self.runner(d, "early") if runner_first else None
        # An observer's connection, made while descriptors were free (the
        # jobs are asked for on it too: a new connection may have to wait
        # for a descriptor).
        observer = self.connect(d, "observer")
        lines_before = d.stderr().count("\n")
        _, close_all = self.idle_clients(self.http_port(d), 400)
        time.sleep(1)
        cpu0, t0 = cpu_seconds(d.pid), time.monotonic()
        if runner is None:
            runner = self.runner(d, "late")
        reply = observer.request({"type": "dispatch", "repo": repo,
                                  "commit": commit, "branch": "main"})
        self.assertEqual(reply["type"], "ok", reply)
        self.wait_jobs(d, 1, via=observer)
        jobs = d.jobs(via=observer)
        self.assertEqual(jobs[0]["state"], "passed", jobs)
        time.sleep(max(0, 2 - (time.monotonic() - t0)))
        used = cpu_seconds(d.pid) - cpu0
        self.assertLess(used / (time.monotonic() - t0), 0.3,
                        f"the dispatcher used {used:.2f} s of CPU")
        close_all()
        self.wait_for(lambda: self.status_ok(d), "HTTP to answer again")
        grown = d.stderr().count("\n") - lines_before
        self.assertLess(grown, 40, d.stderr()[-3000:])
        self.wait_results(d, [commit])
        return d

    def test_idle_http_clients_cannot_take_the_runners_descriptors(self):
        d = self.flood_then_serve_a_runner((), runner_first=False)
        self.assertRegex(d.stderr(), r"descriptor limit 256: at most \d+ "
                         r"protocol and \d+ HTTP connections")

    def test_out_of_descriptors_pauses_and_recovers(self):
        d = self.flood_then_serve_a_runner(
            ("--max-http-connections", "5000"), runner_first=True)
        self.wait_for(lambda: "accepting HTTP connections again" in
                      d.stderr(), "the end of the episode said")
        # One episode, however often a freed descriptor went to the flood.
        self.assertEqual(d.stderr().count("unable to accept HTTP "
                                          "connections"), 1, d.stderr())
        self.assertIn("accepting HTTP connections again", d.stderr())

    def test_trickled_http_request_cut_off(self):
        d = self.dispatcher(http=True, args=("--http-timeout", "1"))
        s = socket.create_connection(("127.0.0.1", self.http_port(d)))
        self.addCleanup(s.close)
        t0 = time.monotonic()
        closed = False
        for byte in b"GET /api/status HTTP/1.1\r\nHost: x\r\n":
            try:
                s.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            s.settimeout(0.2)
            try:
                if s.recv(100) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
            except OSError:
                closed = True
                break
        self.assertTrue(closed, "the trickled request was cut off")
        self.assertLess(time.monotonic() - t0, 8)
        self.assertIn("HTTP request not complete within 1 s", d.stderr())

    def test_protocol_trickle_and_idle_client_cut_off(self):
        d = self.dispatcher(args=("--client-timeout", "0.5"))
        trickler = self.connect(d)
        idle = self.connect(d)
        t0 = time.monotonic()
        # Well after hello, so that the idle limit would come first: a
        # line under way is not idleness.
        time.sleep(0.3)
        trickler.send_bytes(b'{"type":')
        reply = trickler.recv(timeout=10)
        self.assertEqual(reply["code"], "timeout", reply)
        self.assertIn("line not finished", reply["message"])
        self.assertTrue(trickler.closed())
        reply = idle.recv(timeout=10)
        self.assertEqual(reply["code"], "timeout", reply)
        self.assertTrue(idle.closed())
        self.assertLess(time.monotonic() - t0, 8)
        # A runner may be quiet between jobs: it is pinged, not cut off.
        r = self.runner(d, "quiet")
        time.sleep(1.5)
        self.assertTrue(r.alive())
        self.assertNotIn("'quiet'", d.stderr().split("registered")[-1])

    def test_event_streams_capped_and_their_backlog_bounded(self):
        repo, commit = self.repo_with(FLOOD)
        d = self.dispatcher(http=True, args=("--max-log-bytes",
                                             "100000000"))
        port = self.http_port(d)
        request = b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"
        streams = []
        for i in range(13):
            source = f"127.0.0.{i + 2}"
            for _ in range(16):
                s = socket.create_connection(("127.0.0.1", port),
                                             source_address=(source, 0))
                s.sendall(request)
                streams.append(s)
        self.addCleanup(lambda: [s.close() for s in streams])
        # Every one was answered with the stream's start...
        for s in streams[:8]:
            s.settimeout(10)
            self.assertTrue(s.recv(200).startswith(b"HTTP/1.1 200"))
        # ...and one more from an address with 16 already is refused.
        extra = socket.create_connection(("127.0.0.1", port),
                                         source_address=("127.0.0.2", 0))
        self.addCleanup(extra.close)
        extra.sendall(request)
        extra.settimeout(10)
        self.assertIn(b"503", extra.recv(200))
        # None of the 208 reads while a job floods the log.
        self.runner(d, "runner1")
        self.notify_ok(d, repo, commit)
        self.wait_jobs(d, 1)
        # AddressSanitizer keeps freed memory in quarantine: no measure.
        if "ASAN_OPTIONS" not in os.environ:
            self.assertLess(peak_rss_kib(d.pid), 120 * 1024,
                            "unsent event output is bounded")
        self.assertIn("the slowest", d.stderr())
        self.assertEqual(json.loads(json.dumps(d.jobs()[0]["state"])),
                         "passed")

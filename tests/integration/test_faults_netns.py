# SPDX-License-Identifier: MIT
"""A runner machine that vanishes (issue 3, docs/PROTOCOL.md): two test
hosts of this test's own, network namespaces A and B joined by a veth pair
(10.213.X.1 in A, 10.213.X.2 in B) and linked to nothing else.  The
dispatcher runs in A, runner "far" in B; "far" gets a long job, then B's
end of the link is set down, so that not one packet (no FIN, no RST, no
ACK) reaches the dispatcher again.  The dispatcher must declare "far" lost
by its heartbeat within the runner timeout and runner "near" (in A) must
do the job, attempt 2.  Needs root and `ip netns`."""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

from faults_util import WAIT_BODY, FaultTest
from harness import SSCI, Dispatcher, Proc

HERE = os.path.dirname(os.path.abspath(__file__))
# One query from inside a namespace: the harness's Client, run there.
QUERY = """import json, sys
sys.path.insert(0, sys.argv[1])
from harness_net import Client
with Client(int(sys.argv[3]), sys.argv[2]) as c:
    assert c.hello() == {"type": "ok"}
    print(json.dumps(c.request(json.loads(sys.argv[4]))))
"""
HEARTBEAT, RUNNER_TIMEOUT = 1, 3
LOST_WITHIN = RUNNER_TIMEOUT + HEARTBEAT + 1.5
SUBNET = f"10.213.{os.getpid() % 250 + 1}"


def netns_available():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    return subprocess.run(["ip", "netns", "list"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def ip(*args, check=True):
    proc = subprocess.run(["ip", *args], text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    if check and proc.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)}: {proc.stderr}")
    return proc


class NsDispatcher(Dispatcher):
    """The harness's Dispatcher, started in network namespace ns."""

    def __init__(self, test, ns, host, args=()):
        self.state_dir = test.path("dispatcher-state")
        self.results_dir = test.path("dispatcher-results")
        Proc.__init__(self, "dispatcher", [
            "ip", "netns", "exec", ns, SSCI, "dispatcher", "--local-repos",
            "--host", host,
            "--port", "0", "--http", "off", "--state-dir", self.state_dir,
            "--results-dir", self.results_dir, *args], test.tmp)
        test.procs.append(self)
        line = test.wait_for(lambda: re.search(
            r"^listening on (\S+):(\d+)$", self.stdout(), re.M),
            "the dispatcher to listen")
        self.ns, self.host = ns, host
        self.port = int(line.group(2))
        self.address = f"{host}:{self.port}"

    def query(self, msg, via=None):
        """msg's reply, asked from inside the namespace (the test's own
        network cannot reach it)."""
        if via is not None:
            return via.request(msg)
        proc = subprocess.run(["ip", "netns", "exec", self.ns,
                               sys.executable, "-c", QUERY, HERE, self.host,
                               str(self.port), json.dumps(msg)],
                              text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        if proc.returncode != 0:
            raise AssertionError(f"query in {self.ns}: {proc.stderr}")
        return json.loads(proc.stdout)


@unittest.skipUnless(netns_available(), "needs root and `ip netns`")
class TestVanishedMachine(FaultTest):
    def setUp(self):
        super().setUp()
        tag = f"{os.getpid()}-{time.monotonic_ns() % 10**9}"
        self.ns_a, self.ns_b = f"ssci-a-{tag}", f"ssci-b-{tag}"
        self.made = []
        self.addCleanup(self.delete_namespaces)
        for ns in (self.ns_a, self.ns_b):
            if ip("netns", "add", ns, check=False).returncode != 0:
                self.skipTest("unable to make a network namespace")
            self.made.append(ns)
        # Made inside the namespaces: no interface in the host's own.
        ip("link", "add", "vethA", "netns", self.ns_a, "type", "veth",
           "peer", "name", "vethB", "netns", self.ns_b)
        for ns, dev, host in ((self.ns_a, "vethA", 1), (self.ns_b, "vethB", 2)):
            ip("-n", ns, "addr", "add", f"{SUBNET}.{host}/24", "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")

    def delete_namespaces(self):
        """Stop what runs in them (by PID), then delete them."""
        for p in reversed(self.procs):
            p.stop()
        self.kill_leftovers()
        for ns in self.made:
            ip("netns", "del", ns, check=False)

    def ns_runner(self, ns, d, name):
        p = Proc(name, ["ip", "netns", "exec", ns, SSCI, "runner",
                        "--dispatcher-server", d.address, "--name", name,
                        "--work-dir", self.path(f"{name}-work")], self.tmp)
        self.procs.append(p)
        self.wait_for(lambda: "registered with" in p.stderr() or
                      not p.alive(), f"runner {name} to register")
        self.assertTrue(p.alive(), p.stderr())
        # `ip netns exec` execs: the pid is the runner's own.
        self.assertEqual(os.path.realpath(f"/proc/{p.pid}/exe"),
                         os.path.realpath(SSCI))
        return p

    def test_vanished_runner_lost_by_heartbeat_job_done_by_another(self):
        repo, commit = self.repo_with(WAIT_BODY)
        d = NsDispatcher(self, self.ns_a, f"{SUBNET}.1", (
            "--heartbeat", str(HEARTBEAT),
            "--runner-timeout", str(RUNNER_TIMEOUT)))
        far = self.ns_runner(self.ns_b, d, "far")
        proc = subprocess.run(["ip", "netns", "exec", self.ns_a, SSCI,
                               "notify", "--dispatcher-server", d.address,
                               commit], cwd=repo, text=True, timeout=30,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.wait_runs(1)[0][0], far.pid)
        near = self.ns_runner(self.ns_a, d, "near")
        t0 = time.monotonic()
        ip("-n", self.ns_b, "link", "set", "vethB", "down")
        why = self.wait_lost(d, far)
        self.assertLess(time.monotonic() - t0, LOST_WITHIN,
                        "declared lost within the runner timeout")
        self.assertEqual(why, "no answer to heartbeats",
                         "lost by the heartbeat, not by a closed connection")
        self.assertEqual(self.wait_runs(2)[1][0], near.pid)
        self.release()
        self.assert_result(d, commit, "passed", "near", 2)
        self.assertIn(f"tested {commit}", d.result(commit))
        self.assertEqual(len(d.jobs()), 1, d.jobs())
        self.assertTrue(far.alive(), "the far runner only lost its link")

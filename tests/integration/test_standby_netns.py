# SPDX-License-Identifier: MIT
"""The active dispatcher's machine vanishes (docs/SCALING.md, "A machine
that vanishes: keepalives"): dispatcher a runs in network namespace A,
joined to the test's host by a veth pair and to nothing else; the
PostgreSQL server, standby b, the runners and an observer run on the
host.  The server keeps the documented keepalives (5 s idle, 1 s apart,
3 probes; tcp_user_timeout 8 s).  With jobs running and queued, A's end
of the link is set down: not one packet (no FIN, no RST) leaves or
reaches a again.  b must be active within the keepalive time, runners and
the observer move to it on their own, every job ends once with its whole
log; and a, when its link comes back, stands by and changes nothing.
Needs root, `ip netns` and PostgreSQL."""
import os
import re
import sys
import time
import unittest

import pg_util
from faults_util import FAST
from harness import SSCI, Dispatcher, Proc, free_port, only_on
from standby_util import StandbyTest
from test_faults_netns import ip, netns_available

# The server's keepalives, as docs/SCALING.md sets them: a vanished
# client's session ends in 5 + 1 x 3 = 8 s (tcp_user_timeout 8 s).
SERVER_KEEPALIVES = {"tcp_keepalives_idle": 5, "tcp_keepalives_interval": 1,
                     "tcp_keepalives_count": 3, "tcp_user_timeout": 8000}
KEEPALIVE_S = 5 + 1 * 3
MARGIN_S = 4
# Not 10.213 (test_faults_netns's): this one has an address in the
# host's own namespace.
SUBNET = f"10.214.{os.getpid() % 250 + 1}"
A_ADDR, HOST_ADDR = f"{SUBNET}.1", f"{SUBNET}.2"


class NsDispatcher(Dispatcher):
    """A dispatcher named name, started in network namespace ns and
    listening on host there; asked from the host over the link."""

    def __init__(self, test, name, ns, host, args=()):
        self.state_dir = test.path(f"{name}-state")
        self.results_dir = test.path(f"{name}-results")
        Proc.__init__(self, name, [
            "ip", "netns", "exec", ns, SSCI, "dispatcher", "--local-repos",
            "--host", host, "--port", "0", "--http", "off",
            "--state-dir", self.state_dir,
            "--results-dir", self.results_dir, *args], test.tmp)
        test.procs.append(self)
        line = test.wait_for(lambda: re.search(
            r"^listening on (\S+):(\d+)$", self.stdout(), re.M),
            f"{name} to listen")
        self.host = host
        self.port = int(line.group(2))
        self.address = f"{host}:{self.port}"


@only_on("postgresql", why="dispatchers share a PostgreSQL database")
@unittest.skipUnless(netns_available(), "needs root and `ip netns`")
class TestStandbyVanished(StandbyTest):
    def setUp(self):
        super().setUp()
        tag = f"{os.getpid()}-{time.monotonic_ns() % 10**9}"
        self.ns = f"ssci-sa-{tag}"
        self.host_dev = f"sscisb{os.getpid() % 10**9}"
        self.made_ns = False
        self.cluster = None
        self.addCleanup(self.undo)
        if ip("netns", "add", self.ns, check=False).returncode != 0:
            self.skipTest("unable to make a network namespace")
        self.made_ns = True
        # One end in A, the other in the host's own namespace.
        ip("link", "add", self.host_dev, "type", "veth", "peer", "name",
           "vethA", "netns", self.ns)
        ip("addr", "add", f"{HOST_ADDR}/24", "dev", self.host_dev)
        ip("link", "set", self.host_dev, "up")
        ip("-n", self.ns, "addr", "add", f"{A_ADDR}/24", "dev", "vethA")
        ip("-n", self.ns, "link", "set", "vethA", "up")
        ip("-n", self.ns, "link", "set", "lo", "up")
        # The run's cluster has no TCP: one of the test's own, on the
        # host's end of the link, with the documented keepalives.
        self.cluster = pg_util.Cluster(settings={
            "listen_addresses": HOST_ADDR, **SERVER_KEEPALIVES})
        # initdb trusts loopback only: a comes from A.
        with open(os.path.join(self.cluster.data, "pg_hba.conf"), "a") as f:
            f.write(f"host all all {SUBNET}.0/24 trust\n")
        pg_util.psql(self.cluster.conninfo, "SELECT pg_reload_conf()")
        db = "ssci_standby_netns"
        pg_util.psql(self.cluster.conninfo, f"CREATE DATABASE {db}")
        self.store = ("--store", f"host={HOST_ADDR} "
                      f"port={self.cluster.port} user={pg_util.USER} "
                      f"dbname={db}")

    def undo(self):
        """Stop every process (by PID), then the cluster; delete the
        namespace (and with it the link)."""
        for p in reversed(self.procs):
            p.stop()
        self.kill_leftovers()
        if self.cluster is not None:
            self.cluster.stop()
        if self.made_ns:
            ip("netns", "del", self.ns, check=False)
        ip("link", "del", self.host_dev, check=False)

    def test_active_machine_vanishes_standby_takes_over(self):
        a = NsDispatcher(self, "a", self.ns, A_ADDR, (*FAST, *self.store))
        b = self.dispatcher("b", port=free_port(), args=(*FAST, *self.store),
                            wait=False)
        self.wait_log(b, "standing by: another dispatcher is active")
        self.assertNotIn("listening on", b.stdout())
        both = f"{a.address},{b.address}"
        repo, commits, runners, observer = self.busy(a, both, 6)

        cut = time.monotonic()
        ip("-n", self.ns, "link", "set", "vethA", "down")
        b.wait_listening(self)
        took = time.monotonic() - cut
        print(f"\nstandby active {took:.1f} s after the link was cut",
              file=sys.stderr)
        self.assertIn("the dispatcher that was is gone", b.stderr())
        self.assertLessEqual(took, KEEPALIVE_S + MARGIN_S, b.stderr())
        # Not one packet comes from a: the runners must find it silent.
        for r in runners:
            self.wait_log(r, f"registered with {b.address} ")
        print(f"runners on b {time.monotonic() - cut:.1f} s after the cut",
              file=sys.stderr)
        later = self.commit(repo, "after the cut")
        self.wait_log(observer, f"dispatcher {b.address}")

        commits.append(later)
        self.check_whole(b, commits)

        # The old active's link comes back: it stands by (the same
        # process, started again by itself) and changes nothing.
        self.assertTrue(b.alive(), b.stderr())
        before = b.jobs()
        ip("-n", self.ns, "link", "set", "vethA", "up")
        self.wait_log(a, "no longer active: closing every connection")
        self.wait_log(a, "standing by: another dispatcher is active")
        time.sleep(1)
        self.assertTrue(a.alive(), a.stderr())
        self.assertEqual(a.stdout().count("listening on"), 1, a.stdout())
        self.assertEqual(b.jobs(), before)
        self.assertEqual(os.listdir(a.results_dir), [])
        self.assertNotIn("no longer active", b.stderr())
        self.assertTrue(b.alive(), b.stderr())
        self.assertTrue(all(r.alive() for r in runners))
        self.assertTrue(observer.alive(), observer.stderr())

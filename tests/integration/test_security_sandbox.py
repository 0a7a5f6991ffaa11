# SPDX-License-Identifier: MIT
"""Sandboxed tests and job limits (issue 6).

With `ssci runner --sandbox` a repository's test runs inside bubblewrap. A
probe test tries what a hostile test would: read the runner's token file,
find SSCI_TOKEN in its environment or another process's, write outside its
work tree (next to its tree in the runner's work folder, into the test's
temporary folder, into /root, into the dispatcher's results), read another
repository's tree, see the runner's process, open a TCP connection to the
dispatcher and to a listener of ours - and prints what happened. The test
here checks from the outside that none of it worked, while an ordinary
unittest suite passes inside the sandbox, and that with --sandbox-net the
connection does work.  A test must also not be able to leave something in
its clone's .git that the runner later runs outside the sandbox, nor use
the capabilities of a runner run as root to undo the sandbox.

With --job-memory 64M a test allocating 300 MB ends failed with the reason;
with --job-pids 20 a test starting 100 processes is refused and fails.
These need control groups: skipped where the runner says it has none.
The sandbox tests are skipped where bwrap is not installed.
"""
import os
import re
import shutil
import tempfile
import unittest

from harness import PASSING_TEST, Proc, SSCI
from security_util import (TOKEN, SecurityTest, accepted_any,
                           free_listener)

HAVE_BWRAP = shutil.which("bwrap") is not None
NO_CGROUPS = "job limits without control groups"

PROBE = r'''#!/usr/bin/env python3
"""What a hostile test tries; each attempt prints one PROBE line."""
import os
import socket

TOKEN_FILE = %(token_file)r
WRITES = %(writes)r
WORK = %(work)r
PORTS = %(ports)r


def probe(label, fn):
    try:
        print(f"PROBE {label}: allowed {fn()}", flush=True)
    except Exception as e:
        print(f"PROBE {label}: denied {type(e).__name__}: {e}", flush=True)


def read_token():
    with open(TOKEN_FILE) as f:
        return "read %%r" %% f.read()


def write(path):
    with open(path, "w") as f:
        f.write("escaped from the sandbox\n")
    return "wrote " + path


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b'{"type":"hello","role":"client","version":1}\n')
    s.close()
    return "connected"


def walk():
    """Every file under the runner's work folder we can see and read."""
    seen = []
    for top, dirs, files in os.walk(WORK):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = os.path.join(top, name)
            try:
                with open(path, errors="replace") as f:
                    seen.append(f"{path}={f.read(200)!r}")
            except OSError as e:
                seen.append(f"{path}:{e}")
    return "; ".join(seen)


def environ_tokens():
    """SSCI_TOKEN in our environment and in any process we can see."""
    found = []
    if "SSCI_TOKEN" in os.environ:
        found.append("own=" + os.environ["SSCI_TOKEN"])
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        for item in env:
            if item.startswith(b"SSCI_TOKEN="):
                found.append(f"{pid}=" + item.decode(errors="replace"))
    return ",".join(found) or "none"


def runner_visible():
    """Whether any process we can see is an ssci runner."""
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"runner" in argv and any(a.endswith(b"ssci") for a in argv):
            return f"yes {pid}"
    return "no"


probe("read-token-file", read_token)
for i, path in enumerate(WRITES):
    probe(f"write-outside-{i}", lambda path=path: write(path))
probe("write-tree", lambda: write(os.path.join(os.getcwd(), "in-tree")))
probe("write-tmp", lambda: write(%(own_tmp)r))
for name, port in PORTS.items():
    probe(f"connect-{name}", lambda port=port: connect(port))
print("PROBE environ-token:", environ_tokens(), flush=True)
print("PROBE runner-visible:", runner_visible(), flush=True)
print("PROBE work-folder:", walk(), flush=True)
'''

# A test that plants what git would run the next time the runner checks
# out a commit in this clone (outside the sandbox): a post-checkout hook
# and a core.fsmonitor command, each leaving a file where it must not be
# able to write.
PLANT = r'''#!/bin/sh
git_dir=$(git rev-parse --git-dir) || exit 0
mkdir -p "$git_dir/hooks"
cat > "$git_dir/hooks/post-checkout" <<EOF
#!/bin/sh
touch '%(hook_marker)s'
cat '%(token_file)s' > '%(hook_marker)s.token' 2>/dev/null
exit 0
EOF
chmod 755 "$git_dir/hooks/post-checkout" && echo "planted hook"
git config core.fsmonitor "touch '%(fsmonitor_marker)s'; false" &&
    echo "planted fsmonitor"
exit 0
'''

# A test that tries to make the read-only file system writable again and
# write outside its tree (only root's capabilities would let it).
REMOUNT = r'''#!/bin/sh
grep -E '^(Uid|CapEff):' /proc/self/status
mount -o remount,rw / 2>&1 && echo "remount: allowed" || echo "remount: denied"
if (echo escaped > '%(target)s') 2>/dev/null; then
    echo "write outside: allowed"
else
    echo "write outside: denied"
fi
umount '%(token_file)s' 2>&1 && echo "token unmounted"
echo "token file: $(cat '%(token_file)s' 2>&1)"
exit 0
'''

PIDS_TEST = r'''#!/usr/bin/env python3
"""Start 100 sleeping processes; fail if the system refuses one."""
import subprocess
import sys

children = []
try:
    for i in range(100):
        children.append(subprocess.Popen(["sleep", "30"]))
    print(f"started {len(children)} processes", flush=True)
    status = 0
except OSError as e:
    print(f"fork refused after {len(children)}: {e}", flush=True)
    status = 1
finally:
    for c in children:
        c.kill()
    for c in children:
        c.wait()
sys.exit(status)
'''

MEMORY_TEST = '''#!/bin/sh
echo "allocating 300 MB"
exec python3 -c "bytearray(300*1024*1024); print('allocated 300 MB')"
'''


def remove_if_there(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def outside_folder():
    """A private folder outside /tmp (the sandbox's /tmp is its own, so a
    file in the host's /tmp is hidden anyway; the runner's token file must
    be hidden wherever it is)."""
    for parent in ("/var/tmp", os.path.expanduser("~")):
        if os.path.isdir(parent) and os.access(parent, os.W_OK):
            return tempfile.mkdtemp(prefix="ssci-sec-", dir=parent)
    return tempfile.mkdtemp(prefix="ssci-sec-")


class SandboxBase(SecurityTest):
    def setUp(self):
        super().setUp()
        self.outside = outside_folder()
        self.addCleanup(shutil.rmtree, self.outside, True)
        self.disp_token = self.token_file("token", TOKEN)
        self.runner_token = os.path.join(self.outside, "runner-token")
        with open(os.open(self.runner_token, os.O_WRONLY | os.O_CREAT,
                          0o600), "w") as f:
            f.write(TOKEN + "\n")
        self.d = self.dispatcher(args=["--token-file", self.disp_token])

    def sandboxed_runner(self, name="r1", args=("--sandbox",), env=None):
        env = dict(env if env is not None else os.environ,
                   SSCI_TOKEN=TOKEN)
        r = self.start_runner(self.d, name, args=["--token-file",
                                                  self.runner_token, *args],
                              env=env)
        self.assertIn("registered with", r.stderr(), self.logs())
        return r

    def make_test_repo(self, name, files, tests=PASSING_TEST):
        repo = self.make_repo(name, tests)
        return repo, self.commit(repo, f"{name} commit", files)

    def notify_ok(self, repo, *commits):
        proc = self.notify(self.d, repo, "--token-file", self.disp_token,
                           *commits)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def final(self, commit):
        self.wait_results(self.d, [commit])
        (job,) = [j for j in self.d.jobs() if j["commit"] == commit]
        return job, self.d.result(commit)

    def probe_lines(self, text):
        return dict(re.findall(r"^PROBE ([\w-]+):? (.*)$", text, re.M))


@unittest.skipUnless(HAVE_BWRAP, "bubblewrap (bwrap) is not installed")
class SandboxTest(SandboxBase):
    def test_hostile_test_is_contained_ordinary_test_passes(self):
        work = self.path("r1-work")
        sentinel = free_listener()
        self.addCleanup(sentinel.close)
        secret = f"OTHER-TREE-SECRET-{os.getpid()}"
        writes = [os.path.join(work, "escaped-next-to-tree"),
                  os.path.join(work, "repos", "escaped"),
                  os.path.join(self.tmp, "escaped-test-folder"),
                  os.path.join(self.outside, "escaped-outside-folder"),
                  os.path.join(self.d.results_dir, "0" * 40),
                  f"/root/ssci-escaped-{os.getpid()}",
                  f"/var/tmp/ssci-escaped-{os.getpid()}"]
        own_tmp = f"/tmp/ssci-probe-{os.getpid()}-{id(self)}"
        for path in writes[-2:] + [own_tmp]:
            self.addCleanup(remove_if_there, path)
        r = self.sandboxed_runner()

        # An ordinary unittest suite passes inside the sandbox (and leaves
        # a secret in its tree for the probe to look for).
        plain, plain_commit = self.make_test_repo("plain",
                                                  {"secret.txt": secret})
        self.notify_ok(plain, plain_commit)
        job, text = self.final(plain_commit)
        self.assertEqual(job["state"], "passed", text)
        self.assertIn("Ran 2 tests", text)
        self.assertRegex(text, r"\nresult: passed exit_code=0 tests_run=2 "
                         r"tests_failed=0 ")

        probe = PROBE % {"token_file": self.runner_token, "writes": writes,
                         "own_tmp": own_tmp, "work": os.path.realpath(work),
                         "ports": {"dispatcher": self.d.port,
                                   "sentinel": sentinel.getsockname()[1]}}
        hostile, commit = self.make_test_repo("hostile", {".ssci/test": probe})
        self.notify_ok(hostile, commit)
        job, text = self.final(commit)
        self.assertEqual(job["state"], "passed", text)
        seen = self.probe_lines(text)
        msg = f"{text}\n{self.logs()}"
        # It ran, and could write its own tree and its own /tmp.
        self.assertTrue(seen.get("write-tree", "").startswith("allowed"),
                        msg)
        self.assertTrue(seen.get("write-tmp", "").startswith("allowed"), msg)
        self.assertFalse(os.path.exists(own_tmp),
                         "the sandbox's /tmp is the host's")
        # The token: not in the file it could open, not in any environment.
        self.assertNotIn(TOKEN, text, "the token leaked into the results")
        self.assertNotIn(TOKEN, r.stdout())
        # (Either it cannot be opened, or it reads as empty.)
        got = seen.get("read-token-file", "")
        self.assertTrue(got.startswith("denied") or got == "allowed read ''",
                        msg)
        self.assertEqual(seen.get("environ-token"), "none", msg)
        with open(self.runner_token) as f:
            self.assertEqual(f.read(), TOKEN + "\n")
        # Nothing written outside its tree is there.
        for path in writes:
            self.assertFalse(os.path.exists(path),
                             f"the sandboxed test wrote {path}\n{msg}")
        self.assertEqual(os.listdir(self.d.results_dir).count("0" * 40), 0)
        # The network: refused, and our listener heard nothing.
        self.assertTrue(seen.get("connect-dispatcher", "").startswith(
            "denied"), msg)
        self.assertTrue(seen.get("connect-sentinel", "").startswith(
            "denied"), msg)
        self.assertFalse(accepted_any(sentinel), "a connection got out")
        # The runner's process and the other repository's tree: unseen.
        self.assertEqual(seen.get("runner-visible"), "no", msg)
        self.assertNotIn(secret, text, "another repository's tree is "
                         "visible from the sandbox")
        self.assertNotIn("plain", seen.get("work-folder", ""), msg)
        # The runner itself is fine, and the next job still passes.
        again = self.commit(plain, "again", {"again": "1"})
        self.notify_ok(plain, again)
        self.assertEqual(self.final(again)[0]["state"], "passed")
        self.assertTrue(r.alive())

    def test_sandbox_net_allows_the_connection(self):
        sentinel = free_listener()
        self.addCleanup(sentinel.close)
        self.sandboxed_runner(args=("--sandbox-net",))
        probe = PROBE % {"token_file": self.runner_token, "writes": [],
                         "own_tmp": f"/tmp/ssci-probe-{id(self)}",
                         "work": "/nonexistent",
                         "ports": {"sentinel": sentinel.getsockname()[1]}}
        repo, commit = self.make_test_repo("net", {".ssci/test": probe})
        self.notify_ok(repo, commit)
        job, text = self.final(commit)
        seen = self.probe_lines(text)
        self.assertEqual(seen.get("connect-sentinel"), "allowed connected",
                         text)
        self.assertTrue(accepted_any(sentinel), "no connection arrived")
        # Still a sandbox otherwise.
        self.assertNotIn(TOKEN, text)
        self.assertEqual(seen.get("environ-token"), "none", text)
        self.assertEqual(job["state"], "passed", text)

    def test_test_cannot_plant_what_the_runner_runs_outside(self):
        """The tree a sandboxed test may write holds its clone's .git: a
        hook or a config command planted there must not run, outside the
        sandbox, when the runner checks out the next commit."""
        hook_marker = os.path.join(self.outside, "hook-ran")
        fsmonitor_marker = os.path.join(self.outside, "fsmonitor-ran")
        self.sandboxed_runner()
        repo, first = self.make_test_repo("planting", {".ssci/test": PLANT % {
            "hook_marker": hook_marker, "token_file": self.runner_token,
            "fsmonitor_marker": fsmonitor_marker}})
        self.notify_ok(repo, first)
        job, text = self.final(first)
        second = self.commit(repo, "next", {"next": "2"})
        self.notify_ok(repo, second)
        job2, text2 = self.final(second)
        ran = [p for p in (hook_marker, hook_marker + ".token",
                           fsmonitor_marker) if os.path.exists(p)]
        leaked = ""
        if os.path.exists(hook_marker + ".token"):
            with open(hook_marker + ".token") as f:
                leaked = f.read()
        self.assertEqual(ran, [], "code a sandboxed test planted in its "
                         f"clone's .git ran outside the sandbox (token "
                         f"read: {TOKEN in leaked})\nfirst job "
                         f"({job['state']}):\n{text}\nsecond job "
                         f"({job2['state']}):\n{text2}\n{self.logs()}")

    def test_plan_env_is_set_inside_the_sandbox_only(self):
        """A pipeline's env and matrix come from the repository: set in
        bubblewrap's own environment, LD_PRELOAD would load the
        repository's code outside the sandbox.  Inside, the job sees
        them; bwrap's process (pid 1 of the sandbox) does not, and every
        command of a long run list still runs."""
        self.sandboxed_runner()
        plan = ("jobs:\n  probe:\n    matrix: {M: [m1]}\n"
                "    env: {PLANTED: from-the-plan}\n"
                "    run: ['echo inside=$PLANTED/$M/$SSCI_JOB_NAME',\n"
                "          'echo pid1=$(grep -c PLANTED /proc/1/environ)',\n"
                "          " + ", ".join(["true"] * 60) +
                ", 'echo LAST-COMMAND']\n")
        repo, commit = self.make_test_repo("planenv", {".ssci.yml": plan})
        self.notify_ok(repo, commit)
        job, text = self.final(commit)
        self.assertIn("inside=from-the-plan/m1/probe[M=m1]", text)
        self.assertIn("pid1=0", text)
        self.assertIn("LAST-COMMAND", text)
        self.assertEqual(job["state"], "passed", text)

    def test_test_cannot_undo_the_sandbox(self):
        """A runner run as root (as in a container) must not hand root's
        capabilities to the test: with CAP_SYS_ADMIN a test can remount /
        read-write and write anywhere on the host, or unmount what hides the
        runner's token file and read it.  (Run as another user the runner
        has no capabilities to hand over, and this passes trivially.)"""
        target = os.path.join(self.outside, "written-after-remount")
        self.sandboxed_runner()
        repo, commit = self.make_test_repo("remount", {
            ".ssci/test": REMOUNT % {"target": target,
                                     "token_file": self.runner_token}})
        self.notify_ok(repo, commit)
        job, text = self.final(commit)
        escapes = []
        if os.path.exists(target):
            escapes.append(f"remounted / read-write and wrote {target}")
        if TOKEN in text:
            escapes.append("unmounted what hid the token file and read it")
        self.assertEqual(escapes, [], f"a sandboxed test (runner uid "
                         f"{os.getuid()}):\n{text}")
        self.assertIn("write outside: denied", text)

    def test_limits_apply_inside_the_sandbox(self):
        r = self.sandboxed_runner(args=("--sandbox", "--job-memory", "64M",
                                        "--job-pids", "20"))
        if NO_CGROUPS in r.stderr():
            self.skipTest("no control groups: " + r.stderr())
        repo, big = self.make_test_repo("big", {".ssci/test": MEMORY_TEST})
        many = self.commit(repo, "many", {".ssci/test": PIDS_TEST})
        self.notify_ok(repo, big)
        job, text = self.final(big)
        self.assertEqual((job["state"], job["reason"]),
                         ("failed", "memory limit of 64 MiB exceeded"), text)
        self.notify_ok(repo, many)
        job, text = self.final(many)
        self.assertEqual(job["state"], "failed", text)
        self.assertIn("fork refused after", text)


class LimitsTest(SandboxBase):
    """--job-memory and --job-pids without the sandbox."""

    def limited_runner(self, *args):
        r = self.start_runner(self.d, "lim", args=["--token-file",
                                                   self.runner_token, *args])
        self.assertIn("registered with", r.stderr(), self.logs())
        if NO_CGROUPS in r.stderr():
            self.skipTest("the runner has no control groups: " +
                          r.stderr().strip())
        return r

    def cgroups_left(self, r):
        """Control groups of r's jobs still there."""
        left = []
        for ctl in ("memory", "pids"):
            top = f"/sys/fs/cgroup/{ctl}/ssci"
            if os.path.isdir(top):
                left += [os.path.join(top, n) for n in os.listdir(top)
                         if n.startswith(f"{r.pid}-")]
        return left

    def test_memory_limit(self):
        r = self.limited_runner("--job-memory", "64M")
        repo, big = self.make_test_repo("big", {".ssci/test": MEMORY_TEST})
        self.notify_ok(repo, big)
        job, text = self.final(big)
        self.assertEqual(job["state"], "failed", text)
        self.assertEqual(job["reason"], "memory limit of 64 MiB exceeded")
        self.assertIn("ssci: memory limit of 64 MiB exceeded: the test was "
                      "killed", text)
        self.assertNotIn("allocated 300 MB", text)
        self.assertRegex(text, r"\nresult: failed .*runner=lim attempt=1 ")
        # A test within the limit passes on the same runner.
        small = self.commit(repo, "small", {".ssci/test":
                                            "#!/bin/sh\npython3 -c "
                                            "\"bytearray(8*1024*1024)\"\n"})
        self.notify_ok(repo, small)
        job, text = self.final(small)
        self.assertEqual((job["state"], job["reason"]), ("passed", None),
                         text)
        self.wait_for(lambda: not self.cgroups_left(r),
                      "the jobs' control groups to be removed")

    def test_process_limit(self):
        r = self.limited_runner("--job-pids", "20")
        repo, many = self.make_test_repo("many", {".ssci/test": PIDS_TEST})
        self.notify_ok(repo, many)
        job, text = self.final(many)
        self.assertEqual(job["state"], "failed", text)
        self.assertIn("fork refused after", text)
        self.assertNotIn("started 100 processes", text)
        n = int(re.search(r"fork refused after (\d+)", text).group(1))
        self.assertLess(n, 20, text)
        self.assertRegex(text, r"\nresult: failed exit_code=1 ")
        self.wait_for(lambda: not self.cgroups_left(r),
                      "the jobs' control groups to be removed")


    @unittest.skipUnless(os.geteuid() == 0, "changing users needs root")
    def test_limits_for_a_service_user_given_the_groups(self):
        """A runner that is not root (as the package's unit runs it, here
        as nobody) on cgroup v1 limits its jobs in the groups an admin
        made and gave it, as docs/DEPLOY.md says: mkdir and chown of
        /sys/fs/cgroup/{memory,pids}/ssci."""
        if not os.path.isdir("/sys/fs/cgroup/memory"):
            self.skipTest("no cgroup v1 memory hierarchy here (a v2 "
                          "machine delegates instead: test_cgroup.c)")
        uid = 65534
        for top in ("/sys/fs/cgroup/memory/ssci", "/sys/fs/cgroup/pids/ssci"):
            os.makedirs(top, exist_ok=True)
            os.chown(top, uid, uid)
            self.addCleanup(os.chown, top, 0, 0)
        os.chmod(self.tmp, 0o755)
        work = self.path("svc-work")
        os.makedirs(work)
        os.chown(work, uid, uid)
        token = os.path.join(work, "token")
        with open(token, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token, 0o600)
        os.chown(token, uid, uid)
        # git reads no repository of another user's unless told to.
        with open(os.path.join(work, ".gitconfig"), "w") as f:
            f.write("[safe]\n\tdirectory = *\n")
        env = dict(os.environ, HOME=work)
        r = Proc("svc", ["setpriv", "--reuid", str(uid), "--regid",
                         str(uid), "--clear-groups", SSCI, "runner",
                         "--dispatcher-server", self.d.address, "--name",
                         "svc", "--work-dir", work, "--token-file", token,
                         "--job-memory", "64M", "--job-pids", "50"],
                 self.tmp, env=env)
        self.procs.append(r)
        self.wait_for(lambda: "registered with" in r.stderr() or
                      not r.alive(), "the runner to register")
        self.assertNotIn(NO_CGROUPS, r.stderr())
        repo, big = self.make_test_repo("big", {".ssci/test": MEMORY_TEST})
        self.notify_ok(repo, big)
        job, text = self.final(big)
        self.assertEqual((job["state"], job["reason"]),
                         ("failed", "memory limit of 64 MiB exceeded"), text)
        self.assertNotIn("allocated 300 MB", text)
        self.wait_for(lambda: not self.cgroups_left(r),
                      "the jobs' control groups to be removed")

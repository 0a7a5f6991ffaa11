# SPDX-License-Identifier: MIT
"""The Debian package (issue 20): "make deb" builds it, lintian clean of
errors, from a copy of the checkout (nothing lands in the checkout); it
installs with dpkg -i and gives the binary, the system user ssci, the
conffile /etc/ssci/ssci.conf (all comments), the units (systemd-analyze
verify) and the manual pages (man -l); dpkg --purge removes it all but
the user.

The package is installed into the machine's own file system seen through
an overlay, in a mount namespace of the test's own: dpkg, adduser and the
maintainer scripts run for real, but what they write lands in a tmpfs that
goes away with the test, so the tests running beside this one never see an
/usr/bin/ssci, an /etc/ssci/ssci.conf or a user ssci, and the machine is
left as it was.  Its /run is empty, as on a machine where systemd does not
run: the package must install there without starting anything."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest

from harness import only_on

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = ("dpkg-buildpackage", "dh", "lintian", "systemd-analyze", "man",
         "unshare", "nsenter", "chroot", "git")
# Inside the overlay: a plain environment, as an administrator's shell.
INSIDE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
              "/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
              "DEBIAN_FRONTEND": "noninteractive", "MANWIDTH": "80"}
# In its own mount namespace: a tmpfs at $1 holding the overlay's upper
# layer (the .deb $2 put in it first) and the merged root, with /proc,
# /sys and /dev, an empty /run and /tmp; then wait for the test's end (its
# standard input closing) to let it all go.
OVERLAY = """set -e
t=$1; deb=$2
mount -t tmpfs tmpfs "$t"
mkdir "$t/upper" "$t/work" "$t/root" "$t/upper/ssci-test"
cp "$deb" "$t/upper/ssci-test/"
mount -t overlay overlay -o "lowerdir=/,upperdir=$t/upper,workdir=$t/work" \
    "$t/root"
mount -t proc proc "$t/root/proc"
mount --rbind /sys "$t/root/sys"
mount --rbind /dev "$t/root/dev"
mount -t tmpfs tmpfs "$t/root/run"
mount -t tmpfs tmpfs "$t/root/tmp"
echo ready
exec cat >/dev/null
"""


def version():
    with open(os.path.join(ROOT, "src", "util.h")) as f:
        return re.search(r'#define SSCI_VERSION "([^"]+)"', f.read()).group(1)


def copy_checkout(dest):
    """The checkout's tracked and new (not ignored) files, as they are in
    its working tree, copied to dest and added to a new git index there,
    as in a fresh clone."""
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others",
         "--exclude-standard"],
        cwd=ROOT, check=True, stdout=subprocess.PIPE).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in names)):
        src = os.path.join(ROOT, name)
        if name.startswith("build-deb/") or not os.path.lexists(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, name), follow_symlinks=False)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True)


def only_comments(text):
    """The lines of a configuration file that set something."""
    return [line for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#") and
            not re.fullmatch(r"\s*\[[a-z-]+\]\s*", line)]


def uncommented(text):
    """The file with its commented examples ("# name = value") made real."""
    return "".join(re.sub(r"^#\s*([a-z][a-z0-9-]*\s*=)", r"\1", line)
                   for line in text.splitlines(True))


@only_on("sqlite", why="uses no dispatcher's store: once is enough")
class TestDeb(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("dpkg -i and a mount namespace need root")
        missing = [t for t in TOOLS if shutil.which(t) is None]
        if missing:
            self.skipTest(f"missing {' '.join(missing)} (scripts/deps test "
                          "installs them)")
        status = subprocess.run(
            ["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "ssci"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if status.returncode == 0 and status.stdout[1:2] != "n":
            self.fail("the package ssci is on this machine already (dpkg "
                      f"status '{status.stdout.strip()}'): this test installs "
                      "and purges a build of its own and needs a machine "
                      "without one; it leaves that one alone, remove it "
                      "(dpkg --purge ssci) to run the test")
        self.tmp = tempfile.mkdtemp(prefix="ssci-deb-")
        if not os.environ.get("SSCI_KEEP"):
            self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def make_deb(self):
        """make deb in a copy of the checkout; the .deb's path."""
        src = os.path.join(self.tmp, "src")
        copy_checkout(src)
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        proc = subprocess.run(["make", "deb", "JOBS=2"], cwd=src, env=env,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              errors="replace", timeout=1200)
        self.assertEqual(proc.returncode, 0, proc.stdout[-6000:])
        self.assertRegex(proc.stdout, r"deb: lintian: 0 errors, \d+ warnings")
        debversion = subprocess.run(
            ["dpkg-parsechangelog", "-l", os.path.join(src, "debian",
                                                       "changelog"),
             "-S", "Version"], check=True, stdout=subprocess.PIPE,
            text=True).stdout.strip()
        self.assertEqual(debversion.rsplit("-", 1)[0], version(),
                         "debian/changelog and SSCI_VERSION differ")
        arch = subprocess.run(["dpkg", "--print-architecture"], check=True,
                              stdout=subprocess.PIPE, text=True).stdout.strip()
        deb = os.path.join(src, "build-deb", f"ssci_{debversion}_{arch}.deb")
        self.assertTrue(os.path.isfile(deb), proc.stdout[-3000:])
        return deb

    def enter_overlay(self, deb):
        """The mount namespace with the overlay; self.root is its root as
        this process sees it."""
        ns = os.path.join(self.tmp, "ns")
        os.mkdir(ns)
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             OVERLAY, "sh", ns, deb], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.leave_overlay)
        line = self.holder.stdout.readline()
        if line != "ready\n":
            self.holder.stdin.close()
            err = self.holder.stderr.read()
            self.skipTest(f"no overlay of / in a mount namespace here: {err}")
        self.ns_root = f"{ns}/root"
        self.root = f"/proc/{self.holder.pid}/root{self.ns_root}"
        self.deb_inside = "/ssci-test/" + os.path.basename(deb)

    def leave_overlay(self):
        """The namespace ends with its last process, and the overlay and
        all that was written in it with it."""
        if self.holder.poll() is None:
            self.holder.stdin.close()
            try:
                self.holder.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.holder.pid, signal.SIGKILL)
                self.holder.wait()
        for f in (self.holder.stdin, self.holder.stdout, self.holder.stderr):
            f.close()

    def inside(self, *args, timeout=120):
        """A command run in the overlay, as root."""
        return subprocess.run(
            ["nsenter", "-t", str(self.holder.pid), "-m", "chroot",
             self.ns_root, *args], env=INSIDE_ENV, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, errors="replace",
            timeout=timeout)

    def path(self, p):
        """An absolute path inside the overlay, as this process sees it."""
        return self.root + p

    def test_make_deb_install_check_and_purge(self):
        deb = self.make_deb()
        contents = subprocess.run(
            f"dpkg-deb --fsys-tarfile '{deb}' | tar -t", shell=True,
            check=True, stdout=subprocess.PIPE, text=True).stdout
        contents = sorted({os.path.normpath("/" + c)
                           for c in contents.splitlines()} - {"/"})
        self.enter_overlay(deb)
        there_before = {p for p in contents if os.path.lexists(self.path(p))}
        # A user ssci the machine has (one an earlier purge kept) goes, in
        # the overlay only: the install must make it.
        if self.inside("getent", "passwd", "ssci").returncode == 0:
            self.inside("userdel", "ssci")
        if self.inside("getent", "group", "ssci").returncode == 0:
            self.inside("groupdel", "ssci")
        self.assertNotEqual(self.inside("getent", "passwd", "ssci")
                            .returncode, 0)

        proc = self.inside("dpkg", "-i", self.deb_inside, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        listed = self.inside("dpkg", "-L", "ssci").stdout.split("\n")
        listed = sorted({os.path.normpath(p) for p in listed
                         if p.startswith("/")} - {"/"})
        self.assertEqual(sorted(set(contents) - set(listed)), [])

        with self.subTest("the binary"):
            proc = self.inside("ssci", "--version")
            self.assertEqual((proc.returncode, proc.stdout),
                             (0, f"ssci {version()}\n"), proc.stderr)
            self.assertEqual(self.inside("sh", "-c", "command -v ssci")
                             .stdout, "/usr/bin/ssci\n")
        with self.subTest("the system user ssci"):
            self.check_user()
        with self.subTest("the conffile"):
            self.check_conffile()
        with self.subTest("the units"):
            self.check_units(listed)
        with self.subTest("the manual pages"):
            self.check_man_pages(listed)

        # What the services would have made by then: purge removes it too.
        for d in ("dispatcher", "test_results", "runner-r1"):
            os.makedirs(self.path(f"/var/lib/ssci/{d}"))
            with open(self.path(f"/var/lib/ssci/{d}/state"), "w") as f:
                f.write("x")
        proc = self.inside("dpkg", "--purge", "ssci", timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        status = self.inside("dpkg-query", "-W", "-f", "${db:Status-Abbrev}",
                             "ssci")
        self.assertTrue(status.returncode != 0 or status.stdout[1] == "n",
                        status.stdout)
        left = [p for p in sorted(set(listed) | {"/var/lib/ssci"})
                if p not in there_before and os.path.lexists(self.path(p))]
        self.assertEqual(left, [], "left behind by dpkg --purge")
        self.assertFalse(os.path.lexists(self.path(
            "/etc/systemd/system/multi-user.target.wants/"
            "ssci-dispatcher.service")))
        # The user stays, as Debian's system users do (debian/ssci.postrm).
        self.assertEqual(self.inside("getent", "passwd", "ssci").returncode,
                         0, "the user ssci is kept on purge")

    def check_user(self):
        proc = self.inside("getent", "passwd", "ssci")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        _, _, uid, gid, _, home, shell = proc.stdout.strip().split(":")
        first, last = 100, 999
        with open(self.path("/etc/adduser.conf")) as f:
            conf = f.read()
        m = re.search(r"^FIRST_SYSTEM_UID=(\d+)", conf, re.M)
        first = int(m.group(1)) if m else first
        m = re.search(r"^LAST_SYSTEM_UID=(\d+)", conf, re.M)
        last = int(m.group(1)) if m else last
        self.assertTrue(first <= int(uid) <= last, f"uid {uid} is not a "
                        f"system user's ({first} to {last})")
        self.assertEqual(home, "/var/lib/ssci")
        self.assertIn(shell, ("/usr/sbin/nologin", "/sbin/nologin",
                              "/bin/false"))
        group = self.inside("getent", "group", "ssci")
        self.assertEqual(group.returncode, 0, "no group ssci")
        self.assertEqual(group.stdout.split(":")[2], gid)
        st = os.stat(self.path("/var/lib/ssci"))
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777),
                         (int(uid), int(gid), 0o750))

    def check_conffile(self):
        proc = self.inside("dpkg-query", "-W", "-f", "${Conffiles}", "ssci")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("/etc/ssci/ssci.conf",
                      [line.split()[0] for line in proc.stdout.splitlines()
                       if line.strip()])
        with open(self.path("/etc/ssci/ssci.conf")) as f:
            text = f.read()
        with open(os.path.join(ROOT, "etc", "ssci.conf")) as f:
            self.assertEqual(text, f.read())
        # Installed, it changes nothing: every command keeps its defaults.
        self.assertEqual(only_comments(text), [])
        proc = self.inside("ssci", "config", "check", "/etc/ssci/ssci.conf")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        # Its examples, uncommented, are right too.
        example = uncommented(text)
        self.assertGreater(len(only_comments(example)), 20)
        with open(self.path("/tmp/example.conf"), "w") as f:
            f.write(example)
        proc = self.inside("ssci", "config", "check", "/tmp/example.conf")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def check_units(self, listed):
        units = {os.path.basename(p): p for p in listed
                 if re.search(r"/systemd/system/[^/]+\.service$", p)}
        self.assertEqual(sorted(units), ["ssci-dispatcher.service",
                                         "ssci-runner@.service"])
        for name, command in (("ssci-dispatcher.service", "dispatcher"),
                              ("ssci-runner@.service", "runner")):
            path = units[name]
            target = path.replace("@.service", "@r1.service")
            proc = self.inside("systemd-analyze", "verify", target)
            out = proc.stdout + proc.stderr
            self.assertEqual(proc.returncode, 0, out)
            self.assertEqual([line for line in out.splitlines()
                              if "ssci" in line], [], out)
            with open(self.path(path)) as f:
                unit = f.read()
            self.assertRegex(unit, r"(?m)^User=ssci$")
            self.assertRegex(unit,
                             r"(?m)^ExecReload=/bin/kill -HUP \$MAINPID$")
            # Every option the unit gives is one the binary has.
            start = re.search(r"(?m)^ExecStart=/usr/bin/ssci (\w+) (.*)$",
                              unit)
            self.assertIsNotNone(start, unit)
            self.assertEqual(start.group(1), command)
            has = set(re.findall(r"(?m)^  (--[a-z0-9-]+)", self.inside(
                "ssci", command, "--help").stdout))
            for opt in re.findall(r"(?:^| )(--[a-z0-9-]+)", start.group(2)):
                self.assertTrue(opt in has, f"{name}: ssci {command} has no "
                                f"{opt}")
        # Enabled as debhelper does, not started: this /run has no systemd.
        self.assertTrue(os.path.islink(self.path(
            "/etc/systemd/system/multi-user.target.wants/"
            "ssci-dispatcher.service")))

    def check_man_pages(self, listed):
        pages = [p for p in listed if p.startswith("/usr/share/man/") and
                 os.path.isfile(self.path(p))]
        self.assertIn("/usr/share/man/man1/ssci.1.gz", pages)
        self.assertIn("/usr/share/man/man5/ssci.conf.5.gz", pages)
        bad = {}
        for page in pages:
            proc = self.inside("man", "--warnings", "-l", page)
            if proc.returncode != 0 or proc.stderr or \
                    len(proc.stdout.strip().splitlines()) < 5:
                bad[page] = (proc.returncode, proc.stderr[:500])
        self.assertEqual(bad, {}, json.dumps(bad, indent=1))


if __name__ == "__main__":
    unittest.main()

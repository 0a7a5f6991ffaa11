# SPDX-License-Identifier: MIT
"""harness.py - what every integration test needs: a temporary folder,
git repositories made in it, the real ssci programs started on loopback
with port 0 (the port read from the "listening on" line), waiting for
states with a deadline instead of sleeping, and cleanup by PID.

A test that fails has the stderr of every process it started appended to
its failure message; set SSCI_KEEP=1 to keep the temporary folder.

What the tests know of a dispatcher's state they ask it, over its
protocol (Dispatcher.jobs(), .query()) or its HTTP side, never from its
database.  The network clients (protocol Client, http(), EventStream) are
in harness_net.py, imported here; parse_html() reads a page into a tree of
Elements to check its structure.
"""
import html.parser
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import pg_util
from harness_net import (DEADLINE, Client, EventStream, Reply,  # noqa: F401
                         hello, http, http_json)

SSCI = os.environ.get("SSCI_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "ssci")
SSCI = os.path.abspath(SSCI)
# The tests of the repositories under test run the python3 that runs
# these, found first on PATH: a wrapper such as pyenv's shim would cost
# a shell and its own start-up on every job.
os.environ["PATH"] = os.path.dirname(os.path.realpath(sys.executable)) + \
    os.pathsep + os.environ.get("PATH", "")
# Under AddressSanitizer (make asan) freed memory is held back in its
# quarantine: a process's RSS says nothing of what it holds.
SANITIZED = "ASAN_OPTIONS" in os.environ
SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|"
                       r"runtime error: ")

PASSING_TEST = '''import unittest


class TestPass(unittest.TestCase):
    def test_one(self):
        self.assertEqual(1 + 1, 2)

    def test_two(self):
        self.assertTrue(True)
'''

FAILING_TEST = '''import unittest


class TestFail(unittest.TestCase):
    def test_broken(self):
        self.assertEqual(1 + 1, 3)
'''

MARKER_TEST = '''import unittest


class TestMarker(unittest.TestCase):
    def test_marker(self):
        print("%s")
'''

FINAL_STATES = ("passed", "failed", "error", "timeout", "cancelled", "skipped")


def git(cwd, *args, check=True):
    """Run git in cwd; its stdout, stripped."""
    env = dict(os.environ, GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="t@x",
               GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="t@x")
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}: "
                             f"{proc.stderr}")
    return proc.stdout.strip()


# Elements that have no end tag.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Element:
    """An element of a page read by parse_html: tag, attrs ({name:
    value}), children (Elements and strings of text), parent."""

    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children = []

    def __repr__(self):
        attrs = "".join(f' {k}="{v}"' for k, v in self.attrs.items())
        return f"<{self.tag}{attrs}>"

    @property
    def classes(self):
        return set((self.attrs.get("class") or "").split())

    def text(self):
        """The text of the element and its descendants, entities decoded."""
        return "".join(c if isinstance(c, str) else c.text()
                       for c in self.children)

    def elements(self):
        """The child elements (not the text between them)."""
        return [c for c in self.children if isinstance(c, Element)]

    def find_all(self, tag=None, cls=None, **attrs):
        """Descendants, in document order, by tag, by one of their classes
        and by attribute values (id="log"; data_job="3" for data-job)."""
        for c in self.elements():
            if ((tag is None or c.tag == tag) and
                    (cls is None or cls in c.classes) and
                    all(c.attrs.get(k.replace("_", "-")) == v
                        for k, v in attrs.items())):
                yield c
            yield from c.find_all(tag, cls, **attrs)

    def one(self, tag=None, cls=None, **attrs):
        """The one descendant find_all finds (an error if not one)."""
        found = list(self.find_all(tag, cls, **attrs))
        if len(found) != 1:
            raise AssertionError(f"{len(found)} elements tag={tag} cls={cls} "
                                 f"{attrs} in {self!r}: {found[:5]}")
        return found[0]


class _TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.cur = Element("#document", {})

    def handle_starttag(self, tag, attrs):
        node = Element(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_endtag(self, tag):
        node = self.cur
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.cur = node.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse_html(text):
    """The tree of an HTML (or SVG) text: its root Element, "#document"."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def free_port():
    """A loopback port where nothing listens (bound to port 0, closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A started program with its output in files."""

    def __init__(self, name, argv, cwd, env=None):
        self.name = name
        self.argv = argv
        self.cwd = cwd
        self.out_path = os.path.join(cwd, f"{name}.out")
        self.err_path = os.path.join(cwd, f"{name}.err")
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.popen = subprocess.Popen(argv, cwd=cwd, stdout=self.out,
                                      stderr=self.err, stdin=subprocess.DEVNULL,
                                      env=env, start_new_session=True)
        self.pid = self.popen.pid

    def stdout(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL; returns the exit status."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait()
        self.out.close()
        self.err.close()
        return self.popen.returncode

    def kill_group(self):
        """SIGKILL the process group (the program and its children)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait()


class Queryable:
    """What a test asks of a running dispatcher (Dispatcher, or the one
    "ssci up" runs): needs name, argv, cwd, port, results_dir."""
    host = "127.0.0.1"
    ssl_context = None

    def option(self, name):
        """The value of the last --name the program was started with."""
        value = None
        for i, arg in enumerate(self.argv[:-1]):
            if arg == name:
                value = self.argv[i + 1]
        return value

    def token(self):
        """The token its --token-file holds (None without one)."""
        path = self.option("--token-file")
        if path is None:
            return None
        with open(path if os.path.isabs(path) else
                  os.path.join(self.cwd, path)) as f:
            return f.read().strip()

    def connect(self, timeout=DEADLINE):
        """A new Client to the protocol port (TLS with self.ssl_context,
        which a test sets for a dispatcher started with --tls-cert)."""
        if self.option("--tls-cert") is not None and \
                self.ssl_context is None:
            raise AssertionError(f"{self.name} speaks TLS: set its "
                                 "ssl_context to query it")
        return Client(self.port, self.host, self.ssl_context,
                      timeout=timeout)

    def query(self, msg, via=None):
        """msg's reply, asked as a client on a connection of its own (with
        the token, waiting out a slow_down), or on via, a Client that said
        hello already."""
        if via is not None:
            return via.request(msg)
        end = time.monotonic() + DEADLINE
        while True:
            with self.connect() as c:
                reply = c.hello("client", self.token())
                if reply == {"type": "ok"}:
                    return c.request(msg)
            wait = re.search(r"try again in (\d+) ms",
                             reply.get("message", ""))
            if reply.get("code") != "slow_down" or not wait or \
                    time.monotonic() > end:
                raise AssertionError(f"{self.name} refused the harness's "
                                     f"hello: {reply}")
            time.sleep(int(wait.group(1)) / 1000 + 0.01)

    def jobs(self, via=None):
        """Every job, oldest first, as the API's job objects (fields as in
        docs/API.md): the protocol's jobs query, page by page."""
        jobs, before = [], None
        while True:
            msg = {"type": "jobs", "limit": 1000}
            if before is not None:
                msg["before"] = before
            reply = self.query(msg, via)
            if reply.get("type") != "ok":
                raise AssertionError(f"jobs query refused: {reply}")
            jobs += reply["jobs"]
            if len(reply["jobs"]) < 1000:
                return sorted(jobs, key=lambda j: j["id"])
            before = reply["jobs"][-1]["id"]

    def result(self, commit):
        """The text of test_results/<commit>, or None."""
        path = os.path.join(self.results_dir, commit)
        if not os.path.exists(path):
            return None
        with open(path, errors="replace") as f:
            return f.read()


class Dispatcher(Queryable, Proc):
    """A dispatcher on a free port; with http=True its web side too, on
    another free port (self.http_url)."""

    def __init__(self, test, name="dispatcher", port=0, args=(), http=False,
                 wrap=(), wait=True):
        self.state_dir = os.path.join(test.tmp, f"{name}-state")
        self.results_dir = os.path.join(test.tmp, f"{name}-results")
        # Test repositories are local paths.
        argv = [*wrap, SSCI, "dispatcher", "--local-repos", "--port",
                str(port), "--host",
                "127.0.0.1", "--state-dir", self.state_dir,
                "--results-dir", self.results_dir,
                "--http", "127.0.0.1:0" if http else "off", *args]
        # The last --state-dir or --results-dir given is the one used.
        for i, arg in enumerate(argv[:-1]):
            if arg == "--state-dir":
                self.state_dir = argv[i + 1]
            elif arg == "--results-dir":
                self.results_dir = argv[i + 1]
        # The suite's second pass keeps the store in PostgreSQL.
        if pg_util.test_store() and "--store" not in argv:
            argv += pg_util.store_args(self.state_dir, test.pg_databases)
        super().__init__(name, argv, test.tmp)
        self.port = port
        self.address = f"127.0.0.1:{self.port}"
        self.http_url = None
        if wait:
            self.wait_listening(test, http)

    def wait_listening(self, test, http=False, timeout=DEADLINE):
        """Wait until it listens (a standby: until it is active)."""
        line = test.wait_for(lambda: re.search(
            r"^listening on (\S+):(\d+)$", self.stdout(), re.M),
            f"{self.name} to listen", timeout)
        self.port = int(line.group(2))
        self.address = f"127.0.0.1:{self.port}"
        if http:
            line = test.wait_for(lambda: re.search(
                r"^http listening on (\S+):(\d+)$", self.stdout(), re.M),
                f"{self.name} to serve HTTP", timeout)
            self.http_url = f"http://127.0.0.1:{line.group(2)}"


def only_on(*backends, why):
    """Mark a test (or class) that makes sense on these stores only
    (tests/run runs the others on each of "sqlite" and "postgresql")."""
    def mark(obj):
        obj.backends = backends
        obj.only_on_why = why
        return obj
    return mark


class SsciTest(unittest.TestCase):
    """Base class: a temporary folder and the processes started in it."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ssci-test-")
        self.procs = []
        self.pg_databases = set()
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        for p in reversed(self.procs):
            try:
                p.stop()
            except OSError:
                pass
        pg_util.drop(self.pg_databases)
        # Under make asan, a sanitizer's report in any program's stderr
        # fails the test that ran it, leaks found at exit included.
        reports = [f"--- {p.name} (pid {p.pid}):\n{p.stderr()}"
                   for p in self.procs if SANITIZER.search(p.stderr())]
        if not os.environ.get("SSCI_KEEP") and not reports:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if reports:
            raise AssertionError("sanitizer report (kept " + self.tmp +
                                 "):\n" + "\n".join(reports))

    def logs(self):
        parts = []
        for p in self.procs:
            parts.append(f"--- {p.name} (pid {p.pid}) stderr:\n{p.stderr()}")
        return "\n".join(parts)

    def fail_with_logs(self, msg):
        self.fail(f"{msg}\n{self.logs()}")

    def wait_for(self, fn, what, timeout=DEADLINE):
        """Poll fn until it returns something true; fail after timeout.
        The polls slow down from 10 to 100 ms: quick answers come
        quickly, and a long wait does not spend the CPU the processes
        under test need."""
        end = time.monotonic() + timeout
        pause = 0.01
        while True:
            value = fn()
            if value:
                return value
            if time.monotonic() > end:
                self.fail_with_logs(f"timed out waiting for {what}")
            time.sleep(pause)
            pause = min(pause * 1.5, 0.1)

    def connect(self, d, role="client", token=None, hello=True,
                ssl_context=None, timeout=DEADLINE):
        """A protocol Client to d (a Dispatcher, or a port), closed when
        the test ends; with hello, it said hello as role (with token) and
        was answered ok."""
        port = d if isinstance(d, int) else d.port
        c = Client(port, ssl_context=ssl_context, timeout=timeout)
        self.addCleanup(c.close)
        if hello:
            self.assertEqual(c.hello(role, token), {"type": "ok"},
                             f"hello as {role}")
        return c

    def start(self, name, *args, env=None):
        p = Proc(name, [SSCI, *args], self.tmp, env=env)
        self.procs.append(p)
        return p

    def dispatcher(self, name="dispatcher", port=0, args=(), http=False,
                   wrap=(), wait=True):
        """A dispatcher; wrap is a command it runs under (prlimit ...);
        without wait, not waited for to listen (a standby)."""
        d = Dispatcher(self, name, port, args, http, wrap, wait)
        self.procs.append(d)
        return d

    def restart_dispatcher(self, d, args=(), **kw):
        """Start d again at once on its port and state folder (kw as
        dispatcher()'s); d's old output is kept as NAME-before.out/.err."""
        for attr in ("out_path", "err_path"):
            old = getattr(d, attr)
            new = os.path.join(os.path.dirname(old), f"{d.name}-before" +
                               os.path.splitext(old)[1])
            os.rename(old, new)
            setattr(d, attr, new)
        return self.dispatcher(d.name, port=d.port, args=args, **kw)

    def runner(self, d, name, clone=None, args=()):
        argv = ["runner", "--dispatcher-server", d.address, "--name", name,
                "--work-dir", os.path.join(self.tmp, f"{name}-work"), *args]
        if clone is not None:
            argv.append(clone)
        p = self.start(name, *argv)
        self.wait_for(lambda: "registered with" in p.stderr() or
                      not p.alive(), f"runner {name} to register")
        return p

    def observer(self, d, clone, name="observer", interval=1, args=()):
        return self.start(name, "observer", "--dispatcher-server", d.address,
                          "--interval", str(interval), *args, clone)

    def make_repo(self, name="repo", tests=PASSING_TEST):
        """A repository with tests/test_example.py; returns its path."""
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.join(path, "tests"))
        git(path, "init", "-q", "-b", "main")
        with open(os.path.join(path, "tests", "test_example.py"), "w") as f:
            f.write(tests)
        git(path, "add", "tests")
        git(path, "commit", "-q", "-m", "add tests")
        return path

    def commit(self, repo, message, files=None):
        """Commit files ({path: text}, or one new file); returns the id."""
        files = files or {f"file-{time.monotonic_ns()}": message}
        for rel, text in files.items():
            full = os.path.join(repo, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
            if rel.startswith(".ssci/"):
                os.chmod(full, 0o755)
            git(repo, "add", rel)
        git(repo, "commit", "-q", "-m", message)
        return git(repo, "rev-parse", "HEAD")

    def clone(self, repo, name):
        path = os.path.join(self.tmp, name)
        git(self.tmp, "clone", "-q", repo, path)
        return path

    def wait_results(self, d, commits, what="results"):
        """Wait until every commit has its test_results file."""
        self.wait_for(lambda: all(d.result(c) and "\nresult: " in
                                  "\n" + d.result(c) for c in commits),
                      f"{what} for {len(commits)} commits")

    def ssci(self, *args, cwd=None, timeout=30):
        """Run a one-shot ssci command; its CompletedProcess (text)."""
        return subprocess.run([SSCI, *args], cwd=cwd or self.tmp, text=True,
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)

    def notify(self, d, repo, *args):
        """ssci notify against dispatcher d (or an address), run in repo."""
        address = d if isinstance(d, str) else d.address
        return self.ssci("notify", "--dispatcher-server", address, *args,
                         cwd=repo)

    def marker_commits(self, repo, count, prefix="MARKER"):
        """count commits, each rewriting tests/test_marker.py to print its
        own marker; returns [(commit, marker)], oldest first."""
        made = []
        for i in range(count):
            marker = f"{prefix}-{i:03d}-{time.monotonic_ns()}"
            commit = self.commit(repo, f"commit {i}", {
                "tests/test_marker.py": MARKER_TEST % marker})
            made.append((commit, marker))
        return made

    def wait_jobs(self, d, count, what="jobs", via=None):
        """Wait until d has at least count jobs, all in a final state
        (asked on via, a Client, if given: see Dispatcher.query)."""
        def done():
            jobs = d.jobs(via)
            if len(jobs) >= count and all(j["state"] in FINAL_STATES
                                          for j in jobs):
                return jobs
            return None
        return self.wait_for(done, f"{count} {what} to finish")

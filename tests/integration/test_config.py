# SPDX-License-Identifier: MIT
"""The configuration file (issue 20): every long option of the dispatcher,
the runner and the observer works from its section of the file, each kind
of wrong line is refused naming the file and the line, the command line
overrides the file (a repeatable option's list is replaced), `ssci config
check` checks without starting anything, and /etc/ssci/ssci.conf is read
when no --config is given."""
import json
import os
import re
import signal
import subprocess
import unittest

from harness import SSCI, SsciTest

# A value each option takes, per command: the test fails when an option
# has none here, so a new option cannot go untried.
GOOD = {
    "dispatcher": {
        "host": "127.0.0.1", "port": "0", "http": "127.0.0.1:0",
        "http-host": "ci.example.org", "state-dir": "state",
        "store": "sqlite:state/other.db",
        "results-dir": "results", "heartbeat": "0.5", "idle-heartbeat": "20",
        "runner-timeout": "2.5", "client-timeout": "30",
        "http-timeout": "10", "job-timeout": "60", "max-attempts": "2",
        "retry-failed": "1", "max-log-bytes": "1048576",
        "max-artifact-bytes": "1048576",
        "token-file": "token", "runner-token-file": "runner-token",
        "http-auth": "yes", "local-repos": "yes", "tls-cert": "cert.pem",
        "tls-key": "key.pem", "max-connections": "100",
        "max-http-connections": "10", "max-queued-per-repo": "50",
        "forge": "gh=github,https://github.com,secret",
        "forge-repo": "owner/name", "public-url": "https://ci.example.org",
        "notify-url": "https://chat.example.org/hook",
        "notify-email": "dev@example.org", "notify-all": "on",
        "http-rate": "20", "verbose": "true", "keep-days": "30",
        "keep-jobs": "500", "min-free": "5%", "log-file": "dispatcher.log",
        "coalesce": "main", "coalesce-wait": "0.5",
        "branch-priority": "release/*=high",
        "schedule": "/srv/git/r.git main 0 3 * * 1-5",
        "test-schedule-clock": "1767225600,60",
    },
    "runner": {
        "dispatcher-server": "127.0.0.1:1", "name": "r1",
        "work-dir": "work", "test-cmd": "make check # all of it",
        "job-timeout": "60", "jobs": "2", "sandbox": "no",
        "sandbox-net": "false", "job-memory": "512M", "job-pids": "100",
        "reports": "build/junit-*.xml", "label": "linux",
        "cache-dir": "caches", "cache-max": "5G",
        "token-file": "token", "tls-ca": "ca.pem", "tls": "no",
        "verbose": "1",
    },
    "observer": {
        "dispatcher-server": "127.0.0.1:1", "interval": "2.5",
        "branch": "main", "all-branches": "yes", "pending": "pending",
        "token-file": "token", "tls-ca": "ca.pem", "tls": "off",
        "verbose": "0",
    },
}

# A value refused, for each option that can refuse one.
BAD = {
    "dispatcher": {
        "port": "65536", "heartbeat": "0.001", "idle-heartbeat": "0", "runner-timeout": "soon",
        "client-timeout": "-1", "http-timeout": "1e9", "job-timeout": "0",
        "max-attempts": "x", "retry-failed": "99", "max-log-bytes": "0",
        "max-artifact-bytes": "0",
        "max-connections": "0", "max-http-connections": "many",
        "max-queued-per-repo": "0", "forge-repo": "no-slash",
        "notify-url": "ftp://example.org", "notify-email": "nobody",
        "http-rate": "0", "http-auth": "maybe", "local-repos": "2",
        "notify-all": "yess", "verbose": "loud", "keep-days": "-1",
        "keep-jobs": "many", "min-free": "100%", "coalesce-wait": "-1",
        "branch-priority": "main=urgent",
        "schedule": "/srv/git/r.git main 61 * * * *",
        "test-schedule-clock": "soon",
    },
    "runner": {
        "job-timeout": "0", "jobs": "65", "job-memory": "1k",
        "job-pids": "0", "reports": "../x.xml", "label": "-x",
        "cache-max": "5X",
        "sandbox": "sure", "sandbox-net": "nope", "tls": "y",
        "verbose": "2",
    },
    "observer": {
        "interval": "0", "branch": "a..b", "all-branches": "every",
        "tls": "yes!", "verbose": "-",
    },
}


def help_options(command):
    """{name: takes a value} of `ssci COMMAND --help`."""
    out = subprocess.run([SSCI, command, "--help"], check=True, text=True,
                         stdout=subprocess.PIPE).stdout
    return {m.group(1): bool(m.group(2)) for m in
            re.finditer(r"(?m)^  --([a-z-]+)( \S+)?", out)}


class TestConfig(SsciTest):
    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, path):
        return self.ssci("config", "check", path)

    def test_every_option_is_taken_from_the_file(self):
        for command in GOOD:
            options = help_options(command)
            names = set(options) - {"help", "config"}
            self.assertEqual(set(GOOD[command]), names, command)
            for name in sorted(names):
                value = GOOD[command][name]
                path = self.write("good.conf", f"# one option\n[{command}]"
                                  f"\n  {name}  =  {value}  \n")
                proc = self.check(path)
                self.assertEqual(proc.returncode, 0,
                                 f"{command} {name}: {proc.stderr}")
                self.assertEqual(proc.stdout,
                                 f"{path}: every line is right\n")
            self.assertTrue(set(BAD[command]) <= names, command)

    def test_a_refused_value_names_the_file_and_line(self):
        """Each refused value: `config check` and the command itself name
        the file and the line; the message is the command line's own."""
        for command in BAD:
            options = help_options(command)
            for name, value in sorted(BAD[command].items()):
                path = self.write("bad.conf", f"[observer]\n# {name}\n"
                                  f"[{command}]\n{name} = {value}\n")
                proc = self.check(path)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                line = proc.stderr.strip()
                self.assertTrue(line.startswith(f"ssci: {path}:4: "),
                                f"{command} {name}: {line}")
                self.assertIn(name, line)
                self.assertNotIn("every line", proc.stdout)
                started = self.ssci(command, "--config", path, "somewhere")
                self.assertEqual(started.returncode, 2, started.stderr)
                self.assertEqual(started.stderr.splitlines()[0], line)
                if options[name]:
                    given = self.ssci(command, f"--{name}", value, "x")
                    self.assertEqual(given.returncode, 2, given.stderr)
                    self.assertEqual(given.stderr.splitlines()[0],
                                     line.replace(f"{path}:4: ", ""))

    def test_each_kind_of_wrong_line(self):
        cases = [
            ("port = 1\n", 1, "'port' comes before any [section]"),
            ("[dispatcher]\n\nport\n", 3, "expected 'option = value'"),
            ("[dispatcher\n", 1, "a section header must end with ']'"),
            ("# x\n[builder]\n", 2, "unknown section [builder]"),
            ("[runner]\njobs = 2\nspeed = 9\n", 3,
             "unknown option 'speed' in [runner]"),
            ("[runner]\n--jobs = 2\n", 2, "without '--'"),
            ("[runner]\njobs =\n", 2, "'jobs' has no value"),
            ("[runner]\nname = a\x1bb\n", 2, "control character"),
            ("[runner]\nhelp = yes\n", 2, "unknown option 'help'"),
            ("[observer]\nconfig = other.conf\n", 2,
             "unknown option 'config'"),
            ("[dispatcher]\nport = 8888 # the default\n", 2,
             "invalid value '8888 # the default' for --port"),
        ]
        for text, line, want in cases:
            path = self.write("wrong.conf", text)
            proc = self.check(path)
            self.assertEqual(proc.returncode, 1, text)
            self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
            self.assertTrue(proc.stderr.startswith(
                f"ssci: {path}:{line}: "), proc.stderr)
            self.assertIn(want, proc.stderr)
        missing = os.path.join(self.tmp, "missing.conf")
        proc = self.check(missing)
        self.assertEqual((proc.returncode, proc.stderr), (1, (
            f"ssci: unable to open '{missing}': No such file or directory"
            "\n")))
        proc = self.ssci("runner", "--config", missing)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(f"unable to open '{missing}'", proc.stderr)
        self.assertEqual(self.ssci("config", "verify", missing).returncode,
                         2)

    def test_a_whole_system_from_files(self):
        """A dispatcher, a runner and an observer given nothing but
        --config run a commit through; the command line then overrides
        the file, and a list given there replaces the file's."""
        repo = self.make_repo()
        clone = self.clone(repo, "clone")
        state = os.path.join(self.tmp, "state")
        results = os.path.join(self.tmp, "results")
        conf = self.write("ssci.conf", f"""\
# The whole system's settings.
[dispatcher]
host = 127.0.0.1
port = 0
http = 127.0.0.1:0
state-dir = {state}
results-dir = {results}
local-repos = yes
token-file = {self.tmp}/token

[runner]
name = from-file
work-dir = {self.tmp}/runner-work
label = linux
label = big disk
jobs = 2
token-file = {self.tmp}/token

[observer]
interval = 0.2
branch = main
token-file = {self.tmp}/token
""")
        with open(os.path.join(self.tmp, "token"), "w") as f:
            f.write("s3cret-token\n")
        os.chmod(os.path.join(self.tmp, "token"), 0o600)
        d = self.start("dispatcher", "dispatcher", "--config", conf)
        port = self.wait_for(lambda: re.search(
            r"^listening on 127\.0\.0\.1:(\d+)$", d.stdout(), re.M),
            "the dispatcher to listen").group(1)
        self.wait_for(lambda: re.search(r"^http listening on 127\.0\.0\.1:",
                                        d.stdout(), re.M), "HTTP")
        self.assertTrue(os.path.exists(os.path.join(state, "ssci.db")))
        address = f"127.0.0.1:{port}"
        r = self.start("runner", "runner", "--config", conf,
                       "--dispatcher-server", address)
        self.wait_for(lambda: "registered with" in r.stderr(), "runner")
        status = self.client_status(address)
        (runner,) = status["runners"]
        self.assertEqual((runner["name"], runner["slots"], runner["labels"]),
                         ("from-file", 2, ["linux", "big disk"]))
        self.start("observer", "observer", "--config", conf,
                   "--dispatcher-server", address, clone)
        commit = self.commit(repo, "second")
        path = os.path.join(results, commit)
        self.wait_for(lambda: os.path.exists(path) and "result: passed" in
                      open(path).read(), "the commit's result")
        self.assertTrue(os.path.isdir(os.path.join(self.tmp, "runner-work")))
        # The command line overrides the file; its --label list replaces
        # the file's.
        r.stop()
        r2 = self.start("runner2", "runner", "--config", conf,
                        "--dispatcher-server", address, "--name", "cli",
                        "--label", "only-this", "--jobs", "1")
        self.wait_for(lambda: "registered with" in r2.stderr(), "runner2")
        self.wait_for(lambda: [x["name"] for x in
                               self.client_status(address)["runners"]] ==
                      ["cli"], "the first runner gone")
        (runner,) = self.client_status(address)["runners"]
        self.assertEqual((runner["name"], runner["slots"], runner["labels"]),
                         ("cli", 1, ["only-this"]))
        # Without the file's token the dispatcher says no: it was read.
        proc = self.ssci("status", "--dispatcher-server", address)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)

    def client_status(self, address):
        proc = self.ssci("status", "--json", "--dispatcher-server", address,
                         "--token-file", os.path.join(self.tmp, "token"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)


@unittest.skipUnless(os.geteuid() == 0, "a mount namespace needs root")
class TestDefaultFile(SsciTest):
    def test_etc_ssci_conf_is_read_when_it_exists(self):
        """In a mount namespace of its own (nothing of the machine's /etc
        changes), /etc/ssci/ssci.conf is read without --config, and
        --config names another file instead."""
        etc = os.path.join(self.tmp, "etc")
        os.makedirs(etc)
        with open(os.path.join(etc, "ssci.conf"), "w") as f:
            f.write("[runner]\njobs = 99\n")
        # /etc stays as it is but for an ssci folder mounted over it (or,
        # when /etc has none, a private copy of /etc's top with one).
        script = """set -e
etc=$1; shift
if [ -d /etc/ssci ]; then
    mount --bind "$etc" /etc/ssci
else
    top=$(dirname "$etc")/etc-top
    mkdir -p "$top"
    mount --bind /etc "$top"
    mount -t tmpfs none /etc
    for f in "$top"/* "$top"/.[!.]*; do
        [ -e "$f" ] && ln -s "$f" "/etc/${f##*/}"
    done
    mkdir /etc/ssci
    mount --bind "$etc" /etc/ssci
fi
exec "$@"
"""
        def in_namespace(*args):
            return subprocess.run(
                ["unshare", "--mount", "--propagation", "private", "sh",
                 "-c", script, "sh", etc, SSCI, *args], text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        proc = in_namespace("runner", "--work-dir", "w")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertEqual(proc.stderr, "ssci: /etc/ssci/ssci.conf:2: invalid "
                         "value '99' for --jobs: expected a whole number "
                         "from 1 to 64\n")
        other = os.path.join(self.tmp, "other.conf")
        with open(other, "w") as f:
            f.write("[runner]\njobs = 0\n")
        proc = in_namespace("runner", "--config", other)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertTrue(proc.stderr.startswith(f"ssci: {other}:2: "),
                        proc.stderr)
        self.assertFalse(os.path.exists("/etc/ssci/ssci.conf") and
                         "jobs = 99" in open("/etc/ssci/ssci.conf").read())


if __name__ == "__main__":
    unittest.main()


class TestReload(SsciTest):
    def test_sighup_reloads(self):
        """SIGHUP: the log file reopened after a rotation, the token file
        read again, the options a reload applies applied; a wrong file
        changes nothing and the dispatcher goes on; what only a restart
        applies is said."""
        token = os.path.join(self.tmp, "token")
        log = os.path.join(self.tmp, "dispatcher.log")
        conf = os.path.join(self.tmp, "ssci.conf")

        def write(path, text, mode=0o600):
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, mode)

        def settings(queue, port="0"):
            return (f"[dispatcher]\nhost = 127.0.0.1\nport = {port}\n"
                    f"http = off\nlocal-repos = yes\n"
                    f"state-dir = {self.tmp}/state\n"
                    f"results-dir = {self.tmp}/results\n"
                    f"token-file = {token}\nlog-file = {log}\n"
                    f"max-queued-per-repo = {queue}\n")

        def logged(text):
            return self.wait_for(lambda: os.path.exists(log) and
                                 text in open(log).read(), f"'{text}'")

        def status(tok):
            write(os.path.join(self.tmp, "client-token"), tok)
            return self.ssci("status", "--dispatcher-server", address,
                             "--token-file",
                             os.path.join(self.tmp, "client-token"))

        write(token, "first-token\n")
        write(conf, settings(1))
        d = self.start("dispatcher", "dispatcher", "--config", conf)
        port = self.wait_for(lambda: re.search(
            r"^listening on 127\.0\.0\.1:(\d+)$", d.stdout(), re.M),
            "the dispatcher to listen").group(1)
        address = f"127.0.0.1:{port}"
        logged("descriptor limit")
        self.assertEqual(d.stderr(), "", "the log goes to the file")
        self.assertEqual(status("first-token").returncode, 0)
        repo = self.make_repo()
        commits = [self.commit(repo, f"c{i}") for i in range(3)]
        env = dict(os.environ, SSCI_TOKEN="first-token")
        notify = subprocess.run(
            [SSCI, "notify", "--dispatcher-server", address, *commits],
            cwd=repo, env=env, text=True, capture_output=True)
        self.assertNotEqual(notify.returncode, 0, "a queue of one")
        self.assertIn("queue", notify.stderr)

        # Rotate the log, change the token and the queue's limit.
        os.rename(log, log + ".1")
        write(token, "second-token\n")
        write(conf, settings(10))
        d.signal(signal.SIGHUP)
        logged("reloaded: the token files")
        self.assertIn("log file", open(log).read())
        self.assertIn("descriptor limit", open(log + ".1").read())
        self.assertNotEqual(status("first-token").returncode, 0)
        self.assertEqual(status("second-token").returncode, 0)
        env["SSCI_TOKEN"] = "second-token"
        notify = subprocess.run(
            [SSCI, "notify", "--dispatcher-server", address, *commits],
            cwd=repo, env=env, text=True, capture_output=True)
        self.assertEqual(notify.returncode, 0, notify.stderr)

        # A wrong file, or an unreadable token file: nothing changes.
        write(conf, settings(10) + "max-attempts = none\n")
        d.signal(signal.SIGHUP)
        logged("not reloaded")
        self.assertIn("invalid value 'none' for --max-attempts",
                      open(log).read())
        write(conf, settings(10))
        write(token, "third-token\n", mode=0o644)
        d.signal(signal.SIGHUP)
        self.wait_for(lambda: open(log).read().count("not reloaded") == 2,
                      "the second refusal")
        self.assertEqual(status("second-token").returncode, 0)
        # What takes a restart is said, the rest applied.
        write(token, "third-token\n")
        write(conf, settings(10, port="1"))
        d.signal(signal.SIGHUP)
        logged("changed but applied only by a restart: --host/--port")
        self.wait_for(lambda: open(log).read().count("reloaded: the") == 2,
                      "the second reload")
        self.assertEqual(status("third-token").returncode, 0)
        self.assertTrue(d.alive())

    def test_sighup_runner_reads_its_token_again(self):
        """A runner's SIGHUP reads its token file again: after the token
        is changed on both sides, the runner's next hello (the dispatcher
        restarted) carries the new one and it registers again; without
        the SIGHUP it would be refused."""
        def write(path, text):
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o600)

        dtoken = os.path.join(self.tmp, "dispatcher-token")
        rtoken = os.path.join(self.tmp, "runner-token")
        write(dtoken, "old-token\n")
        write(rtoken, "old-token\n")
        d = self.dispatcher(args=("--token-file", dtoken))
        r = self.runner(d, "r1", args=("--token-file", rtoken))
        write(dtoken, "new-token\n")
        write(rtoken, "new-token\n")
        r.signal(signal.SIGHUP)
        self.wait_for(lambda: "reloaded: the token file" in r.stderr(),
                      "the runner's reload")
        self.assertTrue(r.alive())
        d.stop()
        d = self.restart_dispatcher(d, args=("--token-file", dtoken))
        self.wait_for(lambda: r.stderr().count("registered with") == 2,
                      "the runner to register again")
        self.assertNotIn("bad_token", r.stderr())

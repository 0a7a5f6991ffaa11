# SPDX-License-Identifier: MIT
"""A PostgreSQL cluster of the tests' own (Debian's postgresql package:
initdb and pg_ctl on a temporary folder, a free port, and a socket folder
of its own), and a database in it for each dispatcher a test starts.

tests/run starts one cluster for the run and says where it is in
$SSCI_TEST_PG (a libpq connection string without a database); a test's
dispatchers run on PostgreSQL when $SSCI_TEST_STORE is "postgresql".
initdb refuses root: as root the cluster runs as the user nobody."""
import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

USER = "ssci"


def binaries():
    """The folder of initdb and pg_ctl, or None without them."""
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(d, "initdb"), os.X_OK):
            return d
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running cluster in a new temporary folder; stop() removes it."""

    def __init__(self, tcp=False, settings=None):
        """tcp: listen on 127.0.0.1 too; settings: more server settings
        ({name: value}, given as -c options), listen_addresses among
        them (then instead of tcp's)."""
        bindir = binaries()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed "
                               "(apt-get install postgresql)")
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="ssci-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        os.mkdir(self.sock)
        self.port = free_port()
        self.as_user = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for path in (self.dir, self.sock):
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
            self.as_user = ["runuser", "-u", "nobody", "--"]
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", USER,
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        settings = dict(settings or {})
        listen = settings.pop("listen_addresses",
                              "127.0.0.1" if tcp else "")
        more = "".join(f" -c {name}={value}"
                       for name, value in settings.items())
        # fsync off: the tests' cluster is thrown away, and a test that
        # needs its durability kills the dispatcher, not the server.
        self._run("pg_ctl", "-D", self.data, "-w", "-l",
                  os.path.join(self.dir, "server.log"), "-o",
                  f"-p {self.port} -k {self.sock} "
                  f"-c listen_addresses='{listen}' -c fsync=off "
                  f"-c max_connections=300 -c shared_buffers=64MB{more}",
                  "start")
        self.conninfo = (f"host={self.sock} port={self.port} "
                         f"user={USER}")

    def _run(self, tool, *args):
        subprocess.run([*self.as_user, os.path.join(self.bindir, tool),
                        *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def stop(self):
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w",
                      "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def psql(conninfo, sql, db="postgres"):
    """Run sql on database db; its output, rows unaligned."""
    proc = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v",
                           "ON_ERROR_STOP=1", "-c", sql,
                           f"{conninfo} dbname={db}"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"psql {sql!r}: {proc.stderr.strip()}")
    return proc.stdout


def database_for(state_dir):
    """The database of the dispatcher whose state folder is state_dir:
    the same again when it is restarted on that folder."""
    digest = hashlib.sha1(os.path.abspath(state_dir).encode()).hexdigest()
    return "ssci_" + digest[:20]


def test_store():
    """Whether this test's dispatchers run on the run's PostgreSQL."""
    return os.environ.get("SSCI_TEST_STORE") == "postgresql" and \
        os.environ.get("SSCI_TEST_PG")


def store_args(state_dir, created):
    """The --store option for a dispatcher on state_dir, creating its
    database on first use (created: the names made so far)."""
    base = os.environ["SSCI_TEST_PG"]
    db = database_for(state_dir)
    if db not in created:
        psql(base, f"CREATE DATABASE {db}")
        created.add(db)
    return ["--store", f"{base} dbname={db}"]


def drop(databases):
    base = os.environ.get("SSCI_TEST_PG")
    for db in databases:
        try:
            psql(base, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        except RuntimeError:
            pass

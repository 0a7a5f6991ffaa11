# SPDX-License-Identifier: MIT
"""ssci backup and ssci restore (issue 20): a backup taken while runners
work holds every job that had finished before it began, with its log, and
a dispatcher started on the restored state serves them; restore keeps what
it replaces, and refuses a state dir in use, a file that is not a backup,
and a backup whose logs are links."""
import json
import os
import tarfile
import unittest
import urllib.request

from harness import SsciTest, only_on


@only_on("sqlite", why="ssci backup copies ssci.db; a PostgreSQL store is "
         "backed up by PostgreSQL (docs/SCALING.md)")
class TestBackup(SsciTest):
    def run_ok(self, *args):
        proc = self.ssci(*args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc

    def api(self, d, path):
        with urllib.request.urlopen(f"{d.http_url}{path}", timeout=10) as r:
            return json.load(r)

    def test_backup_under_load_restores_every_finished_job(self):
        d = self.dispatcher(http=True)
        for name in ("r1", "r2"):
            self.runner(d, name)
        repo = self.make_repo()
        commits = [self.commit(repo, f"commit {i}") for i in range(40)]
        proc = self.notify(d, repo, *commits)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.wait_for(lambda: sum(1 for j in d.jobs() if j["finished_ms"])
                      >= 10, "ten jobs to end")
        finished = {j["id"]: j for j in d.jobs() if j["finished_ms"]}
        logs = {job: self.api(d, f"/api/jobs/{job}/log?offset=0")["data"]
                for job in finished}
        backup = os.path.join(self.tmp, "ci.backup")
        proc = self.run_ok("backup", "--state-dir", d.state_dir, backup)
        self.assertEqual(proc.stdout, f"backed up '{d.state_dir}' to "
                         f"'{backup}'\n")
        during = [j for j in d.jobs() if not j["finished_ms"]]
        self.assertTrue(during, "the backup was taken while jobs ran")
        self.wait_jobs(d, 40)
        with tarfile.open(backup) as tar:
            names = tar.getnames()
        self.assertIn("ssci.db", names)
        self.assertTrue({f"logs/{job}.log" for job in finished} <=
                        set(names))
        self.assertEqual(d.stop(), 0)

        # Into a new state dir: every job that had finished is there.
        state = os.path.join(self.tmp, "restored")
        proc = self.run_ok("restore", "--state-dir", state, backup)
        self.assertEqual(proc.stdout, f"restored '{backup}' into "
                         f"'{state}'\n")
        r = self.dispatcher("restored", args=("--state-dir", state),
                            http=True)
        jobs = {j["id"]: j for j in r.jobs()}
        for job, was in finished.items():
            now = jobs.get(job)
            self.assertIsNotNone(now, f"job {job} lost")
            for key in ("commit", "state", "finished_ms", "exit_code",
                        "attempt", "runner"):
                self.assertEqual(now[key], was[key], (job, key))
            self.assertEqual(self.api(r, f"/api/jobs/{job}/log?offset=0")
                             ["data"], logs[job])
            self.assertIn("result: passed", r.result(was["commit"]) or "",
                          "its results file, written again from the store")
        r.stop()

        # Into the state dir it came from: what was there is kept aside.
        proc = self.run_ok("restore", "--state-dir", d.state_dir, backup)
        aside = [n for n in os.listdir(d.state_dir)
                 if n.startswith("before-restore-")]
        self.assertEqual(len(aside), 1, os.listdir(d.state_dir))
        self.assertIn(os.path.join(d.state_dir, aside[0]), proc.stdout)
        self.assertTrue(os.path.exists(os.path.join(
            d.state_dir, aside[0], "ssci.db")))
        self.assertEqual(len(os.listdir(os.path.join(
            d.state_dir, aside[0], "logs"))), 40)
        d2 = self.restart_dispatcher(d, http=True)
        self.assertEqual({j["id"] for j in d2.jobs()
                          if j["id"] in finished}, set(finished))

    def test_refusals(self):
        d = self.dispatcher()
        backup = os.path.join(self.tmp, "b.tar")
        self.run_ok("backup", "--state-dir", d.state_dir, backup)
        # A backup never overwrites a file.
        proc = self.ssci("backup", "--state-dir", d.state_dir, backup)
        self.assertEqual((proc.returncode, proc.stderr), (1, (
            f"backup: unable to write '{backup}': it exists\n")))
        # A state dir a dispatcher uses is not restored into.
        proc = self.ssci("restore", "--state-dir", d.state_dir, backup)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(f"unable to restore into '{d.state_dir}': a "
                      f"dispatcher (pid {d.pid}) uses it", proc.stderr)
        d.stop()
        # No state there, a file that is not a tar, a tar of other files,
        # a backup whose logs hold a link, a store that is not whole.
        proc = self.ssci("backup", "--state-dir", os.path.join(
            self.tmp, "nowhere"), os.path.join(self.tmp, "x.tar"))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("unable to back up", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.tar")))
        junk = os.path.join(self.tmp, "junk")
        with open(junk, "w") as f:
            f.write("not a tar\n")
        other = os.path.join(self.tmp, "other.tar")
        with tarfile.open(other, "w") as tar:
            tar.add(junk, "ssci.db")
            tar.add(junk, "etc/passwd")
        linked = os.path.join(self.tmp, "linked.tar")
        with tarfile.open(backup) as src, tarfile.open(linked, "w") as tar:
            tar.addfile(src.getmember("ssci.db"),
                        src.extractfile("ssci.db"))
            link = tarfile.TarInfo("logs/1.log")
            link.type = tarfile.SYMTYPE
            link.linkname = "/etc/hostname"
            tar.addfile(link)
        broken = os.path.join(self.tmp, "broken.tar")
        with tarfile.open(broken, "w") as tar:
            tar.add(junk, "ssci.db")
        target = os.path.join(self.tmp, "target")
        for path, says in ((junk, "tar failed"),
                           (other, "not a backup of ssci"),
                           (linked, "'logs/1.log' in it is not a plain "
                            "file"),
                           (broken, "unable to use"),
                           (os.path.join(self.tmp, "none.tar"),
                            "unable to read")):
            proc = self.ssci("restore", "--state-dir", target, path)
            self.assertEqual(proc.returncode, 1, (path, proc.stderr))
            self.assertIn(says, proc.stderr, path)
            self.assertFalse(os.path.exists(os.path.join(target, "ssci.db")),
                             path)
            if os.path.isdir(target):
                self.assertEqual(sorted(os.listdir(target)),
                                 ["dispatcher.lock"], path)
        self.assertEqual(self.ssci("backup").returncode, 2)
        self.assertEqual(self.ssci("restore", "a", "b").returncode, 2)

    def test_state_dir_from_the_configuration_file(self):
        """backup and restore take the dispatcher's --state-dir from the
        file's [dispatcher] section, skipping its other options."""
        d = self.dispatcher()
        self.commit(self.make_repo(), "x")
        conf = os.path.join(self.tmp, "ssci.conf")
        with open(conf, "w") as f:
            f.write(f"[dispatcher]\nport = 9999\nstate-dir = {d.state_dir}"
                    "\nlocal-repos = yes\n[runner]\njobs = 2\n")
        backup = os.path.join(self.tmp, "b.tar")
        self.run_ok("backup", "--config", conf, backup)
        self.assertTrue(os.path.exists(backup))
        proc = self.ssci("restore", "--config", conf, backup)
        self.assertIn(f"'{d.state_dir}': a dispatcher", proc.stderr)

    def test_refused_for_a_store_elsewhere(self):
        """The dispatcher's store in PostgreSQL (after ssci migrate its
        ssci.db is left, stale): backup and restore refuse, from the
        configuration file or the command line, and say where to look."""
        d = self.dispatcher()
        url = "postgresql://ssci:secret-pw@db.example.org/ssci"
        conf = os.path.join(self.tmp, "ssci.conf")
        with open(conf, "w") as f:
            f.write(f"[dispatcher]\nstate-dir = {d.state_dir}\n"
                    f"store = {url}\n")
        backup = os.path.join(self.tmp, "b.tar")
        for args in (("backup", "--config", conf, backup),
                     ("backup", "--state-dir", d.state_dir, "--store", url,
                      backup),
                     ("restore", "--config", conf, backup)):
            proc = self.ssci(*args)
            self.assertEqual(proc.returncode, 1, args)
            self.assertIn("the dispatcher's --store is not its ssci.db; "
                          "a PostgreSQL store is backed up by PostgreSQL",
                          proc.stderr)
            self.assertNotIn("secret-pw", proc.stderr)
        self.assertFalse(os.path.exists(backup))
        # Its own ssci.db named as the store is the default, and copied.
        self.run_ok("backup", "--state-dir", d.state_dir, "--store",
                    f"sqlite:{d.state_dir}/ssci.db", backup)
        self.assertTrue(os.path.exists(backup))

    @unittest.skipUnless(os.geteuid() == 0, "chown needs root")
    def test_restore_as_root_gives_the_files_to_the_dirs_owner(self):
        """Restored as root into a state dir a service user owns (the
        package's ssci), the store and the logs are that user's, so that
        the dispatcher, run as it, can write them."""
        d = self.dispatcher()
        self.runner(d, "r1")
        repo = self.make_repo()
        self.notify(d, repo, self.commit(repo, "one"))
        self.wait_jobs(d, 1)
        backup = os.path.join(self.tmp, "b.tar")
        self.run_ok("backup", "--state-dir", d.state_dir, backup)
        state = os.path.join(self.tmp, "owned")
        os.makedirs(state)
        os.chown(state, 65534, 65534)
        self.run_ok("restore", "--state-dir", state, backup)
        owned = [os.path.join(state, "ssci.db"), os.path.join(state, "logs")]
        owned += [os.path.join(state, "logs", n)
                  for n in os.listdir(os.path.join(state, "logs"))]
        self.assertGreater(len(owned), 2)
        for path in owned:
            st = os.lstat(path)
            self.assertEqual((st.st_uid, st.st_gid), (65534, 65534), path)

# SPDX-License-Identifier: MIT
"""retention_fill.py - a store of many old jobs, written straight into the
SQLite file a dispatcher made (jobs, pipelines, per-test rows, a log per
job), for test_retention.py and bench/retention.py."""
import os
import sqlite3
import time

DAY_MS = 24 * 3600 * 1000
# (repository, branch, jobs, age in days): 20,000 jobs in all.
FILL = [
    ("https://example.org/a.git", "main", 10000, 120),
    ("https://example.org/a.git", "dev", 5000, 200),
    ("https://example.org/a.git", "tiny", 3, 300),
    ("https://example.org/a.git", "recent", 1500, 10),
    ("https://example.org/b.git", "main", 3497, 101),
]
LOG = "line of output from an old test run\n" * 50


def fill_store(state, fill=FILL, first_id=1):
    """fill's jobs, each finished long ago with a log, a test record and
    a subject, written into the store the dispatcher made in state, with
    ids from first_id; the ids of each (repository, branch), oldest
    first."""
    db = sqlite3.connect(os.path.join(state, "ssci.db"))
    now = int(time.time() * 1000)
    ids = {}
    next_id = first_id
    logs = os.path.join(state, "logs")
    with db:
        for url in sorted({f[0] for f in fill}):
            db.execute("INSERT INTO repos (url, created_ms) VALUES (?, ?)",
                       (url, now))
        repo_id = dict(db.execute("SELECT url, id FROM repos"))
        test_id = {}
        for url, rid in repo_id.items():
            cur = db.execute("INSERT INTO tests (repo_id, name) VALUES "
                             "(?, 'tests.t.one')", (rid,))
            test_id[url] = cur.lastrowid
        for url, branch, count, age in fill:
            mine = ids.setdefault((url, branch), [])
            for i in range(count):
                job = next_id
                next_id += 1
                ended = now - age * DAY_MS + i * 1000
                commit = f"{job:040x}"
                db.execute(
                    "INSERT INTO jobs (id, repo_id, commit_id, branch, "
                    "state, attempt, queue_pos, runner, created_ms, "
                    "started_ms, finished_ms, exit_code, duration_ms, "
                    "tests_run, tests_failed, tests_skipped, subject, "
                    "author, pipeline_id) VALUES (?, ?, ?, ?, 'passed', "
                    "1, ?, 'r1', ?, ?, ?, 0, 1000, 1, 0, 0, ?, "
                    "'A U Thor <a@example.org>', ?)",
                    (job, repo_id[url], commit, branch, job, ended - 2000,
                     ended - 1000, ended, f"commit {i} of {branch}: " +
                     "x" * 150, job))
                db.execute("INSERT INTO pipelines (id, commit_id, state, "
                           "finished_ms) VALUES (?, ?, 'passed', ?)",
                           (job, commit, ended))
                db.execute("INSERT INTO test_runs (job_id, attempt, idx, "
                           "test_id, branch, status, duration_us) VALUES "
                           "(?, 1, 0, ?, ?, 'passed', 1500)",
                           (job, test_id[url], branch))
                db.execute("INSERT INTO test_attempts (job_id, attempt, "
                           "total, passed, failed, skipped) VALUES "
                           "(?, 1, 1, 1, 0, 0)", (job,))
                with open(os.path.join(logs, f"{job}.log"), "w") as f:
                    f.write(LOG)
                mine.append(job)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return ids

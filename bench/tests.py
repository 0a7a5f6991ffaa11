# SPDX-License-Identifier: MIT
"""tests: what per-test results (issue 15) cost for a job with 10,000 tests
in one JUnit file; the issue's targets are each <= 200 ms.

The job: a repository with a committed JUnit report (a <testsuites> with
one <testsuite> of N <testcase classname="pkg.module_K" name="test_case_I"
time="0.00I">, 2% of them with a <failure> of a few traceback lines, 1%
<skipped/>) whose .ssci/test only copies it to $SSCI_REPORTS/junit.xml and
exits 1, so that the test command's own time stays out of the picture
(the jobs fail, as they should).  One dispatcher (-v, --http on loopback)
and one runner, ROUNDS rounds of a new commit each, after one untimed
warm-up job (the runner's clone); per round:

1. the runner's parse time: the X of the job log's line "ssci: read N
   tests from '.ssci-reports/junit.xml' (K KiB) in X ms" (from opening the
   file to its end: expat, the batches made and handed to the connection,
   and any pause while the dispatcher has not taken 4 MiB of them yet);
2. the dispatcher's store time: the sum of U over its -v lines "job J:
   tests A to B stored in U us", one per tests message (batch);
3. the job page: GET /jobs/ID (its Tests section: failed tests first, up
   to 500 rows), the whole response over loopback, a new connection; then
   again (warm), and GET /api/jobs/ID/tests (its default limit, 1000
   tests).  For information, every test of each job through the API, a
   page of 5,000 at a time (limit and offset; the API lists no more in
   one answer), done last, after the peaks below are read.

Memory, bounded rather than proportional to the file: VmHWM (peak RSS)
from /proc/PID/status of the dispatcher and of the runner, of the pair
that ran the 10,000-test jobs (read after the last round's pages) against
a fresh pair that ran one job of 100,000 tests (the per-job cap), read
after its pages too; then again after every page of the API was read
(the "_all_" figures: each page is built whole, at most 5,000 tests).  The peaks
at start and, for the 100,000-test pair, just after its job are noted.
That job's timings are given as information; its parse time includes the
runner's pauses while the dispatcher has not taken 4 MiB of batches.
"""
import html
import http.client
import json
import os
import re
import sys
import time

from common import (SSCI, Proc, figure, note, workdir, git, make_repo,
                    one_line_commit, runner, result_files, result_line,
                    wait_for, median, loadavg, dispatch, cpu_s)

ROUNDS = int(os.environ.get("SSCI_BENCH_ROUNDS", "5"))
SMALL = 10000
PAGE = 5000            # the most tests one API answer lists
BIG = 100000            # TESTREC_MAX_TESTS, the per-job cap

TEST_SCRIPT = """#!/bin/sh
# The JUnit report is committed: the test only hands it over.
cd "$(dirname "$0")/.." || exit 2
mkdir -p "$SSCI_REPORTS" || exit 2
cp report.xml "$SSCI_REPORTS/junit.xml" || exit 2
echo "report.xml copied to $SSCI_REPORTS/junit.xml"
exit 1
"""

PARSE_LINE = re.compile(r"ssci: read (\d+) tests from '([^']*)' "
                        r"\((\d+) KiB\) in (\d+) ms")
STORE_LINE = re.compile(r"job (\d+): tests (\d+) to (\d+) stored in (\d+) us")


# --- the report ---------------------------------------------------------

def kind(i):
    """"failed" (2%), "skipped" (1%) or "passed", for test i."""
    if i % 50 == 7:
        return "failed"
    if i % 100 == 42:
        return "skipped"
    return "passed"


def junit_xml(n):
    """A pytest-like JUnit report of n tests, as bytes."""
    kinds = [kind(i) for i in range(n)]
    failures, skipped = kinds.count("failed"), kinds.count("skipped")
    total = sum(float(f"0.00{i}") for i in range(n))
    out = ['<?xml version="1.0" encoding="utf-8"?>\n',
           f'<testsuites name="bench" tests="{n}" failures="{failures}" '
           f'errors="0" skipped="{skipped}" time="{total:.3f}">\n',
           f'  <testsuite name="pytest" tests="{n}" failures="{failures}" '
           f'errors="0" skipped="{skipped}" time="{total:.3f}" '
           f'timestamp="2026-01-01T00:00:00" hostname="bench">\n']
    for i, k in enumerate(kinds):
        module = f"pkg.module_{i // 100}"
        head = (f'    <testcase classname="{module}" name="test_case_{i}" '
                f'time="0.00{i}"')
        if k == "passed":
            out.append(head + "/>\n")
        elif k == "skipped":
            out.append(head + ">\n      <skipped message=\"needs the "
                       "network\"/>\n    </testcase>\n")
        else:
            msg = f"AssertionError: assert {i} == {i + 1}"
            trace = (f"Traceback (most recent call last):\n"
                     f'  File "pkg/module_{i // 100}.py", line {i % 400 + 10},'
                     f" in test_case_{i}\n"
                     f"    assert compute({i}) == expected({i})\n"
                     f'  File "pkg/util.py", line 42, in compute\n'
                     f"    return helper(x) + 1\n"
                     f"{msg}\n")
            out.append(head + f'>\n      <failure message="'
                       f'{html.escape(msg, quote=True)}" '
                       f'type="AssertionError">'
                       f"{html.escape(trace, quote=False)}</failure>\n"
                       f"    </testcase>\n")
    out.append("  </testsuite>\n</testsuites>\n")
    return "".join(out).encode(), failures, skipped


def make_report_repo(path, n):
    """A repository whose .ssci/test hands over a committed report of n
    tests; (path, report bytes, failures, skipped)."""
    repo = make_repo(path, TEST_SCRIPT)
    data, failures, skipped = junit_xml(n)
    with open(os.path.join(repo, "report.xml"), "wb") as f:
        f.write(data)
    git(repo, "add", "report.xml")
    git(repo, "commit", "-q", "-m", f"a report of {n} tests")
    return repo, len(data), failures, skipped


# --- processes ----------------------------------------------------------

def dispatcher_http(tmp, name):
    """A dispatcher (-v) on free loopback ports, protocol and HTTP;
    (proc, address, results, http port)."""
    state = os.path.join(tmp, f"{name}-state")
    results = os.path.join(tmp, f"{name}-results")
    p = Proc(name, [SSCI, "dispatcher", "-v", "--local-repos", "--port", "0",
                    "--host", "127.0.0.1", "--http", "127.0.0.1:0",
                    "--state-dir", state, "--results-dir", results], tmp)

    def ready():
        if not p.alive():
            return "dead"
        out = p.stdout()
        a = re.search(r"^listening on (\S+):(\d+)$", out, re.M)
        h = re.search(r"^http listening on (\S+):(\d+)$", out, re.M)
        return a and h and (a, h)
    got = wait_for(ready, f"{name} to listen")
    if got == "dead":
        raise RuntimeError(f"{name} died: {p.stderr()}")
    a, h = got
    return p, f"127.0.0.1:{a.group(2)}", results, int(h.group(2))


def hwm_kib(pid):
    """VmHWM (the peak of VmRSS) in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for {pid}")


def get(port, path):
    """GET path on a new loopback connection: (ms for the whole response,
    status, body)."""
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
    finally:
        c.close()
    return (time.perf_counter() - t0) * 1000, r.status, body


def job_log(port, job):
    """The whole log of a job, through GET /api/jobs/ID/log."""
    data, offset = [], 0
    while True:
        _, status, body = get(port, f"/api/jobs/{job}/log?offset={offset}")
        if status != 200:
            raise RuntimeError(f"log of job {job}: HTTP {status}: {body!r}")
        page = json.loads(body)
        data.append(page["data"])
        if page["next_offset"] >= page["size"] or \
                page["next_offset"] == offset:
            return "".join(data)
        offset = page["next_offset"]


# --- one job ------------------------------------------------------------

def one_job(d, address, results, port, r, repo, n, failures, skipped, tag):
    """Dispatch a new commit of repo and measure its tests; a dict."""
    commit = one_line_commit(repo, tag)
    cpu0 = (cpu_s(d.pid)[0], cpu_s(r.pid)[0])
    t0 = time.monotonic()
    (job,) = dispatch(address, repo, [commit])
    wait_for(lambda: commit in result_files(results), f"job {job}'s result",
             timeout=300, step=0.002)
    wall = (time.monotonic() - t0) * 1000
    cpu1 = (cpu_s(d.pid)[0], cpu_s(r.pid)[0])
    fields = result_line(os.path.join(results, commit))
    out = {"job": job, "state": fields["state"], "wall_ms": wall,
           "duration_ms": int(fields.get("duration_ms", 0)),
           "d_cpu_ms": (cpu1[0] - cpu0[0]) * 1000,
           "r_cpu_ms": (cpu1[1] - cpu0[1]) * 1000}

    log = job_log(port, job)
    m = PARSE_LINE.search(log)
    if m is None:
        raise RuntimeError(f"job {job}: no 'read N tests' line in its log:"
                           f" {log[-2000:]!r}")
    out.update(parsed=int(m.group(1)), report=m.group(2),
               kib=int(m.group(3)), parse_ms=int(m.group(4)))

    lines = [x for x in STORE_LINE.finditer(d.stderr())
             if int(x.group(1)) == job]
    stored = sum(int(x.group(3)) - int(x.group(2)) + 1 for x in lines)
    us = [int(x.group(4)) for x in lines]
    out.update(batches=len(lines), stored=stored, store_ms=sum(us) / 1000,
               batch_max_ms=max(us, default=0) / 1000)

    if out["parsed"] != n or out["stored"] != n or out["state"] != "failed":
        note(f"WARNING: job {job}: {out['state']}, {out['parsed']} tests "
             f"read, {out['stored']} stored, of {n}")
    return out


def pages(port, o, failures, skipped):
    """The job page twice and the tests' JSON (default limit) of job o,
    timed into o."""
    job = o["job"]
    ms, status, body = get(port, f"/jobs/{job}")
    if status != 200 or b"Tests" not in body:
        raise RuntimeError(f"GET /jobs/{job}: HTTP {status}, "
                           f"{len(body)} bytes, no Tests section?")
    o.update(page_ms=ms, page_kib=len(body) / 1024,
             page_rows=body.count(b"<tr"))
    o["page_again_ms"] = get(port, f"/jobs/{job}")[0]
    ms, status, body = get(port, f"/api/jobs/{job}/tests")
    if status != 200:
        raise RuntimeError(f"GET /api/jobs/{job}/tests: HTTP {status}")
    api = json.loads(body)
    o.update(api_ms=ms, api_kib=len(body) / 1024,
             api_tests=len(api["tests"]))
    c = api.get("counts") or {}
    if c.get("failed") not in (None, failures) or \
            c.get("skipped") not in (None, skipped):
        note(f"WARNING: job {job}: counts {c}, expected {failures} failed,"
             f" {skipped} skipped")


def api_all(port, o, n):
    """Every test of the job through GET /api/jobs/ID/tests, a page of
    PAGE at a time (the API's most), timed in all into o.  Done last on a
    pair, after its peaks are read."""
    job = o["job"]
    total_ms, kib, tests, offset = 0.0, 0.0, 0, 0
    while offset < n:
        path = f"/api/jobs/{job}/tests?limit={PAGE}&offset={offset}"
        ms, status, body = get(port, path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}")
        got = len(json.loads(body)["tests"])
        total_ms += ms
        kib += len(body) / 1024
        tests += got
        offset += PAGE
        if got < PAGE:
            break
    o.update(api_all_ms=total_ms, api_all_kib=kib, api_all_tests=tests)


def describe(o):
    return (f"job {o['job']} {o['state']}: parse {o['parse_ms']} ms "
            f"({o['parsed']} tests, {o['kib']} KiB), store "
            f"{o['store_ms']:.1f} ms in {o['batches']} batches (largest "
            f"{o['batch_max_ms']:.1f} ms), page {o['page_ms']:.1f} ms "
            f"(again {o['page_again_ms']:.1f}; {o['page_kib']:.0f} KiB, "
            f"{o['page_rows']} <tr>), api {o['api_ms']:.1f} ms "
            f"({o['api_tests']} tests, {o['api_kib']:.0f} KiB), api all "
            f"{o['api_all_ms']:.1f} ms ({o['api_all_tests']} tests, "
            f"{o['api_all_kib']:.0f} KiB); job duration {o['duration_ms']}"
            f" ms, dispatch->result {o['wall_ms']:.0f} ms; CPU to the "
            f"result: dispatcher {o['d_cpu_ms']:.0f} ms, runner "
            f"{o['r_cpu_ms']:.0f} ms")


def start_pair(tmp, name):
    sub = os.path.join(tmp, name)
    os.makedirs(sub)
    d, address, results, port = dispatcher_http(sub, "dispatcher")
    r = runner(sub, address, "r0")
    time.sleep(0.2)
    return d, address, results, port, r


def peaks(d, r):
    return hwm_kib(d.pid), hwm_kib(r.pid)


# --- main ---------------------------------------------------------------

def main():
    note(f"load {loadavg()} (start)")
    tmp = workdir("tests")
    repos = {}
    for n in (SMALL, BIG):
        t0 = time.monotonic()
        repos[n] = make_report_repo(os.path.join(tmp, f"repo-{n}"), n)
        _, size, failures, skipped = repos[n]
        note(f"report of {n} tests: {size / 1024:.0f} KiB, {failures} "
             f"failures, {skipped} skipped (made and committed in "
             f"{time.monotonic() - t0:.1f} s)")

    # 10,000 tests: a warm-up, then ROUNDS rounds on one pair.
    repo, _, failures, skipped = repos[SMALL]
    d, address, results, port, r = start_pair(tmp, "small")
    small = {"start": peaks(d, r)}
    jobs = []
    for i in range(ROUNDS + 1):
        o = one_job(d, address, results, port, r, repo, SMALL, failures,
                    skipped, "warm-up" if i == 0 else f"round-{i}")
        pages(port, o, failures, skipped)
        jobs.append(o)
    small["pages"] = peaks(d, r)
    for o in jobs:
        api_all(port, o, SMALL)
    small["all"] = peaks(d, r)
    r.stop()
    d.stop()
    note(f"warm-up (untimed; the runner's clone): {describe(jobs[0])}")
    rounds = jobs[1:]
    for i, o in enumerate(rounds):
        note(f"round {i + 1}: {describe(o)}")
    note(f"load {loadavg()}")

    # 100,000 tests: one job on a fresh pair.
    repo, _, failures, skipped = repos[BIG]
    d, address, results, port, r = start_pair(tmp, "big")
    big = {"start": peaks(d, r)}
    o = one_job(d, address, results, port, r, repo, BIG, failures, skipped,
                "big")
    big["stored"] = peaks(d, r)
    pages(port, o, failures, skipped)
    big["pages"] = peaks(d, r)
    api_all(port, o, BIG)
    big["all"] = peaks(d, r)
    r.stop()
    d.stop()
    note(f"{BIG} tests (the pair's first job: its clone is in the job's "
         f"duration, not in the parse): {describe(o)}")

    def series(key):
        return [x[key] for x in rounds]

    note(f"{SMALL} tests, {ROUNDS} rounds: median and worst of each")
    for key, name, digits in (("parse_ms", "parse", 0),
                              ("store_ms", "store", 1),
                              ("page_ms", "page", 1),
                              ("page_again_ms", "page_again", 1),
                              ("api_ms", "api", 1),
                              ("api_all_ms", "api_all", 1)):
        xs = series(key)
        note(f"{name} ms per round: " + " ".join(f"{x:.{digits}f}"
                                                  for x in xs))
        figure(f"tests_10k_{name}_ms", float(median(xs)), "ms", digits)
        figure(f"tests_10k_{name}_worst_ms", float(max(xs)), "ms", digits)
    figure("tests_10k_job_duration_ms", float(median(series("duration_ms"))),
           "ms", 0)
    figure("tests_10k_dispatch_to_result_ms", median(series("wall_ms")),
           "ms", 0)
    figure("tests_10k_dispatcher_cpu_ms", median(series("d_cpu_ms")),
           "ms per job", 0)
    figure("tests_10k_runner_cpu_ms", median(series("r_cpu_ms")),
           "ms per job", 0)

    note(f"{BIG} tests, 1 round (information)")
    figure("tests_100k_parse_ms", float(o["parse_ms"]), "ms", 0)
    figure("tests_100k_store_ms", o["store_ms"], "ms", 1)
    figure("tests_100k_page_ms", o["page_ms"], "ms", 1)
    figure("tests_100k_page_again_ms", o["page_again_ms"], "ms", 1)
    figure("tests_100k_api_ms", o["api_ms"], "ms", 1)
    figure("tests_100k_api_all_ms", o["api_all_ms"], "ms", 1)
    figure("tests_100k_job_duration_ms", float(o["duration_ms"]), "ms", 0)
    figure("tests_100k_dispatcher_cpu_ms", o["d_cpu_ms"], "ms", 0)
    figure("tests_100k_runner_cpu_ms", o["r_cpu_ms"], "ms", 0)

    note("peak RSS (VmHWM), dispatcher/runner KiB: 10k pair at start "
         f"{small['start'][0]}/{small['start'][1]}, after {ROUNDS + 1} jobs"
         f" and their pages {small['pages'][0]}/{small['pages'][1]}, then "
         f"with every test through the API {small['all'][0]}/"
         f"{small['all'][1]}; 100k pair at start {big['start'][0]}/"
         f"{big['start'][1]}, after its job {big['stored'][0]}/"
         f"{big['stored'][1]}, its pages {big['pages'][0]}/"
         f"{big['pages'][1]}, every test through the API {big['all'][0]}/"
         f"{big['all'][1]}")
    note("the peak figures are through the job and its pages (GET /jobs/ID"
         " and /api/jobs/ID/tests); the _all_ ones add every test read "
         f"through GET /api/jobs/ID/tests, {PAGE} at a time")
    for i, who in enumerate(("dispatcher", "runner")):
        figure(f"tests_10k_{who}_peak_kib", small["pages"][i], "KiB")
        figure(f"tests_100k_{who}_peak_kib", big["pages"][i], "KiB")
        figure(f"tests_{who}_peak_ratio", big["pages"][i] / small["pages"][i],
               "100k/10k", 2)
    figure("tests_10k_dispatcher_all_peak_kib", small["all"][0], "KiB")
    figure("tests_100k_dispatcher_all_peak_kib", big["all"][0], "KiB")
    figure("tests_dispatcher_all_peak_ratio", big["all"][0] / small["all"][0],
           "100k/10k", 2)
    note(f"load {loadavg()} (end)")


if __name__ == "__main__":
    sys.exit(main())

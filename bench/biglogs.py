# SPDX-License-Identifier: MIT
"""big logs: one job whose test prints 100 MiB (lines of 100 "x").  The
dispatcher's and the runner's VmRSS are sampled every 50 ms for their
peaks; the job's wall time (duration_ms, which includes the runner's git
work) is compared with the same test run directly with its output to a
file, and with its output streamed by bench/relay.c (a pipe, a process, a
loopback socket, a process and the file: the least a runner and a
dispatcher can do, without a protocol or a store).  The dispatcher runs
with --max-log-bytes above 100 MiB so that the whole output goes through
it and onto disk (the default, 16 MiB, would drop the rest).
"""
import os
import subprocess
import sys
import time

from common import (SSCI, RELAY, figure, note, workdir, git, make_repo,
                    dispatcher, runner, rss_kib, cpu_s, RssSampler, wait_for,
                    result_files, result_line)

MIB = int(os.environ.get("SSCI_BENCH_LOG_MIB", "100"))
BIG_TEST = ("#!/bin/sh\nhead -c %d /dev/zero | tr '\\0' 'x' | fold -w 100\n"
            % (MIB << 20))


def direct(clone, out_path):
    """The test run directly, output to a file; seconds."""
    t0 = time.monotonic()
    with open(out_path, "wb") as out:
        subprocess.run([os.path.join(clone, ".ssci", "test")], cwd=clone,
                       stdin=subprocess.DEVNULL, stdout=out, check=True)
    dt = time.monotonic() - t0
    size = os.path.getsize(out_path)
    os.unlink(out_path)
    return dt, size


def relayed(clone, out_path):
    """The test with its output streamed by bench/relay.c; seconds."""
    t0 = time.monotonic()
    subprocess.run([RELAY, out_path, os.path.join(clone, ".ssci", "test")],
                   cwd=clone, check=True)
    dt = time.monotonic() - t0
    os.unlink(out_path)
    return dt


def main():
    tmp = workdir("biglogs")
    repo = make_repo(os.path.join(tmp, "repo"), BIG_TEST)
    clone = os.path.join(tmp, "runner-clone")
    git(tmp, "clone", "-q", repo, clone)
    commit = git(repo, "rev-parse", "HEAD")
    d, address, state, results = dispatcher(
        tmp, args=("--max-log-bytes", str((MIB + 100) << 20)))
    r = runner(tmp, address, "bench-biglogs", clone=clone)
    time.sleep(0.5)
    d0, r0 = rss_kib(d.pid), rss_kib(r.pid)

    direct_before, size = direct(clone, os.path.join(tmp, "direct.out"))
    note(f"direct run: {direct_before:.2f} s, {size >> 20} MiB")
    relay_before = relayed(clone, os.path.join(tmp, "relay.out"))
    note(f"relayed: {relay_before:.2f} s")

    cpu0 = {pid: cpu_s(pid) for pid in (d.pid, r.pid)}
    sampler = RssSampler([d.pid, r.pid], 0.05)
    sampler.start()
    t0 = time.monotonic()
    subprocess.run([SSCI, "notify", "--dispatcher-server", address, "--repo",
                    repo, commit], cwd=repo, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: commit in result_files(results), "the big result",
             timeout=600, step=0.01)
    t1 = time.monotonic()
    sampler.stop()
    cpu1 = {pid: cpu_s(pid) for pid in (d.pid, r.pid)}
    fields = result_line(os.path.join(results, commit))
    result_size = os.path.getsize(os.path.join(results, commit))
    # A job that printed nothing has no log (SSCI_BENCH_LOG_MIB=0: what
    # the job costs without its output).
    log_path = os.path.join(state, "logs", f"{fields['job']}.log")
    log_size = os.path.getsize(log_path) if os.path.exists(log_path) else 0
    dur = int(fields["duration_ms"]) / 1000

    direct_after, _ = direct(clone, os.path.join(tmp, "direct.out"))
    note(f"direct run again: {direct_after:.2f} s")
    relay_after = relayed(clone, os.path.join(tmp, "relay.out"))
    note(f"relayed again: {relay_after:.2f} s")
    base = (direct_before + direct_after) / 2
    relay = (relay_before + relay_after) / 2
    note(f"job {fields['state']}: duration {dur:.2f} s, dispatch to results "
         f"file {t1 - t0:.2f} s, log {log_size >> 20} MiB, results file "
         f"{result_size >> 20} MiB; {sampler.samples} RSS samples")
    figure("biglogs_output_mib", size / (1 << 20), "MiB", 1)
    figure("biglogs_stored_log_mib", log_size / (1 << 20), "MiB", 1)
    figure("biglogs_direct_s", base, "s", 3)
    figure("biglogs_relay_s", relay, "s", 3)
    figure("biglogs_job_duration_s", dur, "s", 3)
    figure("biglogs_end_to_end_s", t1 - t0, "s", 3)
    figure("biglogs_wall_ratio", dur / base, "job/direct", 3)
    figure("biglogs_relay_ratio", relay / base, "relay/direct", 3)
    figure("biglogs_job_over_relay_ratio", dur / relay, "job/relay", 3)
    figure("biglogs_end_to_end_ratio", (t1 - t0) / base, "job/direct", 3)
    figure("biglogs_dispatcher_cpu_s", cpu1[d.pid][0] - cpu0[d.pid][0], "s",
           2)
    figure("biglogs_runner_cpu_s", cpu1[r.pid][0] - cpu0[r.pid][0], "s", 2)
    figure("biglogs_test_cpu_s", cpu1[r.pid][1] - cpu0[r.pid][1], "s", 2)
    figure("biglogs_dispatcher_rss_idle_mib", d0 / 1024, "MiB", 2)
    figure("biglogs_dispatcher_rss_peak_mib", sampler.peak[d.pid] / 1024,
           "MiB", 2)
    figure("biglogs_runner_rss_idle_mib", r0 / 1024, "MiB", 2)
    figure("biglogs_runner_rss_peak_mib", sampler.peak[r.pid] / 1024, "MiB",
           2)
    r.stop()
    d.stop()


if __name__ == "__main__":
    sys.exit(main())

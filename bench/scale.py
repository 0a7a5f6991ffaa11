# SPDX-License-Identifier: MIT
"""scale: 10,000 fake runners (bench/loadgen.c, one process, epoll) connect
and register with one dispatcher and answer its heartbeats; with all of
them connected and idle, the dispatcher's RSS and CPU share are sampled
(over SSCI_BENCH_IDLE_S, 30 s);
then 1,000 jobs are dispatched one after another through a client
connection and answered at once by whichever fake runner gets each.
Both processes run with the open-files limit raised to its hard maximum.
On PostgreSQL the server's CPU in the dispatch phase is a figure too, and
on any machine the share of CPU time the host took (steal) in that phase.
"""
import os
import queue
import subprocess
import sys
import threading
import time

from common import (LOADGEN, figure, note, workdir, dispatcher, Proc,
                    rss_kib, cpu_s, idle_sample, RssSampler,
                    store_server_cpu_s, machine_cpu_ticks, steal_pct)

# SSCI_BENCH_DISPATCHER_ARGS adds options, e.g. "--heartbeat 5".
RUNNERS = int(os.environ.get("SSCI_BENCH_RUNNERS", "10000"))
JOBS = int(os.environ.get("SSCI_BENCH_JOBS", "1000"))
# The idle share is sampled over a whole --idle-heartbeat (30 s by
# default): idle runners are pinged once in it, spread over it.
IDLE_S = float(os.environ.get("SSCI_BENCH_IDLE_S", "30"))


def main():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < RUNNERS + 100:
        note(f"WARNING: the open-files hard limit is {hard}, "
             f"below {RUNNERS} connections")
    if not LOADGEN:
        raise RuntimeError("LOADGEN is not set: run this through bench/run")
    tmp = workdir("scale")
    # The dispatcher keeps half its descriptors for the logs of running
    # jobs unless told otherwise; these runners run one short job at a time.
    extra = ["--max-connections", str(RUNNERS + 100)]
    extra += os.environ.get("SSCI_BENCH_DISPATCHER_ARGS", "").split()
    d, address, state, results = dispatcher(tmp, args=extra, many_fds=True)
    idle0 = rss_kib(d.pid)
    host, port = address.split(":")
    lg = Proc("loadgen", [LOADGEN, host, port, str(RUNNERS), str(JOBS),
                          "540"], tmp, stdin=subprocess.PIPE,
              pipe_stdout=True, many_fds=True)
    lines = queue.Queue()

    def reader():
        for line in lg.popen.stdout:
            lines.put(line.decode().rstrip("\n"))
        lines.put(None)
    threading.Thread(target=reader, daemon=True).start()

    def wait_line(prefix, timeout):
        end = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                line = None
                if time.monotonic() < end:
                    continue
            if line is None:
                raise RuntimeError(f"loadgen: no '{prefix}' line: "
                                   f"{lg.stderr()[-2000:]}")
            if line.startswith("figure "):
                print(line, flush=True)
            if line.startswith(prefix):
                return line

    cpu0 = cpu_s(d.pid)[0]
    t0 = time.monotonic()
    sampler = RssSampler([d.pid], 0.1)
    sampler.start()
    wait_line("registered", 400)
    t_reg = time.monotonic() - t0
    figure("scale_register_all_s", t_reg, "s", 2)
    figure("scale_register_dispatcher_cpu_s", cpu_s(d.pid)[0] - cpu0, "s", 2)
    time.sleep(2)
    idle = idle_sample([d.pid, lg.pid], IDLE_S)
    figure("scale_connected_runners", RUNNERS, "count", 0)
    figure("scale_dispatcher_rss_mib", idle[d.pid][1] / 1024, "MiB", 2)
    figure("scale_dispatcher_rss_empty_mib", idle0 / 1024, "MiB", 2)
    figure("scale_idle_dispatcher_cpu_pct", idle[d.pid][0], "%", 2)
    figure("scale_idle_loadgen_cpu_pct", idle[lg.pid][0], "%", 2)
    cpu0 = cpu_s(d.pid)[0]
    server0 = store_server_cpu_s()
    ticks0 = machine_cpu_ticks()
    lg.popen.stdin.write(b"dispatch\n")
    lg.popen.stdin.flush()
    wait_line("dispatched", 300)
    # On a virtual machine the host may run others on our cores: the
    # hand-out and the round trip are worth comparing only at a like share.
    figure("scale_dispatch_phase_steal_pct",
           steal_pct(ticks0, machine_cpu_ticks()), "%", 1)
    figure("scale_dispatch_phase_dispatcher_cpu_s", cpu_s(d.pid)[0] - cpu0,
           "s", 2)
    if server0 is not None:
        # The dispatcher waits for its store's server in every call: the
        # two CPU figures together bound the hand-out rate.
        figure("scale_dispatch_phase_store_server_cpu_s",
               store_server_cpu_s() - server0, "s", 2)
    sampler.stop()
    figure("scale_dispatcher_rss_after_jobs_mib", rss_kib(d.pid) / 1024,
           "MiB", 2)
    figure("scale_dispatcher_rss_peak_mib", sampler.peak[d.pid] / 1024,
           "MiB", 2)
    lg.popen.stdin.close()
    lg.stop()
    d.stop()


if __name__ == "__main__":
    sys.exit(main())

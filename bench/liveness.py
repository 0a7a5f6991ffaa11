# SPDX-License-Identifier: MIT
"""liveness: how soon a lost runner's job runs elsewhere, and how soon
runners are back after a dispatcher restart (issue 21).

1. Runner lost.  A dispatcher and two runners of one slot; a commit whose
   test waits for a file.  When its job runs, the runner holding it is
   killed with SIGKILL; the figure is from just before the kill to the
   job's hand-out to the other runner (its started_ms for attempt 2, the
   dispatcher's clock, the same wall clock as ours).  Then the file is
   made (every test waiting, the killed runner's orphan too, ends), and a
   new runner takes the dead one's place.  Target: <= 100 ms.
2. Restart.  The dispatcher, with RUNNERS idle runners, is killed with
   SIGKILL and started again after DOWN_S on the same port and state; the
   figure is from its "listening on" line (read every 1 ms) to all runners
   registered again (the status query, every 2 ms).  Target: <= 200 ms.

Five rounds of each, median and worst.  Environment: SSCI_BENCH_ROUNDS (5).
"""
import os
import re
import signal
import time

from common import (SSCI, Proc, figure, note, workdir, git, make_repo,
                    dispatcher, runner, Client, wait_for, median, loadavg,
                    jobs)

ROUNDS = int(os.environ.get("SSCI_BENCH_ROUNDS", "5"))
RUNNERS = 10
DOWN_S = 1.0


def runner_lost(w):
    stop = os.path.join(w, "stop")
    repo = os.path.join(w, "repo")
    make_repo(repo, "#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.01; done\n"
              % stop)
    d, address, _, _ = dispatcher(w)
    runners = {name: runner(w, address, name) for name in ("r0", "r1")}
    client = Client(address)
    took = []
    for i in range(ROUNDS):
        git(repo, "commit", "-q", "--allow-empty", "-m", f"round {i}")
        head = git(repo, "rev-parse", "HEAD")
        (reply,) = client.request({"type": "dispatch", "repo": repo,
                                   "commit": head, "branch": "main"})
        job = reply["job"]

        def of_job():
            return next((j for j in jobs(address) if j["id"] == job), None)
        first = wait_for(lambda: (lambda j: j if j and j["state"] ==
                                  "running" else None)(of_job()),
                         "the job to run")
        victim = first["runner"]
        killed_ms = time.time() * 1000
        os.kill(runners[victim].pid, signal.SIGKILL)
        again = wait_for(lambda: (lambda j: j if j and j["attempt"] == 2
                                  and j["state"] == "running" else None)(
                                      of_job()), "the job handed out again",
                         step=0.002)
        took.append(again["started_ms"] - killed_ms)
        open(stop, "w").close()
        wait_for(lambda: (lambda j: j and j["state"] == "passed")(
            of_job()), "the job to pass")
        # The killed runner's orphaned test has seen the file too.
        time.sleep(0.1)
        os.unlink(stop)
        runners[victim].stop()
        runners[victim] = runner(w, address, victim)
        note(f"round {i + 1}: {victim} killed; the job handed to "
             f"{again['runner']} {took[-1]:.1f} ms later; load {loadavg()}")
    client.close()
    figure("liveness_lost_to_handed_ms_median", median(took), "ms", 1)
    figure("liveness_lost_to_handed_ms_worst", max(took), "ms", 1)
    for r in runners.values():
        r.stop()
    d.stop()


def registered(address):
    c = Client(address)
    try:
        (reply,) = c.request({"type": "status"})
    finally:
        c.close()
    return len(reply["runners"])


def restart(w):
    d, address, _, _ = dispatcher(w, name="dispatcher2")
    port = address.rsplit(":", 1)[1]
    runners = [runner(w, address, f"idle{i}") for i in range(RUNNERS)]
    took = []
    for i in range(ROUNDS):
        wait_for(lambda: registered(address) == RUNNERS, "the runners")
        # Runners retry quickly after losing a connection that was up a
        # while (1 s), not one dropped at once.
        time.sleep(1.2)
        os.kill(d.pid, signal.SIGKILL)
        d.popen.wait()
        d.stop()
        time.sleep(DOWN_S)
        d = Proc("dispatcher2", [SSCI, "dispatcher", "--local-repos",
                                 "--port", port, "--host", "127.0.0.1",
                                 "--http", "off", "--state-dir",
                                 os.path.join(w, "dispatcher2-state"),
                                 "--results-dir",
                                 os.path.join(w, "dispatcher2-results")], w)
        wait_for(lambda: re.search(r"^listening on ", d.stdout(), re.M),
                 "the dispatcher to listen", step=0.001)
        listening = time.monotonic()
        wait_for(lambda: registered(address) == RUNNERS,
                 "the runners to register again", step=0.002)
        took.append((time.monotonic() - listening) * 1000)
        note(f"round {i + 1}: {RUNNERS} runners back {took[-1]:.0f} ms "
             f"after the restarted dispatcher listened; load {loadavg()}")
    figure("liveness_restart_runners_back_ms_median", median(took), "ms", 0)
    figure("liveness_restart_runners_back_ms_worst", max(took), "ms", 0)
    for r in runners:
        r.stop()
    d.stop()


def main():
    w = workdir("liveness")
    note(f"{ROUNDS} rounds; {RUNNERS} runners for the restart, down "
         f"{DOWN_S:.1f} s; load {loadavg()}; {SSCI}")
    runner_lost(w)
    restart(w)


if __name__ == "__main__":
    main()

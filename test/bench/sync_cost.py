#!/usr/bin/python3
"""sync_cost - what synchronous=FULL costs per person event (issue 11).

The notifier commits each worker RESULT in one transaction and only then
acks it. This part feeds the same results to two notifiers in the same
run, alternating rounds on the same disk: the real one (FULL: the WAL is
fsynced at each commit) and a copy built with -DDB_SYNCHRONOUS='"NORMAL"'
(the old setting; no fsync at commit). Each result carries one person and
one track event ("new"), as a worker sends when someone appears. Prints
markdown: per-event milliseconds of each, and the ratio.

Usage: sync_cost.py [--normal PATH] [--events N] [--rounds R]
  --normal: the NORMAL build of gatewatch-notifier (built here if absent:
  make B=build-syncnormal BIN=build-syncnormal/bin ... with the define).
Env: GW_ROOT, BIN."""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import gwmsg  # noqa: E402
import notifier_env  # noqa: E402
from notifier_env import Notifier  # noqa: E402

ROOT = notifier_env.ROOT


def build_normal():
    # relative B and BIN: the Makefile's per-file rules are written that way
    # CFLAGS from the environment, not the command line: per-file
    # additions (CFLAGS += -mavx2) still apply
    env = dict(os.environ, CFLAGS="-O2 -g -DDB_SYNCHRONOUS='\"NORMAL\"'")
    subprocess.run(["make", "-s", "B=build-syncnormal", "BIN=build-syncnormal/bin",
                    "build-syncnormal/bin/gatewatch-notifier"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)
    return os.path.join(ROOT, "build-syncnormal", "bin", "gatewatch-notifier")


def feed(exe, events):
    """Seconds per result (one person, one track event) for one fresh notifier."""
    n = Notifier()
    n.args[0] = exe
    n.start(timeout=30)
    try:
        w = gwmsg.connect(n.sock)
        w.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
        base = int(time.time() * 1e6) - 10**7
        msgs = []
        for i in range(events):
            fid = gwmsg.frame_id()
            msgs.append((fid, gwmsg.result("gate1", fid, [dict(track=base + i)],
                                           events=[dict(track=base + i, kind="new", seq=1, first_seen_us=base)])))
        t0 = time.perf_counter()
        for fid, m in msgs:
            w.send(m)
            while True:
                r = gwmsg.recv(w, 30)
                if r is None:
                    raise IOError("notifier closed the connection")
                if r[0] == gwmsg.RESULT_ACK and r[1]["frame"] == fid:
                    break
        dt = time.perf_counter() - t0
        w.close()
        return dt / events
    finally:
        n.stop()
        subprocess.call(["rm", "-rf", n.tmp])


def main():
    args = sys.argv[1:]
    normal = args[args.index("--normal") + 1] if "--normal" in args else None
    events = int(args[args.index("--events") + 1]) if "--events" in args else 300
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
    full = notifier_env.NOTIFIER
    normal = normal or build_normal()
    res = {"FULL": [], "NORMAL": []}
    for _ in range(rounds):
        res["NORMAL"].append(feed(normal, events))
        res["FULL"].append(feed(full, events))
    mf, mn = statistics.median(res["FULL"]), statistics.median(res["NORMAL"])
    fs = subprocess.run(["df", "-T", "/tmp"], capture_output=True, text=True).stdout.splitlines()[-1].split()[1]
    print("### Cost of synchronous=FULL (notifier commits)\n")
    print("One RESULT with one person and one track event, committed and acked; %d results per notifier, "
          "%d alternating rounds, median; database in /tmp (%s). Command: "
          "`/usr/bin/python3 test/bench/sync_cost.py`.\n" % (events, rounds, fs))
    print("| synchronous | ms per person event (commit + ack) | events/s |")
    print("|---|---|---|")
    print("| NORMAL (before issue 11) | %.3f | %.0f |" % (mn * 1000, 1 / mn))
    print("| FULL (now) | %.3f | %.0f |" % (mf * 1000, 1 / mf))
    print("\nFULL / NORMAL time per event: **%.2fx** (+%.3f ms per event). Rounds: NORMAL %s, FULL %s ms.\n"
          % (mf / mn, (mf - mn) * 1000, ", ".join("%.3f" % (x * 1000) for x in res["NORMAL"]),
             ", ".join("%.3f" % (x * 1000) for x in res["FULL"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""today_cost - what keeping the day's figures in memory (notifier/today.c)
costs while nobody listens: api_read_cost's busy database (2 cameras,
PEOPLE people a day each for DAYS days), then a person stored every 0.5 s
for SECONDS with no /live client and MQTT off; printed: the pool's reads
of the day's figures and their time (/metrics), the notifier's CPU time
(/proc), then how long the first /live client waits for figures that
count every stored person (its hello, or the "today" push after it).

    nice -n 10 python3 test/bench/today_cost.py [--days 2] [--people 25000] [--seconds 30] [--bin DIR]

--bin: another build's bin/ (compare two builds on the same data, one
after the other). Not a test: nothing is asserted."""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
import notifier_env  # noqa: E402
from api_read_cost import fill  # noqa: E402
from notifier_env import Notifier  # noqa: E402


def metric(n, name):
    st, _, body = n.get("/metrics", timeout=60)
    m = re.search(rb"^%s ([0-9.e+-]+)$" % name.encode(), body, re.M)
    return float(m.group(1)) if st == 200 and m else None


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        f = f.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--people", type=int, default=25000, help="people a day per camera")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--bin", help="another build's bin/ to measure instead")
    a = ap.parse_args()
    if a.bin:
        notifier_env.NOTIFIER = os.path.join(a.bin, "gatewatch-notifier")
        notifier_env.GATEWATCH = os.path.join(a.bin, "gatewatch")
    n = Notifier()
    n.start()
    n.stop()
    counts = fill(os.path.join(n.dir, "gatewatch.db"), ("gate1", "hall"), a.days, a.people)
    print("# %d tracks, %d track events, %d alerts" % counts)
    n.start(timeout=120)
    try:
        worker = gwmsg.connect(n.sock)
        worker.send(gwmsg.hello(gwmsg.ROLE_WORKER, "hall"))
        reads0, secs0, cpu0 = metric(n, "gatewatch_today_reads_total"), \
            metric(n, "gatewatch_today_read_seconds_total"), cpu_s(n.proc.pid)
        base, i, end = int(time.time() * 1e6), 0, time.monotonic() + a.seconds
        while time.monotonic() < end:
            fa = gwmsg.frame_id()
            worker.send(gwmsg.result("hall", fa, [], events=[
                dict(track=base + i, kind="new", seq=1, first_seen_us=base, looks=3),
                dict(track=base + i, kind="changed", seq=2, verdict="PASS", mask="mask_on", mask_score=0.97,
                     decision=True, first_seen_us=base, looks=3)]))
            gwmsg.recv(worker, 60)
            i += 1
            time.sleep(0.5)
        cpu = cpu_s(n.proc.pid) - cpu0
        reads, secs = metric(n, "gatewatch_today_reads_total"), metric(n, "gatewatch_today_read_seconds_total")
        print("%d people stored in %.0f s, nobody listening: %s reads of the day's figures, %s s in the pool;"
              " notifier CPU %.2f s" % (i, a.seconds, None if reads is None else reads - reads0,
                                        None if secs is None else "%.2f" % (secs - secs0), cpu))
        _, stored = n.get_json("/api/stats/today")
        t = time.perf_counter()
        ws = notifier_env.WS(n.http_port, timeout=120)
        got = ws.recv().get("today")
        for _ in range(50):
            if got == stored:
                break
            got = ws.recv_type("today", timeout=120, limit=500)["today"]
        print("first /live client: figures counting every stored person after %.2f s (%s)"
              % (time.perf_counter() - t, "ok" if got == stored else "never"))
        ws.close()
    finally:
        n.stop()


if __name__ == "__main__":
    main()

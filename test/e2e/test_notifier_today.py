#!/usr/bin/python3
"""test_notifier_today - the day's figures (notifier/today.c) are read again
in the pool only while someone listens: people stored with no /live client
(and MQTT off) leave /metrics' gatewatch_today_reads_total where it was
while gatewatch_today_reads_held_total counts the ticks that held the read;
the first /live client then gets a "today" push holding what the database
says (/api/stats/today, read on request), and the read is counted."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from notifier_env import WS, Cases, Notifier  # noqa: E402

t = Cases()
n = None


def metric(name):
    st, _, body = n.get("/metrics")
    m = re.search(rb"^" + name.encode() + rb" (\d+)$", body, re.M)
    return int(m.group(1)) if st == 200 and m else None


def reads():
    return metric("gatewatch_today_reads_total")


def held_after(count, limit_s=60):
    """gatewatch_today_reads_held_total once it reaches count (the 1 s tick
    found the change waiting with nobody listening that often), or its last
    value after limit_s."""
    end = time.monotonic() + limit_s
    while True:
        got = metric("gatewatch_today_reads_held_total")
        if (got is not None and got >= count) or time.monotonic() > end:
            return got
        time.sleep(0.1)


try:
    n = Notifier().start()
    before = reads()
    t.check(before is not None, "/metrics counts the day's figures' reads", repr(before))
    worker = gwmsg.connect(n.sock)
    worker.send(gwmsg.hello(gwmsg.ROLE_WORKER, "hall"))
    base = int(time.time() * 1e6) - 5 * 10**6
    for i in range(3):
        fa = gwmsg.frame_id()
        ev = [dict(track=base + i, kind="new", seq=1, first_seen_us=base, looks=3),
              dict(track=base + i, kind="changed", seq=2, verdict="PASS", mask="mask_on", mask_score=0.97,
                   decision=True, first_seen_us=base, looks=3)]
        worker.send(gwmsg.result("hall", fa, [], events=ev))
        t.eq(gwmsg.recv(worker), (gwmsg.RESULT_ACK, {"camera": "hall", "frame": fa}),
             "person %d stored (acked), nobody listening" % (i + 1))
    st, stored = n.get_json("/api/stats/today")
    t.eq(stored["cameras"].get("hall", {}).get("people"), 3, "/api/stats/today reads the database on request")
    # An absence made a condition: three ticks have seen the change waiting
    # (a read due) and held it back, however slow the machine.
    held = held_after(3)
    t.check(held is not None and held >= 3, "three ticks held the due read back (nobody listening)", repr(held))
    t.eq(reads(), before, "no read in the pool while nobody listens (changes waiting)")
    live = WS(n.http_port)
    hello = live.recv()
    t.check(hello.get("type") == "hello" and "today" in hello, "a /live client gets its hello", repr(hello)[:200])
    got = hello.get("today")
    for _ in range(20):
        if got == stored:
            break
        got = live.recv_type("today", timeout=30, limit=500)["today"]
    t.eq(got, stored, "then its today figures (hello or push) reach the stored ones")
    t.check((reads() or 0) >= (before or 0) + 1, "that read is counted", repr(reads()))
    live.close()
    worker.close()
except Exception as ex:  # a crash is a failed case, not a silent pass
    t.fail("today test ran to the end", repr(ex))
t.finish(n)
sys.exit(t.done())

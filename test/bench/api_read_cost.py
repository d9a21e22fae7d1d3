#!/usr/bin/env python3
"""api_read_cost - the largest API reads, and how long they keep the
notifier's loop thread from everyone else, on a database filled like a
busy site's: 2 cameras, PEOPLE people a day each for DAYS days (4 track
events each, an alert per ten people, an audit entry per person), today
included. For each read:
its own time over HTTP on loopback (median of REPS; "/live": a WebSocket
connect until its hello; "POST /api/users": a user added, not a read),
and the worst time
of GET /api/health (the reference: no database work) asked every 10 ms
from another thread while the read runs: with the reads on the loop
thread that is the read's whole time; off it, a health check's own.

    nice -n 10 python3 test/bench/api_read_cost.py [--days 30] [--people 2000] [--bin DIR] [--only TEXT]

--bin: the directory of another build's gatewatch-notifier (and
gatewatch), to compare two builds on the same data in the same run. Not a
test: nothing is asserted."""
import argparse
import json
import os
import sqlite3
import statistics
import sys
import time

import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import notifier_env  # noqa: E402
from notifier_env import Notifier  # noqa: E402


def fill(path, cams, days, people):
    db = sqlite3.connect(path)
    now_us = int(time.time() * 1e6)
    day_us = 86400 * 10**6
    tracks, events, alerts, audit = [], [], [], []
    for d in range(days):
        base = now_us - d * day_us - day_us // 2 if d else now_us - 3600 * 10**6
        for c in cams:
            for i in range(people):
                t0 = base + i * (day_us // 2 // people)
                tid = t0 + 7
                verdict = "DENY" if i % 10 == 0 else "PASS"
                reason = "no_mask" if verdict == "DENY" else "ok"
                audit.append((t0, "admin", "login", "admin", "127.0.0.1"))
                tracks.append((c, tid, t0, t0 + 4 * 10**6, verdict, reason, "mask_on", 0.97, 36.6, t0 + 10**6,
                               "snapshots/%s/%d.jpg" % (c, tid), 5, 20, t0 + 5 * 10**6))
                for seq, kind in enumerate(("new", "changed", "changed", "ended")):
                    events.append((c, tid, seq + 1, kind, verdict, reason, 1 if seq == 1 else 0, t0 + seq * 10**6,
                                   "", "{}"))
                if verdict == "DENY":
                    events.append((c, tid, 9, "alert", verdict, reason, 0, t0 + 2 * 10**6, "", "{}"))
                    alerts.append((c, tid, t0 + 2 * 10**6, reason, '{"camera_name":"%s","verdict":"DENY"}' % c))
    db.executemany("INSERT INTO tracks (camera, track_id, first_seen_us, last_seen_us, verdict, reason, mask,"
                   " mask_score, temperature, decision_us, snapshot, looks, skipped, ended_us)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", tracks)
    db.executemany("INSERT INTO track_events (camera, track_id, seq, kind, verdict, reason, decision, at_us,"
                   " frame_id, json) VALUES (?,?,?,?,?,?,?,?,?,?)", events)
    db.executemany("INSERT INTO alerts (camera, track_id, raised_us, reason, json) VALUES (?,?,?,?,?)", alerts)
    db.executemany("INSERT INTO audit (at_us, who, action, target, addr) VALUES (?,?,?,?,?)", sorted(audit))
    db.commit()
    db.close()
    return len(tracks), len(events), len(alerts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--people", type=int, default=2000, help="people a day per camera")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--bin", help="another build's bin/ to measure instead")
    ap.add_argument("--only", help="measure only the paths that contain this text")
    a = ap.parse_args()
    if a.bin:
        notifier_env.NOTIFIER = os.path.join(a.bin, "gatewatch-notifier")
        notifier_env.GATEWATCH = os.path.join(a.bin, "gatewatch")
    cams = ("gate1", "hall")
    n = Notifier()
    n.start()
    n.stop()
    counts = fill(os.path.join(n.dir, "gatewatch.db"), cams, a.days, a.people)
    print("# %d tracks, %d track events, %d alerts (%d cameras, %d days, %d people a day each)"
          % (counts + (len(cams), a.days, a.people)))
    n.start(timeout=60)
    today = time.strftime("%Y-%m-%d")
    month_ago = time.strftime("%Y-%m-%d", time.localtime(time.time() - 30 * 86400))
    paths = ["/api/health", "/api/tracks?limit=500", "/api/alerts?state=all&limit=500", "/api/stats/today",
             "/api/stats?from=%s&to=%s&by=hour" % (month_ago, today),
             "/api/stats?from=%s&to=%s&by=day" % (month_ago, today), "/api/tracks.csv?limit=10000",
             "/api/cameras", "/api/audit?action=alert_ack&limit=500", "/live",
             "POST /api/users"]
    if a.only:
        paths = [p for p in paths if a.only in p]
    try:
        for p in paths:
            times, stalls, size = [], [], 0
            for _ in range(a.reps):
                done = threading.Event()
                worst = [0.0]

                def probe():
                    while not done.is_set():
                        t = time.perf_counter()
                        try:
                            n.get("/api/health", timeout=60)
                        except Exception:  # noqa: BLE001 (counted as its time)
                            pass
                        worst[0] = max(worst[0], (time.perf_counter() - t) * 1000)
                        time.sleep(0.01)

                th = threading.Thread(target=probe)
                th.start()
                t = time.perf_counter()
                try:
                    if p == "POST /api/users":  # not a read: a user added (its password hashed)
                        st, _, body = n.request("POST", "/api/users", json.dumps(
                            {"name": "u%d" % len(times), "role": "viewer", "password": "a-long-password"}),
                            headers={"Content-Type": "application/json"}, timeout=60)
                        st = 200 if st == 201 else st
                    elif p == "/live":  # a dashboard's connect: the hello
                        ws = notifier_env.WS(n.http_port, timeout=60)
                        body = json.dumps(ws.recv()).encode()
                        ws.close()
                        st = 200
                    else:
                        st, _, body = n.get(p, timeout=60)
                except Exception as e:  # noqa: BLE001 (a dropped answer is a result here)
                    st, body = 0, b""
                    print("# %s: %s" % (p, repr(e)[:100]))
                times.append((time.perf_counter() - t) * 1000)
                done.set()
                th.join()
                stalls.append(worst[0])
                size = len(body)
                if st != 200:
                    print("# %s: %d" % (p, st))
            print("%-60s %8d bytes  read %8.1f ms  /api/health worst %8.1f ms"
                  % (p, size, statistics.median(times), statistics.median(stalls)))
    finally:
        n.stop()


if __name__ == "__main__":
    main()

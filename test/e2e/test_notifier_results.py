#!/usr/bin/python3
"""test_notifier_results - gatewatch-notifier alone, fed over
run/notifier.sock like a worker, an ingest and a dispatcher would:
struct layout, commit + ack, idempotency, verdicts to ingest, /live push,
camera state, bad peers dropped, clean SIGTERM, figures kept across a
restart."""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from notifier_env import NOTIFIER, WS, Cases, Notifier  # noqa: E402

t = Cases()
n = None
try:
    out = subprocess.run([NOTIFIER, "--print-msg-sizes"], capture_output=True, timeout=10).stdout
    c_sizes = json.loads(out)
    t.eq(c_sizes, gwmsg.SIZES, "msg.h layout in C matches the Python packer")

    n = Notifier().start()
    db = sqlite3.connect(os.path.join(n.dir, "gatewatch.db"), timeout=5)
    t.eq(db.execute("PRAGMA journal_mode").fetchone()[0], "wal", "database is in WAL mode")
    t.eq(db.execute("PRAGMA user_version").fetchone()[0], 1, "schema user_version is 1")

    ingest = gwmsg.connect(n.sock)
    ingest.send(gwmsg.hello(gwmsg.ROLE_INGEST))
    live = WS(n.http_port)
    hello = live.recv()
    t.check(hello.get("type") == "hello" and "today" in hello and
            [c["id"] for c in hello["cameras"]] == ["gate1", "hall"],
            "/live says hello with today's figures and the configured cameras", repr(hello)[:300])

    worker = gwmsg.connect(n.sock)
    worker.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    fa = gwmsg.frame_id()
    persons = [dict(verdict="PASS", mask="mask_on", mask_score=0.97, body=(10, 20, 200, 400, 0.9),
                    face=(60, 40, 80, 90, 0.88), track=3),
               dict(verdict="DENY", reason="no_mask", mask="mask_off", mask_score=0.91,
                    body=(300, 30, 180, 420, 0.8), face=(340, 50, 70, 85, 0.8), track=4)]
    worker.send(gwmsg.result("gate1", fa, persons, temperature=36.6, snapshot="snapshots/gate1/%s.jpg" % fa))
    m = gwmsg.recv(worker)
    t.eq(m, (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fa}), "result is acked with its (camera, frame id)")
    rows = db.execute("SELECT camera, frame_id, verdict, reason, npersons, temperature FROM results").fetchall()
    t.eq(len(rows), 1, "one results row after the ack")
    if rows:
        t.eq(rows[0][:5], ("gate1", fa, "DENY", "no_mask", 2), "row holds camera, frame, frame verdict DENY/no_mask")
        t.check(abs(rows[0][5] - 36.6) < 0.01, "row holds the temperature", repr(rows[0][5]))
    prow = db.execute("SELECT idx, verdict, reason, mask, track_id FROM persons ORDER BY idx").fetchall()
    t.eq(prow, [(0, "PASS", "", "mask_on", 3), (1, "DENY", "no_mask", "mask_off", 4)], "persons rows")

    v1, v2 = gwmsg.recv(ingest), gwmsg.recv(ingest)
    t.check(v1[0] == gwmsg.VERDICT and v1[1]["frame"] == fa and v1[1]["verdict"] == 1 and v1[1]["track"] == 3
            and v1[1]["person"] == 0 and abs(v1[1]["temperature"] - 36.6) < 0.01,
            "ingest gets the PASS verdict of person 0", repr(v1))
    t.check(v2[0] == gwmsg.VERDICT and v2[1]["verdict"] == 2 and v2[1]["reason"] == 1 and v2[1]["person"] == 1,
            "ingest gets the DENY/no_mask verdict of person 1", repr(v2))

    r = live.recv_type("result")
    t.check(r.get("frame") == fa and r.get("verdict") == "DENY" and len(r.get("persons", [])) == 2 and
            r["persons"][1]["face"] == [340, 50, 70, 85, 0.8] and r.get("snapshot") == "/snapshots/gate1/%s.jpg" % fa,
            "/live pushes the result with persons, boxes and snapshot URL", repr(r)[:300])

    # Idempotency: the same frame again is acked and changes nothing.
    worker.send(gwmsg.result("gate1", fa, persons, temperature=36.6))
    m = gwmsg.recv(worker)
    t.eq(m, (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fa}), "a replayed result is acked again")
    t.eq(db.execute("SELECT count(*) FROM results").fetchone()[0], 1, "a replayed result adds no row")
    t.eq(db.execute("SELECT count(*) FROM persons").fetchone()[0], 2, "a replayed result adds no person")
    fb = gwmsg.frame_id()
    worker.send(gwmsg.result("gate1", fb, [dict(verdict="PASS", mask="mask_on", mask_score=0.9, track=5)]))
    t.eq(gwmsg.recv(worker), (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fb}), "next frame acked")
    v = gwmsg.recv(ingest)
    t.check(v[1]["frame"] == fb, "no verdict is sent again for the replay (next verdict is the next frame's)", repr(v))
    r = live.recv_type("result")
    t.eq(r.get("frame"), fb, "no /live push for the replay (next push is the next frame)")

    # Camera state: ingest stats and dispatcher queue status reach /live.
    disp = gwmsg.connect(n.sock)
    disp.send(gwmsg.hello(gwmsg.ROLE_DISPATCHER))
    ingest.send(gwmsg.camera_stats("gate1", connected=1, frames_in=50, accepted=20, no_person=30, fps_in=5.0))
    disp.send(gwmsg.queue_status("gate1", depth=3, worker_pid=4242))
    cam = None
    end = time.time() + 10
    while time.time() < end:
        m = live.recv_type("camera", timeout=max(0.1, end - time.time()))
        if m.get("id") == "gate1" and m.get("stats") and m.get("queue"):
            cam = m
            break
    t.check(cam is not None and cam["stats"]["frames_in"] == 50 and cam["stats"]["fps_in"] == 5 and
            cam["queue"]["depth"] == 3 and cam["queue"]["worker_pid"] == 4242 and cam["workers"] == 1,
            "/live pushes camera stats, queue depth and the connected worker", repr(cam)[:300])
    st, cams = n.get_json("/api/cameras")
    g = [c for c in cams if c["id"] == "gate1"]
    t.check(st == 200 and g and g[0]["stats"]["accepted"] == 20 and g[0]["last_result"]["frame"] == fb and
            g[0]["name"] == "Front gate" and g[0]["mode"] == "gate",
            "/api/cameras has name, mode, stats and the last result", repr(g)[:300])

    # Bad peers: each is dropped alone.
    bad = gwmsg.connect(n.sock)
    bad.send(b"\x00" * 40)
    t.eq(bad.recv(100), b"", "a peer sending a bad magic is disconnected")
    bad2 = gwmsg.connect(n.sock)
    bad2.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1", pid=1) [:16] + b"\x01" * 30)
    t.eq(bad2.recv(100), b"", "a peer sending a wrong-size hello is disconnected")
    bad3 = gwmsg.connect(n.sock)
    bad3.send(gwmsg.pack(gwmsg.HELLO, b"\0" * 40, version=99))
    t.eq(bad3.recv(100), b"", "a peer with another protocol version is disconnected")
    bad4 = gwmsg.connect(n.sock)
    bad4.send(gwmsg.result("gate1", gwmsg.frame_id(), []))
    t.eq(bad4.recv(100), b"", "a result before hello gets the peer disconnected")
    bad5 = gwmsg.connect(n.sock)
    bad5.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    bad5.send(gwmsg.result("../etc", gwmsg.frame_id(), []))
    t.eq(bad5.recv(100), b"", "a result with a bad camera id gets the peer disconnected")
    fc = gwmsg.frame_id()
    worker.send(gwmsg.result("gate1", fc, []))
    t.eq(gwmsg.recv(worker), (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fc}),
         "the good worker is still served after the bad peers")
    log = n.log_text()
    t.check("bad message" in log and "before hello" in log, "bad peers are logged", log[-500:])
    t.eq(db.execute("SELECT count(*) FROM results").fetchone()[0], 3, "three distinct frames committed")

    _, before = n.get_json("/api/stats/today")
    for s in (worker, ingest, disp, bad, bad2, bad3, bad4, bad5):
        s.close()
    live.close()
    db.close()
    rc = n.stop()
    t.eq(rc, 0, "SIGTERM: exit status 0")
    t.check("stopped" in n.log_text(), "SIGTERM: logged a clean stop", n.log_text()[-300:])

    # Snapshot retention (notifier.snapshot_keep_days, 7 by default) runs at start.
    sdir = os.path.join(n.dir, "snapshots", "gate1")
    os.makedirs(sdir, exist_ok=True)
    day_us = 86400 * 10**6
    now_us = int(time.time() * 1e6)
    old, older, recent = (gwmsg.frame_id(now_us - 8 * day_us), gwmsg.frame_id(now_us - 30 * day_us),
                          gwmsg.frame_id(now_us - 6 * day_us))
    for name in (old + ".jpg", older + ".jpg", recent + ".jpg", "notes.txt", old + ".jpg.bak"):
        with open(os.path.join(sdir, name), "wb") as f:
            f.write(b"x")
    n.start()
    end = time.time() + 10
    while time.time() < end and os.path.exists(os.path.join(sdir, old + ".jpg")):
        time.sleep(0.1)
    left = sorted(os.listdir(sdir))
    t.eq(left, sorted([recent + ".jpg", "notes.txt", old + ".jpg.bak"]),
         "snapshots older than 7 days are pruned at start; other files are left alone")
    _, after = n.get_json("/api/stats/today")
    t.eq(after, before, "today's figures are the same after a restart")
    t.eq(after["total"], {"frames": 3, "people": 3, "passed": 2, "denied": 1}, "today's totals")
    w = gwmsg.connect(n.sock)
    w.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    w.send(gwmsg.result("gate1", fa, persons))
    t.eq(gwmsg.recv(w), (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fa}), "replay after restart is acked")
    _, again = n.get_json("/api/stats/today")
    t.eq(again["total"], after["total"], "replay after restart changes no figure")
    w.close()
except Exception as e:  # a crash of the test is a failure, with its reason
    import traceback
    traceback.print_exc()
    t.check(False, "test ran to the end", "%s: %s" % (type(e).__name__, e))
finally:
    if n is not None and n.proc is not None:
        n.stop()
    if n is not None and t.failed:
        sys.stderr.write(n.log_text()[-3000:])
sys.exit(1 if t.failed else 0)

#!/usr/bin/python3
"""test_notifier_results - gatewatch-notifier alone, fed over
run/notifier.sock like a worker, an ingest and a dispatcher would (msg v2:
results carry track events): struct layout, schema v2, events committed
idempotently and acked, the database untouched by results without new
events, one gate decision (MSG_VERDICT) per person and none for a replay
or an indoor camera, /live pushes of frames, track events and alerts,
camera state, bad peers dropped, clean SIGTERM, figures from track events
kept across a restart, snapshot pruning by frame and track id."""
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from notifier_env import NOTIFIER, WS, Cases, Notifier  # noqa: E402

t = Cases()
n = None


def no_message(sock, timeout=0.5):
    """True if no verdict arrives on sock within timeout (the gate's other
    messages, a person appeared or left, are skipped)."""
    try:
        while True:
            m = gwmsg.recv(sock, timeout)
            if m is None:
                return True
            if m[0] != gwmsg.VERDICT or m[1]["kind"] == gwmsg.GATE_VERDICT:
                return False
    except OSError:  # socket.timeout
        return True


seen_gate = []  # (kind, track) of the gate messages recv_verdict skipped


def recv_verdict(sock, timeout=30.0):
    """The next verdict message; appeared/left/prompt ones are kept in seen_gate."""
    while True:
        m = gwmsg.recv(sock, timeout)
        if m is None or m[0] != gwmsg.VERDICT or m[1]["kind"] == gwmsg.GATE_VERDICT:
            return m
        seen_gate.append((m[1]["kind"], m[1]["track"]))


def live_collect(live, count, timeout=30.0):
    """The next count messages that are not camera/today updates."""
    out = []
    end = time.time() + timeout
    while len(out) < count and time.time() < end:
        m = live.recv(max(0.1, end - time.time()))
        if m.get("type") not in ("camera", "today"):
            out.append(m)
    return out


try:
    out = subprocess.run([NOTIFIER, "--print-msg-sizes"], capture_output=True, timeout=10).stdout
    c_sizes = json.loads(out)
    t.eq(c_sizes, gwmsg.SIZES, "msg.h layout in C matches the Python packer (v2: track events)")

    n = Notifier(check_api=True).start()
    db = sqlite3.connect(os.path.join(n.dir, "gatewatch.db"), timeout=5)
    t.eq(db.execute("PRAGMA journal_mode").fetchone()[0], "wal", "database is in WAL mode")
    t.eq(db.execute("PRAGMA user_version").fetchone()[0], 3, "schema user_version is 3")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    t.check({"tracks", "track_events", "alerts", "webhook_outbox"} <= tables, "v2 tables exist", repr(tables))

    def version():
        return db.execute("PRAGMA data_version").fetchone()[0]

    ingest = gwmsg.connect(n.sock)
    ingest.send(gwmsg.hello(gwmsg.ROLE_INGEST))
    live = WS(n.http_port)
    hello = live.recv()
    t.check(hello.get("type") == "hello" and "today" in hello and
            [c["id"] for c in hello["cameras"]] == ["gate1", "hall"],
            "/live says hello with today's figures and the configured cameras", repr(hello)[:300])

    worker = gwmsg.connect(n.sock)
    worker.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    base = int(time.time() * 1e6) - 5 * 10**6
    T1, T2, T3 = base + 1, base + 2, base + 3
    fa = gwmsg.frame_id()
    persons = [dict(verdict="PASS", mask="mask_on", mask_score=0.97, body=(10, 20, 200, 400, 0.9),
                    face=(60, 40, 80, 90, 0.88), track=T1),
               dict(verdict="DENY", reason="no_mask", mask="mask_off", mask_score=0.91,
                    body=(300, 30, 180, 420, 0.8), face=(340, 50, 70, 85, 0.8), track=T2)]
    events = [dict(track=T1, kind="new", seq=1, first_seen_us=base, looks=3),
              dict(track=T2, kind="new", seq=1, first_seen_us=base, looks=3),
              dict(track=T1, kind="changed", seq=2, verdict="PASS", mask="mask_on", mask_score=0.97,
                   decision=True, temperature=36.6, first_seen_us=base, looks=3, skipped=0,
                   snapshot="snapshots/gate1/%d.jpg" % T1, face=(60, 40, 80, 90, 0.88)),
              dict(track=T2, kind="changed", seq=2, verdict="DENY", reason="no_mask", mask="mask_off",
                   mask_score=0.91, decision=True, first_seen_us=base, looks=3)]
    ra = gwmsg.result("gate1", fa, persons, temperature=36.6, events=events)
    worker.send(ra)
    m = gwmsg.recv(worker)
    t.eq(m, (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fa}), "result is acked with its (camera, frame id)")
    rows = db.execute("SELECT track_id, seq, kind, verdict, reason, decision, frame_id FROM track_events"
                      " ORDER BY id").fetchall()
    t.eq(rows, [(T1, 1, "new", "none", "", 0, fa), (T2, 1, "new", "none", "", 0, fa),
                (T1, 2, "changed", "PASS", "", 1, fa), (T2, 2, "changed", "DENY", "no_mask", 1, fa)],
         "the four track events are stored after the ack")
    trows = db.execute("SELECT camera, track_id, verdict, reason, mask, decision_us IS NOT NULL, snapshot,"
                       " temperature, ended_us FROM tracks ORDER BY track_id").fetchall()
    t.eq(trows, [("gate1", T1, "PASS", "", "mask_on", 1, "snapshots/gate1/%d.jpg" % T1, 36.6, None),
                 ("gate1", T2, "DENY", "no_mask", "mask_off", 1, "", None, None)],
         "one tracks row per person with its settled verdict")

    v1, v2 = recv_verdict(ingest), recv_verdict(ingest)
    t.check(v1[0] == gwmsg.VERDICT and v1[1]["frame"] == fa and v1[1]["verdict"] == 1 and v1[1]["track"] == T1
            and v1[1]["person"] == 0 and abs(v1[1]["temperature"] - 36.6) < 0.01,
            "ingest gets the gate decision PASS of person 1, with its 64-bit track id", repr(v1))
    t.check(v2[0] == gwmsg.VERDICT and v2[1]["verdict"] == 2 and v2[1]["reason"] == 1 and v2[1]["person"] == 1
            and v2[1]["track"] == T2, "ingest gets the gate decision DENY/no_mask of person 2", repr(v2))
    t.check(no_message(ingest), "exactly one verdict per person, not one per event")
    t.eq(seen_gate, [(gwmsg.GATE_APPEARED, T1), (gwmsg.GATE_APPEARED, T2)],
         "the gate hears of each person appearing, before their verdict")

    msgs = live_collect(live, 5)
    t.eq([m.get("type") for m in msgs], ["result", "track", "track", "track", "track"],
         "/live pushes the frame, then each track event")
    if len(msgs) == 5:
        r = msgs[0]
        t.check(r.get("frame") == fa and len(r.get("persons", [])) == 2 and r["persons"][0]["track"] == T1 and
                r["persons"][1]["face"] == [340, 50, 70, 85, 0.8], "frame push has persons, boxes and track ids",
                repr(r)[:300])
        e = msgs[3]
        t.check(e.get("kind") == "changed" and e.get("track") == T1 and e.get("verdict") == "PASS" and
                e.get("decision") is True and e.get("snapshot") == "/snapshots/gate1/%d.jpg" % T1 and
                e.get("camera") == "gate1" and e.get("frame") == fa,
                "track push carries kind, verdict, decision and the snapshot URL", repr(e)[:300])

    # Idempotency: the same result again is acked and changes nothing.
    ver = version()
    worker.send(ra)
    t.eq(gwmsg.recv(worker), (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fa}), "a replayed result is acked again")
    t.eq(db.execute("SELECT count(*) FROM track_events").fetchone()[0], 4, "a replayed result adds no event")
    t.eq(version(), ver, "a replayed result writes nothing to the database")
    t.check(no_message(ingest), "a replayed result sends no verdict again")
    msgs = live_collect(live, 1)
    t.check(len(msgs) == 1 and msgs[0].get("type") == "result", "the replay pushes only the frame", repr(msgs)[:200])

    # A frame with no new event: acked, no database write.
    fb = gwmsg.frame_id()
    worker.send(gwmsg.result("gate1", fb, persons))
    t.eq(gwmsg.recv(worker), (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fb}), "a result without events is acked")
    t.eq(version(), ver, "a result without events writes nothing to the database")

    # The next person: its decision is the next verdict ingest sees.
    fc = gwmsg.frame_id()
    worker.send(gwmsg.result("gate1", fc, [dict(verdict="PASS", mask="mask_on", mask_score=0.9, track=T3)],
                             events=[dict(track=T3, kind="new", seq=1),
                                     dict(track=T3, kind="changed", seq=2, verdict="PASS", mask="mask_on",
                                          decision=True)]))
    t.eq(gwmsg.recv(worker), (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fc}), "next result acked")
    v = recv_verdict(ingest)
    t.check(v[1]["frame"] == fc and v[1]["track"] == T3, "the next verdict is the next person's", repr(v))

    # A track ends while no frame comes: a NOFRAME result.
    fd = gwmsg.frame_id()
    worker.send(gwmsg.result("gate1", fd, [], noframe=True,
                             events=[dict(track=T1, kind="ended", seq=3, verdict="PASS", mask="mask_on",
                                          looks=4, skipped=20)]))
    t.eq(gwmsg.recv(worker), (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fd}), "an events-only result is acked")
    row = db.execute("SELECT ended_us IS NOT NULL, looks, skipped, verdict FROM tracks WHERE track_id = ?",
                     (T1,)).fetchone()
    t.eq(row, (1, 4, 20, "PASS"), "the ended event closes the track and keeps its counts")
    msgs = []
    for _ in range(20):
        msgs += live_collect(live, 1)
        if msgs[-1].get("kind") == "ended":
            break
    t.check(msgs[-1].get("kind") == "ended" and msgs[-1].get("frame") is None and msgs[-1].get("track") == T1 and
            not any(m.get("frame") == fd for m in msgs), "an events-only result pushes its event, no frame",
            repr(msgs)[-300:])

    # Indoor camera: decisions are not sent to ingest; an alert is stored and pushed.
    hall = gwmsg.connect(n.sock)
    hall.send(gwmsg.hello(gwmsg.ROLE_WORKER, "hall"))
    T4 = base + 4
    fe = gwmsg.frame_id()
    hall.send(gwmsg.result("hall", fe, [dict(verdict="DENY", reason="no_mask", mask="mask_off", track=T4)],
                           events=[dict(track=T4, kind="new", seq=1),
                                   dict(track=T4, kind="changed", seq=2, verdict="DENY", reason="no_mask",
                                        mask="mask_off", decision=True),
                                   dict(track=T4, kind="alert", seq=3, verdict="DENY", reason="no_mask",
                                        mask="mask_off", snapshot="snapshots/hall/%d.jpg" % T4)]))
    t.eq(gwmsg.recv(hall), (gwmsg.RESULT_ACK, {"camera": "hall", "frame": fe}), "indoor result acked")
    t.check(no_message(ingest), "no gate decision is sent for an indoor camera")
    arow = db.execute("SELECT camera, track_id, reason, acked_us FROM alerts").fetchall()
    t.eq(arow, [("hall", T4, "no_mask", None)], "the alert is stored, open")
    a = live.recv_type("alert")
    t.check(a.get("alert", {}).get("track") == T4 and a["alert"].get("camera_name") == "Hall" and
            a["alert"].get("acked_ms") is None and a["alert"].get("snapshot") == "/snapshots/hall/%d.jpg" % T4,
            "/live pushes the alert with the camera's name and snapshot", repr(a)[:300])

    st, tr = n.get_json("/api/tracks")
    t.eq([x["track"] for x in tr], [T4, T3, T2, T1], "/api/tracks lists people newest first")

    # Camera state: ingest stats and dispatcher queue status reach /live.
    disp = gwmsg.connect(n.sock)
    disp.send(gwmsg.hello(gwmsg.ROLE_DISPATCHER))
    ingest.send(gwmsg.camera_stats("gate1", connected=1, frames_in=50, accepted=20, no_person=30, fps_in=5.0))
    disp.send(gwmsg.queue_status("gate1", depth=3, worker_pid=4242))
    cam = None
    end = time.time() + 60
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
    t.check(st == 200 and g and g[0]["stats"]["accepted"] == 20 and g[0]["last_result"]["frame"] == fc and
            g[0]["last_track"]["track"] == T3 and g[0]["name"] == "Front gate" and g[0]["mode"] == "gate",
            "/api/cameras has name, mode, stats, the last frame and the last person", repr(g)[:400])

    # Bad peers: each is dropped alone.
    bad = gwmsg.connect(n.sock)
    bad.send(b"\x00" * 40)
    t.eq(bad.recv(100), b"", "a peer sending a bad magic is disconnected")
    bad2 = gwmsg.connect(n.sock)
    bad2.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1", pid=1)[:16] + b"\x01" * 30)
    t.eq(bad2.recv(100), b"", "a peer sending a wrong-size hello is disconnected")
    bad3 = gwmsg.connect(n.sock)
    bad3.send(gwmsg.pack(gwmsg.HELLO, b"\0" * 40, version=1))
    t.eq(bad3.recv(100), b"", "a peer speaking protocol version 1 is disconnected")
    bad4 = gwmsg.connect(n.sock)
    bad4.send(gwmsg.result("gate1", gwmsg.frame_id(), []))
    t.eq(bad4.recv(100), b"", "a result before hello gets the peer disconnected")
    bad5 = gwmsg.connect(n.sock)
    bad5.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    bad5.send(gwmsg.result("../etc", gwmsg.frame_id(), []))
    t.eq(bad5.recv(100), b"", "a result with a bad camera id gets the peer disconnected")
    bad6 = gwmsg.connect(n.sock)
    bad6.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    bad6.send(gwmsg.result("gate1", gwmsg.frame_id(), [], events=[dict(track=0, kind="new")]))
    t.eq(bad6.recv(100), b"", "a result with a bad track event gets the peer disconnected")
    ff = gwmsg.frame_id()
    worker.send(gwmsg.result("gate1", ff, []))
    t.eq(gwmsg.recv(worker), (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": ff}),
         "the good worker is still served after the bad peers")
    log = n.log_text()
    t.check("bad message" in log and "before hello" in log and "bad track event" in log,
            "bad peers are logged", log[-500:])
    t.eq(db.execute("SELECT count(*) FROM track_events").fetchone()[0], 10, "ten distinct events committed")

    st, before = n.get_json("/api/stats/today")
    t.eq(before["total"], {"people": 4, "passed": 2, "denied": 2, "alerts": 1, "overrides": 0},
         "today's totals count people (tracks), gate decisions and alerts")
    t.eq(before["cameras"].get("hall"), {"people": 1, "passed": 0, "denied": 1, "alerts": 1, "overrides": 0}, "today for the hall")
    t.check(len(before["hours"]) == 24 and sum(h["people"] for h in before["hours"]) == 4,
            "24 hour buckets adding up", repr(before["hours"])[:200])
    # The day's figures are kept in memory (notifier/today.c) and read again
    # in the pool after each change: a dashboard's hello, then its "today"
    # pushes, reach what the database says (each wait bounded).
    late = WS(n.http_port)
    got = late.recv().get("today")
    for _ in range(20):
        if got == before:
            break
        got = late.recv_type("today", timeout=30, limit=500)["today"]
    t.eq(got, before, "a new /live client: its hello's, then its pushed, today figures reach the stored ones")
    late.close()
    for s in (worker, hall, ingest, disp, bad, bad2, bad3, bad4, bad5, bad6):
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
    old_track, new_track = str(now_us - 9 * day_us + 7), str(now_us - day_us + 3)
    # A worker running for 20 days numbers today's people from its start
    # time: the snapshot's own time (mtime) decides, not the name.
    long_worker_track = str(now_us - 20 * day_us + 12345)
    ages = {old + ".jpg": 8, older + ".jpg": 30, recent + ".jpg": 6, "notes.txt": 30, old + ".jpg.bak": 30,
            old_track + ".jpg": 9, new_track + ".jpg": 1, "12.jpg": 30, long_worker_track + ".jpg": 0}
    for name, days in ages.items():
        with open(os.path.join(sdir, name), "wb") as f:
            f.write(b"x")
        at = time.time() - days * 86400
        os.utime(os.path.join(sdir, name), (at, at))
    n.start()
    # the scan's end is its log line (one scan removes the files one by one:
    # two of them gone does not mean the third is)
    end = time.time() + 60
    while time.time() < end and "snapshots older than 7 days:" not in n.log_text():
        time.sleep(0.1)
    left = sorted(os.listdir(sdir))
    t.eq(left, sorted([recent + ".jpg", "notes.txt", old + ".jpg.bak", new_track + ".jpg", "12.jpg",
                       long_worker_track + ".jpg"]),
         "snapshots written more than 7 days ago (named by frame or track id) are pruned at start, a fresh one"
         " of a long-running worker's track is kept; other files are left alone")
    _, after = n.get_json("/api/stats/today")
    t.eq(after, before, "today's figures are the same after a restart (counted from stored track events)")
    ingest = gwmsg.connect(n.sock)
    ingest.send(gwmsg.hello(gwmsg.ROLE_INGEST))
    w = gwmsg.connect(n.sock)
    w.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    time.sleep(0.2)  # the ingest hello is read before the result
    w.send(ra)
    t.eq(gwmsg.recv(w), (gwmsg.RESULT_ACK, {"camera": "gate1", "frame": fa}), "replay after restart is acked")
    t.check(no_message(ingest), "replay after restart sends no verdict")
    _, again = n.get_json("/api/stats/today")
    t.eq(again["total"], after["total"], "replay after restart changes no figure")
    w.close()
    ingest.close()
except Exception as e:  # a crash of the test is a failure, with its reason
    t.crashed(e)
finally:
    t.finish(n, check_exit=False)
sys.exit(1 if t.failed else 0)

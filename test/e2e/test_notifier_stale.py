#!/usr/bin/python3
"""test_notifier_stale - a worker that dies (kill -9) never sends its
people's ENDED events; the notifier ends them when the camera's next
worker says hello: the open tracks of an earlier worker (id = that
worker's start time in us + a count, below the new worker's process start
time) that were not seen for track.max_missing_ms get a stored ENDED event
with the next seq, ended_us = last_seen_us, pushed to /live. Tracks of
the worker itself (a reconnect after a notifier restart), of other
cameras, already ended, or seen lately are left alone; the worker's own
later ENDED is stored as usual. Fed over run/notifier.sock with gwmsg."""
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from notifier_env import WS, Cases, Notifier  # noqa: E402

t = Cases()
n = None


def send(sock, cam, events, noframe=False):
    """One result with events; True when acked."""
    fid = gwmsg.frame_id()
    sock.send(gwmsg.result(cam, fid, [], events=events, noframe=noframe))
    m = gwmsg.recv(sock)
    return m == (gwmsg.RESULT_ACK, {"camera": cam, "frame": fid})


def worker(cam):
    s = gwmsg.connect(n.sock)
    s.send(gwmsg.hello(gwmsg.ROLE_WORKER, cam))
    # An empty result's ack: the hello (and what it triggered) is done.
    assert send(s, cam, [], noframe=True)
    return s


try:
    # track.max_missing_ms 1000: the dead worker's people were last seen
    # longer ago than that.
    n = Notifier(extra=["--set", "track.max_missing_ms=1000"]).start()
    db = sqlite3.connect(os.path.join(n.dir, "gatewatch.db"), timeout=5)
    live = WS(n.http_port)
    now = int(time.time() * 1e6)
    old = now - 3600 * 10**6          # an earlier worker, started an hour ago
    O1, O2, O3 = old + 1, old + 2, old + 3
    seen = now - 30 * 10**6           # last seen 30 s ago
    HALL = old + 4

    # The earlier worker (this process, before its "restart"): people
    # O1 (decided PASS), O2 (new only), O3 (already ended), and one in the hall.
    w1 = worker("gate1")
    ok = send(w1, "gate1", [
        dict(track=O1, kind="new", seq=1, first_seen_us=seen - 10**6, last_seen_us=seen - 10**6, looks=2),
        dict(track=O1, kind="changed", seq=2, verdict="PASS", mask="mask_on", mask_score=0.95, decision=True,
             first_seen_us=seen - 10**6, last_seen_us=seen, looks=3, skipped=7,
             snapshot="snapshots/gate1/%d.jpg" % O1),
        dict(track=O2, kind="new", seq=1, first_seen_us=seen, last_seen_us=seen),
        dict(track=O3, kind="new", seq=1, first_seen_us=seen, last_seen_us=seen),
        dict(track=O3, kind="ended", seq=2, first_seen_us=seen, last_seen_us=seen)])
    t.check(ok, "the earlier worker's events are acked")
    h1 = worker("hall")
    t.check(send(h1, "hall", [dict(track=HALL, kind="new", seq=1, first_seen_us=seen, last_seen_us=seen)]),
             "a hall person is acked")
    w1.close()  # kill -9: no ENDED for O1, O2
    h1.close()

    def open_tracks(cam):
        return sorted(r[0] for r in db.execute(
            "SELECT track_id FROM tracks WHERE camera = ? AND ended_us IS NULL", (cam,)))

    t.eq(open_tracks("gate1"), [O1, O2], "the dead worker's people are open before the next worker")

    # A person the current worker (started after this process) follows,
    # stored before the restart below; and a track seen just now, from a
    # worker that started earlier (judged only once max_missing_ms passed).
    cur = now + 1
    recent = old + 5

    # The next worker of gate1 says hello (this process started after O1, O2).
    w2 = worker("gate1")
    t.eq(open_tracks("gate1"), [], "the next worker's hello ends the earlier worker's people")
    rows = db.execute("SELECT track_id, ended_us, last_seen_us, verdict, decision_us IS NOT NULL, looks, skipped "
                      "FROM tracks WHERE camera = 'gate1' AND track_id IN (?, ?) ORDER BY track_id",
                      (O1, O2)).fetchall()
    t.check(len(rows) == 2 and all(r[1] == r[2] for r in rows), "ended_us = last_seen_us", repr(rows))
    t.check(rows and rows[0][3:] == ("PASS", 1, 3, 7), "the ended person keeps verdict, decision and counts",
            repr(rows))
    ev = db.execute("SELECT track_id, seq, kind, verdict, decision, at_us FROM track_events "
                    "WHERE camera = 'gate1' AND kind = 'ended' AND track_id IN (?, ?) ORDER BY track_id",
                    (O1, O2)).fetchall()
    t.eq(ev, [(O1, 3, "ended", "PASS", 0, seen), (O2, 2, "ended", "none", 0, seen)],
         "a synthetic ENDED with the next seq per person, at its last_seen time")
    t.eq(db.execute("SELECT seq, kind FROM track_events WHERE track_id = ? ORDER BY seq", (O3,)).fetchall(),
         [(1, "new"), (2, "ended")], "the person that had ended is untouched")
    t.eq(db.execute("SELECT count(*) FROM track_events WHERE decision = 1").fetchone()[0], 1,
         "still one gate decision")
    t.eq(open_tracks("hall"), [HALL], "another camera's people are left alone")
    pushed = []
    end = time.time() + 5
    for _ in range(100):
        if {O1, O2} <= set(pushed) or time.time() >= end:
            break
        m = live.recv(max(0.1, end - time.time()))
        if m.get("type") == "track" and m.get("kind") == "ended" and m.get("track") in (O1, O2):
            pushed.append(m.get("track"))
    t.eq(sorted(pushed), [O1, O2], "the ends are pushed to /live, once each")
    st, body = n.get_json("/api/tracks?camera=gate1")
    t.check(st == 200 and all(x.get("ended_ms") for x in body if x.get("track") in (O1, O2)),
            "/api/tracks shows them ended", repr(body)[:300])

    # The current worker's own people, and one seen lately by an earlier one.
    t.check(send(w2, "gate1", [dict(track=cur, kind="new", seq=1, first_seen_us=seen, last_seen_us=seen),
                               dict(track=recent, kind="new", seq=1)]), "the current worker's events are acked")
    w2.close()
    w3 = worker("gate1")  # the same worker reconnecting (a notifier restart)
    t.eq(open_tracks("gate1"), [recent, cur] if recent < cur else [cur, recent],
         "a reconnecting worker keeps its people; one seen lately is not ended yet")
    left = 0
    for _ in range(50):
        left = open_tracks("gate1")
        if left == [cur]:
            break
        time.sleep(0.1)
    t.eq(left, [cur], "the one seen lately ends once track.max_missing_ms has passed")
    t.check(send(w3, "gate1", [dict(track=cur, kind="ended", seq=2, first_seen_us=seen, last_seen_us=seen)]),
            "the worker's own ENDED is acked")
    t.eq(db.execute("SELECT seq, kind FROM track_events WHERE track_id = ?", (cur,)).fetchall(),
         [(1, "new"), (2, "ended")], "and stored as sent")
    t.eq(open_tracks("gate1"), [], "nobody left open")
    w3.close()
    log = n.log_text()
    t.check("track %d of an earlier worker ended" % O1 in log, "the notifier logs each end it made",
            log[-500:])
    t.eq(n.stop(), 0, "SIGTERM -> exit 0")
    n = None
except Exception as e:  # noqa: BLE001
    t.check(False, "test ran to the end", repr(e))
finally:
    if n is not None:
        n.stop()
sys.exit(t.done())

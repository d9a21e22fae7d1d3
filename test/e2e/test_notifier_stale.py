#!/usr/bin/python3
"""test_notifier_stale - who ends a person whose worker is gone, and a
supervisor's override.

A worker that dies (kill -9) or exits idle sends no ENDED for the people
it follows. The camera's next worker asks the notifier for them
(MSG_TAKEOVER) and gets each open person as a MSG_TRACK_STATE: its last
worker seq, verdict, decision made, prompted, last alert, last boxes and
counts, then an end marker (track 0). While a worker of the camera is
connected its people are never ended by the notifier; while none is, the
notifier ends those not seen for track.max_missing_ms +
dispatcher.worker_backoff_max_ms with a stored ENDED (next seq,
ended_us = last_seen_us), pushed to /live and to the gate.

Override: POST /api/tracks/<camera>/<track>/override {"verdict","note"}
stores an override event (seq from MSG_SEQ_NOTIFIER, decision 1, the
replaced decision gets 2), keeps it on the person over later worker
events, counts it in today's figures and sends the gate a verdict with
override=1 and who. A camera that (re)connects (MSG_GATE_SYNC from
ingest) is told again the reason of an open person's prompt and who
overrode a decision. Fed over run/notifier.sock with gwmsg."""
import json
import os
import sqlite3
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from notifier_env import WS, Cases, Notifier  # noqa: E402
from lib import wait_until  # noqa: E402

t = Cases()
n = None
GRACE = 2.0  # track.max_missing_ms 1000 + dispatcher.worker_backoff_max_ms 1000


def send(sock, cam, events, noframe=True):
    """One result with events; True when acked."""
    fid = gwmsg.frame_id()
    sock.send(gwmsg.result(cam, fid, [], events=events, noframe=noframe))
    m = gwmsg.recv(sock)
    return m == (gwmsg.RESULT_ACK, {"camera": cam, "frame": fid})


def worker(cam):
    s = gwmsg.connect(n.sock)
    s.send(gwmsg.hello(gwmsg.ROLE_WORKER, cam))
    assert send(s, cam, [], noframe=True)
    return s


def takeover(s, cam):
    """The open people a new worker of cam is handed, until the end marker."""
    s.send(gwmsg.takeover(cam))
    out = []
    for _ in range(100):
        m = gwmsg.recv(s)
        if m is None or m[0] != gwmsg.TRACK_STATE:
            continue
        if m[1]["track"] == 0:
            return out
        out.append(m[1])
    return None


def post(path, body, who=None):
    """POST as a supervisor's session (who: a Session; default the
    supervisor named "supervisor"): the override is recorded as by them."""
    st, _, data = (who or sup).request("POST", path, json.dumps(body) if body is not None else b"")
    return st, json.loads(data or b"null")


def gate_messages(sock, timeout=1.0, until=None, bound=60.0):
    """The gate messages ingest gets until none comes for timeout s; with
    until (a test on the list so far), first until it holds (at most bound
    s: a loaded notifier may answer later than timeout), then the same."""
    out = []
    end = time.monotonic() + bound
    while True:
        waiting = until is not None and not until(out) and time.monotonic() < end
        try:
            m = gwmsg.recv(sock, max(0.1, end - time.monotonic()) if waiting else timeout)
        except OSError:
            return out
        if m is None:
            return out
        if m[0] == gwmsg.VERDICT:
            out.append(m[1])


def verdicts(k):
    """until= for gate_messages: at least k verdicts."""
    return lambda out: sum(m["kind"] == gwmsg.GATE_VERDICT for m in out) >= k


try:
    n = Notifier(check_api=True, extra=["--set", "track.max_missing_ms=1000",
                        "--set", "dispatcher.worker_backoff_ms=100",
                        "--set", "dispatcher.worker_backoff_max_ms=1000"]).start()
    sup = n.login("supervisor", n.add_user("supervisor", "supervisor"))
    db = sqlite3.connect(os.path.join(n.dir, "gatewatch.db"), timeout=5)
    live = WS(n.http_port)
    ingest = gwmsg.connect(n.sock)
    ingest.send(gwmsg.hello(gwmsg.ROLE_INGEST))
    now = int(time.time() * 1e6)
    old = now - 3600 * 10**6          # the first worker started an hour ago
    O1, O2, O3, HALL = old + 1, old + 2, old + 3, old + 4
    seen = now - 30 * 10**6           # last seen 30 s ago
    body = (100.0, 50.0, 120.0, 300.0, 0.9)
    face = (140.0, 70.0, 40.0, 48.0, 0.8)

    # The first worker: O1 decided PASS, O2 prompted and undecided, O3 ended;
    # a hall person with an alert.
    w1 = worker("gate1")
    ok = send(w1, "gate1", [
        dict(track=O1, kind="new", seq=1, first_seen_us=seen - 10**6, last_seen_us=seen - 10**6, looks=2),
        dict(track=O1, kind="changed", seq=2, verdict="PASS", mask="mask_on", mask_score=0.95, decision=True,
             first_seen_us=seen - 10**6, last_seen_us=seen, looks=3, skipped=7, body=body, face=face,
             frames=9, snapshot="snapshots/gate1/%d.jpg" % O1),
        dict(track=O2, kind="new", seq=1, first_seen_us=seen, last_seen_us=seen),
        dict(track=O2, kind="prompt", seq=2, first_seen_us=seen, last_seen_us=seen, prompt="face_too_small"),
        dict(track=O3, kind="new", seq=1, first_seen_us=seen, last_seen_us=seen),
        dict(track=O3, kind="ended", seq=2, first_seen_us=seen, last_seen_us=seen)])
    t.check(ok, "the first worker's events are acked")
    h1 = worker("hall")
    t.check(send(h1, "hall", [dict(track=HALL, kind="new", seq=1, first_seen_us=seen, last_seen_us=seen),
                              dict(track=HALL, kind="alert", seq=2, verdict="DENY", reason="no_mask",
                                   mask="mask_off", first_seen_us=seen, last_seen_us=seen)]),
            "a hall person with an alert is acked")

    def open_tracks(cam):
        return sorted(r[0] for r in db.execute(
            "SELECT track_id FROM tracks WHERE camera = ? AND ended_us IS NULL", (cam,)))

    time.sleep(GRACE + 1.5)
    t.eq(open_tracks("gate1"), [O1, O2], "while its worker is connected, nobody of the camera is ended")
    gate_messages(ingest, 0.2)

    # kill -9 of both workers; gate1's next worker comes back at once
    w1.close()
    h1.close()
    w2 = worker("gate1")
    got = takeover(w2, "gate1")
    t.check(got is not None and [g["track"] for g in got] == [O1, O2],
            "the next worker is handed the camera's open people, and only them", repr(got)[:300])
    if got and len(got) == 2:
        a, b = got
        t.check((a["seq"], a["decided"], a["prompted"], a["verdict"], a["mask"], a["looks"], a["skipped"],
                 a["frames"], a["first_seen_us"], a["last_seen_us"], a["snapshot"]) ==
                (2, 1, 0, 1, 1, 3, 7, 9, seen - 10**6, seen, "snapshots/gate1/%d.jpg" % O1) and
                [round(x, 1) for x in a["body"]] == list(body) and [round(x, 1) for x in a["face"]] == list(face),
                "a decided person comes with its seq, decision, counts, last boxes and snapshot", repr(a))
        t.check((b["seq"], b["decided"], b["prompted"], b["verdict"]) == (2, 0, 1, 0),
                "an undecided person comes with its prompt", repr(b))
    w2b = worker("hall")
    hall = takeover(w2b, "hall")
    t.check(hall and hall[0]["track"] == HALL and hall[0]["alert_us"] > 0,
            "a person's last alert comes with it", repr(hall)[:200])
    w2b.close()

    # no hall worker now: its person ends after the grace; gate1's stay with w2
    wait_until(lambda: not open_tracks("hall"), 60, 0.1)   # GRACE (2 s), later on a loaded machine
    left = open_tracks("hall")
    t.eq(left, [], "with no worker of the camera, its people end after the grace")
    row = db.execute("SELECT ended_us, last_seen_us FROM tracks WHERE track_id = ?", (HALL,)).fetchone()
    t.check(row and row[0] == row[1], "ended_us = last_seen_us", repr(row))
    t.eq(db.execute("SELECT seq, kind FROM track_events WHERE track_id = ? ORDER BY seq", (HALL,)).fetchall(),
         [(1, "new"), (2, "alert"), (3, "ended")], "a stored ENDED with the next seq")
    t.eq(open_tracks("gate1"), [O1, O2], "a worker that took people over keeps them")

    # the worker goes on with its own numbering: no clash with the notifier's
    t.check(send(w2, "gate1", [dict(track=O1, kind="changed", seq=3, verdict="PASS", mask="mask_on",
                                    first_seen_us=seen - 10**6, last_seen_us=seen + 1000)]),
            "the next worker's events for a person taken over are acked")

    # a camera connects: its open people again, O2's prompt with its reason
    gate_messages(ingest, 0.2)
    ingest.send(gwmsg.gate_sync("gate1"))
    msgs = gate_messages(ingest, 1.0, lambda out: any(m["kind"] == gwmsg.GATE_PROMPT for m in out))
    t.eq([(m["track"], m["reason"], m["replay"]) for m in msgs if m["kind"] == gwmsg.GATE_PROMPT],
         [(O2, gwmsg.REASONS["face_too_small"], 1)], "a replayed prompt keeps the reason it was asked with")

    # a supervisor overrides O2 (undecided) and O1 (PASS -> DENY)
    before = n.get_json("/api/stats/today")[1]["total"]
    viewer = n.login("vic", n.add_user("vic", "viewer"))
    st, _ = post("/api/tracks/gate1/%d/override" % O2, {"verdict": "PASS", "note": "no"}, viewer)
    t.eq(st, 403, "a viewer cannot override a gate decision")
    st, item = post("/api/tracks/gate1/%d/override" % O2, {"verdict": "PASS", "note": "known visitor"})
    t.check(st == 200 and item and item[0]["track"] == O2 and item[0]["verdict"] == "PASS" and
            item[0]["override"]["by"] == "supervisor" and item[0]["override"]["note"] == "known visitor",
            "an override answers the person with the override, who and the note", repr(item)[:300])
    ann = n.login("Ann", n.add_user("Ann", "supervisor"))
    st, item = post("/api/tracks/gate1/%d/override" % O1, {"verdict": "DENY", "note": "", "by": "Ann"}, ann)
    t.check(st == 200 and item[0]["verdict"] == "DENY" and item[0]["reason"] == "override",
            "a decided person can be overridden", repr(item)[:300])
    msgs = [m for m in gate_messages(ingest, 1.0, verdicts(2)) if m["kind"] == gwmsg.GATE_VERDICT]
    t.eq([(m["track"], m["verdict"], m["override"], m["by"]) for m in msgs], [(O2, 1, 1, "supervisor"), (O1, 2, 1, "Ann")],
         "each override goes to the gate as a verdict with override and who")
    ingest.send(gwmsg.gate_sync("gate1"))
    msgs = [m for m in gate_messages(ingest, 1.0, verdicts(2)) if m["kind"] == gwmsg.GATE_VERDICT]
    t.eq([(m["track"], m["verdict"], m["override"], m["by"], m["replay"]) for m in msgs],
         [(O1, 2, 1, "Ann", 1), (O2, 1, 1, "supervisor", 1)],
         "a camera that connects again is told each override with who made it")
    ev = db.execute("SELECT track_id, seq, kind, verdict, reason, decision FROM track_events WHERE kind = 'override'"
                    " ORDER BY id").fetchall()
    t.eq(ev, [(O2, gwmsg.SEQ_NOTIFIER, "override", "PASS", "override", 1),
              (O1, gwmsg.SEQ_NOTIFIER, "override", "DENY", "override", 1)],
         "overrides are stored as events numbered apart from the worker's")
    t.eq(db.execute("SELECT decision FROM track_events WHERE track_id = ? AND seq = 2", (O1,)).fetchone(), (2,),
         "the decision an override replaced no longer counts")
    t.eq(db.execute("SELECT override_by, override_us IS NOT NULL FROM tracks WHERE track_id = ?", (O1,)).fetchone(),
         ("Ann", 1), "the person keeps who overrode it and when")
    after = n.get_json("/api/stats/today")[1]["total"]
    t.eq((after["passed"] - before["passed"], after["denied"] - before["denied"], after["overrides"] - before["overrides"]),
         (0, 1, 2), "the figures count the overrides (O2 passed, O1 moved from passed to denied)")
    # the worker, unaware of the override, settles O2 later: stored as replaced, not sent to the gate
    t.check(send(w2, "gate1", [dict(track=O2, kind="changed", seq=3, verdict="DENY", reason="no_mask",
                                    mask="mask_off", decision=True, first_seen_us=seen, last_seen_us=seen + 1000)]),
            "the worker's own first settle of an overridden person is acked")
    t.eq(db.execute("SELECT decision FROM track_events WHERE track_id = ? AND seq = 3", (O2,)).fetchone(), (2,),
         "it is stored as a decision the override replaced")
    t.eq([m for m in gate_messages(ingest, 0.5) if m["kind"] == gwmsg.GATE_VERDICT], [],
         "and the gate keeps the supervisor's verdict (no second verdict)")
    t.eq(db.execute("SELECT verdict, reason FROM tracks WHERE track_id = ?", (O2,)).fetchone(), ("PASS", "override"),
         "the person keeps the override")
    t.check(send(w2, "gate1", [dict(track=O1, kind="ended", seq=4, verdict="PASS", mask="mask_on",
                                    first_seen_us=seen - 10**6, last_seen_us=seen + 1000)]),
            "the worker's ENDED of an overridden person is acked")
    t.eq(db.execute("SELECT verdict, reason, ended_us IS NOT NULL FROM tracks WHERE track_id = ?", (O1,)).fetchone(),
         ("DENY", "override", 1), "a later worker event does not undo the override")
    t.eq(post("/api/tracks/gate1/%d/override" % (old + 99), {"verdict": "PASS"})[0], 404, "unknown person: 404")
    t.eq(post("/api/tracks/gate1/%d/override" % O2, {"verdict": "MAYBE"})[0], 400, "bad verdict: 400")
    t.eq(post("/api/tracks/gate1/%d/override" % O2, {"verdict": "PASS", "x": "y"})[0], 400, "unknown member: 400")
    st, _, data = sup.request("POST", "/api/tracks/gate1/%d/override" % O2, b'{"verdict":"PASS","note":"caf\xe9 \xff"}')
    t.check(st == 400 and b"\xff" not in data and b"\xe9" not in data,
            "a body that is not UTF-8: 400, the bytes not echoed", repr((st, data)))
    # read /live until both overrides came (bounded): a pause of 0.5 s in
    # the stream no longer ends the reading early on a loaded machine
    pushed = []
    end = time.monotonic() + 60
    while len(pushed) < 2 and time.monotonic() < end:
        try:
            m = live.recv(max(0.1, end - time.monotonic()))
        except OSError:  # nothing more before the end
            break
        if m.get("type") == "track" and m.get("kind") == "override":
            pushed.append(m)
    t.check(len(pushed) >= 2, "overrides are pushed to /live", repr(pushed)[:200])

    w2.close()
    wait_until(lambda: not open_tracks("gate1"), 60, 0.1)   # GRACE after the worker left, on a loaded machine later
    t.eq(open_tracks("gate1"), [], "once the worker is gone for good, its people end")
    log = n.log_text()
    t.check("takes over 2 open people" in log and "no worker took it over" in log,
            "the notifier logs the takeover and each end it made", log[-500:])
except Exception as e:  # a crash of the test is a failure, with its reason
    t.crashed(e)
finally:
    t.finish(n)
sys.exit(t.done())

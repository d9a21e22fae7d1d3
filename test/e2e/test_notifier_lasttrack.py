#!/usr/bin/python3
"""test_notifier_lasttrack - each camera's newest person in GET
/api/cameras and /api/cameras/ID/status is held in memory by the notifier
(no database read on its loop thread per request): it must say what the
database says. Results go in through the real path (a worker's RESULT over
run/notifier.sock, an override through the API), then the API is read and
compared with the newest tracks row (sqlite3 on the file, and
/api/tracks?camera=ID&limit=1): a new person, an older person's change
(it ends), an override, a camera with nobody, a restart (loaded at start)
and retention deleting the newest person."""
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from notifier_env import Cases, Notifier  # noqa: E402

t = Cases()
n = None
DAY_US = 86400 * 10**6


def newest_row(path, camera):
    """(row id, track id, verdict, ended) of the camera's newest tracks row, or None."""
    db = sqlite3.connect(path, timeout=5)
    try:
        return db.execute("SELECT id, track_id, verdict, ended_us IS NOT NULL FROM tracks WHERE camera = ?"
                          " ORDER BY id DESC LIMIT 1", (camera,)).fetchone()
    finally:
        db.close()


def same_as_db(camera, what):
    """/api/cameras, /api/cameras/ID/status and /api/tracks agree with the database."""
    row = newest_row(os.path.join(n.dir, "gatewatch.db"), camera)
    st, cams = n.get_json("/api/cameras")
    lt = [c.get("last_track") for c in cams if c["id"] == camera]
    st2, status = n.get_json("/api/cameras/%s/status" % camera)
    st3, tracks = n.get_json("/api/tracks?camera=%s&limit=1" % camera)
    want = tracks[0] if tracks else None
    if isinstance(want, dict):
        want = {k: v for k, v in want.items() if k != "_links"}
    got_list = lt[0] if lt else "missing"
    got_status = status.get("last_track") if isinstance(status, dict) else "missing"
    for g in (got_list, got_status):
        if isinstance(g, dict):
            g.pop("_links", None)
    from_db = None if row is None else (row[0], row[1], row[2], bool(row[3]))
    from_api = None if not isinstance(got_list, dict) else (
        got_list.get("id"), got_list.get("track"), got_list.get("verdict"), got_list.get("ended_ms") is not None)
    t.check(st == st2 == st3 == 200 and from_api == from_db and got_list == want and got_status == want,
            "%s: the newest person of %s is the database's" % (what, camera),
            "db %r; /api/cameras %r; status %r; /api/tracks %r" % (from_db, got_list, got_status, want))
    return got_list


def send(worker, camera, events, noframe=False):
    f = gwmsg.frame_id()
    persons = [] if noframe else [dict(verdict="PASS", mask="mask_on", mask_score=0.9, track=events[0]["track"])]
    worker.send(gwmsg.result(camera, f, persons, events=events, noframe=noframe))
    t.eq(gwmsg.recv(worker), (gwmsg.RESULT_ACK, {"camera": camera, "frame": f}), "result acked")


try:
    # No retention run until the last part (its first run is soon after a start).
    n = Notifier(check_api=True, extra=["--set", "retention.days=0"])
    n.start()
    same_as_db("gate1", "nobody yet")
    same_as_db("hall", "nobody yet")

    worker = gwmsg.connect(n.sock)
    worker.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    now = int(time.time() * 1e6)
    old = now - 3 * DAY_US  # older than retention.days: deleted once ended
    T1, T2 = old + 1, now - 10**6
    send(worker, "gate1", [dict(track=T1, kind="new", seq=1, first_seen_us=old, last_seen_us=old),
                           dict(track=T1, kind="changed", seq=2, verdict="DENY", reason="no_mask",
                                mask="mask_off", decision=True, first_seen_us=old, last_seen_us=old,
                                temperature=36.6)])
    got = same_as_db("gate1", "a first person")
    t.check(isinstance(got, dict) and got.get("track") == T1 and got.get("temperature") == 36.6,
            "the first person is listed with its verdict and temperature", repr(got))
    send(worker, "gate1", [dict(track=T2, kind="new", seq=1, first_seen_us=now - 10**6)])
    got = same_as_db("gate1", "a second person")
    t.check(isinstance(got, dict) and got.get("track") == T2, "the newer person replaces the first", repr(got))
    # The older person ends: still the second person, unchanged.
    send(worker, "gate1", [dict(track=T1, kind="ended", seq=3, verdict="DENY", reason="no_mask",
                                mask="mask_off", first_seen_us=old, last_seen_us=old, looks=4)], noframe=True)
    same_as_db("gate1", "an older person ended")
    # The newest person settles, then a supervisor overrides it (the API's commit).
    send(worker, "gate1", [dict(track=T2, kind="changed", seq=2, verdict="DENY", reason="no_mask",
                                mask="mask_off", decision=True, first_seen_us=now - 10**6)])
    same_as_db("gate1", "the newest person settled")
    st, _, body = n.request("POST", "/api/tracks/gate1/%d/override" % T2,
                            json.dumps({"verdict": "PASS", "note": "known"}))
    t.eq(st, 200, "override accepted")
    got = same_as_db("gate1", "an override")
    t.check(isinstance(got, dict) and got.get("verdict") == "PASS" and isinstance(got.get("override"), dict),
            "the override shows in the camera's newest person", repr(got))
    same_as_db("hall", "another camera's people")
    worker.close()
    t.eq(n.stop(), 0, "SIGTERM: exit status 0")

    # Loaded once at start: the ended old person is made the newest row
    # behind the notifier's back (a row id above the others) while it is
    # stopped; memory said the second person before.
    path = os.path.join(n.dir, "gatewatch.db")
    db = sqlite3.connect(path, timeout=5)
    db.execute("UPDATE tracks SET id = (SELECT max(id) + 1 FROM tracks) WHERE track_id = ?", (T1,))
    db.commit()
    db.close()
    t.eq(newest_row(path, "gate1")[1], T1, "the ended old person is the newest row before the restart")
    n.start()
    got = same_as_db("gate1", "loaded at start")
    t.check(isinstance(got, dict) and got.get("track") == T1, "the restart lists the database's newest", repr(got))
    t.eq(n.stop(), 0, "SIGTERM: exit status 0")

    # Retention (its first run soon after the start) deletes that person.
    n.args += ["--set", "retention.days=1"]
    log_from = len(n.log_text())
    n.start()
    end = time.monotonic() + 60
    while time.monotonic() < end and "retention: deleted" not in n.log_text()[log_from:]:
        time.sleep(0.1)
    t.check("retention: deleted" in n.log_text()[log_from:], "retention ran", n.log_text()[-500:])
    got = same_as_db("gate1", "after retention deleted the newest person")
    t.check(isinstance(got, dict) and got.get("track") == T2, "the person left is listed again", repr(got))
except Exception as e:  # a crash of the test is a failure, with its reason
    t.crashed(e)
finally:
    t.finish(n, check_exit=False)
sys.exit(1 if t.failed else 0)

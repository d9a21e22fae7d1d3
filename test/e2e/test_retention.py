#!/usr/bin/python3
"""test_retention - the notifier deletes people, their events, acknowledged
alerts, per-frame results and audit entries older than retention.days (in
batches, soon after start), and keeps newer rows, people still present and
open alerts.

Env: GW_ROOT, BIN."""
import os
import shutil
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Report, wait_until  # noqa: E402
from notifier_env import Notifier  # noqa: E402

rep = Report()
DAY_US = 86400 * 10**6
KEEP_DAYS = 30
N_OLD_EVENTS = 1234  # more than one batch (500)


def fill(db, table, values):
    """INSERT a row into table: values given, every other NOT NULL column
    without a default a plain value of its type."""
    cols = db.execute("PRAGMA table_info(%s)" % table).fetchall()
    row = dict(values)
    for _, name, typ, notnull, dflt, pk in cols:
        if name in row or pk or not notnull or dflt is not None:
            continue
        row[name] = 0 if "INT" in typ.upper() or "REAL" in typ.upper() else ""
    names = list(row)
    db.execute("INSERT INTO %s (%s) VALUES (%s)" % (table, ",".join(names), ",".join("?" * len(names))),
               [row[n] for n in names])


def seed(path, now_us):
    old, new = now_us - (KEEP_DAYS + 10) * DAY_US, now_us - (KEEP_DAYS - 25) * DAY_US
    db = sqlite3.connect(path)
    track = {"camera": "gate1", "verdict": "PASS", "reason": "", "mask": "mask_on", "snapshot": "", "looks": 1,
             "skipped": 0}
    fill(db, "tracks", dict(track, track_id=1, first_seen_us=old, last_seen_us=old, ended_us=old))
    fill(db, "tracks", dict(track, track_id=2, first_seen_us=old, last_seen_us=old, ended_us=None))
    fill(db, "tracks", dict(track, track_id=3, first_seen_us=new, last_seen_us=new, ended_us=new))
    ev = {"camera": "gate1", "kind": "new", "verdict": "PASS", "reason": "", "decision": 0, "frame_id": "",
          "json": "{}"}
    for i in range(N_OLD_EVENTS):
        fill(db, "track_events", dict(ev, track_id=1, seq=i, at_us=old + i))
    fill(db, "track_events", dict(ev, track_id=3, seq=0, at_us=new))
    al = {"camera": "hall", "track_id": 9, "reason": "no_mask", "json": "{}"}
    fill(db, "alerts", dict(al, raised_us=old, acked_us=old + 1, acked_by="x"))
    fill(db, "alerts", dict(al, raised_us=old, acked_us=None))
    fill(db, "alerts", dict(al, raised_us=new, acked_us=new + 1, acked_by="x"))
    res = {"camera": "gate1", "npersons": 1, "npassed": 1, "ndenied": 0, "verdict": "PASS", "width": 1,
           "height": 1}
    for rid, t in ((101, old), (102, new)):
        fill(db, "results", dict(res, id=rid, frame_id="f%d" % rid, received_us=t, analysed_us=t, committed_us=t))
        fill(db, "persons", {"result_id": rid, "idx": 0, "mask": "mask_on", "verdict": "PASS", "reason": "",
                             "track_id": 1})
    for i in range(3):
        fill(db, "audit", {"at_us": old + i, "who": "admin", "action": "login", "target": "admin"})
    fill(db, "audit", {"at_us": new, "who": "admin", "action": "user_add", "target": "ann"})
    db.commit()
    db.close()


def counts(path):
    db = sqlite3.connect(path)
    try:
        return {
            "tracks": sorted(r[0] for r in db.execute("SELECT track_id FROM tracks")),
            "events": db.execute("SELECT count(*) FROM track_events").fetchone()[0],
            "alerts": sorted((r[0] is None, r[1]) for r in db.execute("SELECT acked_us, raised_us FROM alerts")),
            "results": sorted(r[0] for r in db.execute("SELECT id FROM results")),
            "persons": sorted(r[0] for r in db.execute("SELECT result_id FROM persons")),
            "audit": sorted(r[0] for r in db.execute("SELECT action FROM audit WHERE at_us < ?",
                                                      (int(time.time() * 1e6) - DAY_US,))),
        }
    finally:
        db.close()


def main():
    n = Notifier(extra=["--set", "retention.days=%d" % KEEP_DAYS])
    try:
        n.start()  # creates the schema
        rep.check(n.stop() == 0, "notifier made its database and stopped")
        path = os.path.join(n.dir, "gatewatch.db")
        now_us = int(time.time() * 1e6)
        seed(path, now_us)
        before = counts(path)
        rep.check(before["events"] == N_OLD_EVENTS + 1 and len(before["tracks"]) == 3, "seeded old and new rows",
                  str(before))
        n.start()
        end = time.monotonic() + 60
        while time.monotonic() < end and "retention: deleted" not in n.log_text():
            time.sleep(0.2)
        after = counts(path)
        rep.check(after["tracks"] == [2, 3], "people who left before retention.days are deleted; one still "
                  "present (not ended) and a recent one are kept", str(after["tracks"]))
        rep.check(after["events"] == 1, "%d old track events deleted in batches, the recent one kept" % N_OLD_EVENTS,
                  "%d left" % after["events"])
        old = now_us - (KEEP_DAYS + 10) * DAY_US
        rep.check(len(after["alerts"]) == 2 and (True, old) in after["alerts"] and (False, old) not in after["alerts"],
                  "an old acknowledged alert is deleted; an old open one and a recent one are kept",
                  str(after["alerts"]))
        rep.check(after["results"] == [102] and after["persons"] == [102], "old per-frame results and their "
                  "persons are deleted, recent ones kept", str(after))
        rep.check(before["audit"] == ["login"] * 3 + ["user_add"] and after["audit"] == ["user_add"],
                  "old audit entries are deleted, a recent one kept", str(after["audit"]))
        log = n.log_text()
        rep.check("retention: deleted what is older than %d days" % KEEP_DAYS in log and
                  "%d track events" % N_OLD_EVENTS in log, "the notifier logs what retention deleted",
                  log[-600:])
        rep.check(n.get("/api/health")[0] == 200, "the notifier serves on after retention")
        rep.check(n.stop() == 0, "and stops cleanly")
        # retention.days = 0 keeps everything.
        n2 = Notifier(tmp=os.path.join(n.tmp, "keep"), extra=["--set", "retention.days=0"])
        os.makedirs(n2.tmp)
        n2.start()
        n2.stop()
        path = os.path.join(n2.dir, "gatewatch.db")
        seed(path, now_us)
        n2.start()
        # the notifier logs that it keeps everything when it decides not to
        # start retention's runs (the first would be 2 s after the start)
        said = wait_until(lambda: "retention.days = 0, the database keeps everything" in n2.log_text(), 60, 0.1)
        kept = counts(path)
        rep.check(said and kept["events"] == N_OLD_EVENTS + 1 and len(kept["audit"]) == 4,
                  "retention.days = 0 deletes nothing (logged)", "logged %s, %d events" % (said, kept["events"]))
        n2.stop()
    finally:
        if n.proc is not None:
            n.stop()
        if rep.failed:
            print("# kept %s" % n.tmp)
        else:
            shutil.rmtree(n.tmp, ignore_errors=True)


main()
sys.exit(rep.done())

#!/usr/bin/python3
"""test_spool_alert - the notifier raises one spool_low alert when the
state folder's disk has less than twice spool.min_free_mb free (ingest
refuses frames below the floor itself), and closes it once there is room
again (here: a restart with a lower floor).

Env: GW_ROOT, BIN."""
import json
import os
import re
import shutil
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Report, wait_until  # noqa: E402
from notifier_env import Notifier  # noqa: E402

rep = Report()


def spool_alerts(path):
    if not os.path.exists(path):
        return []
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT id, camera, acked_us, acked_by, json FROM alerts WHERE reason = 'spool_low'").fetchall()
    finally:
        db.close()


def held_spool(n):
    """/metrics' gatewatch_alerts_held_total for spool_low (checks that found
    the disk low with the alert open), or None."""
    st, _, body = n.get("/metrics")
    m = re.search(rb'^gatewatch_alerts_held_total\{reason="spool_low",why="open"\} (\d+)$', body, re.M)
    return int(m.group(1)) if st == 200 and m else None


n = Notifier(cameras=())
os.makedirs(n.dir, exist_ok=True)
st = os.statvfs(n.dir)
free_mb = st.f_bavail * st.f_frsize // 1048576
floor = free_mb * 2 // 3  # free is under twice the floor
n.args += ["--set", "spool.min_free_mb=%d" % floor]
path = os.path.join(n.dir, "gatewatch.db")
try:
    n.start()
    got = wait_until(lambda: spool_alerts(path), 60, 0.3)
    rep.check(len(got) == 1 and got[0][2] is None, "free %d MiB < 2 x floor %d MiB: one open spool_low alert"
              % (free_mb, floor), str(got))
    if got:
        d = json.loads(got[0][4])
        rep.check(d.get("kind") == "operational" and d.get("floor_mb") == floor and d.get("free_mb", 0) > 0,
                  "it says the free space and the floor", got[0][4])
    # A restart takes the open alert over: its first check (the first tick)
    # finds the disk low and holds the alert back, counted in /metrics;
    # waited for, not slept on.
    rep.check(n.stop() == 0, "stopped")
    n.start()
    held = wait_until(lambda: (held_spool(n) or 0) >= 1, 60, 0.2)
    rep.check(held and len(spool_alerts(path)) == 1,
              "after a restart the first check holds the open alert (taken over, not raised again)",
              "held %r, alerts %s" % (held_spool(n), spool_alerts(path)))
    rep.check(n.stop() == 0, "stopped")
    n.args[-1] = "spool.min_free_mb=1"
    n.start()
    closed = wait_until(lambda: [a for a in spool_alerts(path) if a[2] is not None], 60, 0.3)
    rep.check(len(closed) == 1 and "disk space back" in (closed[0][3] or ""),
              "room again (after a restart): the open alert is closed", str(spool_alerts(path)))
    rep.check(n.stop() == 0, "stopped again")
finally:
    if n.proc is not None:
        n.stop()
    if not rep.failed:
        shutil.rmtree(n.tmp, ignore_errors=True)
sys.exit(rep.done())

#!/usr/bin/python3
"""test_worker_alert - the whole system: cam1's worker crashes on every
frame (the worker's test hook GATEWATCH_TEST_CRASH_CAMERA, SIGSEGV), so its
frames go to failed/ after dispatcher.max_crashes; once worker.failing_count
failures happen within worker.failing_window_ms one worker_failing alert is
stored, and only one for the episode, and GET /api/alerts lists it; cam2,
whose frames are analysed, gets none.

Env: GW_ROOT, BIN, MODELS."""
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Gatewatch, Report, wait_until  # noqa: E402

rep = Report()


def alerts(db_path):
    """The worker_failing rows: (id, camera, reason, acked_us, json)."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return db.execute("SELECT id, camera, reason, acked_us, json FROM alerts WHERE reason = ? ORDER BY id",
                          ("worker_failing",)).fetchall()


os.environ["GATEWATCH_TEST_CRASH_CAMERA"] = "cam1"  # inherited by gatewatch up, the dispatcher, the workers
frames = ["/usr/share/darknet/data/person.jpg"] * 2  # a person: ingest passes them on
with Gatewatch("workeralert", cameras=("cam1", "cam2"),
               sets={"worker.failing_count": 3, "worker.failing_window_ms": 60000,
                     "dispatcher.max_crashes": 2, "dispatcher.worker_backoff_ms": 100,
                     "dispatcher.worker_backoff_max_ms": 400}) as gw:
    gw.start()
    db = os.path.join(gw.dir, "gatewatch.db")
    gw.push("cam2", frames)
    gw.push("cam1", frames)
    failed_dir = os.path.join(gw.dir, "spool", "failed", "cam1")
    rep.check(wait_until(lambda: os.path.isdir(failed_dir) and
                         len([f for f in os.listdir(failed_dir) if f.endswith(".jpg")]) == len(frames), 90),
              "every cam1 frame crashes its worker twice and goes to failed/")
    raised = wait_until(lambda: alerts(db), 20)
    rep.check(len(raised) == 1 and raised[0][1] == "cam1" and raised[0][3] is None,
              "cam1: one open worker_failing alert", str(raised))
    if raised:
        d = json.loads(raised[0][4])
        rep.check(d.get("kind") == "operational" and d.get("failures", 0) >= 3 and d.get("window_ms") == 60000,
                  "the alert says how many failures within which window", raised[0][4])
    time.sleep(3)  # more failures came in (4 crashes, 2 failed frames): still one alert
    rep.check(len(alerts(db)) == 1, "raised once for the episode", str(alerts(db)))
    rep.check(all(a[1] != "cam2" for a in alerts(db)), "cam2 runs clean: no alert for it")
    rep.check("camera cam1: worker failed" in gw.log("notifier"), "the notifier logs it", gw.log("notifier")[-500:])
    r = subprocess.run([gw.bin(), "token", "add", "ops", "--role", "viewer", "-c",
                        os.path.join(gw.dir, "gatewatch.conf")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    token = (r.stdout.strip().split() or [""])[-1]
    try:
        req = urllib.request.Request("http://127.0.0.1:%d/api/alerts" % gw.http_port,
                                     headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=10) as resp:
            lst = json.loads(resp.read())
        got = [a for a in lst if a.get("reason") == "worker_failing"]
        rep.check(len(got) == 1 and got[0].get("camera") == "cam1" and
                  (not raised or got[0].get("id") == raised[0][0]), "GET /api/alerts lists it", str(lst))
    except Exception as e:  # noqa: BLE001
        rep.fail("GET /api/alerts lists it", "%s (token add: %s %s)" % (e, r.stdout, r.stderr))
    gw.failed = bool(rep.failed)  # keep the logs of a failed run
sys.exit(rep.done())

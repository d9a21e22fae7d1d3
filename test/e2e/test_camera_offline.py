#!/usr/bin/python3
"""test_camera_offline - the whole system: a camera streams, then stops;
after camera.offline_after_ms one camera_offline alert is raised (stored
as an open alert for the dashboard, POSTed to the webhook) and only one;
when the camera streams again the alert is closed and the webhook gets
alert_cleared. A camera that never streamed raises nothing.

Env: GW_ROOT, BIN, MODELS."""
import http.server
import json
import os
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Gatewatch, Report, free_port, images_darknet, wait_until  # noqa: E402

rep = Report()
OFFLINE_MS = 3000
got = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            got.append(json.loads(body))
        except ValueError:
            got.append({"unparsable": body.decode(errors="replace")})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def alerts(db_path):
    db = sqlite3.connect(db_path)
    try:
        return db.execute("SELECT id, camera, reason, acked_us, acked_by, json FROM alerts"
                          " WHERE reason = 'camera_offline' ORDER BY id").fetchall()
    finally:
        db.close()


port = free_port()
srv = http.server.HTTPServer(("127.0.0.1", port), Receiver)
threading.Thread(target=srv.serve_forever, daemon=True).start()
frames = images_darknet()[:3]
with Gatewatch("offline", cameras=("cam1", "cam2"),
               sets={"camera.offline_after_ms": OFFLINE_MS, "webhook.url": "http://127.0.0.1:%d/hook" % port,
                     "webhook.backoff_min_ms": 200}) as gw:
    gw.start()
    db = os.path.join(gw.dir, "gatewatch.db")
    gw.push("cam1", frames)
    rep.check(alerts(db) == [], "no alert while the camera streams")
    raised = wait_until(lambda: alerts(db), 30)
    rep.check(len(raised) == 1 and raised[0][1] == "cam1" and raised[0][3] is None,
              "a camera silent for %d ms raises one open camera_offline alert" % OFFLINE_MS,
              str(raised))
    if raised:
        d = json.loads(raised[0][5])
        rep.check(d.get("kind") == "operational" and d.get("last_frame_ms"), "the alert says when the last frame came",
                  raised[0][5])
        raised_ms = sqlite3.connect(db).execute("SELECT raised_us FROM alerts WHERE id = ?",
                                                (raised[0][0],)).fetchone()[0] // 1000
        rep.check(raised_ms - d.get("last_frame_ms", 0) >= OFFLINE_MS,
                  "raised no sooner than camera.offline_after_ms after the last frame",
                  "%d ms" % (raised_ms - d.get("last_frame_ms", 0)))
    hook = wait_until(lambda: [m for m in got if m.get("type") == "alert"], 60)
    rep.check(len(hook) == 1 and hook[0].get("reason") == "camera_offline" and hook[0].get("camera") == "cam1"
              and hook[0].get("alert_id") == (raised[0][0] if raised else None),
              "the webhook gets the alert", str(got))
    time.sleep(OFFLINE_MS / 1000 * 2)
    rep.check(len(alerts(db)) == 1 and len([m for m in got if m.get("type") == "alert"]) == 1,
              "raised once: the silence goes on, no second alert", str(alerts(db)))
    rep.check(all(a[1] != "cam2" for a in alerts(db)), "cam2 never streamed: no alert for it")
    # The camera comes back.
    gw.push("cam1", frames[:1])
    closed = wait_until(lambda: [a for a in alerts(db) if a[3] is not None], 60)
    rep.check(len(closed) == 1 and "camera back" in (closed[0][4] or ""),
              "frames again: the alert is closed", str(alerts(db)))
    cleared = wait_until(lambda: [m for m in got if m.get("type") == "alert_cleared"], 60)
    rep.check(len(cleared) == 1 and cleared[0].get("alert_id") == (raised[0][0] if raised else None),
              "the webhook gets alert_cleared", str(got))
    log = gw.log("notifier")
    rep.check("camera cam1: no frame for" in log and "alert" in log and "frames again" in log,
              "the notifier logs both", log[-500:])
    # Silent again: a new alert for the new silence.
    again = wait_until(lambda: len(alerts(db)) == 2, 60)
    rep.check(again, "silent again: a second alert for the second silence", str(alerts(db)))
srv.shutdown()
sys.exit(rep.done())

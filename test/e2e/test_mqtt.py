#!/usr/bin/python3
"""test_mqtt - the whole system against a real mosquitto broker started on
a loopback port: the retained availability topic ("online", and "offline"
from the last will when the notifier dies, from the notifier on a clean
stop), Home Assistant discovery configs for each camera, person events,
gate decisions and retained per-camera state; the broker killed and
restarted: the pipeline goes on meanwhile (every frame answered and
committed) and the notifier reconnects and publishes its retained topics
again.

Env: GW_ROOT, BIN, MODELS."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import PER_PHOTO_TRACKING, Gatewatch, Report, free_port, images_darknet, images_masks, wait_until  # noqa: E402
from mqttbroker import MOSQUITTO, SUB, Broker  # noqa: E402

rep = Report()
class Subscriber:
    """mosquitto_sub in the background: every message as (retained, topic, payload)."""

    def __init__(self, port, topics):
        args = [SUB, "-h", "127.0.0.1", "-p", str(port), "-F", "%r %t %p", "-q", "1"]
        for t in topics:
            args += ["-t", t]
        self.msgs = []
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     start_new_session=True, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            r, t, p = (line.rstrip("\n").split(" ", 2) + ["", ""])[:3]
            self.msgs.append((r == "1", t, p))

    def topic(self, t):
        return [p for _, tt, p in self.msgs if tt == t]

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(5)


def retained(port, topic, timeout=3):
    """The retained messages under topic right now: {topic: payload}."""
    r = subprocess.run([SUB, "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-F", "%r %t %p", "-W",
                        str(timeout)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                       timeout=timeout + 10)
    out = {}
    for line in r.stdout.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] == "1":
            out[parts[1]] = parts[2]
    return out


def notifier_pid(gw):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % pid, "rb").read().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"gatewatch-notifier") and any(gw.dir.encode() in c for c in cmd):
            return int(pid)
    return None


def main():
    if not rep.check(os.path.exists(MOSQUITTO) and SUB, "mosquitto and mosquitto_sub are installed"):
        return
    tmp = tempfile.mkdtemp(prefix="gw-e2e-mqtt-")
    port = free_port()
    broker = Broker(tmp, port, "allow_anonymous true\npersistence false\n")
    broker.start()
    subs = []
    sets = dict(PER_PHOTO_TRACKING)
    sets.update({"mqtt.url": "mqtt://127.0.0.1:%d" % port, "camera.cam2.mode": "indoor"})
    try:
        with Gatewatch("mqtt", cameras=("cam1", "cam2"), sets=sets) as gw:
            live = Subscriber(port, ["gatewatch/#"])
            subs.append(live)
            gw.start()
            st = wait_until(lambda: retained(port, "gatewatch/status").get("gatewatch/status"), 60, 0.5)
            rep.check(st == "online", "retained availability gatewatch/status = online", st)
            disc = wait_until(lambda: (lambda d: d if len(d) >= 12 else None)(retained(port, "homeassistant/#")), 60, 0.5) or {}
            cam1 = {t: json.loads(p) for t, p in disc.items() if "gatewatch_cam1_" in t}
            sensors = sorted(t.split("/")[2] for t in cam1 if t.startswith("homeassistant/sensor/"))
            rep.check(sensors == sorted("gatewatch_cam1_" + k for k in
                                        ("people_now", "people_today", "passed", "denied", "alerts_open")),
                      "discovery: cam1's sensors (people now/today, passed, denied, open alerts)", str(sorted(disc)))
            b = cam1.get("homeassistant/binary_sensor/gatewatch_cam1_online/config", {})
            rep.check(b.get("device_class") == "connectivity" and b.get("state_topic") == "gatewatch/camera/cam1/online",
                      "discovery: binary sensor 'camera online'", str(b))
            ok = all(c.get("availability_topic") == "gatewatch/status" and
                     c.get("device", {}).get("identifiers") == ["gatewatch_cam1"] and c.get("unique_id") and
                     (c.get("state_topic") in ("gatewatch/camera/cam1/state", "gatewatch/camera/cam1/online"))
                     for c in cam1.values())
            rep.check(ok and len(cam1) == 6, "discovery configs name the state topic, availability and one device")

            people = [f for f in images_darknet() if os.path.basename(f) in ("person.jpg", "horses.jpg")]
            files = people + images_masks(6) + images_darknet()[:2]
            answers = gw.push("cam1", files)
            rep.check(len(answers) == len(files), "frames answered")
            ev = wait_until(lambda: live.topic("gatewatch/camera/cam1/event"), 60, 0.3)
            evs = [json.loads(p) for p in ev or []]
            rep.check(evs and all(e.get("camera") == "cam1" and isinstance(e.get("track"), str) and e.get("event")
                                  for e in evs) and any(e["event"] == "new" for e in evs),
                      "person events published on gatewatch/camera/cam1/event", str(evs[:2]))
            dec = wait_until(lambda: live.topic("gatewatch/camera/cam1/decision"), 60, 0.3)
            decs = [json.loads(p) for p in dec or []]
            rep.check(decs and all(d.get("verdict") in ("PASS", "DENY") for d in decs),
                      "gate decisions published on gatewatch/camera/cam1/decision", str(decs[:2]))

            def state():
                s = retained(port, "gatewatch/camera/cam1/state").get("gatewatch/camera/cam1/state")
                s = json.loads(s) if s else {}
                # the state is published again on each change: people
                # are counted before their decision, so wait for both
                return s if s.get("people_today", 0) >= 1 and s.get("online") and \
                    s.get("passed", 0) + s.get("denied", 0) >= 1 else None
            s = wait_until(state, 60, 0.5)
            rep.check(s and s["passed"] + s["denied"] >= 1 and "people_now" in s and "alerts_open" in s,
                      "retained state of cam1 counts today's people and decisions, online", str(s))
            rep.check(retained(port, "gatewatch/camera/cam1/online").get("gatewatch/camera/cam1/online") == "ON",
                      "retained gatewatch/camera/cam1/online = ON")

            # The broker dies: the pipeline does not wait for it.
            broker.kill()
            db = os.path.join(gw.dir, "gatewatch.db")
            n0 = sqlite3.connect(db).execute("SELECT count(*) FROM track_events").fetchone()[0]
            answers = gw.push("cam1", files)
            rep.check(len(answers) == len(files) and all(a.get("status") for a in answers),
                      "broker down: every frame still answered")
            grew = wait_until(lambda: sqlite3.connect(db).execute("SELECT count(*) FROM track_events")
                              .fetchone()[0] > n0, 60, 0.3)
            rep.check(grew, "broker down: results still committed")
            broker.start()  # empty: no persistence, no retained messages
            st = wait_until(lambda: retained(port, "gatewatch/status").get("gatewatch/status"), 60, 1)
            rep.check(st == "online", "broker back: the notifier reconnects and says online again", st)
            disc2 = wait_until(lambda: (lambda d: d if len(d) >= 12 else None)(retained(port, "homeassistant/#")), 60, 0.5)
            rep.check(disc2 and set(disc2) == set(disc), "broker back: discovery configs published again",
                      str(sorted(disc2 or {})))
            rep.check("mqtt: lost" in gw.log("notifier") and gw.log("notifier").count("mqtt: connected") >= 2,
                      "the notifier logs the loss and the reconnect")

            # The notifier dies: the broker publishes its last will.
            live2 = Subscriber(port, ["gatewatch/status"])
            subs.append(live2)
            wait_until(lambda: live2.topic("gatewatch/status"), 60, 0.2)
            pid = notifier_pid(gw)
            if rep.check(pid, "found the notifier"):
                os.kill(pid, signal.SIGKILL)
                seq = wait_until(lambda: (lambda s: s if "offline" in s and s[-1] == "online" else None)(
                    live2.topic("gatewatch/status")), 60, 0.3)
                rep.check(seq, "killed: the last will says offline; restarted by up: online again",
                          str(live2.topic("gatewatch/status")))
            gw.stop()
            st = wait_until(lambda: (lambda v: v if v == "offline" else None)(
                retained(port, "gatewatch/status").get("gatewatch/status")), 30, 0.5) or \
                retained(port, "gatewatch/status").get("gatewatch/status")
            rep.check(st == "offline", "a clean stop leaves gatewatch/status = offline", st)
    finally:
        for s in subs:
            s.stop()
        broker.kill()
        shutil.rmtree(tmp, ignore_errors=True)


main()
sys.exit(rep.done())

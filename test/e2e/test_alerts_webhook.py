#!/usr/bin/python3
"""test_alerts_webhook - indoor alerts end to end in the notifier: an ALERT
track event is stored, pushed to /live, listed by GET /api/alerts and
acknowledged by POST /api/alerts/<id>/ack (idempotent, 404/400 on bad
input, pushed as alert_ack); each alert is POSTed to a REAL local HTTP
receiver (python http.server in a subprocess on 127.0.0.1), signed with
HMAC-SHA256; with the receiver down for a while, and across a notifier
restart, deliveries are retried and none is lost; a replayed result raises
no second alert; a bad webhook.url stops the notifier with status 2."""
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from lib import free_port, wait_until  # noqa: E402
from notifier_env import NOTIFIER, WS, Cases, Notifier  # noqa: E402

SECRET = b"s3cret-for-tests"
RECEIVER = r'''
import http.server, json, sys
out = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        with open(out, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers),
                                "body": body.decode()}) + "\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'''

t = Cases()
n = None
recv_proc = None
tmp = tempfile.mkdtemp(prefix="gw-webhook-")
got_file = os.path.join(tmp, "received.jsonl")
script = os.path.join(tmp, "receiver.py")
with open(script, "w") as f:
    f.write(RECEIVER)
port = free_port()


def receiver_start():
    global recv_proc
    recv_proc = subprocess.Popen([sys.executable, script, str(port), got_file], start_new_session=True)
    if not wait_until(receiver_listens, 60, 0.05):
        raise RuntimeError("receiver did not start")


def receiver_listens():
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def receiver_stop():
    global recv_proc
    if recv_proc is not None:
        os.killpg(recv_proc.pid, signal.SIGKILL)
        recv_proc.wait(5)
        recv_proc = None


def received():
    if not os.path.exists(got_file):
        return []
    with open(got_file) as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_received(count, timeout=20.0):
    """received() once it holds count deliveries (count >= 1), or at the timeout."""
    def enough():
        r = received()
        return r if len(r) >= count else None
    return wait_until(enough, timeout, 0.1) or received()


alice = None  # a supervisor's session: acknowledging needs that role


def post(path, body, ctype="application/json"):
    st, _, data = alice.request("POST", path, body, {"Content-Type": ctype})
    try:
        return st, json.loads(data or b"{}")
    except ValueError:
        return st, {"raw": data.decode(errors="replace")}


seq_of = {}


def alert_result(w, track):
    """A hall result whose events confirm track, settle it DENY and raise its alert."""
    fid = gwmsg.frame_id()
    seq_of[track] = 3
    return fid, gwmsg.result("hall", fid, [dict(verdict="DENY", reason="no_mask", mask="mask_off", track=track)],
                             events=[dict(track=track, kind="new", seq=1),
                                     dict(track=track, kind="changed", seq=2, verdict="DENY", reason="no_mask",
                                          mask="mask_off", decision=True),
                                     dict(track=track, kind="alert", seq=3, verdict="DENY", reason="no_mask",
                                          mask="mask_off", snapshot="snapshots/hall/%d.jpg" % track)])


def signed_ok(req):
    h = {k.lower(): v for k, v in req["headers"].items()}
    want = "sha256=" + hmac.new(SECRET, req["body"].encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(h.get("x-gatewatch-signature", ""), want)


try:
    # A bad webhook URL is a configuration error: exit 2 with a clear message.
    bad = subprocess.run([NOTIFIER, "--dir", os.path.join(tmp, "bad"), "--set", "webhook.url=ftp://x/y",
                          "--set", "http.port=%d" % free_port()], capture_output=True, timeout=20)
    t.check(bad.returncode == 2 and b"webhook" in bad.stderr, "a bad webhook.url: exit 2 naming webhook",
            "rc=%d %r" % (bad.returncode, bad.stderr[-300:]))

    receiver_start()
    hook = ["--set", "webhook.url=http://127.0.0.1:%d/hook" % port, "--set", "webhook.secret=" + SECRET.decode(),
            "--set", "webhook.backoff_min_ms=200", "--set", "webhook.backoff_max_ms=1000",
            "--set", "webhook.timeout_ms=2000"]
    n = Notifier(extra=hook, check_api=True).start()
    alice = n.login("alice", n.add_user("alice", "supervisor"))
    live = WS(n.http_port)
    live.recv_type("hello")
    w = gwmsg.connect(n.sock)
    w.send(gwmsg.hello(gwmsg.ROLE_WORKER, "hall"))
    base = int(time.time() * 1e6)
    T1, T2, T3, T4 = base + 1, base + 2, base + 3, base + 4

    fid, r1 = alert_result(w, T1)
    w.send(r1)
    t.eq(gwmsg.recv(w), (gwmsg.RESULT_ACK, {"camera": "hall", "frame": fid}), "alert result acked")
    a = live.recv_type("alert")["alert"]
    t.check(a["track"] == T1 and a["reason"] == "no_mask" and a["acked_ms"] is None and a["camera"] == "hall",
            "/live pushes the new alert", repr(a))
    got = wait_received(1)
    t.eq(len(got), 1, "the receiver got the alert")
    if got:
        body = json.loads(got[0]["body"])
        h = {k.lower(): v for k, v in got[0]["headers"].items()}
        t.check(body.get("type") == "alert" and body.get("alert_id") == a["id"] and body.get("camera") == "hall"
                and body.get("camera_name") == "Hall" and body.get("track") == T1 and body.get("reason") == "no_mask"
                and body.get("verdict") == "DENY" and body.get("raised", "").endswith("Z")
                and body.get("snapshot") == "/snapshots/hall/%d.jpg" % T1,
                "webhook body: alert id, camera and its name, track, reason, verdict, time, snapshot URL",
                repr(body))
        t.check(got[0]["path"] == "/hook" and h.get("content-type", "").startswith("application/json") and
                h.get("x-gatewatch-delivery", "").count("-") == 1 and h.get("x-gatewatch-attempt") == "1",
                "POST /hook, JSON, with a delivery id and attempt 1", repr(h))
        t.check(signed_ok(got[0]), "the HMAC-SHA256 signature of the body checks out with the shared secret",
                h.get("x-gatewatch-signature"))

    # The HTTP side of alerts.
    st, lst = n.get_json("/api/alerts")
    t.check(st == 200 and [x["id"] for x in lst] == [a["id"]], "GET /api/alerts lists the open alert", repr(lst))
    st, ack = post("/api/alerts/%d/ack" % a["id"], b'{"by":"alice"}')
    t.check(st == 200 and ack.get("acked_by") == "alice" and ack.get("acked_ms"), "POST ack: 200, acked by alice",
            repr((st, ack)))
    m = live.recv_type("alert_ack")
    t.check(m["alert"]["id"] == a["id"] and m["alert"]["acked_by"] == "alice", "/live pushes the ack", repr(m))
    st, lst = n.get_json("/api/alerts")
    t.eq((st, lst), (200, []), "no open alert after the ack")
    st, lst = n.get_json("/api/alerts?state=all")
    t.check(st == 200 and len(lst) == 1 and lst[0]["acked_by"] == "alice", "state=all still lists it, acked",
            repr(lst))
    st, again = post("/api/alerts/%d/ack" % a["id"], b'{"by":"bob"}')
    t.check(st == 200 and again.get("acked_by") == "alice" and again.get("acked_ms") == ack.get("acked_ms"),
            "a second ack is harmless: the first one stands", repr(again))
    st, _ = post("/api/alerts/%d/ack" % a["id"], b"")
    t.eq(st, 200, "an ack without a body is fine")
    for what, path, body, want in (("an unknown alert id", "/api/alerts/99999/ack", b"{}", 404),
                                   ("a non-numeric id", "/api/alerts/abc/ack", b"{}", 404),
                                   ("a body that is not JSON", "/api/alerts/%d/ack" % a["id"], b"by=alice", 400),
                                   ("a 'by' that is not a string", "/api/alerts/%d/ack" % a["id"], b'{"by":5}', 400),
                                   ("a body over 1 KiB", "/api/alerts/%d/ack" % a["id"], b"{" + b" " * 3000 + b"}",
                                    413)):
        st, r = post(path, body)
        # (413 is answered before the body is read, a problem+json all the same)
        t.check(st == want and isinstance(r.get("error"), str), "%s: %d with a JSON error" % (what, want),
                repr((st, r)))
    st, r = n.get_json("/api/alerts?state=maybe")
    t.eq(st, 400, "state=maybe: 400")

    # The replayed result raises nothing new.
    w.send(r1)
    gwmsg.recv(w)
    st, lst = n.get_json("/api/alerts?state=all")
    t.eq(len(lst), 1, "a replayed alert result stores no second alert")

    # Receiver down: two alerts wait in the outbox and are retried; then up: both arrive.
    receiver_stop()
    for tr in (T2, T3):
        fid, r = alert_result(w, tr)
        w.send(r)
        gwmsg.recv(w)
    db = sqlite3.connect(os.path.join(n.dir, "gatewatch.db"), timeout=5)
    end = time.time() + 60
    attempts = 0
    while time.time() < end:
        attempts = db.execute("SELECT coalesce(sum(attempts), 0) FROM webhook_outbox WHERE delivered_us IS NULL"
                              ).fetchone()[0]
        if attempts >= 3:
            break
        time.sleep(0.2)
    pending = db.execute("SELECT count(*) FROM webhook_outbox WHERE delivered_us IS NULL").fetchone()[0]
    t.check(pending == 2 and attempts >= 3, "receiver down: both deliveries pending, retried",
            "pending=%d attempts=%d" % (pending, attempts))
    t.check("webhook" in n.log_text(), "failed attempts are logged")
    receiver_start()
    got = wait_received(3)
    tracks = sorted(json.loads(x["body"])["track"] for x in got[1:])
    t.eq(tracks, [T2, T3], "receiver up again: both waiting alerts arrive")
    t.check(all(signed_ok(x) for x in got), "every delivery is signed")
    t.check(any(int({k.lower(): v for k, v in x["headers"].items()}.get("x-gatewatch-attempt", "1")) > 1
                for x in got[1:]), "the late deliveries say they were retried (attempt > 1)")
    wait_until(lambda: not db.execute("SELECT count(*) FROM webhook_outbox WHERE delivered_us IS NULL"
                                      ).fetchone()[0], 60, 0.1)
    t.eq(db.execute("SELECT count(*) FROM webhook_outbox WHERE delivered_us IS NULL").fetchone()[0], 0,
         "nothing left pending")

    # Receiver down and the notifier restarted in between: still delivered.
    receiver_stop()
    fid, r = alert_result(w, T4)
    w.send(r)
    gwmsg.recv(w)
    w.close()
    live.close()
    db.close()
    t.eq(n.stop(), 0, "notifier stops cleanly with a delivery pending")
    receiver_start()
    n.start()
    got = wait_received(4)
    t.check(len(got) == 4 and json.loads(got[3]["body"])["track"] == T4,
            "the alert pending at shutdown is delivered after the restart", repr([x["body"] for x in got])[:300])
    ids = [{k.lower(): v for k, v in x["headers"].items()}["x-gatewatch-delivery"] for x in got]
    t.eq(len(set(ids)), 4, "four distinct delivery ids")
    st, lst = n.get_json("/api/alerts")
    t.eq(sorted(x["track"] for x in lst), [T2, T3, T4], "the three unacknowledged alerts are open after the restart")
    st, s = n.get_json("/api/stats/today")
    t.eq(s["cameras"].get("hall", {}).get("alerts"), 4, "today's figures count the four alerts")
    # Paged as the other lists: a full page's Link rel="next", its filter kept.
    st, h, b = n.get("/api/alerts?state=all&limit=3")
    link = {k.lower(): v for k, v in h.items()}.get("link", "")
    m = re.match(r'<([^>]+)>; rel="next"$', link)
    t.check(st == 200 and [x["track"] for x in json.loads(b)] == [T4, T3, T2] and m is not None and
            "state=all&" in m.group(1), "a full page of alerts has a Link rel=next keeping state=all", repr(link))
    st, h, b = n.get(m.group(1) if m else "/api/alerts?state=all&before=1")
    t.check(st == 200 and [x["track"] for x in json.loads(b)] == [T1] and "link" not in {k.lower() for k in h},
            "its next page: the older, acknowledged alert, and no further link", repr((st, b[:200], h)))
    t.eq(n.get("/api/alerts?before=x")[0], 400, "before that is no id: 400")
except Exception as e:  # a crash of the test is a failure, with its reason
    t.crashed(e)
finally:
    t.finish(n)
    receiver_stop()
sys.exit(t.done())

#!/usr/bin/python3
"""test_notifier_http - gatewatch-notifier's HTTP side: the JSON API with
its filters and its 400s, snapshots (served, and strict about paths),
static files with their content types, 404s, and the /live upgrade
rules. Results are fed over run/notifier.sock like a worker would."""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from notifier_env import ROOT, WS, Cases, Notifier  # noqa: E402

PHOTO = "/usr/share/darknet/data/person.jpg"
t = Cases()
n = None


def raw_get(port, path):
    """Status of a GET with the path sent byte for byte (urllib would normalise it)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
    data = b""
    while b"\r\n" not in data:
        d = s.recv(4096)
        if not d:
            break
        data += d
    s.close()
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0


try:
    n = Notifier().start()
    w = gwmsg.connect(n.sock)
    w.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    frames = []
    plan = [("gate1", "PASS", "", 36.4), ("gate1", "DENY", "no_mask", None), ("hall", "DENY", "temperature", 38.2),
            ("gate1", "PASS", "", None), ("hall", "none", "", None)]
    t0 = int(time.time() * 1e6) - 1000000
    for k, (cam, verdict, reason, temp) in enumerate(plan):
        fid = gwmsg.frame_id(t0 + k * 20000)  # 20 ms apart: since/until are in ms
        snap = ""
        if cam == "gate1":
            os.makedirs(os.path.join(n.dir, "snapshots", cam), exist_ok=True)
            shutil.copy(PHOTO, os.path.join(n.dir, "snapshots", cam, fid + ".jpg"))
            snap = "snapshots/%s/%s.jpg" % (cam, fid)
        p = [dict(verdict=verdict, reason=reason, mask="mask_on" if verdict == "PASS" else "mask_off",
                  mask_score=0.9, face=(10, 10, 50, 60, 0.9))]
        w.send(gwmsg.result(cam, fid, p, temperature=temp, snapshot=snap))
        ack = gwmsg.recv(w)
        frames.append(fid)
        assert ack and ack[1]["frame"] == fid, ack

    st, h = n.get_json("/api/health")
    t.check(st == 200 and h.get("ok") is True and h.get("db") == "ok", "/api/health ok", repr(h))
    st, c = n.get_json("/api/config")
    t.eq((st, c), (200, {"ingest_port": n.ingest_port, "tls": False}), "/api/config gives the ingest port")

    st, hdrs, body = n.get("/api/results")
    items = __import__("json").loads(body)
    t.check(st == 200 and hdrs.get("Content-Type", hdrs.get("content-type", "")).startswith("application/json"),
            "/api/results is JSON", repr(hdrs))
    t.eq([i["frame"] for i in items], frames[::-1], "/api/results is newest first")
    t.check(all("persons" in i and len(i["persons"]) == 1 and i["id"] > 0 for i in items),
            "each result carries its id and persons", repr(items[0])[:200])
    t.eq(items[-1]["snapshot"], "/snapshots/gate1/%s.jpg" % frames[0], "snapshot URL of a kept snapshot")
    t.eq(items[2]["snapshot"], None, "no snapshot URL when none was kept")
    t.eq(items[2]["temperature"], 38.2, "temperature in the item")

    st, r = n.get_json("/api/results?camera=hall")
    t.eq([i["frame"] for i in r], [frames[4], frames[2]], "filter by camera")
    st, r = n.get_json("/api/results?verdict=DENY")
    t.eq([i["frame"] for i in r], [frames[2], frames[1]], "filter by verdict")
    st, r = n.get_json("/api/results?limit=2")
    t.eq([i["frame"] for i in r], [frames[4], frames[3]], "limit")
    st, r2 = n.get_json("/api/results?limit=2&before_id=%d" % r[-1]["id"])
    t.eq([i["frame"] for i in r2], [frames[2], frames[1]], "paging with before_id")
    since = int(frames[2][:16]) // 1000
    until = int(frames[3][:16]) // 1000 + 1
    st, r = n.get_json("/api/results?since=%d&until=%d" % (since, until))
    t.eq([i["frame"] for i in r], [frames[3], frames[2]], "since/until in unix ms")
    st, r = n.get_json("/api/results?camera=nosuch")
    t.eq((st, r), (200, []), "unknown camera: empty list")

    for q in ("limit=0", "limit=501", "limit=x", "verdict=MAYBE", "camera=../x", "since=-5", "since=12ab",
              "before_id=0"):
        st, r = n.get_json("/api/results?" + q)
        t.check(st == 400 and isinstance(r.get("error"), str), "400 with a JSON error for %s" % q, repr((st, r)))

    st, s = n.get_json("/api/stats/today")
    t.eq(s["total"], {"frames": 5, "people": 5, "passed": 2, "denied": 2}, "today's totals")
    t.eq(s["cameras"].get("hall"), {"frames": 2, "people": 2, "passed": 0, "denied": 1}, "today per camera")
    t.check(len(s["hours"]) == 24 and sum(h["people"] for h in s["hours"]) == 5 and
            [h["hour"] for h in s["hours"]] == list(range(24)), "24 hour buckets adding up", repr(s["hours"])[:200])
    t.check(len(s["date"]) == 10 and s["date"][4] == "-", "date is YYYY-MM-DD", s["date"])

    st, cams = n.get_json("/api/cameras")
    t.eq([(c["id"], c["mode"], c["last_result"]["frame"]) for c in cams],
         [("gate1", "gate", frames[3]), ("hall", "indoor", frames[4])], "/api/cameras with last results")

    st, hdrs, body = n.get("/snapshots/gate1/%s.jpg" % frames[0])
    with open(PHOTO, "rb") as f:
        t.check(st == 200 and body == f.read() and "image/jpeg" in str(hdrs.values()),
                "a snapshot is served as image/jpeg", repr((st, hdrs)))
    for what, bad in (("a frame without a kept snapshot", "/snapshots/gate1/%s.jpg" % frames[2]),
                      ("a .. inside the camera folder", "/snapshots/gate1/../gatewatch.db"),
                      ("a .. instead of the camera", "/snapshots/../gatewatch.db"),
                      ("a name that is not a frame id", "/snapshots/gate1/notaframe.jpg"),
                      ("an encoded .. in the camera", "/snapshots/ga%2e%2e/x.jpg"),
                      ("another extension", "/snapshots/gate1/%s.png" % frames[0]),
                      ("a path below a snapshot", "/snapshots/gate1/%s.jpg/x" % frames[0])):
        t.eq(raw_get(n.http_port, bad), 404, "snapshot 404 for %s" % what)

    if os.path.exists(os.path.join(ROOT, "www", "index.html")):
        for path, ctype in (("/", "text/html"), ("/camera.html", "text/html"), ("/dashboard.js", "javascript"),
                            ("/style.css", "text/css")):
            st, hdrs, body = n.get(path)
            ct = {k.lower(): v for k, v in hdrs.items()}.get("content-type", "")
            t.check(st == 200 and ctype in ct and len(body) > 100, "static %s as %s" % (path, ctype), repr((st, ct)))
    for bad in ("/nosuch.html", "/../notifier/main.c", "/.gitignore", "/api/nosuch", "/www/index.html", "/x.exe"):
        t.eq(raw_get(n.http_port, bad), 404, "404 for %s" % bad)

    try:
        urllib.request.urlopen(urllib.request.Request(n.url("/api/results"), data=b"{}", method="POST"), timeout=5)
        st = 200
    except urllib.error.HTTPError as e:
        st = e.code
    t.eq(st, 405, "POST is refused with 405")

    ws = WS(n.http_port, protocol=None)
    t.eq(ws.recv().get("type"), "hello", "/live upgrade without a subprotocol gets the live protocol")
    ws.close()
    try:
        WS(n.http_port, path="/other")
        refused = False
    except (ConnectionError, OSError):
        refused = True
    t.check(refused, "a WebSocket upgrade on another path is refused")
    st, h = n.get_json("/api/health")
    t.check(st == 200 and h["ok"], "still healthy after the bad requests")
    w.close()

    # TLS is one config key away: the same API over https.
    n2 = None
    key, cert = os.path.join(n.tmp, "key.pem"), os.path.join(n.tmp, "cert.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=localhost"], capture_output=True, timeout=60)
    if t.check(r.returncode == 0, "a self-signed certificate for the TLS case", r.stderr.decode()[-300:]):
        n2 = Notifier(tmp=tempfile.mkdtemp(prefix="gw-notifier-tls-"),
                      extra=["--set", "tls.cert=" + cert, "--set", "tls.key=" + key])
        try:
            n2.url = lambda path: "https://127.0.0.1:%d%s" % (n2.http_port, path)
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            urllib.request.install_opener(urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx)))
            n2.start()
            st, c = n2.get_json("/api/config")
            t.eq((st, c.get("tls")), (200, True), "with tls.cert/tls.key the API is served over https")
            st, hdrs, body = n2.get("/camera.html")
            t.check(st == 200 and b"camera.js" in body, "the camera page is served over https")
        finally:
            t.eq(n2.stop(), 0, "TLS notifier exits 0 on SIGTERM")
except Exception as e:
    import traceback
    traceback.print_exc()
    t.check(False, "test ran to the end", "%s: %s" % (type(e).__name__, e))
finally:
    if n is not None and n.proc is not None:
        rc = n.stop()
        t.eq(rc, 0, "notifier exits 0 on SIGTERM")
    if n is not None and t.failed:
        sys.stderr.write(n.log_text()[-3000:])
sys.exit(1 if t.failed else 0)

#!/usr/bin/python3
"""test_notifier_http - gatewatch-notifier's HTTP side: the JSON API
(people: /api/tracks) with its filters and its 400s, snapshots (served, and strict about paths),
static files with their content types, 404s, and the /live upgrade
rules. Results with track events are fed over run/notifier.sock like a
worker would."""
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
from lib import free_port, wait_until  # noqa: E402
from notifier_env import ROOT, WS, Cases, Notifier, raw_head  # noqa: E402

PHOTO = "/usr/share/darknet/data/person.jpg"
t = Cases()
n = None


def raw_get(port, path, headers=None):
    """Status of a GET with the path sent byte for byte (urllib would normalise it)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n" % (path, extra)).encode())
    data = b""
    while b"\r\n" not in data:
        d = s.recv(4096)
        if not d:
            break
        data += d
    s.close()
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0


try:
    n = Notifier(check_api=True).start()
    # The harness turns metrics.listen off: no test's notifier tries the
    # default 127.0.0.1:9469, which a developer's `make run` may hold.
    t.check(wait_until(lambda: "metrics.listen is empty" in n.log_text(), 30),
            "a test notifier has no metrics listener unless its test sets one", n.log_text()[-600:])
    workers = {}
    tracks = []   # one person per plan line
    frames = []
    plan = [("gate1", "PASS", "", 36.4), ("gate1", "DENY", "no_mask", None), ("hall", "DENY", "temperature", 38.2),
            ("gate1", "PASS", "", None), ("hall", "none", "", None)]
    t0 = int(time.time() * 1e6) - 1000000
    for k, (cam, verdict, reason, temp) in enumerate(plan):
        if cam not in workers:
            workers[cam] = gwmsg.connect(n.sock)
            workers[cam].send(gwmsg.hello(gwmsg.ROLE_WORKER, cam))
        w = workers[cam]
        fid = gwmsg.frame_id(t0 + k * 20000)  # 20 ms apart: since/until are in ms
        track = t0 + k * 20000 + 1
        snap = ""
        if cam == "gate1":
            os.makedirs(os.path.join(n.dir, "snapshots", cam), exist_ok=True)
            shutil.copy(PHOTO, os.path.join(n.dir, "snapshots", cam, "%d.jpg" % track))
            snap = "snapshots/%s/%d.jpg" % (cam, track)
        mask = "mask_on" if verdict == "PASS" else "mask_off" if verdict == "DENY" else "unknown"
        p = [dict(verdict=verdict, reason=reason, mask=mask, mask_score=0.9, face=(10, 10, 50, 60, 0.9), track=track)]
        ev = [dict(track=track, kind="new", seq=1, first_seen_us=t0 + k * 20000, last_seen_us=t0 + k * 20000)]
        if verdict != "none":
            ev.append(dict(track=track, kind="changed", seq=2, verdict=verdict, reason=reason, mask=mask,
                           mask_score=0.9, decision=True, temperature=temp, snapshot=snap,
                           first_seen_us=t0 + k * 20000, last_seen_us=t0 + k * 20000 + 5000))
        w.send(gwmsg.result(cam, fid, p, temperature=temp, events=ev))
        ack = gwmsg.recv(w)
        frames.append(fid)
        tracks.append(track)
        assert ack and ack[1]["frame"] == fid, ack

    st, h = n.get_json("/api/health")
    t.check(st == 200 and h.get("ok") is True and h.get("db") == "ok", "/api/health ok", repr(h))
    st, c = n.get_json("/api/config")
    t.eq((st, c), (200, {"ingest_port": n.ingest_port, "tls": False}), "/api/config gives the ingest port")

    st, hdrs, body = n.get("/api/tracks")
    items = __import__("json").loads(body)
    t.check(st == 200 and hdrs.get("Content-Type", hdrs.get("content-type", "")).startswith("application/json"),
            "/api/tracks is JSON", repr(hdrs))
    t.eq([i["track"] for i in items], tracks[::-1], "/api/tracks is newest first, one item per person")
    t.check(all(i["id"] > 0 and i["camera"] in ("gate1", "hall") and "first_seen_ms" in i for i in items),
            "each person carries its id, camera and times", repr(items[0])[:200])
    t.eq(items[-1]["snapshot"], "/snapshots/gate1/%d.jpg" % tracks[0], "snapshot URL of a person's best snapshot")
    t.eq(items[2]["snapshot"], None, "no snapshot URL when none was kept")
    t.eq((items[2]["temperature"], items[2]["verdict"], items[2]["reason"]), (38.2, "DENY", "temperature"),
         "temperature, verdict and reason in the item")
    t.eq(items[0]["verdict"], "none", "a person without a settled verdict is 'none'")

    st, r = n.get_json("/api/tracks?camera=hall")
    t.eq([i["track"] for i in r], [tracks[4], tracks[2]], "filter by camera")
    st, r = n.get_json("/api/tracks?verdict=DENY")
    t.eq([i["track"] for i in r], [tracks[2], tracks[1]], "filter by verdict")
    st, r = n.get_json("/api/tracks?limit=2")
    t.eq([i["track"] for i in r], [tracks[4], tracks[3]], "limit")
    st, r2 = n.get_json("/api/tracks?limit=2&before=%d" % r[-1]["id"])
    t.eq([i["track"] for i in r2], [tracks[2], tracks[1]], "paging with before")
    since = (t0 + 2 * 20000) // 1000
    until = (t0 + 3 * 20000) // 1000 + 1
    st, r = n.get_json("/api/tracks?since=%d&until=%d" % (since, until))
    t.eq([i["track"] for i in r], [tracks[3], tracks[2]], "since/until in unix ms")
    st, r = n.get_json("/api/tracks?camera=nosuch")
    t.eq((st, r), (200, []), "unknown camera: empty list")

    for q in ("limit=0", "limit=501", "limit=x", "verdict=MAYBE", "camera=../x", "since=-5", "since=12ab",
              "before=0"):
        st, r = n.get_json("/api/tracks?" + q)
        t.check(st == 400 and isinstance(r.get("error"), str), "400 with a JSON error for %s" % q, repr((st, r)))

    st, s = n.get_json("/api/stats/today")
    t.eq(s["total"], {"people": 5, "passed": 2, "denied": 2, "alerts": 0, "overrides": 0}, "today's totals")
    t.eq(s["cameras"].get("hall"), {"people": 2, "passed": 0, "denied": 1, "alerts": 0, "overrides": 0},
         "today per camera")
    t.check(len(s["hours"]) == 24 and sum(h["people"] for h in s["hours"]) == 5 and
            [h["hour"] for h in s["hours"]] == list(range(24)), "24 hour buckets adding up", repr(s["hours"])[:200])
    t.check(len(s["date"]) == 10 and s["date"][4] == "-", "date is YYYY-MM-DD", s["date"])

    st, cams = n.get_json("/api/cameras")
    t.eq([(c["id"], c["mode"], c["last_result"]["frame"], c["last_track"]["track"]) for c in cams],
         [("gate1", "gate", frames[3], tracks[3]), ("hall", "indoor", frames[4], tracks[4])],
         "/api/cameras with the last frame and the last person")

    st, hdrs, body = n.get("/snapshots/gate1/%d.jpg" % tracks[0])
    with open(PHOTO, "rb") as f:
        t.check(st == 200 and body == f.read() and "image/jpeg" in str(hdrs.values()),
                "a person's snapshot (named by track id) is served as image/jpeg", repr((st, hdrs)))
    shutil.copy(PHOTO, os.path.join(n.dir, "snapshots", "gate1", frames[0] + ".jpg"))
    st, hdrs, body = n.get("/snapshots/gate1/%s.jpg" % frames[0])
    t.eq(st, 200, "a snapshot named by frame id is still served")
    for what, bad in (("a frame without a kept snapshot", "/snapshots/gate1/%s.jpg" % frames[2]),
                      ("a track id with a leading zero", "/snapshots/gate1/0%d.jpg" % tracks[0]),
                      ("a track id of 20 digits", "/snapshots/gate1/12345678901234567890.jpg"),
                      ("a .. inside the camera folder", "/snapshots/gate1/../gatewatch.db"),
                      ("a .. instead of the camera", "/snapshots/../gatewatch.db"),
                      ("a name that is not a frame id", "/snapshots/gate1/notaframe.jpg"),
                      ("an encoded .. in the camera", "/snapshots/ga%2e%2e/x.jpg"),
                      ("another extension", "/snapshots/gate1/%s.png" % frames[0]),
                      ("a path below a snapshot", "/snapshots/gate1/%s.jpg/x" % frames[0])):
        t.eq(raw_get(n.http_port, bad, n.auth().headers()), 404, "snapshot 404 for %s" % what)

    if os.path.exists(os.path.join(ROOT, "www", "index.html")):
        for path, ctype in (("/", "text/html"), ("/camera.html", "text/html"), ("/dashboard.js", "javascript"),
                            ("/style.css", "text/css")):
            st, hdrs, body = n.get(path)
            ct = {k.lower(): v for k, v in hdrs.items()}.get("content-type", "")
            t.check(st == 200 and ctype in ct and len(body) > 100, "static %s as %s" % (path, ctype), repr((st, ct)))
    for bad in ("/nosuch.html", "/../notifier/main.c", "/.gitignore", "/api/nosuch", "/www/index.html", "/x.exe",
                "/api/results"):
        t.eq(raw_get(n.http_port, bad, n.auth().headers()), 404, "404 for %s" % bad)

    st, _, _ = n.request("POST", "/api/tracks", b"{}")
    t.eq(st, 405, "POST to a GET-only path is refused with 405")

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
    for w in workers.values():
        w.close()

    # TLS is one config key away: the same API over https.
    n2 = None
    key, cert = os.path.join(n.tmp, "key.pem"), os.path.join(n.tmp, "cert.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=localhost"], capture_output=True, timeout=60)
    if t.check(r.returncode == 0, "a self-signed certificate for the TLS case", r.stderr.decode()[-300:]):
        mport = free_port()
        n2 = Notifier(tmp=tempfile.mkdtemp(prefix="gw-notifier-tls-"),
                      extra=["--set", "tls.cert=" + cert, "--set", "tls.key=" + key,
                             "--set", "metrics.listen=127.0.0.1:%d" % mport])
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
            # Browsers offer h2 first; lws's HTTP/2 failed Chromium's pages with
            # ERR_HTTP2_COMPRESSION_ERROR, so the server must choose http/1.1.
            actx = ssl.create_default_context()
            actx.check_hostname = False
            actx.verify_mode = ssl.CERT_NONE
            actx.set_alpn_protocols(["h2", "http/1.1"])
            with socket.create_connection(("127.0.0.1", n2.http_port), timeout=10) as raw:
                with actx.wrap_socket(raw, server_hostname="localhost") as tls:
                    proto = tls.selected_alpn_protocol()
                    tls.sendall(b"GET /login.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    head = tls.recv(64)
            t.check(proto in (None, "http/1.1") and head.startswith(b"HTTP/1.1 200"),
                    "a client offering h2 and http/1.1 is served http/1.1", "%r %r" % (proto, head))
            lh = {k.lower(): v for k, v in n2.auth().login_headers.items()}
            flags = [f.strip().lower() for f in lh.get("set-cookie", "").split(";")]
            t.check("secure" in flags and "httponly" in flags and "samesite=strict" in flags,
                    "under TLS the session cookie is Secure, HttpOnly, SameSite=Strict", repr(flags))
            # http:// to the https port: a redirect to https://, never an answer in clear
            def plain(req):
                return raw_head(n2.http_port, req.encode())
            head = plain("GET /api/tracks?limit=5 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % n2.http_port)
            t.check(head.startswith("HTTP/1.1 301 Moved Permanently") and
                    "\r\nlocation: https://127.0.0.1:%d/api/tracks?limit=5\r" % n2.http_port in head.lower() + "\r",
                    "http:// to the https port is redirected to the same path and query over https:// (301)",
                    repr(head[:300]))
            head = plain("GET /cams.html HTTP/1.1\r\nHost: evil\r\nX-Evil: y\r\n\r\n")
            t.check(head.startswith("HTTP/1.1 301") and "\r\nlocation: https://evil/cams.html\r" in head.lower() + "\r"
                    and "x-evil" not in head.lower(), "only the Host goes into the Location", repr(head[:300]))
            head = plain("GET /%s.html HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % ("a" * 600, n2.http_port))
            t.check(head.startswith("HTTP/1.1 301") and
                    "\r\nlocation: https://127.0.0.1:%d/\r" % n2.http_port in head.lower() + "\r",
                    "a path too long for the Location: redirected to the root", repr(head[:300]))
            head = plain("GET / HTTP/1.1\r\nHost: a/b@evil\r\n\r\n")
            t.check(head.startswith("HTTP/1.1 400") and "location" not in head.lower(),
                    "a Host that is no host name gets 400, no Location", repr(head[:300]))
            head = plain("GET /live HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                         "Sec-WebSocket-Protocol: gatewatch-live\r\nCookie: %s\r\nOrigin: https://127.0.0.1:%d\r\n\r\n"
                         % (n2.http_port, n2.auth().headers()["Cookie"], n2.http_port))
            t.check(head.split(" ", 2)[1:2] == ["403"], "a plain ws:// upgrade to the https port is refused (403), "
                    "even with a session", repr(head[:300]))
            # metrics.listen is its own vhost: plain HTTP on loopback beside the TLS port
            with socket.create_connection(("127.0.0.1", mport), timeout=10) as raw:
                raw.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                head = raw.recv(64)
            t.check(head.startswith(b"HTTP/1.1 200"), "metrics.listen answers plain HTTP beside a TLS dashboard",
                    repr(head))
        finally:
            t.eq(n2.stop(), 0, "TLS notifier exits 0 on SIGTERM")
except Exception as e:  # a crash of the test is a failure, with its reason
    t.crashed(e)
finally:
    t.finish(n)
sys.exit(1 if t.failed else 0)

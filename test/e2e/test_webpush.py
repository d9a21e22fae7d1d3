#!/usr/bin/python3
"""test_webpush - Web Push from the real notifier to a push endpoint this
test runs on loopback: a supervisor (bearer token) subscribes through the
API with keys made here; an alert (spool_low, raised at start) is POSTed
per RFC 8030 to the matching subscriptions only; the test verifies the
VAPID JWT (RFC 8292, ES256) with the key GET /api/push/key gives and
decrypts the aes128gcm payload (RFC 8291) with the subscription's private
key (python3-cryptography); an endpoint answering 410 loses its
subscription.

Env: GW_ROOT, BIN."""
import base64
import http.server
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import BIN, Report, free_port, wait_until  # noqa: E402
from notifier_env import Notifier, check_answers, http as notifier_http  # noqa: E402

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402

rep = Report()
got = {}  # path -> [(headers, body)]


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class PushService(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        got.setdefault(self.path, []).append((dict(self.headers), body))
        self.send_response(410 if self.path.endswith("/gone") else 201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


class Sub:
    def __init__(self, port, name, **extra):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.pub = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                      serialization.PublicFormat.UncompressedPoint)
        self.auth = os.urandom(16)
        self.path = "/push/" + name
        self.json = dict({"endpoint": "http://127.0.0.1:%d%s" % (port, self.path),
                          "keys": {"p256dh": b64e(self.pub), "auth": b64e(self.auth)}}, **extra)

    def decrypt(self, body):
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        as_pub = body[21:21 + idlen]
        ct = body[21 + idlen:]
        ecdh = self.key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_pub))
        ikm = HKDF(hashes.SHA256(), 32, self.auth, b"WebPush: info\0" + self.pub + as_pub).derive(ecdh)
        cek = HKDF(hashes.SHA256(), 16, salt, b"Content-Encoding: aes128gcm\0").derive(ikm)
        nonce = HKDF(hashes.SHA256(), 12, salt, b"Content-Encoding: nonce\0").derive(ikm)
        pt = AESGCM(cek).decrypt(nonce, ct, None)
        assert rs == 4096 and pt.endswith(b"\x02"), (rs, pt[-3:])
        return json.loads(pt[:-1])


def vapid_ok(headers, public_key, aud):
    """(ok, why): the Authorization header's JWT verifies with public_key."""
    a = headers.get("Authorization", "")
    if not a.startswith("vapid "):
        return False, "no vapid Authorization: %r" % a
    parts = dict(p.strip().split("=", 1) for p in a[6:].split(","))
    if parts.get("k") != public_key:
        return False, "k is not the server's key"
    h, c, s = parts["t"].split(".")
    header, claims, sig = json.loads(b64d(h)), json.loads(b64d(c)), b64d(s)
    if header.get("alg") != "ES256" or len(sig) != 64:
        return False, "not ES256: %r" % header
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(public_key))
    try:
        key.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                   (h + "." + c).encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False, "bad signature"
    if claims.get("aud") != aud or not (time.time() < claims.get("exp", 0) <= time.time() + 86400) or \
            not str(claims.get("sub", "")).startswith("mailto:"):
        return False, "claims: %r" % claims
    return True, ""


def api(n, token, path, body=None):
    st, _, b = notifier_http(n.http_port, "POST" if body is not None else "GET", path,
                             json.dumps(body) if body is not None else None, {"Authorization": "Bearer " + token}, 10)
    return st, json.loads(b or b"null")


def main():
    port = free_port()
    srv = http.server.HTTPServer(("127.0.0.1", port), PushService)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    n = Notifier(cameras=(("hall", "Hall", "indoor"),), extra=["--set", "spool.min_free_mb=1"], check_api=True)
    try:
        n.start()
        r = subprocess.run([os.path.join(BIN, "gatewatch"), "token", "add", "pushtest", "--role", "supervisor",
                            "--dir", n.dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        token = (r.stdout.strip().split() or [""])[-1]
        st, key = api(n, token, "/api/push/key")
        rep.check(st == 200 and len(b64d(key.get("public_key", ""))) == 65, "GET /api/push/key: the VAPID public key",
                  "%s %s %s" % (st, key, r.stderr))
        pub = key.get("public_key", "")
        a, gone, other = Sub(port, "a"), Sub(port, "gone"), Sub(port, "other", cameras=["hall"])
        for s in (a, gone, other):
            st, body = api(n, token, "/api/push/subscriptions", s.json)
            rep.check(st == 201 and body.get("id"), "subscribe %s" % s.path, "%s %s" % (st, body))
        st, body = api(n, token, "/api/push/subscriptions", {"endpoint": "ftp://x", "keys": {}})
        rep.check(st == 400, "a bad subscription is 400", st)
        rep.check(n.stop() == 0, "stopped")
        # Restart with a floor that puts the disk under twice it: spool_low at once.
        st_ = os.statvfs(n.dir)
        n.args[n.args.index("spool.min_free_mb=1")] = "spool.min_free_mb=%d" % (
            st_.f_bavail * st_.f_frsize // 1048576 * 2 // 3)
        n.start()
        wait_until(lambda: a.path in got and gone.path in got, 60, 0.2)
        rep.check(len(got.get(a.path, [])) == 1, "the alert is pushed once to the matching subscription",
                  str({k: len(v) for k, v in got.items()}))
        if got.get(a.path):
            headers, body = got[a.path][0]
            rep.check(headers.get("Content-Encoding") == "aes128gcm" and int(headers.get("TTL", "0")) > 0,
                      "RFC 8030 headers: Content-Encoding aes128gcm, TTL", str(headers))
            ok, why = vapid_ok(headers, pub, "http://127.0.0.1:%d" % port)
            rep.check(ok, "the VAPID JWT verifies with the server's public key (ES256, aud, exp, sub)", why)
            try:
                msg = a.decrypt(body)
                rep.check(msg.get("reason") == "spool_low" and msg.get("title", "").startswith("gatewatch")
                          and msg.get("alert_id"), "the payload decrypts with the subscription's key (RFC 8291)",
                          str(msg))
            except Exception as e:  # noqa: BLE001
                rep.fail("the payload decrypts with the subscription's key (RFC 8291)", repr(e))
        rep.check(other.path not in got, "a subscription for another camera gets nothing")
        db = os.path.join(n.dir, "gatewatch.db")

        def subs():
            c = sqlite3.connect(db)
            try:
                return sorted(r[0] for r in c.execute("SELECT endpoint FROM webpush_subs"))
            finally:
                c.close()
        left = wait_until(lambda: (lambda s: s if len(s) == 2 else None)(subs()), 60, 0.2)
        rep.check(left and all("/gone" not in e for e in left), "410 from the push service drops that subscription",
                  str(subs()))
        def delivered():
            c = sqlite3.connect(db)
            try:
                return c.execute("SELECT count(*) FROM webpush_outbox WHERE delivered_us IS NOT NULL").fetchone()[0]
            finally:
                c.close()
        # the 410 (above) and the 201 are answered apart: wait for the 201's record too
        wait_until(delivered, 60, 0.2)
        row = delivered()
        rep.check(row == 1, "the delivery is recorded as delivered", "%d delivered rows" % row)
        # /metrics counts what the push endpoint saw: 201s delivered, the 410 gone
        def attempts():
            st, _, page = n.get("/metrics")
            return {ln.split(" ")[0]: float(ln.split(" ")[1]) for ln in page.decode().splitlines()
                    if st == 200 and ln.startswith("gatewatch_webpush_attempts_total{")}
        ok = sum(len(v) for k, v in got.items() if not k.endswith("/gone"))
        # (counted once the answer is read: wait for it)
        seen = wait_until(lambda: (lambda m: m if m.get('gatewatch_webpush_attempts_total{outcome="delivered"}') == ok
                                   else None)(attempts()), 60, 0.2) or attempts()
        rep.check(seen.get('gatewatch_webpush_attempts_total{outcome="delivered"}') == ok and
                  seen.get('gatewatch_webpush_attempts_total{outcome="gone"}') == 1 and
                  seen.get('gatewatch_webpush_attempts_total{outcome="failed"}') == 0,
                  "/metrics: Web Push attempts by outcome (%d delivered, 1 gone)" % ok, str(seen))
        st, body = api(n, token, "/api/push/unsubscribe", {"endpoint": a.json["endpoint"]})
        rep.check(st == 200 and body.get("dropped") is True, "unsubscribe", "%s %s" % (st, body))
        rep.check(os.stat(os.path.join(n.dir, "webpush-vapid.pem")).st_mode & 0o077 == 0,
                  "the VAPID private key file is private (0600)")
        check_answers(rep, n.http_port, n.document)
        rep.check(n.stop() == 0, "stopped cleanly")
    finally:
        if n.proc is not None:
            n.stop()
        srv.shutdown()
        if not rep.failed:
            shutil.rmtree(n.tmp, ignore_errors=True)
        else:
            print("# kept %s" % n.tmp)


main()
sys.exit(rep.done())

"""notifier_env - start and stop a real gatewatch-notifier for tests, and
speak HTTP and the /live WebSocket to it (stdlib only)."""
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from lib import Report, free_port

ROOT = os.environ.get("GW_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BIN", "bin")
NOTIFIER = os.path.join(ROOT, BIN, "gatewatch-notifier") if not os.path.isabs(BIN) else os.path.join(BIN, "gatewatch-notifier")


class Notifier:
    """A notifier in its own process group, state in a temp dir."""

    def __init__(self, tmp=None, cameras=(("gate1", "Front gate", "gate"), ("hall", "Hall", "indoor")), extra=()):
        self.tmp = tmp or tempfile.mkdtemp(prefix="gw-notifier-")
        self.dir = os.path.join(self.tmp, "var")
        self.http_port = free_port()
        self.ingest_port = free_port()
        self.sock = os.path.join(self.dir, "run", "notifier.sock")
        self.args = [NOTIFIER, "--dir", self.dir, "--set", "http.port=%d" % self.http_port,
                     "--set", "ingest.port=%d" % self.ingest_port,
                     "--set", "www.dir=%s" % os.path.join(ROOT, "www")]
        for i, (cid, name, mode) in enumerate(cameras):
            self.args += ["--set", "camera.%s.token=token-%s-%d" % (cid, cid, i),
                          "--set", "camera.%s.name=%s" % (cid, name), "--set", "camera.%s.mode=%s" % (cid, mode)]
        self.args += list(extra)
        self.proc = None
        self.log = os.path.join(self.tmp, "notifier.log")

    def start(self, timeout=10.0):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.logf, stderr=self.logf, start_new_session=True)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("notifier exited with %s: %s" % (self.proc.returncode, self.log_text()[-2000:]))
            try:
                if self.get("/api/health")[0] == 200 and os.path.exists(self.sock):
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("notifier did not answer /api/health in %.0f s" % timeout)

    def stop(self, timeout=10.0):
        """SIGTERM, wait; returns the exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        rc = None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        except ProcessLookupError:
            rc = self.proc.wait(5)
        self.proc = None
        self.logf.close()
        return rc

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    def get(self, path, timeout=5.0):
        """(status, headers, body bytes) without raising on 4xx/5xx."""
        try:
            with urllib.request.urlopen(self.url(path), timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get_json(self, path):
        st, _, body = self.get(path)
        return st, json.loads(body)


class WS:
    """A minimal RFC 6455 client: text messages in, nothing out but the handshake."""

    def __init__(self, port, path="/live", protocol="gatewatch-live", timeout=5.0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, port, key))
        if protocol:
            req += "Sec-WebSocket-Protocol: %s\r\n" % protocol
        self.s.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(4096)
            if not d:
                raise ConnectionError("closed during handshake")
            self.buf += d
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        if self.status != 101:
            raise ConnectionError("handshake status %d" % self.status)

    def _exact(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("closed")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self, timeout=5.0):
        """Next text message as a parsed JSON object."""
        self.s.settimeout(timeout)
        data = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            payload = self._exact(n)
            op = b0 & 0x0F
            if op == 8:
                raise ConnectionError("close frame")
            if op in (9, 10):
                continue
            data += payload
            if b0 & 0x80:
                return json.loads(data)

    def recv_type(self, mtype, timeout=5.0, max_messages=200):
        """Skip messages until one of type mtype (bounded in count and time)."""
        end = time.time() + timeout
        for _ in range(max_messages):
            left = end - time.time()
            if left <= 0:
                break
            m = self.recv(left)
            if m.get("type") == mtype:
                return m
        raise TimeoutError("no %s message" % mtype)

    def close(self):
        self.s.close()


class Cases(Report):
    """lib.Report (one line per case, failures counted) plus eq()."""

    def eq(self, got, want, what):
        return self.check(got == want, what, "got %r, want %r" % (got, want))

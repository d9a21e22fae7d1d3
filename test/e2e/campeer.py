"""campeer - a scripted peer that speaks ingest's camera protocol (RFC 6455
on the standard library) for tests whose subject is the camera client's
timing: it answers each frame in order after a fixed delay, records when
each frame arrived and with which temperature, and lets the test send
gate messages (person, prompt, verdict) at chosen moments. The real ingest
cannot be made slower on purpose, and its answer times on a shared 2-core
machine are not under the test's control.

    peer = CamPeer(delay=0.3, on_frame=lambda peer, rec: ...)
    port = peer.port
    ...
    peer.frames   # [{"seq", "data", "t", "temperature", "mark"}]
    peer.close()
"""
import base64
import hashlib
import json
import re
import socket
import struct
import threading
import time

from wsclient import read_head

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MARK = re.compile(rb"gwframe:(\d+)")


def jpeg_mark(jpeg, n):
    """jpeg with a COM segment "gwframe:N" after its SOI: one source frame
    told apart from the next without decoding."""
    text = b"gwframe:%d" % n
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text + jpeg[2:]


class CamPeer:
    def __init__(self, delay=0.0, on_frame=None, token=None, welcome=None):
        self.delay = delay
        self.welcome = welcome or {}     # extra welcome fields (max_inflight, ...)
        self.inflight = 0                # frames received, not answered yet
        self.max_inflight = 0            # the most there ever were
        self.on_frame = on_frame
        self.token = token
        self.frames = []
        self.texts = []
        self.hello = None
        self.lock = threading.Lock()
        self.send_lock = threading.Lock()
        self.conn = None
        self.closed = threading.Event()
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(4)
        self.port = self.ls.getsockname()[1]
        self.answerq = []
        self.cv = threading.Condition()
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._answerer, daemon=True).start()

    # ---- wire ----
    def _recv_exact(self, n):
        b = b""
        while len(b) < n:
            d = self.conn.recv(n - len(b))
            if not d:
                raise EOFError
            b += d
        return b

    def _read_frame(self):
        h = self._recv_exact(2)
        op, ln = h[0] & 0x0F, h[1] & 0x7F
        fin = h[0] & 0x80
        if ln == 126:
            ln = struct.unpack(">H", self._recv_exact(2))[0]
        elif ln == 127:
            ln = struct.unpack(">Q", self._recv_exact(8))[0]
        mask = self._recv_exact(4) if h[1] & 0x80 else b"\0\0\0\0"
        data = bytearray(self._recv_exact(ln))
        for i in range(len(data)):
            data[i] ^= mask[i & 3]
        return fin, op, bytes(data)

    def send_raw(self, op, payload):
        n = len(payload)
        if n < 126:
            h = struct.pack(">BB", 0x80 | op, n)
        elif n < 65536:
            h = struct.pack(">BBH", 0x80 | op, 126, n)
        else:
            h = struct.pack(">BBQ", 0x80 | op, 127, n)
        with self.send_lock:
            if self.conn:
                self.conn.sendall(h + payload)

    def send(self, msg):
        """a text message: a dict (as JSON) or a str sent as it is."""
        self.send_raw(1, (json.dumps(msg) if isinstance(msg, dict) else msg).encode())

    def _accept(self):
        try:
            c, _ = self.ls.accept()
        except OSError:
            return
        self.conn = c
        try:
            req, _ = read_head(c)
            key = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", req).group(1)
            acc = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest())
            resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
                   b"Sec-WebSocket-Accept: " + acc + b"\r\n"
            if re.search(rb"(?i)sec-websocket-protocol:\s*gatewatch-camera", req):
                resp += b"Sec-WebSocket-Protocol: gatewatch-camera\r\n"
            c.sendall(resp + b"\r\n")
            self._serve()
        except (EOFError, OSError):
            pass
        finally:
            self.closed.set()

    def _serve(self):
        temperature = None
        seq = 0
        buf, bufop = b"", None
        while True:
            fin, op, data = self._read_frame()
            if op == 8:
                self.send_raw(8, data[:2] or struct.pack(">H", 1000))
                return
            if op == 9:
                self.send_raw(10, data)
                continue
            if op == 0:
                buf += data
            elif op in (1, 2):
                buf, bufop = data, op
            else:
                continue
            if not fin:
                continue
            data, op = buf, bufop
            if op == 1:
                m = json.loads(data)
                with self.lock:
                    self.texts.append(m)
                if m.get("type") == "hello":
                    self.hello = m
                    if self.token is not None and m.get("token") != self.token:
                        self.send({"type": "error", "error": "auth", "reason": "unknown camera or wrong token"})
                        self.send_raw(8, struct.pack(">H", 4001) + b"auth")
                        return
                    self.send(dict({"type": "welcome", "camera": m.get("camera")}, **self.welcome))
                elif m.get("type") == "meta":
                    temperature = m.get("temperature")
                continue
            seq += 1
            mk = MARK.search(data[:64])
            rec = {"seq": seq, "data": data, "t": time.monotonic(), "temperature": temperature,
                   "mark": int(mk.group(1)) if mk else None}
            temperature = None
            with self.lock:
                self.frames.append(rec)
                self.inflight += 1
                self.max_inflight = max(self.max_inflight, self.inflight)
            if self.on_frame:
                self.on_frame(self, rec)
            with self.cv:
                self.answerq.append(rec)
                self.cv.notify()

    def _answerer(self):
        """answers in order, each self.delay after the previous answer or
        the frame's arrival, whichever is later: one frame at a time, like
        a server that needs delay seconds per frame."""
        free_at = 0.0
        while True:
            with self.cv:
                while not self.answerq and not self.stop:
                    self.cv.wait(0.5)
                if self.stop:
                    return
                rec = self.answerq.pop(0)
            start = max(free_at, rec["t"])
            wait = start + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            free_at = time.monotonic()
            with self.lock:
                self.inflight -= 1
            try:
                self.send({"type": "answer", "seq": rec["seq"], "status": "accepted", "ms": int(self.delay * 1000)})
            except OSError:
                return

    def close(self):
        self.stop = True
        with self.cv:
            self.cv.notify()
        try:
            self.ls.close()
        except OSError:
            pass
        if self.conn:
            try:
                self.conn.close()
            except OSError:
                pass

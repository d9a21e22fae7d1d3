"""wsclient - the one RFC 6455 WebSocket client of the tests, on the
standard library, shared by the e2e tests and the benchmarks: enough to
talk to ingest (the camera protocol) and to the notifier's /live, and to
misbehave on purpose (fragments, raw frame bytes). Text messages come back
as dicts. (notifier_env.WS is this client with the notifier's login.)

    from wsclient import WS, WSClosed
    ws = WS(port)                      # GET /camera
    live = WS(http_port, path="/live", headers=...)

Errors are ConnectionError (an OSError): WSRefused when the handshake
is answered with another status than 101 (.status), WSClosed when the
server closes (.code, None at EOF); recv_type gives up with TimeoutError.
"""
import base64
import json
import os
import socket
import struct
import time


class WSClosed(ConnectionError):
    def __init__(self, code, reason):
        super().__init__("closed %s %r" % (code, reason))
        self.code, self.reason = code, reason


class WSRefused(ConnectionError):
    """The upgrade was answered with status (not 101)."""

    def __init__(self, status, head):
        super().__init__("handshake status %d" % status)
        self.status, self.head = status, head


def read_head(s, buf=b"", limit=65536):
    """Reads from socket s until the end of an HTTP head (a blank line):
    (head bytes, the bytes after it). Raises ConnectionError at EOF first."""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise ConnectionError("connection closed during the HTTP head")
        buf += d
        if len(buf) > limit:
            raise ConnectionError("HTTP head over %d bytes" % limit)
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head, rest


def head_status(head):
    """The status code of an HTTP response head, 0 when it is none."""
    parts = head.split(b" ", 2)
    return int(parts[1]) if head.startswith(b"HTTP/") and len(parts) > 1 and parts[1].isdigit() else 0


class WS:
    """A bare RFC 6455 client: enough to talk to ingest and to misbehave."""

    def __init__(self, port, protocol=None, timeout=30, path="/camera", source=None, headers=None):
        # source: a loopback address (127.0.0.2 ...) to connect from, so a
        # test can be several peers
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                          source_address=(source, 0) if source else None)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, port, key))
        if protocol:
            req += "Sec-WebSocket-Protocol: %s\r\n" % protocol
        for k, v in (headers or {}).items():  # e.g. Authorization for /live
            req += "%s: %s\r\n" % (k, v)
        self.timeout = timeout
        self.s.sendall((req + "\r\n").encode())
        head, self.buf = read_head(self.s)
        self.frag, self.kind = b"", None   # a text or binary message's fragments so far
        self.status = head_status(head)
        if self.status != 101:
            self.s.close()
            raise WSRefused(self.status, head)

    def send_frame(self, opcode, payload, fin=True):
        self.s.sendall(self.frame_bytes(opcode, payload, fin))

    def frame_bytes(self, opcode, payload, fin=True):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
        mask = os.urandom(4)
        # XOR in bulk: int.from_bytes keeps this fast for megabyte frames
        m = (mask * (n // 4 + 1))[:n]
        body = (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(n, "big") if n else b""
        return hdr + mask + body

    def send_text(self, obj):
        self.send_frame(0x1, (obj if isinstance(obj, str) else json.dumps(obj)).encode())

    def send_binary(self, data, pieces=1):
        step = max(1, (len(data) + pieces - 1) // pieces)
        chunks = [data[i:i + step] for i in range(0, len(data), step)] or [b""]
        for i, c in enumerate(chunks):
            self.send_frame(0x2 if i == 0 else 0x0, c, fin=(i == len(chunks) - 1))

    def _frame(self):
        """(first byte, payload) of the next whole frame. Bytes are taken
        from the buffer only once the frame is complete, so a timeout in
        the middle of one loses nothing: the next call goes on with it
        (taking the header first lost the frame and read the rest of the
        stream from inside it)."""
        while True:
            b, head = self.buf, 2
            if len(b) >= 2:
                n = b[1] & 0x7f
                if n == 126 and len(b) >= 4:
                    n, head = struct.unpack("!H", b[2:4])[0], 4
                elif n == 127 and len(b) >= 10:
                    n, head = struct.unpack("!Q", b[2:10])[0], 10
                if n < 126 or head > 2:
                    if len(b) >= head + n:
                        self.buf = b[head + n:]
                        return b[0], b[head:head + n]
            d = self.s.recv(65536)
            if not d:
                raise WSClosed(None, "EOF")
            self.buf += d

    def recv(self, timeout=None):
        """The next text message (fragments joined) as a dict, waiting at
        most timeout seconds (default: the connection's); binary messages
        are skipped; raises WSClosed on close or EOF. After a timeout the
        next call goes on where this one stopped."""
        if timeout is None:
            return self._recv_text()
        self.s.settimeout(timeout)
        try:
            return self._recv_text()
        finally:
            self.s.settimeout(self.timeout)

    def _recv_text(self):
        while True:
            b0, payload = self._frame()
            op = b0 & 0x0f
            if op == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise WSClosed(code, payload[2:].decode(errors="replace"))
            if op in (0x1, 0x2):
                self.frag, self.kind = b"", op
            elif op != 0x0:
                continue  # ping, pong
            self.frag += payload
            if b0 & 0x80:
                data, kind, self.frag, self.kind = self.frag, self.kind, b"", None
                if kind == 0x1:
                    return json.loads(data.decode())

    def recv_type(self, t, timeout=None, limit=200):
        """Skips messages until one of type t, bounded in count (limit) and
        time (timeout, default: the connection's); TimeoutError if none."""
        end = time.monotonic() + (self.timeout if timeout is None else timeout)
        for _ in range(limit):
            left = end - time.monotonic()
            if left <= 0:
                break
            m = self.recv(left)
            if m.get("type") == t:
                return m
        raise TimeoutError("no %s message" % t)

    def hello(self, camera, token):
        self.send_text({"type": "hello", "camera": camera, "token": token})
        return self.recv()

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

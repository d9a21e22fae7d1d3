#!/usr/bin/python3
"""test_wsclient - the tests' one WebSocket client (wsclient.WS) on a
socket pair, no server: a reader that times out in the middle of a frame
(the notifier wrote part of it, the rest came later) goes on with that
frame at its next recv and loses nothing; before, the header was taken
and the rest of the stream was read from inside the frame (the pipeline
bench's /live reader reconnected and missed results). Also a 16-bit
length and a message in two fragments split the same way."""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsclient  # noqa: E402
from lib import Report  # noqa: E402

rep = Report()


def frame(payload, op=0x1, fin=True):
    head = bytes([(0x80 if fin else 0) | op])
    n = len(payload)
    if n < 126:
        return head + bytes([n]) + payload
    return head + bytes([126]) + n.to_bytes(2, "big") + payload


def msg(i, pad=0):
    return json.dumps({"type": "result", "frame": str(i), "pad": "x" * pad}).encode()


a, b = socket.socketpair()
ws = wsclient.WS.__new__(wsclient.WS)   # the client's framing only: no HTTP upgrade here
ws.s, ws.buf, ws.timeout, ws.frag, ws.kind = a, b"", 0.2, b"", None
a.settimeout(0.2)


def server():
    b.sendall(frame(msg(1)))
    for f in (frame(msg(2)), frame(msg(3, 300)), frame(msg(4)[:10], fin=False) + frame(msg(4)[10:], op=0x0)):
        cut = len(f) // 2
        b.sendall(f[:cut])
        time.sleep(0.6)   # longer than the reader's timeout: it gives up mid-frame
        b.sendall(f[cut:])
    b.sendall(frame(msg(5)))


th = threading.Thread(target=server)
th.start()
got, timeouts, broke = [], 0, None
end = time.monotonic() + 30
while time.monotonic() < end and len(got) < 5:
    try:
        got.append(ws.recv()["frame"])
    except socket.timeout:
        timeouts += 1
    except Exception as e:  # noqa: BLE001 (the failure this test is about)
        broke = repr(e)
        break
th.join(30)
rep.check(got == ["1", "2", "3", "4", "5"] and broke is None,
          "a timeout in the middle of a frame (7-bit, 16-bit length, a fragmented message) loses nothing",
          "got %r, %d timeouts, %s" % (got, timeouts, broke))
a.close()
b.close()
sys.exit(rep.done())

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


timed_out = threading.Condition()
timeouts = 0   # the reader's timeouts (under timed_out)
reading = [True]   # False once the reader stopped (under timed_out)
cuts = []      # per cut frame: whether the reader timed out while holding its first half


def server():
    b.sendall(frame(msg(1)))
    for f in (frame(msg(2)), frame(msg(3, 300)), frame(msg(4)[:10], fin=False) + frame(msg(4)[10:], op=0x0)):
        cut = len(f) // 2
        with timed_out:
            seen = timeouts
        b.sendall(f[:cut])
        # the reader gives up in the middle of the frame: two timeouts after the cut (the first may
        # have begun before it), waited for however slow the machine (bounded), not slept
        with timed_out:
            cuts.append(timed_out.wait_for(lambda: timeouts >= seen + 2 or not reading[0], timeout=30)
                        and timeouts >= seen + 2)
        b.sendall(f[cut:])
    b.sendall(frame(msg(5)))


th = threading.Thread(target=server)
th.start()
got, broke = [], None
end = time.monotonic() + 60
while time.monotonic() < end and len(got) < 5:
    try:
        got.append(ws.recv()["frame"])
    except socket.timeout:
        with timed_out:
            timeouts += 1
            timed_out.notify_all()
    except Exception as e:  # noqa: BLE001 (the failure this test is about)
        broke = repr(e)
        break
with timed_out:
    reading[0] = False
    timed_out.notify_all()
th.join(60)
rep.check(cuts == [True] * 3, "the reader timed out in the middle of each cut frame", repr(cuts))
rep.check(got == ["1", "2", "3", "4", "5"] and broke is None,
          "a timeout in the middle of a frame (7-bit, 16-bit length, a fragmented message) loses nothing",
          "got %r, %d timeouts, %s" % (got, timeouts, broke))
a.close()
b.close()
sys.exit(rep.done())

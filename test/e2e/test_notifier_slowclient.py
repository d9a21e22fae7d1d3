#!/usr/bin/python3
"""test_notifier_slowclient - a /live client that stops reading is dropped
once its queue (notifier.client_queue) is full, with a log line, while
results keep being committed and acked and a reading client keeps
getting every push."""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from lib import wait_until  # noqa: E402
from notifier_env import WS, Cases, Notifier  # noqa: E402

N = 1500
t = Cases()
n = None
try:
    n = Notifier(extra=["--set", "notifier.client_queue=8"], check_api=True).start()
    slow = WS(n.http_port)
    slow.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # and never read again
    good = WS(n.http_port, timeout=30)
    t.eq(good.recv().get("type"), "hello", "reading client gets hello")
    w = gwmsg.connect(n.sock)
    w.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    acked = 0
    got = 0
    persons = [dict(verdict="DENY", reason="no_mask", mask="mask_off", mask_score=0.9,
                    body=(1, 2, 3, 4, 0.5), face=(5, 6, 7, 8, 0.5), track=i) for i in range(16)]
    for i in range(N):
        fid = gwmsg.frame_id()
        w.send(gwmsg.result("gate1", fid, persons))
        m = gwmsg.recv(w, 30)
        if m and m[0] == gwmsg.RESULT_ACK and m[1]["frame"] == fid:
            acked += 1
        # The reading client takes each push before the next result goes
        # out, so it never lags; the other one never reads.
        if good is not None:
            try:
                got += good.recv_type("result", timeout=30).get("frame") == fid
            except (TimeoutError, ConnectionError, OSError) as e:
                print("# reading client lost at result %d: %s" % (i, e), flush=True)
                good = None
    t.eq(acked, N, "every result acked while a client lags")
    wait_until(lambda: "fell 8 messages behind" in n.log_text(), 60, 0.1)
    t.check("fell 8 messages behind: dropped" in n.log_text(), "the lagging client is dropped with a log line")
    t.eq(got, N, "the reading client got every result, in order")
    # the log line comes when the client is dropped, its connection is
    # counted out when it has closed: wait (bounded) for that
    wait_until(lambda: n.get_json("/api/health")[1].get("live_clients") == 1, 60, 0.2)
    st, h = n.get_json("/api/health")
    t.eq(h.get("live_clients"), 1, "the lagging client's connection is closed, the reading one stays")
    w.close()
    slow.close()
    if good is not None:
        good.close()
except Exception as e:  # a crash of the test is a failure, with its reason
    t.crashed(e)
finally:
    t.finish(n, log_lines=lambda line: "committed as" not in line)
sys.exit(t.done())

#!/usr/bin/python3
"""test_durability - every RESULT_ACK the notifier sends follows a durable
commit (issue 11): the notifier runs under strace, a worker sends results
with new track events, and in the trace, between receiving each RESULT and
sending its ACK on that worker's socket, there is an fsync/fdatasync of the
database's WAL. With synchronous=NORMAL (WAL mode) commits are not synced
and a power loss could drop a result the worker had been told to forget.

Env: GW_ROOT, BIN. Prints "ok - ..." / "not ok - ...: why"."""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from lib import Report  # noqa: E402
from notifier_env import Notifier  # noqa: E402

rep = Report()
N = 6
LINE = re.compile(r"^(\d+)\s+(\w+)\((\d+)<([^>]*)>.*=\s*(-?\d+)")


def main():
    if shutil.which("strace") is None:
        rep.check(False, "strace is installed", "apt-get install strace (deploy/install-deps.sh)")
        return 1
    n = Notifier()
    trace = os.path.join(n.tmp, "notifier.trace")
    n.args = ["strace", "-f", "-y", "-qq", "-o", trace, "-e",
              "trace=fsync,fdatasync,sync_file_range,sendmsg,sendto,recvmsg,recvfrom"] + n.args
    acks = 0
    try:
        n.start(timeout=30)
        w = gwmsg.connect(n.sock)
        w.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
        base = int(time.time() * 1e6) - 10**6
        for i in range(N):
            fid = gwmsg.frame_id()
            w.send(gwmsg.result("gate1", fid, [dict(track=base + i)],
                                events=[dict(track=base + i, kind="new", seq=1, first_seen_us=base)]))
            while True:
                m = gwmsg.recv(w, 10)
                if m is None or (m[0] == gwmsg.RESULT_ACK and m[1]["frame"] == fid):
                    break
            acks += m is not None
        w.close()
    except Exception as e:
        rep.check(False, "the notifier runs under strace and acks results", repr(e))
    finally:
        n.stop()
    rep.check(acks == N, "%d results acked" % N, "%d acks" % acks)
    # one syscall per line: pid name(fd<path>, ...) = ret
    events = []
    for line in open(trace, errors="replace"):
        m = LINE.match(line)
        if m:
            events.append((m.group(2), m.group(3) + "<" + m.group(4) + ">", int(m.group(5))))
    size = gwmsg.HDR.size + gwmsg.RESULT_SIZE
    wfds = {fd for name, fd, ret in events if name in ("recvmsg", "recvfrom") and ret == size}
    rep.check(len(wfds) == 1, "the worker's socket is found in the trace", repr(wfds))
    ok = checked = 0
    synced = False
    pending = False
    for name, fd, ret in events:
        if fd in wfds and name in ("recvmsg", "recvfrom") and ret == size:
            pending, synced = True, False
        elif name in ("fsync", "fdatasync", "sync_file_range") and "gatewatch.db" in fd and ret == 0:
            synced = True
        elif fd in wfds and name in ("sendmsg", "sendto") and pending and ret > 0:
            checked += 1
            ok += synced
            pending = False
    rep.check(checked == N and ok == N, "every RESULT_ACK is sent after an fsync of the database (synchronous=FULL)",
              "%d of %d acks followed a sync" % (ok, checked))
    if rep.failed:
        print("# trace kept in %s" % trace)
    else:
        shutil.rmtree(n.tmp, ignore_errors=True)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

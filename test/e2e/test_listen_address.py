#!/usr/bin/python3
"""test_listen_address - the notifier honours listen.address exactly, as
ingest does (common/netlisten.c; ingest is checked in
test_ingest_limits.py): 127.0.0.1 is 127.0.0.1 only, never [::] (lws 4.1
bound every interface); ::1 is IPv6 loopback only; a port in use is a
clear error, exit non-zero. Checked with `ss -ltn`.

Env: GW_ROOT, BIN. Prints "ok - ..." / "not ok - ...: why"."""
import os
import socket
import subprocess
import sys
import time

from lib import Report
from notifier_env import Notifier

rep = Report()


def listeners(port):
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True, text=True).stdout
    return sorted(l.split()[3] for l in out.splitlines() if l.strip())


def main():
    n = Notifier(extra=["--set", "listen.address=127.0.0.1"])
    try:
        n.start()
        got = listeners(n.http_port)
        rep.check(got == ["127.0.0.1:%d" % n.http_port], "listen.address=127.0.0.1: notifier on 127.0.0.1 only (ss -ltn)",
                  repr(got))
    except Exception as e:
        rep.check(False, "notifier starts on 127.0.0.1", repr(e))
    finally:
        n.stop()
    has6 = socket.has_ipv6 and os.path.exists("/proc/net/if_inet6") and open("/proc/net/if_inet6").read().strip()
    if has6:
        n = Notifier(extra=["--set", "listen.address=::1"])
        try:
            n.proc = subprocess.Popen(n.args, stdout=open(n.log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
            n.logf = open(n.log, "ab")
            ok = False
            end = time.monotonic() + 60   # bounded (the ASan build on a loaded machine): as Notifier.start
            while time.monotonic() < end:
                if listeners(n.http_port):
                    ok = True
                    break
                if n.proc.poll() is not None:
                    break
                time.sleep(0.1)
            got = listeners(n.http_port)
            rep.check(ok and got == ["[::1]:%d" % n.http_port], "listen.address=::1: notifier on [::1] only",
                      "%r %s" % (got, n.log_text()[-500:]))
        finally:
            n.stop()
    else:
        rep.ok("listen.address=::1 # SKIP: no IPv6 on this machine")
    # a port in use: clear message, non-zero exit
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    n = Notifier(extra=["--set", "listen.address=127.0.0.1", "--set", "http.port=%d" % port])
    try:
        r = subprocess.run(n.args, capture_output=True, text=True, timeout=30)
        msg = r.stdout + r.stderr
        rep.check(r.returncode != 0 and "127.0.0.1:%d" % port in msg and "in use" in msg,
                  "a port in use: the notifier says so and exits", "rc %d: %s" % (r.returncode, msg[-400:]))
    except subprocess.TimeoutExpired:
        rep.check(False, "a port in use: the notifier says so and exits", "still running after 30 s")
    finally:
        s.close()
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

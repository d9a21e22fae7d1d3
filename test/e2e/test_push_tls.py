#!/usr/bin/python3
"""test_push_tls - the README's headless gate over wss://: a real
gatewatch-ingest with tls.cert/tls.key (a throwaway self-signed
certificate for 127.0.0.1) and `gatewatch push`. Without a way to trust the
certificate push refuses and says how (--cacert); with --cacert naming the
certificate, or with --insecure, the frame is answered; a wrong --cacert is
refused; bad --cacert uses are usage errors.

Env: GW_ROOT (repo root), BIN (default bin), MODELS (default models/out)."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import MODELS, Report, built, free_port, kill_spawned, spawn  # noqa: E402
from test_ingest_push import GW, INGEST, push  # noqa: E402

PERSON = "/usr/share/darknet/data/person.jpg"
rep = Report()


def certificate(tmp, name):
    key, cert = os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".crt")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=gatewatch", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], capture_output=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl req: " + r.stderr.decode(errors="replace")[-300:])
    return key, cert


def cases(tmp, port, cert, other):
    url = "wss://127.0.0.1:%d/" % port
    cam = ["--url", url, "--camera", "gate1", "--token", "tok-tls-1234"]
    rc, lines, err = push(cam + [PERSON])
    rep.check(rc == 1 and "--cacert" in err, "an untrusted certificate: push exits 1 and names --cacert",
              "rc %d %r" % (rc, err[-300:]))
    for label, extra in (("--cacert with the server's certificate", ["--cacert", cert]),
                         ("--insecure", ["--insecure"])):
        rc, lines, err = push(cam + extra + [PERSON])
        a = [m for m in lines if m.get("type") == "answer"]
        rep.check(rc == 0 and len(a) == 1 and a[0].get("status") in ("accepted", "busy"),
                  label + ": the frame is answered over wss", "rc %d %r %r" % (rc, a, err[-300:]))
    rc, lines, err = push(cam + ["--cacert", other, PERSON])
    rep.check(rc == 1 and not [m for m in lines if m.get("type") == "answer"],
              "--cacert with another certificate is refused", "rc %d %r" % (rc, err[-300:]))
    rc, lines, err = push(cam + ["--cacert", os.path.join(tmp, "absent.crt"), PERSON])
    rep.check(rc == 2 and "absent.crt" in err, "a --cacert file that cannot be read is a usage error",
              "rc %d %r" % (rc, err[-300:]))
    rc, lines, err = push(["--url", "ws://127.0.0.1:%d/" % port, "--camera", "gate1", "--token", "x",
                           "--cacert", cert, PERSON])
    rep.check(rc == 2 and "wss://" in err, "--cacert with a ws:// URL is a usage error", "rc %d %r" % (rc, err[-300:]))


def main():
    if not built(rep, GW, INGEST):
        return 1
    tmp = tempfile.mkdtemp(prefix="gw-push-tls-")
    proc = None
    try:
        key, cert = certificate(tmp, "server")
        _, other = certificate(tmp, "other")
        port = free_port()
        conf = os.path.join(tmp, "gatewatch.conf")
        with open(conf, "w") as f:
            f.write("dir = %s\nmodels.dir = %s\nlisten.address = 127.0.0.1\ningest.port = %d\nhttp.port = %d\n"
                    "tls.cert = %s\ntls.key = %s\nspool.min_free_mb = 0\ncamera.gate1.token = tok-tls-1234\n"
                    % (tmp, MODELS, port, free_port(), cert, key))
        proc = spawn([INGEST, "-c", conf], os.path.join(tmp, "ingest.log"))
        deadline = time.monotonic() + 120   # it listens once its person model is loaded (a loaded machine)
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        if rep.check(proc.poll() is None and time.monotonic() < deadline, "ingest serves wss://"):
            cases(tmp, port, cert, other)
    except Exception as e:  # a crash of the test is a failure, with its reason
        rep.crashed(e)
    finally:
        if proc:
            kill_spawned(proc, rep, tail=30)
        shutil.rmtree(tmp, ignore_errors=True)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

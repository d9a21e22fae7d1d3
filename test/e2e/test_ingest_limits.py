#!/usr/bin/python3
"""test_ingest_limits - what a stranger on the camera port can and cannot
do to gatewatch-ingest (issue 11): the exact listen address (ss -ltn);
hello within ingest.hello_timeout_ms or a close; connections without hello
capped per address and in all; nothing a stranger sends is buffered
(memory stays flat); control characters and \\u0000 in camera ids and
tokens refused; wrong tokens slowed per address; at the file limit
(prlimit --nofile=64) accepting pauses with a bounded number of log
lines, and ingest recovers. Peers are told apart by loopback source
address (127.0.0.2, ...).

Env: GW_ROOT, BIN, MODELS. Prints "ok - ..." / "not ok - ...: why"."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from lib import Report, free_port, wait_until
from wsclient import WS, WSClosed

ROOT = os.environ.get("GW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("BIN", "bin"))
MODELS = os.path.join(ROOT, os.environ.get("MODELS", "models/out"))
NOBODY = "/usr/share/darknet/data/eagle.jpg"

rep = Report()
HELLO_MS = 10000   # ingest.hello_timeout_ms of the first ingest


def start(tmp, name, extra="", prefix=()):
    port = free_port()
    os.makedirs(os.path.join(tmp, name, "run"), exist_ok=True)
    conf = os.path.join(tmp, name, "gatewatch.conf")
    with open(conf, "w") as f:
        f.write("dir = %s\nmodels.dir = %s\nlisten.address = 127.0.0.1\ningest.port = %d\nhttp.port = %d\n"
                "ingest.max_bytes = 2M\ningest.threads = 1\ningest.motion_threshold = 0\nspool.min_free_mb = 0\n"
                "camera.gate1.token = tok-one-1234\ncamera.gate2.token = tok-two-1234\n%s"
                % (os.path.join(tmp, name), MODELS, port, free_port(), extra))
    log = os.path.join(tmp, name, "ingest.log")
    proc = subprocess.Popen(list(prefix) + [os.path.join(BIN, "gatewatch-ingest"), "-c", conf],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    up = wait_until(lambda: proc.poll() is not None or _connects(port), 60, 0.1)
    if proc.poll() is not None or not up:
        raise IOError("%s did not start: %s" % (name, open(log).read()[-2000:]))
    return proc, port, log


def _connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def closed_with(w, what, code, word):
    """Expect an error message, then a close frame with code and word in its reason."""
    try:
        m = w.recv()
        if m.get("type") != "error":
            return rep.check(False, what, "first message %r" % m)
        m2 = w.recv()
        return rep.check(False, what, "not closed: %r %r" % (m, m2))
    except WSClosed as e:
        return rep.check(e.code == code and word in e.reason, what, "code %r reason %r" % (e.code, e.reason))
    except OSError as e:
        return rep.check(False, what, repr(e))
    finally:
        w.close()


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def serves(port, what, source=None):
    try:
        # generous: the person detector answers slowly under ASan on a busy machine
        w = WS(port, source=source, timeout=90)
        m = w.hello("gate2", "tok-two-1234")
        w.send_binary(open(NOBODY, "rb").read())
        a = w.recv_type("answer")
        w.close()
        return rep.check(m.get("type") == "welcome" and a.get("status") in ("no_person", "accepted"),
                         what, "got %r %r" % (m, a))
    except Exception as e:
        return rep.check(False, what, repr(e))


def listeners(port):
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True, text=True).stdout
    return sorted(l.split()[3] for l in out.splitlines() if l.strip())


def cases(tmp):
    # hello_timeout_ms: the 13 strangers below must all be connected before
    # the first is timed out (at 1500 ms a loaded machine did not make it,
    # and the 9th and 13th were let in because the first had gone)
    proc, port, log = start(tmp, "a", "ingest.hello_timeout_ms = %d\ningest.prehello_max = 12\n"
                                      "ingest.prehello_per_address = 8\n" % HELLO_MS)
    try:
        # bind: exactly the configured address, no [::] or 0.0.0.0
        got = listeners(port)
        rep.check(got == ["127.0.0.1:%d" % port], "ingest listens on exactly listen.address (ss -ltn)", repr(got))

        # caps on connections without hello: 8 per address, 12 in all
        strangers = [WS(port, timeout=HELLO_MS / 1000 + 60) for _ in range(8)]
        closed_with(WS(port, timeout=60), "9th connection without hello from one address is closed (4029)",
                    4029, "from this address")
        strangers += [WS(port, timeout=HELLO_MS / 1000 + 60, source="127.0.0.2") for _ in range(4)]
        closed_with(WS(port, timeout=60, source="127.0.0.3"), "13th connection without hello in all is closed (4029)",
                    4029, "too many connections without hello")
        # idle strangers are closed once hello_timeout_ms passes
        for i, w in enumerate(strangers):
            try:
                m = w.recv()
                ok = m == {"type": "error", "error": "timeout", "reason": "no hello within %d ms" % HELLO_MS}
                try:
                    w.recv()
                    ok = False
                except WSClosed as e:
                    ok = ok and e.code == 4008
            except (WSClosed, OSError) as e:
                ok, m = False, e
            if not ok:
                rep.check(False, "connections without hello closed after hello_timeout_ms (error timeout, 4008)",
                          "connection %d: %r" % (i, m))
                break
            w.close()
        else:
            rep.check(True, "connections without hello closed after hello_timeout_ms (error timeout, 4008)")
        # a bare TCP connection that never completes the handshake goes too
        s = socket.create_connection(("127.0.0.1", port), timeout=HELLO_MS / 1000 + 60)
        try:
            d = s.recv(100)
        except socket.timeout:
            d = "still open after %d s" % (HELLO_MS / 1000 + 60)
        except OSError:
            d = b""
        rep.check(d == b"", "a silent TCP connection is closed", "got %r" % d)
        s.close()
        serves(port, "cameras connect once the strangers are gone")

        # pre-hello memory: binary data before hello is not kept
        before = rss_kb(proc.pid)
        held = []
        blob = os.urandom(1500 * 1024)
        for i in range(8):
            w = WS(port, timeout=10, source="127.0.0.6")
            # a binary message of 1.5 MB, never finished
            try:
                w.s.sendall(w.frame_bytes(0x2, blob, fin=False))
            except OSError:
                pass
            held.append(w)
        # ingest logs each refusal when the binary message's first piece
        # comes in: waited for, then the memory it did not keep
        refused = wait_until(lambda: open(log).read().count("peer=127.0.0.6 closed: binary frame before hello")
                             >= len(held), 60, 0.1)
        grown = rss_kb(proc.pid) - before
        rep.check(refused and grown < 4096, "8 strangers sending 1.5 MB each before hello: each refused (logged), "
                  "ingest grows < 4 MB", "refused %s, grew %d kB" % (refused, grown))
        for w in held:
            w.close()

        # control characters / NUL in camera id or token, from their own address
        for what, hello in (
                ("\\u0000 in camera id", '{"type":"hello","camera":"gate1\\u0000x","token":"tok-one-1234"}'),
                ("\\u0000 in token", '{"type":"hello","camera":"gate1","token":"tok-one-1234\\u0000junk"}'),
                ("control character in camera id", '{"type":"hello","camera":"gate1\\u0001","token":"tok-one-1234"}'),
                ("control character in token", '{"type":"hello","camera":"gate1","token":"tok-one-1234\\n"}')):
            w = WS(port, timeout=10, source="127.0.0.5")
            w.send_text(hello)
            closed_with(w, what + " is refused and the connection closed", 4002, "")
        # camera id or token that is not UTF-8: a clear error (itself UTF-8), the connection closed,
        # no byte of it in the answer or the log, and the other cameras still served
        for what, hello in (
                ("a camera id that is not UTF-8", b'{"type":"hello","camera":"gate1\xff\xfe","token":"tok-one-1234"}'),
                ("a token that is not UTF-8", b'{"type":"hello","camera":"gate1","token":"tok-one-\xc3\x28"}')):
            w = WS(port, timeout=10, source="127.0.0.8")
            w.send_frame(0x1, hello)
            try:
                m = w.recv()    # decodes strictly: an echoed byte that is not UTF-8 would raise
                rep.check(m.get("type") == "error" and "UTF-8" in m.get("reason", ""),
                          what + " -> an error naming UTF-8", repr(m))
            except Exception as e:
                rep.check(False, what + " -> an error naming UTF-8", repr(e))
            closed_with(w, what + " -> the connection is closed", 4002, "UTF-8")
        log_bytes = open(log, "rb").read()
        rep.check(b"\xff\xfe" not in log_bytes and b"\xc3\x28" not in log_bytes,
                  "bytes that are not UTF-8 are not written to the log", "found in the log")
        serves(port, "other cameras are served after hellos that are not UTF-8")
        log_text = open(log).read()
        rep.check("camera=gate1 peer=127.0.0.5 connected" not in log_text, "no camera connected with a tampered id",
                  "log shows a connection from 127.0.0.5")

        # wrong tokens are slowed per address: 5 free tries, then backoff.
        # The backoff after the 5th failure is 1 s: the 7 tries after it and
        # the right token must come within that second. When they did not
        # (a loaded machine) and the backoff rightly ended, that round shows
        # nothing: it is tried again from a fresh address, at most 3 times.
        for src in ("127.0.0.4", "127.0.0.9", "127.0.0.10"):
            answers = []
            for i in range(12):
                if i == 4:
                    t5 = time.monotonic()   # before the 5th failure
                w = WS(port, timeout=10, source=src)
                m = w.hello("gate1", "guess-%d" % i)
                answers.append(m.get("reason", ""))
                w.close()
            w = WS(port, timeout=10, source=src)
            m = w.hello("gate1", "tok-one-1234")
            w.close()
            quick = time.monotonic() - t5 < 1.0
            tried = sum(1 for a in answers if a == "unknown camera or wrong token")
            slowed = [a for a in answers if a.startswith("too many failed hellos")]
            right = (tried == 5 and len(slowed) == 7, m.get("reason", "").startswith("too many failed hellos"))
            if all(right) or quick:
                break
            print("# backoff round from %s took %.1f s after the 5th failure (> 1 s): again" % (src, time.monotonic() - t5))
        rep.check(right[0], "12 quick wrong tokens from one address: 5 checked, 7 refused unread",
                  repr(answers) + ("" if quick else " (never within the 1 s backoff in 3 rounds)"))
        rep.check(right[1], "during backoff even the right token waits", repr(m))
        serves(port, "other addresses are not slowed", source="127.0.0.7")
        wait_ms = int(m.get("reason", "0 ms").split("retry in ")[-1].split()[0]) if "retry in" in m.get("reason", "") else 0
        time.sleep(min(wait_ms, 5000) / 1000.0 + 0.2)
        w = WS(port, timeout=10, source=src)
        m = w.hello("gate1", "tok-one-1234")
        w.close()
        rep.check(m.get("type") == "welcome", "after the backoff the right token is welcome", repr(m))
    finally:
        stop(proc)

    # the file limit: 64 descriptors, 150 connections that never speak
    proc, port, log = start(tmp, "b", "ingest.hello_timeout_ms = 2000\ningest.prehello_max = 1000\n"
                                      "ingest.prehello_per_address = 1000\n", prefix=("prlimit", "--nofile=64"))
    try:
        flood = []
        for i in range(150):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            flood.append(s)
        # the first pause is logged once ingest has taken up its 64
        # descriptors (a loaded machine took longer than the 3 s once
        # slept here); then at least 3 s of the flood as before
        t0 = time.monotonic()
        wait_until(lambda: "not accepting connections" in open(log).read(), 60, 0.1)
        time.sleep(max(0.0, 3 - (time.monotonic() - t0)))
        alive = proc.poll() is None
        text = open(log).read()
        lines = text.count("\n")
        notes = text.count("not accepting connections")
        rep.check(alive, "ingest survives 150 connections at a 64-descriptor limit", "exit %r" % proc.returncode)
        rep.check(1 <= notes <= 2 and lines < 60,
                  "at the file limit accepting pauses, logged once per interval (not per attempt)",
                  "%d pause lines, %d lines in all" % (notes, lines))
        for s in flood:
            s.close()
        ok = wait_until(lambda: _welcome(port), 30, 0.5)
        rep.check(ok, "after the flood a camera connects again", "no welcome within 30 s")
        if rep.failed:
            sys.stdout.write("".join("# " + l for l in text.splitlines(True)[-15:]))
    finally:
        stop(proc)


def _welcome(port):
    try:
        w = WS(port, timeout=5)
        m = w.hello("gate1", "tok-one-1234")
        w.close()
        return m.get("type") == "welcome"
    except Exception:
        return False


def main():
    if not os.access(os.path.join(BIN, "gatewatch-ingest"), os.X_OK):
        rep.check(False, "gatewatch-ingest exists", "not built")
        return 1
    tmp = tempfile.mkdtemp(prefix="gw-limits-")
    try:
        cases(tmp)
    except Exception as e:
        rep.check(False, "ingest limits suite ran", repr(e))
    finally:
        art = os.environ.get("GW_TEST_ARTIFACTS")
        if art:
            os.makedirs(art, exist_ok=True)
            for n in ("a", "b"):
                p = os.path.join(tmp, n, "ingest.log")
                if os.path.exists(p):
                    with open(os.path.join(art, "ingest-limits-%s.log" % n), "w") as f:
                        f.write(open(p).read())
        subprocess.call(["rm", "-rf", tmp])
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

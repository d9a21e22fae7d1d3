#!/usr/bin/python3
"""test_cli_events - `gatewatch events` against a real notifier's database
(fed over run/notifier.sock with gwmsg): every stored track event once,
oldest first, with camera, track_id, seq, kind, verdict, reason, time and
the stored event item; --camera, --limit (the newest N, oldest first),
--follow printing rows committed later and exiting 0 on SIGTERM; the
database opened read-only; clear errors for a missing database and a bad
--limit."""
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from lib import json_lines  # noqa: E402
from notifier_env import ROOT, BIN, Cases, Notifier  # noqa: E402

GATEWATCH = os.path.join(BIN if os.path.isabs(BIN) else os.path.join(ROOT, BIN), "gatewatch")
t = Cases()
n = None
follow = None


def cli(*args):
    r = subprocess.run([GATEWATCH, "events"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    return r.returncode, json_lines(r.stdout.decode(errors="replace")), r.stderr.decode(errors="replace")


def key(e):
    return (e.get("camera"), e.get("track_id"), e.get("seq"), e.get("kind"), e.get("verdict"), e.get("reason"),
            e.get("at_us"))


def feed(sock, cam, events):
    fid = gwmsg.frame_id()
    sock.send(gwmsg.result(cam, fid, [], events=events))
    return gwmsg.recv(sock) == (gwmsg.RESULT_ACK, {"camera": cam, "frame": fid})


try:
    rc, lines, err = cli("--dir", tempfile.mkdtemp(prefix="gw-events-none-"))
    t.check(rc == 1 and "no database" in err and not lines, "no database: exit 1 with a clear message",
            "rc=%d %r" % (rc, err))
    rc, lines, err = cli("--dir", "/tmp", "--limit", "x")
    t.check(rc == 2 and "--limit" in err, "bad --limit: exit 2 naming it", "rc=%d %r" % (rc, err))

    n = Notifier(check_api=True).start()
    path = os.path.join(n.dir, "gatewatch.db")
    base = int(time.time() * 1e6)
    T = [base + i for i in range(1, 5)]
    g = gwmsg.connect(n.sock)
    g.send(gwmsg.hello(gwmsg.ROLE_WORKER, "gate1"))
    h = gwmsg.connect(n.sock)
    h.send(gwmsg.hello(gwmsg.ROLE_WORKER, "hall"))
    ok = feed(g, "gate1", [dict(track=T[0], kind="new", seq=1),
                           dict(track=T[0], kind="changed", seq=2, verdict="PASS", mask="mask_on", decision=True)])
    ok = feed(h, "hall", [dict(track=T[1], kind="new", seq=1),
                          dict(track=T[1], kind="changed", seq=2, verdict="DENY", reason="no_mask",
                               mask="mask_off", decision=True),
                          dict(track=T[1], kind="alert", seq=3, verdict="DENY", reason="no_mask",
                               mask="mask_off")]) and ok
    ok = feed(g, "gate1", [dict(track=T[0], kind="ended", seq=3, verdict="PASS", mask="mask_on"),
                           dict(track=T[2], kind="new", seq=1)]) and ok
    t.check(ok, "seven events fed and acked")

    def stored(cam=None):
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            q = "SELECT camera, track_id, seq, kind, verdict, reason, at_us FROM track_events"
            rows = con.execute(q + (" WHERE camera = ?" if cam else "") + " ORDER BY id",
                               (cam,) if cam else ()).fetchall()
        finally:
            con.close()
        return [tuple(r) for r in rows]

    want = stored()
    rc, lines, err = cli("--dir", n.dir)
    t.check(rc == 0 and len(want) == 7 and [key(e) for e in lines] == want,
            "every stored track event printed exactly once, oldest first", "rc=%d %s / %s %s" % (
                rc, [key(e) for e in lines], want, err))
    first = lines[0] if lines else {}
    t.check(isinstance(first.get("event"), dict) and first["event"].get("track") == T[0] and
            first["event"].get("kind") == "new" and first.get("at", "").endswith("Z") and "id" in first and
            first.get("decision") is False and first.get("frame"),
            "a line: id, camera, track_id, seq, kind, verdict, reason, decision, at_us, at, frame, event",
            repr(first)[:400])
    t.check(any(e.get("track_id") == T[0] and e.get("decision") is True and e.get("verdict") == "PASS" for e in lines),
            "the gate decision is marked", repr(lines)[:300])
    t.check(all(e.get("track_id") == e.get("event", {}).get("track") for e in lines),
            "64-bit track ids printed in full", repr([e.get("track_id") for e in lines]))
    rc, lines, _ = cli("--dir", n.dir, "--camera", "hall")
    t.eq([key(e) for e in lines], stored("hall"), "--camera hall: only the hall's events")
    rc, lines, err = cli("--dir", n.dir, "--camera", "hal")
    t.check(rc == 0 and not lines and "no events of camera hal" in err,
            "--camera with no events (a typo): nothing printed, and stderr says so", "rc=%d %r" % (rc, err))
    rc, lines, _ = cli("--dir", n.dir, "--limit", "2")
    t.eq([key(e) for e in lines], want[-2:], "--limit 2: the newest two, oldest first")
    rc, lines, _ = cli("--dir", n.dir, "--limit", "2", "--camera", "hall")
    t.eq([key(e) for e in lines], stored("hall")[-2:], "--limit with --camera")
    rc, lines, _ = cli("--dir", n.dir, "--camera", "nosuch")
    t.check(rc == 0 and lines == [], "an unknown camera prints nothing", repr(lines))

    # --follow: what is committed later shows up; SIGTERM ends it with 0.
    follow = subprocess.Popen([GATEWATCH, "events", "--dir", n.dir, "--follow", "--limit", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    got = []
    buf = b""

    def read_lines(count, timeout):
        global buf
        end = time.time() + timeout
        while len(got) < count and time.time() < end:
            r, _, _ = select.select([follow.stdout], [], [], max(0.05, end - time.time()))
            if not r:
                continue
            d = os.read(follow.stdout.fileno(), 65536)
            if not d:
                break
            buf += d
            while b"\n" in buf:
                ln, buf = buf.split(b"\n", 1)
                got.append(json.loads(ln))

    read_lines(1, 60)
    t.eq([key(e) for e in got], want[-1:], "--follow --limit 1 starts with the newest event")
    ok = feed(h, "hall", [dict(track=T[1], kind="ended", seq=4, verdict="DENY", reason="no_mask", mask="mask_off")])
    ok = feed(g, "gate1", [dict(track=T[3], kind="new", seq=1)]) and ok
    read_lines(3, 60)
    t.check(ok and [key(e) for e in got] == stored()[-3:], "--follow prints events committed later, once each",
            "%s vs %s" % ([key(e) for e in got], stored()[-3:]))
    follow.send_signal(signal.SIGTERM)
    try:
        rc = follow.wait(60)
    except subprocess.TimeoutExpired:
        rc = None
    t.eq(rc, 0, "--follow exits 0 on SIGTERM")
    follow = None

    # Read-only: the CLI never writes (the notifier is the one writer).
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
    ver = con.execute("PRAGMA data_version").fetchone()[0]
    cnt = con.execute("SELECT count(*) FROM track_events").fetchone()[0]
    cli("--dir", n.dir)
    t.check(con.execute("PRAGMA data_version").fetchone()[0] == ver and
            con.execute("SELECT count(*) FROM track_events").fetchone()[0] == cnt,
            "gatewatch events changes nothing in the database")
    con.close()
    g.close()
    h.close()
except Exception as e:  # a crash of the test is a failure, with its reason
    t.crashed(e)
finally:
    if follow is not None:
        os.killpg(follow.pid, signal.SIGKILL)
        follow.wait(5)
    t.finish(n)
sys.exit(t.done())

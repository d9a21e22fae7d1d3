#!/usr/bin/python3
"""test_up_lifecycle - `gatewatch up` as a user runs it (issue 11):
files under DIR are not readable by others (umask 027; the config 0600);
a second `up` on the same DIR refuses and names the pid that runs there;
a clean stop (SIGTERM) stops ingest, then the dispatcher (its workers
send their last events), then the notifier, so nothing is lost and no
person is left open (the notifier ends those a stopped worker handed on); kill -9 of
`up` leaves no gatewatch process behind and a new `up` starts; under a
parent on a terminal (`make run`), the terminal's Ctrl-C stops everything.

Env: GW_ROOT, BIN, MODELS. Prints "ok - ..." / "not ok - ...: why"."""
import os
import pty
import select
import shlex
import signal
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Gatewatch, Report, wait_until  # noqa: E402

PERSON = "/usr/share/darknet/data/person.jpg"
rep = Report()


def ours(gw):
    """Pids of gatewatch programs that belong to this instance."""
    return [pid for pid, _ in gw.processes()]


def modes(gw):
    bad = []
    for root, dirs, files in os.walk(gw.dir):
        for n in dirs + files:
            p = os.path.join(root, n)
            if p in (gw.conf, gw.out_path):   # made by this test, not by gatewatch
                continue
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                continue
            if st.st_mode & 0o007:
                bad.append("%s %o" % (os.path.relpath(p, gw.dir), st.st_mode & 0o777))
    return bad


def up_args(gw):
    return [gw.bin(), "up", "--dir", gw.dir, "-c", gw.conf, "--http-port", str(gw.http_port),
            "--ingest-port", str(gw.ingest_port), "--listen", "127.0.0.1"]


def ctrl_c_under_parent(gw):
    """`make run`: up is the child of another program in the terminal's
    foreground group; the terminal's Ctrl-C (SIGINT to that group) must
    reach up and stop everything. Returns (stopped, why)."""
    pid, fd = pty.fork()
    if pid == 0:   # sh stays the parent (a second command): up is not a group leader
        os.execv("/bin/sh", ["sh", "-c", " ".join(shlex.quote(a) for a in up_args(gw)) + "; exit $?"])
    out = b""
    try:
        end = time.monotonic() + 120
        while b"gatewatch up: ready" not in out and time.monotonic() < end:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    break
        if b"gatewatch up: ready" not in out:
            return False, "up never ready on the terminal: %r" % out[-300:]
        os.write(fd, b"\x03")
        end = time.monotonic() + 60   # bounded: the clean stop of three programs
        while ours(gw) and time.monotonic() < end:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    time.sleep(0.2)
        left = ours(gw)
        return not left, "still running 60 s after Ctrl-C: %r; terminal: %r" % (left, out[-300:])
    finally:
        for p in ours(gw):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)


def main():
    with Gatewatch("lifecycle", cameras=("cam1",), sets={"notifier.snapshot_keep_days": 1}) as gw:
        try:
            gw.start()
        except Exception as e:
            rep.check(False, "gatewatch up starts", repr(e))
            return rep.done()
        answers = gw.push("cam1", [PERSON] * 4)
        rep.check(any(a.get("status") == "accepted" for a in answers), "frames with a person are accepted",
                  repr(answers)[:300])
        tracked = wait_until(lambda: gw.db("SELECT count(*) FROM tracks")[0][0] if gw.db("SELECT 1") else 0, 120, 0.5)
        rep.check(tracked, "a track is stored", gw.log("worker")[-500:] if not tracked else "")

        # files: nothing for others; the config for the owner only
        bad = modes(gw)
        rep.check(not bad, "no file or directory under DIR is readable by others (umask 027)", ", ".join(bad[:12]))
        st = os.stat(os.path.join(gw.dir, "gatewatch.conf"))
        rep.check(st.st_mode & 0o777 == 0o600, "gatewatch.conf (camera tokens) is 0600", "%o" % (st.st_mode & 0o777))
        rep.check(os.path.exists(os.path.join(gw.dir, "gatewatch.db")), "the database exists (and was checked)",
                  "no gatewatch.db")

        # a second up on the same DIR
        try:
            r = subprocess.run(up_args(gw), capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
            msg = r.stdout + r.stderr
            rep.check(r.returncode != 0 and ("pid %d" % gw.proc.pid) in msg and "already running" in msg,
                      "a second up on the same DIR refuses and names the running pid", "rc %d: %s" % (r.returncode, msg[-300:]))
        except subprocess.TimeoutExpired:
            rep.check(False, "a second up on the same DIR refuses and names the running pid", "still running after 30 s")
        rep.check(gw.alive(), "the first up is still running", gw.output()[-300:])

        # clean stop: ingest -> dispatcher (workers end tracks) -> notifier
        os.kill(gw.proc.pid, signal.SIGTERM)
        try:
            gw.proc.wait(60)
        except subprocess.TimeoutExpired:
            pass
        rep.check(gw.proc.poll() == 0, "SIGTERM: up exits 0", "status %r" % gw.proc.poll())
        # A worker that stops leaves the people in view open for the next
        # worker (takeover, issue 9); the notifier, stopped last, ends those
        # of every camera whose worker is gone (peer_end_orphans). So a clean
        # stop of the whole system leaves no open track, and every track was
        # ended by an event that reached a notifier still running.
        open_tracks = gw.db("SELECT camera, track_id FROM tracks WHERE ended_us IS NULL")
        if not rep.check(tracked and not open_tracks, "a clean stop leaves no open track",
                         "open in the database %r (tracked before the stop: %r); up: %s"
                         % (open_tracks, tracked, gw.output()[-400:])):
            gw.failed = True   # keep the logs
        nlog = gw.log("notifier")
        rep.check("metrics.listen is empty" in nlog, "lib.py's config has no metrics listener (metrics.listen empty)",
                  nlog[-600:])
        closed_at = nlog.find("peer worker cam1")
        closed_at = nlog.find(": closed", closed_at) if closed_at >= 0 else -1
        stop_at = nlog.rfind("signal 15: stopping")
        rep.check(0 <= closed_at < stop_at, "the notifier outlives the worker's last events (stops after it)",
                  "worker closed at %d, notifier stopping at %d" % (closed_at, stop_at))
        out = gw.output()
        up_log = [l for l in out.splitlines() if " stopped" in l and "pid=" in l]
        names = [l.split(" pid=")[0].split()[-1] for l in up_log]
        rep.check(names[-3:] == ["ingest", "dispatcher", "notifier"], "stop order: ingest, dispatcher, notifier",
                  repr(up_log[-3:]))

        # kill -9 of up: its children go too, and a new up starts
        gw.proc = None
        open(gw.out_path, "w").close()   # start() waits for a new ready line
        gw.start()
        kids = ours(gw)
        rep.check(len(kids) >= 4, "up runs its three programs", repr(kids))
        os.kill(gw.proc.pid, signal.SIGKILL)
        gw.proc.wait(10)
        left = wait_until(lambda: not ours(gw), 40, 0.2)
        rep.check(left, "kill -9 of up leaves no gatewatch process behind", "still running: %r" % ours(gw))
        gw.proc = None
        open(gw.out_path, "w").close()
        try:
            gw.start()
            rep.check(True, "a new up starts on the same DIR")
        except Exception as e:
            rep.check(False, "a new up starts on the same DIR", repr(e))

        # make run: Ctrl-C on the terminal, up under a parent
        if gw.proc is not None:
            os.kill(gw.proc.pid, signal.SIGTERM)
            gw.proc.wait(60)
            gw.proc = None
        wait_until(lambda: not ours(gw), 40, 0.2)
        stopped, why = ctrl_c_under_parent(gw)
        rep.check(stopped, "under a parent on a terminal (make run), Ctrl-C stops up and its programs", why)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

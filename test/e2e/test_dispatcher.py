#!/usr/bin/python3
"""test_dispatcher - gatewatch-dispatcher with the real gatewatch-worker on a
temp spool: recovery at start, FRAME_READY from an ingest-role peer, frames
in id order, garbage peers dropped, a worker killed twice from outside
(SIGKILL) on one frame (the frame is analysed, not failed), a frame that
makes the worker crash twice (SIGSEGV, a test hook) moved to failed/ with
its reason, a gate camera's worker given the newest waiting frame (the
stale ones removed unanalysed, logged, counted) while an indoor camera's
gets every frame in order, also a gate camera known only to the database
(the cameras table, as the dashboard or the API make one), idle retirement after dispatcher.worker_idle_ms (longer than
the 2 s rescan), never two workers per camera, SIGTERM drain with exit 0.

The notifier side is this test (a SEQPACKET listener that acks RESULTs and
records QUEUE_STATUS), so it can hold one frame's ack to keep a worker busy.
Env: GW_ROOT, BIN (default bin), MODELS (default models/out).
Prints "ok - ..." / "not ok - ...: why" per case."""
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.environ.get("GW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
import gwmsg  # noqa: E402
from lib import Report, wait_until  # noqa: E402

BIN = os.path.join(ROOT, os.environ.get("BIN", "bin"))
MODELS = os.path.join(ROOT, os.environ.get("MODELS", "models/out"))
PERSON = "/usr/share/darknet/data/person.jpg"
rep = Report()


class Notifier:
    """Stands in for the notifier's socket: acks results (unless held)."""

    def __init__(self, path):
        self.results = []          # frame ids in arrival order, per (camera, frame)
        self.status = {}           # camera -> dict
        self.hold = set()
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(path)
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stop = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        c.settimeout(0.5)
        c.send(gwmsg.hello(gwmsg.ROLE_NOTIFIER))
        while not self.stop:
            try:
                d = c.recv(16384)
            except socket.timeout:
                continue
            except OSError:
                return
            if not d:
                return
            _, _, mtype, _, _ = gwmsg.HDR.unpack_from(d)
            body = d[gwmsg.HDR.size:]
            if mtype == gwmsg.RESULT:
                cam, fid = gwmsg.REF.unpack_from(body)
                cam, fid = gwmsg.unstr(cam), gwmsg.unstr(fid)
                with self.lock:
                    self.results.append((cam, fid))
                    held = fid in self.hold
                if not held:
                    c.send(gwmsg.pack(gwmsg.RESULT_ACK, gwmsg.REF.pack(gwmsg.cstr(cam, 32), gwmsg.cstr(fid, 24))))
            elif mtype == gwmsg.TAKEOVER:  # nobody to take over: just the end of the list
                c.send(gwmsg.pack(gwmsg.TRACK_STATE, gwmsg.TRACK_STATE_S.pack(
                    body[:32], 0, *([0] * 9), 0.0, 0.0, 0, 0, 0, *([0.0] * 10), b"")))
            elif mtype == gwmsg.QUEUE_STATUS:
                cam, depth, pid, nbytes, done, failed, crashes, skipped = gwmsg.QUEUE_S.unpack(body)
                with self.lock:
                    self.status[gwmsg.unstr(cam)] = {"depth": depth, "pid": pid, "done": done, "failed": failed,
                                                     "crashes": crashes, "skipped": skipped}

    def got(self, cam, fid):
        with self.lock:
            return self.results.count((cam, fid))

    def order(self, cam):
        with self.lock:
            return [f for c, f in self.results if c == cam]


def commit(d, cam, fid, data):
    """The spool's commit: tmp/, fsync, rename into queue/<cam>/, fsync dir."""
    tmp = os.path.join(d, "spool", "tmp", "%s.%s.jpg" % (cam, fid))
    qdir = os.path.join(d, "spool", "queue", cam)
    os.makedirs(os.path.dirname(tmp), exist_ok=True)
    os.makedirs(qdir, exist_ok=True)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, os.path.join(qdir, fid + ".jpg"))


def ready(conn, cam, fid):
    conn.send(gwmsg.pack(gwmsg.FRAME_READY, gwmsg.REF.pack(gwmsg.cstr(cam, 32), gwmsg.cstr(fid, 24))))


def main():
    d = tempfile.mkdtemp(prefix="gw-test-dispatcher.")
    logpath = os.path.join(d, "dispatcher.log")
    conf = os.path.join(d, "gw.conf")
    with open(conf, "w") as f:
        f.write('dir = "%s"\nmodels.dir = "%s"\nlog.level = info\n' % (d, MODELS))
        f.write("dispatcher.worker_idle_ms = 2500\ndispatcher.worker_backoff_ms = 200\n")
        f.write("dispatcher.worker_backoff_max_ms = 800\ndispatcher.max_crashes = 2\n")
        f.write("notifier.snapshot_keep_days = 0\n")
        # gate1/gate2 are not in the config (every frame in order); lane is
        # a gate camera, hall an indoor one (dispatcher.gate_latest = 1)
        f.write('dispatcher.gate_latest = 1\ncamera.lane.token = "tok-lane-0123456789"\n')
        f.write('camera.hall.token = "tok-hall-0123456789"\ncamera.hall.mode = indoor\n')
    # dbgate is in no config file: a gate camera an admin added through the
    # API, a row of gatewatch.db's cameras table only (common/camdb.c's schema)
    db = sqlite3.connect(os.path.join(d, "gatewatch.db"))
    db.execute("CREATE TABLE cameras (id TEXT PRIMARY KEY, name TEXT NOT NULL, mode TEXT NOT NULL"
               " CHECK (mode IN ('gate', 'indoor')), token_hash TEXT, seed TEXT, api_changed INTEGER NOT NULL"
               " DEFAULT 0, created_us INTEGER NOT NULL, changed_us INTEGER NOT NULL, removed_us INTEGER)")
    db.execute("INSERT INTO cameras (id, name, mode, token_hash, api_changed, created_us, changed_us)"
               " VALUES ('dbgate', 'Side door', 'gate', ?, 1, ?, ?)", ("0" * 64, int(time.time() * 1e6),
                                                                     int(time.time() * 1e6)))
    db.commit()
    db.close()
    exe = os.path.join(BIN, "gatewatch-dispatcher")
    img = open(PERSON, "rb").read()

    # A bad config (exit 2, nothing created) is checked for every daemon in test_help_version.py.

    if not rep.check(os.path.exists(os.path.join(MODELS, "face.weights")) and
                  os.path.exists(os.path.join(MODELS, "mask.weights")),
                  "models are built (%s)" % MODELS, "face/mask weights missing: run make models"):
        return

    # Spool state left by a crash: two queued frames, one claimed, one stale tmp file.
    t0 = int(time.time() * 1e6) - 10_000_000
    a0, a1, a2 = ["%016d-000" % (t0 + i) for i in range(3)]
    commit(d, "gate1", a2, img)
    commit(d, "gate1", a1, img)
    os.makedirs(os.path.join(d, "spool", "active", "gate1"))
    with open(os.path.join(d, "spool", "active", "gate1", a0 + ".jpg"), "wb") as f:
        f.write(img)
    stale = os.path.join(d, "spool", "tmp", "gate1.%016d-009.jpg" % t0)
    with open(stale, "wb") as f:
        f.write(b"half")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))  # a dead writer's, not one in progress
    os.makedirs(os.path.join(d, "run"), exist_ok=True)
    nt = Notifier(os.path.join(d, "run", "notifier.sock"))

    log = open(logpath, "wb")
    env = dict(os.environ, GATEWATCH_TEST_CRASH_SUFFIX="-777")  # worker test hook: crash on these frames
    p = subprocess.Popen([exe, "-c", conf], stdout=log, stderr=log, start_new_session=True, env=env)
    logtext = lambda: open(logpath, "rb").read().decode(errors="replace")
    try:
        rep.check(wait_until(lambda: "1 stale tmp file removed, 1 claimed frame requeued" in logtext(), 60),
               "recovery: stale tmp removed, claimed frame requeued", logtext()[-500:])
        rep.check(wait_until(lambda: len(nt.order("gate1")) >= 3, 120), "three recovered frames analysed",
               str(nt.order("gate1")))
        rep.check(nt.order("gate1")[:3] == [a0, a1, a2], "frames in id order, the recovered one first",
               str(nt.order("gate1")))
        rep.check(wait_until(lambda: not os.listdir(os.path.join(d, "spool", "queue", "gate1")) and
                        not os.listdir(os.path.join(d, "spool", "active", "gate1")), 60),
               "done frames leave the spool")

        # Second dispatcher on the same dir refuses to start.
        r = subprocess.run([exe, "-c", conf], capture_output=True, timeout=60)
        rep.check(r.returncode == 2 and b"another dispatcher" in r.stderr, "a second dispatcher exits 2",
               "%d %s" % (r.returncode, r.stderr[-300:]))

        sockpath = os.path.join(d, "run", "dispatcher.sock")
        ing = gwmsg.connect(sockpath)
        ing.send(gwmsg.hello(gwmsg.ROLE_INGEST))
        b1 = gwmsg.frame_id()
        commit(d, "gate2", b1, img)
        ready(ing, "gate2", b1)
        ready(ing, "gate2", b1)  # a duplicate hint changes nothing
        ready(ing, "gate2", gwmsg.frame_id())  # a hint for a frame not in the spool is ignored
        rep.check(wait_until(lambda: nt.got("gate2", b1), 30), "frame_ready from ingest is analysed")

        # Garbage peers: each dropped with one log line; ingest still served.
        n0 = logtext().count("dropping the connection")
        bad = [("a short hello", gwmsg.hello(gwmsg.ROLE_INGEST, pid=1)[:-4]),
               ("a bad magic", gwmsg.pack(gwmsg.HELLO, gwmsg.HELLO_S.pack(1, 1, b"\0" * 32), magic=0x1234)),
               ("a wrong version", gwmsg.pack(gwmsg.HELLO, gwmsg.HELLO_S.pack(1, 1, b"\0" * 32), version=99)),
               ("frame_ready before hello", gwmsg.pack(gwmsg.FRAME_READY, gwmsg.REF.pack(b"gate2", b"x")))]
        for what, msg in bad:
            s = gwmsg.connect(sockpath, timeout=60)
            s.send(msg)
            try:
                rep.check(s.recv(100) == b"", "a peer sending %s is disconnected" % what)
            except socket.timeout:
                rep.check(False, "a peer sending %s is disconnected" % what, "still open after 60 s")
            s.close()
        s = gwmsg.connect(sockpath, timeout=60)
        s.send(gwmsg.hello(gwmsg.ROLE_INGEST))
        ready(s, "../etc", "1764026596123456-007")
        rep.check(s.recv(100) == b"", "frame_ready with a bad camera id is disconnected")
        s.close()
        rep.check(wait_until(lambda: logtext().count("dropping the connection") - n0 == 5, 60),
               "one log line per garbage peer", str(logtext().count("dropping the connection") - n0))
        b2 = gwmsg.frame_id()
        commit(d, "gate2", b2, img)
        ready(ing, "gate2", b2)
        rep.check(wait_until(lambda: nt.got("gate2", b2), 30), "the good peer is still served")
        rep.check(p.poll() is None, "dispatcher still running after garbage")

        # Kill the worker twice from outside while it holds c1: not the
        # frame's fault, so c1 is analysed by the third worker, not failed.
        c1 = gwmsg.frame_id()
        nt.hold.add(c1)
        commit(d, "gate1", c1, img)
        ready(ing, "gate1", c1)
        for k in (1, 2):
            if not rep.check(wait_until(lambda: nt.got("gate1", c1) >= k, 120), "worker holds c1 (round %d)" % k):
                break
            pids = re.findall(r"worker start camera=gate1 pid=(\d+)", logtext())
            os.kill(int(pids[-1]), signal.SIGKILL)
            rep.check(wait_until(lambda: "worker exit camera=gate1 pid=%s status=signal:9" % pids[-1] in logtext(), 60),
                   "killed worker's exit is logged (round %d)" % k)
        with nt.lock:
            nt.hold.discard(c1)
        failed = os.path.join(d, "spool", "failed", "gate1", c1 + ".jpg")
        rep.check(wait_until(lambda: nt.got("gate1", c1) >= 3 and not os.path.exists(
            os.path.join(d, "spool", "queue", "gate1", c1 + ".jpg")) and not os.path.exists(
            os.path.join(d, "spool", "active", "gate1", c1 + ".jpg")), 120) and not os.path.exists(failed),
            "two SIGKILLs from outside: the frame is analysed by the next worker, not failed")
        rep.check("not the frame's fault" in logtext(), "the dispatcher logs that a kill from outside does not count")

        # A frame that makes the worker itself crash (SIGSEGV, twice): failed/.
        cx = "%016d-777" % int(time.time() * 1e6)
        commit(d, "gate1", cx, img)
        ready(ing, "gate1", cx)
        failed = os.path.join(d, "spool", "failed", "gate1", cx + ".jpg")
        rep.check(wait_until(lambda: os.path.exists(failed), 120), "a frame the worker crashes on twice goes to failed/")
        reason = open(failed[:-4] + ".reason").read() if os.path.exists(failed[:-4] + ".reason") else ""
        rep.check("worker died twice on this frame (signal 11)" in reason, "failed reason names the crashes", reason)
        c2 = gwmsg.frame_id()
        commit(d, "gate1", c2, img)
        ready(ing, "gate1", c2)
        rep.check(wait_until(lambda: nt.got("gate1", c2), 120), "a new worker (after backoff) analyses the next frame")

        # Missed hint: a frame committed without FRAME_READY is found by the rescan.
        c3 = gwmsg.frame_id()
        commit(d, "gate1", c3, img)
        rep.check(wait_until(lambda: nt.got("gate1", c3), 120), "a frame without a hint is found by the rescan")

        # A gate camera's stale frames: while its worker waits for the ack
        # of the first frame, three newer ones queue up; the worker gets
        # the newest next, the two between leave the spool unanalysed, each
        # logged and counted. An indoor camera gets every frame in order.
        def unique(xs):
            return [x for i, x in enumerate(xs) if x not in xs[:i]]
        for cam, want_skip in (("lane", 2), ("hall", 0), ("dbgate", 2)):
            g = [gwmsg.frame_id() for _ in range(4)]
            nt.hold.add(g[0])
            commit(d, cam, g[0], img)
            ready(ing, cam, g[0])
            if not rep.check(wait_until(lambda: nt.got(cam, g[0]) >= 1, 120), "%s: the worker holds its first frame" % cam):
                continue
            for f in g[1:]:
                commit(d, cam, f, img)
                ready(ing, cam, f)
            rep.check(wait_until(lambda: nt.status.get(cam, {}).get("depth") == 3, 60),
                      "%s: three frames wait behind it" % cam, str(nt.status.get(cam)))
            with nt.lock:
                nt.hold.discard(g[0])
            rep.check(wait_until(lambda: nt.got(cam, g[3]), 120), "%s: the newest frame is analysed" % cam,
                      str(nt.order(cam)))
            want = [g[0], g[3]] if want_skip else g
            rep.check(wait_until(lambda: unique(nt.order(cam)) == want, 30),
                      "%s: %s" % (cam, "the worker gets the newest waiting frame, never the stale ones" if want_skip
                                  else "an indoor camera's worker gets every frame, in order"),
                      "got %s, want %s" % (unique(nt.order(cam)), want))
            gone = [f for f in g if any(os.path.exists(os.path.join(d, "spool", s, cam, f + ".jpg"))
                                        for s in ("queue", "active", "failed"))]
            rep.check(wait_until(lambda: not [f for f in g if any(os.path.exists(os.path.join(
                d, "spool", s, cam, f + ".jpg")) for s in ("queue", "active", "failed"))], 60),
                      "%s: no frame left in the spool" % cam, str(gone))
            if want_skip:
                logged = [f for f in g if re.search(re.escape(f) + r".*camera=%s skipped unanalysed" % cam, logtext())]
                rep.check(logged == g[1:3], "%s: one log line per skipped frame" % cam, str(logged))
                rep.check(re.search(re.escape(g[3]) + r".*camera=%s after 2 frames skipped by the dispatcher" % cam,
                                    logtext()), "%s: the worker is told 2 frames were skipped before the newest" % cam)
            rep.check(wait_until(lambda: nt.status.get(cam, {}).get("skipped") == want_skip, 60),
                      "%s: queue_status counts %d skipped" % (cam, want_skip), str(nt.status.get(cam)))

        # Queue status reaches the notifier.
        st = wait_until(lambda: nt.status.get("gate1", {}).get("failed", 0) >= 1 and
                      nt.status.get("gate1", {}).get("done", 0) >= 5 and nt.status["gate1"], 60)
        rep.check(bool(st), "queue_status for gate1 counts done and failed", str(nt.status.get("gate1")))
        # The two SIGSEGVs count as worker crashes; the two SIGKILLs from outside do not.
        rep.check(st and st.get("crashes") == 2, "queue_status for gate1 counts the 2 crashes, not the 2 kills",
                  str(nt.status.get("gate1")))

        # Idle workers are retired with an orderly exit, although the 2 s
        # rescan looks at every camera more often than the 2.5 s idle time.
        rep.check(wait_until(lambda: re.search(r"worker exit camera=gate2 pid=\d+ status=0", logtext()), 60),
               "an idle worker exits with status 0 after dispatcher.worker_idle_ms")

        # Last frame in flight when SIGTERM arrives: it is finished or back in queue/.
        c4 = gwmsg.frame_id()
        commit(d, "gate1", c4, img)
        ready(ing, "gate1", c4)
        wait_until(lambda: os.path.exists(os.path.join(d, "spool", "active", "gate1", c4 + ".jpg")) or
                   nt.got("gate1", c4), 60)
        ing.close()
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            rc = None
        rep.check(rc == 0, "SIGTERM: dispatcher exits 0", str(rc))
        left = os.listdir(os.path.join(d, "spool", "active", "gate1"))
        rep.check(left == [], "nothing left in active/ after the drain", str(left))
        rep.check(nt.got("gate1", c4) or os.path.exists(os.path.join(d, "spool", "queue", "gate1", c4 + ".jpg")),
               "the frame in flight at SIGTERM is done or queued again")

        # Never two workers for one camera at once.
        text = logtext()
        alive, overlap = {}, []
        for m in re.finditer(r"worker (start|exit) camera=(\S+) pid=(\d+)", text):
            kind, cam, pid = m.groups()
            if kind == "start":
                if alive.get(cam):
                    overlap.append((cam, alive[cam], pid))
                alive[cam] = pid
            elif alive.get(cam) == pid:
                alive[cam] = None
        starts = text.count("worker start camera=gate1")
        rep.check(starts >= 3 and not overlap, "never two workers per camera (%d gate1 starts)" % starts, str(overlap))
        rep.check(not any(alive.values()), "every started worker's exit is logged", str(alive))
        pids = [int(x) for x in re.findall(r"worker start camera=\S+ pid=(\d+)", text)]
        still = [x for x in pids if os.path.exists("/proc/%d" % x) and
                 open("/proc/%d/stat" % x).read().split()[2] != "Z"]
        rep.check(not still, "no worker process left", str(still))
    finally:
        nt.stop = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        if rep.failed or os.environ.get("GW_TEST_VERBOSE"):
            sys.stdout.write("# dispatcher log tail:\n# " + logtext()[-3000:].replace("\n", "\n# ") + "\n")
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
    sys.exit(rep.done())

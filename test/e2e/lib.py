"""lib - shared helpers for gatewatch's end-to-end tests.

A test starts the real programs with `gatewatch up` in a temporary state
directory (its own process group, loopback ports), pushes real images with
`gatewatch push`, and checks SQLite, the spool and the logs. Every wait is
bounded; the whole process group is killed at the end, also on failure.

    from lib import Gatewatch, Report, images_mixed
    rep = Report()
    with Gatewatch("basic", cameras=["cam1", "cam2"]) as gw:
        gw.start()
        answers = gw.push("cam1", files)
        rep.check(..., "what", "why")
    sys.exit(rep.done())

Environment (set by test/run.sh): GW_ROOT (repo root), BIN (default bin),
MODELS (default models/out), GW_TEST_ARTIFACTS (logs of failed runs).
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback

GW_ROOT = os.path.abspath(os.environ.get("GW_ROOT") or os.path.join(os.path.dirname(__file__), "..", ".."))


def _abs(p):
    return p if os.path.isabs(p) else os.path.join(GW_ROOT, p)


BIN = _abs(os.environ.get("BIN", "bin"))
MODELS = _abs(os.environ.get("MODELS", "models/out"))
SHARED = os.path.abspath(os.path.join(GW_ROOT, "..", "shared"))
ARTIFACTS = os.environ.get("GW_TEST_ARTIFACTS") or os.path.join(GW_ROOT, "test", "artifacts")


class Report:
    """One line per case: "ok - what" / "not ok - what: why"."""

    def __init__(self):
        self.failed = 0
        self.passed = 0

    def ok(self, what):
        self.passed += 1
        print("ok - %s" % what, flush=True)

    def fail(self, what, why):
        self.failed += 1
        why = str(why).replace("\n", " | ")
        print("not ok - %s: %s" % (what, why[:2000]), flush=True)

    def check(self, cond, what, why="condition is false"):
        if cond:
            self.ok(what)
        else:
            self.fail(what, why)
        return bool(cond)

    def crashed(self, e):
        """The test's body raised e: its traceback, and a failed case."""
        traceback.print_exc()
        self.check(False, "test ran to the end", "%s: %s" % (type(e).__name__, e))

    def done(self):
        return 1 if self.failed else 0


def built(rep, *exes):
    """True when every program in exes is built; else a failed case that
    names the first one missing, False."""
    for exe in exes:
        if not os.access(exe, os.X_OK):
            return rep.check(False, os.path.basename(exe) + " exists", exe + " not built")
    return True


def spawn(argv, logpath):
    """Starts argv in a session of its own (a killpg reaches all it
    starts), stdout and stderr into logpath: the Popen (.logpath kept)."""
    logf = open(logpath, "w")
    try:
        proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        logf.close()  # the child has its own copy
    proc.logpath = logpath
    return proc


def kill_spawned(proc, rep=None, tail=40):
    """SIGKILL to spawn()'s session, waited for; when rep has a failed case,
    the last tail lines of the log as "# " lines."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    if rep is not None and rep.failed:
        with open(proc.logpath, errors="replace") as f:
            lines = f.readlines()[-tail:]
        sys.stdout.write("# %s:\n" % os.path.basename(proc.logpath) + "".join("# " + l for l in lines))


def cleanup(*steps):
    """Runs every step (a function) whatever the one before raised: a
    program left behind would outlive the test."""
    for step in steps:
        try:
            step()
        except Exception as e:  # noqa: BLE001 - cleanup must go on
            print("# cleanup: %r" % e)


def keep_if_failed(rep, tmp):
    """A test's state dir: kept (and named) when a case failed, else removed."""
    if rep.failed:
        print("# state kept in %s" % tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def json_lines(text):
    """Each line of a program's output parsed as JSON ({"unparsed": line}
    where it is not)."""
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"unparsed": line})
    return out


def parallel(fn, plan, timeout):
    """fn(key, value) for each item of the dict plan, all at once, one
    thread each, each waited for up to timeout s: {key: result, or the
    exception it raised}."""
    res = {}

    def one(key, value):
        try:
            res[key] = fn(key, value)
        except Exception as e:  # reported by the caller
            res[key] = e

    threads = [threading.Thread(target=one, args=kv) for kv in plan.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return res


def feed_paced(p, n, rate, frame, written=None):
    """Writes frame(i) (bytes) for i = 0 .. n-1 to p's stdin, the i-th at
    i / rate s after the start, calling written(i) after each; then closes
    p's stdin. A closed pipe (the program ended), or frame(i) None, stops
    it early."""
    t0 = time.monotonic()
    try:
        for i in range(n):
            time.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            data = frame(i)
            if data is None:
                break
            p.stdin.write(data)
            p.stdin.flush()
            if written is not None:
                written(i)
    except (BrokenPipeError, ValueError):
        pass
    finally:
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass


class Background:
    """A base for a reader in a daemon thread: start_background() runs
    self.run(), which loops until self.stop; self.lock guards what it
    records."""

    def start_background(self):
        self.lock = threading.Lock()
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()


def free_port():
    """A TCP port nobody listens on right now (the kernel's pick)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def closed_port():
    """(socket, port): a TCP port where a connection is refused for as long
    as the socket stays open (bound without SO_REUSEADDR and not listening,
    so no other program can listen there). free_port()'s pick may be taken
    by another program before a test that wants it closed connects."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def wait_until(fn, timeout, interval=0.2):
    """Call fn until it returns something true or timeout seconds pass;
    returns the last value."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(interval)


# --- images -----------------------------------------------------------------

def images_darknet():
    """darknet's sample photos: some with people, some without (dog, eagle, ...)."""
    return sorted(glob.glob("/usr/share/darknet/data/*.jpg"))


def images_faceapi():
    return sorted(glob.glob(os.path.join(GW_ROOT, "node_modules/@vladmandic/face-api/demo/sample*.jpg")))


def mask_faces_val():
    """../shared/datasets/mask-faces/val, or FileNotFoundError saying it is
    missing (a fresh machine has no ../shared: README, what make test needs)."""
    base = os.path.join(SHARED, "datasets", "mask-faces", "val")
    if not os.path.isdir(base):  # fewer photos would pass unnoticed
        raise FileNotFoundError("%s: the mask-faces photo set is missing (README: what make test needs)" % base)
    return base


def images_masks(n=6):
    """n validation photos of the mask dataset, half with and half without a mask."""
    base = mask_faces_val()
    on = sorted(glob.glob(os.path.join(base, "with_mask", "*.jpg")))[: (n + 1) // 2]
    off = sorted(glob.glob(os.path.join(base, "without_mask", "*.jpg")))[: n // 2]
    return on + off


NO_PERSON_PHOTOS = ("dog.jpg", "eagle.jpg", "giraffe.jpg")


def images_mixed():
    """A mix of frames with and without people, all real photos."""
    return images_darknet() + images_faceapi() + images_masks()


# --- the system under test --------------------------------------------------

class Gatewatch:
    """One `gatewatch up` in a temp dir; a context manager that always kills
    its process group on exit."""

    def __init__(self, name, cameras=("cam1", "cam2", "cam3"), sets=None):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="gw-e2e-%s-" % name)
        self.http_port = free_port()
        self.ingest_port = free_port()
        while self.ingest_port == self.http_port:
            self.ingest_port = free_port()
        self.tokens = {c: "tok-%s-%s" % (c, os.urandom(6).hex()) for c in cameras}
        self.proc = None
        self.out_path = os.path.join(self.dir, "up.out")
        self.failed = False
        self.conf = os.path.join(self.dir, "test.conf")
        # Each photo its own visit needs frames that reach ingest more than
        # track.max_missing_ms apart: with two frames in flight, push sends
        # the second one right after the first, and ingest can receive both
        # within the same millisecond, so the second photo's people rightly
        # continue the first one's tracks. One frame in flight spaces them
        # by ingest's first-pass check.
        per_photo = sets and all(sets.get(k) == v for k, v in PER_PHOTO_TRACKING.items())
        self.push_args = ["--max-inflight", "1"] if per_photo else []
        # Deterministic frames: the motion gate would skip repeated photos.
        # A folder of photos replayed as fast as ingest takes them: every
        # photo analysed, in order (a live gate camera wants the newest
        # frame instead: the tests of that, and the gate bench, set 1).
        settings = {
            "models.dir": MODELS,
            "ingest.motion_threshold": "0",
            "dispatcher.gate_latest": "0",
            "log.level": "info",
            # no listener on the default 127.0.0.1:9469 (a developer's `make run`
            # may hold it): test_metrics sets its own
            "metrics.listen": "",
        }
        settings.update(sets or {})
        with open(self.conf, "w") as f:
            for k, v in settings.items():
                f.write('%s = "%s"\n' % (k, v) if not re.match(r"^-?[0-9.]+$", str(v)) else "%s = %s\n" % (k, v))
            for c, t in self.tokens.items():
                f.write('camera.%s.token = "%s"\n' % (c, t))

    # context manager: the group dies whatever happens
    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is not None:
            self.failed = True
        self.stop()
        return False

    def started(self, rep, label):
        """start(), True; or, when it raises RuntimeError, a failed case
        "LABEL: gatewatch up starts" (the state dir kept), False."""
        try:
            self.start()
            return True
        except RuntimeError as e:
            self.failed = True
            rep.fail("%s: gatewatch up starts" % label, e)
            return False

    def bin(self, prog="gatewatch"):
        return os.path.join(BIN, prog)

    def start(self, timeout=120):
        """Run `gatewatch up` and wait for its ready line. Raises on failure.
        A port taken since free_port() chose it (by another program on a
        busy machine: up says "is already in use" and exits) is chosen
        again, at most 3 times."""
        for _ in range(3):
            mark = len(self.output())
            try:
                return self._start(timeout)
            except RuntimeError:
                if self.proc.poll() is None or "is already in use" not in self.output()[mark:]:
                    raise
            print("# gatewatch up: a port was taken meanwhile, choosing others", flush=True)
            self.failed = False
            self.http_port = free_port()
            self.ingest_port = free_port()
            while self.ingest_port == self.http_port:
                self.ingest_port = free_port()
        return self._start(timeout)

    def _start(self, timeout):
        out = open(self.out_path, "ab")
        self.proc = subprocess.Popen(
            [self.bin(), "up", "--dir", self.dir, "-c", self.conf,
             "--http-port", str(self.http_port), "--ingest-port", str(self.ingest_port),
             "--listen", "127.0.0.1"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        out.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if "gatewatch up: ready" in self.output():
                return
            if self.proc.poll() is not None:
                self.failed = True
                raise RuntimeError("gatewatch up exited with %s: %s" % (self.proc.returncode, self.output()[-1500:]))
            time.sleep(0.2)
        self.failed = True
        raise RuntimeError("gatewatch up not ready after %d s: %s" % (timeout, self.output()[-1500:]))

    def output(self):
        try:
            with open(self.out_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log(self, prog):
        try:
            with open(os.path.join(self.dir, "log", prog + ".log"), "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=20):
        """SIGTERM to `gatewatch up`, bounded wait, then SIGKILL to the whole
        group (workers included). Keeps the logs of a failed run."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None
        if self.failed:
            self.keep_artifacts()
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def keep_artifacts(self):
        dst = os.path.join(ARTIFACTS, "e2e-%s-%d" % (self.name, int(time.time())))
        try:
            os.makedirs(dst, exist_ok=True)
            for p in glob.glob(os.path.join(self.dir, "log", "*.log")) + [self.out_path, self.conf]:
                if os.path.exists(p):
                    shutil.copy(p, dst)
            print("# logs kept in %s (state in %s)" % (dst, self.dir), flush=True)
        except OSError as e:
            print("# cannot keep logs: %s" % e, flush=True)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # --- feeding frames ---

    def push_cmd(self, camera, files):
        return [self.bin(), "push", "--url", "ws://127.0.0.1:%d/" % self.ingest_port,
                "--camera", camera, "--token", self.tokens[camera]] + self.push_args + list(files)

    def push(self, camera, files, timeout=300):
        """Send files as camera through `gatewatch push`; returns the answers
        (dicts with at least "status"), in order. Raises on a push failure."""
        r = subprocess.run(self.push_cmd(camera, files), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        answers = parse_answers(r.stdout.decode(errors="replace"))
        if r.returncode not in (0, 1) or not answers:
            raise RuntimeError("gatewatch push %s exited %d: %s" % (camera, r.returncode,
                               (r.stdout + r.stderr).decode(errors="replace")[-1500:]))
        return answers

    def push_many(self, plan, timeout=300):
        """plan: {camera: [files]}; pushes concurrently, one thread per
        camera. Returns {camera: answers or the exception}."""
        return parallel(lambda cam, files: self.push(cam, files, timeout), plan, timeout + 10)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    def admin(self):
        """A notifier_env.Session of the first admin, with the password
        `gatewatch up` printed at its first start ("log in as ...")."""
        import notifier_env  # it imports this module
        m = re.search(r"log in as\s+user=(\S+) password=(\S+)", self.output())
        if m is None:
            raise RuntimeError("gatewatch up printed no admin password")
        return notifier_env.Session(self, m.group(1), m.group(2))

    def live(self, timeout=5.0):
        """The notifier's /live WebSocket, logged in as the first admin."""
        import notifier_env
        return notifier_env.WS(self.http_port, timeout=timeout, headers=self.admin().headers())

    # --- state ---

    def db(self, sql, args=()):
        """Rows of a read-only query on DIR/gatewatch.db ([] if it does not exist yet)."""
        path = os.path.join(self.dir, "gatewatch.db")
        if not os.path.exists(path):
            return []
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def results(self):
        """{(camera, frame_id): number of stored rows}."""
        out = {}
        for cam, fid in self.db("SELECT camera, frame_id FROM results"):
            out[(cam, fid)] = out.get((cam, fid), 0) + 1
        return out

    def spool(self, state):
        """Frame files in spool/<state>/<camera>/ (state: queue, active, failed)."""
        return sorted(p for p in glob.glob(os.path.join(self.dir, "spool", state, "*", "*"))
                      if p.endswith((".jpg", ".png")))

    def processes(self):
        """[(pid, argv)] of the running gatewatch programs of this instance
        (its state dir in their arguments), from /proc."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv and b"gatewatch" in os.path.basename(argv[0]) and self.dir.encode() in b" ".join(argv):
                out.append((int(d), argv))
        return out

    def worker_pids(self, camera=None):
        """Live worker pids (optionally of one camera)."""
        pids = []
        for pid, argv in self.processes():
            if not argv[0].endswith(b"gatewatch-worker") or b"--camera" not in argv:
                continue
            i = argv.index(b"--camera")
            if i + 1 < len(argv) and (camera is None or argv[i + 1].decode() == camera):
                pids.append(pid)
        return pids

    def child_pid(self, prog):
        """Pid of a running gatewatch-<prog> of this instance, or None."""
        for pid, argv in self.processes():
            if argv[0].endswith(("gatewatch-" + prog).encode()):
                return pid
        return None


def parse_answers(text):
    """JSON lines carrying a frame answer ("status" key)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if isinstance(o, dict) and "status" in o:
            out.append(o)
    return out


WORKER_RE = re.compile(r"worker (start|exit) camera=(\S+) pid=(\d+)")


def worker_overlaps(dispatcher_log):
    """Times a camera got a second worker while one was running, from the
    dispatcher's "worker start/exit camera=C pid=P" lines; returns
    (overlaps as text, number of starts)."""
    running = {}
    bad = []
    starts = 0
    for line in dispatcher_log.splitlines():
        m = WORKER_RE.search(line)
        if not m:
            continue
        ev, cam, pid = m.group(1), m.group(2), int(m.group(3))
        if ev == "start":
            starts += 1
            if running.get(cam):
                bad.append("camera %s: pid %d started while %s ran" % (cam, pid, sorted(running[cam])))
            running.setdefault(cam, set()).add(pid)
        else:
            running.get(cam, set()).discard(pid)
    return bad, starts


# --- issue 4: people, not frames ---------------------------------------------

# Settings that make every accepted photo its own person: a track is
# confirmed on its first frame, settles on its first look, and ends as soon
# as the next frame comes (photos pushed one after another are different
# people). The pipeline tests use them to check "one person per photo".
PER_PHOTO_TRACKING = {
    "track.min_hits": "1",
    "track.max_missing_ms": "1",
    "track.tentative_missing_ms": "1",
    "track.missing_frames": "0",
    "track.consensus_n": "1",
    "track.consensus_window": "1",
}

WORKER_FRAME_RE = re.compile(r" info worker (\d{16}-\d{3}) camera=(\S+) persons=(\d+) faces=\d+ "
                             r"classified=(\d+) skipped=(\d+) events=(\d+)")


def worker_frames(log):
    """{(camera, frame id): [persons of each analysis]} from the workers'
    per-frame lines (written after the notifier acknowledged the result)."""
    out = {}
    for m in WORKER_FRAME_RE.finditer(log):
        out.setdefault((m.group(2), m.group(1)), []).append(int(m.group(3)))
    return out


def check_pipeline_tracks(rep, gw, answers_by_cam, label, wait=300, crash=False):
    """The pipeline acceptance checks on the people storage (issue 4):
    every accepted frame was analysed and acknowledged (the worker's
    per-frame line; after a kill -9 possibly twice), nothing was analysed
    that was not accepted (no-person frames never reach the spool), the
    spool drains, never two workers per camera, and every person found in
    a photo produced a track whose events are stored once, numbered 1..n
    without a gap. Needs PER_PHOTO_TRACKING. Returns the accepted set."""
    accepted = set()
    for cam, answers in answers_by_cam.items():
        for a in answers:
            if a.get("status") == "accepted" and a.get("frame"):
                accepted.add((cam, a["frame"]))

    def drained():
        seen = worker_frames(gw.log("dispatcher"))
        return not gw.spool("queue") and not gw.spool("active") and all(k in seen for k in accepted)

    ok = wait_until(drained, wait, 0.5)
    rep.check(ok, "%s: spool queue/ and active/ empty within %d s" % (label, wait),
              "queue=%s active=%s" % (gw.spool("queue")[:5], gw.spool("active")[:5]))
    seen = worker_frames(gw.log("dispatcher"))
    missing = sorted(k for k in accepted if k not in seen)
    rep.check(not missing, "%s: every accepted frame was analysed and acknowledged (%d frames)" % (label, len(accepted)),
              "missing %d: %s" % (len(missing), missing[:5]))
    most = 2 if crash else 1
    dup = sorted(k for k, v in seen.items() if len(v) > most)
    rep.check(not dup, "%s: no frame analysed more than %s" % (label, "twice (once more after a kill)" if crash else "once"),
              "analysed again: %s" % dup[:5])
    extra = sorted(k for k in seen if k not in accepted)
    rep.check(not extra, "%s: nothing analysed that was not accepted (no-person frames never reach the spool)" % label,
              "unexpected: %s" % extra[:5])
    failed = gw.spool("failed")
    rep.check(not failed, "%s: no frame moved to spool failed/" % label, "failed: %s" % failed[:5])
    bad, starts = worker_overlaps(gw.log("dispatcher"))
    rep.check(starts > 0 and not bad, "%s: a camera never had two workers at once (%d starts)" % (label, starts),
              "; ".join(bad[:5]) if bad else "no 'worker start camera=' line in dispatcher.log")

    # People: every person of every analysed photo is a stored track.
    news = {}
    for cam, fid, n in gw.db("SELECT camera, frame_id, count(*) FROM track_events WHERE kind = 'new' "
                             "GROUP BY camera, frame_id"):
        news[(cam, fid)] = n
    short = sorted(k for k in accepted if k in seen and news.get(k, 0) < max(seen[k]))
    rep.check(not short, "%s: every person in an accepted photo became a stored track (%d persons)"
              % (label, sum(max(v) for k, v in seen.items() if k in accepted)),
              "frames with fewer 'new' events than persons: %s" % [(k, news.get(k, 0), seen[k]) for k in short[:5]])
    dups = gw.db("SELECT camera, track_id, seq, count(*) FROM track_events GROUP BY camera, track_id, seq "
                 "HAVING count(*) > 1 LIMIT 5")
    rep.check(not dups, "%s: every track event stored once" % label, dups)
    gaps = gw.db("SELECT camera, track_id, count(*), min(seq), max(seq) FROM track_events "
                 "GROUP BY camera, track_id HAVING min(seq) != 1 OR max(seq) != count(*) LIMIT 5")
    rep.check(not gaps, "%s: no track event lost (seq 1..n per track)" % label, gaps)
    return accepted

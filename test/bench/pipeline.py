#!/usr/bin/python3
"""pipeline - the pipeline part of `make bench`: what the four programs
sustain together, measured on the real programs (`gatewatch up` on
loopback in a temp dir, test/e2e/lib.py's Gatewatch) with real photos.
Prints a markdown section on stdout; progress goes to stderr. A benchmark,
not a test: nothing about time is asserted. Exit status 1 when a part could
not be measured (the report says which and why), 0 otherwise.

Parts:
 1. no-person throughput of ingest (static scene: motion gate skips the
    detector; moving scene: the detector runs on every frame), from 1 and
    2 connections, sent by `gatewatch push` with several frames in flight,
    against decode_bench's same-process stb decode rate of the same JPEG;
 2. per-frame pipeline overhead excluding inference, one frame in the
    system at a time;
 3. end-to-end latency percentiles, frame received -> result pushed on the
    notifier's /live WebSocket, at 1 and 4 cameras pacing themselves.

Environment: B (build dir, default build), BIN (default bin), MODELS
(default models/out), BENCH_QUICK=1 (fewer frames, for trying it out),
BENCH_PARTS (default 123: which parts run), BENCH_PART3 (only the part 3
runs whose label holds this text, e.g. "still"),
BENCH_BUDGET_S (default 420: runs that would start later are skipped, and
the report says so; each run is also capped at 180 s).
Part 4 (not in the default BENCH_PARTS; walk.py): the scripted walk-through at
4 gate cameras x 5 fps, BENCH_WALK_S seconds (default 60) a run,
BENCH_WALK_ROUNDS rounds (default 1), each round a walk-through then (with
BENCH_WALK_BASE=1, default) part 3's still person at 4 x 5 fps for as long:
the baseline, interleaved. BENCH_WALK_SEED (default 7) seeds the timelines.
BENCH_KEEP=DIR: part 4 leaves in DIR each walk-through round's timelines and
camera messages (walkN.json) and the database (gatewatch.db), to trace
which visit got which verdicts. BENCH_WALK_RUNS=1: the programs log at
info, and part 4 also sums the worker's per-frame log lines (face_runs=) of
each walk-through: the face detector's runs per person-frame, in frames
with a look and in those without (docs/MODELS.md, "Round 9").
"""
import glob
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from lib import BIN, GW_ROOT, MODELS, Background, Gatewatch, free_port, json_lines, parallel  # noqa: E402
from wsclient import WS  # noqa: E402

B = os.environ.get("B", "build")
DECODE_BENCH = os.path.join(GW_ROOT, B, "bench", "decode_bench")
QUICK = os.environ.get("BENCH_QUICK") == "1"
PARTS = os.environ.get("BENCH_PARTS", "123")
WALK_RUNS = os.environ.get("BENCH_WALK_RUNS") == "1"

N_STATIC = 300 if QUICK else 400        # frames per connection, static scene
N_MOVING = 6 if QUICK else 8           # frames per connection, moving scene
N_SEQ = 5 if QUICK else 10              # part 2, one frame at a time
N_LAT1 = 10 if QUICK else 30            # part 3, frames of the one camera at 2 fps
N_LAT4 = 4 if QUICK else 10             # part 3, frames per camera, 4 cameras at 2 fps
N_LAT_SLOW = 4 if QUICK else 8          # part 3, frames per camera, 4 cameras at 0.5 fps
N_LAT5_1 = 15 if QUICK else 40          # part 3, frames of the one camera at 5 fps (issue 8's system figure)
N_LAT5_4 = 10 if QUICK else 30          # part 3, frames per camera, 4 cameras at 5 fps
N_STILL = 15 if QUICK else 30           # part 3, frames per camera of a still person (the same photo)
CAP_S = 180                             # any one run
# the whole part: a run that would start after this is skipped (and said so)
BUDGET_S = float(os.environ.get("BENCH_BUDGET_S", "420"))
T_START = time.monotonic()


class Stopped(Exception):
    """SIGTERM (run.sh's time limit): clean up, print what we have."""


def left():
    """Seconds left of the budget."""
    return BUDGET_S - (time.monotonic() - T_START)


def on_term(signo, frame):
    raise Stopped("stopped by signal %d" % signo)

DATA = "/usr/share/darknet/data"
NOBODY_SRC = ["eagle", "dog", "giraffe", "horses", "scream"]
failures = []


def note(*a):
    print("pipeline:", *a, file=sys.stderr, flush=True)


def pct(xs, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def fmt(x, nd=1):
    return "n/a" if x is None else ("%.*f" % (nd, x))


def recv_us(frame_id):
    """Microseconds since the epoch at which ingest received the frame (the
    frame id is "<us>-<seq>")."""
    return int(frame_id.split("-", 1)[0])


# --- images -------------------------------------------------------------------

def make_640(src, dst, quality=80):
    subprocess.run(["/usr/bin/convert", src, "-resize", "640x480^", "-gravity", "center",
                    "-extent", "640x480", "-strip", "-quality", str(quality), dst],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return dst


def replay_ingest(files):
    """{file: replay line} from `gatewatch replay --stage ingest` (the first
    pass alone, no daemon): which photos NanoDet finds a person in."""
    r = subprocess.run([os.path.join(BIN, "gatewatch"), "replay", "--stage", "ingest",
                        "--set", "models.dir=" + MODELS] + files,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=300)
    return {o.get("file"): o for o in json_lines(r.stdout.decode(errors="replace")) if "unparsed" not in o}


def replay_worker(files):
    """{file: replay line} from `gatewatch replay --stage worker` (the
    worker's analysis alone, on the whole image): the people, their faces
    and masks."""
    r = subprocess.run([os.path.join(BIN, "gatewatch"), "replay", "--stage", "worker",
                        "--set", "models.dir=" + MODELS] + files,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=300)
    return {o.get("file"): o for o in json_lines(r.stdout.decode(errors="replace")) if "unparsed" not in o}


def still_photos(people):
    """The photos for a person standing still at a gate: those whose face
    the worker finds and classifies (a person whose face is never seen is
    looked at in every frame, a worst case rather than a gate's)."""
    rw = replay_worker(people)
    seen = [f for f in people if any(p.get("mask") not in (None, "unknown")
                                     for p in (rw.get(f) or {}).get("persons") or [])]
    note("still-person photos (a face classified): %s" % [os.path.basename(f) for f in seen])
    return seen or people


def prepare_images(tmp):
    nobody = [make_640(os.path.join(DATA, n + ".jpg"), os.path.join(tmp, "nobody-%s.jpg" % n))
              for n in NOBODY_SRC]
    cands = [os.path.join(DATA, "person.jpg")]
    cands += sorted(glob.glob(os.path.join(GW_ROOT, "node_modules/@vladmandic/face-api/demo/sample*.jpg")))
    cands += sorted(glob.glob("/usr/share/doc/libdlib19.1/examples/faces/*.jpg"))
    people = [make_640(c, os.path.join(tmp, "person-%02d.jpg" % i)) for i, c in enumerate(cands)]
    rp = replay_ingest(nobody + people)
    nobody = [f for f in nobody if rp.get(f, {}).get("person") is False]
    people = [f for f in people if rp.get(f, {}).get("person") is True][:8]
    return nobody, people, rp


# --- the notifier's /live -----------------------------------------------------

def viewer_token(gw):
    """A bearer token made as an operator would (gatewatch token add)."""
    r = subprocess.run([gw.bin(), "token", "add", "bench", "--role", "viewer", "--dir", gw.dir],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or not r.stdout.strip():
        raise RuntimeError("gatewatch token add: %s" % r.stderr.strip())
    return r.stdout.strip()


class Live(Background):
    """Reads ws://127.0.0.1:HTTP/live in a thread; remembers when each
    result arrived (time.time()) and every camera statistics message."""

    def __init__(self, port, token):
        # /live needs credentials since the accounts issue: a viewer token
        self.port, self.token = port, token
        self.ws = self.connect()
        self.reconnects = 0     # the notifier drops a reader that falls behind
        self.results = {}       # frame id -> (arrival time, message)
        self.cameras = []       # (arrival time, camera message)
        self.first_seen = {}    # track id -> its events' first_seen_ms
        self.start_background()

    def connect(self):
        return WS(self.port, path="/live", timeout=1, headers={"Authorization": "Bearer " + self.token})

    def run(self):
        import socket
        while not self.stop:
            try:
                m = self.ws.recv()
            except socket.timeout:
                continue
            except Exception:
                if self.stop or self.reconnects >= 20:
                    return
                self.ws.close()
                try:
                    self.ws = self.connect()
                    self.reconnects += 1
                except Exception:
                    return
                continue
            now = time.time()
            with self.lock:
                if m.get("type") == "result" and m.get("frame"):
                    self.results.setdefault(m["frame"], (now, m))
                elif m.get("type") == "camera":
                    self.cameras.append((now, m))
                elif m.get("type") == "track" and m.get("track") and m.get("first_seen_ms"):
                    self.first_seen.setdefault(str(m["track"]), m["first_seen_ms"])

    def wait(self, frames, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if all(f in self.results for f in frames):
                    return True
            time.sleep(0.05)
        return False

    def get(self, frame):
        with self.lock:
            return self.results.get(frame)

    def track_first_seen(self, track):
        """The first_seen_ms of track's events on /live, or None."""
        with self.lock:
            return self.first_seen.get(str(track))

    def detect_after(self, camera, t0):
        """detect_ms of the first statistics of camera with a detector run
        that arrived after t0 (a time.time()), or None."""
        with self.lock:
            for t, m in self.cameras:
                st = m.get("stats") or {}
                if t >= t0 and m.get("id") == camera and (st.get("detect_ms") or 0) > 0:
                    return st["detect_ms"]
        return None

    def detect_ms(self, camera, since):
        """ingest's own per-second mean detector times for camera (windows
        with at least one detector run) since a time.time()."""
        with self.lock:
            return [m["stats"]["detect_ms"] for t, m in self.cameras
                    if t >= since and m.get("id") == camera and m.get("stats")
                    and (m["stats"].get("detect_ms") or 0) > 0]

    def close(self):
        self.stop = True
        self.t.join(3)
        self.ws.close()


def api_cameras(gw):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/cameras" % gw.http_port, timeout=5) as r:
        doc = json.loads(r.read().decode())
    cams = doc.get("cameras", doc) if isinstance(doc, dict) else doc
    return {c["id"]: c for c in cams if isinstance(c, dict) and "id" in c}


def motion_skipped(gw, cams):
    try:
        c = api_cameras(gw)
        return sum((c.get(k, {}).get("stats") or {}).get("motion_skipped", 0) for k in cams)
    except Exception as e:
        note("cannot read /api/cameras: %r" % e)
        return None


# --- senders ------------------------------------------------------------------

def push(gw, camera, files, extra, timeout):
    """`gatewatch push` as camera; (answers, wall seconds)."""
    from lib import parse_answers
    cmd = gw.push_cmd(camera, []) + extra + ["--"] + files
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # the run's cap: keep the answers so far, the rest were not sent
        p.kill()
        out, err = p.communicate()
        note("push %s stopped at the %d s cap" % (camera, timeout))
        return parse_answers(out.decode(errors="replace")), time.monotonic() - t0
    wall = time.monotonic() - t0
    ans = parse_answers(out.decode(errors="replace"))
    if p.returncode != 0:
        raise RuntimeError("push %s exited %d: %s" % (camera, p.returncode, err.decode(errors="replace")[-300:]))
    return ans, wall


def push_parallel(gw, plan, extra, timeout):
    """plan: {camera: files}; all pushes at once. {camera: (answers, wall)}."""
    res = parallel(lambda cam, files: push(gw, cam, files, extra, timeout), plan, timeout + 10)
    for c, v in res.items():
        if isinstance(v, Exception):
            raise v
    return res


def statuses(answers):
    out = {}
    for a in answers:
        out[a.get("status")] = out.get(a.get("status"), 0) + 1
    return out


def status_text(st):
    return ", ".join("%s %d" % (k, v) for k, v in sorted(st.items()))


# --- part 1 -------------------------------------------------------------------

def rate(res, skip=5):
    """frames/s answered: answer times (receive time in the frame id + the
    answer's "ms") of all connections' frames after each one's first
    `skip`, over the span from the first counted answer to the last."""
    ts = []
    for cam, (ans, wall) in res.items():
        t = sorted(recv_us(a["frame"]) / 1e6 + a.get("ms", 0) / 1e3 for a in ans if a.get("frame"))
        ts += t[skip:]
    if len(ts) < 2:
        return None
    ts.sort()
    return (len(ts) - 1) / (ts[-1] - ts[0])


def cpu_s(pid):
    """utime + stime of a process, seconds (None if it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            v = f.read().rsplit(")", 1)[1].split()
        return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, TypeError):
        return None


def children_cpu_s():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def part1_run(gw, what, kind, nconn, files):
    if left() < 30:
        failures.append("part 1 %s x%d: skipped, the time budget (%d s) was used up" % (kind, nconn, BUDGET_S))
        return None
    cams = ["cam1", "cam2"][:nconn]
    plan = {c: (files if c == "cam1" else files[1:] + files[:1]) for c in cams}
    sk0 = motion_skipped(gw, cams)
    ipid = gw.child_pid("ingest")
    c0, k0 = cpu_s(ipid), children_cpu_s()
    try:
        res = push_parallel(gw, plan, ["--max-inflight", "8", "--timeout-ms", "60000"],
                            max(20, min(CAP_S, left() - 10)))
    except Stopped:
        raise
    except Exception as e:
        failures.append("part 1 %s x%d: %s" % (kind, nconn, e))
        note("failed:", e)
        return None
    c1, k1 = cpu_s(ipid), children_cpu_s()
    time.sleep(2.2)  # one more CAMERA_STATS second reaches the notifier
    sk1 = motion_skipped(gw, cams)
    allans = [a for c in res for a in res[c][0]]
    st = statuses(allans)
    fps = rate(res, 5 if kind == "static" else 2)
    wall = max(res[c][1] for c in res)
    ms = [a.get("ms", 0) for a in allans if a.get("status") == "no_person"]
    skipped = (sk1 - sk0) if sk0 is not None and sk1 is not None else None
    icpu = (c1 - c0) * 1e3 / len(allans) if c0 is not None and c1 is not None and allans else None
    pcpu = (k1 - k0) * 1e3 / len(allans) if allans else None
    note("%s x%d: %s fps (%s)" % (kind, nconn, fmt(fps), status_text(st)))
    return (what, kind, nconn, len(allans), fps, wall, st, skipped,
            statistics.median(ms) if ms else None, icpu, pcpu)


def part1(nobody, out):
    note("part 1: no-person throughput")
    load0 = loadavg()
    static = nobody[0]
    ref = subprocess.run([DECODE_BENCH, "decode", static, "300"], stdout=subprocess.PIPE, timeout=120)
    line = ref.stdout.decode().strip()
    dec = dict(kv.split("=") for kv in line.split()[1:]) if ref.returncode == 0 else {}
    floor = float(dec["per_s"]) if dec else None
    rows = []
    moving = [nobody[i % len(nobody)] for i in range(N_MOVING)]
    configs = [
        # (recheck ms, scenarios): the default config first, then the gate
        # path alone: the detector is not re-run on a static scene.
        (2000, [("static scene (motion gate skips NanoDet, re-check every 2 s)", "static", 1, [static] * N_STATIC),
                ("static scene (motion gate skips NanoDet, re-check every 2 s)", "static", 2, [static] * N_STATIC),
                ("moving scene, nobody (NanoDet on every frame)", "moving", 1, moving),
                ("moving scene, nobody (NanoDet on every frame)", "moving", 2, moving)]),
        (600000, [("static scene, no re-check (`motion_recheck_ms = 600000`)", "static", 1, [static] * N_STATIC),
                  ("static scene, no re-check (`motion_recheck_ms = 600000`)", "static", 2, [static] * N_STATIC)]),
    ]
    stopped = None
    try:
        for recheck, scen in configs:
            with Gatewatch("bench-ingest", cameras=["cam1", "cam2"],
                           sets={"ingest.motion_threshold": "0.01", "ingest.max_inflight": "8",
                                 "ingest.motion_recheck_ms": str(recheck), "log.level": "warn"}) as gw:
                gw.start()
                for what, kind, nconn, files in scen:
                    rows.append(part1_run(gw, what, kind, nconn, files))
    except Stopped as e:
        stopped = e
    rows = [r for r in rows if r]
    out.append("### 1. No-person throughput (ingest)\n")
    out.append("Load average (1 min) before / after this part: %s / %s.\n" % (load0, loadavg()))
    out.append("Frames: 640x480 JPEG (`%s`, %d bytes for the static scene; the moving scene cycles %d "
               "different empty photos: %s). Sent by `gatewatch push --max-inflight 8` "
               "(`ingest.max_inflight = 8`, `ingest.threads = 2`, `ingest.motion_threshold = 0.01`, "
               "`ingest.motion_recheck_ms = 2000` unless the row says otherwise) on 1 connection (camera cam1) or 2 connections "
               "(cam1, cam2) at once. frames/s = frames answered per second, from the answer times "
               "(receive time in the frame id + the answer's `ms`), first 5 (static) or 2 (moving) "
               "frames of each connection left out.\n"
               % (os.path.basename(static), os.path.getsize(static), len(nobody),
                  ", ".join(NOBODY_SRC[:len(nobody)])))
    out.append("Reference (same JPEG, same machine, same run): `decode_bench decode` (image_decode, "
               "stb_image, one thread, one process): median %s ms, mean %s ms, p99 %s ms = **%s decodes/s** "
               "per core (the decode floor of ingest).\n"
               % (dec.get("ms_median", "?"), dec.get("ms_mean", "?"), dec.get("ms_p99", "?"),
                  dec.get("per_s", "?")))
    out.append("| scene | connections | frames | answers | frames/s | vs decode floor | detector runs "
               "(frames - motion_skipped) | ingest answer ms (median) | ingest CPU ms/frame | sender CPU ms/frame |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for what, kind, nconn, n, fps, wall, st, skipped, ms, icpu, pcpu in rows:
        ratio = ("%.2f" % (fps / (floor * nconn))) if fps and floor and kind == "static" else "n/a"
        det = (n - skipped) if skipped is not None else "?"
        out.append("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (
            what, nconn, n, status_text(st), fmt(fps), ratio, det, fmt(ms), fmt(icpu, 2), fmt(pcpu, 2)))
    out.append("")
    st1 = [r for r in rows if r[1] == "static" and r[9] and r[4]]
    if st1 and floor:
        lo = min(r[9] for r in st1)
        hi = max(r[9] for r in st1)
        busy = max(r[3] * (r[9] + (r[10] or 0)) / 1e3 / r[5] for r in st1)  # CPU s / wall s
        out.append("Reading it: on a static scene ingest spent %.1f-%.1f ms of CPU per frame, %.1f-%.1f times "
                   "the %.2f ms a plain decode takes (the rest: WebSocket receive and reassembly, the motion "
                   "grid, handing the frame to a pool thread and back, the answer). Ingest and the sender "
                   "kept at most %.1f of the %d cores busy (CPU seconds over the run's wall time); what the machine's other load "
                   "(load average above) leaves is the limit, which is also why 2 connections need not "
                   "double the rate here.\n" % (lo, hi, lo * floor / 1e3, hi * floor / 1e3, 1e3 / floor,
                                                   busy, os.cpu_count() or 1))
    out.append("`vs decode floor` = frames/s divided by the decode rate (for 2 connections: by twice it, "
               "one core per connection; this machine has %d; n/a for the moving scene, which the detector bounds). `ingest answer ms` is the `ms` of the "
               "answer: receive to answer, including the time a frame waits behind the camera's "
               "earlier frames (ingest checks one frame per camera at a time). `ingest CPU ms/frame` is the "
               "user+system CPU time of the gatewatch-ingest process (all its threads) during the run divided "
               "by the frames; `sender CPU` the same for the `gatewatch push` processes, which share "
               "the same %d cores.\n" % (os.cpu_count(), os.cpu_count()))
    if stopped:
        raise stopped
    return rows, floor


# --- part 2 -------------------------------------------------------------------

def decode_bench(*args):
    """decode_bench's figures as a dict ({} if it failed)."""
    r = subprocess.run([DECODE_BENCH] + [str(a) for a in args], stdout=subprocess.PIPE, timeout=300)
    line = r.stdout.decode().strip()
    if r.returncode != 0 or not line:
        failures.append("decode_bench %s failed (exit %d)" % (args[0], r.returncode))
        return {}
    return dict(kv.split("=") for kv in line.split()[1:])


def part2(gw, live, people, out):
    note("part 2: per-frame overhead, one frame at a time")
    load0 = loadavg()
    # components, measured directly on the same file system as the spool
    bdir = os.path.join(gw.dir, "bench-spool")
    os.makedirs(bdir, exist_ok=True)
    com = decode_bench("commit", bdir, people[0], 200)
    dec = decode_bench("decode", people[0], 200)
    ws = WS(gw.ingest_port, timeout=60)
    welcome = ws.hello("cam1", gw.tokens["cam1"])
    if welcome.get("type") != "welcome":
        raise RuntimeError("hello refused: %r" % welcome)
    seq = []  # (frame id, time the answer was read, answer, result time, result)
    try:
        for i in range(N_SEQ + 1):  # frame 0 starts the worker (model load): warm-up, not counted
            if left() < 150 and i > 3:
                note("part 2: stopping after %d frames (time budget)" % i)
                break
            f = people[i % len(people)]
            ws.send_binary(open(f, "rb").read())
            a = ws.recv_type("answer")
            t_ans = time.time()
            if a.get("status") != "accepted":
                note("sequential frame %d: %s" % (i, a.get("status")))
                continue
            if not live.wait([a["frame"]], 120):
                raise RuntimeError("no /live result for %s within 120 s" % a["frame"])
            t, m = live.get(a["frame"])
            if i > 0:
                seq.append((a["frame"], t_ans, a, t, m))
            # ingest's statistics window (1 s) that counted this frame's
            # detection closes before the next frame is sent
            time.sleep(1.2)
    finally:
        ws.close()
    time.sleep(2.5)  # the last window reaches /live
    rows, det = [], []
    for fid, t_ans, a, t, m in seq:
        # D of this frame: the first cam1 statistics with a detection that
        # reached /live after the frame was answered
        d = live.detect_after("cam1", t_ans)
        e2e = (t - recv_us(fid) / 1e6) * 1e3
        if d is None:
            note("no detector statistics after frame %s" % fid)
            continue
        det.append(d)
        rows.append((e2e, a.get("ms", 0.0), m.get("analyse_ms") or 0.0, d))
    if not rows:
        raise RuntimeError("no frame went through with its detector time")
    e2e = [r[0] for r in rows]
    ing = [r[1] for r in rows]
    an = [r[2] for r in rows]
    over = [r[0] - r[2] - r[3] for r in rows]
    ing_over = [r[1] - r[3] for r in rows]
    d = statistics.median(det)
    out.append("### 2. Per-frame pipeline overhead, inference excluded\n")
    out.append("Load average (1 min) before / after this part: %s / %s.\n" % (load0, loadavg()))
    out.append("%d frames with people (640x480 JPEG, %d photos cycled), one in the system at a time "
               "(the next is sent once the previous result reached /live; a warm-up frame that "
               "starts the worker is not counted), camera cam1.\n" % (len(rows), len(people)))
    out.append("| per frame, ms | median | min | max |")
    out.append("|---|---|---|---|")
    out.append("| end to end: result on /live - received_us (frame id) | %s | %s | %s |" % (
        fmt(statistics.median(e2e)), fmt(min(e2e)), fmt(max(e2e))))
    out.append("| ingest: answer `ms` (receive -> answer: decode, motion grid, NanoDet, spool commit) | %s | %s | %s |" % (
        fmt(statistics.median(ing)), fmt(min(ing)), fmt(max(ing))))
    out.append("| D: ingest's NanoDet time (`detect_ms` of the CAMERA_STATS window that counted the frame) | %s | %s | %s |" % (
        fmt(d), fmt(min(det)), fmt(max(det))))
    out.append("| A: worker `analyse_ms` from the result (claim, read, decode, face + mask nets, snapshot) | %s | %s | %s |" % (
        fmt(statistics.median(an)), fmt(min(an)), fmt(max(an))))
    out.append("| **overhead = end to end - D - A** | **%s** | %s | %s |" % (
        fmt(statistics.median(over)), fmt(min(over)), fmt(max(over))))
    out.append("| of which in ingest = answer `ms` - D | %s | %s | %s |" % (
        fmt(statistics.median(ing_over)), fmt(min(ing_over)), fmt(max(ing_over))))
    out.append("")
    out.append("How: end to end is the wall clock (same host) at which the /live client read the "
               "`{\"type\":\"result\"}` message minus the receive time ingest put in the frame id. ingest "
               "reports its detector time only as the mean per one-second window (CAMERA_STATS, shown "
               "on /live as `stats.detect_ms`), not per frame; frames are sent >= 1.2 s apart, so the "
               "first window with a detection that reaches /live after a frame's answer holds that "
               "frame's detection alone: that is its D. The worker's "
               "`analyse_ms` runs from the claim to the finished result, so the worker's own spool read, "
               "JPEG decode and snapshot write are inside A, not in the overhead: the overhead is what "
               "remains for ingest's decode, motion grid and fsynced spool commit, the answer, "
               "FRAME_READY to the dispatcher, FRAME to the worker, RESULT to the notifier, the SQLite "
               "commit and the /live push (plus the Python reader's wake-up).\n")
    out.append("Components measured directly (`decode_bench`, one thread, on the spool's file system, "
               "a %d-byte 640x480 photo): `image_decode` median %s ms (p99 %s); `spool_commit` "
               "(write to tmp/, fsync, rename, fsync of the queue directory) median %s ms (p99 %s). "
               "ingest decodes each frame once and commits it once; the worker decodes it once more "
               "(inside A).\n" % (os.path.getsize(people[0]), dec.get("ms_median", "?"), dec.get("ms_p99", "?"),
                                   com.get("ms_median", "?"), com.get("ms_p99", "?")))
    return d, statistics.median(an)


# --- part 3 -------------------------------------------------------------------

METRICS_PORT = free_port()


def network_runs():
    """{network: runs so far} from the notifier's /metrics (person_detector:
    ingest, face_detector: the workers, face_detector_closeup: ingest's
    close-up fallback (in face_detector before round 10), mask_classifier),
    or {} when it cannot be read."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % METRICS_PORT, timeout=5) as r:
            text = r.read().decode()
    except Exception as e:
        note("cannot read /metrics: %r" % e)
        return {}
    out = {}
    for line in text.splitlines():
        if line.startswith("gatewatch_inference_seconds_count{"):
            out[line.split('network="')[1].split('"')[0]] = float(line.split()[-1])
    return out


def part3_run(gw, live, cams, fps, nframes, people, label, still=None):
    if left() < 40:
        failures.append("part 3 %s: skipped, the time budget (%d s) was used up" % (label, BUDGET_S))
        return None
    cap = max(30, min(CAP_S, left() - 10))
    note("part 3: %s (cap %d s)" % (label, cap))
    if still:   # one person standing in front of each camera: the same photo over and over
        plan = {c: [still[k % len(still)]] * nframes for k, c in enumerate(cams)}
    else:
        plan = {c: [people[(i + k) % len(people)] for i in range(nframes)] for k, c in enumerate(cams)}
    nets0 = network_runs()
    t0 = time.time()
    res = push_parallel(gw, plan, ["--fps", str(fps), "--max-inflight", "4", "--timeout-ms", "120000"], cap)
    accepted = [a["frame"] for c in res for a in res[c][0] if a.get("status") == "accepted"]
    live.wait(accepted, max(5, cap - (time.time() - t0)))
    lat, last = [], 0
    for f in accepted:
        g = live.get(f)
        if g:
            lat.append((g[0] - recv_us(f) / 1e6) * 1e3)
            last = max(last, g[0])
    st = statuses([a for c in res for a in res[c][0]])
    first = min((recv_us(a["frame"]) / 1e6 for c in res for a in res[c][0] if a.get("frame")), default=t0)
    thr = len(lat) / (last - first) if lat and last > first else None
    nets1 = network_runs()
    per = {k: (nets1[k] - nets0.get(k, 0)) / len(lat) for k in nets1} if lat and nets0 else {}
    return dict(label=label, cams=len(cams), fps=fps, offered=fps * len(cams), n=nframes * len(cams), frames=accepted,
                answered=sum(len(res[c][0]) for c in res),
                st=st, lat=lat, missing=len(accepted) - len(lat), thr=thr, per=per)


WARMED = []


def warm_workers(gw, live, people):
    """Every camera's worker started (models loaded) before measured runs."""
    if WARMED:
        return
    warm = push_parallel(gw, {c: [people[0]] for c in ("cam1", "cam2", "cam3", "cam4")},
                         ["--timeout-ms", "120000"], 150)
    live.wait([a["frame"] for c in warm for a in warm[c][0] if a.get("status") == "accepted"], 120)
    WARMED.append(True)


def part3(gw, live, people, out, seq):
    runs = []
    load0 = loadavg()
    warm_workers(gw, live, people)
    stopped = None
    four = ["cam1", "cam2", "cam3", "cam4"]
    only = os.environ.get("BENCH_PART3")   # e.g. "still": only the runs whose label holds it
    still = still_photos(people)
    for cams, fps, n, label, is_still in ((["cam1"], 2, N_LAT1, "1 camera at 2 fps", False),
                                          (four, 0.5, N_LAT_SLOW, "4 cameras at 0.5 fps each", False),
                                          (four, 2, N_LAT4, "4 cameras at 2 fps each", False),
                                          (["cam1"], 5, N_LAT5_1, "1 camera at 5 fps", False),
                                          (four, 5, N_LAT5_4, "4 cameras at 5 fps each", False),
                                          (["cam1"], 5, N_STILL, "1 camera at 5 fps, still person", True),
                                          (four, 5, N_STILL, "4 cameras at 5 fps each, still person", True)):
        if only and only not in label:
            continue
        try:
            runs.append(part3_run(gw, live, cams, fps, n, people, label, still if is_still else None))
        except Stopped as e:
            stopped = e
            break
        except Exception as e:
            failures.append("part 3 %s: %r" % (label, e))
    runs = [r for r in runs if r]
    if not runs:
        if stopped:
            raise stopped
        return runs
    out.append("### 3. End-to-end latency: frame received -> result pushed on /live\n")
    out.append("Load average (1 min) before / after this part: %s / %s.\n" % (load0, loadavg()))
    out.append("Each camera is a `gatewatch push --fps F --max-inflight 4` of 640x480 photos with people "
               "(%d photos, cycled, different start per camera), all cameras at once; every worker was "
               "started (models loaded) before. Latency of each accepted frame = arrival of its result "
               "on /live - receive time in its frame id. Throughput = results pushed per second from the "
               "first frame received to the last result. Each run is capped at %d s (less when the "
               "part's time budget runs short). Busy share = answers `busy` (ingest had no room for the "
               "frame) / answers. The 5 fps runs are issue 8's system figures (a gate camera's rate). "
               "A still person: each camera sends one photo over and over (a person standing at the gate; "
               "every camera is a gate camera), among the photos whose face the worker finds and classifies. Runs per frame = network runs counted by the notifier's "
               "/metrics (`gatewatch_inference_seconds_count`) during the run / results pushed: person "
               "detector (ingest), face detector (workers), mask classifier.\n"
               % (len(people), CAP_S))
    out.append("| run | offered frames/s | frames planned | answers | busy share | results pushed | p50 ms | p90 ms | p95 ms | p99 ms | max ms | results/s | runs per frame: person / face / mask |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        lat = r["lat"]
        busy = "%.0f%%" % (100.0 * r["st"].get("busy", 0) / r["answered"]) if r["answered"] else "n/a"
        out.append("| %s | %s | %d | %s | %s | %d%s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["label"], fmt(r["offered"]), r["n"], status_text(r["st"]) + (
                " (%d not sent within the cap)" % (r["n"] - r["answered"]) if r["answered"] < r["n"] else ""), busy,
            len(lat), (" (+%d not pushed within the cap)" % r["missing"]) if r["missing"] else "",
            fmt(pct(lat, 50)) if lat else "n/a", fmt(pct(lat, 90)) if lat else "n/a",
            fmt(pct(lat, 95)) if lat else "n/a",
            fmt(pct(lat, 99)) if lat else "n/a", fmt(max(lat)) if lat else "n/a", fmt(r["thr"], 2),
            " / ".join(fmt(r["per"].get(k), 2) for k in ("person_detector", "face_detector", "mask_classifier"))
            if r["per"] else "n/a"))
    out.append("")
    if any(r["missing"] for r in runs):
        out.append("Frames not pushed within the cap are left out of the percentiles, which therefore "
                   "understate that run's latency.\n")
    if seq:
        d, a = seq
        cap1 = 1000.0 / max(d, a)
        capn = (os.cpu_count() or 1) * 1000.0 / (d + a)
        over = [r["label"] for r in runs if r["thr"] and r["thr"] < 0.9 * r["offered"]]
        out.append("Capacity, from part 2's inference times on this run (D = %.0f ms, A = %.0f ms per frame): "
                   "one camera at most ~%.1f frames/s (ingest and its worker overlap, the slower of the two "
                   "bounds it), all cameras together at most ~%.1f frames/s (%d cores / (D + A)), before "
                   "anything else on the machine takes its share. %s\n" % (
                       d, a, cap1, capn, os.cpu_count() or 1,
                       ("Offered above what was achieved in: %s; there the frames queue (up to "
                        "`--max-inflight 4` per camera in ingest, then in the spool), the sender falls behind "
                        "its pace, and the latency is mostly waiting in those queues, not work. Latency counts "
                        "from the receipt at ingest: a frame a sender holds back at its max-inflight is not "
                        "yet received, so under overload a heavier offered load can show a lower latency "
                        "(the wait moved into the sender)." % "; ".join(over))
                       if over else "Every run was served at its offered rate."))
    if stopped:
        raise stopped
    return runs


# --- part 4 -------------------------------------------------------------------

class Drained(float):
    """drain()'s seconds, with .frames: what the spool held when it began
    (a 0.0 with frames > 0 is a backlog gone by the first look, not a wait
    that never saw the spool)."""


def drain(gw, limit):
    """Waits (at most limit s) until no frame is queued or being analysed,
    so a run's backlog is not the next run's load; the seconds it took
    (a Drained), or None if the spool did not drain."""
    t0 = time.monotonic()
    frames = None
    while time.monotonic() - t0 < limit:
        n = len(gw.spool("queue")) + len(gw.spool("active"))
        frames = n if frames is None else frames
        if n == 0:
            d = Drained(time.monotonic() - t0)
            d.frames = frames
            return d
        time.sleep(0.1)
    note("drain: %d frames at the start, still %d after %d s" % (frames or 0, n, limit))
    return None


def walk_more(w):
    """The walk-through's verdicts beside each visit's first: " (...)"."""
    more = [("%d later" % w["extra"]) if w["extra"] else "",
            ("%d after the next person came" % w["after_next"]) if w.get("after_next") else "",
            ("%d for others in the photo" % w["other"]) if w["other"] else "",
            ("%d for people from before the run" % w["carried"]) if w["carried"] else "",
            ("%d traced to no visit" % w["stray"]) if w["stray"] else ""]
    more = [m for m in more if m]
    return " (+%s)" % ", ".join(more) if more else ""


def keep(gw, walks):
    """BENCH_KEEP: the walk-through's traces and a copy of the database."""
    dst = os.environ.get("BENCH_KEEP")
    if not dst:
        return
    import sqlite3
    os.makedirs(dst, exist_ok=True)
    for i, w in enumerate(walks):
        with open(os.path.join(dst, "walk%d.json" % (i + 1)), "w") as f:
            json.dump(w["trace"], f)
    src = sqlite3.connect("file:%s?mode=ro" % os.path.join(gw.dir, "gatewatch.db"), uri=True, timeout=30)
    to = sqlite3.connect(os.path.join(dst, "gatewatch.db"))
    try:
        src.backup(to)
    finally:
        to.close()
        src.close()
    note("part 4: traces and database kept in %s" % dst)


def face_runs(text, mark):
    """BENCH_WALK_RUNS: the worker's per-frame log lines of text after
    offset mark summed per frame (each line's face_runs=WHOLE+BOXES half=H
    are its camera's worker's runs so far; a smaller count: a new worker),
    as a sentence."""
    last, n, pf, looks, whole, wlook, box, half = {}, 0, 0, 0, 0, 0, 0, 0
    for m in re.finditer(r"camera=(\S+) persons=(\d+) faces=\d+ classified=(\d+) .* "
                         r"face_runs=(\d+)\+(\d+) half=(\d+)", text):
        now = tuple(int(v) for v in m.group(4, 5, 6))
        prev = last.get(m.group(1), (0, 0, 0))
        d = [a - b for a, b in zip(now, prev)] if all(a >= b for a, b in zip(now, prev)) else list(now)
        last[m.group(1)] = now
        if m.start() < mark:
            continue
        looked = int(m.group(3)) > 0
        n, pf, looks = n + 1, pf + int(m.group(2)), looks + looked
        whole, wlook, box, half = whole + d[0], wlook + (d[0] if looked else 0), box + d[1], half + d[2]
    if pf == 0:
        return "no per-frame log lines with a person"
    return ("%d frames with a person (%d person-frames), %d with a look; whole-frame runs %d (%d in frames "
            "with a look, %d timed in frames without), person-box runs %d (%d half-height): %.2f runs per "
            "person-frame" % (n, pf, looks, whole, wlook, whole - wlook, box, half, (whole + box) / pf))


def part4(gw, live, people, out):
    import walk
    secs = float(os.environ.get("BENCH_WALK_S") or 60)
    rounds = int(os.environ.get("BENCH_WALK_ROUNDS") or 1)
    base = os.environ.get("BENCH_WALK_BASE", "1") == "1"
    seed = int(os.environ.get("BENCH_WALK_SEED") or 7)
    four = ["cam1", "cam2", "cam3", "cam4"]
    warm_workers(gw, live, people)
    still = still_photos(people) if base else None
    walks, bases = [], []
    load0 = loadavg()
    for r in range(rounds):
        if left() < secs + 40:
            failures.append("part 4 round %d: skipped, the time budget (%d s) was used up" % (r + 1, BUDGET_S))
            break
        note("part 4: walk-through round %d (%d s)" % (r + 1, secs))
        mark = len(gw.log("dispatcher"))
        walks.append(walk.run(gw, live, network_runs, four, secs, seed,
                               lambda: drain(gw, max(10, min(300, left() - 30)))))
        if WALK_RUNS:
            walks[-1]["face_runs"] = face_runs(gw.log("dispatcher"), mark)
        if base and left() > secs + 40:
            n0 = network_runs()
            bases.append(part3_run(gw, live, four, 5, int(secs * 5), people,
                                   "4 cameras at 5 fps each, still person (baseline)", still))
            if bases[-1]:
                bases[-1]["drain"] = drain(gw, max(10, min(300, left() - 30)))
                # the answer times from the database, as the walk-through's
                b = bases[-1]
                b["lat"], last, _ = walk.latencies(live, b["frames"])
                b["missing"] = len(b["frames"]) - len(b["lat"])
                n1 = network_runs()
                b["per"] = {k: (n1[k] - n0.get(k, 0)) / len(b["lat"]) for k in n1} if b["lat"] and n0 else {}
                first = min((recv_us(f) / 1e6 for f in b["frames"]), default=None)
                b["thr"] = len(b["lat"]) / (last - first) if b["lat"] and last and last > first else None
    keep(gw, walks)
    for i, w in enumerate(walks):
        if "face_runs" in w:
            out.append("Walk-through round %d, the worker's face detector runs (BENCH_WALK_RUNS=1): %s.\n"
                       % (i + 1, w["face_runs"]))
    out.append("### 4. The walk-through at 4 gate cameras x 5 fps (issue 8's system goal)\n")
    out.append("Load average (1 min) before / after this part: %s / %s.\n" % (load0, loadavg()))
    out.append(walk.__doc__.split("\n\n", 1)[1].replace("\n", " ") + "\n")
    out.append("| run | load | offered frames/s | sent / dropped by the sender | answers | busy share | "
               "results on /live | results/s | answer p50 ms | p95 ms | p99 ms | max ms | "
               "runs per frame: person / face / mask | worker analyse_ms p50 / p95 | ingest answer ms p50 / p95 | "
               "backlog drained after s | "
               "people: visits / decided / time to verdict p50 / p95 / max s | verdicts |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for i, w in enumerate(walks):
        rows.append(("walk-through, round %d (%d s, seed %d; %s)" % (
            i + 1, secs, seed, "the run before's people left after %.1f s" % w["left_s"] if w["left_s"] is not None
            else "some of the run before's people still open after %d s" % walk.OPEN_WAIT_S), w))
        if i < len(bases) and bases[i]:
            rows.append(("still person at each camera, round %d (baseline)" % (i + 1), bases[i]))
    for label, w in rows:
        lat = w["lat"]
        is_walk = "ttv" in w
        busy = w["busy"] if is_walk else (w["st"].get("busy", 0) / w["answered"] if w["answered"] else None)
        q = lambda xs, p: fmt(pct(xs, p)) if xs else "n/a"  # noqa: E731
        out.append("| %s | %s | %s | %s | %s | %s | %d%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, ("%.1f -> %.1f" % w["load"]) if is_walk else "", fmt(w["offered"] / w["seconds"] if is_walk
                                                                        else w["offered"]),
            ("%d / %d" % (w["sent"], w["dropped"])) if is_walk else "%d / 0" % w["answered"],
            status_text(w["st"]), ("%.1f%%" % (100 * busy)) if busy is not None else "n/a",
            len(lat), (" (+%d not seen)" % w["missing"]) if w["missing"] else "", fmt(w["thr"], 2),
            q(lat, 50), q(lat, 95), q(lat, 99), fmt(max(lat)) if lat else "n/a",
            " / ".join(fmt(w["per"].get(k), 2) for k in ("person_detector", "face_detector", "mask_classifier"))
            if w["per"] else "n/a",
            ("%s / %s" % (q(w["ams"], 50), q(w["ams"], 95))) if is_walk else "",
            ("%s / %s" % (q(w["ingest"], 50), q(w["ingest"], 95))) if is_walk else "",
            "not within the wait" if w.get("drain") is None else "%s (%d frames)" % (
                fmt(w["drain"]), getattr(w["drain"], "frames", -1)),
            ("%d / %d / %s / %s / %s" % (w["visits"], len(w["ttv"]), fmt(pct(w["ttv"], 50), 2) if w["ttv"] else "n/a",
                                         fmt(pct(w["ttv"], 95), 2) if w["ttv"] else "n/a",
                                         fmt(max(w["ttv"]), 2) if w["ttv"] else "n/a")) if is_walk else "",
            (", ".join("%s %d" % kv for kv in sorted(w["verdicts"].items())) + walk_more(w)) if is_walk else ""))
    out.append("")
    drops = gw.log("notifier").count("messages behind: dropped")
    out.append("Answer = frame received (its id) -> its result on /live (the reader reconnected %d times here, "
               "the notifier dropped it for falling behind `notifier.client_queue` messages %d times; results "
               "pushed meanwhile are missed), "
               "frames with a person (an empty "
               "frame is answered `no_person` by ingest, no result); counted after the backlog drained, so "
               "a frame analysed late still counts. Busy share = `busy` answers / answers. "
               "Results/s = results / (last result - first frame received). Walk-through: "
               "offered = frames the timelines hold / their length; the sender drops a frame due while 2 "
               "are unanswered; ingest answer = sent -> ingest's answer (decode, motion grid, person "
               "detector, spool commit), every frame. The baseline is part 3's still-person run (`gatewatch push --max-inflight 4`) "
               "for as many frames. After each run the next waits until the spool holds no frame (at most "
               "300 s: backlog drained after). `dispatcher.gate_latest = 0` as in part 3: every accepted frame is "
               "analysed (none skipped as stale), the stricter reading of the goal. Backlog drained after: "
               "the wait's seconds (the frames queued or being analysed when it began).\n" % (live.reconnects, drops))
    return walks


def flush(out):
    """Print what the finished parts wrote, so a part cut short by the time
    limit still leaves the earlier ones in the report."""
    if out:
        print("\n".join(out), flush=True)
        del out[:]


def guarded(what, fn, *args):
    """Run one part; an error is recorded, never raised."""
    try:
        return fn(*args)
    except Stopped as e:
        failures.append("%s: %s (time limit); later parts skipped" % (what, e))
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the cleanup finish
        raise
    except Exception as e:
        failures.append("%s: %r" % (what, e))
        return None


def main():
    signal.signal(signal.SIGTERM, on_term)
    out = []
    tmp = tempfile.mkdtemp(prefix="gw-bench-")
    try:
        nobody, people, rp = prepare_images(tmp)
        if not nobody:
            failures.append("no empty photo passed the first pass as no_person")
        if not people:
            failures.append("no photo with a person passed the first pass")
        if ("1" in PARTS or "2" in PARTS) and not os.access(DECODE_BENCH, os.X_OK):
            failures.append("%s not built (make B=%s %s)" % (DECODE_BENCH, B, DECODE_BENCH))
        if not failures and "1" in PARTS:
            guarded("part 1", part1, nobody, out)
            flush(out)
        if people and not os.path.exists(os.path.join(MODELS, "mask.weights")):
            failures.append("parts 2-3: %s/mask.weights missing (make models)" % MODELS)
        elif people:
            with Gatewatch("bench-e2e", cameras=["cam1", "cam2", "cam3", "cam4"],
                           # the bench's /live reader must see every result: on a loaded
                           # machine it can fall a dashboard's 256 messages behind
                           sets={"ingest.motion_threshold": "0.01", "log.level": "info" if WALK_RUNS else "warn",
                                 "notifier.client_queue": "100000",
                                 "dispatcher.worker_idle_ms": "600000",
                                 "metrics.listen": "127.0.0.1:%d" % METRICS_PORT}) as gw:
                gw.start()
                live = Live(gw.http_port, viewer_token(gw))
                try:
                    seq = guarded("part 2", part2, gw, live, people, out) if "2" in PARTS else None
                    flush(out)
                    if "3" in PARTS:
                        guarded("part 3", part3, gw, live, people, out, seq)
                    flush(out)
                    if "4" in PARTS:
                        guarded("part 4", part4, gw, live, people, out)
                    flush(out)
                finally:
                    live.close()
    except Stopped:
        pass
    finally:
        subprocess.call(["rm", "-rf", tmp])
        flush(out)
    if failures:
        out.append("**Not measured / failed:**\n")
        out += ["- %s" % f for f in failures]
        out.append("")
        flush(out)
    note("done in %.0f s" % (time.monotonic() - T_START))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

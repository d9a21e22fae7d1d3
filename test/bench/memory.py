#!/usr/bin/python3
"""memory - the memory part of `make bench` (issue 11): resident memory of
each program (ingest, dispatcher, every worker, notifier) under 4 cameras
x 5 fps and 100 logged-in dashboard clients on /live, and whether it grows.

Starts `gatewatch up` on loopback in a temp dir (test/e2e/lib.py's
Gatewatch), starts every camera's worker with one photo of a person, opens the /live
clients (a viewer token from `gatewatch token add`, as an operator makes
one; each client is read in its own thread so none falls behind), then
runs `gatewatch push --fps 5` for each camera with real photos resized to
640x480 (darknet's and face-api's samples: with and without people) for
--seconds (default 60). /proc/PID/status VmRSS and VmHWM of every program
are sampled each second. Warm-up = the first --warmup seconds (default 15)
of the load; "steady" = the median VmRSS after it; growth = VmRSS at the
end - VmRSS right after warm-up, and the least-squares slope of the
samples after warm-up.

Prints a markdown section on stdout; progress goes to stderr. A benchmark,
not a test: nothing is compared with a limit. Exit status 1 when it could
not be measured.

Usage: memory.py [--seconds S] [--warmup S] [--clients N]
Env: GW_ROOT, BIN, MODELS (see test/e2e/lib.py).
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from lib import Background, Gatewatch, images_darknet, images_faceapi, parse_answers, wait_until  # noqa: E402
from wsclient import WS  # noqa: E402
from pipeline import viewer_token  # noqa: E402  (the part next to this one)

CAMERAS = ["cam1", "cam2", "cam3", "cam4"]
FPS = 5
INFLIGHT = 4  # as many as ingest analyses per camera (ingest.max_inflight)


def note(*a):
    print("memory:", *a, file=sys.stderr, flush=True)


def arg(args, name, default):
    return type(default)(args[args.index(name) + 1]) if name in args else default


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def status_kb(pid):
    """(VmRSS, VmHWM) of pid in KiB, or None if it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            v = {}
            for line in f:
                k, _, rest = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    v[k] = int(rest.split()[0])
        return v["VmRSS"], v["VmHWM"]
    except (OSError, KeyError, ValueError):
        return None


def programs(gw):
    """{label: pid}: ingest, dispatcher, notifier, worker cam1 ..."""
    out = {}
    for pid, argv in gw.processes():
        exe = os.path.basename(argv[0]).decode(errors="replace")
        if not exe.startswith("gatewatch-"):
            continue
        prog = exe[len("gatewatch-"):]
        if prog == "worker" and b"--camera" in argv:
            i = argv.index(b"--camera")
            prog = "worker " + argv[i + 1].decode(errors="replace")
        out[prog] = pid
    return out


def photos(tmp):
    """Real photos (with and without people) as 640x480 JPEGs."""
    out = []
    for i, src in enumerate(images_darknet() + images_faceapi()):
        dst = os.path.join(tmp, "p%02d.jpg" % i)
        r = subprocess.run(["/usr/bin/convert", src, "-resize", "640x480^", "-gravity", "center",
                            "-extent", "640x480", "-strip", "-quality", "80", dst],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            out.append((dst, src))
    return out


class Client(Background):
    """One dashboard on /live, read in a thread: counts messages."""

    def __init__(self, port, token):
        self.ws = WS(port, path="/live", timeout=1, headers={"Authorization": "Bearer " + token})
        self.n = 0
        self.frames = set()     # frame ids of the results seen
        self.closed = None
        self.start_background()

    def run(self):
        while not self.stop:
            try:
                m = self.ws.recv()
                self.n += 1
                if m.get("type") == "result" and m.get("frame"):
                    with self.lock:
                        self.frames.add(m["frame"])
            except socket.timeout:
                continue
            except Exception as e:
                self.closed = repr(e)
                return

    def close(self):
        self.stop = True
        self.t.join(3)
        self.ws.close()


def push_all(gw, files, seconds, tmp):
    """One `gatewatch push --fps 5` per camera, 5 x seconds frames each,
    its output into a file in tmp (a pipe nobody reads would stop it).
    Returns {camera: (Popen, output path)}."""
    n = FPS * seconds
    procs = {}
    for k, cam in enumerate(CAMERAS):
        plan = [files[(i + 3 * k) % len(files)] for i in range(n)]
        cmd = gw.push_cmd(cam, []) + ["--fps", str(FPS), "--max-inflight", str(INFLIGHT), "--timeout-ms", "60000", "--"] + plan
        path = os.path.join(tmp, "push-%s.out" % cam)
        with open(path, "wb") as out:
            procs[cam] = (subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL,
                                           stdin=subprocess.DEVNULL), path)
    return procs


def mib(kb):
    return "n/a" if kb is None else "%.1f" % (kb / 1024.0)


def slope_mib_min(ts, kbs):
    """Least-squares slope of (t s, KiB) in MiB per minute."""
    if len(ts) < 3:
        return None
    mt, mk = statistics.mean(ts), statistics.mean(kbs)
    den = sum((t - mt) ** 2 for t in ts)
    if den == 0:
        return None
    return sum((t - mt) * (k - mk) for t, k in zip(ts, kbs)) / den * 60 / 1024.0


def measure(gw, files, seconds, warmup, nclients, res, tmp):
    res["load_start"] = loadavg()
    note("starting gatewatch up")
    gw.start()
    token = viewer_token(gw)
    # a photo with a person per camera starts every worker (models loaded);
    # wait until each one's result reached /live
    first = Client(gw.http_port, token)
    person = [f for f, src in files if os.path.basename(src) == "person.jpg"] or [files[0][0]]
    want = set()
    for cam in CAMERAS:
        want |= set(a["frame"] for a in gw.push(cam, person, timeout=180) if a.get("status") == "accepted")
    if len(want) < len(CAMERAS):
        raise RuntimeError("the warm-up photo was not accepted by every camera")
    if not wait_until(lambda: want <= first.frames, 240, 0.5):
        raise RuntimeError("not every camera's worker answered within 240 s")
    first.close()
    time.sleep(2)
    files = [f for f, _ in files]
    res["idle"] = {p: status_kb(pid) for p, pid in programs(gw).items()}
    note("opening %d /live clients" % nclients)
    clients = [Client(gw.http_port, token) for _ in range(nclients)]
    res["clients"] = clients
    note("pushing 4 cameras x %d fps for %d s (warm-up %d s)" % (FPS, seconds, warmup))
    t0 = time.monotonic()
    outs = push_all(gw, files, seconds, tmp)
    procs = {cam: p for cam, (p, _) in outs.items()}
    samples = {}  # label -> [(t, rss, hwm, pid)]
    while time.monotonic() - t0 < seconds:
        t = time.monotonic() - t0
        for p, pid in programs(gw).items():
            v = status_kb(pid)
            if v:
                samples.setdefault(p, []).append((t, v[0], v[1], pid))
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0 - t)))
    res["load_end"] = loadavg()
    res["load_s"] = time.monotonic() - t0
    answers = []
    for cam, p in procs.items():
        if p.poll() is None:
            p.terminate()
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        with open(outs[cam][1], "r", errors="replace") as f:
            answers += parse_answers(f.read())
    res["answers"] = answers
    res["samples"] = samples
    res["live_msgs"] = sum(c.n for c in clients)
    res["live_dropped"] = sum(1 for c in clients if c.closed)
    for c in clients:
        c.close()


def report(res, seconds, warmup, nclients):
    samples = res["samples"]
    order = [p for p in ("ingest", "dispatcher") if p in samples]
    order += sorted(p for p in samples if p.startswith("worker"))
    order += [p for p in ("notifier",) if p in samples]
    order += sorted(p for p in samples if p not in order)
    st = {}
    for a in res["answers"]:
        st[a.get("status", "?")] = st.get(a.get("status", "?"), 0) + 1
    print("### Memory of each program (4 cameras x %d fps, %d /live clients)\n" % (FPS, nclients))
    print("Load average (1/5/15 min) at the start / end: %s / %s. %s\n" % (
        res["load_start"], res["load_end"],
        "**Measured under load**: the machine (%d CPUs) was shared with other builds and tests: times "
        "and the rate served suffer from that more than memory does." % (os.cpu_count() or 1)
        if float(res["load_start"].split()[0]) > (os.cpu_count() or 1) else ""))
    print("`gatewatch up` on loopback (test/e2e/lib.py), every worker started with one photo of a person first; %d "
          "logged-in dashboard clients on /live (viewer token) read throughout; 4 `gatewatch push --fps %d "
          "--max-inflight %d` of real 640x480 photos with and without people, stopped after %.0f s (a sender waits while %d "
          "frames of its camera are unanswered, so a slow machine serves less than it offers). Answers "
          "(%.1f/s of the %d/s offered; read from the pushes' output, the last few may be missing): %s; %d "
          "messages reached the /live clients (%d clients dropped). /proc/PID/status sampled each second. "
          "Idle = VmRSS after the workers started, before the clients and the load; after warm-up = "
          "VmRSS at %d s into the load; steady = median VmRSS after that; end = the last sample; peak = "
          "VmHWM at the end (the high-water mark since the program started, model loading included). "
          "MiB. Command: `/usr/bin/python3 test/bench/memory.py --seconds %d`.\n" % (
              nclients, FPS, INFLIGHT, res["load_s"], INFLIGHT, len(res["answers"]) / res["load_s"], FPS * len(CAMERAS),
              ", ".join("%d %s" % (v, k) for k, v in sorted(st.items())) or "none",
              res["live_msgs"], res["live_dropped"], warmup, seconds))
    print("| program | idle | after warm-up | steady | end | end - after warm-up | slope after warm-up, MiB/min | peak (VmHWM) |")
    print("|---|---|---|---|---|---|---|---|")
    tot = dict(idle=0, warm=0, steady=0, end=0, peak=0)
    growth = []
    for p in order:
        s = samples[p]
        pids = sorted(set(x[3] for x in s))
        after = [x for x in s if x[0] >= warmup and x[3] == s[-1][3]]
        idle = (res["idle"].get(p) or (None,))[0]
        warm = after[0][1] if after else None
        steady = statistics.median(x[1] for x in after) if after else None
        end, peak = s[-1][1], s[-1][2]
        slope = slope_mib_min([x[0] for x in after], [x[1] for x in after]) if after else None
        d = (end - warm) if warm is not None else None
        if d is not None:
            growth.append((p, d, warm, slope))
        for k, v in (("idle", idle), ("warm", warm), ("steady", steady), ("end", end), ("peak", peak)):
            tot[k] += v or 0
        print("| %s%s | %s | %s | %s | %s | %s | %s | %s |" % (
            p, " (restarted: pids %s)" % ", ".join(map(str, pids)) if len(pids) > 1 else "",
            mib(idle), mib(warm), mib(steady), mib(end),
            "n/a" if d is None else "%+.1f" % (d / 1024.0), "n/a" if slope is None else "%+.2f" % slope, mib(peak)))
    print("| **all** | %s | %s | %s | %s | %+.1f | | %s |\n" % (
        mib(tot["idle"]), mib(tot["warm"]), mib(tot["steady"]), mib(tot["end"]),
        (tot["end"] - tot["warm"]) / 1024.0, mib(tot["peak"])))
    grew = [g for g in growth if g[1] > max(2048, 0.05 * g[2])]
    if grew:
        print("**Grew** after warm-up (more than 2 MiB and 5%%): %s. A run this short cannot tell a leak "
              "from a cache filling up; re-run with a longer --seconds.\n" % ", ".join(
                  "%s %+.1f MiB" % (p, d / 1024.0) for p, d, _, _ in grew))
    else:
        print("**Flat**: no program grew by more than 2 MiB (and 5%%) between the end of warm-up and the "
              "end of the run (largest change: %s).\n" % (
                  "%s %+.1f MiB" % max(((p, d / 1024.0) for p, d, _, _ in growth), key=lambda g: abs(g[1]))
                  if growth else "n/a"))


def main():
    args = sys.argv[1:]
    seconds = arg(args, "--seconds", 60)
    warmup = arg(args, "--warmup", 15)
    nclients = arg(args, "--clients", 100)
    tmp = tempfile.mkdtemp(prefix="gw-bench-mem-")
    res = {}
    try:
        files = photos(tmp)
        if not files:
            raise RuntimeError("no photos (darknet's and face-api's samples) to push")
        with Gatewatch("bench-memory", cameras=CAMERAS,
                       sets={"log.level": "warn", "dispatcher.worker_idle_ms": "600000"}) as gw:
            measure(gw, files, seconds, warmup, nclients, res, tmp)
    except Exception as e:
        print("**Not measured**: %r\n" % e)
        note("failed: %r" % e)
        return 1
    finally:
        subprocess.call(["rm", "-rf", tmp])
    report(res, seconds, warmup, nclients)
    return 0


if __name__ == "__main__":
    sys.exit(main())

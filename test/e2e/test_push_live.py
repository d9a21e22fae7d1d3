#!/usr/bin/python3
"""test_push_live - `gatewatch push` as a live camera against a server that
is slower than the source.

The server is campeer.py, a scripted peer of the camera protocol (why not
the real ingest: the subject is push's own pacing, which needs a server of
known, fixed slowness; test_ingest_push.py covers push against the real
ingest). A generator thread in this test writes JPEGs, each marked with its
number, into push's stdin at a fixed rate, and a temperature line into a
FIFO before each one. Checked:
- only the newest frame is sent while frames are in flight: every frame the
  server receives is the newest the source had written or the one before
  (within one frame interval), the frames in between are dropped and
  counted, and the last frame of the stream is sent and answered;
- the temperature is the sensor's latest reading at the moment of sending,
  one per frame, from a FIFO (never blocking, also with no writer) or a file
  rewritten between frames; "null" and stale readings send none;
- person, prompt and verdict messages come out as JSON lines with the track
  id as a string (also a 64-bit one), unknown types pass, non-JSON is
  reported on stderr; SIGTERM ends a live stream with the counts, exit 0.

Env: GW_ROOT (repo root), BIN (default bin)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import BIN, Report, feed_paced  # noqa: E402
from campeer import CamPeer, jpeg_mark  # noqa: E402

rep = Report()
GW = os.path.join(BIN, "gatewatch")
BIG_TRACK = "1234567890123456789"     # over 2^53: must survive exactly


def base_jpeg(tmp):
    out = os.path.join(tmp, "base.jpg")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=1",
                    "-frames:v", "1", out], stdin=subprocess.DEVNULL, timeout=60, check=True)
    return open(out, "rb").read()


def parse(out):
    lines = []
    for l in out.decode(errors="replace").splitlines():
        try:
            lines.append(json.loads(l))
        except ValueError:
            lines.append({"unparsed": l})
    return lines


def collect(p, timeout):
    """(stdout, stderr) of p once it exits; unlike communicate() it leaves
    p.stdin to the generator."""
    out = {}

    def rd(name, f):
        out[name] = f.read()
    ts = [threading.Thread(target=rd, args=(k, f)) for k, f in (("out", p.stdout), ("err", p.stderr))]
    for t in ts:
        t.start()
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    for t in ts:
        t.join(10)
    return out.get("out", b""), out.get("err", b"")


def cam(peer, *extra):
    return [GW, "push", "--url", "ws://127.0.0.1:%d/" % peer.port, "--camera", "gate1", "--token", "t" * 12] + list(extra)


def live_case(tmp, jpeg):
    rate, n_frames, delay = 5.0, 40, 0.5
    fifo = os.path.join(tmp, "temp.fifo")
    os.mkfifo(fifo)
    gen = {"written": 0}

    def scripted(peer, rec):
        rec["lag"] = gen["written"] - (rec["mark"] or 0)
        if rec["seq"] == 2:
            peer.send({"type": "person", "track": int(BIG_TRACK), "event": "appeared"})
            peer.send({"type": "prompt", "track": BIG_TRACK, "reason": "face_not_visible", "text": "Please look at the camera"})
            peer.send({"type": "hologram", "track": 5, "x": [1, 2]})
            peer.send("this is not JSON")
            peer.send({"type": "verdict", "track": int(BIG_TRACK), "verdict": "DENY", "reason": "no_mask",
                       "temperature": 36.6, "override": False, "by": None, "face": "data:image/jpeg;base64,/9j/AA=="})
            peer.send({"type": "person", "track": BIG_TRACK, "event": "left"})

    peer = CamPeer(delay=delay, on_frame=scripted)
    p = subprocess.Popen(cam(peer, "--stdin", "--temperature-from", fifo), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    values = {}

    def generator():
        wfd = os.open(fifo, os.O_RDWR)   # never blocks, push may not have opened it yet

        def frame(i):  # frame n = i + 1, its temperature first
            values[i + 1] = 36.0 + (i + 1) / 100.0
            os.write(wfd, b"%.2f\n" % values[i + 1])
            return jpeg_mark(jpeg, i + 1)

        try:
            feed_paced(p, n_frames, rate, frame, written=lambda i: gen.__setitem__("written", i + 1))
        finally:
            os.close(wfd)

    th = threading.Thread(target=generator)
    th.start()
    out, err = collect(p, 120)
    th.join(30)
    peer.close()
    err = err.decode(errors="replace")
    lines = parse(out)
    answers = [m for m in lines if m.get("type") == "answer"]
    end = [m for m in lines if m.get("type") == "end"]
    end = end[-1] if end else {}
    frames = peer.frames
    marks = [f["mark"] for f in frames]
    lags = [f.get("lag") for f in frames]
    rep.check(p.returncode == 0, "live push exits 0", "rc %s stderr %r" % (p.returncode, err[-400:]))
    rep.check(end.get("read") == n_frames and end.get("sent") == len(frames) and end.get("answered") == len(frames)
              and end.get("sent", 0) + end.get("dropped", -1) == n_frames and end.get("dropped", 0) > 0,
              "the end line counts every source frame as sent or dropped (server slower than the source)",
              "end %r, server got %d" % (end, len(frames)))
    rep.check("dropped" in err and "%d frames read" % n_frames in err, "the dropped count is printed on stderr at exit",
              err[-300:])
    rep.check(marks == sorted(set(marks)) and None not in marks, "frames reach the server in source order, none twice",
              repr(marks))
    late = [(m, l) for m, l in zip(marks, lags) if l is None or l > 1]
    print("# %d of %d source frames sent; lag (source frames written after the one received): %r"
          % (len(frames), n_frames, lags))
    # A process stalled by the scheduler of a loaded machine (six builds and a
    # training run on 2 cores: load 17 was seen) sends the odd frame a few
    # behind, without falling further behind; a sender that takes every frame
    # in order (--all-frames) is 8 to 14 frames behind here, as many as the
    # pipe buffers, and holds the source up.
    on_time = [l for l in lags if l is not None and l <= 1]
    rep.check(frames and len(on_time) * 4 >= len(frames) * 3 and sorted(lags)[len(lags) // 2] <= 1,
              "frames sent are the source's newest or the one before (within one frame interval): "
              "at least 3 in 4 and the median; the rest only late by a stall",
              "late (mark, frames behind): %r" % late)
    rep.check(answers and answers[-1].get("file") == "stdin#%d" % n_frames and marks[-1:] == [n_frames],
              "the last frame of the stream is sent and answered", repr(answers[-1:]))
    bad_temp = [(f["mark"], f["temperature"]) for f in frames
                if f["temperature"] is None or f["temperature"] + 1e-6 < values.get(f["mark"], 99)]
    temps = set(f["temperature"] for f in frames)
    rep.check(not bad_temp and len(temps) > 1,
              "each frame carries the FIFO sensor's latest reading at sending time (not one value per session)",
              "bad %r, distinct %d" % (bad_temp, len(temps)))
    by = {}
    for m in lines:
        by.setdefault(m.get("type"), []).append(m)
    rep.check([m.get("event") for m in by.get("person", [])] == ["appeared", "left"]
              and all(m.get("track") == BIG_TRACK for m in by.get("person", []) + by.get("prompt", []) + by.get("verdict", [])),
              "person appeared/left come out as JSON lines, track a string (a 64-bit id intact)",
              repr(by.get("person")))
    v = (by.get("verdict") or [{}])[0]
    rep.check(len(by.get("prompt", [])) == 1 and by["prompt"][0].get("text") == "Please look at the camera"
              and v.get("verdict") == "DENY" and v.get("face", "").startswith("data:image/jpeg") and v.get("by", 0) is None
              and v.get("temperature") == 36.6,
              "prompt and verdict (with its face and fields) come out as JSON lines", "%r %r" % (by.get("prompt"), v))
    end = (by.get("end") or [{}])[0]
    rep.check((end.get("persons"), end.get("prompts"), end.get("verdicts")) == (1, 1, 1),
              "the end line counts people (one appeared and left), prompts and verdicts", repr(end))
    rep.check(len(by.get("hologram", [])) == 1 and not any("unparsed" in m for m in lines) and "not a JSON" in err,
              "an unknown type passes through; a non-JSON message is reported on stderr, not printed",
              "stdout types %r stderr %r" % (sorted(by), err[-300:]))


def file_sensor_case(tmp, jpeg):
    sensor = os.path.join(tmp, "temp.txt")

    def put(text, age=0):
        t = sensor + ".tmp"
        with open(t, "w") as f:
            f.write(text)
        if age:
            past = time.time() - age
            os.utime(t, (past, past))
        os.rename(t, sensor)

    def scripted(peer, rec):
        if rec["seq"] == 1:
            put("37.9\n38.4\n")     # the last line is the reading
        elif rec["seq"] == 2:
            put("null\n")
        elif rec["seq"] == 3:
            put("37.0\n", age=60)

    files = []
    for i in range(5):
        f = os.path.join(tmp, "f%d.jpg" % i)
        open(f, "wb").write(jpeg_mark(jpeg, i + 1))
        files.append(f)
    put("36.6\n")
    peer = CamPeer(delay=0.05, on_frame=scripted)
    p = subprocess.run(cam(peer, "--max-inflight", "1", "--temperature-from", sensor,
                           "--temperature-max-age-ms", "5000", *files), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    peer.close()
    err = p.stderr.decode(errors="replace")
    temps = [f["temperature"] for f in peer.frames]
    rep.check(p.returncode == 0 and temps == [36.6, 38.4, None, None, None],
              "a sensor file is read again for every frame; \"null\" and a stale reading send none",
              "rc %d temps %r stderr %r" % (p.returncode, temps, err[-300:]))
    rep.check("no reading (null)" in err and "older than 5.0 s" in err, "why a frame goes without a temperature is said on stderr",
              err[-400:])
    rep.check(err.count("older than") == 1, "and said once for two frames with the same stale reading", err[-400:])


def server_limit_case(tmp, jpeg):
    files = []
    for i in range(6):
        f = os.path.join(tmp, "g%d.jpg" % i)
        open(f, "wb").write(jpeg_mark(jpeg, i + 1))
        files.append(f)
    wide = CamPeer(delay=0.2)
    p1 = subprocess.run(cam(wide, *files), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    wide.close()
    narrow = CamPeer(delay=0.2, welcome={"max_inflight": 1, "mode": "gate"})
    p2 = subprocess.run(cam(narrow, *files), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    narrow.close()
    err = p2.stderr.decode(errors="replace")
    rep.check(p1.returncode == 0 and wide.max_inflight == 2 and p2.returncode == 0 and narrow.max_inflight == 1
              and len(narrow.frames) == 6 and "at most 1" in err,
              "2 frames in flight by default, 1 when the welcome says the server takes 1",
              "default: rc %d max %d; limited: rc %d max %d frames %d stderr %r"
              % (p1.returncode, wide.max_inflight, p2.returncode, narrow.max_inflight, len(narrow.frames), err[-200:]))


def fifo_no_writer_case(tmp, jpeg):
    fifo = os.path.join(tmp, "silent.fifo")
    os.mkfifo(fifo)
    rec = os.path.join(tmp, "recording.mjpeg")
    with open(rec, "wb") as f:
        for n in range(1, 6):
            f.write(jpeg_mark(jpeg, n))
    peer = CamPeer(delay=0.1)
    with open(rec, "rb") as stdin:
        p = subprocess.run(cam(peer, "--stdin", "--temperature-from", fifo), stdin=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    peer.close()
    err = p.stderr.decode(errors="replace")
    end = [m for m in parse(p.stdout) if m.get("type") == "end"]
    rep.check(p.returncode == 0 and [f["mark"] for f in peer.frames] == [1, 2, 3, 4, 5]
              and all(f["temperature"] is None for f in peer.frames) and end and end[0].get("dropped") == 0,
              "a recording on stdin sends every frame; a FIFO nobody writes never blocks the stream",
              "rc %d marks %r end %r stderr %r" % (p.returncode, [f["mark"] for f in peer.frames], end, err[-300:]))
    rep.check("no reading yet" in err, "a silent sensor is reported once on stderr", err[-300:])


def stdout_unread_case(tmp, jpeg):
    """Nobody reads push's stdout at first: once the pipe is full push says
    so on stderr (it waits for the reader, sending nothing); when the
    reader comes, every frame is sent and answered."""
    files = []
    for i in range(8):
        f = os.path.join(tmp, "u%d.jpg" % i)
        open(f, "wb").write(jpeg_mark(jpeg, i + 1))
        files.append(f)
    big = "data:image/jpeg;base64," + "A" * 30000   # a verdict with a face crop: 30 KB a line
    peer = CamPeer(delay=0.02, on_frame=lambda peer, rec: peer.send(
        {"type": "verdict", "track": str(rec["seq"]), "verdict": "PASS", "reason": "", "face": big}))
    p = subprocess.Popen(cam(peer, *files), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = []
    te = threading.Thread(target=lambda: err.extend(iter(p.stderr.readline, b"")))
    te.start()
    end = time.monotonic() + 30
    while time.monotonic() < end and p.poll() is None and not any(b"stdout is full" in x for x in err):
        time.sleep(0.1)       # stdout unread until push says it is full (or 30 s)
    out = p.stdout.read()
    p.wait(60)
    te.join(10)
    peer.close()
    err = b"".join(err).decode(errors="replace")
    lines = parse(out)
    fin = [m for m in lines if m.get("type") == "end"]
    rep.check("stdout is full" in err, "a stdout nobody reads is said on stderr", err[-300:])
    rep.check(p.returncode == 0 and len(peer.frames) == len(files) and fin and fin[0].get("answered") == len(files)
              and sum(1 for m in lines if m.get("type") == "verdict") == len(files),
              "once stdout is read, every frame is sent and answered, every line there",
              "rc %s frames %d end %r" % (p.returncode, len(peer.frames), fin))


def sigterm_case(tmp, jpeg):
    got3 = threading.Event()
    peer = CamPeer(delay=0.05, on_frame=lambda peer, rec: rec["seq"] >= 3 and got3.set())
    p = subprocess.Popen(cam(peer, "--stdin"), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stop = threading.Event()

    def gen():
        n = 0
        try:
            while not stop.is_set() and n < 600:
                n += 1
                p.stdin.write(jpeg_mark(jpeg, n))
                p.stdin.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ValueError):
            pass

    th = threading.Thread(target=gen)
    th.start()
    got3.wait(30)
    p.send_signal(signal.SIGTERM)
    out, err = collect(p, 30)
    stop.set()
    th.join(10)
    peer.close()
    end = [m for m in parse(out) if m.get("type") == "end"]
    rep.check(got3.is_set() and p.returncode == 0 and end and end[0].get("sent", 0) >= 3,
              "SIGTERM ends a live stream: exit 0, counts printed", "rc %s end %r stderr %r"
              % (p.returncode, end, err.decode(errors="replace")[-300:]))


def main():
    if not os.access(GW, os.X_OK):
        rep.check(False, "gatewatch exists", GW + " not built")
        return rep.done()
    tmp = tempfile.mkdtemp(prefix="gw-pushlive-")
    try:
        jpeg = base_jpeg(tmp)
        live_case(tmp, jpeg)
        file_sensor_case(tmp, jpeg)
        fifo_no_writer_case(tmp, jpeg)
        server_limit_case(tmp, jpeg)
        stdout_unread_case(tmp, jpeg)
        sigterm_case(tmp, jpeg)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

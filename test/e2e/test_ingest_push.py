#!/usr/bin/python3
"""test_ingest_push - `gatewatch push` against a real gatewatch-ingest
running alone (no dispatcher, no notifier: frames are still answered and
spooled). Checks answers, exit statuses, stderr messages and --stdin
splitting of a concatenated JPEG stream.

Env: GW_ROOT (repo root), BIN (default bin), MODELS (default models/out)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import SHARED, built, closed_port, free_port, json_lines, kill_spawned, spawn  # noqa: E402
from test_ingest_server import BIN, MODELS, NOBODY, PERSON, png, rep  # noqa: E402

GW = os.path.join(BIN, "gatewatch")
# A mask-faces val photo whose face fills the frame: NanoDet finds no person
# in it once padded to 640x480 (measured); the face detector does.
CLOSEUP = os.path.join(SHARED, "datasets", "mask-faces", "val", "with_mask",
                       "c02ddf207bc484db939fb975de06e24e3bb154b5.jpg")
NOBODY_ALL = ["/usr/share/darknet/data/%s.jpg" % n for n in ("eagle", "dog", "giraffe", "horses", "scream")]
INGEST = os.path.join(BIN, "gatewatch-ingest")


def push(args, stdin=None, timeout=120):
    # stdin: bytes (through a pipe: a live camera) or an open file (a recording)
    io = {"input": stdin} if stdin is None or isinstance(stdin, bytes) else {"stdin": stdin}
    p = subprocess.run([GW, "push"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, **io)
    return p.returncode, json_lines(p.stdout.decode(errors="replace")), p.stderr.decode(errors="replace")


def conf_path(tmp):
    return os.path.join(tmp, "gatewatch.conf")


def answers(lines):
    return [m for m in lines if m.get("type") == "answer"]


def main():
    if not built(rep, GW, INGEST):
        return 1
    tmp = tempfile.mkdtemp(prefix="gw-push-")
    port = free_port()
    conf = os.path.join(tmp, "gatewatch.conf")
    with open(conf, "w") as f:
        f.write("dir = %s\nmodels.dir = %s\nlisten.address = 127.0.0.1\ningest.port = %d\nhttp.port = %d\n"
                "ingest.motion_threshold = 0.05\ningest.motion_recheck_ms = 600000\nspool.min_free_mb = 0\n"
                "camera.gate1.token = tok-push-1234\n" % (tmp, MODELS, port, free_port()))
    proc = spawn([INGEST, "-c", conf], os.path.join(tmp, "ingest.log"))
    try:
        return cases(tmp, port, proc)
    finally:
        kill_spawned(proc, rep, tail=30)
        shutil.rmtree(tmp, ignore_errors=True)


def cases(tmp, port, proc):
    url = "ws://127.0.0.1:%d/" % port
    cam = ["--url", url, "--camera", "gate1", "--token", "tok-push-1234"]
    end = time.monotonic() + 120   # the person model loads first (a loaded machine: slowly)
    while True:
        if proc.poll() is not None:
            rep.check(False, "ingest starts", "exited with %s" % proc.returncode)
            return 1
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() >= end:
                rep.check(False, "ingest starts", "no listener after 120 s")
                return 1
            time.sleep(0.1)

    # files: one answer per file, in order, with the file name; exit 0
    bad = os.path.join(tmp, "notes.txt")
    with open(bad, "w") as f:
        f.write("not an image\n" * 20)
    rc, lines, err = push(cam + ["--temperature", "36.5", PERSON, NOBODY, bad])
    # two frames in flight (the default): ingest answers a rejected frame at
    # once, before an earlier one still in the detector
    a = sorted(answers(lines), key=lambda m: m.get("seq", 0))
    rep.check(rc == 0, "push of 3 files exits 0", "rc %d stderr %r" % (rc, err[-300:]))
    rep.check(lines and lines[0].get("type") == "welcome", "push prints the welcome first", repr(lines[:1]))
    rep.check([m.get("status") for m in a] == ["accepted", "no_person", "rejected"]
           and [m.get("file") for m in a] == [PERSON, NOBODY, bad] and [m.get("seq") for m in a] == [1, 2, 3],
           "answers: accepted, no_person, rejected, each with its file", repr([(m.get("seq"), m.get("status"), m.get("file")) for m in a]))
    rep.check("%s: rejected: not a JPEG or PNG image" % bad in err and PERSON not in err,
              "the rejected file is named on stderr with why (only it)", repr(err[-300:]))
    qdir = os.path.join(tmp, "spool", "queue", "gate1")
    names = sorted(os.listdir(qdir)) if os.path.isdir(qdir) else []
    rep.check(len(a) > 0 and names == [str(a[0].get("frame")) + ".jpg"], "only the person frame is spooled (no dispatcher running)",
           repr(names))
    if names:
        data = open(os.path.join(qdir, names[0]), "rb").read()
        # the trailer is JSON written by jansson: 36.5, not printf's 36.50
        rep.check(re.search(rb'"temperature":36\.50?[,}]', data) is not None, "--temperature reaches the spooled metadata",
                  repr(data[-200:]))

    # motion gate: the same empty scene again skips the detector
    rc, lines, err = push(cam + [NOBODY])
    a = answers(lines)
    rep.check(rc == 0 and len(a) == 1 and a[0].get("status") == "no_person" and a[0].get("reason") == "no motion",
           "unchanged empty scene -> no_person, reason \"no motion\"", "rc %d %r" % (rc, a))
    rc, lines, err = push(cam + [PERSON])
    a = answers(lines)
    rep.check(rc == 0 and len(a) == 1 and a[0].get("status") == "accepted",
           "a changed scene runs the detector again", "rc %d %r" % (rc, a))
    rc, lines, err = push(cam + [PERSON])
    a2 = answers(lines)
    rep.check(rc == 0 and len(a2) == 1 and a2[0].get("status") == "accepted"
           and "no motion" in a2[0].get("reason", "") and a and a2[0].get("reason", "").startswith(a[0].get("reason", "?")),
           "the same person standing still: accepted with the last run's boxes, the detector skipped",
           "rc %d %r then %r" % (rc, a, a2))

    # several frames in flight
    rc, lines, err = push(cam + ["--max-inflight", "3", NOBODY, NOBODY, NOBODY, NOBODY])
    a = answers(lines)
    rep.check(rc == 0 and sorted(m.get("seq") for m in a) == [1, 2, 3, 4]
           and all(m.get("status") in ("no_person", "busy") for m in a),
           "--max-inflight 3: every frame answered once", "rc %d %r" % (rc, [(m.get("seq"), m.get("status")) for m in a]))

    # --stdin: concatenated real JPEG files are split on their markers; a
    # regular file on stdin is a recording: every frame is sent
    stream = open(PERSON, "rb").read() + open(NOBODY, "rb").read()
    rec = os.path.join(tmp, "two.mjpeg")
    open(rec, "wb").write(stream)
    with open(rec, "rb") as f:
        rc, lines, err = push(cam + ["--stdin"], stdin=f)
    a = answers(lines)
    rep.check(rc == 0 and [m.get("status") for m in a] == ["accepted", "no_person"]
           and [m.get("file") for m in a] == ["stdin#1", "stdin#2"],
           "--stdin splits concatenated JPEGs (a recording: all frames)", "rc %d %r %r" % (rc, a, err[-200:]))
    # through a pipe it is a live camera: frames may be dropped, never the newest
    rc, lines, err = push(cam + ["--stdin"], stdin=stream)
    a = answers(lines)
    end = [m for m in lines if m.get("type") == "end"]
    rep.check(rc == 0 and a and a[-1].get("file") == "stdin#2" and a[-1].get("status") == "no_person"
           and end and end[0].get("read") == 2 and end[0].get("sent") + end[0].get("dropped") == 2,
           "--stdin from a pipe: the newest frame is always sent, the rest counted", "rc %d %r %r" % (rc, lines, err[-200:]))

    # --stdin from ffmpeg's mjpeg image2pipe
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        mj = subprocess.run([ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=5",
                             "-frames:v", "3", "-f", "image2pipe", "-c:v", "mjpeg", "-"],
                            stdout=subprocess.PIPE, timeout=60).stdout
        rc, lines, err = push(cam + ["--stdin", "--all-frames", "--fps", "50"], stdin=mj)
        a = answers(lines)
        rep.check(rc == 0 and [m.get("seq") for m in a] == [1, 2, 3]
               and all(m.get("status") in ("no_person", "accepted") for m in a),
               "--stdin --all-frames takes an ffmpeg mjpeg pipe frame by frame", "rc %d %r %r" % (rc, a, err[-200:]))
    else:
        rep.check(False, "--stdin takes an ffmpeg mjpeg stream frame by frame", "ffmpeg not installed")

    # failures: auth, connection, usage
    rc, lines, err = push(["--url", url, "--camera", "gate1", "--token", "wrong-token-99", NOBODY])
    rep.check(rc == 1 and "authentication failed" in err, "wrong token: exit 1 with a clear message",
           "rc %d stderr %r" % (rc, err))
    hold, dead = closed_port()
    rc, lines, err = push(["--url", "ws://127.0.0.1:%d/" % dead, "--camera", "gate1", "--token", "x" * 12, NOBODY])
    hold.close()
    rep.check(rc == 1 and "connect" in err, "nothing listening: exit 1 with a clear message", "rc %d stderr %r" % (rc, err))
    rc, lines, err = push(["--url", url, "--token", "tok-push-1234", NOBODY])
    rep.check(rc == 2 and "--camera" in err, "missing --camera: usage error, exit 2", "rc %d stderr %r" % (rc, err))
    rc, lines, err = push(cam)
    rep.check(rc == 2, "no files and no --stdin: usage error, exit 2", "rc %d stderr %r" % (rc, err))
    rc, lines, err = push(["--url", "http://127.0.0.1/", "--camera", "gate1", "--token", "tok-push-1234", NOBODY])
    rep.check(rc == 2, "non-ws URL: usage error, exit 2", "rc %d stderr %r" % (rc, err))

    # the server kept serving through all of it
    rc, lines, err = push(cam + [NOBODY])
    rep.check(rc == 0 and [m.get("status") for m in answers(lines)] == ["no_person"], "ingest still serves after the failures",
           "rc %d %r" % (rc, lines))

    # startup failures are clear and exit 2 before any side effect
    other = os.path.join(tmp, "other")
    p = subprocess.run([INGEST, "--dir", other, "--set", "models.dir=" + os.path.join(tmp, "no-models")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    rep.check(p.returncode == 2 and b"person detector" in p.stderr and not os.path.exists(other),
           "missing person model: exit 2 naming it, nothing created", "rc %d %r" % (p.returncode, p.stderr[-200:]))
    p = subprocess.run([INGEST, "--dir", other, "--set", "ingest.port=http"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    rep.check(p.returncode == 2 and b"ingest.port" in p.stderr and not os.path.exists(other),
           "bad config value: exit 2 naming the key", "rc %d %r" % (p.returncode, p.stderr[-200:]))
    p = subprocess.run([INGEST, "-c", conf_path(tmp)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    rep.check(p.returncode == 2 and b"cannot listen" in p.stderr, "port already in use: exit 2 with a clear message",
           "rc %d %r" % (p.returncode, p.stderr[-200:]))

    # --replay: one JSON line per file, no socket, no spool
    p = subprocess.run([INGEST, "--dir", other, "--set", "models.dir=" + MODELS, "--replay", PERSON, NOBODY, "/nonexistent.jpg"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    rl = [json.loads(l) for l in p.stdout.decode().splitlines()]
    rep.check(len(rl) == 3 and rl[0].get("person") is True and len(rl[0].get("persons", [])) >= 1
           and rl[0].get("width") == 640 and rl[1].get("person") is False and "error" in rl[2]
           and p.returncode == 1 and not os.path.exists(other),
           "--replay prints one JSON line per file (error for a missing one), touches no spool",
           "rc %d %r" % (p.returncode, rl))

    # close-ups: NanoDet misses a face filling the frame; the face detector
    # stands in, one head-and-shoulders box per face
    closeup = os.path.join(tmp, "closeup.jpg")
    if os.path.exists(CLOSEUP):
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", CLOSEUP, "-vf",
                        "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2",
                        closeup], stdin=subprocess.DEVNULL, timeout=60)
    if not os.path.exists(closeup):
        rep.check(False, "padded close-up made", "no %s or ffmpeg failed" % CLOSEUP)
    else:
        p = subprocess.run([INGEST, "--dir", other, "--set", "models.dir=" + MODELS, "--replay", closeup],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        rl = [json.loads(l) for l in p.stdout.decode().splitlines()]
        bx = rl[0].get("persons", []) if len(rl) == 1 else []
        rep.check(p.returncode == 0 and len(rl) == 1 and rl[0].get("person") is True and len(bx) >= 1
               and all(b.get("by") == "face" and 0 <= b["x"] and 0 <= b["y"] and b["x"] + b["w"] <= 640.01
                       and b["y"] + b["h"] <= 480.01 and b["w"] >= 100 and b["h"] >= 100 for b in bx)
               and "close-up" in rl[0].get("reason", ""),
               "--replay: padded close-up NanoDet misses -> person by face, box in the frame",
               "rc %d %r" % (p.returncode, rl))
        rc, lines, err = push(cam + [closeup])
        a = answers(lines)
        rep.check(rc == 0 and [m.get("status") for m in a] == ["accepted"], "push: padded close-up is accepted",
               "rc %d %r" % (rc, lines))
    p = subprocess.run([INGEST, "--dir", other, "--set", "models.dir=" + MODELS, "--replay"] + NOBODY_ALL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    rl = [json.loads(l) for l in p.stdout.decode().splitlines()]
    rep.check(p.returncode == 0 and len(rl) == len(NOBODY_ALL) and all(r.get("person") is False for r in rl),
           "--replay: photos with nobody (eagle, dog, giraffe, horses, scream) stay no person with the face fallback",
           "rc %d %r" % (p.returncode, rl))
    rl = [json.loads(l) for l in subprocess.run(
        [INGEST, "--dir", other, "--set", "models.dir=" + MODELS, "--replay", PERSON],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120).stdout.decode().splitlines()]
    rep.check(len(rl) == 1 and rl[0].get("person") is True and all(b.get("by") == "person" for b in rl[0]["persons"]),
           "--replay: a full-body photo's boxes are by person", repr(rl))

    os.killpg(proc.pid, signal.SIGTERM)
    try:
        rep.check(proc.wait(timeout=60) == 0, "ingest exits 0 on SIGTERM", "exit %s" % proc.returncode)
    except subprocess.TimeoutExpired:
        rep.check(False, "ingest exits 0 on SIGTERM", "still running after 20 s")
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""test_push_gate - `gatewatch push --stdin` as a headless gate against the
whole system (`gatewatch up`: ingest, dispatcher, worker, notifier, real
networks): a live 5 fps stream of a person seen from behind (no usable
face), at least 14 s and until the gate has its verdict (at most 120 s: on
a loaded machine the pipeline may see the person for less than
gate.face_timeout_ms of the first 14 s), then 8 s of an empty scene. The gate controller's view on push's stdout:
the person appeared, was asked to look at the camera, got DENY
face_not_visible (gate.face_timeout_ms), and left, in that order, one
track id (a string) throughout, one verdict; the end line counts every
source frame as sent or dropped, every frame sent answered. push lingers
LINGER_MS after its last answer (the worker may run behind the camera on a
loaded machine: the person leaves in that time) and exits by itself; a
SIGTERM (not a failure) only stops one that never does.

Env: GW_ROOT, BIN, MODELS (as the other e2e tests)."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import BIN, Gatewatch, Report, feed_paced  # noqa: E402

rep = Report()
PERSON = "/usr/share/darknet/data/person.jpg"    # a man from behind: a person, no face
NOBODY = "/usr/share/darknet/data/eagle.jpg"
FPS, PERSON_S, NOBODY_S = 5, 14, 8
PERSON_MAX_S = 120
LINGER_MS = 20000


def jpeg(src):
    return subprocess.run(["ffmpeg", "-loglevel", "error", "-i", src, "-vf", "scale=640:480", "-f", "mjpeg", "-"],
                          stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60, check=True).stdout


def main():
    person, nobody = jpeg(PERSON), jpeg(NOBODY)
    sets = {"camera.gate1.mode": "gate", "dispatcher.gate_latest": 1, "gate.face_prompt_ms": 1500, "gate.face_timeout_ms": 6000,
            "gate.face_timeout_verdict": "DENY", "track.max_missing_ms": 3000}
    with Gatewatch("pushgate", cameras=["gate1"], sets=sets) as gw:
        gw.start()
        p = subprocess.Popen([os.path.join(BIN, "gatewatch"), "push", "--url", "ws://127.0.0.1:%d/" % gw.ingest_port,
                              "--camera", "gate1", "--token", gw.tokens["gate1"], "--stdin", "--timeout-ms", "120000",
                              "--linger-ms", str(LINGER_MS)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        decided = threading.Event()   # a verdict came
        nobody_from = [None]          # the first frame of the empty scene
        fed = [0]

        def frame(i):
            if nobody_from[0] is None and (i >= FPS * PERSON_MAX_S or (i >= FPS * PERSON_S and decided.is_set())):
                nobody_from[0] = i
            if nobody_from[0] is None:
                return person
            return nobody if i < nobody_from[0] + FPS * NOBODY_S else None
        th = threading.Thread(target=feed_paced, args=(p, FPS * (PERSON_MAX_S + NOBODY_S), FPS, frame,
                                                        lambda i: fed.__setitem__(0, i + 1)))
        th.start()
        err = []
        te = threading.Thread(target=lambda: err.append(p.stderr.read()))
        te.start()
        # The worker may be behind the camera (a loaded machine analyses a
        # frame in about a second): push lingers LINGER_MS after its last
        # answer, time for the gate to hear that the person left (their last
        # frame is NOBODY_S older), then exits. It was stopped by a SIGTERM
        # once 'left' came, which cut off a frame still in flight at load 17
        # ("sent 39, answered 38"): only one that never exits is stopped.
        exited = threading.Event()

        def stop_if_stuck():
            th.join(PERSON_MAX_S + NOBODY_S + 30)
            if not exited.wait(LINGER_MS / 1000 + 120):
                p.send_signal(signal.SIGTERM)
        ts = threading.Thread(target=stop_if_stuck)
        ts.start()
        lines = []
        for line in p.stdout:
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"unparsed": line.decode(errors="replace")})
            if lines[-1].get("type") == "verdict":
                decided.set()
        exited.set()
        try:
            p.wait(PERSON_MAX_S + NOBODY_S + 180)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        th.join(30)
        total = fed[0]
        print("# %d frames of a person, %d in all" % (nobody_from[0] or 0, total))
        te.join(10)
        ts.join(100)
        err = (err[0] if err else b"").decode(errors="replace")
        gate = [m for m in lines if m.get("type") in ("person", "prompt", "verdict")]
        seq = [m["type"] + ":" + (m.get("event") or m.get("verdict") or m.get("reason") or "") for m in gate]
        print("# gate messages: %s" % seq)
        answers = {}
        for m in lines:
            if m.get("type") == "answer" or "status" in m:
                k = "%s%s" % (m.get("status"), (" (" + m["reason"] + ")") if m.get("status") != "accepted" and m.get("reason") else "")
                answers[k] = answers.get(k, 0) + 1
        print("# answers: %s" % answers)
        end = ([m for m in lines if m.get("type") == "end"] or [{}])[-1]
        rep.check(p.returncode == 0 and not any("unparsed" in m for m in lines), "push exits 0, stdout is JSON lines",
                  "rc %s stderr %r" % (p.returncode, err[-400:]))
        rep.check(seq == ["person:appeared", "prompt:face_not_visible", "verdict:DENY", "person:left"],
                  "appeared, prompt, DENY, left, in that order", repr(seq))
        tracks = set(m.get("track") for m in gate)
        rep.check(len(tracks) == 1 and all(isinstance(t, str) and t.isdigit() for t in tracks),
                  "one track id, a decimal string, throughout", repr(tracks))
        v = ([m for m in gate if m["type"] == "verdict"] or [{}])[0]
        rep.check(v.get("reason") == "face_not_visible" and v.get("override") is False,
                  "the verdict says why: face_not_visible, not an override", repr(v)[:300])
        rep.check(end.get("read") == total and end.get("sent", 0) + end.get("dropped", -1) == total
                  and end.get("answered") == end.get("sent") and end.get("verdicts") == 1,
                  "the end line: every source frame sent or dropped, every one sent answered, one verdict", repr(end))
        if rep.failed:
            gw.failed = True
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""gate_still - one decision per person while nobody moves: a still photo
of several people (mask-scenes, default maksssksksss257.jpg, 8 faces) sent
to a gate camera at 5 frames/s for STILL_S seconds through `gatewatch push
--stdin` on the four real programs (`gatewatch up`, dispatcher.gate_latest
= 1), one pixel of jitter per frame like a live sensor. Nobody comes or
goes, so every track that ends before the scene does, and every track
beyond the photo's people, is the tracker taking frames it never looked at
(a slow worker, frames skipped by ingest or the dispatcher) for an absence.

Counts: tracks (distinct "appeared"), decisions (verdicts), tracks "left"
before the scene ended, and the frames skipped by the dispatcher and
answered busy by ingest. BENCH_LOAD=N adds N busy loops (at this script's
niceness). A benchmark, not a test: nothing is compared with a limit.

STILL_HIDE_FACES=1 paints every annotated face over (grey, with a margin):
people whose face is never found, decided by the gate's face timeout
(gate.face_timeout_ms, 6 s). Face runs per analysed frame (the notifier's
/metrics, face_detector) are counted from LATE_S (default 10) seconds into
the scene to its end, when every person there is decided: what decided
people still cost the worker.

Environment: BIN, MODELS (lib.py), STILL_PHOTO (a mask-scenes number),
STILL_S (default 30), STILL_HIDE_FACES, LATE_S, BENCH_LOAD,
BENCH_SET="key=value,...", BENCH_KEEP=DIR (keep the logs there)."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
from lib import SHARED, Gatewatch, feed_paced  # noqa: E402
from gate import frame, cv2, metric  # noqa: E402

FPS = 5.0
PHOTO = int(os.environ.get("STILL_PHOTO") or 257)
STILL_S = float(os.environ.get("STILL_S") or 30)
LOAD = int(os.environ.get("BENCH_LOAD") or 0)
KEEP = os.environ.get("BENCH_KEEP")
HIDE = os.environ.get("STILL_HIDE_FACES") == "1"
LATE_S = float(os.environ.get("LATE_S") or 10)
FACE_RUNS = ("gatewatch_inference_seconds_count", 'network="face_detector"')   # the workers' face detector runs
SETS = {"camera.gate1.mode": "gate", "dispatcher.gate_latest": "1"}
SETS.update(kv.split("=", 1) for kv in (os.environ.get("BENCH_SET") or "").split(",") if "=" in kv)


def log(*a):
    print("#", *a, file=sys.stderr, flush=True)


def late_sample(gw, t0, out):
    """At LATE_S into the scene: face runs and frames analysed so far."""
    while time.monotonic() - t0 < LATE_S:
        time.sleep(0.1)
    out.append((metric(gw, *FACE_RUNS), (gw.log("dispatcher") + gw.log("worker")).count(" persons=")))


def main():
    if cv2 is None:
        log("needs python3-opencv: run with /usr/bin/python3")
        return 1
    scenes = os.path.join(SHARED, "datasets", "mask-scenes")
    people = None
    with open(os.path.join(scenes, "annotations.jsonl")) as f:
        for line in f:
            a = json.loads(line)
            if a["file"] == "images/maksssksksss%d.jpg" % PHOTO:
                people = len(a["faces"])
                faces = a["faces"]
    photo = cv2.imread(os.path.join(scenes, "images", "maksssksksss%d.jpg" % PHOTO))
    if photo is None or people is None:
        log("no photo %d in %s" % (PHOTO, scenes))
        return 1
    for fc in faces if HIDE else ():
        mx, my = fc["w"] * 0.3, fc["h"] * 0.3
        cv2.rectangle(photo, (int(fc["x"] - mx), int(fc["y"] - my)),
                      (int(fc["x"] + fc["w"] + mx), int(fc["y"] + fc["h"] + my)), (128, 128, 128), -1)
    nframes = int(STILL_S * FPS)
    frames = [frame(photo, i % 3 - 1) for i in range(3)]
    burners = [subprocess.Popen(["/usr/bin/python3", "-c", "while True: pass"]) for _ in range(LOAD)]
    try:
        with Gatewatch("bench-still", cameras=("gate1",), sets=SETS) as gw:
            gw.start()
            p = subprocess.Popen([gw.bin(), "push", "--url", "ws://127.0.0.1:%d/" % gw.ingest_port,
                                  "--camera", "gate1", "--token", gw.tokens["gate1"], "--stdin",
                                  "--timeout-ms", "120000", "--linger-ms", "8000"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            load0 = os.getloadavg()[0]
            t0 = time.monotonic()
            fed = threading.Thread(target=feed_paced, args=(p, nframes, FPS, lambda i: frames[i % 3]))
            fed.start()
            late = []
            sampler = threading.Thread(target=late_sample, args=(gw, t0, late), daemon=True)
            sampler.start()
            msgs = []
            for line in p.stdout:
                try:
                    m = json.loads(line)
                except ValueError:
                    continue
                m["_t"] = time.monotonic() - t0
                msgs.append(m)
            p.wait(60)
            fed.join(30)
            load1 = os.getloadavg()[0]
            log_d = gw.log("dispatcher") + gw.log("worker")
            sampler.join(5)
            runs_end = metric(gw, *FACE_RUNS)
            if KEEP:
                os.makedirs(KEEP, exist_ok=True)
                for prog in ("ingest", "dispatcher", "worker", "notifier"):
                    with open(os.path.join(KEEP, prog + ".log"), "w") as f:
                        f.write(gw.log(prog))
                with open(os.path.join(KEEP, "messages.jsonl"), "w") as f:
                    f.writelines(json.dumps(m) + "\n" for m in msgs)
    finally:
        for b in burners:
            b.kill()
            b.wait()
    live = [m for m in msgs if not m.get("replay")]
    appeared = {m["track"] for m in live if m.get("type") == "person" and m.get("event") == "appeared"}
    left = [m for m in live if m.get("type") == "person" and m.get("event") == "left" and m["_t"] < STILL_S]
    verdicts = [m for m in live if m.get("type") == "verdict"]
    answers = [m for m in live if m.get("type") == "answer"]
    busy = sum(1 for m in answers if m.get("status") == "busy")
    accepted = sum(1 for m in answers if m.get("status") == "accepted")
    skipped = log_d.count("skipped by the dispatcher") and sum(
        int(x.split("after ")[1].split(" frames")[0]) for x in log_d.splitlines() if "skipped by the dispatcher" in x)
    analysed = log_d.count(" persons=")
    late_runs = "–"
    if late and late[0][0] is not None and runs_end is not None and analysed > late[0][1]:
        late_runs = "%.2f (%d / %d)" % ((runs_end - late[0][0]) / (analysed - late[0][1]), runs_end - late[0][0],
                                        analysed - late[0][1])
    print("| photo | people | load | frames sent / accepted / busy | analysed | dispatcher skipped | tracks | "
          "left while still there | decisions | face runs / analysed frame after %g s |" % LATE_S)
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("| %d%s | %d | %.1f-%.1f | %d / %d / %d | %d | %d | %d | %d | %d | %s |" % (
        PHOTO, " (faces hidden)" if HIDE else "", people, load0, load1, len(answers), accepted, busy, analysed,
        skipped, len(appeared), len(left), len(verdicts), late_runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""gate - the headline part of `make bench`: time to verdict at a gate.

From the first frame that shows a person to the PASS/DENY on their gate,
measured through the real camera protocol (ingest's WebSocket) on the four
real programs (`gatewatch up` on loopback, test/e2e/lib.py's Gatewatch),
with a scripted gate scene sent like the camera page sends it: 5 frames/s,
at most 2 frames in flight (a frame due while 2 are unanswered is dropped,
as a live camera does). The scene: empty, a person steps in and stands
(PERSON_S), leaves (empty for EMPTY_S, longer than track.max_missing_ms so
the next person is a new person), the next person, ... People: real
single-person photos, the mask-scenes validation images (N % 5 == 0) with
exactly one face of 50 px or more, the first PER_CLASS of each class in
file order (masked, unmasked, mask below the nose), each letterboxed into a
640x480 frame, with one pixel of jitter per frame like a live sensor.

Per person: the verdict's track says which person it is for: the
notifier's /live results (logged in as the admin `gatewatch up` made) name
the tracks in each frame, and the answer with that frame id gives the
frame's number in the scene (the first frame of a track decides); failing
that, the verdict's own frame, and for a verdict time alone caused (a
timeout), the person who came last before it. A track whose face (in
/live) is not the photo's annotated face is another person in the photo,
counted apart: one photo may show more people than its annotation names
(835.jpg shows a masked bystander cut by its edge). Time to verdict
= when the verdict arrived - when the person's first frame was sent.

Where the time goes, per accepted frame (wall clock, one machine): ingest
(sent -> its answer: decode, person detector, spool commit), queue (the
answer -> the worker starts on it: /live's analysed_ms - analyse_ms),
worker (analyse_ms), notify (analysed -> the /live result arrives).
Frames accepted but never analysed are counted (a gate camera's stale
frames the dispatcher skips, /metrics gatewatch_frames_skipped_total).

BENCH_LOAD=N runs N busy loops (at the bench's own niceness) while the
scene plays: a machine loaded by other work. Prints a markdown section on
stdout; progress on stderr. A benchmark, not a test: nothing is compared
with a limit. Exit 1 if it could not run.

Environment: BIN, MODELS (lib.py), BENCH_QUICK=1 (2 people per class),
BENCH_PERSON_S (seconds each person stands, default 4),
BENCH_LOAD=N, BENCH_SET="key=value,..." (extra config keys),
BENCH_ONLY=N,N (only these photos of the cast, by their number),
BENCH_KEEP=DIR (keep the programs' logs there, and messages.jsonl: every
gate message and /live result with its arrival time, for tracing one
person)."""
import json
import os
import shutil
import re
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from lib import SHARED, Gatewatch  # noqa: E402
from wsclient import WS, WSClosed  # noqa: E402

try:
    import cv2
    import numpy as np
except ImportError:
    cv2 = None

FPS = 5.0
INFLIGHT = 2
PERSON_S = float(os.environ.get("BENCH_PERSON_S") or 4.0)
EMPTY_S = 3.6
LEAD_S = 2.0
PER_CLASS = 2 if os.environ.get("BENCH_QUICK") == "1" else 4
LOAD = int(os.environ.get("BENCH_LOAD") or 0)
KEEP = os.environ.get("BENCH_KEEP")
ONLY = [int(x) for x in (os.environ.get("BENCH_ONLY") or "").split(",") if x.strip()]
SETS = {"dispatcher.gate_latest": "1"}   # the default (lib.py's is 0: every photo of a folder)
SETS.update(kv.split("=", 1) for kv in (os.environ.get("BENCH_SET") or "").split(",") if "=" in kv)
W, H = 640, 480
WANT = {"mask_on": ("PASS", ""), "mask_off": ("DENY", "no_mask"), "mask_chin": ("DENY", "mask_chin")}
NAMES = {"mask_on": "masked", "mask_off": "unmasked", "mask_chin": "mask below the nose"}


def log(*a):
    print("gate bench:", *a, file=sys.stderr, flush=True)


def people():
    base = os.path.join(SHARED, "datasets", "mask-scenes")
    got = {k: [] for k in WANT}
    with open(os.path.join(base, "annotations.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    rows.sort(key=lambda d: int(re.findall(r"(\d+)\.jpg", d["file"])[0]))
    for d in rows:
        n = int(re.findall(r"(\d+)\.jpg", d["file"])[0])
        if n % 5 or len(d["faces"]) != 1 or d["faces"][0]["w"] < 50:
            continue
        lab = d["faces"][0]["label"]
        if len(got[lab]) < PER_CLASS:
            got[lab].append((os.path.join(base, d["file"]), d["faces"][0]))
    # interleave the classes: masked, unmasked, chin, masked, ...
    out = []
    for i in range(PER_CLASS):
        for lab in WANT:
            if i < len(got[lab]):
                out.append((lab,) + got[lab][i])
    if ONLY:
        out = [c for c in out if int(re.findall(r"(\d+)\.jpg", c[1])[0]) in ONLY]
    return out


def placed(photo, face):
    """The annotated face of photo as frame() letterboxes it (jitter aside):
    (x, y, w, h) in frame pixels."""
    h, w = photo.shape[:2]
    s = min(W / w, H / h)
    x0, y0 = (W - int(w * s)) // 2, (H - int(h * s)) // 2
    return (x0 + face["x"] * s, y0 + face["y"] * s, face["w"] * s, face["h"] * s)


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def annotated(seen, face):
    """Is a track (seen: its (body, face) boxes in /live) the photo's
    annotated person? Its face on the annotated face (IoU >= 0.3) in some
    frame, or its body box holding the annotated face's centre (a face
    never found, or found elsewhere in the body box: 815.jpg's head bent
    down, a "face" found on the hands in the lap). A photo may show more
    people than its one annotated face (835.jpg: a masked bystander cut by
    the photo's edge): their tracks are others, not the person's second
    verdict."""
    cx, cy = face[0] + face[2] / 2, face[1] + face[3] / 2
    if any(f and iou(f[:4], face) >= 0.3 for _, f in seen):
        return True
    return any(b and b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3] for b, _ in seen)


def frame(photo, jitter):
    c = np.full((H, W, 3), 112, np.uint8)
    if photo is not None:
        h, w = photo.shape[:2]
        s = min(W / w, H / h)
        im = cv2.resize(photo, (int(w * s), int(h * s)))
        x, y = (W - im.shape[1]) // 2 + jitter, (H - im.shape[0]) // 2
        x = max(0, min(W - im.shape[1], x))
        c[y:y + im.shape[0], x:x + im.shape[1]] = im
    else:
        c[:, :] += np.uint8(jitter % 2)  # a live sensor never repeats a frame exactly
    ok, buf = cv2.imencode(".jpg", c, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes()


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def fmt(x):
    return "–" if x is None else "%.2f" % x


def metric(gw, name, label=""):
    """The sum of a /metrics counter over its series (those whose labels
    hold label, e.g. 'network="face_detector"'), or None."""
    try:
        st, _, body = gw.admin().request("GET", "/metrics")
    except (OSError, RuntimeError):
        return None
    if st != 200:
        return None
    vals = [float(line.rsplit(" ", 1)[1]) for line in body.decode().splitlines()
            if (line.startswith(name + "{") or line.startswith(name + " ")) and label in line]
    return int(sum(vals)) if vals else None


def keep(gw, dst, t0, plan, sent, got, live_msgs):
    """BENCH_KEEP: the logs, and every message in arrival order (seconds
    since the scene began; a sent frame as its scene index and person)."""
    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(os.path.join(gw.dir, "log")):
        shutil.copy(os.path.join(gw.dir, "log", name), dst)
    rows = [(t, {"sent": k, "person": plan[k]}) for k, t in sent]
    rows += [(t, {"camera": m}) for t, m in got] + [(t, {"live": m}) for t, m in live_msgs]
    with open(os.path.join(dst, "messages.jsonl"), "w") as f:
        for t, m in sorted(rows, key=lambda r: r[0]):
            m["t"] = round(t - t0, 3)
            f.write(json.dumps(m) + "\n")
    log("logs and messages kept in %s" % dst)


def other_text(v):
    """The verdicts of other people in a photo, as the per-person table shows them."""
    return ", ".join("%s %s" % (m.get("verdict"), m.get("reason") or "") for _, m in v or []) or "–"


def main():
    burners = []
    try:
        return scene(burners)
    finally:
        for b in burners:
            if b.poll() is None:
                b.kill()
                b.wait()


def scene(burners):
    if cv2 is None:
        print("**gate bench: python3-opencv missing (run with /usr/bin/python3): not measured.**")
        return 1
    cast = people()
    # the scene, frame by frame: person index or None
    plan = [None] * int(LEAD_S * FPS)
    for i in range(len(cast)):
        plan += [i] * int(PERSON_S * FPS) + [None] * int(EMPTY_S * FPS)
    imgs = [cv2.imread(c[1]) for c in cast]
    faces = [placed(im, c[2]) for im, c in zip(imgs, cast)]
    frames = [frame(imgs[p] if p is not None else None, (k % 3) - 1) for k, p in enumerate(plan)]
    log("%d people, %d frames (%.0f s at %g frames/s)" % (len(cast), len(plan), len(plan) / FPS, FPS))

    with Gatewatch("bench-gate", cameras=("gate1",), sets=SETS) as gw:
        gw.start()
        ws = WS(gw.ingest_port)
        welcome = ws.hello("gate1", gw.tokens["gate1"])
        if welcome.get("type") != "welcome":
            print("**gate bench: no welcome from ingest: %s**" % welcome)
            return 1
        msgs, lock = [], threading.Lock()
        answered = [0]

        def receive():
            try:
                while True:
                    m = ws.recv()
                    t = time.monotonic()
                    with lock:
                        msgs.append((t, m))
                        if m.get("type") == "answer":
                            answered[0] += 1
            except (WSClosed, OSError, ValueError):
                return
        rt = threading.Thread(target=receive, daemon=True)
        rt.start()
        try:
            live = gw.live(timeout=1)
        except (OSError, RuntimeError) as e:
            live = None
            log("no /live (%s): verdicts traced by their frame, or by time" % e)
        track_frame = {}     # track id -> the first frame id it was seen in
        track_seen = {}      # track id -> [(body, face)] in /live
        analysed = {}        # frame id -> (received_ms, analysed_ms, analyse_ms, arrival wall s)

        def watch_live():
            while True:
                try:
                    m = live.recv()
                except OSError:
                    if stop_live[0]:
                        return
                    continue
                except (WSClosed, ValueError):
                    return
                if KEEP:
                    with lock:
                        live_msgs.append((time.monotonic(), m))
                if m.get("type") == "result":
                    with lock:
                        analysed[m.get("frame")] = (m.get("received_ms"), m.get("analysed_ms"),
                                                    m.get("analyse_ms"), time.time())
                    if len(m.get("persons") or []) > 1:
                        with lock:
                            multi[0] += 1
                    for p in m.get("persons") or []:
                        if p.get("track"):
                            with lock:
                                track_frame.setdefault(str(p["track"]), m.get("frame"))
                                track_seen.setdefault(str(p["track"]), []).append((p.get("body"), p.get("face")))
        stop_live = [False]
        live_msgs = []       # BENCH_KEEP: (arrival, /live message)
        multi = [0]          # frames in which more than one person box was found
        lt = threading.Thread(target=watch_live, daemon=True)
        if live is not None:
            lt.start()
        sent = []        # (scene index, send time), in send order: answer seq n <-> sent[n-1]
        sent_wall = []   # the same sends, wall clock (the servers' clock)
        dropped = 0
        for _ in range(LOAD):
            burners.append(subprocess.Popen(["/usr/bin/python3", "-c", "while True: pass"]))
        if LOAD:
            log("%d busy loops running" % LOAD)
        load0 = os.getloadavg()[0]
        t0 = time.monotonic()
        for k, data in enumerate(frames):
            due = t0 + k / FPS
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            with lock:
                inflight = len(sent) - answered[0]
            if inflight >= INFLIGHT:
                dropped += 1
                continue
            sent.append((k, time.monotonic()))
            sent_wall.append(time.time())
            ws.send_binary(data)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            with lock:
                if answered[0] >= len(sent):
                    break
            time.sleep(0.1)
        time.sleep(4)    # the last person's verdict and 'left'
        load1 = os.getloadavg()[0]
        for b in burners:
            b.kill()
            b.wait()
        del burners[:]
        skipped = metric(gw, "gatewatch_frames_skipped_total")
        ws.close()
        stop_live[0] = True
        if live is not None:
            lt.join(3)
            live.close()
        with lock:
            got = list(msgs)
            tframe = dict(track_frame)
            tseen = dict(track_seen)
            done = dict(analysed)
        if KEEP:
            keep(gw, KEEP, t0, plan, sent, got, live_msgs)

    seq_frame = {}
    for t, m in got:
        if m.get("type") == "answer" and m.get("frame") and 1 <= m.get("seq", 0) <= len(sent):
            seq_frame[m["frame"]] = sent[m["seq"] - 1][0]
    first_sent = {}
    for k, t in sent:
        p = plan[k]
        if p is not None and p not in first_sent:
            first_sent[p] = t
    verdicts = {}    # person -> [(time, msg)]
    others = {}      # person -> [(time, msg)] for other people in their photo
    stray = 0
    for t, m in got:
        if m.get("type") != "verdict":
            continue
        k = seq_frame.get(tframe.get(str(m.get("track"))))
        if k is None:
            k = seq_frame.get(m.get("frame"))
        p = plan[k] if k is not None else None
        if k is None:    # caused by time alone (a timeout): the person who came last before it
            before = [q for q, ts in first_sent.items() if ts <= t]
            p = max(before, key=lambda q: first_sent[q]) if before else None
        if p is None:
            stray += 1
            continue
        seen = tseen.get(str(m.get("track")))
        if seen and not annotated(seen, faces[p]):
            others.setdefault(p, []).append((t, m))
            continue
        verdicts.setdefault(p, []).append((t, m))
    prompts = sum(1 for _, m in got if m.get("type") == "prompt")
    statuses = {}
    for _, m in got:
        if m.get("type") == "answer":
            statuses[m.get("status")] = statuses.get(m.get("status"), 0) + 1

    stages = {"ingest": [], "queue": [], "worker": [], "notify": []}
    t_answer = {}
    for t, m in got:
        if m.get("type") == "answer" and m.get("status") == "accepted" and 1 <= m.get("seq", 0) <= len(sent):
            n = m["seq"] - 1
            w_ans = sent_wall[n] + (t - sent[n][1])   # the answer's arrival, wall clock
            stages["ingest"].append(t - sent[n][1])
            t_answer[m.get("frame")] = w_ans
    for fid, (rec, an, ams, arrived) in done.items():
        if fid in t_answer and an is not None and ams is not None:
            stages["queue"].append(max(0.0, (an - ams) / 1000.0 - t_answer[fid]))
            stages["worker"].append(ams / 1000.0)
            stages["notify"].append(max(0.0, arrived - an / 1000.0))
    n_acc = len(t_answer)
    n_done = sum(1 for fid in t_answer if fid in done)

    accepted = {}
    for _, m in got:
        if m.get("type") == "answer" and m.get("status") == "accepted" and 1 <= m.get("seq", 0) <= len(sent):
            p = plan[sent[m["seq"] - 1][0]]
            if p is not None:
                accepted[p] = accepted.get(p, 0) + 1
    rows, all_t = [], []
    per = {lab: {"n": 0, "decided": 0, "right": 0, "reason": 0, "extra": 0, "t": []} for lab in WANT}
    detail = []
    for i, (lab, path, _) in enumerate(cast):
        r = per[lab]
        r["n"] += 1
        v = verdicts.get(i, [])
        if v and i in first_sent:
            t, m = v[0]
            ttv = t - first_sent[i]
            r["decided"] += 1
            r["t"].append(ttv)
            all_t.append(ttv)
            r["right"] += m.get("verdict") == WANT[lab][0]
            r["reason"] += (m.get("verdict"), m.get("reason") if m.get("verdict") == "DENY" else "") == WANT[lab]
            r["extra"] += len(v) - 1
            detail.append("| %s | %s | %d | %s %s | %.2f | %d | %s |" % (
                os.path.basename(path), NAMES[lab], accepted.get(i, 0), m.get("verdict"), m.get("reason") or "", ttv,
                len(v), other_text(others.get(i))))
        else:
            detail.append("| %s | %s | %d | none | – | 0 | %s |" % (os.path.basename(path), NAMES[lab],
                                                                     accepted.get(i, 0), other_text(others.get(i))))

    print("## Time to verdict (headline)\n")
    print("From the first frame that shows a person to the PASS/DENY on their gate, through the real camera "
          "protocol: `test/bench/gate.py` runs `gatewatch up` (one gate camera, `ingest.motion_threshold = 0`: "
          "the person detector runs on every frame; every other key at its default) and sends a scripted gate "
          "scene like the camera page: %g frames/s, at most %d frames in flight (a frame due while %d are "
          "unanswered is dropped), 640x480 JPEG. Empty for %g s, then each person stands %g s and leaves; "
          "%g s of empty scene before the next. People: the mask-scenes validation images (N %% 5 == 0) with "
          "exactly one face of 50 px or more, the first %d of each class in file order, letterboxed.\n"
          % (FPS, INFLIGHT, INFLIGHT, LEAD_S, PERSON_S, EMPTY_S, PER_CLASS))
    print("| people | n | decided | right PASS/DENY | right reason | extra verdicts | p50 s | p95 s | max s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for lab in WANT:
        r = per[lab]
        print("| %s | %d | %d | %d | %d | %d | %s | %s | %s |" % (
            NAMES[lab], r["n"], r["decided"], r["right"], r["reason"], r["extra"], fmt(pct(r["t"], 50)),
            fmt(pct(r["t"], 95)), fmt(max(r["t"]) if r["t"] else None)))
    tot = {k: sum(per[lab][k] for lab in WANT) for k in ("n", "decided", "right", "reason", "extra")}
    print("| **all** | %d | %d | %d | %d | %d | **%s** | **%s** | %s |\n" % (
        tot["n"], tot["decided"], tot["right"], tot["reason"], tot["extra"], fmt(pct(all_t, 50)),
        fmt(pct(all_t, 95)), fmt(max(all_t) if all_t else None)))
    print("Time to verdict counts the people decided; a person never decided is in `decided`, not in the "
          "times. Right PASS/DENY and reason are the system's accuracy on these photos (face detector and "
          "mask classifier, docs/MODELS.md), not the tracker's.\n")
    print("Frames: %d in the scene, %d sent, %d dropped by the sender (2 in flight); answers: %s. "
          "Prompts: %d. Verdicts not traced to a person: %d. Frames where more than one person box was found "
          "(one photo, one person; from /live): %s. Verdicts for other people than a photo's annotated one "
          "(a track whose face is not the annotated face): %d. Mean time to verdict %s s.\n"
          % (len(plan), len(sent), dropped, ", ".join("%s %d" % kv for kv in sorted(statuses.items())),
             prompts, stray, multi[0] if live is not None else "not known (no /live login)",
             sum(len(v) for v in others.values()), fmt(statistics.mean(all_t)) if all_t else "–"))
    print("Load: %s; 1-minute load average %.1f at the start, %.1f at the end.\n" % (
        "%d busy loops beside the bench (at its niceness)" % LOAD if LOAD else "no extra load", load0, load1))
    if live is not None:
        print("Where the time goes, per accepted frame (s; %d accepted, %d analysed, %s skipped by the "
              "dispatcher as stale):\n" % (n_acc, n_done, "–" if skipped is None else "%d" % skipped))
        print("| stage | p50 | p95 | max |")
        print("|---|---|---|---|")
        for k, what in (("ingest", "ingest: sent -> answer (decode, person detector, spool commit)"),
                        ("queue", "queue: answer -> the worker starts on it"),
                        ("worker", "worker: analysis"), ("notify", "notifier: analysed -> /live")):
            xs = stages[k]
            print("| %s | %s | %s | %s |" % (what, fmt(pct(xs, 50)), fmt(pct(xs, 95)), fmt(max(xs) if xs else None)))
        print()
    print("<details><summary>Per person</summary>\n")
    print("| photo | class | frames accepted (a person found) | verdict | time to verdict s | verdicts | "
          "other people in the photo |")
    print("|---|---|---|---|---|---|---|")
    for line in detail:
        print(line)
    print("\n</details>\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

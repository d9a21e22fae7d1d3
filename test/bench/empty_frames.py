#!/usr/bin/python3
"""empty_frames - phantom people: what ingest's first look finds on frames
with nobody in them, per ingest.closeup_threshold.

A gate camera sends frames of an empty gate between people. Ingest runs
the person detector on each; when it finds nobody, the close-up fallback
runs the face detector on the whole frame (common/firstpass.c) and every
face it keeps at ingest.closeup_threshold becomes a person box: a phantom
person, prompted at the gate. mask-scenes has no empty frames, so round 9
chose the threshold (0.60) on recall alone. This makes a set of frames
with nobody in them from licensed data here and counts, with the real
ingest (`gatewatch-ingest --replay`, ingest.motion_threshold 0: the
detectors run on every frame, as test/bench/gate.py runs it), the people
ingest reports on them, by detector.

The frames:
  scenes   mask-scenes TRAIN images (N % 5 != 0; CC0): in each, the
           largest rectangle far from every face the annotations and
           models/data/mask-scenes-additions.jsonl hold (each face's
           head-and-shoulders box grown to where its body may be: x - 1.5w
           .. x + 2.5w, from y - h down to the image's bottom), at least
           MIN_W x MIN_H px (at most PER_IMAGE an image); streets, shop fronts, walls, floors of the same
           photos, at the camera's pixel scale: placed unscaled (scaled
           down only if larger) in a 640x480 frame of the gate bench's grey
           (112), JPEG quality 85 as the bench sends; and scenes-fit: the
           same regions scaled to fit the frame, as gate.py letterboxes its
           photos (a wall or floor that fills the view). A region may still
           hold a person the annotations do not name (a back, a body whose
           face is turned away); the person detector's boxes are counted
           apart, and the fallback runs only when it finds nobody.
  darknet  darknet's sample photos of nobody (/usr/share/darknet/data:
           dog, eagle, giraffe, horses), letterboxed as gate.py does.

Prints a markdown table: frames, frames with a person box from the person
detector, frames with a fallback person (a phantom: nobody is there), and
fallback people per frame and per 640x480 of real content, at each
threshold. EMPTY_THRESHOLDS (default 0.5,0.6,0.7), EMPTY_MAX (frames from
the scenes, default all), EMPTY_KEEP=DIR keeps the frames and the JSON
lines. Exit 1 if it could not run. A benchmark, not a test."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))
SCENES = os.path.join(SHARED, "datasets", "mask-scenes")
ADDITIONS = os.path.join(ROOT, "models", "data", "mask-scenes-additions.jsonl")
DARKNET = ["dog.jpg", "eagle.jpg", "giraffe.jpg", "horses.jpg"]
BIN = os.path.abspath(os.environ.get("BIN", os.path.join(ROOT, "bin")))
MODELS = os.path.abspath(os.environ.get("MODELS", os.path.join(ROOT, "models", "out")))
W, H = 640, 480
MIN_W, MIN_H = 128, 96
PER_IMAGE = 4   # regions an image gives at most (largest first, none overlapping)
CELL = 4   # occupancy grid, px


def faces_by_file():
    out = {}
    for path in (os.path.join(SCENES, "annotations.jsonl"), ADDITIONS):
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                e = out.setdefault(d["file"], {"w": d["width"], "h": d["height"], "faces": []})
                e["faces"] += d["faces"]
    return out


def free_regions(iw, ih, faces):
    """[(x, y, w, h)]: the largest rectangles of the image far from every
    face, largest first, none overlapping, each at least MIN_W x MIN_H."""
    gw, gh = iw // CELL, ih // CELL
    busy = np.zeros((gh, gw), bool)
    for f in faces:
        x0, x1 = f["x"] - 1.5 * f["w"], f["x"] + 2.5 * f["w"]
        y0 = f["y"] - f["h"]
        busy[max(0, int(y0 // CELL)):, max(0, int(x0 // CELL)):max(0, int(np.ceil(x1 / CELL)))] = True
    out = []
    while len(out) < PER_IMAGE:
        r = largest_free(busy)
        if r is None:
            break
        x, y, w, h = r
        busy[y // CELL:(y + h) // CELL, x // CELL:(x + w) // CELL] = True
        out.append(r)
    return out


def largest_free(busy):
    """(x, y, w, h) px of the largest rectangle of cells not busy, or None
    when it is under MIN_W x MIN_H."""
    gh, gw = busy.shape
    best, heights = None, np.zeros(gw, int)
    for r in range(gh):   # largest rectangle in a histogram, row by row
        heights = np.where(busy[r], 0, heights + 1)
        stack = []
        for c in range(gw + 1):
            hh = heights[c] if c < gw else 0
            start = c
            while stack and stack[-1][1] >= hh:
                start, sh = stack.pop()
                area = sh * (c - start)
                if best is None or area > best[0]:
                    best = (area, start, r - sh + 1, c - start, sh)
            stack.append((start, hh))
    if best is None:
        return None
    _, x, y, w, h = best
    w, h = w * CELL, h * CELL
    return (x * CELL, y * CELL, w, h) if w >= MIN_W and h >= MIN_H else None


def canvas(img, upscale):
    """img in a W x H frame of the bench's grey; (jpeg bytes, content area px)."""
    c = np.full((H, W, 3), 112, np.uint8)
    h, w = img.shape[:2]
    s = min(W / w, H / h)
    if s < 1 or upscale:
        img = cv2.resize(img, (max(1, int(w * s)), max(1, int(h * s))))
    h, w = img.shape[:2]
    x, y = (W - w) // 2, (H - h) // 2
    c[y:y + h, x:x + w] = img
    ok, buf = cv2.imencode(".jpg", c, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes(), w * h


def make_frames(dst):
    """[(set, path, content area, source)] written under dst."""
    frames = []
    limit = int(os.environ.get("EMPTY_MAX") or 0)
    for name, e in sorted(faces_by_file().items(), key=lambda kv: int(re.findall(r"\d+", kv[0])[-1])):
        n = int(re.findall(r"\d+", name)[-1])
        if n % 5 == 0:
            continue   # validation: not looked at
        regions = free_regions(e["w"], e["h"], e["faces"])
        img = cv2.imread(os.path.join(SCENES, name)) if regions else None
        for k, (x, y, w, h) in enumerate(regions if img is not None else []):
            for fit in (False, True):
                buf, area = canvas(img[y:y + h, x:x + w], fit)
                p = os.path.join(dst, "scene%04d-%d%s.jpg" % (n, k, "-fit" if fit else ""))
                with open(p, "wb") as f:
                    f.write(buf)
                frames.append(("scenes-fit" if fit else "scenes", p, area,
                               "%s %dx%d+%d+%d" % (os.path.basename(name), w, h, x, y)))
        if limit and len(frames) >= limit:
            break
    for name in DARKNET:
        img = cv2.imread(os.path.join("/usr/share/darknet/data", name))
        if img is None:
            continue
        buf, area = canvas(img, True)
        p = os.path.join(dst, "darknet-" + name)
        with open(p, "wb") as f:
            f.write(buf)
        frames.append(("darknet", p, area, name))
    return frames


def replay(files, threshold):
    """{file: the JSON line} of gatewatch-ingest --replay at threshold."""
    out = {}
    for i in range(0, len(files), 50):
        r = subprocess.run([os.path.join(BIN, "gatewatch-ingest"), "--set", "models.dir=" + MODELS,
                            "--set", "ingest.motion_threshold=0",
                            "--set", "ingest.closeup_threshold=%g" % threshold, "--replay"] + files[i:i + 50],
                           capture_output=True, timeout=1800)
        if r.returncode != 0:
            raise RuntimeError("gatewatch-ingest --replay: rc %d: %s" % (r.returncode, r.stderr[-400:]))
        for line in r.stdout.decode(errors="replace").splitlines():
            if line.startswith("{"):
                d = json.loads(line)
                out[d["file"]] = d
    return out


def main():
    ths = [float(x) for x in (os.environ.get("EMPTY_THRESHOLDS") or "0.5,0.6,0.7").split(",")]
    keep = os.environ.get("EMPTY_KEEP")
    dst = keep or tempfile.mkdtemp(prefix="gw-empty-")
    os.makedirs(dst, exist_ok=True)
    try:
        frames = make_frames(dst)
        if not frames:
            print("empty_frames: no frame could be made", file=sys.stderr)
            return 1
        rows, lines = [], []
        for t in ths:
            got = replay([p for _, p, _, _ in frames], t)
            for s in ("scenes", "scenes-fit", "darknet"):
                fs = [f for f in frames if f[0] == s]
                person = [f for f in fs if any(b.get("by") == "person" for b in got[f[1]]["persons"])]
                fb = [f for f in fs if any(b.get("by") == "face" for b in got[f[1]]["persons"])]
                nfb = sum(sum(1 for b in got[f[1]]["persons"] if b.get("by") == "face") for f in fs)
                area = sum(f[2] for f in fs) / (W * H)
                rows.append("| %.2f | %s | %d | %d | %d | %d | %.4f | %.4f |" % (
                    t, s, len(fs), len(person), len(fb), nfb, nfb / len(fs), nfb / area if area else 0))
            for f in frames:
                for b in got[f[1]]["persons"]:
                    if b.get("by") == "face":
                        lines.append("%.2f %s %s score %.3f box %.0fx%.0f+%.0f+%.0f" % (
                            t, f[0], f[3], b["score"], b["w"], b["h"], b["x"], b["y"]))
            if keep:
                with open(os.path.join(dst, "replay-%g.jsonl" % t), "w") as f:
                    for p in sorted(got):
                        f.write(json.dumps(got[p]) + "\n")
        print("| closeup_threshold | set | frames | with a person detector box | with a fallback person | "
              "fallback people | per frame | per 640x480 of content |")
        print("|---|---|---|---|---|---|---|---|")
        print("\n".join(rows))
        print("\nFallback people (threshold, set, source region, score, box in the 640x480 frame):\n")
        print("\n".join("- " + x for x in lines) if lines else "- none")
        return 0
    finally:
        if not keep:
            shutil.rmtree(dst, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""looks - how often one look of the mask classifier is right, by its score:
the measurement behind track.decide_score (docs/TRACKING.md).

Runs `gatewatch-worker --replay` (face detector + mask classifier, as the
worker looks at a person) on validation faces only: mask-faces/val (crops,
label = folder) and the mask-scenes validation images (N % 5 == 0; each
face found is matched to an annotated face, IoU >= 0.4). Prints, per score
threshold, how many looks reach it and how many of those are right.

    nice -n 10 /usr/bin/python3 test/bench/looks.py [--from-jsonl DIR]

Takes a few minutes on 2 cores (about 700 images)."""
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
BIN = os.environ.get("BIN", os.path.join(ROOT, "bin"))
MODELS = os.environ.get("MODELS", os.path.join(ROOT, "models", "out"))


def replay(files):
    out = subprocess.run([os.path.join(BIN, "gatewatch-worker"), "--set", "models.dir=" + MODELS, "--replay"] + files,
                         capture_output=True, check=False).stdout.decode(errors="replace")
    for line in out.splitlines():
        try:
            yield json.loads(line)
        except ValueError:
            pass


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    if x1 <= x0 or y1 <= y0:
        return 0.0
    i = (x1 - x0) * (y1 - y0)
    return i / (a[2] * a[3] + b[2] * b[3] - i)


def main():
    looks = []  # (label, predicted, score)
    mf = sorted(glob.glob(os.path.join(SHARED, "datasets", "mask-faces", "val", "*", "*.jpg")))
    for d in replay(mf):
        ps = [p for p in d.get("persons", []) if p.get("face")]
        if ps:
            p = max(ps, key=lambda p: p["face"]["w"] * p["face"]["h"])
            looks.append(("mask_on" if "/with_mask/" in d["file"] else "mask_off", p["mask"], p["mask_score"]))
    ann = {}
    base = os.path.join(SHARED, "datasets", "mask-scenes")
    with open(os.path.join(base, "annotations.jsonl")) as f:
        for line in f:
            d = json.loads(line)
            if int(re.findall(r"(\d+)\.jpg", d["file"])[0]) % 5 == 0:   # validation only
                ann[os.path.join(base, d["file"])] = d["faces"]
    for d in replay(sorted(ann)):
        for p in d.get("persons", []):
            f = p.get("face")
            if not f:
                continue
            fb = (f["x"], f["y"], f["w"], f["h"])
            best = max(ann.get(d["file"], []), key=lambda a: iou(fb, (a["x"], a["y"], a["w"], a["h"])), default=None)
            if best and iou(fb, (best["x"], best["y"], best["w"], best["h"])) >= 0.4:
                looks.append((best["label"], p["mask"], p["mask_score"]))
    looks = [x for x in looks if x[1] != "unknown"]
    print("%d looks at validation faces with a mask class" % len(looks))
    print("| score >= | looks | share | right | wrong |")
    print("|---|---|---|---|---|")
    for t in (0.6, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99):
        s = [x for x in looks if x[2] >= t]
        c = sum(1 for x in s if x[0] == x[1])
        if s:
            print("| %.2f | %d | %.0f%% | %.1f%% | %d |" % (t, len(s), 100.0 * len(s) / len(looks), 100.0 * c / len(s), len(s) - c))
    return 0


if __name__ == "__main__":
    sys.exit(main())

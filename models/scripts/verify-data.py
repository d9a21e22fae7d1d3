#!/usr/bin/python3
"""verify-data.py - the face verifier's training rows: the mask classifier's
backbone features (the layer its head reads, crop and mirror averaged, as
maskcls_run computes them) of found faces, annotated faces and background
patches of mask-scenes' TRAIN split.

  verify-data.py --false F[,F...] --set DIR --work DIR [--extra JSONL]
                 [--models models/out] [--tools build/models] [--bg 3] [--seed 1]

--false: `gatewatch eval --split train --false F` files (any face threshold;
lower ones give more hard negatives). Every found face is a row: label 1
when it matched an annotated face or one of --extra (a real face the
annotations lack), 0 otherwise (the detector's false faces). Its box is
mapped as the worker maps it for the mask classifier
(maskcls_from_detector: centre 0.13 of the larger side down, height / 1.15).
Every annotated face of 12 px or more is a row (label 1, its box as it is:
what the mapping aims at). --bg background patches per image (label 0):
sizes drawn from the annotated faces' sizes, placed at random (seeded by
the image's number) away from every annotated, added or matched face
(intersection under 5% of either box, no face centre inside).

Writes WORK/items.jsonl (one line per row: kind, file, box, label, fold,
cause, score, size, plus the found face's original box), WORK/feats.f32
(float32 rows) and prints the row length. fold = N % 5 (1..4) of
images/maksssksksssN.jpg; no validation image (N % 5 == 0) is ever read.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

DET_DY, DET_H = 0.13, 1.15   # common/maskcls.c MASKCLS_DET_DY, MASKCLS_DET_H
FEAT_LAYER = 6               # mask.cfg's [route] layers=6


def image_number(path):
    m = re.search(r"(\d+)\.\w+$", path)
    return int(m.group(1)) if m else None


def from_detector(b):
    x, y, w, h = b
    side = max(w, h)
    cy = y + h / 2 + DET_DY * side
    h2 = h / DET_H
    return [x, cy - h2 / 2, w, h2]


def inter(a, b):
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy


def inside(pt, b):
    return b[0] <= pt[0] <= b[0] + b[2] and b[1] <= pt[1] <= b[1] + b[3]


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(maxsplit=4)
    w, h = int(parts[1]), int(parts[2])
    return parts[0], w, h, parts[3], data[len(data) - w * h * 3:]


def mirror_ppm(src, dst):
    magic, w, h, mx, px = read_ppm(src)
    a = np.frombuffer(px, np.uint8).reshape(h, w, 3)[:, ::-1]
    with open(dst, "wb") as f:
        f.write(b"P6\n%d %d\n%s\n" % (w, h, mx))
        f.write(np.ascontiguousarray(a).tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--false", required=True)
    ap.add_argument("--set", required=True)
    ap.add_argument("--extra")
    ap.add_argument("--work", required=True)
    ap.add_argument("--models", default="models/out")
    ap.add_argument("--tools", default="build/models")
    ap.add_argument("--bg", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    annots, sizes = {}, {}
    for path, kind in ((os.path.join(a.set, "annotations.jsonl"), "annot"), (a.extra, "extra")):
        if not path:
            continue
        for line in open(path):
            r = json.loads(line)
            n = image_number(r["file"])
            if n is None or n % 5 == 0:
                continue
            sizes[r["file"]] = (r["width"], r["height"])
            for f in r["faces"]:
                annots.setdefault(r["file"], []).append((kind, [f["x"], f["y"], f["w"], f["h"]]))

    items, seen = [], set()
    for fpath in a.false.split(","):
        for line in open(fpath):
            r = json.loads(line)
            file = r["file"]
            if file.startswith(a.set):
                file = os.path.relpath(file, a.set)
            n = image_number(file)
            if n is None or n % 5 == 0:
                sys.exit("verify-data: %s is not a train image" % file)
            key = (file, tuple(round(v, 1) for v in r["box"]))
            if key in seen:
                continue
            seen.add(key)
            items.append({"kind": "found", "file": file, "det": r["box"], "box": from_detector(r["box"]),
                          "label": 0 if r["false"] and r["cause"] != "in_additions" else 1,
                          "cause": r["cause"], "score": r["score"], "size": r["size"],
                          "where": r["where"], "fold": n % 5})
    found_real = {}
    for it in items:
        if it["label"]:
            found_real.setdefault(it["file"], []).append(it["det"])
    for file, faces in sorted(annots.items()):
        for kind, b in faces:
            if kind == "annot" and max(b[2], b[3]) >= 12:
                items.append({"kind": "annot", "file": file, "box": b, "label": 1, "cause": "annotated",
                              "score": 1.0, "size": max(b[2], b[3]), "fold": image_number(file) % 5})
    allsizes = np.array([max(b[2], b[3]) for fs in annots.values() for k, b in fs if k == "annot"])
    for file in sorted(annots):
        n = image_number(file)
        w, h = sizes[file]
        rng = np.random.RandomState(a.seed * 100003 + n)
        avoid = [b for _, b in annots[file]] + found_real.get(file, [])
        made = 0
        for _ in range(50):
            if made >= a.bg:
                break
            s = float(rng.choice(allsizes)) * rng.uniform(0.8, 1.5)
            bw, bh = s * rng.uniform(0.75, 1.0), s
            if bw >= w or bh >= h:
                continue
            b = [rng.uniform(0, w - bw), rng.uniform(0, h - bh), bw, bh]
            ok = True
            for f in avoid:
                i = inter(b, f)
                if (i > 0.05 * b[2] * b[3] or i > 0.05 * f[2] * f[3] or
                        inside((f[0] + f[2] / 2, f[1] + f[3] / 2), b)):
                    ok = False
                    break
            if ok:
                items.append({"kind": "bg", "file": file, "box": b, "label": 0, "cause": "background",
                              "score": 0.0, "size": max(bw, bh), "fold": n % 5})
                made += 1

    crops = os.path.join(a.work, "crops")
    os.makedirs(crops, exist_ok=True)
    with open(os.path.join(a.work, "crops.list"), "w") as f:
        for i, it in enumerate(items):
            b = it["box"]
            f.write("%s %s/%06d.ppm face 0 %.3f %.3f %.3f %.3f\n" % (
                os.path.join(a.set, it["file"]), crops, i, b[0], b[1], b[2], b[3]))
    print("verify-data: %d rows (%d found: %d false; %d annotated; %d background)" % (
        len(items), sum(it["kind"] == "found" for it in items),
        sum(it["kind"] == "found" and not it["label"] for it in items),
        sum(it["kind"] == "annot" for it in items), sum(it["kind"] == "bg" for it in items)), file=sys.stderr)
    with open(os.path.join(a.work, "crops.list")) as f:
        subprocess.run([os.path.join(a.tools, "maskaug"), "--exact", a.models, "64"], stdin=f, check=True,
                       stdout=subprocess.DEVNULL)
    with open(os.path.join(a.work, "crops.ppm"), "w") as f, open(os.path.join(a.work, "mirror.ppm"), "w") as g:
        for i in range(len(items)):
            src, dst = "%s/%06d.ppm" % (crops, i), "%s/%06d.m.ppm" % (crops, i)
            mirror_ppm(src, dst)
            f.write(src + "\n")
            g.write(dst + "\n")
    rows = []
    for name in ("crops", "mirror"):
        out = os.path.join(a.work, name + ".f32")
        with open(os.path.join(a.work, name + ".ppm")) as f:
            r = subprocess.run([os.path.join(a.tools, "maskfeat"), a.models, "mask", str(FEAT_LAYER), out],
                               stdin=f, check=True, stdout=subprocess.PIPE, text=True)
        d = int(r.stdout.split()[0])
        rows.append(np.fromfile(out, np.float32).reshape(len(items), d))
    feats = (rows[0] + rows[1]) / 2
    feats.astype(np.float32).tofile(os.path.join(a.work, "feats.f32"))
    with open(os.path.join(a.work, "items.jsonl"), "w") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    print(feats.shape[1])


if __name__ == "__main__":
    main()

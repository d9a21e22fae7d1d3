#!/usr/bin/python3
"""mask-scales.py - compare mask classifiers on the boxes the face search drew
for TRAIN faces at each search scale, without a gatewatch eval per model.

  mask-scales.py --details FILE --details FILE ... --models DIR --models DIR ...
                 [--maskeval build/models/maskeval] [--calib] [--fold K --folds N]

Each --details is a `gatewatch eval --split train --details` run (e.g.
worker.tile_large 0 and 240, with --corrections): its matched faces of 20+
px, the found box mapped as maskcls_from_detector maps it, go through
`maskeval -p` with each --models folder's classifier (maskcls_run, the mask
thresholds of that folder), as in mask-crossfit.py's scene_rows_from: the
crops of the system's own path up to the details' rounding (0.1 px).
--calib: only the calibration images (mask-lists.py: train N % 5 == 1),
which a head trained with --calib never saw. --fold K --folds N: only the
images of cross-fitting fold K of N (mask-lists.py fold_scene), which the
fold head mask-crossfit.py leaves in WORK/foldK never saw. Prints, per models folder: per
details file the calls right / wrong / unsure (40+ px and 20+ px, per
class), and over the faces every file found, how many faces' calls differ
between the files and how many are right in every file.
"""
import argparse
import collections
import importlib.util
import json
import os
import re
import subprocess
import sys

_spec = importlib.util.spec_from_file_location(
    "mask_lists", os.path.join(os.path.dirname(os.path.abspath(__file__)), "mask-lists.py"))
ml = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ml)


def faces(path, calib, fold=None):
    """{(image number, annotated index): (maskeval line, label, side)}"""
    out = {}
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            n = int(re.search(r"(\d+)\.[A-Za-z]+$", os.path.basename(d["file"])).group(1))
            if n % 5 == 0:
                sys.exit("mask-scales: %s in %s is a validation image" % (d["file"], path))
            if calib and not ml.is_calib_scene(n) or fold and ml.fold_scene(n, fold[1]) != fold[0]:
                continue
            for fd in d["found"]:
                if fd["match"] < 0:
                    continue
                ann = d["annotated"][fd["match"]]
                side = max(ann["box"][2], ann["box"][3])
                if ann["label"] not in ml.LABELS or side < 20:
                    continue
                x, y, w, h = fd["face"]
                cy = y + h / 2 + ml.DET_DY * max(w, h)
                out[(n, fd["match"])] = ("%s %s plain 0 %.3f %.3f %.3f %.3f scenes\n" % (
                    d["file"], ann["label"], x, cy - h / ml.DET_H / 2, w, h / ml.DET_H), ann["label"], side)
    return out


def calls(maskeval, models, rows, thresholds):
    keys = sorted(rows)
    res = subprocess.run(["nice", "-n", "10", maskeval, "-p", models], input="".join(rows[k][0] for k in keys),
                         stdout=subprocess.PIPE, universal_newlines=True, check=True)
    out = {}
    for k, line in zip(keys, res.stdout.splitlines()):
        p = [float(v) for v in line.split()[3:6]]
        best = max(range(3), key=lambda i: p[i])
        out[k] = ml.LABELS[best] if p[best] >= thresholds[best] else "unsure"
    if len(out) != len(keys):
        sys.exit("mask-scales: maskeval gave %d rows for %d faces" % (len(out), len(keys)))
    return out


def read_thresholds(models):
    t = {}
    for line in open(os.path.join(models, "mask.thresholds")):
        p = line.split()
        if len(p) == 2 and p[0] in ml.LABELS:
            t[p[0]] = float(p[1])
    return [t.get(c, 0.0) for c in ml.LABELS]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--details", action="append", required=True)
    ap.add_argument("--models", action="append", required=True)
    ap.add_argument("--maskeval", default="build/models/maskeval")
    ap.add_argument("--calib", action="store_true")
    ap.add_argument("--fold", type=int)
    ap.add_argument("--folds", type=int, default=5)
    a = ap.parse_args()
    fold = None if a.fold is None else (a.fold, a.folds)
    sets = [faces(p, a.calib, fold) for p in a.details]
    common = set.intersection(*(set(s) for s in sets))
    for models in a.models:
        th = read_thresholds(models)
        print("%s (thresholds %s)" % (models, " ".join("%.3f" % v for v in th)))
        got = []
        for path, rows in zip(a.details, sets):
            c = calls(a.maskeval, models, rows, th)
            got.append(c)
            for lo in (40, 20):
                cnt = collections.Counter()
                for k, (_, lab, side) in rows.items():
                    if side >= lo:
                        v = "right" if c[k] == lab else "unsure" if c[k] == "unsure" else "wrong"
                        cnt[v] += 1
                        cnt[(lab, v)] += 1
                print("  %s, %d+ px: n %d right %d wrong %d unsure %d (%s)" % (
                    os.path.basename(path), lo, sum(cnt[v] for v in ("right", "wrong", "unsure")),
                    cnt["right"], cnt["wrong"], cnt["unsure"],
                    ", ".join("%s %d/%d" % (lab, cnt[(lab, "right")],
                              sum(cnt[(lab, v)] for v in ("right", "wrong", "unsure"))) for lab in ml.LABELS)))
        differ = sum(1 for k in common if len({g[k] for g in got}) > 1)
        right = sum(1 for k in common if all(g[k] == sets[0][k][1] for g in got))
        print("  faces found in every file: %d, calls differing between files %d, right in every file %d" % (
            len(common), differ, right))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""mask-crossfit.py - per-class mask thresholds fitted on out-of-fold
predictions of the TRAIN split (cross-fitting), never on validation.

  mask-crossfit.py --work DIR [--folds 5] [--hidden 128] [--epochs 6]
                   [--seed 1] [--models models/out] [--weights FILE]
                   [--write DIR]

DIR is train-mask.sh's kept work folder (--keep): train.crops, train.ppm,
train.f32 (the backbone features of every training crop) and maskbb.*. The
train images are split in FOLDS folds by image (mask-lists.py fold_scene:
mask-scenes number N -> (N // 5) % FOLDS; fold_face: a mask-faces train/
image's sorted position % FOLDS). For each fold k, a head is trained exactly
as mask-head.py trains the shipped one (same features, hidden units, epochs,
seed) on the crops of every other fold, and then predicts the faces of fold
k, which it never saw:

  - the mask-scenes train images of fold k through the system's own path
    (`gatewatch eval --details`, mask thresholds 0, the configured face
    threshold and box mapping): each found face matched to an annotated face
    of 20+ px gives a row (its class, the head's probabilities);
  - the mask-faces train/ images of fold k through `maskeval -p` (the face
    found by the face detector as the worker finds it).

mask-thresholds.py's rule (fit(): per class, the smallest threshold that
maximises right - COST x wrong calls among the faces whose most probable
class it is) is applied to all these out-of-fold rows. A nested check
reports, for each fold, the thresholds fitted on the other folds' rows
scored on it against no thresholds.

--write DIR writes DIR/mask.crossfit (the report; its "thresholds:" line and
the sha256 of the weights they are for, --weights, default the models'
mask.weights, and "use: yes"): fit-vision.py writes those thresholds into
mask.thresholds when the weights beside the file have that sha256 and the
file says "use: yes" (edited to "use: no ..." when a validation run said
they make it worse: docs/MODELS.md).
"""
import argparse
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def module(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(here, file))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


mt = module("mask_thresholds", "mask-thresholds.py")
ml = module("mask_lists", "mask-lists.py")
mh = module("mask_head", "mask-head.py")
fv = module("fit_vision", "fit-vision.py")

SCENE_RE = re.compile(r"maksssksksss(\d+)\.")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def face_index(faces):
    """mask-faces train/ image path -> (label, sorted position in its folder)."""
    out = {}
    for folder, lab in (("with_mask", "mask_on"), ("without_mask", "mask_off")):
        d = os.path.join(faces, "train", folder)
        for i, name in enumerate(sorted(os.listdir(d))):
            out[os.path.join(d, name)] = (lab, i)
    return out


def row_folds(crops, findex, folds):
    """the fold of every training crop (train.crops order), by its source image."""
    out = []
    with open(crops) as f:
        for line in f:
            src = os.path.abspath(line.split()[0])
            m = SCENE_RE.search(os.path.basename(src))
            if m:
                n = int(m.group(1))
                if n % 5 == 0:
                    sys.exit("mask-crossfit: %s is a validation image in train.crops" % src)
                out.append(ml.fold_scene(n, folds))
            elif src in findex:
                out.append(ml.fold_face(findex[src][1], folds))
            else:
                sys.exit("mask-crossfit: %s is neither a mask-scenes nor a mask-faces train/ image" % src)
    return np.array(out, np.int64)


def fold_models(a, k, p, mean, std, taps):
    d = os.path.join(a.work, "fold%d" % k)
    mh.write(p, mean, std, a.work, taps, d, log=open(os.devnull, "w"))
    with open(os.path.join(d, "mask.thresholds"), "w") as f:
        f.write("mask_on 0\nmask_off 0\nmask_chin 0\n")
    with open(os.path.join(d, "mask.region"), "w") as f:
        f.write(a.region + "\n")
    src = os.path.abspath(a.models)
    for name in os.listdir(src):
        if name.endswith((".cfg", ".weights")) and not name.startswith("mask."):
            dst = os.path.join(d, name)
            if not os.path.exists(dst):
                os.symlink(os.path.join(src, name), dst)
    return d


def scene_rows(a, k, models):
    """(rows, eval command) of fold k's mask-scenes train images through the system."""
    d = os.path.join(a.work, "fold%d" % k, "scenes")
    os.makedirs(d, exist_ok=True)
    link = os.path.join(d, "images")
    if not os.path.exists(link):
        os.symlink(os.path.join(os.path.abspath(a.scenes), "images"), link)
    n = 0
    with open(os.path.join(a.scenes, "annotations.jsonl")) as f, \
            open(os.path.join(d, "annotations.jsonl"), "w") as o:
        for line in f:
            num = int(SCENE_RE.search(json.loads(line)["file"]).group(1))
            if num % 5 != 0 and ml.fold_scene(num, a.folds) == k:
                o.write(line)
                n += 1
    details = os.path.join(d, "details.jsonl")
    cmd = ["nice", "-n", "10", a.gatewatch, "eval", "-q", "--split", "train",
           "--set", "models.dir=" + models, "--set", "worker.mask_threshold=0",
           "--details", details, d]
    print("mask-crossfit: fold %d: %d images: %s" % (k, n, " ".join(cmd[3:])), file=sys.stderr)
    with open(os.path.join(d, "report"), "w") as out:
        subprocess.run(cmd, check=True, stdout=out)
    imgs = fv.load(details)
    for _, _, num in imgs:
        if num % 5 == 0 or ml.fold_scene(num, a.folds) != k:
            sys.exit("mask-crossfit: image %d is not in fold %d of the train split" % (num, k))
    _, _, _, _, _, pairs = fv.at_threshold(imgs, 0.0)
    rows = [("scenes:" + fv.size_bucket(box), lab, "plain", found[2])
            for found, box, lab, _ in pairs if max(box[2], box[3]) >= 20 and lab in mt.LABELS]
    return rows, n


# maskcls_from_detector's constants (common/maskcls.c)
DET_DY, DET_H = ml.DET_DY, ml.DET_H


def scene_rows_from(a, k, models, details):
    """rows of fold k's matched scene faces from an earlier run's --details
    (the found boxes, mapped as maskcls_from_detector maps them), through
    `maskeval -p` with fold k's head: the same crops as the system's path up
    to the details' rounding (0.1 px), for comparing heads without a run each."""
    imgs = [i for i in fv.load(details) if i[2] % 5 != 0 and ml.fold_scene(i[2], a.folds) == k]
    files = {}
    for line in open(details):
        j = json.loads(line)
        m = re.search(r"(\d+)\.[A-Za-z]+$", os.path.basename(j["file"]))
        files[int(m.group(1))] = j["file"]
    _, _, _, _, _, pairs = fv.at_threshold(imgs, 0.0)
    lines = []
    for found, box, lab, num in pairs:
        if max(box[2], box[3]) < 20 or lab not in mt.LABELS:
            continue
        x, y, w, h = found[0]
        side = max(w, h)
        cy = y + h / 2 + DET_DY * side
        lines.append("%s %s plain 0 %.3f %.3f %.3f %.3f scenes:%s\n" % (
            files[num], lab, x, cy - h / DET_H / 2, w, h / DET_H, fv.size_bucket(box)))
    return maskeval_rows(a, models, lines), len(imgs)


def maskeval_rows(a, models, lines):
    res = subprocess.run(["nice", "-n", "10", a.maskeval, "-p", models], input="".join(lines),
                         check=True, stdout=subprocess.PIPE, universal_newlines=True)
    rows = []
    for g, c, mode, *p in (line.split() for line in res.stdout.splitlines()):
        rows.append((g, c, mode, [float(v) for v in p]))
    if len(rows) != len(lines):
        sys.exit("mask-crossfit: maskeval gave %d rows for %d faces" % (len(rows), len(lines)))
    return rows


def face_rows(a, k, models, findex):
    """rows of fold k's mask-faces train/ images through maskeval -p."""
    lines = ["%s %s plain 0 0.00 0.00 0.00 0.00 faces\n" % (src, lab)
             for src, (lab, i) in sorted(findex.items()) if ml.fold_face(i, a.folds) == k]
    return maskeval_rows(a, models, lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--taps", default="6")
    ap.add_argument("--models", default="models/out")
    ap.add_argument("--weights", help="the full head the thresholds are for (default MODELS/mask.weights)")
    ap.add_argument("--gatewatch", default="bin/gatewatch")
    ap.add_argument("--maskeval", default="build/models/maskeval")
    ap.add_argument("--scenes", default="../shared/datasets/mask-scenes")
    ap.add_argument("--faces", default="../shared/datasets/mask-faces")
    ap.add_argument("--command", default="/usr/bin/python3 models/scripts/mask-crossfit.py")
    ap.add_argument("--details", help="an earlier train run's --details: the scene faces' found boxes "
                    "are taken from it and classified with `maskeval -p` instead of a gatewatch eval "
                    "per fold (comparing heads; the shipped fit uses the eval)")
    ap.add_argument("--only", help="K,K,...: train and predict only these folds (comparing heads; "
                    "no thresholds are written)")
    ap.add_argument("--drop-modes", help="MODE,MODE,...: leave the training crops of these maskaug modes "
                    "out of every fold head (comparing synthetic classes on one kept run; no thresholds are "
                    "written)")
    ap.add_argument("--region", default="face", choices=("face", "nose"),
                    help="the crops the work folder's features are of (train-mask.sh --region): the fold heads "
                    "get mask.region, so maskeval cuts the same region")
    ap.add_argument("--write")
    a = ap.parse_args()
    a.work = os.path.abspath(a.work)
    a.faces = os.path.abspath(a.faces)
    taps = [int(s) for s in a.taps.split(",")]
    findex = face_index(a.faces)
    y = mh.labels_from_names(os.path.join(a.work, "train.ppm"))
    folds = row_folds(os.path.join(a.work, "train.crops"), findex, a.folds)
    if len(folds) != len(y):
        sys.exit("mask-crossfit: train.crops and train.ppm differ in length")
    x = np.fromfile(os.path.join(a.work, "train.f32"), np.float32)
    if x.size % len(y):
        sys.exit("mask-crossfit: train.f32 does not hold %d rows" % len(y))
    x = x.reshape(len(y), -1)
    rows, kof, nimg = [], [], 0
    run = [int(v) for v in a.only.split(",")] if a.only else list(range(a.folds))
    if (a.only or a.drop_modes or a.region != "face") and a.write:
        sys.exit("mask-crossfit: --only and --drop-modes compare heads: no --write")
    if a.drop_modes:
        drop = set(a.drop_modes.split(","))
        with open(os.path.join(a.work, "train.crops")) as f:
            kept = np.array([line.split()[2] not in drop for line in f])
        if len(kept) != len(y):
            sys.exit("mask-crossfit: train.crops and train.ppm differ in length")
        print("mask-crossfit: leaving out %d crops of modes %s" % (int((~kept).sum()), a.drop_modes), file=sys.stderr)
        x, y, folds = x[kept], y[kept], folds[kept]
    for k in run:
        keep = folds != k
        xk = x[keep]
        mean, std = mh.standardise(xk)
        xk -= mean
        xk /= std
        print("mask-crossfit: fold %d: head on %d of %d crops" % (k, int(keep.sum()), len(y)), file=sys.stderr)
        p = mh.train(xk, y[keep], a.hidden, a.epochs, a.seed)
        del xk
        models = fold_models(a, k, p, mean, std, taps)
        sr, n = scene_rows_from(a, k, models, a.details) if a.details else scene_rows(a, k, models)
        fr = face_rows(a, k, models, findex)
        nimg += n
        rows += sr + fr
        kof += [k] * (len(sr) + len(fr))
        print("mask-crossfit: fold %d: %d scene faces, %d mask-faces faces" % (k, len(sr), len(fr)), file=sys.stderr)
    thr = mt.fit(rows)
    zero = {c: 0.0 for c in mt.LABELS}
    weights = a.weights or os.path.join(a.models, "mask.weights")
    out = ["# mask.crossfit - mask.thresholds fitted on out-of-fold predictions of the TRAIN split",
           "# by models/scripts/mask-crossfit.py (validation images never enter)",
           "command: %s --folds %d --hidden %d --epochs %d --seed %d" % (a.command, a.folds, a.hidden, a.epochs, a.seed),
           "folds: by image; mask-scenes train N -> (N // 5) %% %d, mask-faces train/ sorted position %% %d; "
           "each fold's head trained as mask-head.py trains the full one on the other folds' crops" % (a.folds, a.folds),
           "rows: %d out-of-fold faces: %d matched mask-scenes faces of 20+ px in %d train images (gatewatch eval, "
           "the configured face threshold, mask thresholds 0) + %d mask-faces train/ faces (maskeval -p)" % (
               len(rows), sum(1 for r in rows if r[0] != "faces"), nimg, sum(1 for r in rows if r[0] == "faces")),
           "rule: mask-thresholds.py fit(), COST %s" % mt.COST,
           "thresholds: " + " ".join("%s %.4f" % (c, thr[c]) for c in mt.LABELS),
           "for weights: sha256 %s (%s)" % (sha256(weights), os.path.basename(weights)),
           "use: yes (fit-vision.py writes these thresholds for those weights; 'use: no' stops it)",
           "",
           "out-of-fold, all rows:",
           "  argmax:     " + mt.summary(rows, zero, lambda g, m: True),
           "  thresholds: " + mt.summary(rows, thr, lambda g, m: True)]
    for title, keep in (("mask-scenes 40+ px", lambda g, m: g in ("scenes:40-79", "scenes:80+")),
                        ("mask-scenes 20-39 px", lambda g, m: g == "scenes:20-39"),
                        ("mask-faces", lambda g, m: g == "faces")):
        out += ["out-of-fold, %s:" % title,
                "  argmax:     " + mt.summary(rows, zero, keep),
                "  thresholds: " + mt.summary(rows, thr, keep)]
    out += ["", mt.fmt_matrix("out-of-fold faces, argmax", mt.matrix(rows, zero, lambda g, m: True)), "",
            mt.fmt_matrix("out-of-fold faces, thresholds", mt.matrix(rows, thr, lambda g, m: True)), "",
            "nested check: thresholds fitted on the other folds' rows, scored (right - COST x wrong) on the fold's own:"]
    tot_f = tot_z = 0.0
    for k in run:
        inner = [r for r, f in zip(rows, kof) if f != k]
        own = [r for r, f in zip(rows, kof) if f == k]
        ft = mt.fit(inner)
        sf, sz = fv.score(own, ft), fv.score(own, zero)
        tot_f += sf
        tot_z += sz
        out.append("  fold %d (%d faces): %s: fitted %.0f, none %.0f" % (
            k, len(own), ", ".join("%s %.3f" % (c, ft[c]) for c in mt.LABELS), sf, sz))
    out.append("  all folds: fitted %.0f, none %.0f" % (tot_f, tot_z))
    text = "\n".join(out) + "\n"
    print(text)
    with open(os.path.join(a.work, "oof.probs"), "w") as f:
        for (g, c, mode, p), k in zip(rows, kof):
            f.write("%s %s %s %.6f %.6f %.6f %d\n" % (g, c, mode, p[0], p[1], p[2], k))
    if a.write:
        with open(os.path.join(a.write, "mask.crossfit"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()

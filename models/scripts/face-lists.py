#!/usr/bin/python3
"""face-lists.py - the image lists of `make train-face` (models/scripts/train-face.sh).

Writes OUT/train.list for build/models/facetrain (one image a line: path,
face count, then x y w h class per face, image pixels; class 0 mask_on,
1 mask_off, 2 mask_chin or another label; boxes as the detector draws
them, see DET_DY) from the TRAIN split of
mask-scenes (N % 5 != 0; validation images never enter), and with
--holdout OUT/holdout/annotations.jsonl (+ an images link) of the images
held out to choose epochs, rate and threshold: the calibration split of
mask-lists.py (N % 5 == 1), which then stays out of train.list. Also
OUT/train/annotations.jsonl (+ images link): the training images as
`gatewatch eval` reads them.

--additions FILE (repeatable): JSON lines {"file": ..., "faces": [{x, y, w,
h, label}]} of real faces the annotations lack (models/data/; lines of
validation images are skipped); each image's faces are added to its annotations in train.list, the holdout and
the train set alike, so that the shipped weights and every candidate are
scored against the same corrected annotations.
--folds K --fold I: cross-fitted folds over the TRAIN images instead of the
one held-out part: the train images in number order, the i-th (from 0) in
fold i % K + 1; fold I is held out (OUT/holdout), the other K - 1 train.
With K = 4 fold I is mask-scenes N % 5 == I, so --holdout is --folds 4
--fold 1.
--hard DETAILS --hard-score T --hard-repeat R: hard examples weighted: an
image of train.list holding an annotated face of 40+ px that the DETAILS
run (`gatewatch eval --details` of the start weights at threshold <= T on
the train images) finds under T or not at all is written R times (R
samples of it an epoch instead of one).
--ignore DETAILS --ignore-score T: the found faces of a `gatewatch eval
--details` run on OUT/train (the shipped detector) with score >= T that
match no annotated face are written to train.list as class -1: facetrain
neither trains them as faces nor mines them as negatives.

Usage: face-lists.py --scenes DIR --out DIR [--holdout | --folds K --fold I]
                     [--additions FILE] [--ignore DETAILS --ignore-score T]
                     [--hard DETAILS --hard-score T --hard-repeat R]
"""
import argparse
import importlib.util
import json
import os
import re
import sys

# The detector's own box convention, kept so that maskcls_from_detector
# (common/maskcls.c: MASKCLS_DET_DY, MASKCLS_DET_H, fitted on train by
# fit-vision.py) still maps its boxes onto annotated ones: an annotated box
# becomes the box the shipped detector draws for it, 1.15x taller and its
# centre 0.13 of the larger side higher.
DET_DY = 0.13
DET_H = 1.15

CLS = {"mask_on": 0, "with_mask": 0, "mask_off": 1, "without_mask": 1}


def number(path):
    return int(re.findall(r"(\d+)", os.path.basename(path))[-1])


def detector_box(fc):
    """the annotated face as the detector's box (the inverse of maskcls_from_detector)"""
    w, h = fc["w"], fc["h"] * DET_H
    cy = fc["y"] + fc["h"] / 2 - DET_DY * max(w, h)
    return fc["x"], cy - h / 2, w, h


def read_additions(paths, scenes):
    """file name (as in annotations.jsonl) -> the faces to add"""
    add = {}
    for p in paths:
        with open(p) as f:
            for i, line in enumerate(f):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                o = json.loads(line)
                name = o["file"]
                if not name.startswith("images/"):
                    name = "images/" + os.path.basename(name)
                if number(name) % 5 == 0:
                    continue  # validation: for `gatewatch eval --extra` only
                for fc in o["faces"]:
                    if not all(k in fc for k in ("x", "y", "w", "h", "label")):
                        sys.exit("face-lists: %s line %d: a face needs x y w h label" % (p, i + 1))
                add.setdefault(name, []).extend(o["faces"])
    return add


def fit_vision():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("fit_vision", os.path.join(here, "fit-vision.py"))
    fv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fv)
    return fv


def read_hard(path, score):
    """image base names holding an annotated face of 40+ px that no found
    face of score >= score matches (eval's rule)"""
    fv = fit_vision()
    out = set()
    with open(path) as f:
        for line in f:
            j = json.loads(line)
            found = [d["face"] for d in j["found"] if d["score"] >= score]
            ann = [a["box"] for a in j["annotated"]]
            _, am, _ = fv.match(found, ann)
            if any(m < 0 and fv.size_bucket(b) in ("40-79", "80+") for b, m in zip(ann, am)):
                out.add(os.path.basename(j["file"]))
    return out


def read_ignored(path, score):
    """image path -> found faces (x, y, w, h, detector boxes) with score >=
    score that match no annotation as `gatewatch eval` matches"""
    fv = fit_vision()
    out = {}
    with open(path) as f:
        for line in f:
            j = json.loads(line)
            found = [d["face"] for d in j["found"] if d["score"] >= score]
            fm, _, _ = fv.match(found, [a["box"] for a in j["annotated"]])
            out[os.path.basename(j["file"])] = [b for b, m in zip(found, fm) if m < 0]
    return out


def open_set(out, name, scenes):
    """OUT/name/annotations.jsonl for writing, beside a link to the images"""
    os.makedirs(os.path.join(out, name), exist_ok=True)
    link = os.path.join(out, name, "images")
    if not os.path.islink(link):
        os.symlink(os.path.join(scenes, "images"), link)
    return open(os.path.join(out, name, "annotations.jsonl"), "w")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenes", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--holdout", action="store_true")
    ap.add_argument("--additions", action="append", default=[])
    ap.add_argument("--ignore")
    ap.add_argument("--ignore-score", type=float, default=0.5)
    ap.add_argument("--folds", type=int, default=0, metavar="K")
    ap.add_argument("--fold", type=int, default=0, metavar="I")
    ap.add_argument("--hard")
    ap.add_argument("--hard-score", type=float, default=0.6)
    ap.add_argument("--hard-repeat", type=int, default=2)
    a = ap.parse_args()
    if a.holdout:
        if a.folds:
            sys.exit("face-lists: --holdout is --folds 4 --fold 1: one or the other")
        a.folds, a.fold = 4, 1
    if a.folds and not (a.folds >= 2 and 1 <= a.fold <= a.folds):
        sys.exit("face-lists: --folds K needs K >= 2 and --fold I, 1 <= I <= K")
    if a.hard_repeat < 1:
        sys.exit("face-lists: --hard-repeat must be 1 or more")
    hard = read_hard(a.hard, a.hard_score) if a.hard else set()
    add = read_additions(a.additions, a.scenes)
    ign = read_ignored(a.ignore, a.ignore_score) if a.ignore else {}
    scenes = os.path.abspath(a.scenes)
    os.makedirs(a.out, exist_ok=True)
    ntrain = nhold = nadd = nign = nhard = 0
    hold = open_set(a.out, "holdout", scenes) if a.folds else None
    tr = open_set(a.out, "train", scenes)
    with open(os.path.join(a.out, "train.list"), "w") as tl, \
            open(os.path.join(scenes, "annotations.jsonl")) as f:
        for line in f:
            o = json.loads(line)
            n = number(o["file"])
            if n % 5 == 0:
                continue  # validation
            o["faces"] = o["faces"] + add.get(o["file"], [])
            nadd += len(add.pop(o["file"], []))
            rank = n - n // 5 - 1  # the image's place among the train numbers
            if hold is not None and rank % a.folds + 1 == a.fold:
                hold.write(json.dumps(o) + "\n")
                nhold += 1
                continue
            tr.write(json.dumps(o) + "\n")
            faces = o["faces"]
            drop = ign.get(os.path.basename(o["file"]), [])
            row = [os.path.join(scenes, o["file"]), str(len(faces) + len(drop))]
            for fc in faces:
                row += ["%.2f" % v for v in detector_box(fc)] + [str(CLS.get(fc["label"], 2))]
            for b in drop:
                row += ["%.2f" % v for v in b] + ["-1"]
            nign += len(drop)
            rep = a.hard_repeat if os.path.basename(o["file"]) in hard else 1
            nhard += rep > 1
            tl.write((" ".join(row) + "\n") * rep)
            ntrain += 1
    tr.close()
    if hold is not None:
        hold.close()
    if add:
        sys.exit("face-lists: additions for images not in the annotations: %s" % ", ".join(sorted(add)[:5]))
    print("face-lists: %d training images%s, %d held out, %d faces added, %d found faces ignored" % (
        ntrain, " (%d hard ones x%d)" % (nhard, a.hard_repeat) if a.hard else "", nhold, nadd, nign),
        file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""face-lists.py - the image lists of `make train-face` (models/scripts/train-face.sh).

Writes OUT/train.list for build/models/facetrain (one image a line: path,
face count, then x y w h class per face, image pixels; class 0 mask_on,
1 mask_off, 2 mask_chin or another label; boxes as the detector draws
them, see DET_DY) from the TRAIN split of
mask-scenes (N % 5 != 0; validation images never enter), and with
--holdout OUT/holdout/annotations.jsonl (+ an images link) of the images
held out to choose epochs, rate and threshold: the calibration split of
mask-lists.py (N % 5 == 1), which then stays out of train.list.

Usage: face-lists.py --scenes DIR --out DIR [--holdout]
"""
import argparse
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenes", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--holdout", action="store_true")
    a = ap.parse_args()
    scenes = os.path.abspath(a.scenes)
    os.makedirs(a.out, exist_ok=True)
    ntrain = nhold = 0
    hold = None
    if a.holdout:
        os.makedirs(os.path.join(a.out, "holdout"), exist_ok=True)
        link = os.path.join(a.out, "holdout", "images")
        if not os.path.islink(link):
            os.symlink(os.path.join(scenes, "images"), link)
        hold = open(os.path.join(a.out, "holdout", "annotations.jsonl"), "w")
    with open(os.path.join(a.out, "train.list"), "w") as tl, \
            open(os.path.join(scenes, "annotations.jsonl")) as f:
        for line in f:
            o = json.loads(line)
            n = number(o["file"])
            if n % 5 == 0:
                continue  # validation
            if hold is not None and n % 5 == 1:
                hold.write(line)
                nhold += 1
                continue
            faces = o["faces"]
            row = [os.path.join(scenes, o["file"]), str(len(faces))]
            for fc in faces:
                row += ["%.2f" % v for v in detector_box(fc)] + [str(CLS.get(fc["label"], 2))]
            tl.write(" ".join(row) + "\n")
            ntrain += 1
    if hold is not None:
        hold.close()
    print("face-lists: %d training images, %d held out" % (ntrain, nhold), file=sys.stderr)


if __name__ == "__main__":
    main()

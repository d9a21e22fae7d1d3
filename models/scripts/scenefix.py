#!/usr/bin/python3
"""scenefix.py - mask-scenes with the corrections of
models/data/mask-scenes-corrections.jsonl applied, for training.

  scenefix.py --scenes DIR --corrections FILE [--corrections FILE]... --out DIR

Writes OUT/annotations.jsonl (DIR's lines in order; on TRAIN images,
N % 5 != 0, each correction applied as `gatewatch eval --corrections`
applies it: the face named by its box, within 0.01 px, and label gets the
corrected class, the "to" box, or is removed with "none") and OUT/images, a
link to DIR/images. Validation lines are copied unchanged: their
corrections are for `gatewatch eval --corrections` only, and no training
script reads a validation line. Every script that takes a mask-scenes folder
(train-face.sh and train-mask.sh through their --corrections, face-lists.py,
mask-lists.py, mask-crossfit.py, fit-vision.py) then reads the corrected
set. A correction that names no annotated face is an error (exit 1 naming
file:line), as in `gatewatch eval`.
"""
import argparse
import json
import math
import os
import re
import sys

EPS = 0.01
CLASSES = ("mask_on", "mask_off", "mask_chin", "face", "none")


def number(name):
    return int(re.findall(r"(\d+)", os.path.basename(name))[-1])


def read(paths):
    """file -> [(path:line, face as annotated, corrected, to box or None)]"""
    out = {}
    for p in paths:
        with open(p) as f:
            for i, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = "%s:%d" % (p, i)
                try:
                    o = json.loads(line)
                    (fc,) = o["faces"]
                    face = (fc["x"], fc["y"], fc["w"], fc["h"], fc["label"])
                    assert o["corrected"] in CLASSES and str(o["reason"]).strip()
                    to = o.get("to")
                    to = (to["x"], to["y"], to["w"], to["h"]) if to is not None else None
                    # as gatewatch eval (cli/evalfix.c): "to" a box, not with none; a line changes the face
                    assert to is None or (all(math.isfinite(v) for v in to) and to[2] > 0 and to[3] > 0)
                    assert not (to and o["corrected"] == "none") and (to or o["corrected"] != face[4])
                except (AssertionError, KeyError, TypeError, ValueError) as ex:
                    sys.exit("scenefix: %s: want one face, corrected (%s) that changes it, a reason, and "
                             "\"to\" only as a box {x, y, w > 0, h > 0} and not with none: %r" %
                             (where, ", ".join(CLASSES), ex))
                out.setdefault(o["file"], []).append((where, face, o["corrected"], to))
    return out


def apply(faces, fixes):
    """faces (annotations.jsonl's dicts) with fixes applied, in order"""
    faces = [dict(fc) for fc in faces]
    fixed = set()   # ids of the faces changed: no later line names one (as gatewatch eval)
    for where, (x, y, w, h, lab), corrected, to in fixes:
        j = next((j for j, fc in enumerate(faces) if id(fc) not in fixed and fc["label"] == lab and
                  all(abs(fc[k] - v) < EPS for k, v in zip("xywh", (x, y, w, h)))), None)
        if j is None:
            sys.exit("scenefix: %s: no %s face at %g,%g %gx%g in its annotations (corrected twice, or the "
                     "annotations changed)" % (where, lab, x, y, w, h))
        if corrected == "none":
            del faces[j]
            continue
        faces[j]["label"] = corrected
        fixed.add(id(faces[j]))
        if to:
            faces[j].update(zip("xywh", to))
    return faces


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenes", required=True)
    ap.add_argument("--corrections", action="append", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    fixes = read(a.corrections)
    os.makedirs(a.out, exist_ok=True)
    link = os.path.join(a.out, "images")
    if not os.path.islink(link):
        os.symlink(os.path.join(os.path.abspath(a.scenes), "images"), link)
    n = 0
    with open(os.path.join(a.scenes, "annotations.jsonl")) as f, \
            open(os.path.join(a.out, "annotations.jsonl"), "w") as o:
        for line in f:
            d = json.loads(line)
            todo = fixes.pop(d["file"], [])
            if todo and number(d["file"]) % 5 != 0:
                d["faces"] = apply(d["faces"], todo)
                n += len(todo)
                line = json.dumps(d) + "\n"
            o.write(line)
    if fixes:
        sys.exit("scenefix: corrections for images not in the annotations: %s" % ", ".join(sorted(fixes)[:5]))
    print("scenefix: %d corrections applied to train images in %s" % (n, a.out), file=sys.stderr)


if __name__ == "__main__":
    main()

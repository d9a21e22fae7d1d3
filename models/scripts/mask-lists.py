#!/usr/bin/python3
"""mask-lists.py - the mask classifier's training and validation lists.

  mask-lists.py --scenes DIR --faces DIR --boxes FILE --work DIR
  mask-lists.py --scenes DIR --faces DIR --val-only --work DIR

Without --boxes (--val-only: only val.list is written), mask-faces lines get
the box 0 0 0 0: maskeval then finds the face itself, as maskaug --boxes
does, with the same detector call.

Reads ../shared/datasets/mask-scenes/annotations.jsonl (boxed faces) and the
face boxes found in ../shared/datasets/mask-faces (FILE: "SRC X Y W H
found|whole" lines from `maskaug --boxes`), and writes in DIR:

  train.crops  lines for `maskaug MODELS SIZE`: "SRC DST MODE SEED X Y W H",
               DST = DIR/img/NNNNNN.<label>.ppm (darknet labels an image by
               the first label that is a substring of its path: the script
               refuses a DIR that holds one)
  val.list     lines for `maskeval`: "SRC CLASS MODE SEED X Y W H GROUP"

Split (fixed for every model of the project): a mask-scenes image is
validation when N in images/maksssksksssN.jpg has N % 5 == 0, training
otherwise; mask-faces keeps its train/ and val/ folders. Nothing from a
validation image is ever written to train.crops.

Training copies per face (each copy a different seeded jitter, see
maskaug.c), chosen to balance the classes:
  mask-scenes mask_on x4, mask_off x12, real mask_chin x50, and mask_off
  again x4 with a synthetic below-the-nose mask (mask_chin);
  mask-faces with_mask x4 (mask_on), without_mask x4 (mask_off) and x4
  with a synthetic mask (mask_chin).
Faces under MIN_SIDE px (larger side) are left out of training: a face
detector does not find them and the crop is a few pixels scaled up.
Seeds are the line number (1-based) plus SEED_BASE: the lists, and so the
crops, are the same on every run.
"""
import argparse
import json
import os
import re
import sys

LABELS = ("mask_on", "mask_off", "mask_chin")
MIN_SIDE = 12
SEED_BASE = 1000
COPIES = {  # (source, label, mode) -> copies
    ("scenes", "mask_on", "plain"): 4,
    ("scenes", "mask_off", "plain"): 12,
    ("scenes", "mask_chin", "plain"): 50,
    ("scenes", "mask_off", "chin"): 4,
    ("faces", "mask_on", "plain"): 4,
    ("faces", "mask_off", "plain"): 4,
    ("faces", "mask_off", "chin"): 4,
}


def size_group(side):
    for lo, name in ((80, "80+"), (40, "40-79"), (20, "20-39")):
        if side >= lo:
            return name
    return "lt20"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenes", required=True)
    ap.add_argument("--faces", required=True)
    ap.add_argument("--boxes")
    ap.add_argument("--val-only", action="store_true")
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    a.scenes, a.faces = os.path.abspath(a.scenes), os.path.abspath(a.faces)
    for lab in LABELS:
        if lab in work:
            sys.exit("mask-lists: work folder %s contains the label %s" % (work, lab))

    train, val = [], []  # train: (src, label, mode, box); val: (src, class, mode, box, group)
    with open(os.path.join(a.scenes, "annotations.jsonl")) as f:
        for line in f:
            d = json.loads(line)
            m = re.search(r"maksssksksss(\d+)\.", d["file"])
            if not m:
                sys.exit("mask-lists: unexpected file name %s" % d["file"])
            src = os.path.join(a.scenes, d["file"])
            is_val = int(m.group(1)) % 5 == 0
            for face in d["faces"]:
                lab = face["label"]
                if lab not in LABELS:
                    sys.exit("mask-lists: unknown label %s in %s" % (lab, d["file"]))
                box = (face["x"], face["y"], face["w"], face["h"])
                side = max(face["w"], face["h"])
                if is_val:
                    val.append((src, lab, "plain", box, "scenes:" + size_group(side)))
                    if lab == "mask_off" and side >= 20:
                        val.append((src, "mask_chin", "chin", box, "scenes-synthetic"))
                elif side >= MIN_SIDE:
                    train.append(("scenes", src, lab, "plain", box))
                    if lab == "mask_off":
                        train.append(("scenes", src, "mask_chin", "chin", box))

    if not a.boxes and not a.val_only:
        sys.exit("mask-lists: --boxes is needed for the training list")
    boxes = {}
    if a.boxes:
        with open(a.boxes) as f:
            for line in f:
                p = line.split()
                boxes[os.path.abspath(p[0])] = tuple(float(v) for v in p[1:5])
    for split in ("train", "val"):
        for folder, lab in (("with_mask", "mask_on"), ("without_mask", "mask_off")):
            d = os.path.join(a.faces, split, folder)
            for name in sorted(os.listdir(d)):
                src = os.path.join(d, name)
                if a.boxes and src not in boxes:
                    sys.exit("mask-lists: no box for %s in %s" % (src, a.boxes))
                box = boxes.get(src, (0, 0, 0, 0))
                if split == "val":
                    val.append((src, lab, "plain", box, "faces"))
                    if lab == "mask_off":
                        val.append((src, "mask_chin", "chin", box, "faces-synthetic"))
                else:
                    train.append(("faces", src, lab, "plain", box))
                    if lab == "mask_off":
                        train.append(("faces", src, "mask_chin", "chin", box))

    n = 0
    with open(os.devnull if a.val_only else os.path.join(work, "train.crops"), "w") as f:
        for source, src, lab, mode, box in train:
            key = (source, "mask_off" if mode == "chin" else lab, mode)
            for _ in range(COPIES[key]):
                n += 1
                f.write("%s %s/img/%06d.%s.ppm %s %d %.2f %.2f %.2f %.2f\n" %
                        ((src, work, n, lab, mode, SEED_BASE + n) + box))
    with open(os.path.join(work, "val.list"), "w") as f:
        for i, (src, lab, mode, box, group) in enumerate(val):
            # synthetic masks are drawn with a fixed seed per line, never 0
            seed = i + 1 if mode == "chin" else 0
            f.write("%s %s %s %d %.2f %.2f %.2f %.2f %s\n" % ((src, lab, mode, seed) + box + (group,)))
    print("mask-lists: %d training crops, %d validation faces" % (n, len(val)), file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""mask-lists.py - the mask classifier's training and validation lists.

  mask-lists.py --scenes DIR --faces DIR --boxes FILE --work DIR [--calib]
               [--found FILE ...]
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
  calib.list   the same, for the calibration faces (below)

Split (fixed for every model of the project): a mask-scenes image is
validation when N in images/maksssksksssN.jpg has N % 5 == 0, training
otherwise; mask-faces keeps its train/ and val/ folders. Nothing from a
validation image is ever written to train.crops.

Calibration split (carved from TRAIN only, fixed): the mask-scenes images
with N % 5 == 1, and every mask-faces train/ image whose position in its
folder's sorted listing (0-based) is 1 mod 5. With --calib their faces are
not cut into train.crops: the head never sees them, so the per-class
thresholds can be fitted on them (models/scripts/fit-vision.py: the
calibration images through the system's own path, and calib.list's
mask-faces faces via `maskeval -p`). Without it (the shipped weights, see
docs/MODELS.md: holding them out cost more than the thresholds gained) they
are trained on like every train face, and calib.list is written all the same.
Validation is untouched by either: it stays N % 5 == 0 and mask-faces val/.

Training copies per face (each copy a different seeded jitter, see
maskaug.c), chosen to balance the classes:
  mask-scenes mask_on x4, mask_off x12, real mask_chin x50, and mask_off
  again x4 with a synthetic below-the-nose mask (mask_chin);
  mask-faces with_mask x4 (mask_on), without_mask x4 (mask_off) and x4
  with a synthetic mask (mask_chin);
  MODE paste (chin_paste in models/tools/chin.c: a training mask_on face's
  real mask moved below the nose of a mask_off face, the donor picked by the
  line's seed from mask-scenes mask_on faces of 40 px or more and mask-faces
  with the face found; never a validation face) is at 0 copies: at 4 per
  mask_off face it called more mask_on and mask_off faces mask_chin and no
  more real mask_chin faces right (docs/MODELS.md, round 4).
  MODE nose and nosepaste (chin_draw_nose, chin_paste_nose: the same masks
  with their top edge just under the nose tip, where the real ones sit,
  instead of over the mouth) are written after every other line (LATE_MODES),
  so that the lines before them stay those of a list without them; their
  copies are in COPIES (docs/MODELS.md, round 6).
--found FILE (a `gatewatch eval --split train --details` file, e.g. one run
at worker.tile_large 0 and one at 240, with --corrections): every train
face the system's search matched gets FOUND_COPIES more lines with the box
the search drew for it (the found box mapped by maskcls_from_detector, as
the worker hands it to the classifier) and the run's label (corrections
applied); one set of lines per distinct box (to 1 px) of a face over the
files, so a face both scales draw alike is not counted twice. Written after
every other line (the lines before them stay those of a list without them);
validation images are refused, calibration images skipped under --calib.
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
    ("scenes", "mask_off", "paste"): 0,
    ("faces", "mask_off", "paste"): 0,
    ("scenes", "mask_off", "nose"): 0,
    ("faces", "mask_off", "nose"): 0,
    ("scenes", "mask_off", "nosepaste"): 0,
    ("faces", "mask_off", "nosepaste"): 0,
}
# written after every other line, in this order, so that the lines (and so
# the seeds and crops) before them are those of a list without them
LATE_MODES = ("nose", "nosepaste")
FOUND_COPIES = {"mask_on": 2, "mask_off": 6, "mask_chin": 25}  # half of a scene face's plain copies
MASKCLS_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common", "maskcls.c")


def maskcls_defines(path=MASKCLS_C, names=("MASKCLS_DET_DY", "MASKCLS_DET_H")):
    """the values of maskcls.c's #defines NAMES, read from the C source (the
    one place they are written): a script that maps found boxes as the
    worker does cannot drift from it."""
    with open(path) as f:
        text = f.read()
    out = []
    for name in names:
        m = re.search(r"^#define %s ([0-9]*\.?[0-9]+)f?[ \t]*$" % name, text, re.M)
        if not m:
            sys.exit("mask-lists: no '#define %s <number>' in %s" % (name, path))
        out.append(float(m.group(1)))
    return out


# maskcls_from_detector's mapping of a found box (centre DET_DY of the larger
# side lower, DET_H times shorter): read from common/maskcls.c, for the scripts
DET_DY, DET_H = maskcls_defines()
DONOR_MIN_SIDE = 40  # mask-scenes mask_on faces that lend their mask (paste)


def size_group(side):
    for lo, name in ((80, "80+"), (40, "40-79"), (20, "20-39")):
        if side >= lo:
            return name
    return "lt20"


def is_calib_scene(n):
    """mask-scenes image number n is a calibration image (a train image)."""
    return n % 5 == 1


def is_calib_face(index):
    """position in a mask-faces train/ folder's sorted listing."""
    return index % 5 == 1


def fold_scene(n, folds):
    """the cross-fitting fold (mask-crossfit.py) of train image number n."""
    return (n // 5) % folds


def fold_face(index, folds):
    """the cross-fitting fold of a mask-faces train/ image (sorted position)."""
    return index % folds


def found_rows(paths, calib_out):
    """(src, label, box) of the matched train faces of --found files, one per
    distinct mapped box of a face."""
    rows, seen = [], set()
    for path in paths:
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                m = re.search(r"maksssksksss(\d+)\.", d["file"])
                if not m:
                    sys.exit("mask-lists: unexpected file name %s in %s" % (d["file"], path))
                n = int(m.group(1))
                if n % 5 == 0:
                    sys.exit("mask-lists: %s in %s is a validation image" % (d["file"], path))
                if calib_out and is_calib_scene(n):
                    continue
                for fd in d["found"]:
                    if fd["match"] < 0:
                        continue
                    ann = d["annotated"][fd["match"]]
                    if ann["label"] not in LABELS or max(ann["box"][2], ann["box"][3]) < MIN_SIDE:
                        continue
                    x, y, w, h = fd["face"]
                    cy = y + h / 2 + DET_DY * max(w, h)
                    box = (x, cy - h / DET_H / 2, w, h / DET_H)
                    key = (n, fd["match"]) + tuple(round(v) for v in box)
                    if key not in seen:
                        seen.add(key)
                        rows.append((os.path.abspath(d["file"]), ann["label"], box))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenes", required=True)
    ap.add_argument("--faces", required=True)
    ap.add_argument("--boxes")
    ap.add_argument("--val-only", action="store_true")
    ap.add_argument("--calib", action="store_true", help="hold the calibration faces out of training")
    ap.add_argument("--work", required=True)
    ap.add_argument("--found", action="append", default=[], help="gatewatch eval --details of train images")
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    a.scenes, a.faces = os.path.abspath(a.scenes), os.path.abspath(a.faces)
    for lab in LABELS:
        if lab in work:
            sys.exit("mask-lists: work folder %s contains the label %s" % (work, lab))

    donors = []  # (src, box) of training mask_on faces for MODE paste
    train, val, calib = [], [], []  # train: (src, label, mode, box); val, calib: (src, class, mode, box, group)
    with open(os.path.join(a.scenes, "annotations.jsonl")) as f:
        for line in f:
            d = json.loads(line)
            m = re.search(r"maksssksksss(\d+)\.", d["file"])
            if not m:
                sys.exit("mask-lists: unexpected file name %s" % d["file"])
            src = os.path.join(a.scenes, d["file"])
            is_val = int(m.group(1)) % 5 == 0
            is_calib = is_calib_scene(int(m.group(1)))
            for face in d["faces"]:
                lab = face["label"]
                if lab == "face":
                    continue  # a correction's "mask state not seen" (scenefix.py): no class to learn
                if lab not in LABELS:
                    sys.exit("mask-lists: unknown label %s in %s" % (lab, d["file"]))
                box = (face["x"], face["y"], face["w"], face["h"])
                side = max(face["w"], face["h"])
                if is_val:
                    val.append((src, lab, "plain", box, "scenes:" + size_group(side)))
                    if lab == "mask_off" and side >= 20:
                        val.append((src, "mask_chin", "chin", box, "scenes-synthetic"))
                    continue
                if is_calib:
                    calib.append((src, lab, "plain", box, "scenes:" + size_group(side)))
                    if a.calib:
                        continue
                if side >= MIN_SIDE:
                    train.append(("scenes", src, lab, "plain", box))
                    if lab == "mask_off":
                        for mode in ("chin", "paste") + LATE_MODES:
                            train.append(("scenes", src, "mask_chin", mode, box))
                    if lab == "mask_on" and side >= DONOR_MIN_SIDE:
                        donors.append((src, box))

    if not a.boxes and not a.val_only:
        sys.exit("mask-lists: --boxes is needed for the training list")
    boxes = {}
    if a.boxes:
        with open(a.boxes) as f:
            for line in f:
                p = line.split()
                boxes[os.path.abspath(p[0])] = (tuple(float(v) for v in p[1:5]), p[5] == "found")
    for split in ("train", "val"):
        for folder, lab in (("with_mask", "mask_on"), ("without_mask", "mask_off")):
            d = os.path.join(a.faces, split, folder)
            for index, name in enumerate(sorted(os.listdir(d))):
                src = os.path.join(d, name)
                if a.boxes and src not in boxes:
                    sys.exit("mask-lists: no box for %s in %s" % (src, a.boxes))
                box, found = boxes.get(src, ((0, 0, 0, 0), False))
                if split == "val":
                    val.append((src, lab, "plain", box, "faces"))
                    if lab == "mask_off":
                        val.append((src, "mask_chin", "chin", box, "faces-synthetic"))
                    continue
                if is_calib_face(index):
                    calib.append((src, lab, "plain", box, "faces"))
                    if a.calib:
                        continue
                train.append(("faces", src, lab, "plain", box))
                if lab == "mask_off":
                    for mode in ("chin", "paste") + LATE_MODES:
                        train.append(("faces", src, "mask_chin", mode, box))
                if lab == "mask_on" and found:
                    donors.append((src, box))

    n = 0
    with open(os.devnull if a.val_only else os.path.join(work, "train.crops"), "w") as f:
        passes = [[r for r in train if r[3] not in LATE_MODES]] + [[r for r in train if r[3] == m] for m in LATE_MODES]
        for source, src, lab, mode, box in (r for rows in passes for r in rows):
            key = (source, "mask_off" if mode in ("chin", "paste") + LATE_MODES else lab, mode)
            for _ in range(COPIES[key]):
                n += 1
                f.write("%s %s/img/%06d.%s.ppm %s %d %.2f %.2f %.2f %.2f" %
                        ((src, work, n, lab, mode, SEED_BASE + n) + box))
                if mode in ("paste", "nosepaste"):
                    dsrc, dbox = donors[(SEED_BASE + n) * 2654435761 % len(donors)]
                    f.write(" %s %.2f %.2f %.2f %.2f" % ((dsrc,) + dbox))
                f.write("\n")
        for src, lab, box in ([] if a.val_only else found_rows(a.found, a.calib)):
            for _ in range(FOUND_COPIES[lab]):
                n += 1
                f.write("%s %s/img/%06d.%s.ppm found %d %.2f %.2f %.2f %.2f\n" %
                        ((src, work, n, lab, SEED_BASE + n) + box))
    for name, rows in (("val.list", val), ("calib.list", calib)):
        with open(os.path.join(work, name), "w") as f:
            for i, (src, lab, mode, box, group) in enumerate(rows):
                # synthetic masks are drawn with a fixed seed per line, never 0
                seed = i + 1 if mode == "chin" else 0
                f.write("%s %s %s %d %.2f %.2f %.2f %.2f %s\n" % ((src, lab, mode, seed) + box + (group,)))
    print("mask-lists: %d training crops, %d validation faces, %d calibration faces"
          % (n, len(val), len(calib)), file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""annot-candidates.py - the review behind models/data/mask-scenes-additions.jsonl.

Two steps (models/data/README.md gives the rule and the record):

  sheets: from `gatewatch eval --details FILE` lines, list every found face
    that matches no annotated face (not counting duplicates: those overlap an
    annotated face already found), give each an id "N-k" (image number N,
    k-th found face of that image), map its box into the annotations' frame
    (maskcls_from_detector's mapping: height / 1.15, centre 0.13 of the
    larger side lower) clipped to the image, and cut a crop with one face side
    of margin around it, scaled to a 300 px tile, the proposed box in green and
    the image's annotated boxes in blue. No detector score or mask call is
    drawn or written beside a tile, so the judging cannot look at them.
    Writes OUT/candidates.jsonl, OUT/tiles/ID.png and OUT/sheet-NN.png
    (3 x 3 tiles, each labelled with its id).

  build: from OUT/candidates.jsonl and a verdict file (one line a candidate:
    `ID LABEL NOTE...` with LABEL mask_on, mask_off, mask_chin or face (a face
    whose mask state cannot be seen), or `ID reject REASON...`), append the
    accepted boxes to the additions file (one line an image, annotations.jsonl's
    shape, each face with its "note") and the rejected ones to the rejected
    file (one line a candidate: id, file, box, reason). Every candidate must
    have exactly one verdict.

  boxes: tiles and sheets, as sheets cuts them, for boxes listed in a
    JSON-lines file (one line a box: "id", "file" as in annotations.jsonl,
    "box" [x, y, w, h]): a second look at the additions
    (models/data/mask-scenes-additions-review.txt) and the faces behind
    models/data/mask-scenes-corrections.jsonl. Nothing but the id is drawn:
    the line's other fields (a label, a classifier's call) stay unseen.
    --margin M: M face sides of context on each side (default 1).

Usage: annot-candidates.py sheets --details F --scenes DIR --out DIR [--skip VERDICTS]
       annot-candidates.py build --cand F --verdicts F --additions F --rejected F
       annot-candidates.py boxes --list F --scenes DIR --out DIR [--margin M]
"""
import argparse
import json
import os
import re
import subprocess
import sys

DET_DY = 0.13   # common/maskcls.c MASKCLS_DET_DY
DET_H = 1.15    # common/maskcls.c MASKCLS_DET_H
TILE = 300
LABELS = ("mask_on", "mask_off", "mask_chin", "face")


def number(path):
    return int(re.findall(r"(\d+)", os.path.basename(path))[-1])


def from_detector(b):
    """maskcls_from_detector: the detector's box in the annotations' frame"""
    x, y, w, h = b
    side = max(w, h)
    cy = y + h / 2 + DET_DY * side
    h2 = h / DET_H
    return [x, cy - h2 / 2, w, h2]


def clip(b, iw, ih):
    x0, y0 = max(0.0, b[0]), max(0.0, b[1])
    x1, y1 = min(float(iw), b[0] + b[2]), min(float(ih), b[1] + b[3])
    return [round(x0, 1), round(y0, 1), round(x1 - x0, 1), round(y1 - y0, 1)]


def tile(c, ann, img, out, margin=1.0):
    x, y, w, h = c["box"]
    side = max(w, h) * margin
    cx0, cy0 = max(0, int(x - side)), max(0, int(y - side))
    cx1, cy1 = min(c["width"], int(x + w + side + 1)), min(c["height"], int(y + h + side + 1))
    cw, ch = cx1 - cx0, cy1 - cy0
    s = TILE / max(cw, ch)

    def rect(b):
        return "rectangle %d,%d %d,%d" % ((b[0] - cx0) * s, (b[1] - cy0) * s,
                                          (b[0] + b[2] - cx0) * s, (b[1] + b[3] - cy0) * s)
    cmd = ["convert", img, "-crop", "%dx%d+%d+%d" % (cw, ch, cx0, cy0), "+repage",
           "-resize", "%dx%d!" % (round(cw * s), round(ch * s)), "-fill", "none", "-strokewidth", "1",
           "-stroke", "#3060ff"]
    for a in ann:
        cmd += ["-draw", rect([a["x"], a["y"], a["w"], a["h"]])]
    cmd += ["-stroke", "#00ff00", "-draw", rect(c["box"]), out]
    subprocess.run(cmd, check=True)


def annotations(scenes, key=os.path.basename):
    """key(file) -> the image's line of scenes/annotations.jsonl"""
    anns = {}
    with open(os.path.join(scenes, "annotations.jsonl")) as f:
        for line in f:
            o = json.loads(line)
            anns[key(o["file"])] = o
    return anns


def sheets(a):
    anns = annotations(a.scenes)
    os.makedirs(os.path.join(a.out, "tiles"), exist_ok=True)
    cands, dups = [], 0
    with open(a.details) as f:
        for line in f:
            d = json.loads(line)
            base = os.path.basename(d["file"])
            o = anns[base]
            for k, fd in enumerate(d["found"]):
                if fd["match"] >= 0:
                    continue
                if fd["duplicate"]:
                    dups += 1
                    continue
                box = clip(from_detector(fd["face"]), o["width"], o["height"])
                cands.append({"id": "%d-%d" % (number(base), k), "file": o["file"], "width": o["width"],
                              "height": o["height"], "found": fd["face"], "box": box})
    cands.sort(key=lambda c: [int(v) for v in c["id"].split("-")])
    with open(os.path.join(a.out, "candidates.jsonl"), "w") as f:
        for c in cands:
            f.write(json.dumps(c) + "\n")
    done = set()
    if a.skip:
        with open(a.skip) as f:
            done = {line.split()[0] for line in f if line.strip() and not line.startswith("#")}
    paths = []
    for c in cands:
        if c["id"] in done:
            continue
        p = os.path.join(a.out, "tiles", c["id"] + ".png")
        tile(c, anns[os.path.basename(c["file"])]["faces"], os.path.join(a.scenes, c["file"]), p)
        paths.append((c["id"], p))
    montage(paths, a.out)
    print("%d candidates (%d duplicates not listed), %d sheets in %s" %
          (len(cands), dups, (len(paths) + 8) // 9, a.out))


def montage(paths, out):
    """3 x 3 tiles a sheet, each labelled with its id"""
    for i in range(0, len(paths), 9):
        cmd = ["montage"]
        for cid, p in paths[i:i + 9]:
            cmd += ["-label", cid, p]
        cmd += ["-font", "DejaVu-Sans", "-pointsize", "14", "-tile", "3x3", "-geometry",
                "%dx%d+4+4" % (TILE, TILE), "-background", "#808080", os.path.join(out, "sheet-%02d.png" % (i // 9))]
        subprocess.run(cmd, check=True)


def boxes(a):
    anns = annotations(a.scenes, key=str)
    os.makedirs(os.path.join(a.out, "tiles"), exist_ok=True)
    paths = []
    with open(a.list) as f:
        for line in f:
            c = json.loads(line)
            o = anns[c["file"]]
            c = {"id": c["id"], "box": c["box"], "width": o["width"], "height": o["height"]}
            others = [b for b in o["faces"] if [b["x"], b["y"], b["w"], b["h"]] != c["box"]]
            p = os.path.join(a.out, "tiles", c["id"].replace("/", "_") + ".png")
            tile(c, others, os.path.join(a.scenes, o["file"]), p, a.margin)
            paths.append((c["id"], p))
    montage(paths, a.out)
    print("%d boxes, %d sheets in %s" % (len(paths), (len(paths) + 8) // 9, a.out))


def build(a):
    cands = {}
    with open(a.cand) as f:
        for line in f:
            c = json.loads(line)
            cands[c["id"]] = c
    verdicts = {}
    with open(a.verdicts) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[0] not in cands or parts[0] in verdicts or \
                    parts[1] not in LABELS + ("reject",):
                sys.exit("%s:%d: want `ID LABEL|reject NOTE` for a new candidate id: %s" % (a.verdicts, n, line))
            verdicts[parts[0]] = (parts[1], parts[2])
    missing = sorted(set(cands) - set(verdicts))
    if missing:
        sys.exit("no verdict for %d candidates: %s" % (len(missing), " ".join(missing[:20])))
    byimage, nadd, nrej = {}, 0, 0
    with open(a.rejected, "a") as rej:
        for cid in sorted(cands, key=lambda s: [int(v) for v in s.split("-")]):
            c, (label, note) = cands[cid], verdicts[cid]
            if label == "reject":
                rej.write(json.dumps({"id": cid, "file": c["file"], "box": c["box"], "reason": note}) + "\n")
                nrej += 1
                continue
            x, y, w, h = c["box"]
            im = byimage.setdefault(c["file"], {"file": c["file"], "width": c["width"], "height": c["height"],
                                                "faces": []})
            im["faces"].append({"x": x, "y": y, "w": w, "h": h, "label": label,
                                "note": "candidate %s: %s" % (cid, note)})
            nadd += 1
    with open(a.additions, "a") as f:
        for fn in sorted(byimage, key=number):
            f.write(json.dumps(byimage[fn]) + "\n")
    print("%d faces added over %d images, %d candidates rejected" % (nadd, len(byimage), nrej))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sheets")
    s.add_argument("--details", required=True)
    s.add_argument("--scenes", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--skip", help="a verdict file: its candidates get no tile (already judged)")
    b = sub.add_parser("build")
    b.add_argument("--cand", required=True)
    b.add_argument("--verdicts", required=True)
    b.add_argument("--additions", required=True)
    b.add_argument("--rejected", required=True)
    x = sub.add_parser("boxes")
    x.add_argument("--list", required=True)
    x.add_argument("--scenes", required=True)
    x.add_argument("--out", required=True)
    x.add_argument("--margin", type=float, default=1.0)
    a = ap.parse_args()
    {"sheets": sheets, "build": build, "boxes": boxes}[a.cmd](a)


if __name__ == "__main__":
    main()

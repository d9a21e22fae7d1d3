#!/usr/bin/python3
"""miss-sheet.py - contact sheets of the faces `gatewatch eval --misses FILE` lists,
to look at each missed face by eye (docs/MODELS.md, "Where faces are missed").

Each tile is annot-candidates.py's: the missed face's annotated box in green,
the image's other annotated boxes in blue, one face side of margin. The label
is "IMAGE#k CAUSE LABEL" (k: the k-th missed face of that image in FILE).

Usage: miss-sheet.py --misses F --scenes DIR --out DIR [--cause C]...
"""
import argparse
import importlib.util
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("annot_candidates", os.path.join(HERE, "annot-candidates.py"))
annot = importlib.util.module_from_spec(spec)
spec.loader.exec_module(annot)
SHORT = {"shifted_box": "shift", "matched_neighbour": "neigh", "dropped": "drop",
         "no_person_box_crop_finds": "nobox+crop", "no_person_box": "nobox",
         "outside_head_region": "head", "below_threshold_crop_finds": "below+crop",
         "below_threshold": "below"}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--misses", required=True)
    p.add_argument("--scenes", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--cause", action="append", help="only these causes (default all)")
    a = p.parse_args()
    anns = {}
    with open(os.path.join(a.scenes, "annotations.jsonl")) as f:
        for line in f:
            o = json.loads(line)
            anns[os.path.basename(o["file"])] = o
    os.makedirs(os.path.join(a.out, "tiles"), exist_ok=True)
    tiles, seen = [], {}
    with open(a.misses) as f:
        for line in f:
            m = json.loads(line)
            base = os.path.basename(m["file"])
            n = annot.number(base)
            seen[n] = seen.get(n, 0) + 1
            if a.cause and m["cause"] not in a.cause:
                continue
            o = anns[base]
            c = {"box": m["box"], "width": o["width"], "height": o["height"]}
            tid = "%d#%d" % (n, seen[n])
            path = os.path.join(a.out, "tiles", "%d-%d.png" % (n, seen[n]))
            annot.tile(c, o["faces"], os.path.join(a.scenes, o["file"]), path)
            tiles.append(("%s %s %s" % (tid, SHORT.get(m["cause"], m["cause"]), m["label"]), path))
    for i in range(0, len(tiles), 12):
        cmd = ["montage"]
        for label, path in tiles[i:i + 12]:
            cmd += ["-label", label, path]
        cmd += ["-font", "DejaVu-Sans", "-pointsize", "14", "-tile", "4x3", "-geometry",
                "%dx%d+4+4" % (annot.TILE, annot.TILE), "-background", "#808080",
                os.path.join(a.out, "sheet-%02d.png" % (i // 12))]
        subprocess.run(cmd, check=True)
    print("%d missed faces, %d sheets in %s" % (len(tiles), (len(tiles) + 11) // 12, a.out))


if __name__ == "__main__":
    main()

"""test_worker_faces - the worker finds faces of the sizes a gate sees.

Real photos of the mask dataset (val/, kept out of training), with and
without a mask, are padded onto a 640x480 frame as a camera close to the
gate would send them (the face then fills much of the frame). The real
ingest replay gives each frame's person boxes; the frames are written with
the spool trailer ingest appends (spool.h), and `gatewatch replay --stage
worker` analyses them as the worker does in the pipeline: the face is
searched in the person crop. The same frames without a trailer check the
whole-image path. Prints the figures; floors are what was measured here
(docs/MODELS.md, "Face size and input size in the worker") minus a margin.
The frame that showed the problem (a masked face ~208 px wide, never PASS
with the detector at 416 on the crop) must now pass. Uses the real models.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import BIN, MODELS, SHARED, Report, mask_faces_val  # noqa: E402

VAL = os.path.join(SHARED, "datasets", "mask-faces", "val")
# Photos whose padded frame gets a person box from ingest (measured); the
# first of each list is the frame of the original report.
WITH = ["d3ee24f4f8d94f81f63f3b80933e345c52f9b8ec", "c0578fcb21a720a79ba64ff4416b4b594e3aa377",
        "c0c7cbb4b74b6b9b006c35897cd533b92b6f2d53", "c111ff5903cd9c163f8fa1279bf7e7692e79946b",
        "c11901ccf5b3d3d7a42b0eefd9f9a8afdc9aef3c", "c20ed74cf2af89b3a03ef6c3d60c483c9e97e763",
        "c3431f392b167c883d642161b9d0c72f6ca4d7cd", "c3ea20484b5107af694f92d5c76f39cbe0ddac9b",
        "c41b721ad3f26deaf44a967c782e7fb11226ac76", "c46b22fcef9b445b01b6e625d8519486db533e3a",
        "c4724f51832cd7389948b24001464672e83172fa"]
WITHOUT = ["c037a0f1cce228bd506076ff42e4babdd1dda60c", "c04a97859b273f2fe6e5cc6a60806c26f092f758",
           "c07495342bd67664b176d6f2b351950d54d69c7e", "c103b55ca548b365de5a07d9538e7109d10d16ea",
           "c1341fe77c6e41564e925c49447db3cf52e7a72b", "c141952bb232cfab4e8a8fbcad54c8b4d8f1fa91",
           "c14cdd575c10bc7c4c53cbcd3187971bee8adfe3", "c19c3acd274b4ddf62f082146e9faeb8f59f1f14",
           "c2397615d1282acd0c751a4aa280c05c8d6d6578", "c478615e32593be480cd3dffd0c68956141bc595"]
# Floors (fractions of the frames): measured on these frames, minus a margin.
FLOOR = {
    "crop found with_mask": 0.45, "crop PASS with_mask": 0.35,
    "crop found without_mask": 0.80, "crop DENY without_mask": 0.70,
    "image found with_mask": 0.35, "image found without_mask": 0.80,
}
MIN_BOXES = 12     # of the 21 frames, ingest must give person boxes to most
TIMEOUT = 600      # seconds for each replay run


def pad(src, dst):
    """src scaled to fit 640x480 (aspect kept), centred on black, as ffmpeg's
    scale=...:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2."""
    import cv2
    import numpy as np
    im = cv2.imread(src)
    h, w = im.shape[:2]
    s = min(640.0 / w, 480.0 / h)
    nw, nh = max(1, int(w * s)), max(1, int(h * s))
    im = cv2.resize(im, (nw, nh), interpolation=cv2.INTER_CUBIC)
    out = np.zeros((480, 640, 3), np.uint8)
    x, y = (640 - nw) // 2, (480 - nh) // 2
    out[y:y + nh, x:x + nw] = im
    cv2.imwrite(dst, out, [cv2.IMWRITE_JPEG_QUALITY, 92])


def replay(stage, path, extra=()):
    """{basename: JSON line} from `gatewatch replay --stage STAGE path`."""
    cmd = [os.path.join(BIN, "gatewatch"), "replay", "--stage", stage,
           "--set", "models.dir=" + MODELS] + list(extra) + [path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    rows = {}
    for line in p.stdout.decode(errors="replace").splitlines():
        j = json.loads(line)
        rows[os.path.basename(j["file"])] = j
    return p.returncode, rows, p.stderr.decode(errors="replace")[-500:]


def rate(rows, names, pred):
    n = sum(1 for k in names if k in rows and pred(rows[k]))
    return n, len(names)


def has_face(j):
    return any(p.get("face") for p in j.get("persons", []))


def verdict(want):
    # the frame's first person: ingest's best box, or the best face
    return lambda j: bool(j.get("persons")) and j["persons"][0]["verdict"].upper() == want


def main():
    rep = Report()
    try:
        mask_faces_val()
    except FileNotFoundError as e:
        rep.check(False, "the mask-faces photos are there", str(e))
        return rep.done()
    tmp = tempfile.mkdtemp(prefix="gw-faces-")
    try:
        padded, trailed, plain = (os.path.join(tmp, d) for d in ("padded", "trailer", "plain"))
        for d in (padded, trailed, plain):
            os.mkdir(d)
        names = {}
        for cls, ids in (("with_mask", WITH), ("without_mask", WITHOUT)):
            for i in ids:
                name = "%s_%s.jpg" % (cls, i)
                pad(os.path.join(VAL, cls, i + ".jpg"), os.path.join(padded, name))
                names[name] = cls
        rc, ing, err = replay("ingest", padded)
        rep.check(rc == 0 and len(ing) == len(names), "ingest replay answers every padded frame",
                  "rc=%d, %d of %d answered: %s" % (rc, len(ing), len(names), err))
        boxed = [k for k in names if k in ing and ing[k].get("persons")]
        rep.check(len(boxed) >= MIN_BOXES, "ingest finds a person in most padded close-ups (%d of %d)"
                  % (len(boxed), len(names)), "%d < %d" % (len(boxed), MIN_BOXES))
        for k in boxed:
            j = ing[k]
            meta = json.dumps({"width": j["width"], "height": j["height"],
                               "persons": [{f: p[f] for f in ("x", "y", "w", "h", "score")}
                                           for p in j["persons"]]}).encode()
            with open(os.path.join(padded, k), "rb") as f:
                data = f.read()
            with open(os.path.join(trailed, k), "wb") as f:
                f.write(data + meta + b"\nGWMETA01" + struct.pack("<I", len(meta)))
        for k in names:
            shutil.copy(os.path.join(padded, k), os.path.join(plain, k))

        rc, crop, err = replay("worker", trailed)
        rep.check(rc == 0 and len(crop) == len(boxed), "worker replay answers every frame with person boxes",
                  "rc=%d, %d of %d: %s" % (rc, len(crop), len(boxed), err))
        rc, whole, err = replay("worker", plain)
        rep.check(rc == 0 and len(whole) == len(names), "worker replay answers every plain frame",
                  "rc=%d, %d of %d: %s" % (rc, len(whole), len(names), err))

        first = "with_mask_%s.jpg" % WITH[0]
        if first in crop:
            p = crop[first]["persons"][0]
            rep.check(p.get("face") and p["verdict"].upper() == "PASS",
                      "the reported masked close-up passes in ingest's person crop",
                      "face=%s verdict=%s" % (p.get("face"), p["verdict"]))
        else:
            rep.fail("the reported masked close-up passes in ingest's person crop",
                     "ingest gave it no person box")

        ms = [j["ms"] for j in crop.values() if "ms" in j]
        for cls, want in (("with_mask", "PASS"), ("without_mask", "DENY")):
            b = [k for k in boxed if names[k] == cls]
            a = [k for k in names if names[k] == cls]
            for what, rows, keys, pred in (
                    ("crop found", crop, b, has_face),
                    ("crop %s" % want, crop, b, verdict(want)),
                    ("image found", whole, a, has_face)):
                key = "%s %s" % (what, cls)
                if key not in FLOOR:
                    continue
                n, tot = rate(rows, keys, pred)
                r = float(n) / tot if tot else 0.0
                rep.check(tot > 0 and r >= FLOOR[key], "%s: %d/%d = %.2f (floor %.2f)" % (key, n, tot, r, FLOOR[key]),
                          "below the floor")
        if ms:
            ms.sort()
            print("# crop analysis ms: median %.0f, max %.0f over %d frames" % (ms[len(ms) // 2], ms[-1], len(ms)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""test_closeup_faces - ingest's close-up run hands its faces to the worker
through the spool trailer ("faces", worker/meta.h), and the worker's
whole-frame search takes them instead of running the same search again:
same detector, same input (360), same image, faces kept down to the
worker's own threshold (0.3, its hints), so the result is exactly the one
its own run gives. The photo: mask-scenes train image 569 (CC0,
test/models/data/closeup/), where the person detector finds nobody and
the face detector one masked face (0.68).

Spool files of the photo, each analysed by `gatewatch replay --stage
worker` (the worker's analyse_frame, as its loop runs it):
  with     the trailer ingest writes now (`--stage ingest` prints it):
           the same people, faces, mask calls and scores as
  without  an older ingest's trailer (no "faces"): the worker searches;
  extra    "faces" with one more face in no person box (made up, 0.95):
           it becomes a person of its own, so the worker took the faces
           given and ran no search of its own (without the change: as
           "without");
  input    "faces" of another input size (416): not the worker's search,
           ignored (as "without");
  unsorted "faces" not best first: a bad trailer, said on stderr, the
           frame analysed without ingest's boxes.
Env: BIN (default bin), MODELS (default models/out)."""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("BIN", "bin"))
MODELS = os.path.join(ROOT, os.environ.get("MODELS", "models/out"))
PHOTO = os.path.join(ROOT, "test/models/data/closeup/maksssksksss569.jpg")


def check(cond, what, why=""):
    """checks.check with what a case saw, whatever its type, as the why"""
    return checks.check(bool(cond), what, why if isinstance(why, str) else repr(why))


def replay(stage, files):
    p = subprocess.run([os.path.join(BIN, "gatewatch"), "replay", "--stage", stage, "--set",
                        "models.dir=" + MODELS] + files, capture_output=True, text=True, timeout=300)
    return [json.loads(x) for x in p.stdout.splitlines() if x.strip()], p.stderr


def spool_file(path, img, meta):
    m = json.dumps(meta).encode()
    with open(path, "wb") as f:
        f.write(img + m + b"\n" + b"GWMETA01" + struct.pack("<I", len(m)))


def people(r):
    """What a result says about its people (the rest is timing)."""
    return [(p.get("body"), p.get("face"), p.get("mask"), p.get("mask_score"), p.get("verdict"))
            for p in r.get("persons", [])]


def main():
    ing, err = replay("ingest", [PHOTO])
    f = ing[0].get("faces") if ing else None
    if not check(f and f["input"] == 360 and len(f["boxes"]) == 1 and ing[0]["reason"] == "1 face found (close-up)",
                 "ingest's close-up run on the photo keeps its faces for the worker (input 360, one face)",
                 (ing, err)):
        return 1
    check(abs(f["threshold"] - 0.3) < 1e-6, "down to the worker's whole-frame threshold (0.3: its hints)", f)
    with open(PHOTO, "rb") as fh:
        img = fh.read()
    base = {"width": ing[0]["width"], "height": ing[0]["height"], "received_us": 1764026596123456,
            "persons": ing[0]["persons"]}
    made_up = [10.0, 10.0, 40.0, 48.0, 0.95]   # top left, in no person box
    variants = {
        "with": dict(base, faces=f),
        "without": base,
        "extra": dict(base, faces=dict(f, boxes=[made_up] + f["boxes"])),
        "input": dict(base, faces=dict(f, input=416)),
        "unsorted": dict(base, faces=dict(f, boxes=f["boxes"] + [made_up])),
    }
    tmp = tempfile.mkdtemp(prefix="gw-closeup-faces-")
    try:
        names = sorted(variants)
        files = []
        for n in names:
            files.append(os.path.join(tmp, n + ".jpg"))
            spool_file(files[-1], img, variants[n])
        out, err = replay("worker", files)
        res = {os.path.basename(r.get("file", "")).split(".")[0]: r for r in out}
        if not check(len(res) == len(names) and all("error" not in r for r in res.values()),
                     "the worker analyses every spool file", (out, err)):
            return 1
        w, wo = people(res["with"]), people(res["without"])
        check(w == wo and len(w) == 1 and w[0][1],
              "with ingest's faces: exactly the people, faces, mask calls and scores of the worker's own search",
              (w, wo))
        x = people(res["extra"])
        check(len(x) == 2 and any(p[1] and [round(p[1][k], 1) for k in ("x", "y", "w", "h")] == made_up[:4]
                                  for p in x),
              "the worker takes the faces given instead of its own run (a made-up face in them is a person)", x)
        check(people(res["input"]) == wo, "faces of another input size are not its search: ignored",
              people(res["input"]))
        check("faces must come best first" in err and all(not p[0] for p in people(res["unsorted"])),
              "faces not best first: a bad trailer, said on stderr, the frame analysed without ingest's boxes",
              (err[-300:], people(res["unsorted"])))
    finally:
        for n in os.listdir(tmp):
            os.unlink(os.path.join(tmp, n))
        os.rmdir(tmp)
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())

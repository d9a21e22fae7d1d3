#!/usr/bin/python3
"""face-holdout.py - score face detector weights on the held-out train images
of `make train-face` (mask-scenes N % 5 == 1, written by face-lists.py
--holdout; never validation), through the system's own path.

  face-holdout.py --weights W [--weights W2 ...] --holdout DIR --work DIR
                  [--gatewatch bin/gatewatch] [--models models/out]

For each weights file: a models folder (models/out's files, that
face.weights), one `gatewatch eval` at worker.face_threshold 0.30 with
--details, then fit-vision.py's table: for each threshold, the faces with
score >= t matched again as `gatewatch eval` matches; recall of 40+ px
faces per class, 20-39 px, precision, and fit-vision's score (recall 40+ px
+ precision). Prints one table per weights file and each one's best
threshold.
"""
import argparse
import importlib.util
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fit_vision", os.path.join(here, "fit-vision.py"))
fv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fv)


def small_recall(imgs, t):
    """recall of 20-39 px faces at threshold t"""
    hit = n = 0
    for found, ann, _ in imgs:
        keep = [f for f in found if f[1] >= t]
        _, am, _ = fv.match([f[0] for f in keep], [a[0] for a in ann])
        for j, (box, _) in enumerate(ann):
            if fv.size_bucket(box) == "20-39":
                n += 1
                hit += am[j] >= 0
    return hit / n if n else 0.0


def run(a, weights, work):
    models = os.path.join(work, "models")
    os.makedirs(models, exist_ok=True)
    src = os.path.abspath(a.models)
    for name in os.listdir(src):
        if name.endswith((".cfg", ".weights", ".labels", ".thresholds")) and name != "face.weights":
            dst = os.path.join(models, name)
            if not os.path.exists(dst):
                os.symlink(os.path.join(src, name), dst)
    dst = os.path.join(models, "face.weights")
    if os.path.lexists(dst):
        os.remove(dst)
    os.symlink(os.path.abspath(weights), dst)
    details = os.path.join(work, "holdout.details")
    cmd = ["nice", "-n", "10", a.gatewatch, "eval", "-q", "--set", "models.dir=" + models,
           "--set", "worker.face_threshold=%.2f" % fv.LOW, "--details", details, a.holdout]
    with open(os.path.join(work, "holdout.report"), "w") as out:
        subprocess.run(cmd, check=True, stdout=out)
    return fv.load(details)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", action="append", required=True)
    ap.add_argument("--holdout", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--gatewatch", default="bin/gatewatch")
    ap.add_argument("--models", default="models/out")
    a = ap.parse_args()
    for i, w in enumerate(a.weights):
        imgs = run(a, w, os.path.join(a.work, "w%d" % i))
        print("%s (held-out train images: %d)" % (w, len(imgs)))
        print("| t | recall 40+ on / off / chin / all | 20-39 | precision | found | false | score |")
        print("|---|---|---|---|---|---|---|")
        best = None
        for t in fv.GRID:
            r, prec, nf, nm, nd, _ = fv.at_threshold(imgs, t)
            s = (r["all"][0] or 0) + prec
            pct = " / ".join("%.1f%%" % (100 * r[c][0]) if r[c][2] else "-" for c in fv.CLASSES + ("all",))
            print("| %.2f | %s | %.1f%% | %.1f%% | %d | %d | %.4f |" % (
                t, pct, 100 * small_recall(imgs, t), 100 * prec, nf, nf - nm, s))
            if best is None or s >= best[1]:
                best = (t, s)
        print("best: threshold %.2f, score %.4f\n" % best)
        sys.stdout.flush()


if __name__ == "__main__":
    main()

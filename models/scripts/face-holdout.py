#!/usr/bin/python3
"""face-holdout.py - score face detector weights on the held-out train images
of `make train-face` (mask-scenes N % 5 == 1, written by face-lists.py
--holdout; never validation), through the system's own path.

  face-holdout.py --weights W [--weights W2 ...] --holdout DIR [--holdout DIR2 ...]
                  --work DIR [--gatewatch bin/gatewatch] [--models models/out]
                  [--compare N] [--details-only]

For each weights file: a models folder (models/out's files, that
face.weights), one `gatewatch eval` at worker.face_threshold 0.30 with
--details, then fit-vision.py's table: for each threshold, the faces with
score >= t matched again as `gatewatch eval` matches; recall of 40+ px
faces per class, 20-39 px, precision, and fit-vision's score (recall 40+ px
+ precision). Prints one table per weights file and each one's best
threshold.

--compare N: then, for each weights file after the first, how far its
score is from the first's beyond the held-out set's chance: N paired
bootstrap resamples of the held-out images (the same images for both,
seeded), the score difference at each one's best threshold and at the
first's; prints the difference, its 95% interval and the share of
resamples where the later file scores higher. --details-only: reuse the
--details of an earlier run in --work (no eval run).

Cross-fitted folds (train-face.sh --folds K): --holdout once per fold, and
each --weights either one file (scored on every fold: the start or shipped
weights) or K files joined by commas, the i-th trained without fold i and
scored on fold i only. Every table is then over the pooled out-of-fold
images (all train images for K folds), and --compare adds each fold's own
difference (at the pooled best thresholds) beside the pooled bootstrap.
--only-fold I: run the evals of fold I only (every weights), no table (each
fold's training run scores its own fold; the pooled run then reads them all
with --details-only). --first-details FILE: the first --weights' details
are FILE's lines of each fold's images (a `gatewatch eval --details` of
those weights on every train image at threshold 0.30, as train-face.sh
writes WORK/start.details) instead of an eval.
"""
import argparse
import importlib.util
import json
import os
import random
import re
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


def run(a, weights, work, holdout):
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
    if a.details_only:
        return fv.load(details)
    cmd = ["nice", "-n", "10", a.gatewatch, "eval", "-q", "--set", "models.dir=" + models,
           "--set", "worker.face_threshold=%.2f" % fv.LOW,
           "--set", "ingest.closeup_threshold=%.2f" % fv.LOW, "--details", details, holdout]
    with open(os.path.join(work, "holdout.report"), "w") as out:
        subprocess.run(cmd, check=True, stdout=out)
    return fv.load(details)


def image_counts(imgs, t):
    """per image at threshold t: (40+ px faces found, 40+ px faces, found, matched)"""
    out = {}
    for img in imgs:
        r, _, nf, nm, _, _ = fv.at_threshold([img], t)
        out[img[2]] = (r["all"][1], r["all"][2], nf, nm)
    return out


def boot_score(counts, nums):
    """recall 40+ px + precision over the images nums (repeats count again)"""
    h = n = nf = nm = 0
    for k in nums:
        c = counts[k]
        h, n, nf, nm = h + c[0], n + c[1], nf + c[2], nm + c[3]
    return (h / n if n else 0.0) + (nm / nf if nf else 0.0)


def score_run(a, spec, work, first=False):
    """spec: one weights file for every --holdout, or one per --holdout
    joined by commas; the images of every fold pooled, and per fold"""
    files = spec.split(",")
    if len(files) not in (1, len(a.holdout)):
        sys.exit("face-holdout: %s: one weights file or one per --holdout (%d)" % (spec, len(a.holdout)))
    if len(a.holdout) == 1 and not first:
        imgs = run(a, files[0], work, a.holdout[0])
        return imgs, [imgs]
    folds = []
    for k, hold in enumerate(a.holdout):
        w = files[k] if len(files) > 1 else files[0]
        if first:
            folds.append(fold_details(a.first_details, hold))
        elif a.only_fold in (0, k + 1):
            folds.append(run(a, w, os.path.join(work, "h%d" % (k + 1)), hold))
    return [img for f in folds for img in f], folds


def fold_details(path, holdout):
    """path's images that are in holdout's annotations.jsonl"""
    with open(os.path.join(holdout, "annotations.jsonl")) as f:
        names = {int(re.search(r"(\d+)\.[A-Za-z]+$", json.loads(line)["file"]).group(1))
                 for line in f if line.strip()}
    imgs = [img for img in fv.load(path) if img[2] in names]
    if len(imgs) != len(names):
        sys.exit("face-holdout: %s holds %d of the %d images of %s" % (path, len(imgs), len(names), holdout))
    return imgs


def fold_rows(base, other, base_folds, other_folds):
    """each fold's score difference, both at their pooled best thresholds"""
    rows = []
    for k, (fb, fo) in enumerate(zip(base_folds, other_folds)):
        cb, co = image_counts(fb, base[1]), image_counts(fo, other[1])
        nums = sorted(cb)
        if nums != sorted(co):
            sys.exit("face-holdout: fold %d scored on different images" % (k + 1))
        rows.append("%+.4f" % (boot_score(co, nums) - boot_score(cb, nums)))
    return ["  each fold at the pooled best thresholds (%d images each): %s" % (
        len(base_folds[0]), ", ".join(rows))] if len(base_folds) > 1 else []


def compare(base, other, rounds):
    """paired bootstrap of other's score - base's; base, other: (imgs, best t)"""
    nums = sorted(img[2] for img in base[0])
    if nums != sorted(img[2] for img in other[0]):
        sys.exit("face-holdout: the weights were scored on different images")
    rows = []
    for what, tb, to in (("each at its best threshold", base[1], other[1]),
                         ("both at %.2f" % base[1], base[1], base[1])):
        cb, co = image_counts(base[0], tb), image_counts(other[0], to)
        rnd = random.Random(1)
        diffs = []
        for _ in range(rounds):
            pick = [rnd.choice(nums) for _ in nums]
            diffs.append(boot_score(co, pick) - boot_score(cb, pick))
        diffs.sort()
        lo, hi = diffs[int(0.025 * rounds)], diffs[min(rounds - 1, int(0.975 * rounds))]
        rows.append("  %s: %+.4f, 95%% interval %+.4f .. %+.4f, higher in %.0f%% of %d resamples" % (
            what, boot_score(co, nums) - boot_score(cb, nums), lo, hi,
            100.0 * sum(d > 0 for d in diffs) / rounds, rounds))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", action="append", required=True)
    ap.add_argument("--holdout", action="append", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--gatewatch", default="bin/gatewatch")
    ap.add_argument("--models", default="models/out")
    ap.add_argument("--compare", type=int, default=0, metavar="N")
    ap.add_argument("--details-only", action="store_true")
    ap.add_argument("--only-fold", type=int, default=0, metavar="I")
    ap.add_argument("--first-details", metavar="FILE")
    a = ap.parse_args()
    if not 0 <= a.only_fold <= len(a.holdout):
        sys.exit("face-holdout: --only-fold %d: there are %d --holdout" % (a.only_fold, len(a.holdout)))
    if a.only_fold:
        for i, w in enumerate(a.weights):
            if not (i == 0 and a.first_details):
                score_run(a, w, os.path.join(a.work, "w%d" % i))
        return
    scored, folds = [], []
    for i, w in enumerate(a.weights):
        imgs, per_fold = score_run(a, w, os.path.join(a.work, "w%d" % i), i == 0 and a.first_details)
        folds.append(per_fold)
        print("%s (held-out train images: %d%s)" % (
            w, len(imgs), ", %d folds" % len(per_fold) if len(per_fold) > 1 else ""))
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
        scored.append((imgs, best[0]))
    for i in range(1, len(scored)) if a.compare > 0 else ():
        print("%s against %s (paired bootstrap of the held-out images):" % (a.weights[i], a.weights[0]))
        print("\n".join(compare(scored[0], scored[i], a.compare) +
                        fold_rows(scored[0], scored[i], folds[0], folds[i])))


if __name__ == "__main__":
    main()

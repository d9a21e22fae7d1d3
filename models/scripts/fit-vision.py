#!/usr/bin/python3
"""fit-vision.py - choose the vision path's thresholds on the TRAIN split of
mask-scenes (images whose number N has N % 5 != 0), never on validation.

  fit-vision.py [--gatewatch bin/gatewatch] [--models models/out]
                [--scenes ../shared/datasets/mask-scenes] [--every N]
                [--work DIR] [--details FILE] [--write DIR]

One `gatewatch eval --split train` run, with a low face threshold (LOW) and
the mask classifier's per-class thresholds at 0, writes every found face
with its detector score and class probabilities (--details). From it:

1. worker.face_threshold (the run sets ingest's close-up fallback, ingest.closeup_threshold, to LOW too): for each
   candidate t, the faces with score >= t are matched again to the
   annotations exactly as `gatewatch eval` matches (IoU >= 0.3 or the found
   centre inside the annotated box, one to one, best IoU first); chosen:
   the t that maximises  recall of faces of 40+ px + precision  (both as
   fractions, every found face counted, duplicates as false; ties: the
   higher t). The issue's goals weigh both (recall >= 95%, precision >= 97%).
   Filtering a low-threshold run is close to, not the same as, running at t:
   at t a head region with no face over t is searched again as a whole
   body box. The chosen value is run for real afterwards (make the figures
   with `gatewatch eval --split train --set worker.face_threshold=t`).
2. The box the mask classifier is given (maskcls_from_detector: centre
   moved down by DY x the box's larger side, height divided by H): the
   medians, over matched train faces of 20+ px, of (annotated centre y -
   found centre y) / found larger side and found height / annotated height.
   Printed beside the constants compiled in (common/maskcls.c); a change
   there needs a rebuild and a new run before step 3 means anything.
3. mask.thresholds: mask-thresholds.py's rule (per class, among faces whose
   most probable class it is, the smallest threshold that maximises right
   - COST x wrong calls), on the CALIBRATION faces only, which the head
   never saw (models/scripts/mask-lists.py: mask-scenes train images with
   N % 5 == 1, every fifth mask-faces train/ image): the matched calibration
   scene faces of 20+ px at the chosen face threshold, their probabilities
   from the system's own boxes, and the mask-faces calibration faces through
   `maskeval -p` (the face found by the face detector as the worker does).
   A 2-fold check (fit on one half, by image, score right - COST x wrong on
   the other, against no thresholds) is reported beside it. What is
   written: the cross-fitted thresholds of --crossfit (mask.crossfit,
   models/scripts/mask-crossfit.py: fitted on out-of-fold predictions of
   heads each trained without a fifth of train) when that file was made for
   the mask.weights beside it (its sha256; models/trained, which make models
   copies pruned) and says "use: yes"; else the calibration fit when the
   installed head held those faces out of its training (its mask.manifest
   says "calibration: held out", train-mask.sh --calib); else 0 for every
   class (the most probable class), the fit reported only.
   --mask-thresholds zero|fit forces either of the last two.

--write DIR writes DIR/mask.thresholds and DIR/vision.fit (what was chosen,
the curves, and why). Without it, only prints.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

LOW = 0.30
GRID = [round(0.30 + 0.05 * i, 2) for i in range(13)]   # 0.30 .. 0.90
CLASSES = ("mask_on", "mask_off", "mask_chin")
MIN_IOU = 0.3

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("mask_thresholds", os.path.join(here, "mask-thresholds.py"))
mt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mt)
spec = importlib.util.spec_from_file_location("mask_lists", os.path.join(here, "mask-lists.py"))
mask_lists = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mask_lists)


def iou(a, b):
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = min(ax1, bx1) - max(a[0], b[0])
    ih = min(ay1, by1) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    u = a[2] * a[3] + b[2] * b[3] - inter
    return inter / u if u > 0 else 0.0


def match(found, ann):
    """gatewatch eval's rule: fmatch, amatch, dup (cli/eval.c eval_match)."""
    pairs = []
    for i, f in enumerate(found):
        cx, cy = f[0] + f[2] / 2, f[1] + f[3] / 2
        for j, a in enumerate(ann):
            v = iou(f, a)
            if v >= MIN_IOU or (a[0] <= cx <= a[0] + a[2] and a[1] <= cy <= a[1] + a[3]):
                pairs.append((-v, i, j))
    pairs.sort()
    fm, am = [-1] * len(found), [-1] * len(ann)
    for _, i, j in pairs:
        if fm[i] < 0 and am[j] < 0:
            fm[i], am[j] = j, i
    dup = [0] * len(found)
    for _, i, j in pairs:
        if fm[i] < 0:
            dup[i] = 1
    return fm, am, dup


def size_bucket(b):
    s = max(b[2], b[3])
    return "lt20" if s < 20 else "20-39" if s < 40 else "40-79" if s < 80 else "80+"


def load(path):
    imgs = []
    with open(path) as f:
        for line in f:
            j = json.loads(line)
            found = [(d["face"], d["score"], d["probs"]) for d in j["found"]]
            ann = [(a["box"], a["label"]) for a in j["annotated"]]
            m = re.search(r"(\d+)\.[A-Za-z]+$", os.path.basename(j["file"]))
            imgs.append((found, ann, int(m.group(1)) if m else -1))
    return imgs


def at_threshold(imgs, t):
    """counts at face threshold t; also the matched faces (found, annotated)."""
    rec = {c: [0, 0] for c in CLASSES + ("all",)}
    nfound = nmatch = ndup = 0
    pairs = []
    for found, ann, num in imgs:
        keep = [f for f in found if f[1] >= t]
        fm, am, dup = match([f[0] for f in keep], [a[0] for a in ann])
        nfound += len(keep)
        nmatch += sum(1 for m in fm if m >= 0)
        ndup += sum(1 for i, m in enumerate(fm) if m < 0 and dup[i])
        for j, (box, label) in enumerate(ann):
            if size_bucket(box) in ("40-79", "80+"):
                for c in (label, "all"):
                    if c in rec:
                        rec[c][0] += am[j] >= 0
                        rec[c][1] += 1
            if am[j] >= 0:
                pairs.append((keep[am[j]], box, label, num))
    r = {c: (h / n if n else None, h, n) for c, (h, n) in rec.items()}
    prec = nmatch / nfound if nfound else 0.0
    return r, prec, nfound, nmatch, ndup, pairs


def score(rows, thr):
    """right - COST x wrong calls (unsure counts 0)."""
    s = 0.0
    for g, truth, mode, p in rows:
        c = mt.call(p, thr)
        if c != "unsure":
            s += 1 if c == truth else -mt.COST[c]
    return s


def calib_rows(a, big, work):
    """mask-thresholds rows (group, truth, mode, probs) of the calibration
    faces, and each row's half for the 2-fold check."""
    rows, halves = [], []
    for f, box, lab, n in big:
        if lab in CLASSES and mask_lists.is_calib_scene(n):
            rows.append(("scenes:" + size_bucket(box), lab, "plain", f[2]))
            halves.append((n // 5) % 2)
    lists = os.path.join(work, "lists")
    os.makedirs(lists, exist_ok=True)
    subprocess.run(["/usr/bin/python3", os.path.join(here, "mask-lists.py"), "--scenes", a.scenes,
                    "--faces", a.faces, "--val-only", "--work", lists], check=True)
    faces = os.path.join(lists, "calib.faces")
    with open(os.path.join(lists, "calib.list")) as f, open(faces, "w") as o:
        for line in f:
            if line.split()[8] == "faces":
                o.write(line)
    with open(faces) as f:
        res = subprocess.run(["nice", "-n", "10", a.maskeval, "-p", a.models], stdin=f, check=True,
                             stdout=subprocess.PIPE, universal_newlines=True)
    for i, (g, c, mode, *p) in enumerate(line.split() for line in res.stdout.splitlines()):
        rows.append((g, c, mode, [float(v) for v in p]))
        halves.append(i % 2)
    return rows, halves


def held_out_calib(models):
    """whether the head in models was trained without the calibration faces."""
    try:
        with open(os.path.join(models, "mask.manifest")) as f:
            return any(line.strip() == mt.CALIB_HELD_OUT for line in f)
    except OSError:
        return False


def crossfit_thresholds(path, weights):
    """the thresholds of mask-crossfit.py's report when it was made for these
    weights (their sha256), else None."""
    try:
        text = open(path).read()
        with open(weights, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None
    m = re.search(r"(?m)^for weights: sha256 ([0-9a-f]{64})", text)
    t = re.search(r"(?m)^thresholds: (.*)$", text)
    if not m or not t or m.group(1) != digest or not re.search(r"(?m)^use: yes", text):
        return None
    v = t.group(1).split()
    thr = {v[i]: float(v[i + 1]) for i in range(0, len(v) - 1, 2)}
    return thr if sorted(thr) == sorted(CLASSES) else None


def run_eval(a, work):
    models = os.path.join(work, "models")
    os.makedirs(models, exist_ok=True)
    src = os.path.abspath(a.models)
    for name in os.listdir(src):
        if name.endswith((".cfg", ".weights", ".labels")):
            dst = os.path.join(models, name)
            if not os.path.exists(dst):
                os.symlink(os.path.join(src, name), dst)
    with open(os.path.join(models, "mask.thresholds"), "w") as f:
        f.write("mask_on 0\nmask_off 0\nmask_chin 0\n")
    details = os.path.join(work, "train.details")
    cmd = ["nice", "-n", "10", a.gatewatch, "eval", "-q", "--split", "train", "--every", str(a.every),
           "--set", "models.dir=" + models, "--set", "worker.face_threshold=%.2f" % LOW,
           "--set", "ingest.closeup_threshold=%.2f" % LOW,
           "--set", "worker.mask_threshold=0", "--details", details,
           "--json", os.path.join(work, "train.json"), a.scenes]
    print("fit-vision: " + " ".join(cmd), file=sys.stderr)
    with open(os.path.join(work, "train.report"), "w") as out:
        subprocess.run(cmd, check=True, stdout=out)
    with open(details + ".cmd", "w") as f:
        f.write(" ".join(cmd[3:]) + "\n")
    return details, " ".join(cmd[3:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gatewatch", default="bin/gatewatch")
    ap.add_argument("--models", default="models/out")
    ap.add_argument("--scenes", default="../shared/datasets/mask-scenes")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--work")
    ap.add_argument("--details", help="use this --details file of an earlier run")
    ap.add_argument("--write")
    ap.add_argument("--mask-thresholds", choices=("auto", "zero", "fit"), default="auto")
    ap.add_argument("--faces", default="../shared/datasets/mask-faces")
    ap.add_argument("--maskeval", default="build/models/maskeval")
    ap.add_argument("--crossfit", default="models/trained/mask.crossfit",
                    help="mask-crossfit.py's report: its thresholds are written when it was made "
                    "for the mask.weights beside it (the committed, unpruned file)")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="fit-vision.")
    os.makedirs(work, exist_ok=True)
    if a.details:
        details = a.details
        try:
            cmd = open(details + ".cmd").read().strip()
        except OSError:
            cmd = "(an earlier run's details: %s)" % details
    else:
        details, cmd = run_eval(a, work)
    imgs = load(details)
    for line in open(details):
        name = os.path.basename(json.loads(line)["file"])
        m = re.search(r"(\d+)\.[A-Za-z]+$", name)
        if m is None or int(m.group(1)) % 5 == 0:
            sys.exit("fit-vision: %s is not a train image: refusing to fit on it" % name)
    out = []
    out.append("# vision.fit - thresholds of the vision path fitted on the TRAIN split of mask-scenes")
    out.append("# (N % 5 != 0) by models/scripts/fit-vision.py; validation images never enter.")
    out.append("run: %s" % cmd)
    out.append("re-run: make fit-vision (/usr/bin/python3 models/scripts/fit-vision.py --write models/trained)")
    out.append("images: %d (train split, every %d)" % (len(imgs), a.every))
    out.append("")
    out.append("1. face threshold: score = recall 40+ px (all classes) + precision; faces kept by score >= t")
    out.append("| t | recall 40+ on / off / chin / all | precision | found | false | duplicates | score |")
    out.append("|---|---|---|---|---|---|---|")
    best = None
    for t in GRID:
        r, prec, nf, nm, nd, _ = at_threshold(imgs, t)
        s = (r["all"][0] or 0) + prec
        out.append("| %.2f | %s | %.1f%% | %d | %d | %d | %.4f |" % (
            t, " / ".join("%.1f%%" % (100 * r[c][0]) if r[c][0] is not None else "-"
                          for c in CLASSES + ("all",)),
            100 * prec, nf, nf - nm - nd, nd, s))
        if best is None or s >= best[1] - 1e-12:
            best = (t, s)
    t = best[0]
    out.append("chosen: worker.face_threshold %.2f (largest score; ties go to the higher threshold)" % t)
    out.append("")

    _, _, _, _, _, pairs = at_threshold(imgs, t)
    big = [p for p in pairs if max(p[1][2], p[1][3]) >= 20]
    dy = [((b[1] + b[3] / 2) - (f[0][1] + f[0][3] / 2)) / max(f[0][2], f[0][3]) for f, b, _, _ in big]
    hr = [f[0][3] / b[3] for f, b, _, _ in big if b[3] > 0]
    q = lambda v: statistics.quantiles(v, n=10)
    out.append("2. box for the mask classifier, %d matched train faces of 20+ px:" % len(big))
    out.append("   (annotated - found centre y) / found side: median %.3f (p10 %.3f, p90 %.3f)" % (
        statistics.median(dy), q(dy)[0], q(dy)[-1]))
    out.append("   found h / annotated h: median %.3f (p10 %.3f, p90 %.3f)" % (
        statistics.median(hr), q(hr)[0], q(hr)[-1]))
    out.append("   compiled in: MASKCLS_DET_DY, MASKCLS_DET_H (common/maskcls.c)")
    out.append("")

    rows, brows = calib_rows(a, big, work)
    thr = mt.fit(rows)
    out.append("3. mask.thresholds on %d calibration faces (%d matched scene faces of 20+ px in the %d "
               "calibration images (N %% 5 == 1) + %d mask-faces train/ calibration faces), "
               "rule of mask-thresholds.py, COST %s: %s" % (
                   len(rows), sum(1 for r in rows if r[0] != "faces"),
                   sum(1 for _, _, n in imgs if mask_lists.is_calib_scene(n)),
                   sum(1 for r in rows if r[0] == "faces"), mt.COST,
                   ", ".join("%s %.3f" % (c, thr[c]) for c in CLASSES)))
    zero = {c: 0.0 for c in CLASSES}
    out.append("   argmax:     " + mt.summary(rows, zero, lambda g, m: True))
    out.append("   thresholds: " + mt.summary(rows, thr, lambda g, m: True))
    out.append(mt.fmt_matrix("   calibration faces, thresholds", mt.matrix(rows, thr, lambda g, m: True)))
    half = [[r for r, b in zip(rows, brows) if b == h] for h in (0, 1)]
    for h in (0, 1):
        ft = mt.fit(half[h])
        out.append("   2-fold: fit on half %d (%d faces): %s; on half %d (%d faces) right - COST x wrong: "
                   "fitted %.0f, none %.0f" % (h, len(half[h]), ", ".join("%s %.3f" % (c, ft[c]) for c in CLASSES),
                                               1 - h, len(half[1 - h]), score(half[1 - h], ft), score(half[1 - h], zero)))
    held_out = held_out_calib(a.models)
    cross = crossfit_thresholds(a.crossfit, os.path.join(os.path.dirname(a.crossfit), "mask.weights"))
    if a.mask_thresholds == "auto" and cross is not None:
        thr = cross
        out.append("written: the cross-fitted thresholds of %s (out-of-fold predictions of five heads, each "
                   "trained without a fifth of train; these weights' sha256): %s" % (
                       a.crossfit, ", ".join("%s %.3f" % (c, thr[c]) for c in CLASSES)))
    elif a.mask_thresholds == "zero" or (a.mask_thresholds == "auto" and not held_out):
        thr = dict(zero)
        out.append("written: 0 for every class (%s)" % (
            "--mask-thresholds zero" if a.mask_thresholds == "zero" else
            "the head was trained on these faces: its mask.manifest has no '%s'" % mt.CALIB_HELD_OUT))
    else:
        out.append("written: the fitted thresholds (%s)" % (
            "the head never saw these faces" if held_out else "--mask-thresholds fit"))
    text = "\n".join(out) + "\n"
    print(text)
    if a.write:
        with open(os.path.join(a.write, "mask.thresholds"), "w") as f:
            f.write("# mask.thresholds - minimum probability to call each class, written by\n"
                    "# models/scripts/fit-vision.py from train faces only (cross-fitted: mask.crossfit;\n"
                    "# or the calibration split; 0: none fitted); see vision.fit, step 3\n")
            for c in CLASSES:
                f.write("%s %.4f\n" % (c, thr[c]))
        with open(os.path.join(a.write, "vision.fit"), "w") as f:
            f.write(text)
    if not a.work and not a.details:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

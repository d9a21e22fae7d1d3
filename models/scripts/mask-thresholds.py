#!/usr/bin/python3
"""mask-thresholds.py - the mask classifier's figures on the validation split
(with --use: given thresholds), and the rule that fits per-class thresholds
(fit(); models/scripts/fit-vision.py applies it to TRAIN faces, which is
what ships; fitting here, on validation, is for experiments only).

  mask-thresholds.py --probs FILE [--thresholds OUT] [--manifest OUT]
                     [--command TEXT] [--train-log FILE] [--crops FILE]
  mask-thresholds.py --probs FILE --use THRESHOLDS     (report only)

FILE: `maskeval -p` output, "GROUP CLASS MODE P_ON P_OFF P_CHIN" per face.

A face is called as its most probable class c when P_c >= t_c, otherwise it
is "unsure" (the worker waits for a better frame). t_c is chosen on the real
validation faces a detector finds (GROUP faces and scenes:20-39 / 40-79 /
80+; faces under 20 px and synthetic masks are reported, not fitted): among
the faces whose most probable class is c, the smallest t_c that maximises
  right calls of c - COST[c] x wrong calls of c
so a threshold only rises where it turns more wrong calls than right ones
into "unsure". COST is 4 for mask_on (a wrong mask_on lets an unmasked
person PASS) and 2 for mask_off and mask_chin (a wrong DENY is corrected by
a supervisor), capped at MAX_T.
"""
import argparse
import collections
import re
import sys

LABELS = ("mask_on", "mask_off", "mask_chin")
COST = {"mask_on": 4.0, "mask_off": 2.0, "mask_chin": 2.0}
MAX_T = 0.9
# the manifest line that lets fit-vision.py fit mask.thresholds on the calibration split
CALIB_HELD_OUT = "calibration: held out of training (mask-lists.py --calib)"
FIT_GROUPS = ("faces", "scenes:20-39", "scenes:40-79", "scenes:80+")


def read(path):
    rows = []
    with open(path) as f:
        for line in f:
            g, c, mode, *p = line.split()
            rows.append((g, c, mode, [float(v) for v in p]))
    return rows


def call(p, thr):
    best = max(range(3), key=lambda i: (p[i], -i))
    return LABELS[best] if p[best] >= thr[LABELS[best]] else "unsure"


def fit(rows):
    thr = {}
    for ci, c in enumerate(LABELS):
        cand = [(p[ci], truth == c) for g, truth, mode, p in rows
                if g in FIT_GROUPS and max(range(3), key=lambda i: (p[i], -i)) == ci]
        best_t, best_s = 0.0, None
        for t in sorted({0.0} | {round(v, 4) for v, _ in cand if v <= MAX_T}):
            right = sum(1 for v, ok in cand if ok and v >= t)
            wrong = sum(1 for v, ok in cand if not ok and v >= t)
            s = right - COST[c] * wrong
            if best_s is None or s > best_s + 1e-9:
                best_t, best_s = t, s
        thr[c] = best_t
    return thr


def matrix(rows, thr, keep):
    m = collections.OrderedDict((c, collections.Counter()) for c in LABELS)
    for g, truth, mode, p in rows:
        if keep(g, mode):
            m[truth][call(p, thr)] += 1
    return m


def fmt_matrix(title, m):
    out = ["%s (rows truth, columns called)" % title,
           "| truth | n | mask_on | mask_off | mask_chin | unsure | right |",
           "|---|---|---|---|---|---|---|"]
    for c, cnt in m.items():
        n = sum(cnt.values())
        if n:
            out.append("| %s | %d | %d | %d | %d | %d | %.3f |" % (
                c, n, cnt["mask_on"], cnt["mask_off"], cnt["mask_chin"], cnt["unsure"], cnt[c] / n))
    return "\n".join(out)


def summary(rows, thr, keep):
    m = matrix(rows, thr, keep)
    n = sum(sum(c.values()) for c in m.values())
    right = sum(m[c][c] for c in LABELS)
    unsure = sum(m[c]["unsure"] for c in LABELS)
    wrong = n - right - unsure
    per = " ".join("%s %.3f" % (c, m[c][c] / max(1, sum(m[c].values()))) for c in LABELS
                   if sum(m[c].values()))
    return "n %d, right %.3f, wrong %.3f, unsure %.3f (%s)" % (
        n, right / max(1, n), wrong / max(1, n), unsure / max(1, n), per)


def report(rows, thr):
    zero = {c: 0.0 for c in LABELS}
    found = lambda g, mode: mode == "plain" and g in FIT_GROUPS
    lines = ["thresholds: " + ", ".join("%s %.3f" % (c, thr[c]) for c in LABELS), ""]
    sets = [("real, detector-sized faces (mask-faces val + mask-scenes val faces of 20 px or more)", found),
            ("mask-scenes val, faces of 40 px or more", lambda g, mode: mode == "plain" and g in ("scenes:40-79", "scenes:80+")),
            ("mask-scenes val, faces of 20-39 px", lambda g, mode: mode == "plain" and g == "scenes:20-39"),
            ("mask-scenes val, faces under 20 px", lambda g, mode: mode == "plain" and g == "scenes:lt20"),
            ("mask-faces val", lambda g, mode: mode == "plain" and g == "faces"),
            ("synthetic mask_chin (val mask_off faces with a drawn mask)", lambda g, mode: mode == "chin")]
    for title, keep in sets:
        lines.append("%s:" % title)
        lines.append("  argmax:     " + summary(rows, zero, keep))
        lines.append("  thresholds: " + summary(rows, thr, keep))
    lines.append("")
    lines.append(fmt_matrix("Real detector-sized validation faces, argmax", matrix(rows, zero, found)))
    lines.append("")
    lines.append(fmt_matrix("Same faces, with the thresholds", matrix(rows, thr, found)))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probs", required=True)
    ap.add_argument("--thresholds")
    ap.add_argument("--use")
    ap.add_argument("--manifest")
    ap.add_argument("--command", default="")
    ap.add_argument("--train-log")
    ap.add_argument("--crops")
    ap.add_argument("--taps", default="6")
    ap.add_argument("--calib", choices=("--calib", "trained"), default="trained",
                    help="--calib: the calibration faces were held out of training")
    a = ap.parse_args()
    rows = read(a.probs)
    if a.use:
        thr = {}
        with open(a.use) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    c, v = line.split()
                    thr[c] = float(v)
    else:
        thr = fit(rows)
    text = report(rows, thr)
    print(text)
    if a.thresholds:
        with open(a.thresholds, "w") as f:
            f.write("# mask.thresholds - minimum probability to call each class, chosen on the\n"
                    "# validation split by models/scripts/mask-thresholds.py (see mask.manifest)\n")
            for c in LABELS:
                f.write("%s %.4f\n" % (c, thr[c]))
    if a.manifest:
        with open(a.manifest, "w") as f:
            f.write("# mask.manifest - how mask.weights was made and what it measures\n")
            f.write("command: %s\n" % a.command)
            f.write("data: ../shared/datasets/mask-scenes (andrewmvd Face Mask Detection, CC0 1.0), "
                    "train = images with N % 5 != 0, validation = N % 5 == 0; "
                    "../shared/datasets/mask-faces (chandrikadeb7/Face-Mask-Detection, MIT), "
                    "train/ for training, val/ for validation; calibration split (part of train): "
                    "mask-scenes N % 5 == 1 and every fifth mask-faces train/ image "
                    "(models/scripts/mask-lists.py); synthetic below-the-nose masks on mask_off "
                    "faces (models/tools/chin.c)\n")
            f.write("%s\n" % (CALIB_HELD_OUT if a.calib == "--calib" else
                               "calibration: trained on (thresholds cannot be fitted on it: "
                               "fit-vision.py writes 0)"))
            if a.crops:
                cnt = collections.Counter()
                with open(a.crops) as c:
                    for line in c:
                        m = re.search(r"\.(mask_\w+)\.ppm (\w+)", line)
                        cnt[(m.group(1), m.group(2))] += 1
                f.write("training crops: " + ", ".join(
                    "%s %s %d" % (k[0], {"chin": "synthetic drawn", "paste": "synthetic pasted",
                                   "nose": "synthetic drawn under the nose",
                                   "nosepaste": "synthetic pasted under the nose",
                                   "found": "real, box the face search drew"}
                                  .get(k[1], "real"), v)
                    for k, v in sorted(cnt.items())) + "\n")
            f.write("network: conv2d_0..conv2d_4 of the AIZOO face-mask detector "
                    "(AIZOOTech/FaceMaskDetection commit 256dc65f, face_mask_detection.caffemodel, "
                    "MIT, LICENSE.aizoo-facemask), fixed; head (route of layers %s -> connected, "
                    "leaky -> connected 3 -> softmax) trained here by models/scripts/mask-head.py\n" % a.taps)
            if a.train_log:
                lines = [l.strip() for l in open(a.train_log, errors="replace")]
                for l in lines:
                    if "training rows" in l:
                        f.write("training: %s\n" % l)
                last = [l for l in lines if " epoch " in l]
                if last:
                    f.write("last epoch: %s\n" % last[-1])
            f.write("\n" + text + "\n")


if __name__ == "__main__":
    main()

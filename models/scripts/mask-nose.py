#!/usr/bin/python3
"""mask-nose.py - score rules that let a nose-region head (train-mask.sh
--region nose) overrule the face head's mask_on, on out-of-fold rows.

  mask-nose.py --face OOF [--face OOF ...] --nose OOF [--nose OOF ...]
               [--t 0.5,0.7,...]

Each OOF is an oof.probs that mask-crossfit.py wrote ("GROUP CLASS MODE
P_on P_off P_chin FOLD" per face) for the same --details and --folds, so
row i of every file is the same face (checked). --face files and --nose
files pair up in order (seed 1 with seed 1, ...). Rules, for every pair:

  face     the face head's most probable class (what ships today)
  gate T   the face head's class, except mask_on becomes mask_chin when the
           nose head's P(mask_chin) >= T
  mean     the most probable class of the two heads' mean probabilities
  mean-on  mean, but only for faces the face head calls mask_on (the nose
           head runs on those only); the others keep the face head's class

Per rule: right, wrong PASS (mask_off or mask_chin called mask_on), masked
faces called mask_chin, real mask_chin right (all and 40+ px scene faces),
right - COST x wrong (mask-thresholds.py's COST).
"""
import argparse
import importlib.util
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("mask_thresholds", os.path.join(here, "mask-thresholds.py"))
mt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mt)

ON, OFF, CHIN = 0, 1, 2
LAB = ("mask_on", "mask_off", "mask_chin")


def load(path):
    rows = []
    for line in open(path):
        g, c, mode, p0, p1, p2, k = line.split()
        rows.append((g, c, (float(p0), float(p1), float(p2))))
    return rows


def argmax(p):
    return max(range(3), key=lambda i: p[i])


def score(rows, calls):
    right = wpass = onchin = chinright = chin = chin40 = chin40right = wrong_other = 0
    cost = 0.0
    for (g, c, _), k in zip(rows, calls):
        t = LAB.index(c)
        if k == t:
            right += 1
        elif k == ON:
            wpass += 1
            cost += mt.COST["mask_on"]
        else:
            wrong_other += 1
            cost += mt.COST[LAB[k]]
        if t == ON and k == CHIN:
            onchin += 1
        if t == CHIN:
            chin += 1
            chinright += k == CHIN
            if g in ("scenes:40-79", "scenes:80+"):
                chin40 += 1
                chin40right += k == CHIN
    return "right %d = %.1f%%  wrong PASS %d  on->chin %d  other wrong %d  chin %d/%d (40+ %d/%d)  score %.0f" % (
        right, 100.0 * right / len(rows), wpass, onchin, wrong_other, chinright, chin, chin40right, chin40,
        right - cost)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--face", action="append", required=True)
    ap.add_argument("--nose", action="append", required=True)
    ap.add_argument("--t", default="0.5,0.6,0.7,0.8,0.9")
    a = ap.parse_args()
    if len(a.face) != len(a.nose):
        sys.exit("mask-nose: as many --face as --nose files")
    ts = [float(v) for v in a.t.split(",")]
    for ff, nf in zip(a.face, a.nose):
        fr, nr = load(ff), load(nf)
        if len(fr) != len(nr) or any(x[:2] != y[:2] for x, y in zip(fr, nr)):
            sys.exit("mask-nose: %s and %s are not the same faces" % (ff, nf))
        print("face %s + nose %s (%d faces)" % (ff, nf, len(fr)))
        print("  %-9s %s" % ("face", score(fr, [argmax(r[2]) for r in fr])))
        print("  %-9s %s" % ("nose", score(nr, [argmax(r[2]) for r in nr])))
        for t in ts:
            calls = [CHIN if argmax(f[2]) == ON and n[2][CHIN] >= t else argmax(f[2]) for f, n in zip(fr, nr)]
            print("  gate %.2f %s" % (t, score(fr, calls)))
        calls = [argmax([(x + y) / 2 for x, y in zip(f[2], n[2])]) for f, n in zip(fr, nr)]
        print("  %-9s %s" % ("mean", score(fr, calls)))
        calls = [argmax([(x + y) / 2 for x, y in zip(f[2], n[2])]) if argmax(f[2]) == ON else argmax(f[2])
                 for f, n in zip(fr, nr)]
        print("  %-9s %s" % ("mean-on", score(fr, calls)))


if __name__ == "__main__":
    main()

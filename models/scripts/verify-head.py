#!/usr/bin/python3
"""verify-head.py - train the face verifier (is a found face a face?) on the
rows verify-data.py wrote, choose its threshold on cross-fitted folds of
the train split, and write it as darknet files.

  verify-head.py --work DIR --base-false F [--out DIR] [--hidden 32]
                 [--epochs 8] [--seed 1] [--seeds 5] [--neg-weight 4]
                 [--mask-weights models/trained/mask.weights]

The input is the mask classifier's backbone output on the face's crop (the
layer its head reads, 8x8x64, crop and mirror averaged: maskcls_features).
The verifier carries the next two layers of that backbone (the AIZOO
detector's 2x2 max pool and conv2d_4, 128 3x3 filters + ReLU, copied from
--mask-weights, fixed: they separate faces from the rest far better than
layer 6 alone, docs/MODELS.md), so at run time the check costs about 1.2 M
multiply-adds per face and no network run of its own:

    x (8x8x64) -> maxpool 2 -> conv 3x3 128 + ReLU (fixed) -> standardise
      -> connected HIDDEN, leaky 0.1 (dropout 0.3 in training)
      -> connected 1 -> logistic: the probability that the crop is a face

--seeds heads (seeds SEED..SEED+SEEDS-1) are trained and averaged (their
logits: one net of SEEDS x HIDDEN hidden units): one seed's out-of-fold
scores swing with its start.

Class-balanced binary cross-entropy (the detector's own false faces count
--neg-weight times a background patch), Adam (batch 128, lr 1e-3 halved
every EPOCHS/4 epochs, L2 1e-4), seeded, numpy only.

Folds: the train images by N % 5 (1..4). Each fold's rows are scored by
heads trained on the other three (cross-fitted); the thresholds are chosen
on those out-of-fold scores of the faces the system found at its default
threshold (--base-false, a `gatewatch eval --split train --false` file at
the defaults). A face is dropped when the detector scored it under
DETECTOR and the verifier under VERIFY (faces the detector is sure of are
not checked: the verifier's worst real faces are those): the pair that
removes the most false faces minus twice the real ones lost, never a real
face of 40+ px (real: matched, or in the additions). Prints per fold and
pooled: false faces removed, real faces lost by size. Then trains on all
four folds and writes OUT/verify.cfg, verify.weights, verify.threshold.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

SIZES = ((0, 20, "<20"), (20, 40, "20-39"), (40, 80, "40-79"), (80, 1e9, "80+"))


def leaky(x):
    return np.where(x > 0, x, 0.1 * x)


def forward(p, x):
    h = leaky(x @ p["w1"].T + p["b1"])
    z = h @ p["w2"][0] + p["b2"][0]
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def train(xs, y, w, hidden, epochs, seed):
    rng = np.random.RandomState(seed)
    d = xs.shape[1]
    p = {"w1": (rng.randn(hidden, d) * np.sqrt(2.0 / d)).astype(np.float32),
         "b1": np.zeros(hidden, np.float32),
         "w2": (rng.randn(1, hidden) * np.sqrt(1.0 / hidden)).astype(np.float32),
         "b2": np.zeros(1, np.float32)}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    lr0, wd, bs, t = 1e-3, 1e-4, 128, 0
    for ep in range(epochs):
        lr = lr0 * 0.5 ** (ep // max(1, epochs // 4))
        order = rng.permutation(len(y))
        for i in range(0, len(y), bs):
            idx = order[i:i + bs]
            xb, yb, wb = xs[idx], y[idx], w[idx]
            n = len(idx)
            a1 = xb @ p["w1"].T + p["b1"]
            hb = leaky(a1)
            mask = (rng.rand(*hb.shape) >= 0.3).astype(np.float32) / 0.7
            hd = hb * mask
            z = hd @ p["w2"][0] + p["b2"][0]
            pr = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
            g = ((pr - yb) * wb / n).astype(np.float32)
            grads = {"w2": (g @ hd)[None, :], "b2": np.array([g.sum()], np.float32)}
            gh = np.outer(g, p["w2"][0]) * mask * np.where(a1 > 0, 1.0, 0.1).astype(np.float32)
            grads["w1"] = gh.T @ xb
            grads["b1"] = gh.sum(0)
            t += 1
            for k in p:
                gk = grads[k] + (wd * p[k] if k[0] == "w" else 0)
                m[k] = 0.9 * m[k] + 0.1 * gk
                v2[k] = 0.999 * v2[k] + 0.001 * gk * gk
                mh = m[k] / (1 - 0.9 ** t)
                vh = v2[k] / (1 - 0.999 ** t)
                p[k] -= (lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
    return p


def backbone_next(x, mask_weights):
    """the mask backbone's layers 7-8 (2x2 max pool, conv2d_4: 128 3x3 +
    ReLU) on layer 6's rows, as darknet computes them; and those weights."""
    w = np.fromfile(mask_weights, np.uint8)[20:].view(np.float32)
    off = 0
    for cin, cout in ((3, 32), (32, 64), (64, 64), (64, 64), (64, 128)):
        b = w[off:off + cout]
        off += cout
        k = w[off:off + cout * cin * 9].reshape(cout, cin, 3, 3)
        off += cout * cin * 9
    x = x.reshape(-1, 64, 8, 8)
    pp = np.pad(x.reshape(-1, 64, 4, 2, 4, 2).max((3, 5)), ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((len(x), 128, 4, 4), np.float32)
    for dy in range(3):
        for dx in range(3):
            out += np.einsum("nchw,oc->nohw", pp[:, :, dy:dy + 4, dx:dx + 4], k[:, :, dy, dx])
    out = np.maximum(out + b[None, :, None, None], 0)
    return out.reshape(len(x), -1).astype(np.float32), b, k


def weights_of(items, y, neg_weight):
    """class balance: positives and negatives weigh the same in all; within
    the negatives a found (detector's) false face weighs neg_weight patches."""
    raw = np.array([neg_weight if (it["kind"] == "found" and not it["label"]) else 1.0 for it in items],
                   np.float32)
    pos, neg = y == 1, y == 0
    w = np.empty(len(y), np.float32)
    w[pos] = raw[pos] * (len(y) / 2) / raw[pos].sum()
    w[neg] = raw[neg] * (len(y) / 2) / raw[neg].sum()
    return w


def fit(x, y, w, hidden, epochs, seed, seeds):
    """seeds heads from seed on, merged into one: hidden units side by side,
    the output the mean of their logits."""
    mean, std = x.mean(0), x.std(0) + 1e-3
    ps = [train((x - mean) / std, y, w, hidden, epochs, s) for s in range(seed, seed + seeds)]
    p = {"w1": np.concatenate([q["w1"] for q in ps]), "b1": np.concatenate([q["b1"] for q in ps]),
         "w2": np.concatenate([q["w2"] for q in ps], 1) / seeds,
         "b2": np.array([np.mean([q["b2"][0] for q in ps])], np.float32)}
    return p, mean, std


def score(model, x):
    p, mean, std = model
    return forward(p, (x - mean) / std)


def size_name(s):
    for lo, hi, name in SIZES:
        if lo <= s < hi:
            return name
    return "?"


def removed_at(base, thr, det=1.01):
    """(false removed, real lost, real 40+ lost, lost by size)"""
    fr = sum(1 for b in base if not b["real"] and b["oof"] < thr and b["score"] < det)
    lost = [b for b in base if b["real"] and b["oof"] < thr and b["score"] < det]
    by = {}
    for b in lost:
        by[size_name(b["size"])] = by.get(size_name(b["size"]), 0) + 1
    return fr, len(lost), sum(1 for b in lost if b["size"] >= 40), by


def write(model, out, thr, det, conv, log=sys.stderr):
    p, mean, std = model
    w1 = p["w1"] / std[None, :]
    b1 = p["b1"] - w1 @ mean
    cb, ck = conv
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "verify.cfg"), "w") as f:
        f.write("# verify.cfg - gatewatch face verifier: is a found face a face? Input: the mask\n"
                "# classifier's backbone output on the face's crop (maskcls_features, 8x8x64); then\n"
                "# that backbone's next pool and convolution (AIZOO conv2d_4, MIT, fixed) and a\n"
                "# head trained by models/scripts/verify-head.py; output: probability of a face.\n"
                "[net]\nbatch=1\nwidth=8\nheight=8\nchannels=64\n\n"
                "[maxpool]\nsize=2\nstride=2\n\n"
                "[convolutional]\nfilters=128\nsize=3\nstride=1\npad=1\nactivation=relu\n\n"
                "[connected]\noutput=%d\nactivation=leaky\n\n"
                "[connected]\noutput=1\nactivation=logistic\n" % p["w1"].shape[0])
    with open(os.path.join(out, "verify.weights"), "wb") as f:
        f.write(struct.pack("<iiiQ", 0, 2, 0, 0))
        for arr in (cb, ck, b1, w1, p["b2"], p["w2"]):
            f.write(np.ascontiguousarray(arr, np.float32).tobytes())
    with open(os.path.join(out, "verify.threshold"), "w") as f:
        f.write("# a found face is dropped when the face detector scored it under `detector`\n"
                "# and the verifier under `verify` (chosen on cross-fitted folds of the train\n"
                "# split by models/scripts/verify-head.py)\nverify %.4f\ndetector %.4f\n" % (thr, det))
    print("verify-head: wrote %s/verify.{cfg,weights,threshold}" % out, file=log)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out")
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--neg-weight", type=float, default=4.0)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--mask-weights", default="models/trained/mask.weights")
    ap.add_argument("--base-false", required=True)
    ap.add_argument("--oof", help="write the out-of-fold scores of the base faces here (JSON lines)")
    a = ap.parse_args()

    items = [json.loads(line) for line in open(os.path.join(a.work, "items.jsonl"))]
    x, cb, ck = backbone_next(np.fromfile(os.path.join(a.work, "feats.f32"), np.float32), a.mask_weights)
    y = np.array([it["label"] for it in items], np.float32)
    fold = np.array([it["fold"] for it in items])
    w = weights_of(items, y, a.neg_weight)
    print("verify-head: %d rows of %d features: %d faces, %d found false, %d background" % (
        len(y), x.shape[1], int(y.sum()), sum(1 for it in items if it["kind"] == "found" and not it["label"]),
        sum(1 for it in items if it["kind"] == "bg")), file=sys.stderr)

    oof = np.zeros(len(y), np.float32)
    for k in (1, 2, 3, 4):
        tr, te = fold != k, fold == k
        model = fit(x[tr], y[tr], w[tr], a.hidden, a.epochs, a.seed, a.seeds)
        oof[te] = score(model, x[te])
    index = {}
    for i, it in enumerate(items):
        if it["kind"] == "found":
            index[(it["file"], tuple(round(v, 1) for v in it["det"]))] = i
    base, missing = [], 0
    for line in open(a.base_false):
        r = json.loads(line)
        file = r["file"][r["file"].index("images/"):]
        i = index.get((file, tuple(round(v, 1) for v in r["box"])))
        if i is None:
            missing += 1
            continue
        base.append({"real": (not r["false"]) or r["cause"] == "in_additions", "size": r["size"],
                     "cause": r["cause"], "oof": float(oof[i]), "fold": items[i]["fold"], "file": file,
                     "box": r["box"], "score": r["score"], "where": r["where"], "mask": r["mask"]})
    if missing:
        sys.exit("verify-head: %d faces of %s have no row (run verify-data.py with it)" % (missing, a.base_false))
    nfalse = sum(1 for b in base if not b["real"])
    print("verify-head: %d faces found at the defaults, %d false (additions count as real)" % (len(base), nfalse),
          file=sys.stderr)
    # every kind: out-of-fold separation
    for kind in ("annot", "bg", "found"):
        sel = [i for i, it in enumerate(items) if it["kind"] == kind]
        for lab in (1, 0):
            s = oof[[i for i in sel if items[i]["label"] == lab]]
            if len(s):
                print("verify-head: oof %-5s label %d n %5d  p10 %.3f p50 %.3f p90 %.3f" % (
                    kind, lab, len(s), np.percentile(s, 10), np.percentile(s, 50), np.percentile(s, 90)),
                    file=sys.stderr)
    best = (0, 0.0, 0.0)
    for det in (0.75, 0.8, 0.85, 0.9, 0.95, 1.01):
        for thr in (0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3):
            fr, lost, lost40, _ = removed_at(base, thr, det)
            if lost40 == 0 and fr - 2 * lost > best[0]:
                best = (fr - 2 * lost, thr, det)
    thr, det = best[1], best[2]
    for dt in sorted(set([det, 0.85, 0.9, 1.01])):
        for t in sorted(set([thr, 0.02, 0.05, 0.1, 0.2, 0.3])):
            fr, lost, lost40, by = removed_at(base, t, dt)
            print("verify-head: detector < %.2f, verifier < %.4f: false removed %d/%d, real lost %d (40+ %d) %s%s" % (
                dt, t, fr, nfalse, lost, lost40, json.dumps(by), "  <- chosen" if (t, dt) == (thr, det) else ""),
                file=sys.stderr)
    for k in (1, 2, 3, 4):
        fb = [b for b in base if b["fold"] == k]
        fr, lost, lost40, by = removed_at(fb, thr, det)
        print("verify-head: fold %d: false removed %d/%d, real lost %d (40+ %d)" % (
            k, fr, sum(1 for b in fb if not b["real"]), lost, lost40), file=sys.stderr)
    if a.oof:
        with open(a.oof, "w") as f:
            for b in base:
                f.write(json.dumps(b) + "\n")
    if a.out:
        model = fit(x, y, w, a.hidden, a.epochs, a.seed, a.seeds)
        write(model, a.out, thr, det, (cb, ck))
    print("verify %.4f detector %.4f" % (thr, det))


if __name__ == "__main__":
    main()

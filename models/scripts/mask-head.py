#!/usr/bin/python3
"""mask-head.py - train the mask classifier's head on backbone features and
write the whole classifier as darknet files.

  mask-head.py --backbone DIR --train-feats F --train-list L
               --out DIR [--hidden 128] [--epochs 6] [--seed 1] [--taps 6]

The backbone (DIR/maskbb.cfg + .weights, convert-aizoo-backbone.py) stays
fixed; `maskfeat` has run it on every crop and written the outputs of the
tapped layers (float32 rows). This script fits, with numpy, seeded:

    x (taps, concatenated as darknet's [route] does) -> standardise
      -> connected HIDDEN, leaky 0.1 (dropout 0.3 while training)
      -> connected 3 -> softmax

minimising class-balanced cross-entropy with Adam (batch 128, lr 1e-3
halved every EPOCHS/4 epochs, L2 1e-4). The standardisation is folded into
the first connected layer, so the darknet network is: backbone, [route]
of the taps, two [connected] layers, [softmax].

Training crop labels come from their names (NNNNNN.<label>.ppm). Writes
DIR/mask.cfg, mask.weights, mask.labels; prints the training loss per epoch.
It reads no validation faces and reports none while training: the epochs
and the rest are chosen on train (folds of train, mask-crossfit.py), and
validation is looked at once, for a head already chosen (train-mask.sh's
step 7, docs/MODELS.md).
"""
import argparse
import os
import re
import struct
import sys

import numpy as np

LABELS = ("mask_on", "mask_off", "mask_chin")


def labels_from_names(path):
    out = []
    with open(path) as f:
        for line in f:
            m = re.search(r"\.(mask_on|mask_off|mask_chin)\.ppm", line)
            out.append(LABELS.index(m.group(1)))
    return np.array(out, np.int64)


def leaky(x):
    return np.where(x > 0, x, 0.1 * x)


def read_cfg_layers(cfg):
    """Number of layers in a darknet cfg (sections after [net])."""
    return sum(1 for line in open(cfg) if line.strip().startswith("[")) - 1


def standardise(x):
    """the mean and spread of every feature (folded into the first layer)."""
    return x.mean(0), x.std(0) + 1e-3


def train(xs, y, hidden, epochs, seed, chin_weight=1.0, log=sys.stderr):
    """fit the head on standardised rows xs (labels y), seeded; returns its
    parameters."""
    rng = np.random.RandomState(seed)
    d, h = xs.shape[1], hidden
    p = {"w1": (rng.randn(h, d) * np.sqrt(2.0 / d)).astype(np.float32),
         "b1": np.zeros(h, np.float32),
         "w2": (rng.randn(3, h) * np.sqrt(1.0 / h)).astype(np.float32),
         "b2": np.zeros(3, np.float32)}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    counts = np.bincount(y, minlength=3).astype(np.float32)
    cw = (counts.sum() / (3 * counts)).astype(np.float32)
    cw[2] *= chin_weight
    print("mask-head: %d training rows of %d features, classes %s, weights %s"
          % (len(y), d, counts.astype(int).tolist(), np.round(cw, 3).tolist()), file=log)
    lr0, wd, bs, t = 1e-3, 1e-4, 128, 0
    for ep in range(epochs):
        lr = lr0 * 0.5 ** (ep // max(1, epochs // 4))
        order = rng.permutation(len(y))
        loss_sum = 0.0
        for i in range(0, len(y), bs):
            idx = order[i:i + bs]
            xb, yb = xs[idx], y[idx]
            n = len(idx)
            a1 = xb @ p["w1"].T + p["b1"]
            hb = leaky(a1)
            mask = (rng.rand(*hb.shape) >= 0.3).astype(np.float32) / 0.7
            hd = hb * mask
            z = hd @ p["w2"].T + p["b2"]
            z -= z.max(1, keepdims=True)
            pr = np.exp(z)
            pr /= pr.sum(1, keepdims=True)
            wgt = cw[yb]
            loss_sum += float(-(wgt * np.log(pr[np.arange(n), yb] + 1e-9)).sum())
            g = pr.copy()
            g[np.arange(n), yb] -= 1
            g *= (wgt / n)[:, None]
            grads = {"w2": g.T @ hd, "b2": g.sum(0)}
            gh = (g @ p["w2"]) * mask * np.where(a1 > 0, 1.0, 0.1).astype(np.float32)
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
        print("mask-head: epoch %d lr %.2g loss %.4f" % (ep + 1, lr, loss_sum / len(y)), file=log)
    return p


def write(p, mean, std, backbone, taps, out, log=sys.stderr):
    """the whole classifier as darknet files: out/mask.cfg, .weights, .labels."""
    h = p["w1"].shape[0]
    # fold the standardisation into the first layer
    w1 = p["w1"] / std[None, :]
    b1 = p["b1"] - w1 @ mean
    bbcfg = open(os.path.join(backbone, "maskbb.cfg")).read()
    nbb = read_cfg_layers(os.path.join(backbone, "maskbb.cfg"))
    cfg = re.sub(r"(?m)^#.*\n", "", bbcfg).strip() + "\n\n"
    cfg = ("# mask.cfg - gatewatch mask classifier (mask_on, mask_off, mask_chin): the first\n"
           "# convolutions of the AIZOO face-mask detector (MIT, LICENSE.aizoo-facemask),\n"
           "# fixed, and a head trained here by models/scripts/mask-head.py. Input:\n"
           "# nn_face_square crop (face box + 20% margin, square), RGB / 255.\n" + cfg)
    cfg += "[route]\nlayers=%s\n\n" % ",".join(str(t) for t in taps)
    cfg += "[connected]\noutput=%d\nactivation=leaky\n\n" % h
    cfg += "[connected]\noutput=3\nactivation=linear\n\n[softmax]\ngroups=1\n"
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "mask.cfg"), "w") as f:
        f.write(cfg)
    with open(os.path.join(backbone, "maskbb.weights"), "rb") as f:
        bbw = f.read()[20:]  # after the header: major, minor, revision, seen
    with open(os.path.join(out, "mask.weights"), "wb") as f:
        f.write(struct.pack("<iiiQ", 0, 2, 0, 0))
        f.write(bbw)
        for arr in (b1, w1, p["b2"], p["w2"]):
            f.write(np.ascontiguousarray(arr, np.float32).tobytes())
    with open(os.path.join(out, "mask.labels"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    print("mask-head: wrote %s/mask.{cfg,weights,labels} (backbone %d layers, taps %s, hidden %d)"
          % (out, nbb, ",".join(str(t) for t in taps), h), file=log)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backbone", required=True)
    ap.add_argument("--train-feats", required=True)
    ap.add_argument("--train-list", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--taps", default="6")
    ap.add_argument("--chin-weight", type=float, default=1.0,
                    help="mask_chin's loss weight on top of the class balance (experiments)")
    ap.add_argument("--layout", help="LAYER:FLOATS,... of the feature rows when they hold more "
                    "layers than --taps (experiments); default: exactly the taps")
    a = ap.parse_args()
    taps = [int(s) for s in a.taps.split(",")]

    y = labels_from_names(a.train_list)
    x = np.fromfile(a.train_feats, np.float32)
    if x.size % len(y):
        sys.exit("mask-head: %s does not hold %d rows" % (a.train_feats, len(y)))
    x = x.reshape(len(y), -1)
    cols = None
    if a.layout:
        cols, off = [], 0
        for item in a.layout.split(","):
            layer, n = (int(v) for v in item.split(":"))
            if layer in taps:
                cols.append((taps.index(layer), off, off + n))
            off += n
        cols = np.concatenate([np.arange(lo, hi) for _, lo, hi in sorted(cols)])
        x = np.ascontiguousarray(x[:, cols])
    mean, std = standardise(x)
    xs = (x - mean) / std
    p = train(xs, y, a.hidden, a.epochs, a.seed, a.chin_weight)
    write(p, mean, std, a.backbone, taps, a.out)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""face-reference - the face detector's reference outputs, computed from
the source weights (model360.pth) with numpy alone, as the model's own
forward() (stored in the .pth) states it: F.pad + Conv2d, BatchNorm2d
applied as such (not folded, so the converter's folding is checked too),
ReLU, max pools with the -inf padding it uses, sigmoid on the class
outputs; then the source's decoding (anchors, variances 0.1/0.2, face
score = max of the two classes, score > 0.5, NMS at IoU 0.4).

Writes test/models/fixtures/face-<name>.txt, which `facecheck ref`
compares darknet's outputs and facedet's boxes against (1e-4 relative,
identical boxes). Pixels: `/usr/bin/convert IMG -resize 360x360! -depth 8
ppm:-` on both sides, so no decoder or resize difference enters.

Usage: /usr/bin/python3 models/scripts/face-reference.py [--out DIR]
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aizoo_pth  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PTH = os.path.join(ROOT, "models", "vendor", "aizoo-facemask", "model360.pth")
INPUT = 360
IMAGES = [  # (fixture name, path as the test opens it)
    ("2008_001009", "/usr/share/doc/libdlib19.1/examples/faces/2008_001009.jpg"),
    ("bald_guys", "/usr/share/doc/libdlib19.1/examples/faces/bald_guys.jpg"),
    ("scene240", "test/models/data/mask-scenes-val/images/maksssksksss240.jpg"),
]
SIZES = [[0.04, 0.056], [0.08, 0.11], [0.16, 0.22], [0.32, 0.45], [0.64, 0.72]]
RATIOS = [1.0, 0.62, 0.42]
STEP = 13          # every STEP-th raw output value goes into the fixture


def read_ppm(path, size):
    raw = subprocess.run(["/usr/bin/convert", os.path.join(ROOT, path), "-resize", "%dx%d!" % (size, size),
                          "-depth", "8", "ppm:-"], check=True, stdout=subprocess.PIPE).stdout
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", raw)   # one whitespace byte, then the pixels
    assert m and int(m.group(1)) == size and int(m.group(2)) == size, path
    return np.frombuffer(raw[m.end():m.end() + size * size * 3], dtype=np.uint8).reshape(size, size, 3)


def conv(x, layers, name, pad=1):
    w = layers[name]["weight"].astype(np.float32)
    b = layers[name].get("bias")
    if pad:
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    c, h, wd = x.shape
    oh, ow = h - 2, wd - 2
    cols = np.empty((c, 3, 3, oh, ow), dtype=np.float32)
    for i in range(3):
        for j in range(3):
            cols[:, i, j] = x[:, i:i + oh, j:j + ow]
    y = (w.reshape(w.shape[0], -1) @ cols.reshape(c * 9, -1)).reshape(w.shape[0], oh, ow)
    if b is not None:
        y = y + b.astype(np.float32)[:, None, None]
    bn = layers.get(name + "_bn")
    if bn is not None:
        y = (y - bn["running_mean"][:, None, None]) / np.sqrt(bn["running_var"][:, None, None] + np.float32(bn["eps"]))
        y = y * bn["weight"][:, None, None] + bn["bias"][:, None, None]
    return y.astype(np.float32)


def relu(x):
    return np.maximum(x, 0)


def pool(x, pad):
    if pad:
        x = np.pad(x, ((0, 0), (0, 1), (0, 1)), constant_values=-np.inf)
    c, h, w = x.shape
    x = x[:, :h // 2 * 2, :w // 2 * 2]
    return x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


def forward(layers, img):
    """img HWC uint8 -> [cls0..cls4, loc0..loc4] CHW float32 (cls after sigmoid)."""
    x = img.astype(np.float32).transpose(2, 0, 1) / np.float32(255)
    feats = []
    for i in range(8):
        x = relu(conv(x, layers, "conv2d_%d" % i, pad=0 if i == 7 else 1))
        if i >= 3:
            feats.append(x)
        if i < 6:
            x = pool(x, pad=i in (3, 4))   # as the model's forward(): F.pad(0,1,0,1,-inf) before pools 3, 4
    cls, loc = [], []
    for lv, f in enumerate(feats):
        c = relu(conv(f, layers, "cls_%d_insert_conv2d" % lv))
        cls.append((1 / (1 + np.exp(-conv(c, layers, "cls_%d_conv" % lv)))).astype(np.float32))
        b = relu(conv(f, layers, "loc_%d_insert_conv2d" % lv))
        loc.append(conv(b, layers, "loc_%d_conv" % lv))
    return cls + loc


def anchors(maps):
    out = []
    for (fh, fw), sizes in zip(maps, SIZES):
        for row in range(fh):
            for col in range(fw):
                for s, r in ((sizes[0], 1.0), (sizes[1], 1.0), (sizes[0], RATIOS[1]), (sizes[0], RATIOS[2])):
                    out.append(((col + 0.5) / fw, (row + 0.5) / fh, s * np.sqrt(r), s / np.sqrt(r)))
    return np.array(out)


def decode(outs, size, threshold=0.5, iou=0.4):
    cls, loc = outs[:5], outs[5:]
    an = anchors([c.shape[1:] for c in cls])
    # CHW -> per cell, per anchor: (H*W, 4, k)
    sc = np.concatenate([c.reshape(4, 2, -1).transpose(2, 0, 1).reshape(-1, 2) for c in cls])
    of = np.concatenate([b.reshape(4, 4, -1).transpose(2, 0, 1).reshape(-1, 4) for b in loc]).astype(np.float64)
    score = sc.max(axis=1)
    cx = of[:, 0] * 0.1 * an[:, 2] + an[:, 0]
    cy = of[:, 1] * 0.1 * an[:, 3] + an[:, 1]
    w = np.exp(of[:, 2] * 0.2) * an[:, 2]
    h = np.exp(of[:, 3] * 0.2) * an[:, 3]
    x0, y0 = np.maximum((cx - w / 2) * size, 0), np.maximum((cy - h / 2) * size, 0)
    x1, y1 = np.minimum((cx + w / 2) * size, size), np.minimum((cy + h / 2) * size, size)
    keep = np.where((score > threshold) & (x1 > x0) & (y1 > y0))[0]
    keep = keep[np.argsort(-score[keep], kind="stable")]
    boxes = []
    for k in keep:
        b = (x0[k], y0[k], x1[k] - x0[k], y1[k] - y0[k], score[k])
        ok = True
        for o in boxes:
            ix = max(0, min(b[0] + b[2], o[0] + o[2]) - max(b[0], o[0]))
            iy = max(0, min(b[1] + b[3], o[1] + o[3]) - max(b[1], o[1]))
            inter = ix * iy
            if inter / (b[2] * b[3] + o[2] * o[3] - inter) > iou:
                ok = False
                break
        if ok:
            boxes.append(b)
    return boxes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "test", "models", "fixtures"))
    ap.add_argument("--pth", default=PTH)
    a = ap.parse_args()
    layers = aizoo_pth.read(a.pth)
    for name, path in IMAGES:
        img = read_ppm(path, INPUT)
        outs = forward(layers, img)
        flat = np.concatenate([o.ravel() for o in outs])
        boxes = decode(outs, INPUT)
        fn = os.path.join(a.out, "face-%s.txt" % name)
        with open(fn, "w") as f:
            f.write("# face detector reference: numpy forward of %s (BatchNorm unfolded), written by\n"
                    "# models/scripts/face-reference.py. Raw outputs: the 10 head convs in layer order\n"
                    "# cls0..cls4 (after sigmoid), loc0..loc4, each CHW, concatenated.\n"
                    % os.path.relpath(a.pth, ROOT))
            f.write("image %s\ninput %d\n" % (path, INPUT))
            f.write("heads %s\n" % " ".join("%dx%dx%d" % o.shape for o in outs))
            f.write("count %d maxabs %.9g\n" % (flat.size, np.abs(flat).max()))
            for i in range(0, flat.size, STEP):
                f.write("v %d %.9g\n" % (i, flat[i]))
            for b in boxes:
                f.write("box %.4f %.4f %.4f %.4f %.7f\n" % b)
        print("face-reference: %s: %d values, %d boxes -> %s" % (path, flat.size, len(boxes), fn))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""convert-face - AIZOOTech's face mask detector (model360.pth, MIT) to
darknet: writes OUT/face.cfg and OUT/face.weights (default models/out/face-source;
`make models` ships them as models/out/face.* unless models/trained holds
fine-tuned face weights).

Usage: /usr/bin/python3 models/scripts/convert-face.py [--pth FILE] [--out DIR]

The network (models/vendor/aizoo-facemask/README.md): eight 3x3
convolutions + ReLU with 2x2 max pools after the first six, and SSD heads
on the outputs of convolutions 3..7, each a class branch (3x3 conv 64 +
ReLU, 3x3 conv to 4 anchors x 2 classes, sigmoid) and a box branch (3x3
conv 64 + ReLU, 3x3 conv to 4 anchors x 4 offsets). Every layer is a
darknet 2018 layer:
  - Conv2d (no bias) + BatchNorm2d (eps 1e-3) + ReLU, padded 1 by F.pad:
    [convolutional] pad=1 activation=relu, batch-norm folded into weight
    and bias (darknet's own batch_normalize uses eps 1e-5 at inference:
    folding avoids that difference);
  - conv2d_7 is unpadded: pad=0;
  - max_pool2d 2x2/2, after F.pad(0,1,0,1,-inf) on odd maps: [maxpool]
    size=2 stride=2, whose default padding (size-1, all at the bottom and
    right, ignored pixels) is exactly that, and a no-op on even maps;
  - the head convs: [route] back to their source, [convolutional],
    activation=logistic for the class outputs (the model's sigmoid) and
    linear for the box offsets.
Channel order of a head's output per cell: anchor * 2 + class (Mask,
NoMask), anchor * 4 + offset: decoded in common/facedet.c.
"""
import argparse
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aizoo_pth  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PTH = os.path.join(ROOT, "models", "vendor", "aizoo-facemask", "model360.pth")
INPUT = 360
# (name, filters, pad) of the backbone; a maxpool follows the first six
BACKBONE = [("conv2d_0", 32, 1), ("conv2d_1", 64, 1), ("conv2d_2", 64, 1), ("conv2d_3", 64, 1),
            ("conv2d_4", 128, 1), ("conv2d_5", 128, 1), ("conv2d_6", 64, 1), ("conv2d_7", 64, 0)]
HEAD_SOURCES = ["conv2d_3", "conv2d_4", "conv2d_5", "conv2d_6", "conv2d_7"]


def build():
    """Return (cfg text, [(layer name, activation)] in darknet weight order)."""
    cfg = ["# face.cfg - AIZOOTech FaceMaskDetection model360 (MIT), written by",
           "# models/scripts/convert-face.py; batch-norm folded. Heads: see common/facedet.c.",
           "[net]", "batch=1", "subdivisions=1", "width=%d" % INPUT, "height=%d" % INPUT, "channels=3", ""]
    convs, index, where = [], 0, {}

    def conv(name, filters, pad, act):
        nonlocal index
        cfg.extend(["# %d: %s" % (index, name), "[convolutional]", "filters=%d" % filters, "size=3", "stride=1",
                    "pad=%d" % pad, "activation=%s" % act, ""])
        convs.append(name)
        where[name] = index
        index += 1

    for i, (name, filters, pad) in enumerate(BACKBONE):
        conv(name, filters, pad, "relu")
        if i < 6:
            cfg.extend(["[maxpool]", "size=2", "stride=2", ""])
            index += 1
    for level, src in enumerate(HEAD_SOURCES):
        for branch, outputs, act in (("cls", 8, "logistic"), ("loc", 16, "linear")):
            cfg.extend(["[route]", "layers=%d" % where[src], ""])
            index += 1
            conv("%s_%d_insert_conv2d" % (branch, level), 64, 1, "relu")
            conv("%s_%d_conv" % (branch, level), outputs, 1, act)
    return "\n".join(cfg), convs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pth", default=PTH)
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "out", "face-source"))
    a = ap.parse_args()
    layers = aizoo_pth.read(a.pth)
    cfg, convs = build()
    missing = [n for n in convs if n not in layers]
    if missing:
        sys.exit("convert-face: %s lacks layers %s" % (a.pth, ", ".join(missing)))
    os.makedirs(a.out, exist_ok=True)
    tmp_w, tmp_c = os.path.join(a.out, "face.weights.tmp"), os.path.join(a.out, "face.cfg.tmp")
    params = 0
    with open(tmp_w, "wb") as f:
        f.write(struct.pack("<iiiQ", 0, 2, 0, 0))  # major, minor, revision, images seen
        for name in convs:
            w, b = aizoo_pth.folded(layers, name)
            if w.shape[2:] != (3, 3):
                sys.exit("convert-face: %s is %s, want 3x3" % (name, w.shape))
            f.write(b.astype("<f4").tobytes())
            f.write(w.astype("<f4").tobytes())   # OIHW = darknet's order
            params += w.size + b.size
    with open(tmp_c, "w") as f:
        f.write(cfg + "\n")
    os.replace(tmp_c, os.path.join(a.out, "face.cfg"))
    os.replace(tmp_w, os.path.join(a.out, "face.weights"))
    print("convert-face: %s -> %s/face.cfg + face.weights (%d convolutions, %d parameters)"
          % (os.path.relpath(a.pth, ROOT), a.out, len(convs), params))


if __name__ == "__main__":
    main()

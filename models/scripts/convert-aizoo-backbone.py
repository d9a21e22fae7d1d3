#!/usr/bin/python3
"""convert-aizoo-backbone.py - the first convolutions of the AIZOO face-mask
detector as a darknet network: the mask classifier's feature extractor.

  convert-aizoo-backbone.py --model DIR --out DIR [--size 64] [--convs 5]

DIR holds face_mask_detection.prototxt + .caffemodel (AIZOOTech/
FaceMaskDetection, MIT; batch-norm already folded). Writes DIR/maskbb.cfg
and maskbb.weights: conv2d_0 .. conv2d_{convs-1}, each 3x3 stride 1 pad 1
+ ReLU, a 2x2 stride-2 max pool after each but the last (the detector's
own layout; its first detection head reads conv2d_3). Caffe's filters
[out][in][kh][kw] are darknet's order. Input RGB / 255, as the detector
and darknet's classifier both take it.
"""
import argparse
import os
import struct
import sys

import cv2
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--convs", type=int, default=5)
    a = ap.parse_args()
    net = cv2.dnn.readNetFromCaffe(os.path.join(a.model, "face_mask_detection.prototxt"),
                                   os.path.join(a.model, "face_mask_detection.caffemodel"))
    cfg = ["# maskbb.cfg - AIZOO face-mask detector conv2d_0..conv2d_%d (MIT, see"
           % (a.convs - 1),
           "# models/trained/LICENSE.aizoo-facemask), written by convert-aizoo-backbone.py",
           "[net]", "batch=1", "width=%d" % a.size, "height=%d" % a.size, "channels=3", ""]
    blobs = []
    cin = 3
    for i in range(a.convs):
        name = "conv2d_%d" % i
        lid = net.getLayerId(name)
        w = net.getParam(lid, 0)
        b = net.getParam(lid, 1)
        if w.ndim != 4 or w.shape[1] != cin or w.shape[2:] != (3, 3) or b.size != w.shape[0]:
            sys.exit("convert-aizoo-backbone: %s has shape %s, want [n][%d][3][3]" % (name, w.shape, cin))
        cfg += ["[convolutional]", "filters=%d" % w.shape[0], "size=3", "stride=1", "pad=1",
                "activation=relu", ""]
        if i + 1 < a.convs:
            cfg += ["[maxpool]", "size=2", "stride=2", ""]
        blobs += [b.reshape(-1).astype(np.float32), w.reshape(-1).astype(np.float32)]
        cin = w.shape[0]
    with open(os.path.join(a.out, "maskbb.cfg"), "w") as f:
        f.write("\n".join(cfg))
    with open(os.path.join(a.out, "maskbb.weights"), "wb") as f:
        f.write(struct.pack("<iiiQ", 0, 2, 0, 0))
        for blob in blobs:
            f.write(blob.tobytes())
    print("convert-aizoo-backbone: %d convolutions, %d floats -> %s/maskbb.{cfg,weights}"
          % (a.convs, sum(x.size for x in blobs), a.out), file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""kernels-opencv.py - OpenCV DNN's forward time for the same darknet
cfg/weights gatewatch runs, one thread, for test/bench/models-kernels.sh.
Usage: kernels-opencv.py MODELS IMAGE RUNS NAME:SIZE...
Prints "NAME SIZE MS" per network: the median of RUNS forward passes
(thread CPU time, after one warm-up), all unconnected outputs computed.
A network OpenCV cannot run is left out (a line on stderr)."""
import statistics
import sys
import time

import cv2

cv2.setNumThreads(1)


def main():
    models, image, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    img = cv2.imread(image)
    if img is None:
        sys.exit(f"{image}: cannot read")
    nets = {}
    for spec in sys.argv[4:]:
        name, size = spec.split(":")
        size = int(size)
        if name not in nets:
            nets[name] = cv2.dnn.readNetFromDarknet(f"{models}/{name}.cfg", f"{models}/{name}.weights")
        net = nets[name]
        outs = net.getUnconnectedOutLayersNames()
        blob = cv2.dnn.blobFromImage(img, 1 / 255.0, (size, size), swapRB=True, crop=False)
        net.setInput(blob)
        try:
            net.forward(outs)
        except cv2.error as e:   # a layer it cannot run: no figure, the others still
            msg = str(e).strip().splitlines()[-1][:160]
            print(f"{name} {size}: OpenCV DNN cannot run it: {msg}", file=sys.stderr)
            continue
        ts = []
        for _ in range(runs):
            t0 = time.thread_time()
            net.setInput(blob)
            net.forward(outs)
            ts.append((time.thread_time() - t0) * 1e3)
        print(f"{name} {size} {statistics.median(ts):.3f}", flush=True)


if __name__ == "__main__":
    main()

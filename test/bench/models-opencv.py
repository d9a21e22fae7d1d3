#!/usr/bin/python3
"""models-opencv.py - time the same converted darknet cfg/weights through
OpenCV DNN (cv2.dnn.readNetFromDarknet), one thread, for comparison with
libdarknet. Usage: models-opencv.py MODELS IMAGE RUNS. Prints "face INPUT MS"
and "mask - MS" (median of RUNS forward passes after one warm-up; network
forward only, preprocessing by blobFromImage)."""
import statistics
import sys
import time

import cv2

cv2.setNumThreads(1)


def bench(net, blob, runs):
    net.setInput(blob)
    net.forward()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        net.setInput(blob)
        net.forward()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def main():
    models, image, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    img = cv2.imread(image)
    if img is None:
        sys.exit(f"{image}: cannot read")
    net = cv2.dnn.readNetFromDarknet(f"{models}/face.cfg", f"{models}/face.weights")
    for size in (224, 320, 416, 608):
        blob = cv2.dnn.blobFromImage(img, 1 / 255.0, (size, size), swapRB=True, crop=False)
        print(f"face {size} {bench(net, blob, runs):.1f}")
    net = cv2.dnn.readNetFromDarknet(f"{models}/mask.cfg", f"{models}/mask.weights")
    blob = cv2.dnn.blobFromImage(img, 1 / 255.0, (64, 64), swapRB=True, crop=False)
    print(f"mask - {bench(net, blob, runs):.2f}")


if __name__ == "__main__":
    main()

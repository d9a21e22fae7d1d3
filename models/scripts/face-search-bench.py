#!/usr/bin/python3
"""face-search-bench.py - time the worker's face search per person box, and
what it finds, through `gatewatch eval` (the system's own path).

  face-search-bench.py [--gatewatch bin/gatewatch] [--split train|val]
                       [--every N] [--repeat N] [--scenes DIR]
                       NAME[:KEY=VALUE,...] ...

Each NAME is one setting of the face search (KEY=VALUE pairs are passed as
`--set` to gatewatch eval, e.g. base  small:worker.body_input=224). The
settings are run one after another, the whole list --repeat times
(interleaved, so load on a shared machine falls on all of them alike); the
first setting is the reference. Per setting: person boxes searched, the
worker's analysis time per person box (face search, merge, mask classifier
on the faces found: `gatewatch eval`'s "faces and masks" time divided by
the person boxes; wall time, and the process's CPU time, which load on a
shared machine inflates much less), the face detector runs per person box
(whole-frame and person-box runs: what load does not change at all), the
ratio of CPU times to the reference, and what it found (recall of faces of
40+ px, precision).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile


def run(a, sets, work, tag):
    js, det = os.path.join(work, tag + ".json"), os.path.join(work, tag + ".details")
    cmd = ["nice", "-n", "10", a.gatewatch, "eval", "-q", "--split", a.split, "--every", str(a.every),
           "--json", js, "--details", det]
    for kv in sets:
        cmd += ["--set", kv]
    cmd.append(a.scenes)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    j = json.load(open(js))
    boxes = j["person_boxes"]
    ms = j["ms_per_image"]["faces_and_masks"] * j["images"]
    cpu = j["ms_per_image"]["faces_and_masks_cpu"] * j["images"]
    runs = j["face_detector_runs"]["whole_frame"] + j["face_detector_runs"]["person_box"]
    return boxes, ms, cpu, runs, j["recall"]["all"]["recall_40plus"], j["precision"]["precision"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gatewatch", default="bin/gatewatch")
    ap.add_argument("--split", default="train")
    ap.add_argument("--every", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--scenes", default="../shared/datasets/mask-scenes")
    ap.add_argument("settings", nargs="+")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="face-search-bench.")
    conf = []
    for s in a.settings:
        name, _, kv = s.partition(":")
        conf.append((name, [x for x in kv.split(",") if x]))
    tot = {name: [0, 0.0, 0.0, 0, None, None] for name, _ in conf}
    for r in range(a.repeat):
        for name, sets in conf:
            boxes, ms, cpu, runs, rec, prec = run(a, sets, work, "%s.%d" % (name, r))
            t = tot[name]
            t[0] += boxes
            t[1] += ms
            t[2] += cpu
            t[3] += runs
            t[4], t[5] = rec, prec
            print("run %d %-12s %5d boxes %8.1f ms per box, %8.1f ms CPU" % (
                r + 1, name, boxes, ms / max(1, boxes), cpu / max(1, boxes)), file=sys.stderr)
    ref = tot[conf[0][0]]
    ref_cpu = ref[2] / max(1, ref[0])
    print("| setting | person boxes | detector runs per box | ms per box (wall) | ms per box (CPU) | CPU vs %s"
          " | recall 40+ | precision |" % conf[0][0])
    print("|---|---|---|---|---|---|---|---|")
    for name, sets in conf:
        b, ms, cpu, runs, rec, prec = tot[name]
        per = cpu / max(1, b)
        print("| %s %s | %d | %.2f | %.1f | %.1f | %.2f | %.1f%% | %.1f%% |" % (
            name, " ".join(sets), b // a.repeat, runs / max(1, b), ms / max(1, b), per,
            per / max(1e-9, ref_cpu), 100 * rec, 100 * prec))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

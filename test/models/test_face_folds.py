#!/usr/bin/python3
"""test_face_folds - the cross-fitted folds of `train-face.sh --folds K`
(models/scripts/face-lists.py --folds K --fold I, --hard; face-holdout.py
scoring K held-out folds pooled), on a set made here (no images read, no
network run): the K held-out folds partition the train images and never
hold a validation image (N % 5 == 0); with K = 4 fold I is N % 5 == I and
--holdout is --folds 4 --fold 1 byte for byte; a fold's images are not in
its train.list; --hard writes an image with a 40+ px face found under the
score (or not at all) --hard-repeat times, others once; face-holdout.py
pools the folds (each candidate file scored on its own fold), reports each
fold's difference, takes the first weights' scores from --first-details
split by fold, and refuses details that lack a fold's image."""
import json
import os
import re
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SCRIPTS = os.path.join(ROOT, "models", "scripts")
NIMG = 40
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
from checks import check, run_script  # noqa: E402


def name(n):
    return "images/maksssksksss%d.jpg" % n


def face(n):
    """image n's one face: 50 px (40+) on even n, 30 px on odd n"""
    s = 50 if n % 2 == 0 else 30
    return {"x": 100.0, "y": 100.0, "w": float(s), "h": float(s), "label": "mask_on"}


def make_scenes(tmp):
    scenes = os.path.join(tmp, "scenes")
    os.makedirs(os.path.join(scenes, "images"))
    with open(os.path.join(scenes, "annotations.jsonl"), "w") as f:
        for n in range(NIMG):
            f.write(json.dumps({"file": name(n), "width": 400, "height": 300, "faces": [face(n)]}) + "\n")
    return scenes


def lists(scenes, out, *args):
    return run_script(os.path.join(SCRIPTS, "face-lists.py"), ["--scenes", scenes, "--out", out] + list(args))


def numbers(path):
    with open(path) as f:
        return [int(re.findall(r"(\d+)\.jpg", line)[0]) for line in f if line.strip()]


def folds(scenes, tmp):
    train = [n for n in range(NIMG) if n % 5]
    for k in (4, 3):
        held = []
        for i in range(1, k + 1):
            out = os.path.join(tmp, "k%d-f%d" % (k, i))
            r = lists(scenes, out, "--folds", str(k), "--fold", str(i))
            if r.returncode:
                check(False, "face-lists --folds %d --fold %d" % (k, i), r.stderr.strip())
                return
            h = numbers(os.path.join(out, "holdout", "annotations.jsonl"))
            t = numbers(os.path.join(out, "train.list"))
            check(not set(h) & set(t) and sorted(h + t) == train,
                  "--folds %d --fold %d: held out and trained on are the train images, apart" % (k, i))
            if k == 4:
                check(h == [n for n in train if n % 5 == i], "--folds 4 --fold %d is N %% 5 == %d" % (i, i),
                      str(h))
            held += h
        check(sorted(held) == train, "--folds %d: the held-out folds partition the train images" % k,
              str(sorted(held)))
    old = os.path.join(tmp, "holdout")
    lists(scenes, old, "--holdout")
    for f in ("train.list", os.path.join("holdout", "annotations.jsonl")):
        with open(os.path.join(old, f)) as a, open(os.path.join(tmp, "k4-f1", f)) as b:
            check(a.read() == b.read(), "--holdout writes %s as --folds 4 --fold 1" % f)
    for args, what in ((["--folds", "4", "--fold", "5"], "a fold past K"),
                       (["--folds", "1", "--fold", "1"], "one fold"),
                       (["--holdout", "--folds", "4", "--fold", "2"], "--holdout with --folds")):
        r = lists(scenes, os.path.join(tmp, "refused"), *args)
        check(r.returncode != 0 and "face-lists:" in r.stderr, "face-lists refuses %s" % what, r.stderr.strip())


def details_line(n, score, at=None):
    """a `gatewatch eval --details` line of image n: one found face of
    score (none when score is None) where image n's face is, or at at"""
    fc = face(n)
    box = [fc["x"], fc["y"], fc["w"], fc["h"]]
    found = [] if score is None else [{"face": at or box, "score": score, "probs": [1.0, 0.0, 0.0]}]
    return json.dumps({"file": "x/" + name(n), "found": found,
                       "annotated": [{"box": box, "label": "mask_on"}]}) + "\n"


def hard(scenes, tmp):
    det = os.path.join(tmp, "start.details")
    with open(det, "w") as f:
        for n in range(NIMG):
            if n % 5 == 0:
                continue
            # 2: 40+ px, found at 0.5; 4: 40+ px, not found; 6: 40+ px, found at
            # 0.9; 3: 30 px, not found; the rest found at 0.95
            f.write(details_line(n, {2: 0.5, 4: None, 6: 0.9, 3: None}.get(n, 0.95)))
    out = os.path.join(tmp, "hard")
    r = lists(scenes, out, "--folds", "4", "--fold", "1", "--hard", det, "--hard-score", "0.6",
              "--hard-repeat", "3")
    t = numbers(os.path.join(out, "train.list"))
    want = sorted([n for n in range(NIMG) if n % 5 > 1] + [2, 2, 4, 4])
    check(r.returncode == 0 and sorted(t) == want,
          "--hard 0.6 --hard-repeat 3: the 40+ px faces found at 0.5 or not at all trained 3 times, "
          "a 30 px miss and the rest once", "%s %s" % (r.stderr.strip(), sorted(t)))


def holdout_run(args):
    return run_script(os.path.join(SCRIPTS, "face-holdout.py"), args)


def pooled(scenes, tmp):
    """start weights from --first-details; candidate A1,A2 (2 folds, from
    --details-only): fold 2's candidate finds image 4's face (the start
    does not), fold 1's adds a false face on image 2"""
    work = os.path.join(tmp, "score")
    holds = []
    for i in (1, 2):
        out = os.path.join(tmp, "p-f%d" % i)
        lists(scenes, out, "--folds", "2", "--fold", str(i))
        holds += ["--holdout", os.path.join(out, "holdout")]
    first = os.path.join(tmp, "first.details")
    with open(first, "w") as f:
        for n in range(NIMG):
            if n % 5:
                f.write(details_line(n, None if n == 4 else 0.95))
    fold_of = {}
    for i in (1, 2):
        fold_of.update({n: i for n in numbers(os.path.join(tmp, "p-f%d" % i, "holdout", "annotations.jsonl"))})
    for i in (1, 2):
        d = os.path.join(work, "w1", "h%d" % i)
        os.makedirs(d)
        with open(os.path.join(d, "holdout.details"), "w") as f:
            for n, k in sorted(fold_of.items()):
                if k != i:
                    continue
                line = details_line(n, 0.95)
                if n == 2:
                    j = json.loads(line)
                    j["found"].append({"face": [300.0, 200.0, 50.0, 50.0], "score": 0.95, "probs": [1, 0, 0]})
                    line = json.dumps(j) + "\n"
                f.write(line)
    args = ["--weights", "start", "--weights", "A1,A2", "--work", work, "--details-only",
            "--first-details", first, "--compare", "200"] + holds
    r = holdout_run(args)
    m = re.search(r"each fold at the pooled best thresholds \((\d+) images each\): (\S+), (\S+)", r.stdout)
    check(r.returncode == 0 and "(held-out train images: %d, 2 folds)" % len(fold_of) in r.stdout,
          "face-holdout pools the 2 folds' %d images" % len(fold_of), r.stderr.strip()[-300:])
    f1, f2 = (float(m.group(2)), float(m.group(3))) if m else (0, 0)
    moved = (f1, f2)[fold_of[2] - 1], (f1, f2)[2 - fold_of[2]]
    check(m is not None and fold_of[2] == fold_of[4] and moved[0] != 0 and moved[1] == 0,
          "each fold's difference: the fold of images 2 and 4 (a face more, a false face more) moves, "
          "the other (the same) does not", r.stdout[-400:])
    with open(first, "w") as f:
        f.write(details_line(1, 0.95))
    r = holdout_run(args)
    check(r.returncode != 0 and "holds 1 of the" in r.stderr, "face-holdout refuses --first-details "
          "that lack a fold's images", r.stderr.strip()[-200:])
    r = holdout_run(["--weights", "A1,A2,A3"] + args[2:])
    check(r.returncode != 0 and "one per --holdout" in r.stderr, "face-holdout refuses 3 files for 2 folds",
          r.stderr.strip()[-200:])


def main():
    with tempfile.TemporaryDirectory(prefix="gw-folds-") as tmp:
        scenes = make_scenes(tmp)
        folds(scenes, tmp)
        hard(scenes, tmp)
        pooled(scenes, tmp)
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())

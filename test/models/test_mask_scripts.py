#!/usr/bin/python3
"""test_mask_scripts - two promises of the mask classifier's training scripts
(models/scripts), checked in about a second without the datasets:

- the found box mapping the scripts use (mask-lists.py DET_DY, DET_H: the
  found crops, mask-scales.py, mask-crossfit.py) is read from
  common/maskcls.c's MASKCLS_DET_DY / MASKCLS_DET_H, the worker's own: a
  copy of the script beside a maskcls.c with other values takes those
  values, and one without them stops with an error. Scripts that still keep
  a copy of the numbers (DET_DY = ..., DET_H = ...) must hold maskcls.c's.
- mask-head.py trains on training rows only: it refuses validation features
  (--val-feats) and its log holds one line per epoch with the training loss
  and no validation figure, so that nobody chooses epochs or heads on
  validation (validation is looked at once, for a head chosen on train).
"""
import importlib.util
import os
import re
import shutil
import struct
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
from checks import check, run_script  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCRIPTS = os.path.join(ROOT, "models", "scripts")


def c_defines(path):
    text = open(path).read()
    return [float(re.search(r"^#define %s ([0-9.]+)f" % n, text, re.M).group(1))
            for n in ("MASKCLS_DET_DY", "MASKCLS_DET_H")]


def load_lists(path):
    spec = importlib.util.spec_from_file_location("mask_lists_test", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def mapping(tmp):
    want = c_defines(os.path.join(ROOT, "common", "maskcls.c"))
    ml = load_lists(os.path.join(SCRIPTS, "mask-lists.py"))
    check([ml.DET_DY, ml.DET_H] == want, "mask-lists.py maps found boxes as common/maskcls.c (%s)" % want,
          "DET_DY %s DET_H %s" % (ml.DET_DY, ml.DET_H))
    # a copy of the tree's two files with other numbers in maskcls.c
    os.makedirs(os.path.join(tmp, "models", "scripts"))
    os.makedirs(os.path.join(tmp, "common"))
    script = os.path.join(tmp, "models", "scripts", "mask-lists.py")
    shutil.copy(os.path.join(SCRIPTS, "mask-lists.py"), script)
    src = open(os.path.join(ROOT, "common", "maskcls.c")).read()
    moved = re.sub(r"(?m)^#define MASKCLS_DET_DY [0-9.]+f", "#define MASKCLS_DET_DY 0.21f", src)
    moved = re.sub(r"(?m)^#define MASKCLS_DET_H [0-9.]+f", "#define MASKCLS_DET_H 1.4f", moved)
    with open(os.path.join(tmp, "common", "maskcls.c"), "w") as f:
        f.write(moved)
    try:
        got = load_lists(script)
        got = [got.DET_DY, got.DET_H]
    except SystemExit as e:
        got = "exit: %s" % e
    check(got == [0.21, 1.4], "mask-lists.py follows a changed maskcls.c (0.21, 1.4)", "got %s" % (got,))
    with open(os.path.join(tmp, "common", "maskcls.c"), "w") as f:
        f.write(re.sub(r"(?m)^#define MASKCLS_DET_(DY|H) .*$", "", src))
    r = run_script(script, ["--help"], timeout=60)
    check(r.returncode != 0 and "MASKCLS_DET_DY" in r.stderr,
          "mask-lists.py stops when maskcls.c has no MASKCLS_DET_DY", "rc %d, %s" % (r.returncode, r.stderr[-200:]))
    for name in sorted(os.listdir(SCRIPTS)):
        if not name.endswith(".py"):
            continue
        text = open(os.path.join(SCRIPTS, name)).read()
        for var, value in zip(("DET_DY", "DET_H"), want):
            for m in re.finditer(r"(?m)^%s = ([0-9.]+)" % var, text):
                check(float(m.group(1)) == value, "%s's copy of %s is maskcls.c's (%s)" % (name, var, value),
                      "it holds %s" % m.group(1))


def head(tmp):
    bb = os.path.join(tmp, "bb")
    os.makedirs(bb)
    with open(os.path.join(bb, "maskbb.cfg"), "w") as f:
        f.write("[net]\nwidth=4\nheight=4\nchannels=1\n\n[maxpool]\nsize=1\nstride=1\n")
    with open(os.path.join(bb, "maskbb.weights"), "wb") as f:
        f.write(struct.pack("<iiiQ", 0, 2, 0, 0))
    rng = np.random.RandomState(3)
    y = np.arange(90) % 3
    x = (rng.randn(90, 16) + y[:, None]).astype(np.float32)
    x.tofile(os.path.join(tmp, "train.f32"))
    x.tofile(os.path.join(tmp, "val.f32"))
    labels = ("mask_on", "mask_off", "mask_chin")
    with open(os.path.join(tmp, "train.ppm"), "w") as f:
        f.writelines("%s/img/%06d.%s.ppm\n" % (tmp, i, labels[c]) for i, c in enumerate(y))
    with open(os.path.join(tmp, "val.list"), "w") as f:
        f.writelines("src.jpg %s plain 0 0 0 4 4 scenes:80+\n" % labels[c] for c in y)
    head_py = os.path.join(SCRIPTS, "mask-head.py")
    args = ["--backbone", bb, "--taps", "0", "--train-feats", os.path.join(tmp, "train.f32"),
            "--train-list", os.path.join(tmp, "train.ppm"), "--hidden", "4", "--epochs", "2",
            "--out", os.path.join(tmp, "model")]
    r = run_script(head_py, args)
    epochs = [line for line in r.stderr.splitlines() if " epoch " in line]
    check(r.returncode == 0 and os.path.exists(os.path.join(tmp, "model", "mask.weights")),
          "mask-head.py trains a head on training rows", r.stderr[-300:])
    check(len(epochs) == 2 and all(" loss " in line and "val" not in line for line in epochs),
          "mask-head.py's log: the training loss per epoch, no validation figure", "; ".join(epochs))
    r = run_script(head_py, args + ["--val-feats", os.path.join(tmp, "val.f32"), "--val-list",
                                    os.path.join(tmp, "val.list")])
    check(r.returncode != 0 and not any("val" in line for line in r.stderr.splitlines() if " epoch " in line),
          "mask-head.py refuses validation features (--val-feats)", "rc %d" % r.returncode)


def main():
    tmp = tempfile.mkdtemp(prefix="gw-maskscripts-")
    try:
        mapping(os.path.join(tmp, "tree"))
        head(tmp)
    finally:
        shutil.rmtree(tmp)
    print("# %d failed" % checks.failed)
    sys.exit(checks.status())


if __name__ == "__main__":
    main()

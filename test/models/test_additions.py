#!/usr/bin/python3
"""test_additions - models/data/mask-scenes-additions.jsonl (faces mask-scenes'
annotations lack, added by looking at crops; models/data/README.md) and its
record of rejected candidates parse, and every added box can be checked:
one line an image (annotations.jsonl's shape), each face with numbers x, y,
w > 0, h > 0 inside the image, a label of the four `gatewatch eval` reads
and a note naming its candidate; no candidate both added and rejected, none
twice. Where ../shared/datasets/mask-scenes (or the committed validation
subset) holds the image, its real size must be the recorded one, and no added
face may already be annotated there (IoU 0.3 or more with an annotated face,
or its centre inside one: eval's own matching rule), else it would not be a
missing face. The second look (mask-scenes-additions-review.jsonl) judges
every added face once, its "first" the label added. The corrections
(mask-scenes-corrections.jsonl, `gatewatch eval --corrections`): one face a
line, a class or none, a reason, a "to" box inside the image; where the
image is here the face is annotated exactly so, and no face is corrected
twice; every face of the record of what was looked at is annotated, and
each one it says was corrected is in the corrections; scenefix.py (what
train-face.sh / train-mask.sh --corrections run) applies every train line
to ../shared's set (not run without it), and refuses what `gatewatch eval
--corrections` refuses (a face named again after its correction, a line
that changes nothing, none with a box, a "to" that is no box) on a set made
here."""
import json
import os
import re
import struct
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.path.join(ROOT, "models", "data")
ADD = os.path.join(DATA, "mask-scenes-additions.jsonl")
REJ = os.path.join(DATA, "mask-scenes-rejected.jsonl")
REVIEW = os.path.join(DATA, "mask-scenes-additions-review.jsonl")
FIX = os.path.join(DATA, "mask-scenes-corrections.jsonl")
LOOKED = os.path.join(DATA, "mask-scenes-corrections-looked.jsonl")
SCENES = [os.path.join(ROOT, "..", "shared", "datasets", "mask-scenes"),
          os.path.join(ROOT, "test", "models", "data", "mask-scenes-val")]
LABELS = ("mask_on", "mask_off", "mask_chin", "face")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
from checks import check, run_script  # noqa: E402


def jpeg_size(path):
    """(width, height) from the first SOF marker"""
    with open(path, "rb") as f:
        data = f.read()
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        m = data[i + 1]
        if m in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        if m == 0xD8 or m == 0x01 or 0xD0 <= m <= 0xD7 or m == 0xFF:
            i += 1 if m == 0xFF else 2
            continue
        i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    return None


def iou(a, b):
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def annotated():
    """image file -> (scenes folder, its annotation line), from the first folder holding it"""
    out = {}
    for d in SCENES:
        p = os.path.join(d, "annotations.jsonl")
        if os.path.exists(p):
            for line in open(p):
                o = json.loads(line)
                out.setdefault(os.path.basename(o["file"]), (d, o))
    return out


def main():
    ann = annotated()
    ids, files, nfaces, sized, errs, labels = set(), set(), 0, 0, [], {}
    for n, line in enumerate(open(ADD), 1):
        try:
            o = json.loads(line)
            f, w, h = o["file"], o["width"], o["height"]
            assert re.fullmatch(r"images/maksssksksss\d+\.jpg", f), "file %r" % f
            assert f not in files, "%s twice" % f
            assert isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0, "size"
            assert isinstance(o["faces"], list) and o["faces"], "no faces"
            files.add(f)
            base = os.path.basename(f)
            if base in ann:
                d, a = ann[base]
                real = jpeg_size(os.path.join(d, a["file"]))
                assert real == (w, h) == (a["width"], a["height"]), "size %dx%d, image %r" % (w, h, real)
                sized += 1
            for fc in o["faces"]:
                box = [fc["x"], fc["y"], fc["w"], fc["h"]]
                assert all(isinstance(v, (int, float)) for v in box), "box %r" % box
                assert box[2] > 0 and box[3] > 0 and box[0] >= 0 and box[1] >= 0 and \
                    box[0] + box[2] <= w + 1e-6 and box[1] + box[3] <= h + 1e-6, "box %r outside %dx%d" % (box, w, h)
                assert fc["label"] in LABELS, "label %r" % fc["label"]
                m = re.match(r"candidate (\d+-\d+): \S", fc["note"])
                assert m and m.group(1).split("-")[0] == re.findall(r"\d+", base)[-1], "note %r" % fc["note"]
                assert m.group(1) not in ids, "candidate %s twice" % m.group(1)
                ids.add(m.group(1))
                labels[m.group(1)] = fc["label"]
                if base in ann:
                    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
                    for af in ann[base][1]["faces"]:
                        b = [af["x"], af["y"], af["w"], af["h"]]
                        assert iou(box, b) < 0.3 and not (b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3]), \
                            "%s: %r already annotated as %r" % (m.group(1), box, b)
                nfaces += 1
        except (AssertionError, KeyError, TypeError, ValueError) as ex:
            errs.append("%s:%d: %s" % (os.path.basename(ADD), n, ex))
    check(not errs and nfaces > 0, "additions: %d faces over %d images parse, boxes inside their images, "
          "none already annotated; recorded sizes = the images' (%d of the images here)" % (nfaces, len(files), sized),
          "; ".join(errs[:5]))
    rids, errs = set(), []
    for n, line in enumerate(open(REJ), 1):
        try:
            o = json.loads(line)
            assert re.fullmatch(r"\d+-\d+", o["id"]) and o["id"] not in rids and o["id"] not in ids, "id %r" % o["id"]
            assert isinstance(o["reason"], str) and o["reason"].strip(), "no reason"
            assert re.fullmatch(r"images/maksssksksss\d+\.jpg", o["file"]) and len(o["box"]) == 4, "file/box"
            rids.add(o["id"])
        except (AssertionError, KeyError, TypeError, ValueError) as ex:
            errs.append("%s:%d: %s" % (os.path.basename(REJ), n, ex))
    check(not errs and rids, "rejected: %d candidates, each once, with a reason, none also added" % len(rids),
          "; ".join(errs[:5]))
    review(labels)
    corrections(ann)
    return checks.status()


def review(labels):
    """labels: candidate id -> the label the additions give it"""
    seen, errs = {}, []
    for n, line in enumerate(open(REVIEW), 1):
        try:
            o = json.loads(line)
            assert o["id"] in labels and o["id"] not in seen, "id %r" % o.get("id")
            assert o["first"] == labels[o["id"]], "first %r, added as %r" % (o["first"], labels[o["id"]])
            assert o["second"] in LABELS + ("reject",) and isinstance(o["note"], str) and o["note"].strip(), "second"
            assert o["agree"] == (o["second"] == o["first"]), "agree"
            seen[o["id"]] = o
        except (AssertionError, KeyError, TypeError, ValueError) as ex:
            errs.append("%s:%d: %s" % (os.path.basename(REVIEW), n, ex))
    check(not errs and set(seen) == set(labels), "second look: every added face judged once (%d of %d agree)" %
          (sum(o["agree"] for o in seen.values()), len(labels)), "; ".join(errs[:5]) or
          "not judged: %s" % " ".join(sorted(set(labels) - set(seen))[:10]))


def scenefix(ntrain):
    """models/scripts/scenefix.py (the trainers' reader) applies every train line to ../shared's set"""
    scenes = SCENES[0]
    if not os.path.exists(os.path.join(scenes, "annotations.jsonl")):
        print("ok - scenefix: no ../shared/datasets/mask-scenes here, not run (# SKIP)")
        return
    with tempfile.TemporaryDirectory(prefix="gw-scenefix-") as tmp:
        r = run_script(os.path.join(ROOT, "models", "scripts", "scenefix.py"),
                       ["--scenes", scenes, "--corrections", FIX, "--out", tmp], timeout=300)
        faces = lambda p: sum(len(json.loads(x)["faces"]) for x in open(os.path.join(p, "annotations.jsonl")))
        ok = r.returncode == 0 and faces(scenes) - faces(tmp) == ntrain[1] and \
            "%d corrections applied" % ntrain[0] in r.stderr
        check(ok, "scenefix.py applies the %d train corrections (%d faces removed)" % tuple(ntrain),
              r.stderr.strip()[-300:])


def scenefix_rules():
    """scenefix.py refuses what `gatewatch eval --corrections` refuses, naming file:line (no ../shared
    needed): a face named again after its correction, a line that changes nothing, a moved box with
    none, a "to" that is no box; two lines on two identical annotated boxes correct one each"""
    face = {"x": 10, "y": 10, "w": 40, "h": 40, "label": "mask_on"}

    def line(corrected, label="mask_on", **kw):
        return json.dumps(dict(file="images/s1.jpg", faces=[dict(face, label=label)], corrected=corrected,
                               reason="r", **kw)) + "\n"
    with tempfile.TemporaryDirectory(prefix="gw-scenefix-") as tmp:
        os.makedirs(os.path.join(tmp, "sc", "images"))
        with open(os.path.join(tmp, "sc", "annotations.jsonl"), "w") as f:
            f.write(json.dumps({"file": "images/s1.jpg", "faces": [face, face]}) + "\n")
        for name, lines, want in (("chain", [line("mask_chin"), line("mask_off", "mask_chin")], "chain.jsonl:2"),
                                  ("same", [line("mask_on")], "same.jsonl:1"),
                                  ("none_to", [line("none", to=dict(x=1, y=1, w=5, h=5))], "none_to.jsonl:1"),
                                  ("to_empty", [line("mask_off", to=dict(x=1, y=1, w=0, h=5))], "to_empty.jsonl:1"),
                                  ("two", [line("mask_chin"), line("mask_off")], None)):
            path = os.path.join(tmp, name + ".jsonl")
            with open(path, "w") as f:
                f.write("".join(lines))
            r = run_script(os.path.join(ROOT, "models", "scripts", "scenefix.py"),
                           ["--scenes", os.path.join(tmp, "sc"), "--corrections", path,
                            "--out", os.path.join(tmp, name)])
            if want:
                check(r.returncode == 1 and want in r.stderr, "scenefix.py refuses %s, naming %s" % (name, want),
                      "rc=%d %s" % (r.returncode, r.stderr.strip()[-200:]))
            else:
                got = [fc["label"] for fc in json.loads(open(os.path.join(tmp, name, "annotations.jsonl")).read())
                       ["faces"]] if r.returncode == 0 else r.stderr.strip()[-200:]
                check(got == ["mask_chin", "mask_off"], "scenefix.py: two identical boxes, one correction each",
                      repr(got))


def number(f):
    return int(re.findall(r"\d+", os.path.basename(f))[-1])


def corrections(ann):
    done, errs, here, ntrain = set(), [], 0, [0, 0]
    for n, line in enumerate(open(FIX), 1):
        try:
            o = json.loads(line)
            f, c = o["file"], o["corrected"]
            assert re.fullmatch(r"images/maksssksksss\d+\.jpg", f), "file %r" % f
            assert len(o["faces"]) == 1, "one face a line"
            fc = o["faces"][0]
            box, lab = (fc["x"], fc["y"], fc["w"], fc["h"]), fc["label"]
            assert c in LABELS + ("none",) and isinstance(o["reason"], str) and o["reason"].strip(), "class/reason"
            assert (f, box, lab) not in done, "corrected twice"
            done.add((f, box, lab))
            if number(f) % 5 != 0:
                ntrain[0] += 1
                ntrain[1] += c == "none"
            to = o.get("to")
            assert not (to and c == "none") and (to or c != lab), "changes nothing, or moves a removed face"
            base = os.path.basename(f)
            if base in ann:
                a = ann[base][1]
                assert any((af["x"], af["y"], af["w"], af["h"], af["label"]) == box + (lab,) for af in a["faces"]), \
                    "%r %s is not annotated" % (box, lab)
                if to:
                    assert to["w"] > 0 and to["h"] > 0 and to["x"] >= 0 and to["y"] >= 0 and \
                        to["x"] + to["w"] <= a["width"] and to["y"] + to["h"] <= a["height"], "to %r" % to
                here += 1
        except (AssertionError, KeyError, TypeError, ValueError) as ex:
            errs.append("%s:%d: %s" % (os.path.basename(FIX), n, ex))
    nlook, nfix, lerrs = 0, 0, []
    for n, line in enumerate(open(LOOKED), 1):
        try:
            o = json.loads(line)
            assert o["verdict"] in ("agree", "unclear", "corrected") and o["note"].strip() and o["found_by"], "verdict"
            base = os.path.basename(o["file"])
            if base in ann:
                assert any([af["x"], af["y"], af["w"], af["h"]] == o["face"] and af["label"] == o["label"]
                           for af in ann[base][1]["faces"]), "%r %s is not annotated" % (o["face"], o["label"])
            if o["verdict"] == "corrected":
                nfix += 1
                assert (o["file"], tuple(o["face"]), o["label"]) in done, "corrected but not in the corrections"
            nlook += 1
        except (AssertionError, KeyError, TypeError, ValueError, AttributeError) as ex:
            lerrs.append("%s:%d: %s" % (os.path.basename(LOOKED), n, ex))
    check(not lerrs and nlook, "looked at: %d faces, %d corrected (each in the corrections)" % (nlook, nfix),
          "; ".join(lerrs[:5]))
    scenefix(ntrain)
    scenefix_rules()
    check(not errs and done, "corrections: %d faces, each once, a class or none and a reason; %d checked against "
          "the annotations here" % (len(done), here), "; ".join(errs[:5]))


if __name__ == "__main__":
    sys.exit(main())

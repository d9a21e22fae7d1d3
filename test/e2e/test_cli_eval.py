#!/usr/bin/python3
"""test_cli_eval - `gatewatch eval` on small annotated sets built from
dlib's example photos: the found faces (from --details) annotated back
give full recall and precision; an annotation nobody found is a miss; a
box holding two found faces' centres matches one and counts the other as
a duplicate; the class tables agree with the per-image details; a PASCAL
VOC folder of the same annotations gives the same report; --split val
keeps the images whose number is a multiple of 5; --extra adds the faces
of a second file to the one image each line names exactly (an unknown or
ambiguous image is an error); --corrections relabels, moves and removes
the set's own faces (a face it cannot find is an error); --false writes every
found face with the search that found it and, for a false one, its cause
(duplicate, in --extra, overlapping a face, where it lies); an unreadable
image is left out with exit 1; bad sets exit 2 naming the file and line;
--details, --false or --misses to a full disk is an error (exit 1)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import BIN, MODELS, Report  # noqa: E402

GATEWATCH = os.path.join(BIN, "gatewatch")
FACES = "/usr/share/doc/libdlib19.1/examples/faces"
LABELS = ["mask_on", "mask_off", "mask_chin"]
rep = Report()
tmp = tempfile.mkdtemp(prefix="gw-eval-")


def run(*args, timeout=300):
    r = subprocess.run([GATEWATCH, "eval", "--set", "models.dir=" + MODELS] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def write_jsonl(path, images):
    with open(path, "w") as f:
        for file, faces in images:
            f.write(json.dumps({"file": file, "faces": [
                {"x": x, "y": y, "w": w, "h": h, "label": lab} for x, y, w, h, lab in faces]}) + "\n")


def write_voc(folder, images):
    os.makedirs(os.path.join(folder, "Annotations"))
    os.makedirs(os.path.join(folder, "JPEGImages"))
    for file, faces in images:
        base = os.path.basename(file)
        shutil.copy(os.path.join(tmp, file), os.path.join(folder, "JPEGImages", base))
        objs = "".join("<object><name>%s</name><difficult>0</difficult><bndbox><xmin>%g</xmin><ymin>%g</ymin>"
                       "<xmax>%g</xmax><ymax>%g</ymax></bndbox></object>" % (lab, x, y, x + w, y + h)
                       for x, y, w, h, lab in faces)
        with open(os.path.join(folder, "Annotations", os.path.splitext(base)[0] + ".xml"), "w") as f:
            f.write("<annotation><folder>x</folder><filename>%s</filename><size><width>1</width>"
                    "<height>1</height><depth>3</depth></size>%s</annotation>\n" % (base, objs))


def inside(f, a):
    cx, cy = f[0] + f[2] / 2, f[1] + f[3] / 2
    return a[0] <= cx <= a[0] + a[2] and a[1] <= cy <= a[1] + a[3]


try:
    os.makedirs(os.path.join(tmp, "images"))
    # numbers 5 and 7: one validation image, one training image
    shutil.copy(os.path.join(FACES, "bald_guys.jpg"), os.path.join(tmp, "images", "img5.jpg"))
    shutil.copy(os.path.join(FACES, "2008_001009.jpg"), os.path.join(tmp, "images", "img7.jpg"))
    files = ["images/img5.jpg", "images/img7.jpg"]

    # 1. no annotations: every found face is unmatched
    write_jsonl(os.path.join(tmp, "empty.jsonl"), [(f, []) for f in files])
    details = os.path.join(tmp, "details.jsonl")
    rc, out, err = run("-q", "--json", os.path.join(tmp, "e.json"), "--details", details,
                       os.path.join(tmp, "empty.jsonl"))
    lines = [json.loads(x) for x in open(details)] if rc == 0 else []
    found = {os.path.basename(d["file"]): [f["face"] for f in d["found"]] for d in lines}
    e = json.load(open(os.path.join(tmp, "e.json"))) if rc == 0 else {}
    nfound = sum(len(v) for v in found.values())
    rep.check(rc == 0 and len(lines) == 2 and nfound >= 3 and len(found.get("img5.jpg", [])) >= 2,
              "eval runs; details list found faces (>= 2 on the group photo)", "rc=%d %s %r" % (rc, err, found))
    rep.check(e.get("precision", {}).get("unmatched") == nfound and e["precision"]["matched"] == 0
              and e["faces"] == 0, "no annotations: every found face matches none",
              json.dumps(e.get("precision")))

    # 2. the found faces annotated back (labels cycling), plus one face nobody found
    ann = {}
    i = 0
    for f in files:
        ann[f] = []
        for b in found[os.path.basename(f)]:
            ann[f].append((b[0], b[1], b[2], b[3], LABELS[i % 3]))
            i += 1
    ann[files[1]].append((1, 1, 12, 12, "mask_on"))
    sets = [(f, ann[f]) for f in files]
    write_jsonl(os.path.join(tmp, "back.jsonl"), sets)
    rc, out, err = run("-q", "--json", os.path.join(tmp, "b.json"), "--details", details,
                       os.path.join(tmp, "back.jsonl"))
    b = json.load(open(os.path.join(tmp, "b.json"))) if rc == 0 else {}
    lines = [json.loads(x) for x in open(details)] if rc == 0 else []
    p = b.get("precision", {})
    rep.check(p.get("matched") == nfound and p.get("unmatched") == 0 and p.get("duplicates") == 0
              and p.get("precision") == 1.0, "found faces annotated back: precision 100%", json.dumps(p))
    rall = b.get("recall", {}).get("all", {})
    rep.check(sum(rall.get("found", [])) == nfound and sum(rall.get("annotated", [])) == nfound + 1
              and rall.get("annotated", [0])[0] >= 1 and rall["found"][0] == 0,
              "recall: every face found but the extra <20 px one", json.dumps(rall))
    # class tables against the details: annotated label x predicted mask / verdict
    conf = {c: [0, 0, 0, 0] for c in LABELS}
    verd = {c: [0, 0, 0] for c in LABELS}
    for d in lines:
        for a in d["annotated"]:
            if a["found"] >= 0:
                fo = d["found"][a["found"]]
                conf[a["label"]][(LABELS + ["unknown"]).index(fo["mask"])] += 1
                verd[a["label"]][["PASS", "DENY", "none"].index(fo["verdict"])] += 1
            else:
                verd[a["label"]][2] += 1
    mc = b.get("mask_class", {})
    got = {c: [sum(v) for v in zip(*[mc.get(c, {}).get(k, [0] * 4) for k in ("lt20", "20-39", "40-79", "80+")])]
           for c in LABELS}
    rep.check(got == conf, "mask class table = the details' annotated x predicted", "%r vs %r" % (got, conf))
    vd = b.get("verdicts", {})
    got = {c: [sum(v) for v in zip(*[vd.get(c, {}).get(k, [0] * 3) for k in ("lt20", "20-39", "40-79", "80+")])]
           for c in LABELS}
    rep.check(got == verd, "verdict table = the details' verdicts (missed face: none)", "%r vs %r" % (got, verd))
    print(out)

    # 3. the same annotations as a PASCAL VOC folder: the same report
    write_voc(os.path.join(tmp, "voc"), sets)
    rc, out, err = run("-q", "--json", os.path.join(tmp, "v.json"), os.path.join(tmp, "voc"))
    v = json.load(open(os.path.join(tmp, "v.json"))) if rc == 0 else {}
    same = all(v.get(k) == b.get(k) for k in ("recall", "precision", "mask_class", "verdicts", "gate", "faces"))
    rep.check(rc == 0 and same, "VOC folder gives the same report as JSON lines", "rc=%d %s" % (rc, err))

    # 4. one box around two found faces' centres: one match, the others inside are duplicates
    g = found["img5.jpg"]
    x0, y0 = min(g[0][0], g[1][0]), min(g[0][1], g[1][1])
    x1, y1 = max(g[0][0] + g[0][2], g[1][0] + g[1][2]), max(g[0][1] + g[0][3], g[1][1] + g[1][3])
    box = (x0, y0, x1 - x0, y1 - y0)
    want_dup = sum(1 for f in g if inside(f, box)) - 1
    write_jsonl(os.path.join(tmp, "dup.jsonl"), [(files[0], [box + ("mask_on",)])])
    rc, out, err = run("-q", "--json", os.path.join(tmp, "d.json"), os.path.join(tmp, "dup.jsonl"))
    d = json.load(open(os.path.join(tmp, "d.json"))) if rc == 0 else {}
    p = d.get("precision", {})
    rep.check(p.get("matched") == 1 and p.get("duplicates") == want_dup >= 1
              and p.get("unmatched") == len(g) - 1 - want_dup,
              "two found faces in one annotated box: one match, one duplicate", json.dumps(p))

    # 5. the fixed split: img5 is validation, img7 training
    rc, out, err = run("-q", "--split", "val", "--json", os.path.join(tmp, "s.json"), os.path.join(tmp, "back.jsonl"))
    s = json.load(open(os.path.join(tmp, "s.json"))) if rc == 0 else {}
    rc2, out2, err2 = run("-q", "--split", "train", "--json", os.path.join(tmp, "t.json"),
                          os.path.join(tmp, "back.jsonl"))
    t2 = json.load(open(os.path.join(tmp, "t.json"))) if rc2 == 0 else {}
    rep.check(s.get("images") == 1 and s.get("faces") == len(ann[files[0]]) and t2.get("images") == 1
              and t2.get("faces") == len(ann[files[1]]), "--split val / train: by the number in the file name",
              "%r %r" % (s.get("faces"), t2.get("faces")))

    # 6. an unreadable image is left out, named, exit 1; the rest is scored
    write_jsonl(os.path.join(tmp, "missing.jsonl"), [("images/nothere10.jpg", [])] + sets[:1])
    rc, out, err = run("-q", os.path.join(tmp, "missing.jsonl"))
    rep.check(rc == 1 and "nothere10.jpg" in err and "1 images" in out and "1 left out" in out,
              "missing image: left out, named, exit 1", "rc=%d %r %r" % (rc, err, out[:200]))

    # 7. bad sets: exit 2 naming the file (and line)
    with open(os.path.join(tmp, "bad.jsonl"), "w") as f:
        f.write(json.dumps({"file": files[0], "faces": []}) + "\n{\"file\": 3}\n")
    rc, out, err = run(os.path.join(tmp, "bad.jsonl"))
    rep.check(rc == 2 and "bad.jsonl:2" in err, "malformed line: exit 2 naming file:line", "rc=%d %r" % (rc, err))
    os.makedirs(os.path.join(tmp, "voc2"))
    with open(os.path.join(tmp, "voc2", "a.xml"), "w") as f:
        f.write("<annotation><filename>gone.jpg</filename><object><name>mask_on</name></object></annotation>")
    rc, out, err = run(os.path.join(tmp, "voc2"))
    rep.check(rc == 2 and "a.xml" in err, "VOC object without a box: exit 2 naming the file", "rc=%d %r" % (rc, err))
    # a size no float holds is no box (it was kept as an infinite face)
    with open(os.path.join(tmp, "huge.jsonl"), "w") as f:
        f.write(json.dumps({"file": files[0], "faces": [{"x": 1, "y": 1, "w": 1e39, "h": 9, "label": "mask_on"}]}) + "\n")
    rc, out, err = run(os.path.join(tmp, "huge.jsonl"))
    rep.check(rc == 2 and "huge.jsonl:1" in err, "a face 1e39 wide: exit 2 naming file:line", "rc=%d %r" % (rc, err))
    with open(os.path.join(tmp, "voc2", "a.xml"), "w") as f:
        f.write("<annotation><filename>img5.jpg</filename><object><name>mask_on</name><bndbox><xmin>1</xmin>"
                "<ymin>1</ymin><xmax>inf</xmax><ymax>9</ymax></bndbox></object></annotation>")
    rc, out, err = run(os.path.join(tmp, "voc2"))
    rep.check(rc == 2 and "a.xml" in err, "VOC box to inf (its image there): exit 2 naming the file",
              "rc=%d %r" % (rc, err))
    rc, out, err = run(os.path.join(tmp, "nothing-here"))
    rep.check(rc == 2 and "nothing-here" in err, "missing set: exit 2", "rc=%d %r" % (rc, err))
    rc, out, err = run("--every", "0", os.path.join(tmp, "back.jsonl"))
    rep.check(rc == 2 and "--every 0" in err, "--every 0: exit 2 saying why", "rc=%d %r" % (rc, err))

    # 8. --extra: faces the set lacks, from a second file of the same shape (with notes): the
    # set without img7's faces plus those faces as extras gives back.jsonl's report
    write_jsonl(os.path.join(tmp, "less.jsonl"), [sets[0], (files[1], [])])
    with open(os.path.join(tmp, "extra.jsonl"), "w") as f:
        f.write(json.dumps({"file": files[1], "width": 1, "height": 1, "faces": [
            {"x": x, "y": y, "w": w, "h": h, "label": lab, "note": "seen"} for x, y, w, h, lab in sets[1][1]]}) + "\n")
    rc, out, err = run("-q", "--json", os.path.join(tmp, "x.json"), "--extra", os.path.join(tmp, "extra.jsonl"),
                       os.path.join(tmp, "less.jsonl"))
    x = json.load(open(os.path.join(tmp, "x.json"))) if rc == 0 else {}
    same = all(x.get(k) == b.get(k) for k in ("recall", "precision", "mask_class", "verdicts", "gate", "faces"))
    rep.check(rc == 0 and same and x.get("extra_faces") == len(sets[1][1]) == x.get("extra_faces_picked")
              and x.get("extra") == [os.path.join(tmp, "extra.jsonl")] and "plus %d faces from" % len(sets[1][1]) in out,
              "--extra adds its faces to the set's images; the report says so", "rc=%d %s %r" % (rc, err, out[:300]))
    rc, out, err = run("-q", "--split", "val", "--json", os.path.join(tmp, "xv.json"), "--extra",
                       os.path.join(tmp, "extra.jsonl"), os.path.join(tmp, "less.jsonl"))
    xv = json.load(open(os.path.join(tmp, "xv.json"))) if rc == 0 else {}
    rep.check(xv.get("extra_faces") == len(sets[1][1]) and xv.get("extra_faces_picked") == 0
              and xv.get("faces") == len(ann[files[0]]), "--extra on another split: counted apart", json.dumps(xv.get("faces")))
    with open(os.path.join(tmp, "extra-bad.jsonl"), "w") as f:
        f.write(json.dumps({"file": files[1], "faces": []}) + "\n")
        f.write(json.dumps({"file": "images/img9.jpg", "faces": []}) + "\n")
    rc, out, err = run("--extra", os.path.join(tmp, "extra-bad.jsonl"), os.path.join(tmp, "less.jsonl"))
    rep.check(rc == 2 and "img9.jpg" in err and "extra-bad.jsonl:2" in err,
              "--extra naming an image not in the set: exit 2 naming file:line", "rc=%d %r" % (rc, err))

    # 9. --extra names an image exactly (as its annotations do, or by its loaded path): an image
    # whose path merely ends the same (old/images/img7.jpg, listed first) does not get its faces
    os.makedirs(os.path.join(tmp, "old", "images"))
    shutil.copy(os.path.join(tmp, files[1]), os.path.join(tmp, "old", files[1]))
    write_jsonl(os.path.join(tmp, "two.jsonl"), [("old/" + files[1], []), (files[1], [])])
    rc, out, err = run("-q", "--json", os.path.join(tmp, "two.json"), "--details", details, "--extra",
                       os.path.join(tmp, "extra.jsonl"), os.path.join(tmp, "two.jsonl"))
    lines = [json.loads(x) for x in open(details)] if rc == 0 else []
    got = {os.path.relpath(d["file"], tmp): len(d["annotated"]) for d in lines}
    rep.check(rc == 0 and got == {"old/" + files[1]: 0, files[1]: len(sets[1][1])},
              "--extra: the image its file names exactly, not the first whose path ends with it",
              "rc=%d %s %r" % (rc, err, got))
    # two sets naming the same file: ambiguous, exit 2 naming both; the path names one
    write_jsonl(os.path.join(tmp, "old", "set.jsonl"), [(files[1], [])])
    rc, out, err = run("-q", "--extra", os.path.join(tmp, "extra.jsonl"), os.path.join(tmp, "less.jsonl"),
                       os.path.join(tmp, "old", "set.jsonl"))
    rep.check(rc == 2 and "names two images" in err and os.path.join(tmp, "old", files[1]) in err
              and "extra.jsonl:1" in err, "--extra naming an image two sets hold: exit 2 naming both",
              "rc=%d %r" % (rc, err))
    with open(os.path.join(tmp, "extra-path.jsonl"), "w") as f:
        f.write(json.dumps({"file": os.path.join(tmp, "old", files[1]), "faces": [
            {"x": x, "y": y, "w": w, "h": h, "label": lab} for x, y, w, h, lab in sets[1][1]]}) + "\n")
    rc, out, err = run("-q", "--json", os.path.join(tmp, "p.json"), "--details", details, "--extra",
                       os.path.join(tmp, "extra-path.jsonl"), os.path.join(tmp, "less.jsonl"),
                       os.path.join(tmp, "old", "set.jsonl"))
    lines = [json.loads(x) for x in open(details)] if rc == 0 else []
    got = {os.path.relpath(d["file"], tmp): len(d["annotated"]) for d in lines}
    rep.check(rc == 0 and got.get("old/" + files[1]) == len(sets[1][1]) and got.get(files[1]) == 0,
              "--extra naming the image by its loaded path: that one", "rc=%d %s %r" % (rc, err, got))

    # 10. --corrections: a set with three annotation errors (a wrong class, a box beside the face,
    # a box on no face) and the three lines that correct them gives back.jsonl's report
    f0 = ann[files[1]][0]
    wrong = dict(ann)
    wrong[files[1]] = [(f0[0], f0[1], f0[2], f0[3], LABELS[(LABELS.index(f0[4]) + 1) % 3])] + ann[files[1]][1:]
    f1 = ann[files[0]][0]
    wrong[files[0]] = [(f1[0] + 2 * f1[2], f1[1], f1[2], f1[3], f1[4]), (3, 3, 9, 9, "mask_off")] + ann[files[0]][1:]
    write_jsonl(os.path.join(tmp, "wrong.jsonl"), [(f, wrong[f]) for f in files])

    def fix(file, face, corrected, to=None, reason="seen"):
        x, y, w, h, lab = face
        o = {"file": file, "faces": [{"x": x, "y": y, "w": w, "h": h, "label": lab}], "corrected": corrected,
             "reason": reason}
        if to:
            o["to"] = {"x": to[0], "y": to[1], "w": to[2], "h": to[3]}
        return json.dumps(o) + "\n"
    fixes = [fix(files[1], wrong[files[1]][0], f0[4]), fix(files[0], wrong[files[0]][0], f1[4], f1[:4]),
             fix(files[0], wrong[files[0]][1], "none")]
    with open(os.path.join(tmp, "fix.jsonl"), "w") as f:
        f.write("".join(fixes))
    rc, out, err = run("-q", "--json", os.path.join(tmp, "w.json"), os.path.join(tmp, "wrong.jsonl"))
    w = json.load(open(os.path.join(tmp, "w.json"))) if rc == 0 else {}
    rc, out, err = run("-q", "--json", os.path.join(tmp, "c.json"), "--corrections", os.path.join(tmp, "fix.jsonl"),
                       os.path.join(tmp, "wrong.jsonl"))
    c = json.load(open(os.path.join(tmp, "c.json"))) if rc == 0 else {}
    same = all(c.get(k) == b.get(k) for k in ("recall", "precision", "mask_class", "verdicts", "gate", "faces"))
    rep.check(rc == 0 and same and w.get("precision") != b.get("precision") and c.get("corrected_faces") == 3
              and c.get("corrected_faces_picked") == 3 and c.get("corrections") == [os.path.join(tmp, "fix.jsonl")]
              and "3 faces corrected by" in out,
              "--corrections relabels, moves and removes the set's faces; the report says so",
              "rc=%d %s %r" % (rc, err, out[:300]))
    # errors name file:line: a face corrected twice (the second finds it changed; or names it as
    # the first left it), an unknown class, a line that changes nothing, a face only --extra adds
    # (corrections apply to the set's own)
    for name, lines, want in (("twice", fixes[:1] * 2, "twice.jsonl:2"),
                              ("chain", [fixes[0], fix(files[1], f0, LABELS[(LABELS.index(f0[4]) + 2) % 3])],
                               "chain.jsonl:2"),
                              ("class", [fixes[0].replace('"corrected": "%s"' % f0[4], '"corrected": "maybe"')],
                               "class.jsonl:1"),
                              ("same", [fix(files[1], f0, f0[4])], "same.jsonl:1"),
                              ("extra", [fix(files[1], sets[1][1][0], "none")], "extra.jsonl:1")):
        with open(os.path.join(tmp, name + ".jsonl"), "w") as f:
            f.write("".join(lines))
        rc, out, err = run("--corrections", os.path.join(tmp, name + ".jsonl"), "--extra",
                           os.path.join(tmp, "extra.jsonl"), os.path.join(tmp, "wrong.jsonl" if name != "extra"
                                                                          else "less.jsonl"))
        rep.check(rc == 2 and want in err and "--corrections" in err,
                  "--corrections, bad line (%s): exit 2 naming file:line" % name, "rc=%d %r" % (rc, err))

    # 11. --false: one line per found face, its source a search that ran; causes from the sets above
    def false_run(*args):
        path = os.path.join(tmp, "false.jsonl")
        rc, out, err = run("-q", "--false", path, *args)
        return rc, out, err, [json.loads(x) for x in open(path)] if rc == 0 else []
    wheres = {"frame", "head", "head_tile", "box", "box_tile"}
    rc, out, err, fl = false_run(os.path.join(tmp, "empty.jsonl"))
    rep.check(rc == 0 and len(fl) == nfound and all(f["false"] and f["where"] in wheres
              and f["seen"].get(f["where"], 0) >= f["score"] - 1e-4 > 0 and f["person"] in ("box", "extra")
              and f["cause"] in ("below_head", "no_person_box", "head_region") for f in fl),
              "--false, no annotations: every found face false, from a search that ran, placed",
              "rc=%d %s %r" % (rc, err, fl[:2]))
    table = out.split("(--false)\n", 1)[-1].splitlines()[1:]
    rows = {ln.split()[0]: ln.split()[1:] for ln in table if ln.strip()}
    rep.check(rows.get("all", [None])[:2] == [str(nfound), str(nfound)]
              and sum(int(v[0]) for k, v in rows.items() if k != "all") == nfound,
              "--false: the count by source adds up to every found face", repr(rows))
    rc, out, err, fl = false_run(os.path.join(tmp, "back.jsonl"))
    rep.check(rc == 0 and len(fl) == nfound and not any(f["false"] for f in fl)
              and all(f["cause"] == "matched" for f in fl), "--false, found faces annotated back: none false",
              "rc=%d %r" % (rc, [f["cause"] for f in fl]))
    rc, out, err, fl = false_run(os.path.join(tmp, "dup.jsonl"))
    rep.check(rc == 0 and sum(f["cause"] == "duplicate" for f in fl) == want_dup
              and sum(f["cause"] == "matched" for f in fl) == 1, "--false: a second face in one annotated box: duplicate",
              "rc=%d %r" % (rc, [f["cause"] for f in fl]))
    write_jsonl(os.path.join(tmp, "extra11.jsonl"), [sets[1]])  # (case 10 wrote over extra.jsonl)
    rc, out, err, fl = false_run("--extra", os.path.join(tmp, "extra11.jsonl"), os.path.join(tmp, "less.jsonl"))
    img7 = [f for f in fl if f["file"].endswith("img7.jpg")]
    rep.check(rc == 0 and img7 and all(f["cause"] == "in_additions" and f["false"] for f in img7)
              and all(f["cause"] == "matched" for f in fl if f not in img7),
              "--false: a face only --extra has is false against the set, cause in_additions",
              "rc=%d %r" % (rc, [(f["file"][-8:], f["cause"]) for f in fl]))
    # an annotated box 0.7 of its width to the right of a found face: IoU under 0.3, centre outside,
    # 0.3 of the face covered
    g0 = found["img5.jpg"][0]
    write_jsonl(os.path.join(tmp, "shift.jsonl"), [(files[0], [(g0[0] + 0.7 * g0[2], g0[1], g0[2], g0[3], "mask_on")])])
    rc, out, err, fl = false_run(os.path.join(tmp, "shift.jsonl"))
    hit = [f for f in fl if abs(f["box"][0] - g0[0]) < 0.5 and abs(f["box"][1] - g0[1]) < 0.5]
    rep.check(rc == 0 and len(hit) == 1 and hit[0]["cause"] == "overlaps_face",
              "--false: a found face beside an annotated one it overlaps: overlaps_face",
              "rc=%d %r" % (rc, [(f["box"], f["cause"]) for f in fl]))
    # 12. a JSON-lines file that cannot be written (a full disk) is an error, exit 1, for each of them
    if os.path.exists("/dev/full"):
        for opt in ("--details", "--false", "--misses"):  # shift.jsonl: a face missed (a --misses line)
            rc, out, err = run("-q", opt, "/dev/full", os.path.join(tmp, "shift.jsonl"))
            rep.check(rc == 1 and "cannot write /dev/full" in err, "%s to a full disk: said, exit 1" % opt,
                      "rc=%d %r" % (rc, err[-300:]))
except Exception as ex:  # a crash is a failed case, not a silent pass
    rep.fail("eval test ran to the end", repr(ex))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(rep.done())

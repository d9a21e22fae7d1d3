"""test_pipeline_basic - the whole pipeline on loopback: `gatewatch up` with
three cameras, each pushing (concurrently, through `gatewatch push`) a mix
of real photos with and without people. Every frame is answered, no-person
frames never reach the spool, every accepted frame is stored exactly once
with its snapshot, the spool drains, and no camera ever had two workers."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (Gatewatch, Report, check_pipeline, images_darknet, images_faceapi,  # noqa: E402
                 images_masks, NO_PERSON_PHOTOS)

STATUSES = {"accepted", "no_person", "busy", "rejected"}


def main():
    rep = Report()
    dark = images_darknet()
    nobody = [p for p in dark if os.path.basename(p) in NO_PERSON_PHOTOS]
    plan = {
        "cam1": dark,
        "cam2": images_faceapi() + nobody[:1],
        "cam3": images_masks(6) + nobody[1:2],
    }
    for cam, files in plan.items():
        if not files:
            rep.fail("test photos for %s" % cam, "none found (darknet, face-api or mask dataset missing)")
            return rep.done()
    with Gatewatch("basic") as gw:
        try:
            gw.start()
            rep.ok("gatewatch up starts notifier, dispatcher and ingest")
        except RuntimeError as e:
            gw.failed = True
            rep.fail("gatewatch up starts notifier, dispatcher and ingest", e)
            return rep.done()
        for name in ("gatewatch.conf", "run/up.pid", "log/notifier.log", "log/dispatcher.log", "log/ingest.log"):
            rep.check(os.path.exists(os.path.join(gw.dir, name)), "up writes %s" % name, "missing")

        res = gw.push_many(plan)
        answers = {}
        for cam, files in plan.items():
            a = res.get(cam)
            if isinstance(a, Exception) or a is None:
                rep.fail("%s: push" % cam, a)
                answers[cam] = []
                continue
            answers[cam] = a
            rep.check(len(a) == len(files) and all(x.get("status") in STATUSES for x in a),
                      "%s: every frame got an answer (%d frames)" % (cam, len(files)),
                      "got %d answers for %d frames: %s" % (len(a), len(files),
                                                            [x.get("status") for x in a]))
        allans = [x for a in answers.values() for x in a]
        rep.check(any(x.get("status") == "accepted" for x in allans), "some frames with people were accepted",
                  "statuses: %s" % [x.get("status") for x in allans])
        rep.check(any(x.get("status") == "no_person" for x in allans), "frames without people were answered no_person",
                  "statuses: %s" % [x.get("status") for x in allans])
        cam1 = answers.get("cam1", [])
        nobody_ans = [a for f, a in zip(dark, cam1) if os.path.basename(f) in NO_PERSON_PHOTOS] \
            if len(cam1) == len(dark) else []
        rep.check(nobody_ans and all(x.get("status") != "accepted" for x in nobody_ans),
                  "photos with no person (dog, eagle, giraffe) are not accepted",
                  "answers: %s" % [x.get("status") for x in nobody_ans])

        accepted = check_pipeline(rep, gw, answers, "3 cameras")

        # What was stored is usable: snapshot files and faces in the face-api photos.
        rows = gw.db("SELECT camera, frame_id, snapshot, npersons, json FROM results")
        snaps_ok = [r for r in rows if r[2] and os.path.exists(os.path.join(gw.dir, r[2]))]
        rep.check(rows and len(snaps_ok) == len(rows), "every stored result has its snapshot file",
                  "%d of %d rows have one" % (len(snaps_ok), len(rows)))
        if snaps_ok:
            with open(os.path.join(gw.dir, snaps_ok[0][2]), "rb") as f:
                head = f.read(8)
            rep.check(head[:3] == b"\xff\xd8\xff" or head[:4] == b"\x89PNG", "snapshots are plain images",
                      "starts with %r" % head)
        faces = 0
        for r in rows:
            if r[0] != "cam2":
                continue
            try:
                item = json.loads(r[4])
            except ValueError:
                continue
            for p in item.get("persons", []):
                if p.get("face"):
                    faces += 1
        rep.check(faces > 0, "faces are found in the face-api sample photos", "no person with a face in cam2's results")

        # The CLI reads the same rows back.
        ev = subprocess.run([gw.bin(), "events", "--dir", gw.dir], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=30)
        lines = [ln for ln in ev.stdout.decode(errors="replace").splitlines() if ln.strip()]
        try:
            got = sorted((o["camera"], o.get("frame_id") or o.get("frame")) for o in map(json.loads, lines))
        except (ValueError, KeyError, TypeError) as e:
            got = "unparsable: %s" % e
        rep.check(ev.returncode == 0 and got == sorted(accepted),
                  "gatewatch events prints every stored result once",
                  "rc=%d, %s lines, stderr=%s" % (ev.returncode, len(lines), ev.stderr.decode()[-300:]))
        ev = subprocess.run([gw.bin(), "events", "--dir", gw.dir, "--camera", "cam2", "--limit", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        lines = [ln for ln in ev.stdout.decode(errors="replace").splitlines() if ln.strip()]
        rep.check(ev.returncode == 0 and len(lines) == (1 if any(k[0] == "cam2" for k in accepted) else 0),
                  "gatewatch events --camera --limit", "rc=%d lines=%d" % (ev.returncode, len(lines)))

        if rep.failed:
            gw.failed = True
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

"""test_pipeline_basic - the whole pipeline on loopback: `gatewatch up` with
three cameras, each pushing (concurrently, through `gatewatch push`) a mix
of real photos with and without people. Every frame is answered, no-person
frames never reach the spool, every accepted frame is analysed and
acknowledged exactly once, every person in it becomes a stored track
(PER_PHOTO_TRACKING: each photo is its own visit) with its events stored
once and its snapshot file, the spool drains, and no camera ever had two
workers."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (Gatewatch, Report, check_pipeline_tracks, images_darknet, images_faceapi,  # noqa: E402
                 images_masks, wait_until, NO_PERSON_PHOTOS, PER_PHOTO_TRACKING)
import re  # noqa: E402

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
    with Gatewatch("basic", sets=PER_PHOTO_TRACKING) as gw:
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

        accepted = check_pipeline_tracks(rep, gw, answers, "3 cameras")

        # What was stored is usable: people with their snapshot files, and
        # faces in the face-api photos. A person ends with the next frame or
        # by time alone, so every visit gets closed.
        closed = wait_until(lambda: gw.db("SELECT count(*) FROM tracks WHERE ended_us IS NULL") == [(0,)], 30)
        rep.check(closed, "every person's visit is ended (by the next frame or by time alone)",
                  gw.db("SELECT camera, track_id FROM tracks WHERE ended_us IS NULL LIMIT 5"))
        rows = gw.db("SELECT camera, track_id, snapshot, looks FROM tracks")
        rep.check(len(rows) >= len(accepted), "a stored track per person (%d tracks, %d accepted frames)"
                  % (len(rows), len(accepted)))
        with_snap = [r for r in rows if r[2]]
        snaps_ok = [r for r in with_snap if os.path.exists(os.path.join(gw.dir, r[2]))]
        rep.check(with_snap and len(snaps_ok) == len(with_snap), "every stored snapshot path has its file",
                  "%d of %d exist" % (len(snaps_ok), len(with_snap)))
        if snaps_ok:
            with open(os.path.join(gw.dir, snaps_ok[0][2]), "rb") as f:
                head = f.read(8)
            rep.check(head[:3] == b"\xff\xd8\xff", "snapshots are JPEG images", "starts with %r" % head)
        faces = sum(int(m.group(1)) for m in re.finditer(r" camera=cam2 persons=\d+ faces=(\d+) ", gw.log("dispatcher")))
        rep.check(faces > 0, "faces are found in the face-api sample photos", "no face in cam2's frames")
        decided = gw.db("SELECT count(*) FROM track_events WHERE decision = 1")
        rep.check(decided and decided[0][0] > 0, "gate decisions were stored (decision = 1 events)", decided)
        once = gw.db("SELECT camera, track_id, count(*) FROM track_events WHERE decision = 1 "
                     "GROUP BY camera, track_id HAVING count(*) > 1 LIMIT 5")
        rep.check(not once, "at most one gate decision per person", once)

        # The CLI reads the store back: every stored track event exactly
        # once, oldest first, as the database holds it.
        def events_cli(*extra):
            r = subprocess.run([gw.bin(), "events", "--dir", gw.dir] + list(extra), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30)
            out = []
            for ln in r.stdout.decode(errors="replace").splitlines():
                try:
                    out.append(json.loads(ln))
                except ValueError:
                    out.append({"unparsed": ln})
            return r, out

        def key(e):
            return (e.get("camera"), e.get("track_id"), e.get("seq"), e.get("kind"), e.get("verdict"),
                    e.get("reason"), e.get("at_us"))

        stored = gw.db("SELECT camera, track_id, seq, kind, verdict, reason, at_us FROM track_events ORDER BY id")
        ev, printed = events_cli()
        rep.check(ev.returncode == 0 and printed and all("unparsed" not in e for e in printed),
                  "gatewatch events runs and prints JSON lines (%d)" % len(printed),
                  "rc=%d stderr=%s" % (ev.returncode, ev.stderr.decode()[-300:]))
        rep.check([key(e) for e in printed] == [tuple(r) for r in stored],
                  "gatewatch events prints every stored track event exactly once, oldest first (%d)" % len(stored),
                  "printed %d lines, %d stored; first difference: %s" % (
                      len(printed), len(stored),
                      next(((a, tuple(b)) for a, b in zip([key(e) for e in printed], stored) if a != tuple(b)),
                           None)))
        good = [e for e in printed if isinstance(e.get("event"), dict)]
        rep.check(printed and len(good) == len(printed) and all(
            e["event"].get("track") == e["track_id"] and e["event"].get("seq") == e["seq"] for e in good),
            "each line carries its stored event item", repr(printed[:1])[:300])
        counts = {}
        for r in stored:
            counts[r[0]] = counts.get(r[0], 0) + 1
        cam = min(counts, key=lambda c: (counts[c], c)) if counts else "cam1"  # the filter drops the most
        want = [tuple(r) for r in stored if r[0] == cam]
        ev, printed = events_cli("--camera", cam)
        rep.check(ev.returncode == 0 and want and [key(e) for e in printed] == want,
                  "gatewatch events --camera %s prints only that camera's events (%d)" % (cam, len(want)),
                  "printed %d, want %d" % (len(printed), len(want)))
        ev, printed = events_cli("--limit", "3")
        rep.check(ev.returncode == 0 and [key(e) for e in printed] == [tuple(r) for r in stored[-3:]],
                  "gatewatch events --limit 3 prints the newest 3, oldest first",
                  "got %s" % [key(e) for e in printed])

        if rep.failed:
            gw.failed = True
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

"""test_worker_slots - a RESULT holds 16 people (MSG_PERSONS_MAX): a face
found outside every person box comes before a person box in which no face
was found (common/slots.h). The real worker (real face and mask networks)
between a fake dispatcher and a fake notifier (test_pipeline_worker.py),
fed through the spool (test_tracking_worker.py's still_run), indoor camera.

Ingest gives 16 person boxes over an empty floor (no face in any) and none
for the one person drawn, whose face the whole-frame search finds. Before,
the 16 boxes took every place and that face was left out of every frame:
the person was never followed. Now the weakest faceless box (the last)
gives its place: the face is in every RESULT, one confirmed track, and
the other 15 boxes stay. Bounds are counts of frames, never wall time."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Report  # noqa: E402
from test_tracking_worker import still_run  # noqa: E402

SETS = ["track.min_hits=2", "worker.frame_search=1", "camera.hall.token=hall-token-12", "camera.hall.mode=indoor"]
N = 5                           # frames
FACE = (520, 60, 110)           # the person drawn: no person box from ingest
# 16 faceless person boxes across the floor, away from the face's head region
EMPTY = [{"x": 8 + 39 * i, "y": 250, "w": 34, "h": 150, "score": 0.9 - 0.01 * i} for i in range(16)]


def main():
    rep = Report()
    frames = lambda on, off: [([(on,) + FACE], {"bodies": 0, "more": EMPTY})] * N  # noqa: E731
    with still_run(rep, "gw-e2e-slots-", "hall", SETS, frames) as w:
        if w is None:
            return rep.done()
        fids, by_fid = w.fids, w.by_fid
        res = [by_fid[f] for f in fids]
        faces = [[p for p in r["persons"] if p["face"][4] > 0 and p["body"][0] > 400] for r in res]
        rep.check(all(len(f) == 1 for f in faces), "the face outside the 16 boxes is in every RESULT",
                  [len(f) for f in faces])
        rep.check(all(r["npersons"] == 16 for r in res), "16 people in each: the face and 15 of the boxes",
                  [r["npersons"] for r in res])
        kept = [sorted(round(p["body"][0]) for p in r["persons"] if p["face"][4] <= 0) for r in res]
        rep.check(all(k == [b["x"] for b in EMPTY[:15]] for k in kept),
                  "the faceless box left out is the last (the weakest)", kept[0])
        tracks = {p["track"] for f in faces[2:] for p in f}
        rep.check(len(tracks) == 1 and 0 not in tracks, "the face's person is one confirmed track", sorted(tracks))
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

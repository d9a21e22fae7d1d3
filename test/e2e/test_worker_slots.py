"""test_worker_slots - a RESULT holds 16 people (MSG_PERSONS_MAX): a face
found outside every person box comes before a person box in which no face
was found (common/slots.h). The real worker (real face and mask networks)
between a fake dispatcher and a fake notifier (test_pipeline_worker.py),
fed through the spool (test_tracking_worker.py's Run), indoor camera.

Ingest gives 16 person boxes over an empty floor (no face in any) and none
for the one person drawn, whose face the whole-frame search finds. Before,
the 16 boxes took every place and that face was left out of every frame:
the person was never followed. Now the weakest faceless box (the last)
gives its place: the face is in every RESULT, one confirmed track, and
the other 15 boxes stay. Bounds are counts of frames, never wall time."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import MODELS, Report  # noqa: E402
from test_pipeline_worker import Dispatcher, NOFRAME, worker_env_down  # noqa: E402
from test_tracking_worker import Run, frames_clock, set_args, worker_env  # noqa: E402

SETS = ["track.min_hits=2", "worker.frame_search=1", "camera.hall.token=hall-token-12", "camera.hall.mode=indoor"]
N = 5                           # frames
FACE = (520, 60, 110)           # the person drawn: no person box from ingest
# 16 faceless person boxes across the floor, away from the face's head region
EMPTY = [{"x": 8 + 39 * i, "y": 250, "w": 34, "h": 150, "score": 0.9 - 0.01 * i} for i in range(16)]


def main():
    rep = Report()
    env = worker_env(rep, "gw-e2e-slots-")
    if env is None:
        return rep.done()
    tmp, notifier, (on, _) = env
    d = None
    try:
        d = Dispatcher(tmp, "hall", MODELS, set_args(SETS))
        hall = Run(tmp, "hall", d, frames_clock(3600))   # an hour ahead: nothing decided by time alone
        ok = True
        for _ in range(N):
            ok &= hall.send([(on,) + FACE], bodies=0, more=EMPTY)
        rc = d.close(20)
        d = None
        rep.check(ok and rc == 0, "every frame done, the worker exits 0", "rc %s" % rc)
        fids = [f for f, _, _ in hall.frames]
        with notifier.lock:
            by_fid = {r["frame"]: r for r in notifier.parsed if r["camera"] == "hall" and not r["flags"] & NOFRAME}
        if not rep.check(all(f in by_fid for f in fids), "a RESULT for every frame"):
            return rep.done()
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
    finally:
        worker_env_down(rep, tmp, d, notifier)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

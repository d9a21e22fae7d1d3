"""test_face_only - someone known only by a face (no person box from
ingest) is followed by a face search around their last face, not by a
whole-frame search on every frame: the real worker (real face and mask
networks) between a fake dispatcher and a fake notifier
(test_pipeline_worker.py), fed still people through the spool with the
frame times we choose (test_tracking_worker.py's Run), indoor camera.

Two people stand still; ingest's person box is given for the first only.
The second is found by the whole-frame search, then is one person (one
track) whose face is found in every frame; once both are settled, the
whole frame is searched about every worker.frame_search_ms (the worker's
log line per frame gives its whole-frame, box and half-height runs so
far), not in every frame (before round 8: in every frame while the
face-only person was tracked), and in the frames between, the face-only
person's head region is searched in a half-height run.

The same again with worker.frame_skip=1 (a box's look searches the whole
frame only when a box found no face): the face-only person is searched
around their face in those frames too (before: not at all, 4 frames unseen).

Every bound is in frames of the synthetic 5 fps clock, never wall time."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Report  # noqa: E402
from test_tracking_worker import STEP_US, still_run  # noqa: E402

SEARCH_MS = 1000
SETS = ["track.min_hits=2", "track.stable_ms=800", "track.recheck_ms=600000", "track.recheck_box_change=2",
        "track.consensus_n=3", "track.consensus_window=5", "worker.frame_search=1",
        "worker.frame_search_ms=%d" % SEARCH_MS, "worker.tile_px=240",   # tiles up to 240: a face of ~90 px
        "camera.hall.token=hall-token-12", "camera.hall.mode=indoor"]
N = 30                          # frames, 6 s at 5 fps
BODY = (180, 60, 110)           # the person ingest gives a box for
FACE_ONLY = (470, 70, 80)       # the person it does not: its head region (~2.4 faces) fits a tile
FRAMES_PER_MS = 1000.0 / STEP_US


def run(rep, extra):
    frames = lambda on, off: [([(on,) + BODY, (off,) + FACE_ONLY], {"bodies": 1})] * N  # noqa: E731
    with still_run(rep, "gw-e2e-faceonly-", "hall", SETS + extra, frames) as w:
        if w is None:
            return rep.done()
        fids, by_fid = w.fids, w.by_fid
        runs = w.per_frame(rep, r"camera=hall persons=\d+ .* face_runs=(\d+)\+(\d+) half=(\d+)", "face_runs=")
        if runs is None:
            return rep.done()
        runs = {f: tuple(int(v) for v in g) for f, g in runs.items()}

        # the face-only person (right of the person box): its box is made from its face, so it is in
        # a frame's RESULT only when a search found that face there
        def face_only(r):
            return [p for p in r["persons"] if p["body"][0] > 300 and p["track"]]
        seen = [len(face_only(by_fid[f])) == 1 for f in fids]
        first = seen.index(True) if True in seen else N
        rep.check(first <= 2 and all(seen[first:]), "the face-only person's face is found in every frame",
                  "".join("x" if s else "." for s in seen))
        tracks = {p["track"] for f in fids[first + 3:] for p in face_only(by_fid[f])}
        rep.check(len(tracks) == 1, "one track for the face-only person", sorted(tracks))

        # settled (stable_ms after the consensus, both people): whole-frame runs on the timer only
        whole = [runs[f][0] for f in fids]
        span = range(15, N)
        searched = [i for i in span if whole[i] > whole[i - 1]]
        bound = len(span) // int(SEARCH_MS * FRAMES_PER_MS) + 2
        rep.check(len(searched) <= bound,
                  "the whole frame is searched on worker.frame_search_ms, not every frame: %d of %d frames"
                  " (at most %d)" % (len(searched), len(span), bound), [whole[i] for i in span])
        rep.check(searched and all(b - a <= int(SEARCH_MS * FRAMES_PER_MS) for a, b in zip(searched, searched[1:])),
                  "and still every worker.frame_search_ms", searched)
        boxes, half = [runs[f][1] for f in fids], [runs[f][2] for f in fids]
        between = [i for i in span if i not in searched]
        rep.check(between and all(boxes[i] - boxes[i - 1] == 1 and half[i] - half[i - 1] == 1 for i in between),
                  "between them, one half-height run (the face-only person's head region) a frame",
                  [(boxes[i] - boxes[i - 1], half[i] - half[i - 1]) for i in span])
    return rep.done()


def main():
    rep = Report()
    for extra in ([], ["worker.frame_skip=1"]):
        print("# settings: the test's%s" % "".join(" + " + e for e in extra), flush=True)
        run(rep, extra)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

"""test_face_cache - the worker searches a person's face only while the
person needs a look, counted, not timed: the real worker (real face and
mask networks) between a fake dispatcher and a fake notifier
(test_pipeline_worker.py), fed a still person through the spool with the
frame times we choose (test_tracking_worker.py's Run), on an indoor camera.

  1. a masked person stands still: looked at until the mask state is
     settled and stable (track.stable_ms), then the face detector does not
     run for that person (each RESULT's face_time holds the frame's runs:
     what /metrics adds up) but for the whole-frame search every
     worker.frame_search_ms, until the re-look after track.recheck_ms;
  2. the same person takes the mask off after the PASS: the re-look sees
     it, the person is looked at again until the state flips to mask_off
     (DENY no_mask, same track), and the alert comes after alert.after_ms.

Every bound is in frames of the synthetic 5 fps clock, never wall time."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Report  # noqa: E402
from test_tracking_worker import STEP_US, still_run  # noqa: E402

STABLE_MS, RECHECK_MS, SEARCH_MS, ALERT_MS = 800, 2000, 1000, 1500
SETS = ["track.min_hits=2", "track.stable_ms=%d" % STABLE_MS, "track.recheck_ms=%d" % RECHECK_MS,
        "track.recheck_box_change=2", "track.consensus_n=3", "track.consensus_window=5",
        "alert.after_ms=%d" % ALERT_MS, "worker.frame_search=1", "worker.frame_search_ms=%d" % SEARCH_MS,
        "camera.hall.token=hall-token-12", "camera.hall.mode=indoor"]
N_ON, N_OFF = 25, 30           # frames: masked, then the mask off
PERSON = (300, 60, 110)        # still: the same box in every frame
PASS, DENY, NO_MASK = 1, 2, 1
FRAMES_PER_MS = 1000.0 / STEP_US   # frames of the synthetic clock per ms


def runs(r):
    """Face detector runs in one frame: its RESULT's face_time count."""
    return r["face_time"][12]


def main():
    rep = Report()
    frames = lambda on, off: [([(on,) + PERSON], {})] * N_ON + [([(off,) + PERSON], {})] * N_OFF  # noqa: E731
    with still_run(rep, "gw-e2e-facecache-", "hall", SETS, frames) as w:
        if w is None:
            return rep.done()
        fids, by_fid, tracks, pos = w.fids, w.by_fid, w.tracks, w.pos
        looked = w.per_frame(rep, r"camera=hall persons=\d+ faces=\d+ classified=(\d+) skipped=\d+", "classified=")
        looked = {f: int(g[0]) for f, g in (looked or {}).items()}
        nrun = [runs(by_fid[f]) for f in fids]
        look = [looked.get(f, 1) for f in fids]
        rep.check(len(tracks) == 1, "one person, one track", list(tracks))
        ev = list(tracks.values())[0] if tracks else []

        # 1. masked and still: settled, stable, then no search but the whole frame's and the re-look
        changed = [e for e in ev if e["kind"] == "changed"]
        first = changed[0] if changed else None
        rep.check(first is not None and (first["verdict"], first["reason"]) == (PASS, 0)
                  and pos.get(first["result"]["frame"], N_ON) < N_ON,
                  "the masked person is settled PASS", [(e["kind"], e["verdict"]) for e in ev])
        if first is None:
            return rep.done()
        i_set = pos[first["result"]["frame"]]
        rep.check(all(look[:i_set + 1]) and all(n >= 1 for n in nrun[:i_set + 1]),
                  "looked at, face detector run, in every frame until settled", (look[:i_set + 1], nrun[:i_set + 1]))
        # stable after track.stable_ms of agreement: frames i_set + stable .. N_ON
        i_stable = i_set + int(STABLE_MS * FRAMES_PER_MS + 0.5)
        span = list(range(i_stable + 1, N_ON))
        quiet = [i for i in span if nrun[i] == 0]
        searched = [i for i in span if nrun[i] > 0]
        # whole-frame searches every SEARCH_MS, and re-looks every RECHECK_MS (each a head-region run
        # and the whole frame's): at most this many frames with a run
        bound = len(span) // int(SEARCH_MS * FRAMES_PER_MS) + len(span) // int(RECHECK_MS * FRAMES_PER_MS) + 2
        rep.check(len(span) >= 10 and len(searched) <= bound and len(quiet) >= len(span) - bound,
                  "a stable person costs no face search: %d of %d frames without a detector run (at most %d with)"
                  % (len(quiet), len(span), bound), list(zip(look, nrun))[i_stable + 1:N_ON])
        rep.check(all(nrun[i] <= 1 for i in span if not look[i]),
                  "frames that skip the person run at most the whole-frame search",
                  [(i, nrun[i]) for i in span if not look[i] and nrun[i] > 1])
        skips = [i for i in span if not look[i]]
        whole_gaps = [b - a for a, b in zip(searched, searched[1:])]
        rep.check(skips and all(g <= int(SEARCH_MS * FRAMES_PER_MS) for g in whole_gaps),
                  "the whole frame is still searched every worker.frame_search_ms", searched)
        relooks = [i for i in span if look[i]]
        rep.check(relooks and relooks[0] - i_stable <= int(RECHECK_MS * FRAMES_PER_MS) + 1,
                  "a stable person is looked at again after track.recheck_ms", relooks)

        # 2. the mask comes off after the PASS: the re-look catches it
        flips = [e for e in changed if (e["verdict"], e["reason"]) == (DENY, NO_MASK)]
        i_flip = pos.get(flips[0]["result"]["frame"], -1) if flips else -1
        within = int(RECHECK_MS * FRAMES_PER_MS) + 5 + 1   # a re-look, then consensus_n of the window
        rep.check(i_flip >= N_ON and i_flip - N_ON <= within,
                  "the mask taken off after the PASS is seen: DENY no_mask within %d frames (%s)"
                  % (within, i_flip - N_ON if i_flip >= 0 else None),
                  [(e["kind"], e["verdict"], e["reason"]) for e in ev])
        alerts = [e for e in ev if e["kind"] == "alert"]
        rep.check(len(alerts) == 1 and pos.get(alerts[0]["result"]["frame"], -1) > i_flip >= 0,
                  "then the alert (alert.after_ms of non-compliance), once",
                  [(e["kind"], pos.get(e["result"]["frame"])) for e in ev])
        rep.check(all(look[N_ON:i_flip + 1][-3:]) if i_flip >= N_ON else False,
                  "looked at in every frame while the change is being settled", look[N_ON:i_flip + 1])
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

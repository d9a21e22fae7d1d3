"""test_gate_renew - at a gate, a track never changes who it is: the real
worker (real face and mask networks) between a fake dispatcher and a fake
notifier (test_pipeline_worker.py), fed through the spool with the frame
times we choose (test_tracking_worker.py's Run), on a gate camera.

A masked person stands in one spot and is decided PASS; then, without a
gap, someone unmasked stands in the same box (a person stepping into the
spot of one who just left, or a fake camera cycling two photos). The gate
shows one verdict per person, so a CHANGED of the first person would show
on the dashboard only (round 6: PASS/DENY flipping there while the camera
page kept its first verdict), and the unmasked person would keep the PASS.
Instead (docs/TRACKING.md, new_on_change): a new track, NEW, its own
decision DENY no_mask naming its own snapshot, then the first one's ENDED,
in one RESULT; that frame's person shows the new verdict; no track changes
its verdict after its decision.

Every bound is in frames of the synthetic 5 fps clock, never wall time."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Report  # noqa: E402
from test_tracking_worker import still_run  # noqa: E402

RECHECK_MS = 2000
SETS = ["track.recheck_ms=%d" % RECHECK_MS, "camera.gate1.token=gate1-token-1"]
N_ON, N_OFF = 12, 25           # frames: the masked person, then the unmasked one
PERSON = (300, 60, 110)        # still: the same box in every frame
PASS, DENY, NO_MASK = 1, 2, 1


def main():
    rep = Report()
    frames = lambda on, off: [([(on,) + PERSON], {})] * N_ON + [([(off,) + PERSON], {})] * N_OFF  # noqa: E731
    with still_run(rep, "gw-e2e-gaterenew-", "gate1", SETS, frames) as w:
        if w is None:
            return rep.done()
        tmp, fids, by_fid, tracks, pos = w.tmp, w.fids, w.by_fid, w.tracks, w.pos
        order = sorted(tracks, key=lambda t: pos.get(tracks[t][0]["result"]["frame"], len(fids)))
        desc = {t: [(e["kind"], e["verdict"], e["reason"], e["decision"]) for e in tracks[t]] for t in order}
        rep.check(len(order) == 2, "two people: the masked one, then the one who took the spot", desc)
        if len(order) != 2:
            return rep.done()
        first, second = tracks[order[0]], tracks[order[1]]
        dec1 = [e for e in first if e["decision"] == 1]
        dec2 = [e for e in second if e["decision"] == 1]
        rep.check(len(dec1) == 1 and (dec1[0]["verdict"], dec1[0]["reason"]) == (PASS, 0)
                  and pos.get(dec1[0]["result"]["frame"], N_ON) < N_ON,
                  "the masked person: one decision, PASS, while there", desc[order[0]])
        rep.check(len(dec2) == 1 and (dec2[0]["verdict"], dec2[0]["reason"]) == (DENY, NO_MASK)
                  and pos.get(dec2[0]["result"]["frame"], -1) >= N_ON,
                  "the unmasked person: one decision of its own, DENY no_mask", desc[order[1]])
        after = [(t, e["kind"], e["verdict"]) for t in order for i, e in enumerate(tracks[t])
                 if e["kind"] == "changed" and e["decision"] != 1
                 and any(x["decision"] == 1 for x in tracks[t][:i])]
        rep.check(not after, "no track changes its verdict after its decision", after)
        if not dec2:
            return rep.done()
        r = dec2[0]["result"]
        kinds = [(e["track"] == order[1], e["kind"]) for e in r["events"]]
        rep.check(kinds[-3:] == [(True, "new"), (True, "changed"), (False, "ended")],
                  "in one RESULT: the new person's NEW and decision, then the first one's ENDED", kinds)
        snap = dec2[0]["snapshot"]
        rep.check(snap == "snapshots/gate1/%d.jpg" % order[1] and os.path.getsize(os.path.join(tmp, snap)) > 1000,
                  "the new person's decision names its own snapshot, already written", snap)
        p = by_fid.get(r["frame"], {}).get("persons", [])
        rep.check(len(p) == 1 and (p[0]["verdict"], p[0]["reason"]) == (DENY, NO_MASK),
                  "that frame's person shows the new person's verdict", p)
        # its track too: the gate message finds its person by track id
        # (notifier/fanout.c), the dashboard drops a person whose track ended
        rep.check(len(p) == 1 and p[0]["track"] == order[1],
                  "that frame's person is the new person's track, not the one that ended", p)
        i_new = pos.get(r["frame"], -1)
        rep.check(0 <= i_new - N_ON <= int(RECHECK_MS / 200) + 5,
                  "seen at the re-look (track.recheck_ms), decided within a few looks (%d frames)" % (i_new - N_ON))
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

"""test_gate_stall - a dispatcher that stalls with a person's frames queued
must not end that person: the real worker (real face and mask networks)
between a fake dispatcher and a fake notifier (test_pipeline_worker.py),
fed through the spool (test_tracking_worker.py's frames).

A masked person stands at a gate camera, 5 frames/s, their frames stamped
with the wall clock as ingest receives them (50 ms in ingest). The worker
is LAG_S behind (each frame is handed over LAG_S after its receipt: a
queue), so when the dispatcher stalls, frames of the person are already
in the spool's queue. The dispatcher hands nothing over for STALL_S, then
hands over the queued frames and the rest of the visit; the person leaves
after the last frame.

worker/lag.c trusted ingest's time once the worker had waited
LAG_QUEUE_EMPTY_US (1 s): its idle tick jumped ahead by the LAG_S of queue
wait, past track.max_missing_ms since the person's last frame handed over
(LAG_S + 1 s + the ticks > 3 s), ended them, and their queued frames made
a new person, decided again: the gate got two verdicts for one person.
The frames still in the spool's queue say how far the frames' clock may
go: never past the oldest one's receipt.

During the stall the dispatcher also hands over ingest's FRAME_EMPTY of a
frame received 3.2 s after the person's last frame handed over (a frame
ingest found nobody in, as a hint the dispatcher passes on when it knows
of no older frame): the worker takes its time as the frames' clock only up
to the oldest queued frame's receipt, so it ends nobody either.

Checks: one person, one decision, no ENDED before their last frame; they
do end by time once gone (the tick still runs)."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from lib import MODELS, Report, wait_until  # noqa: E402
from test_pipeline_worker import Dispatcher, NOFRAME, frame_file  # noqa: E402
from test_tracking_worker import H, W, person_frame, set_args, tracks_of, worker_env, worker_env_down  # noqa: E402

CAM = "gate1"
SETS = ["camera.gate1.token=gate1-token-1", "track.max_missing_ms=3000"]
STEP_US = 200000    # 5 frames/s
INGEST_US = 50000   # receipt -> spool commit
LAG_S = 2.0         # each frame handed over this long after its receipt
STALL_S = 2.5       # the dispatcher hands nothing over this long
N_BEFORE, N = 8, 40  # frames handed over before the stall; frames of the visit


def main():
    rep = Report()
    env = worker_env(rep, "gw-e2e-gatestall-")
    if env is None:
        return rep.done()
    tmp, notifier, (on, _off) = env
    d = None
    try:
        d = Dispatcher(tmp, CAM, MODELS, set_args(SETS))
        if not rep.check(d.ready(120), "the worker says hello (models loaded)"):
            return rep.done()
        q = os.path.join(tmp, "spool", "queue", CAM)
        os.makedirs(q, exist_ok=True)
        os.makedirs(os.path.join(tmp, "spool", "active", CAM), exist_ok=True)
        img, boxes = person_frame([(on, 300, 60, 110)])
        t0 = int(time.time() * 1e6) + 200000
        fids, written, ok = [], 0, True
        stall_end = None
        empty_t = t0 + (N_BEFORE - 1) * STEP_US + 3200000   # within the stall
        empty_sent = False

        def spool_due(now_us):
            """ingest: every frame received by now is in the queue"""
            nonlocal written
            while written < N and t0 + written * STEP_US + INGEST_US <= now_us:
                t = t0 + written * STEP_US
                fid = "%016d-%03d" % (t, written)
                meta = {"received_us": t, "width": W, "height": H, "persons": boxes}
                p = os.path.join(q, fid + ".jpg")
                with open(p + ".tmp", "wb") as f:
                    f.write(frame_file(img, json.dumps(meta)))
                os.utime(p + ".tmp", ns=((t + INGEST_US) * 1000,) * 2)
                os.rename(p + ".tmp", p)
                fids.append(fid)
                written += 1

        deadline = time.monotonic() + 180
        for i in range(N):
            # frame i is handed over LAG_S after its receipt, none during the
            # stall (after the first N_BEFORE), then the queued ones at once
            due = t0 + i * STEP_US + int(LAG_S * 1e6)
            if i == N_BEFORE:
                stall_end = int(time.time() * 1e6) + int(STALL_S * 1e6)
            if i >= N_BEFORE:
                due = max(due, stall_end)
            while time.monotonic() < deadline:
                now = int(time.time() * 1e6)
                spool_due(now)
                if i == N_BEFORE and not empty_sent and now >= empty_t:
                    d.sock.send(gwmsg.frame_empty(CAM, "%016d-999" % empty_t, empty_t))
                    empty_sent = True
                if now >= due and written > i:
                    break
                time.sleep(0.02)
            d.frame(CAM, fids[i])
            got = d.done(60)
            ok &= got is not None and got[0] == fids[i] and got[1] == 0
        spool_due(int(time.time() * 1e6) + 10**9)
        rep.check(ok and len(fids) == N, "every frame analysed (%d, %d before the stall)" % (N, N_BEFORE))
        rep.check(empty_sent and empty_t < stall_end, "a FRAME_EMPTY came during the stall")

        def tracks():
            with notifier.lock:
                return tracks_of([r for r in notifier.parsed if r["camera"] == CAM], CAM)

        rep.check(wait_until(lambda: tracks() and all(any(e["kind"] == "ended" for e in ev)
                                                      for ev in tracks().values()), 30),
                  "the person ends by time once gone")
        rc = d.close(20)
        d = None
        rep.check(rc == 0, "the worker exits 0", rc)
        tr = tracks()
        desc = {t: [(e["kind"], e["verdict"], e["decision"]) for e in ev] for t, ev in tr.items()}
        dec = [e for ev in tr.values() for e in ev if e["decision"] == 1]
        rep.check(len(tr) == 1, "the dispatcher stalled %.1f s with their frames queued: one person" % STALL_S, desc)
        rep.check(len(dec) == 1 and dec[0]["verdict"] == 1, "one decision, PASS", desc)
        last_t = t0 + (N - 1) * STEP_US
        with notifier.lock:
            ends = [(r["received_us"], r["flags"] & NOFRAME) for r in notifier.parsed if r["camera"] == CAM
                    and any(e["kind"] == "ended" for e in r["events"])]
        rep.check(len(ends) == 1 and ends[0][0] > last_t,
                  "their one ENDED comes after their last frame (frames' clock)",
                  [(e[0] - last_t, e[1]) for e in ends])
    finally:
        worker_env_down(rep, tmp, d, notifier)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

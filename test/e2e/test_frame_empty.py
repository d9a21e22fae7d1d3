"""test_frame_empty - ingest's "nobody in this frame" (MSG_FRAME_EMPTY)
ends a person who left on time: the real worker (real networks) fed by a
stand-in dispatcher, the real notifier and a stand-in ingest peer that
records the gate messages.

  leaver  a person whose face never shows stands 3 frames and leaves; their
          frames took ingest 3.5 s (receipt -> spool), so the worker's idle
          tick runs 3.5 s behind the wall clock (worker/lag.c). The camera's
          next frames are empty (ingest spools none, it says FRAME_EMPTY):
          one 1 s after the leaver's last frame ends nobody; one 3.1 s
          after (past track.max_missing_ms, 3 s) decides and ends them at
          once, so the gate hears their DENY face_not_visible and left
          before the next person's first frame is sent, 5.5 s after; without
          the message the tick gets there only ~6.5 s after (the next
          person's frame first, whose time ends them). The leaver's
          events are in a RESULT of no frame, at the empty frame's time.
  late    the next person leaves, and FRAME_EMPTYs come every 100 ms, all
          of frames received 0.5 s after their frame (ingest slow on them):
          they keep the worker's 250 ms idle tick from running, so the
          worker applies the idle tick's clock with each: the person ends
          about track.max_missing_ms after their frame, not never.
  other   a FRAME_EMPTY for another camera is ignored (logged).
  ahead   a FRAME_EMPTY stamped an hour ahead of the clock is ignored
          (logged): it would move the tracker's clock there for good.

Photos: mask-faces val, calibrated at run time (test_tracking_worker)."""
import os
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from lib import MODELS, Report, cleanup, keep_if_failed, wait_until  # noqa: E402
from notifier_env import Notifier  # noqa: E402
from test_gate_people import Ingest, db_rows  # noqa: E402
from test_pipeline_worker import Dispatcher  # noqa: E402
from test_tracking_worker import Run, pick_photos  # noqa: E402

try:
    import numpy as np
except ImportError:
    np = None

CAM = "leaver"
INGEST_US = 3500000      # each person frame's receipt -> spool commit
NEXT_US = 5500000        # the next person's first frame, after the leaver's last
DENY = 2


def now_us():
    return int(time.time() * 1e6)


def sleep_until(t_us):
    """Sleep until the wall clock reads t_us (bounded: at most 10 s)."""
    time.sleep(max(0.0, min(10.0, (t_us - now_us()) / 1e6)))


def main():
    rep = Report()
    if np is None:
        rep.fail("python3-numpy", "import numpy failed: run with /usr/bin/python3")
        return rep.done()
    tmp = tempfile.mkdtemp(prefix="gw-e2e-empty-")
    n = ing = d = None
    try:
        photos = pick_photos(tmp, rep)
        if photos is None:
            return rep.done()
        on = photos[0]
        blank = np.full((120, 100, 3), 160, np.uint8)   # a head without a face
        sets = ["gate.face_prompt_ms=1500", "gate.face_timeout_ms=6000", "gate.face_timeout_verdict=DENY",
                "track.min_hits=1", "log.level=debug"]
        n = Notifier(tmp=tmp, cameras=[(CAM, CAM, "gate")],
                     extra=sum((["--set", x] for x in sets), [])).start()
        gwdir = n.dir
        ing = Ingest(n.sock)
        db = sqlite3.connect(os.path.join(gwdir, "gatewatch.db"), timeout=5)
        d = Dispatcher(gwdir, CAM, MODELS, ["--set", "camera.%s.token=token-%s" % (CAM, CAM)] +
                       sum((["--set", x] for x in sets), []))
        gwmsg.announce(n.sock, CAM, d.proc.pid)
        if not d.ready(120):
            raise RuntimeError("the worker did not say hello within 120 s")

        # ---- the leaver: 3 frames 200 ms apart, each 3 s in ingest ---------
        run = Run(gwdir, CAM, d, 0)
        ok = True
        for i in range(3):
            if i:
                time.sleep(0.2)
            run.t = now_us() - INGEST_US - 1
            ok &= run.send([(blank, 300, 60, 110)], gap_us=1, ingest_us=INGEST_US)
        rep.check(ok, "leaver: their frames analysed")
        last = run.frames[-1][1]

        def verdicts():
            return [m for m in ing.of(CAM) if m["kind"] == gwmsg.GATE_VERDICT]

        def left():
            return [m for m in ing.of(CAM) if m["kind"] == gwmsg.GATE_LEFT]

        # an empty frame 1 s after the leaver's last: not gone long enough
        sleep_until(last + 1000000)
        d.sock.send(gwmsg.frame_empty(CAM, "%016d-901" % (last + 1000000), last + 1000000))
        d.sock.send(gwmsg.frame_empty("elsewhere", "%016d-902" % (last + 1000000), last + 3100000))
        time.sleep(0.2)
        rep.check(not verdicts() and not left(), "an empty frame 1 s after the leaver's last ends nobody",
                  ing.of(CAM))

        # an empty frame past track.max_missing_ms: decided and ended at once
        sleep_until(last + 3100000)
        sent = now_us()
        d.sock.send(gwmsg.frame_empty(CAM, "%016d-903" % (last + 3100000), last + 3100000))
        wait_until(lambda: left(), max(0.1, (last + NEXT_US - now_us()) / 1e6))
        at = now_us()
        v = verdicts()
        rep.check(v and left() and at <= last + NEXT_US,
                  "leaver: their verdict and left reach the gate before the next person's first frame is sent"
                  " (%.2f s after the empty frame past track.max_missing_ms, %.2f s after the leaver's last frame;"
                  " the next person %.1f s after it)" % ((at - sent) / 1e6, (at - last) / 1e6, NEXT_US / 1e6),
                  [(m["kind"], m["verdict"], m["reason"]) for m in ing.of(CAM)])
        rep.check(v and v[0]["verdict"] == DENY and v[0]["reason"] == gwmsg.REASONS["face_not_visible"],
                  "leaver: DENY face_not_visible as they leave", v)

        # ---- the next person ------------------------------------------------
        sleep_until(last + NEXT_US)
        run.t = last + NEXT_US - 1
        ok = run.send([(on, 300, 60, 110)], gap_us=1, ingest_us=max(0, now_us() - (last + NEXT_US)))
        rep.check(ok, "next: their frame analysed")
        wait_until(lambda: len(verdicts()) >= 2, 20)
        g = [(m["kind"], m["verdict"]) for m in ing.of(CAM)]
        rep.check([k for k, _ in g][:4] == [gwmsg.GATE_APPEARED, gwmsg.GATE_VERDICT, gwmsg.GATE_LEFT,
                                            gwmsg.GATE_APPEARED],
                  "the gate hears the leaver's appeared, verdict, left, then the next person", g)
        ev = db_rows(db, "SELECT track_id, kind, verdict, reason, decision, at_us, frame_id FROM track_events"
                     " WHERE camera = ? ORDER BY track_id, seq", (CAM,))
        leaver = [e for e in ev if e[0] == ev[0][0]] if ev else []
        fids = {f[0] for f in run.frames}
        rep.check([e[1] for e in leaver] == ["new", "changed", "ended"] and
                  all(e[6] not in fids and e[5] == last + 3100000 for e in leaver[1:]),
                  "leaver: decided and ended in a RESULT of no frame, at the empty frame's time",
                  [(e[1], e[5] - last, e[6] in fids) for e in leaver])

        # ---- an empty frame stamped far ahead of the clock ---------------------
        # The tracker's clock never goes back: one FRAME_EMPTY an hour ahead
        # would end the next person (and stamp everything after) at once.
        far = now_us() + 3600 * 1000000
        d.sock.send(gwmsg.frame_empty(CAM, "%016d-%03d" % (far, 999), far))
        wlog = os.path.join(gwdir, "worker.log")

        def ahead():
            with open(wlog, errors="replace") as f:
                return "s ahead of the clock, ignored" in f.read()
        wait_until(ahead, 10)
        rep.check(ahead() and len(left()) < 2,
                  "a FRAME_EMPTY an hour ahead of the clock is ignored, logged, and ends nobody",
                  [(m["kind"], m["verdict"]) for m in ing.of(CAM)])

        # ---- empty frames answered late, faster than the idle tick ------------
        # The next person leaves; ingest's FRAME_EMPTYs come every 100 ms (more
        # often than the worker's 250 ms idle tick) but all of frames received
        # 0.5 s after their frame: ingest is slow on them. The idle tick's
        # clock (their frame took ingest no time) still ends them on time.
        nxt = run.frames[-1][1]
        end = time.monotonic() + 12
        k = 0
        while time.monotonic() < end and len(left()) < 2:
            k += 1
            d.sock.send(gwmsg.frame_empty(CAM, "%016d-%03d" % (nxt + 500000 + k, k % 1000), nxt + 500000 + k))
            time.sleep(0.1)
        at = now_us()
        rep.check(len(left()) >= 2,
                  "next: ended by time while empty frames answered late come faster than the idle tick"
                  " (%.1f s after their frame, %d FRAME_EMPTYs)" % ((at - nxt) / 1e6, k),
                  [(m["kind"], m["verdict"]) for m in ing.of(CAM)])
        d.close(20)
        d = None
        with open(os.path.join(gwdir, "worker.log"), errors="replace") as f:
            log = f.read()
        rep.check("frame_empty for camera=elsewhere" in log, "a FRAME_EMPTY for another camera is ignored, logged")
    finally:
        cleanup(lambda: d is not None and d.close(5),
                lambda: ing is not None and setattr(ing, "stop", True),
                lambda: n is not None and n.stop())
        keep_if_failed(rep, tmp)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

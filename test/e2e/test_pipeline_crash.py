"""test_pipeline_crash - kill -9 parts of a running pipeline and check that
nothing is lost or stored twice: (1) a camera's worker while its frames are
being analysed (the dispatcher restarts it; the frame left in active/ is
redelivered), (2) the notifier (`gatewatch up` restarts it; workers resend
unacknowledged results). Afterwards every accepted frame has exactly one
stored result and the spool is empty.

Since issue 4 the store holds people, not frames: "exactly one stored
result" is checked as every accepted frame analysed and acknowledged (twice
at most, for the frame the killed worker was on), every person in it a
stored track, and every track event stored once with seq 1..n (the worker
resends unacknowledged events with the same (camera, track id, seq)).
A killed worker's open tracks stay open: its tracker died with it."""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (Gatewatch, Report, check_pipeline_tracks, images_darknet, images_faceapi,  # noqa: E402
                 images_masks, wait_until, worker_frames, NO_PERSON_PHOTOS, PER_PHOTO_TRACKING)


def frames_with_people():
    """Photos the person detector accepts, repeated to make a longer run."""
    base = [p for p in images_darknet() if os.path.basename(p) not in NO_PERSON_PHOTOS] + images_faceapi()
    return (base * 3)[:24]


def count(gw, camera=None):
    """Frames analysed and acknowledged so far (of camera)."""
    return sum(1 for (cam, _) in worker_frames(gw.log("dispatcher")) if camera is None or cam == camera)


def push_background(gw, plan):
    box = {}
    t = threading.Thread(target=lambda: box.update(gw.push_many(plan)))
    t.start()
    return t, box


def collect(rep, label, plan, box):
    answers = {}
    for cam, files in plan.items():
        a = box.get(cam)
        if isinstance(a, Exception) or a is None:
            rep.fail("%s: push %s" % (label, cam), a)
            answers[cam] = []
        else:
            answers[cam] = a
            rep.check(len(a) == len(files), "%s: %s: every frame got an answer" % (label, cam),
                      "%d answers for %d frames" % (len(a), len(files)))
    return answers


def kill_worker(rep):
    files = frames_with_people()
    plan = {"cam1": files, "cam2": images_masks(4)}
    with Gatewatch("crash-worker", cameras=("cam1", "cam2", "cam3"), sets=PER_PHOTO_TRACKING) as gw:
        if not gw.started(rep, "worker kill"):
            return
        t, box = push_background(gw, plan)
        # Kill once cam1's worker has committed something, so it is mid-run.
        started = wait_until(lambda: gw.worker_pids("cam1") and count(gw, "cam1") > 0, 120, 0.1)
        pids = gw.worker_pids("cam1")
        mark = len(gw.log("dispatcher"))
        if started and pids:
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            rep.ok("worker kill: killed cam1's worker pid %s mid-run" % pids)
        else:
            rep.fail("worker kill: cam1's worker ran", "no worker process or no result within 120 s")
        t.join(400)
        answers = collect(rep, "worker kill", plan, box)
        back = wait_until(lambda: "worker start camera=cam1" in gw.log("dispatcher")[mark:], 60, 0.2)
        rep.check(back, "worker kill: the dispatcher started a new worker for cam1", "no second start in dispatcher.log")
        check_pipeline_tracks(rep, gw, answers, "worker kill", crash=True)
        if rep.failed:
            gw.failed = True


def kill_notifier(rep):
    files = frames_with_people()
    plan = {"cam1": files[:12], "cam3": files[12:]}
    with Gatewatch("crash-notifier", cameras=("cam1", "cam2", "cam3"), sets=PER_PHOTO_TRACKING) as gw:
        if not gw.started(rep, "notifier kill"):
            return
        old = gw.child_pid("notifier")
        t, box = push_background(gw, plan)
        wait_until(lambda: count(gw) > 0, 120, 0.1)
        if old:
            os.kill(old, signal.SIGKILL)
            rep.ok("notifier kill: killed the notifier pid %d mid-run" % old)
        else:
            rep.fail("notifier kill: notifier running", "no gatewatch-notifier process found")
        new = wait_until(lambda: (gw.child_pid("notifier") or old) != old and gw.child_pid("notifier"), 60, 0.2)
        rep.check(new, "notifier kill: gatewatch up restarted the notifier", "still %s after 60 s" % gw.child_pid("notifier"))
        t.join(400)
        answers = collect(rep, "notifier kill", plan, box)
        check_pipeline_tracks(rep, gw, answers, "notifier kill")
        rep.check(gw.alive(), "notifier kill: gatewatch up is still running", "it exited")
        if rep.failed:
            gw.failed = True


def main():
    rep = Report()
    if not frames_with_people():
        rep.fail("test photos", "none found")
        return rep.done()
    kill_worker(rep)
    time.sleep(0.5)
    kill_notifier(rep)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

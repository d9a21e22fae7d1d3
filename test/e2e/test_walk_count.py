"""test_walk_count - how the walk-through bench (test/bench/walk.py) gives
a gate camera's verdicts to the visits of its timeline, on a scripted
camera log (no programs run): what round 7's bench counted as 16 "later
verdicts" in one round (docs/BENCHMARKS.md 3i) was

- verdicts of the run before's people, sent again when the camera
  connected (before its first frame): counted apart, not a visit's;
- a person decided as they leave, at the next person's first frame: the
  visit of the track's first frame (first_seen_ms), not of the frame the
  verdict names (that left the person's visit undecided, and gave the next
  one a second verdict), counted as decided after the next person came;
- a second, unannotated person in a photo (835.jpg's bystander): another
  person in the photo, not the annotated person decided again;

while a person renewed in place (a second track of the visit's annotated
person) is a later verdict."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
from lib import Report  # noqa: E402
import walk  # noqa: E402

T0 = 1000.0                      # the camera's first send (time.time())
FACE0 = (300, 100, 80, 90)       # the annotated faces in the frame
FACE1 = (250, 120, 90, 100)
BODY0 = [250, 60, 180, 400, 0.9]
BODY1 = [200, 80, 200, 390, 0.9]


class Cam:
    """walk.Camera's log: sent [(plan index, time)], msgs [(time, msg)]."""

    def __init__(self, n):
        self.sent = [(k, T0 + k * 0.2) for k in range(n)]
        self.dropped = 0
        self.msgs = [(t + 0.05, {"type": "answer", "seq": i + 1, "frame": fid(k), "status": "accepted"})
                     for i, (k, t) in enumerate(self.sent)]


def fid(k):
    return "%d-000" % int((T0 + k * 0.2 + 0.01) * 1e6)


class Live:
    """pipeline.Live's answers: /live persons of a frame, a track's first_seen_ms."""

    def __init__(self):
        self.persons, self.first = {}, {}

    def get(self, f):
        return (0, {"persons": self.persons[f]}) if f in self.persons else None

    def track_first_seen(self, track):
        return self.first.get(str(track))


def verdict(t, track, k, v="DENY", reason="no_mask"):
    return (t, {"type": "verdict", "track": track, "frame": fid(k) if k is not None else "1-000",
                "verdict": v, "reason": reason})


def main():
    rep = Report()
    visits = [(0, 5, 14), (1, 35, 44)]          # (photo, first frame, last frame)
    plan = [None] * 50
    for p, a, b in visits:
        plan[a:b + 1] = [p] * (b - a + 1)
    cam, live = Cam(50), Live()
    for k in range(5, 15):                      # visit 0: track 1 (face never found)
        live.persons[fid(k)] = [{"track": 1, "body": BODY0, "face": None}]
    live.first["1"] = int(fid(5).split("-")[0]) // 1000
    for k in range(35, 45):                     # visit 1: track 2, its bystander track 3
        live.persons[fid(k)] = [{"track": 2, "body": BODY1, "face": list(FACE1) + [0.99]},
                                {"track": 3, "body": None, "face": [20, 100, 60, 70, 0.9]}]
    cam.msgs.insert(0, (T0 - 0.5, {"type": "person", "track": "9", "event": "appeared"}))
    cam.msgs.insert(1, verdict(T0 - 0.5, "9", None, "PASS", ""))   # the run before's person
    cam.msgs += [verdict(T0 + 7.3, "1", 36, "DENY", "face_not_visible"),  # decided as they left
                 verdict(T0 + 7.3, "2", 36), verdict(T0 + 7.6, "3", 37, "PASS", "")]
    accepted = [fid(k) for k, _ in cam.sent]

    def count():
        return walk.figures(live, [FACE0, FACE1], {"cam1": (plan, visits)}, {"cam1": cam}, accepted,
                            {}, {}, (0.0, 0.0), 10)

    r = count()
    rep.check(r["undecided"] == 0 and len(r["ttv"]) == 2,
              "each visit's person decided (the one decided as they left, at the next person's frame)",
              "undecided %d, decided %d" % (r["undecided"], len(r["ttv"])))
    rep.check(r["verdicts"].get("DENY face_not_visible") == 1 and r["verdicts"].get("DENY no_mask") == 1,
              "each visit's first verdict is its person's", "verdicts %r" % r["verdicts"])
    rep.check(r["extra"] == 0, "no later verdict (round 7's bench: 3)", "later %d" % r["extra"])
    rep.check(r.get("after_next") == 1, "the person decided as they left: decided after the next person came",
              "after the next %r" % r.get("after_next"))
    rep.check(r.get("other") == 1, "the bystander: another person in the photo", "other %r" % r.get("other"))
    rep.check(r.get("carried") == 1 and r.get("stray") == 0,
              "the run before's person, sent at connect, is counted apart",
              "carried %r, stray %r" % (r.get("carried"), r.get("stray")))

    # the visit's person renewed in place: a second track of the annotated face
    for k in range(40, 45):
        live.persons[fid(k)] = [{"track": 4, "body": BODY1, "face": list(FACE1) + [0.99]}]
    live.first["4"] = int(fid(40).split("-")[0]) // 1000
    cam.msgs.append(verdict(T0 + 8.2, "4", 40, "PASS", ""))
    r = count()
    rep.check(r["extra"] == 1 and r["undecided"] == 0, "a person renewed in place: a later verdict of the visit",
              "later %d, undecided %d" % (r["extra"], r["undecided"]))
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

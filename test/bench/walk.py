"""walk - pipeline.py's part 4: issue 8's system goal on a scripted
walk-through at gate cameras (what a gate sees, between part 3's still
person and its photos cycled every frame).

Each camera plays its own seeded timeline at 5 frames/s: empty scene, a
person steps in and stands 2-4 s, leaves, the scene stays empty long
enough for the tracker to end the track (track.max_missing_ms, 3 s, plus
0.2-1.5 s), the next person, ... People: gate.py's cast (mask-scenes
validation images, N % 5 == 0, with exactly one face of 50 px or more,
letterboxed into 640x480 with a pixel of jitter per frame), in a seeded
order per camera. Cameras are sent like the camera page sends: at most 2
frames in flight, a frame due while 2 are unanswered is dropped.

Figures: offered frames/s, frames sent / dropped by the sender / answered
by status, busy share, results pushed per second, answer time (frame
received -> result on /live) p50/p95/p99 of the frames with a person,
network runs per frame (/metrics), worker analyse_ms, and per person the
time to verdict (first frame of the person sent -> the camera's verdict
message). A verdict goes to the visit that holds the first frame whose
/live result names its track (as gate.py: a person decided as they leave
is decided at a later frame, often the next person's), else to the visit
holding the frame it names, else to the latest visit begun before it
arrived; to the photo's annotated person when the track's face was on the
annotated face (gate.annotated), else to another person in the photo
(835.jpg's masked bystander). Before it connects, a run waits (at most
60 s) until the cameras have no open person: a camera's connect brings
the verdicts of its open people again, and the run before (the still
person baseline) leaves some open until its worker sees them leave (its
clock runs behind by the frames' lag); verdicts for people announced
before the run's first frame are counted apart. "Later verdicts": a
visit's verdicts for its annotated person after the first (a person
decided again). "After the next person came": visits whose person's
verdict reached the camera after the next visit's first frame was sent (a
person decided as they leave, late: the gate shows it to the next one)."""
import os
import random
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from wsclient import WS, WSClosed  # noqa: E402

FPS = 5.0
INFLIGHT = 2
STAND_S = (2.0, 4.0)
GAP_S = (3.2, 4.5)      # > track.max_missing_ms (3 s): the next person is a new track
LEAD_S = 1.0
OPEN_WAIT_S = 60.0      # at most, for the run before's people to leave


def cast():
    """[(class, photo path, annotated face)] from gate.py, the encoded
    frames: {person index or None: [3 jittered JPEGs]}, and each person's
    annotated face in the frame (x, y, w, h)."""
    import cv2
    import gate
    people = gate.people()
    frames = {None: [gate.frame(None, j) for j in (-1, 0, 1)]}
    faces = []
    for i, (_, path, face) in enumerate(people):
        im = cv2.imread(path)
        frames[i] = [gate.frame(im, j) for j in (-1, 0, 1)]
        faces.append(gate.placed(im, face))
    return people, frames, faces


def timeline(rng, npeople, seconds):
    """[person index or None] per frame, and the visits [(person, first
    frame, last frame)]."""
    order = list(range(npeople))
    rng.shuffle(order)
    plan = [None] * int(LEAD_S * FPS)
    visits = []
    k = 0
    while len(plan) < seconds * FPS:
        p = order[k % len(order)]
        k += 1
        n = int(round(rng.uniform(*STAND_S) * FPS))
        visits.append((p, len(plan), len(plan) + n - 1))
        plan += [p] * n + [None] * int(round(rng.uniform(*GAP_S) * FPS))
    return plan, visits


class Camera:
    """One gate camera's connection: sends its plan, keeps every message
    with its arrival time (time.time())."""

    def __init__(self, gw, name, plan, frames):
        self.name, self.plan, self.frames = name, plan, frames
        self.ws = WS(gw.ingest_port, timeout=30)
        w = self.ws.hello(name, gw.tokens[name])
        if w.get("type") != "welcome":
            raise RuntimeError("%s: no welcome: %r" % (name, w))
        self.lock = threading.Lock()
        self.msgs = []          # (arrival, message)
        self.sent = []          # (plan index, send time)
        self.answered = 0
        self.dropped = 0
        self.t = threading.Thread(target=self.receive, daemon=True)
        self.t.start()

    def receive(self):
        try:
            while True:
                m = self.ws.recv()
                with self.lock:
                    self.msgs.append((time.time(), m))
                    if m.get("type") == "answer":
                        self.answered += 1
        except (WSClosed, OSError, ValueError):
            return

    def send(self, k):
        with self.lock:
            if len(self.sent) - self.answered >= INFLIGHT:
                self.dropped += 1
                return
            self.sent.append((k, time.time()))
        p = self.plan[k]
        self.ws.send_binary(self.frames[p][k % 3])

    def close(self):
        self.ws.close()
        self.t.join(3)


def run(gw, live, network_runs, cams, seconds, seed, settle):
    """Plays the walk-through on cams at once; a dict of figures. settle()
    waits for the run's backlog to drain and returns its seconds (or None)."""
    people, frames, faces = cast()
    rng = random.Random(seed)
    plans = {c: timeline(rng, len(people), seconds) for c in cams}
    nframes = max(len(p) for p, _ in plans.values())
    left_s = people_left(gw, cams, OPEN_WAIT_S)
    cam = {c: Camera(gw, c, plans[c][0], frames) for c in cams}
    nets0 = network_runs()
    load0 = os.getloadavg()[0]
    t0 = time.monotonic()
    try:
        for k in range(nframes):
            due = t0 + k / FPS
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            for c in cams:
                if k < len(cam[c].plan):
                    cam[c].send(k)
        end = time.monotonic() + 20
        while time.monotonic() < end and any(x.answered < len(x.sent) for x in cam.values()):
            time.sleep(0.1)
        drained = settle()
        time.sleep(gw_settle_s())   # the last people's verdicts (face timeout) and 'left'
        nets1 = network_runs()
        load1 = os.getloadavg()[0]
    finally:
        for x in cam.values():
            x.close()
    accepted = []
    for x in cam.values():
        accepted += [m["frame"] for _, m in x.msgs if m.get("type") == "answer" and m.get("status") == "accepted"]
    r = figures(live, faces, plans, cam, accepted, nets0, nets1, (load0, load1), seconds)
    r["drain"] = drained
    r["left_s"] = left_s
    r["trace"] = dict(people=[path for _, path, _ in people], faces=faces,
                      cams={c: dict(plan=plans[c][0], visits=plans[c][1], sent=cam[c].sent,
                                    msgs=[(t, {k: v for k, v in m.items() if k != "face"}) for t, m in cam[c].msgs],
                                    live={f: live.get(f)[1].get("persons") for f in accepted if live.get(f)},
                                    first_seen={str(m.get("track")): live.track_first_seen(m.get("track"))
                                                for _, m in cam[c].msgs if m.get("track")})
                            for c in cams})
    return r


def people_left(gw, cams, limit):
    """Waits (at most limit s) until the cameras have no open person (a
    track not ended: the run before's people, while their worker has not
    seen them leave); the seconds it took, or None if some stayed open.
    A camera that connects gets its open people's verdicts again, and the
    first person of the run could step into the place of one still open."""
    marks = ",".join("?" * len(cams))
    end = time.monotonic() + limit
    t0 = time.monotonic()
    while True:
        n = gw.db("SELECT count(*) FROM tracks WHERE ended_us IS NULL AND camera IN (%s)" % marks, tuple(cams))
        if not n or n[0][0] == 0:
            return time.monotonic() - t0
        if time.monotonic() >= end:
            return None
        time.sleep(0.2)


def gw_settle_s():
    return 7.0   # gate.face_timeout_ms (6 s) + a second


def latencies(live, frames):
    """(answer ms per frame: received -> result on /live, arrival of the
    last result, analyse_ms per frame) of the frames whose result arrived."""
    lat, last, ams = [], None, []
    for f in frames:
        g = live.get(f)
        if g:
            lat.append((g[0] - int(f.split("-", 1)[0]) / 1e6) * 1e3)
            last = g[0] if last is None else max(last, g[0])
            ams.append(g[1].get("analyse_ms") or 0.0)
    return lat, last, ams


def tracks_seen(live, frame_k):
    """{track id: (first plan index it was seen at, [(body, face)])} from
    the /live results of a camera's frames (frame_k: frame id -> plan
    index)."""
    seen = {}
    for f, k in frame_k.items():
        g = live.get(f)
        for p in (g[1].get("persons") or []) if g else []:
            if p.get("track"):
                k0, boxes = seen.get(str(p["track"]), (k, []))
                boxes.append((p.get("body"), p.get("face")))
                seen[str(p["track"])] = (min(k0, k), boxes)
    return seen


def frame_at(frame_k, ms):
    """The plan index of the latest frame of frame_k received at or before
    ms (unix milliseconds; a frame id is "<received us>-<seq>"), or None."""
    if ms is None:
        return None
    best = None
    for f, k in frame_k.items():
        us = int(f.split("-", 1)[0])
        if us <= ms * 1000 + 999 and (best is None or us > best[0]):
            best = (us, k)
    return best[1] if best else None


def attribute(live, faces, plan, visits, x):
    """The verdict messages of camera x by visit: ({visit: [(arrival, msg)]}
    for its annotated person, {visit: [...]} for other people in its photo,
    verdicts of people from before the run, verdicts traced to no visit),
    and (first sent time, visit) of the visits sent."""
    import gate
    first = {}
    for k, t in x.sent:
        first.setdefault(k, t)
    starts = []   # (first sent time of the visit, visit index)
    for v, (p, a, b) in enumerate(visits):
        ts = [first[k] for k in range(a, b + 1) if k in first]
        if ts:
            starts.append((min(ts), v))
    frame_k = {}   # frame id -> its index in the plan (the answer's seq names the send)
    for t, m in x.msgs:
        if m.get("type") == "answer" and 1 <= (m.get("seq") or 0) <= len(x.sent) and m.get("frame"):
            frame_k[m["frame"]] = x.sent[m["seq"] - 1][0]
    seen = tracks_seen(live, frame_k)
    t_first = x.sent[0][1] if x.sent else None
    before_run = set()
    for t, m in x.msgs:
        if m.get("type") in ("person", "verdict", "prompt") and t_first is not None and t < t_first:
            before_run.add(str(m.get("track")))
    own, others, carried, stray = {}, {}, 0, 0
    for t, m in x.msgs:
        if m.get("type") != "verdict":
            continue
        tid = str(m.get("track"))
        if tid in before_run and tid not in seen:
            carried += 1
            continue
        # the visit of the track's first frame (its events' first_seen_ms:
        # the time of a frame of this camera, ingest's receive time; else
        # the first /live result that names it); else of the verdict's
        # frame; else the last one begun before the verdict arrived
        k = frame_at(frame_k, live.track_first_seen(tid))
        if k is None:
            k = seen[tid][0] if tid in seen else frame_k.get(m.get("frame"))
        if k is not None:
            before = [s for s in starts if visits[s[1]][1] <= k]
        else:
            before = [s for s in starts if s[0] <= t]
        if not before:
            stray += 1
            continue
        v = max(before, key=lambda s: s[0])[1]
        if tid in seen and not gate.annotated(seen[tid][1], faces[visits[v][0]]):
            others.setdefault(v, []).append((t, m))
        else:
            own.setdefault(v, []).append((t, m))
    return own, others, carried, stray, starts


def figures(live, faces, plans, cam, accepted, nets0, nets1, load, seconds):
    lat, last, ams = latencies(live, accepted)
    st, sent, dropped, offered, ing = {}, 0, 0, 0, []
    ttv, undecided, extra, verdicts = [], 0, 0, {}
    other, carried, stray, after_next = 0, 0, 0, 0
    for c, x in cam.items():
        plan, visits = plans[c]
        offered += len(plan)
        sent += len(x.sent)
        dropped += x.dropped
        for t, m in x.msgs:
            if m.get("type") == "answer":
                st[m.get("status")] = st.get(m.get("status"), 0) + 1
                if 1 <= (m.get("seq") or 0) <= len(x.sent):
                    ing.append((t - x.sent[m["seq"] - 1][1]) * 1e3)
        own, others, n_carried, n_stray, starts = attribute(live, faces, plan, visits, x)
        carried += n_carried
        stray += n_stray
        other += sum(len(o) for o in others.values())
        begun = sorted(s for s, _ in starts)
        for s, v in starts:
            if v in own:
                t, m = own[v][0]
                ttv.append(t - s)
                after_next += any(s < b <= t for b in begun)
                extra += len(own[v]) - 1
                key = "%s %s" % (m.get("verdict"), m.get("reason") or "")
                verdicts[key.strip()] = verdicts.get(key.strip(), 0) + 1
            else:
                undecided += 1
    span = (last - min(int(f.split("-", 1)[0]) / 1e6 for f in accepted)) if lat else None
    per = {k: (nets1[k] - nets0.get(k, 0)) / len(lat) for k in nets1} if lat and nets0 else {}
    answered = sum(st.values())
    nframes = max(len(plans[c][0]) for c in plans)
    return dict(cams=len(cam), seconds=nframes / FPS, offered=offered, ingest=ing, sent=sent, dropped=dropped, st=st,
                answered=answered, busy=(st.get("busy", 0) / answered if answered else None),
                results=len(lat), missing=len(accepted) - len(lat),
                thr=(len(lat) / span if span else None), lat=lat, ams=ams, per=per,
                visits=sum(len(plans[c][1]) for c in plans), ttv=ttv, undecided=undecided,
                extra=extra, other=other, carried=carried, stray=stray, verdicts=verdicts, load=load,
                after_next=after_next,
                npeople=len(faces))

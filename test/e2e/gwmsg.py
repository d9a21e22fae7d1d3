"""gwmsg - common/msg.h spoken from Python (stdlib only), for tests.

Packs and unpacks the structs byte for byte (little-endian, natural C
alignment, x86-64/aarch64). SIZES is what this module believes; tests
compare it with `gatewatch-notifier --print-msg-sizes` so a change to
msg.h that is not mirrored here fails loudly instead of misreading.

Also a tiny CLI so node tests (no SOCK_SEQPACKET in node) can feed a
notifier:  python3 gwmsg.py feed SOCK < results.json
where results.json is a JSON list of result dicts (see result()).
"""
import json
import math
import os
import socket
import struct
import sys
import time

MAGIC = 0x31574D47
VERSION = 8
HELLO, FRAME_READY, FRAME, FRAME_DONE, RESULT, RESULT_ACK, VERDICT, CAMERA_STATS, QUEUE_STATUS, TAKEOVER, TRACK_STATE, GATE_SYNC, \
    FRAME_EMPTY = range(1, 14)
ROLE_INGEST, ROLE_DISPATCHER, ROLE_WORKER, ROLE_NOTIFIER, ROLE_CLI = range(1, 6)
MASK = {"unknown": 0, "mask_on": 1, "mask_off": 2, "mask_chin": 3}
VERDICTS = {"none": 0, "PASS": 1, "DENY": 2}
REASONS = {"": 0, "no_mask": 1, "mask_chin": 2, "temperature": 3, "no_face": 4, "face_not_visible": 5,
           "face_too_small": 6, "override": 7}
KINDS = {"new": 1, "changed": 2, "ended": 3, "alert": 4, "prompt": 5, "override": 6}
GATE_VERDICT, GATE_APPEARED, GATE_LEFT, GATE_PROMPT = range(4)
SEQ_NOTIFIER = 0x40000000
NOFRAME = 1
EVENTS_MAX = 16

HDR = struct.Struct("<IHHII")
HELLO_S = struct.Struct("<Ii32s")
REF = struct.Struct("<32s24s")
BOX = struct.Struct("<5f")
PERSON = struct.Struct("<5f5fIf4fqII")
EVENT = struct.Struct("<q6Iffqq5f5fIIII96s")
RESULT_HEAD1 = struct.Struct("<32s24sII")           # ref, flags, nevents; then 16 events
RESULT_HEAD2 = struct.Struct("<qqIIff96sI")         # then 4 bytes padding, then 16 persons
RESULT_EVENTS = RESULT_HEAD1.size
RESULT_RECEIVED = RESULT_EVENTS + EVENTS_MAX * EVENT.size
RESULT_NPERSONS = RESULT_RECEIVED + RESULT_HEAD2.size - 4
RESULT_PERSONS = RESULT_NPERSONS + 8
HISTO = struct.Struct("<12QQd")                   # common/histo.h: counts per bucket, n, sum
FAST_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)   # histo_fast_s
RESULT_FACE_TIME = RESULT_PERSONS + 16 * PERSON.size
RESULT_SIZE = RESULT_FACE_TIME + 2 * HISTO.size
VERDICT_S = struct.Struct("<32s24sqIIfIII64s96sIIQ")
TAKEOVER_S = struct.Struct("<32s")
TRACK_STATE_S = struct.Struct("<32sq9Iff4x3q10f96s")
STATS_S = struct.Struct("<32sII6Qff")               # then two HISTOs: person, face detector
QUEUE_S = struct.Struct("<32sIi5Q")

GATE_SYNC_S = struct.Struct("<32sQ")   # camera, ingest's connection id
FRAME_EMPTY_S = struct.Struct("<32s24sqq")   # ref, received_us, checked_us

SIZES = {"version": VERSION, "magic": MAGIC, "hdr": HDR.size, "hello": HELLO_S.size,
         "frame_ref": REF.size, "box": BOX.size, "person": PERSON.size, "track_event": EVENT.size,
         "result": RESULT_SIZE, "result_events": RESULT_EVENTS, "result_received": RESULT_RECEIVED,
         "result_persons": RESULT_PERSONS, "result_npersons": RESULT_NPERSONS,
         "result_snapshot": RESULT_NPERSONS - 96, "result_face_time": RESULT_FACE_TIME,
         "verdict": VERDICT_S.size, "camera_stats": STATS_S.size + 2 * HISTO.size, "queue_status": QUEUE_S.size,
         "takeover": TAKEOVER_S.size, "track_state": TRACK_STATE_S.size, "gate_sync": GATE_SYNC_S.size,
         "frame_empty": FRAME_EMPTY_S.size}


def cstr(s, n):
    b = s.encode() if isinstance(s, str) else s
    return b[: n - 1].ljust(n, b"\0")


def unstr(b):
    return b.split(b"\0", 1)[0].decode()


def pack(mtype, body, version=VERSION, magic=MAGIC, length=None):
    return HDR.pack(magic, version, mtype, len(body) if length is None else length, 0) + body


def unpack(d):
    """(type, body) of one datagram, unchecked; body cut to the header's length."""
    _, _, mtype, length, _ = HDR.unpack_from(d)
    return mtype, d[HDR.size:HDR.size + length]


# The notifier takes results only from the process the dispatcher announced
# as the camera's worker (QUEUE_STATUS worker_pid, checked with
# SO_PEERCRED). A test that plays a worker is announced here, through a
# dispatcher connection of its own to the socket it last connected to, as
# the real dispatcher does when it forks a worker. announce_workers = False
# turns that off (a test of a forged worker).
announce_workers = True
_last_path = [None]
_dispatchers = {}


def announce(path, camera, pid=None):
    """Say, as the dispatcher, that pid (default: this process) is camera's worker."""
    msg = queue_status(camera, worker_pid=os.getpid() if pid is None else pid)
    for _ in range(2):
        d = _dispatchers.get(path)
        if d is None:
            d = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            d.settimeout(30)
            d.connect(path)
            d.send(pack(HELLO, HELLO_S.pack(ROLE_DISPATCHER, os.getpid(), cstr("", 32))))
            _dispatchers[path] = d
        try:
            d.send(msg)
            return
        except OSError:   # a notifier restarted since: connect again
            _dispatchers.pop(path, None)
            d.close()


def hello(role, camera="", pid=None):
    if role == ROLE_WORKER and announce_workers and _last_path[0] and camera:
        announce(_last_path[0], camera)
    return pack(HELLO, HELLO_S.pack(role, os.getpid() if pid is None else pid, cstr(camera, 32)))


_seq = [0]


def frame_id(t_us=None):
    """A valid frame id: 16 digits of microseconds, '-', 3 digits."""
    _seq[0] = (_seq[0] + 1) % 1000
    t = int(time.time() * 1e6) if t_us is None else int(t_us)
    return "%016d-%03d" % (t, _seq[0])


def person(verdict="none", reason="", mask="unknown", mask_score=0.0, body=None, face=None, track=0):
    b = body or (0, 0, 0, 0, 0)
    f = face or (0, 0, 0, 0, 0)
    probs = [0.0, 0.0, 0.0, 0.0]
    probs[MASK[mask]] = mask_score
    return PERSON.pack(*b, *f, MASK[mask], mask_score, *probs, track, VERDICTS[verdict], REASONS[reason])


def event(track, kind="new", seq=1, verdict="none", reason="", mask="unknown", decision=False,
          mask_score=0.0, temperature=None, first_seen_us=None, last_seen_us=None, body=None, face=None,
          looks=0, skipped=0, snapshot="", prompt="", frames=0):
    """One struct msg_track_event (kind: new|changed|ended|alert)."""
    now = int(time.time() * 1e6)
    last = now if last_seen_us is None else last_seen_us
    first = last if first_seen_us is None else first_seen_us
    temp = float("nan") if temperature is None else temperature
    return EVENT.pack(int(track), KINDS[kind], seq, VERDICTS[verdict], REASONS[reason], MASK[mask],
                      1 if decision else 0, mask_score, temp, first, last, *(body or (0, 0, 0, 0, 0)),
                      *(face or (0, 0, 0, 0, 0)), looks, skipped, REASONS[prompt], frames, cstr(snapshot, 96))


def histo(seconds):
    """A struct histo of these observations (on FAST_S)."""
    counts = [0] * 12
    for v in seconds:
        counts[next((i for i, b in enumerate(FAST_S) if v <= b), 11)] += 1
    return HISTO.pack(*counts, len(seconds), float(sum(seconds)))


def result(camera, frame, persons=(), temperature=None, snapshot="", width=640, height=480,
           analyse_ms=12.5, received_us=None, events=(), noframe=False, analysed_us=None,
           face_times=(), mask_times=()):
    """persons: list of dicts with person()'s keyword arguments; events: list
    of dicts with event()'s keyword arguments; face_times, mask_times: the
    networks' runs, seconds."""
    rec = int(frame[:16]) if received_us is None else received_us
    temp = float("nan") if temperature is None else temperature
    assert len(events) <= EVENTS_MAX and len(persons) <= 16
    evs = b"".join(event(**e) for e in events)
    evs += b"\0" * (EVENTS_MAX * EVENT.size - len(evs))
    head2 = RESULT_HEAD2.pack(rec, int(time.time() * 1e6) if analysed_us is None else analysed_us,
                              width, height, temp, analyse_ms, cstr(snapshot, 96), len(persons))
    ps = b"".join(person(**p) for p in persons)
    ps += b"\0" * (16 * PERSON.size - len(ps))
    body = (RESULT_HEAD1.pack(cstr(camera, 32), cstr(frame, 24), NOFRAME if noframe else 0, len(events)) +
            evs + head2 + b"\0" * 4 + ps + histo(face_times) + histo(mask_times))
    assert len(body) == RESULT_SIZE, (len(body), RESULT_SIZE)
    return pack(RESULT, body)


def camera_stats(camera, connected=1, frames_in=0, accepted=0, no_person=0, busy=0, rejected=0,
                 motion_skipped=0, fps_in=0.0, detect_ms=0.0, detect_times=(), face_times=()):
    return pack(CAMERA_STATS, STATS_S.pack(cstr(camera, 32), connected, 0, frames_in, accepted,
                                           no_person, busy, rejected, motion_skipped, fps_in, detect_ms) +
                histo(detect_times) + histo(face_times))


def queue_status(camera, depth=0, worker_pid=0, nbytes=0, done=0, failed=0, crashes=0, skipped=0):
    return pack(QUEUE_STATUS, QUEUE_S.pack(cstr(camera, 32), depth, worker_pid, nbytes, done, failed, crashes,
                                           skipped))


def connect(path, timeout=30.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    s.connect(path)
    _last_path[0] = path
    return s


def recv(s, timeout=30.0):
    """One message as (type, fields dict); None on EOF; raises socket.timeout."""
    s.settimeout(timeout)
    d = s.recv(16384)
    if not d:
        return None
    magic, version, mtype, length, _ = HDR.unpack_from(d)
    body = d[HDR.size:]
    assert magic == MAGIC and version == VERSION and len(body) == length, (magic, version, length, len(body))
    if mtype == RESULT_ACK:
        cam, fid = REF.unpack(body)
        return mtype, {"camera": unstr(cam), "frame": unstr(fid)}
    if mtype == VERDICT:
        cam, fid, track, verdict, reason, temp, idx, kind, override, by, snap, replay, _, conn = VERDICT_S.unpack(body)
        return mtype, {"camera": unstr(cam), "frame": unstr(fid), "track": track, "verdict": verdict,
                       "reason": reason, "temperature": None if math.isnan(temp) else temp, "person": idx,
                       "kind": kind, "override": override, "by": unstr(by), "snapshot": unstr(snap),
                       "replay": replay, "conn": conn}
    if mtype == TRACK_STATE:
        return mtype, parse_track_state(body)
    if mtype == FRAME_EMPTY:
        cam, fid, received, checked = FRAME_EMPTY_S.unpack(body)
        return mtype, {"camera": unstr(cam), "frame": unstr(fid), "received_us": received, "checked_us": checked}
    return mtype, {"raw": body}


def parse_track_state(body):
    v = TRACK_STATE_S.unpack(body)
    keys = ["camera", "track", "seq", "verdict", "reason", "mask", "decided", "prompted", "frames", "looks",
            "skipped", "mask_score", "temperature", "first_seen_us", "last_seen_us", "alert_us"]
    d = dict(zip(keys, v[:16]))
    d["camera"] = unstr(d["camera"])
    d["body"] = v[16:21]
    d["face"] = v[21:26]
    d["snapshot"] = unstr(v[26])
    return d


def takeover(camera):
    return pack(TAKEOVER, TAKEOVER_S.pack(cstr(camera, 32)))


def gate_sync(camera, conn=0):
    """Ingest's "a connection of camera said hello": camera, connection id (0: all)."""
    return pack(GATE_SYNC, GATE_SYNC_S.pack(cstr(camera, 32), conn))


def frame_empty(camera, frame, received_us, checked_us=None):
    """Ingest's "frame found empty, not spooled" (ingest -> dispatcher -> worker)."""
    return pack(FRAME_EMPTY, FRAME_EMPTY_S.pack(cstr(camera, 32), cstr(frame, 24), received_us,
                                                received_us if checked_us is None else checked_us))


def feed(sock, items, timeout=30.0):
    """Send results as a worker of each item's camera; wait for each ack.
    An item: camera, frame (optional), persons, temperature, snapshot,
    events (dicts for event()), noframe."""
    conns = {}
    acks = 0
    for it in items:
        cam = it["camera"]
        if cam not in conns:
            conns[cam] = connect(sock, timeout)
            conns[cam].send(hello(ROLE_WORKER, cam))
        fid = it.get("frame") or frame_id()
        conns[cam].send(result(cam, fid, it.get("persons", []), it.get("temperature"),
                               it.get("snapshot", ""), events=it.get("events", []),
                               noframe=it.get("noframe", False)))
        m = recv(conns[cam], timeout)
        if m and m[0] == RESULT_ACK and m[1]["frame"] == fid:
            acks += 1
    for c in conns.values():
        c.close()
    return acks


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "feed":
        items = json.load(sys.stdin)
        n = feed(sys.argv[2], items)
        print(json.dumps({"acked": n, "sent": len(items)}))
        sys.exit(0 if n == len(items) else 1)
    if len(sys.argv) == 2 and sys.argv[1] == "sizes":
        print(json.dumps(SIZES))
        sys.exit(0)
    sys.stderr.write("usage: gwmsg.py feed SOCK < items.json | gwmsg.py sizes\n")
    sys.exit(2)

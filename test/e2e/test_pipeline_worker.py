"""test_pipeline_worker - the worker stage alone, between a fake dispatcher
(a socketpair, as the real one forks it) and a fake notifier (a
SOCK_SEQPACKET listener at DIR/run/notifier.sock) written here from msg.h.
Checks the worker's contract: a frame is analysed and its result sent; the
frame is deleted and reported done only after the notifier's ack; with no
ack, or no notifier, it waits, resends, and keeps the frame in active/; a
frame already in active/ is a redelivery; a damaged frame goes to failed/
with a reason; EOF from the dispatcher ends the worker with 0; models that
do not load end it with 2. Uses the real models (MODELS)."""
import os
import re
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import GW_ROOT, BIN, MODELS, Report, cleanup, images_darknet, images_faceapi, keep_if_failed  # noqa: E402

MAGIC = 0x31574d47
HELLO, FRAME_READY, FRAME, FRAME_DONE, RESULT, RESULT_ACK = 1, 2, 3, 4, 5, 6
ROLE_DISPATCHER, ROLE_WORKER, ROLE_NOTIFIER = 2, 3, 4
EINVAL, ENOENT = 22, 2


def msg_version():
    with open(os.path.join(GW_ROOT, "common", "msg.h")) as f:
        return int(re.search(r"#define MSG_VERSION (\d+)", f.read()).group(1))


VERSION = msg_version()


def cstr(s, n):
    b = s.encode()[: n - 1]
    return b + b"\0" * (n - len(b))


def unc(b):
    return b.split(b"\0", 1)[0].decode(errors="replace")


def pack(mtype, body):
    return struct.pack("<IHHII", MAGIC, VERSION, mtype, len(body), 0) + body


def unpack(data):
    magic, version, mtype, ln, _ = struct.unpack_from("<IHHII", data)
    if magic != MAGIC or version != VERSION or ln != len(data) - 16:
        raise ValueError("bad message header %x %d %d %d/%d" % (magic, version, mtype, ln, len(data) - 16))
    return mtype, data[16:]


def hello(role, camera=""):
    return pack(HELLO, struct.pack("<Ii", role, os.getpid()) + cstr(camera, 32))


def ref(camera, fid):
    return cstr(camera, 32) + cstr(fid, 24)


# struct msg_result (msg.h, version 3), little-endian, natural alignment.
EVENT = struct.Struct("<qIIIIIIffqq5f5fIIII96s")
PERSON = struct.Struct("<5f5fIf4fqII")
RES_FLAGS, RES_EVENTS, RES_TAIL, RES_PERSONS = 56, 64, 64 + 16 * EVENT.size, 64 + 16 * EVENT.size + 136
RES_TAIL_S = struct.Struct("<qqIIff96sI")
HISTO = struct.Struct("<12QQd")  # common/histo.h: counts per bucket, n, sum
RES_FACE_TIME = RES_PERSONS + 16 * PERSON.size
RESULT_SIZE = RES_FACE_TIME + 2 * HISTO.size
NOFRAME = 1
KINDS = {1: "new", 2: "changed", 3: "ended", 4: "alert", 5: "prompt", 6: "override"}
TAKEOVER, TRACK_STATE = 10, 11
TRACK_STATE_S = struct.Struct("<32sq9Iff4x3q10f96s")


def parse_result(body):
    """A RESULT body as a dict: camera, frame, flags, events, persons, ..."""
    if len(body) != RESULT_SIZE:
        raise ValueError("RESULT of %d bytes, expected %d" % (len(body), RESULT_SIZE))
    flags, nev = struct.unpack_from("<II", body, RES_FLAGS)
    rec, ana, w, h, temp, ms, snap, npers = RES_TAIL_S.unpack_from(body, RES_TAIL)
    events = []
    for i in range(min(nev, 16)):
        f = EVENT.unpack_from(body, RES_EVENTS + i * EVENT.size)
        events.append({"track": f[0], "kind": KINDS.get(f[1], f[1]), "seq": f[2], "verdict": f[3],
                       "reason": f[4], "mask": f[5], "decision": f[6], "mask_score": f[7],
                       "temperature": f[8], "first_us": f[9], "last_us": f[10],
                       "body": f[11:16], "face": f[16:21], "looks": f[21], "skipped": f[22],
                       "prompt": f[23], "frames": f[24], "snapshot": unc(f[25])})
    persons = []
    for i in range(min(npers, 16)):
        f = PERSON.unpack_from(body, RES_PERSONS + i * PERSON.size)
        persons.append({"body": f[0:5], "face": f[5:10], "mask": f[10], "mask_score": f[11],
                        "track": f[16], "verdict": f[17], "reason": f[18]})
    return {"camera": unc(body[:32]), "frame": unc(body[32:56]), "flags": flags, "events": events,
            "received_us": rec, "width": w, "height": h, "temperature": temp,
            "snapshot": unc(snap), "npersons": npers, "persons": persons,
            "face_time": HISTO.unpack_from(body, RES_FACE_TIME),
            "mask_time": HISTO.unpack_from(body, RES_FACE_TIME + HISTO.size)}


class FakeNotifier:
    """Accepts workers, records RESULTs, acks them while self.ack is True."""

    def __init__(self, path):
        self.path = path
        self.results = []          # (camera, frame_id, npersons)
        self.parsed = []           # parse_result() of every RESULT received, in order
        self.ack = True
        self.states = {}           # camera -> [TRACK_STATE bodies] handed to a worker that asks
        self.takeovers = []        # cameras that asked, in order
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.srv = None
        self.thread = None
        self.start()

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.srv.bind(self.path)
        self.srv.listen(8)
        self.stop_ev.clear()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        conns = []
        while not self.stop_ev.is_set():
            r, _, _ = select.select([self.srv] + conns, [], [], 0.1)
            for s in r:
                if s is self.srv:
                    c, _ = self.srv.accept()
                    c.send(hello(ROLE_NOTIFIER))
                    conns.append(c)
                    continue
                try:
                    data = s.recv(16384)
                except OSError:
                    data = b""
                if not data:
                    conns.remove(s)
                    s.close()
                    continue
                mtype, body = unpack(data)
                if mtype == TAKEOVER:
                    cam = unc(body[:32])
                    with self.lock:
                        self.takeovers.append(cam)
                        states = list(self.states.get(cam, []))
                    for st in states + [TRACK_STATE_S.pack(cstr(cam, 32), 0, *([0] * 9), 0.0, 0.0,
                                                            0, 0, 0, *([0.0] * 10), b"")]:
                        s.send(pack(TRACK_STATE, st))
                    continue
                if mtype == RESULT:
                    res = parse_result(body)
                    cam, fid, npersons = res["camera"], res["frame"], res["npersons"]
                    with self.lock:
                        self.results.append((cam, fid, npersons))
                        self.parsed.append(res)
                        ack = self.ack
                    if ack:
                        s.send(pack(RESULT_ACK, ref(cam, fid)))
        for c in conns:
            c.close()
        self.srv.close()

    def down(self):
        self.stop_ev.set()
        self.thread.join(5)
        if os.path.exists(self.path):
            os.unlink(self.path)

    def count(self, fid):
        with self.lock:
            return sum(1 for r in self.results if r[1] == fid)


def frame_file(img, meta):
    m = meta.encode()
    return img + m + b"\n" + b"GWMETA01" + struct.pack("<I", len(m))


class Dispatcher:
    """Our end of the worker's socketpair."""

    def __init__(self, gwdir, camera, models, extra=()):
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fd = theirs.fileno()
        self.log = open(os.path.join(gwdir, "worker.log"), "ab")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "gatewatch-worker"), "--camera", camera, "--fd", str(fd),
             "--dir", gwdir, "--set", "models.dir=" + models] + list(extra),
            pass_fds=(fd,), stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        theirs.close()
        self.sock.send(hello(ROLE_DISPATCHER))
        self.pending = []
        self.hello = False    # the worker's hello came: its models are loaded

    def _next(self, want, timeout):
        """The body of the next message of type want from the worker (others
        are passed over; its hello is noted), or None after timeout s, at
        EOF or if the worker died."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.sock], [], [], 0.2)
            if not r:
                if self.proc.poll() is not None:
                    return None
                continue
            data = self.sock.recv(16384)
            if not data:
                return None
            mtype, body = unpack(data)
            self.hello = self.hello or mtype == HELLO
            if mtype == want:
                return body
        return None

    def ready(self, timeout):
        """True once the worker said hello (it does after loading its models
        and taking over its camera's people), False after timeout s or if
        it died."""
        return self.hello or self._next(HELLO, timeout) is not None

    def frame(self, camera, fid):
        self.sock.send(pack(FRAME, ref(camera, fid) + struct.pack("<II", 0, 0)))  # msg_frame: skipped, reserved

    def done(self, timeout):
        """Next FRAME_DONE as (frame_id, status, reason), or None on timeout."""
        body = self._next(FRAME_DONE, timeout)
        if body is None:
            return None
        return unc(body[32:56]), struct.unpack_from("<i", body, 56)[0], unc(body[60:156])

    def close(self, timeout=15):
        self.sock.close()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            return None


def worker_env_down(rep, tmp, d, notifier):
    """The end of a worker test: the worker (d, a Dispatcher or None) and
    the fake notifier stopped, tmp kept only when a case failed."""
    cleanup(lambda: d is not None and d.close(5), notifier.down)
    keep_if_failed(rep, tmp)


def main():
    rep = Report()
    if not os.path.exists(os.path.join(MODELS, "mask.weights")) or not os.path.exists(os.path.join(MODELS, "face.weights")):
        rep.fail("models present", "no face/mask weights in %s (run make models)" % MODELS)
        return rep.done()
    photos = images_faceapi()[:2] + [p for p in images_darknet() if p.endswith("person.jpg")]
    if len(photos) < 3:
        rep.fail("test photos", "face-api samples or darknet person.jpg missing")
        return rep.done()
    tmp = tempfile.mkdtemp(prefix="gw-e2e-worker-")
    cam = "gate1"
    q = os.path.join(tmp, "spool", "queue", cam)
    act = os.path.join(tmp, "spool", "active", cam)
    os.makedirs(q)
    os.makedirs(act)
    os.makedirs(os.path.join(tmp, "run"))
    base = int(time.time() * 1e6)
    fids = ["%016d-%03d" % (base + i, i) for i in range(8)]
    imgs = [open(p, "rb").read() for p in photos]
    # 0: face photo, no person boxes; 1: with a person box in the trailer;
    # 2: damaged; 3: already active (redelivery); 4: no ack at first;
    # 5: notifier down at first; 6: not in the spool at all
    with open(os.path.join(q, fids[0] + ".jpg"), "wb") as f:
        f.write(frame_file(imgs[0], '{"width":0,"height":0,"temperature":null,"persons":[]}'))
    with open(os.path.join(q, fids[1] + ".jpg"), "wb") as f:
        f.write(frame_file(imgs[2], '{"received_us":%d,"temperature":36.5,"persons":[{"x":180,"y":80,"w":100,"h":300,"score":0.9}]}' % base))
    with open(os.path.join(q, fids[2] + ".jpg"), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    with open(os.path.join(act, fids[3] + ".jpg"), "wb") as f:
        f.write(imgs[1])
    for i in (4, 5):
        with open(os.path.join(q, fids[i] + ".jpg"), "wb") as f:
            f.write(imgs[1])

    notifier = FakeNotifier(os.path.join(tmp, "run", "notifier.sock"))
    d = None
    try:
        # Models that do not load: exit 2 with the reason, before anything else.
        bad = Dispatcher(tmp, cam, os.path.join(tmp, "no-models"))
        rc = bad.close(30)
        rep.check(rc == 2, "worker with missing models exits 2", "exit status %s" % rc)

        d = Dispatcher(tmp, cam, MODELS)
        d.frame(cam, fids[0])
        got = d.done(120)
        rep.check(got == (fids[0], 0, ""), "a face photo frame is analysed and reported done", "got %s" % (got,))
        rep.check(notifier.count(fids[0]) == 1, "its result reached the notifier once", "%d results" % notifier.count(fids[0]))
        rep.check(fids[0] + ".jpg" not in os.listdir(q) and fids[0] + ".jpg" not in os.listdir(act),
                  "the committed frame is deleted from the spool", "still there")
        snap = os.path.join(tmp, "snapshots", cam, "latest.jpg")
        rep.check(os.path.exists(snap) and open(snap, "rb").read() == imgs[0],
                  "the live snapshot (latest.jpg) is the image as sent, without the trailer", "missing or different")
        with notifier.lock:
            np0 = [r[2] for r in notifier.results if r[1] == fids[0]]
        rep.check(np0 and np0[0] >= 1, "faces in a photo without person boxes become persons", "npersons=%s" % np0)
        with notifier.lock:
            r0 = [r for r in notifier.parsed if r["frame"] == fids[0]]
        # /metrics' per-network histograms: the face detector ran once (the
        # whole photo), the mask classifier once per face; counts add up to n
        ft, mt = (r0[0]["face_time"], r0[0]["mask_time"]) if r0 else ((0,) * 14, (0,) * 14)
        rep.check(ft[12] == 1 and sum(ft[:12]) == 1 and ft[13] > 0 and mt[12] == np0[0] and
                  sum(mt[:12]) == mt[12] and mt[13] > 0,
                  "the result reports the face detector's and the mask classifier's runs",
                  "face %s mask %s" % (ft, mt))

        d.frame(cam, fids[1])
        got = d.done(120)
        with notifier.lock:
            np1 = [r[2] for r in notifier.results if r[1] == fids[1]]
        rep.check(got == (fids[1], 0, "") and np1 == [1], "a frame with one person box gives one person",
                  "done=%s npersons=%s" % (got, np1))

        d.frame(cam, fids[2])
        got = d.done(60)
        failed = os.path.join(tmp, "spool", "failed", cam)
        rep.check(got is not None and got[1] == -EINVAL and got[2], "a damaged frame is reported -EINVAL with a reason",
                  "got %s" % (got,))
        rep.check(os.path.exists(os.path.join(failed, fids[2] + ".jpg")) and
                  os.path.exists(os.path.join(failed, fids[2] + ".reason")),
                  "a damaged frame is moved to failed/ with a reason file", "not in %s" % failed)
        rep.check(notifier.count(fids[2]) == 0, "a damaged frame sends no result", "it did")

        d.frame(cam, fids[3])
        got = d.done(120)
        rep.check(got == (fids[3], 0, "") and not os.path.exists(os.path.join(act, fids[3] + ".jpg")),
                  "a frame already in active/ is a redelivery and is finished", "got %s" % (got,))

        # No ack: the frame stays in active/, nothing is reported, the result is resent.
        with notifier.lock:
            notifier.ack = False
        d.frame(cam, fids[4])
        got = d.done(7)
        in_active = os.path.exists(os.path.join(act, fids[4] + ".jpg"))
        rep.check(got is None and in_active, "without an ack the frame stays in active/ and is not done",
                  "done=%s in_active=%s" % (got, in_active))
        with notifier.lock:
            notifier.ack = True
        got = d.done(60)
        rep.check(got == (fids[4], 0, "") and not os.path.exists(os.path.join(act, fids[4] + ".jpg")),
                  "after the ack comes, the frame is deleted and done", "got %s" % (got,))
        rep.check(notifier.count(fids[4]) >= 2, "the unacknowledged result was resent",
                  "%d sends" % notifier.count(fids[4]))

        # Notifier down: same, then it comes back and the worker reconnects.
        notifier.down()
        d.frame(cam, fids[5])
        got = d.done(6)
        in_active = os.path.exists(os.path.join(act, fids[5] + ".jpg"))
        rep.check(got is None and in_active, "with the notifier down the frame waits in active/",
                  "done=%s in_active=%s" % (got, in_active))
        notifier.start()
        got = d.done(60)
        rep.check(got == (fids[5], 0, "") and notifier.count(fids[5]) >= 1,
                  "the worker reconnects to a restarted notifier and finishes", "got %s" % (got,))

        d.frame(cam, fids[6])
        got = d.done(30)
        rep.check(got is not None and got[0] == fids[6] and got[1] == -ENOENT,
                  "a frame that is not in the spool is reported -ENOENT", "got %s" % (got,))

        rc = d.close(20)
        d = None
        rep.check(rc == 0, "EOF from the dispatcher ends the worker with 0", "exit status %s" % rc)
        with open(os.path.join(tmp, "worker.log"), errors="replace") as f:
            log = f.read()
        rep.check(re.search(r" info worker %s camera=%s persons=\d+ faces=\d+ classified=\d+ skipped=\d+ events=\d+ ms="
                            % (fids[0], cam), log),
                  "one info line per frame with camera, persons, faces, classified, skipped, events, ms", log[-500:])
    finally:
        worker_env_down(rep, tmp, d, notifier)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""test_ingest_server - gatewatch-ingest on loopback, spoken to with a
minimal stdlib WebSocket client (so malformed input can be sent on
purpose), with fake dispatcher and notifier sockets to check the hints
ingest sends and the verdicts it forwards.

Env: GW_ROOT (repo root), BIN (default bin), MODELS (default models/out).
Prints "ok - ..." / "not ok - ...: why" per case."""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import gwmsg
from lib import Report, free_port, kill_spawned, spawn, wait_until
from wsclient import WS, WSClosed  # shared with test/bench

ROOT = os.environ.get("GW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("BIN", "bin"))
MODELS = os.path.join(ROOT, os.environ.get("MODELS", "models/out"))
DATA = "/usr/share/darknet/data"
PERSON = os.path.join(DATA, "person.jpg")
NOBODY = os.path.join(DATA, "eagle.jpg")

rep = Report()


def png(width, height):
    """A grey PNG of any size; compresses to almost nothing."""
    raw = b"".join(b"\x00" + b"\x80" * (width * 3) for _ in range(height))
    def chunk(t, d):
        return struct.pack("!I", len(d)) + t + d + struct.pack("!I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


class FakePeer:
    """A SOCK_SEQPACKET listener standing in for the dispatcher or notifier."""

    def __init__(self, path):
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.ls.bind(path)
        self.ls.listen(4)
        self.c = None

    def accept(self, timeout=60):
        self.ls.settimeout(timeout)
        self.c, _ = self.ls.accept()
        self.c.settimeout(timeout)
        self.c.send(gwmsg.hello(gwmsg.ROLE_DISPATCHER))
        return gwmsg.unpack(self.c.recv(8192))

    def wait_for(self, mtype, limit=50):
        for _ in range(limit):
            t, body = gwmsg.unpack(self.c.recv(8192))
            if t == mtype:
                return body
        raise IOError("no message of type %d" % mtype)


def queued(tmp, cam):
    d = os.path.join(tmp, "spool", "queue", cam)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def still_serves(port, what):
    """Proof the server keeps serving: camera gate2 gets an answer."""
    try:
        w = WS(port)
        m = w.hello("gate2", "tok-two-1234")
        w.send_binary(open(NOBODY, "rb").read())
        a = w.recv_type("answer")
        w.close()
        rep.check(m.get("type") == "welcome" and a.get("status") in ("no_person", "accepted"),
               "still serves gate2 after " + what, "got %r %r" % (m, a))
    except Exception as e:
        rep.check(False, "still serves gate2 after " + what, repr(e))


def spooled_meta(tmp, fid):
    """The metadata trailer of a frame in spool/queue/gate1/, {} if none."""
    try:
        data = open(os.path.join(tmp, "spool", "queue", "gate1", "%s.jpg" % fid), "rb").read()
    except (OSError, TypeError):
        return {}
    if len(data) < 12 or data[-12:-4] != b"GWMETA01":
        return {}
    n = struct.unpack("<I", data[-4:])[0]
    try:
        return json.loads(data[-12 - 1 - n:-13] if data[-13:-12] == b"\n" else data[-12 - n:-12])
    except ValueError:
        return {}


def main():
    exe = os.path.join(BIN, "gatewatch-ingest")
    if not os.access(exe, os.X_OK):
        rep.check(False, "gatewatch-ingest exists", exe + " not built")
        return 1
    tmp = tempfile.mkdtemp(prefix="gw-ingest-")
    os.makedirs(os.path.join(tmp, "run"))
    port = free_port()
    conf = os.path.join(tmp, "gatewatch.conf")
    with open(conf, "w") as f:
        f.write("dir = %s\nmodels.dir = %s\nlisten.address = 127.0.0.1\n"
                "ingest.port = %d\nhttp.port = %d\ningest.max_bytes = 1M\n"
                "ingest.max_pixels = 1000000\ningest.threads = 2\ningest.max_inflight = 1\n"
                "ingest.motion_threshold = 0\nspool.min_free_mb = 0\n"
                "camera.gate1.token = tok-one-1234\ncamera.gate2.token = tok-two-1234\n"
                "camera.hall.token = tok-hall-1234\ncamera.hall.mode = indoor\n"
                % (tmp, MODELS, port, free_port()))
    dispatcher = FakePeer(os.path.join(tmp, "run", "dispatcher.sock"))
    notifier = FakePeer(os.path.join(tmp, "run", "notifier.sock"))
    proc = spawn([exe, "-c", conf], os.path.join(tmp, "ingest.log"))
    try:
        return run_cases(tmp, port, proc, dispatcher, notifier)
    finally:
        kill_spawned(proc, rep)
        art = os.environ.get("GW_TEST_ARTIFACTS")
        if art:
            os.makedirs(art, exist_ok=True)
            with open(os.path.join(art, "ingest-server.log"), "w") as f:
                f.write(open(os.path.join(tmp, "ingest.log")).read())
        shutil.rmtree(tmp, ignore_errors=True)


def run_cases(tmp, port, proc, dispatcher, notifier):
    person = open(PERSON, "rb").read()
    nobody = open(NOBODY, "rb").read()

    # the server listens once the person model is loaded (ASan at -O1 on a
    # loaded machine: allow 120 s, each try bounded)
    ws = None
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if proc.poll() is not None:
            rep.check(False, "ingest starts", "exited with %s" % proc.returncode)
            return 1
        try:
            ws = WS(port)
            break
        except OSError:
            time.sleep(0.1)
    if not rep.check(ws is not None, "ingest listens on its port", "no listener after 120 s"):
        return 1

    t, body = dispatcher.accept()
    rep.check(t == gwmsg.HELLO and struct.unpack("<I", body[:4])[0] == 1, "ingest says hello to the dispatcher as ingest",
           "type %d body %r" % (t, body[:8]))
    t, body = notifier.accept()
    rep.check(t == gwmsg.HELLO, "ingest connects to the notifier", "type %d" % t)

    # 1. welcome
    m = ws.hello("gate1", "tok-one-1234")
    rep.check(m == {"type": "welcome", "camera": "gate1", "mode": "gate", "max_bytes": 1048576, "max_inflight": 1},
           "hello -> welcome with mode and limits", repr(m))

    # 2. a photo with people is accepted and spooled, dispatcher told
    ws.send_text({"type": "meta", "temperature": 36.7})
    ws.send_binary(person)
    a = ws.recv_type("answer")
    ok = rep.check(a.get("status") == "accepted" and a.get("seq") == 1 and len(a.get("persons", [])) >= 1,
                "person.jpg is accepted with person boxes", repr(a))
    fid = a.get("frame")
    if ok:
        names = queued(tmp, "gate1")
        rep.check(names == [fid + ".jpg"], "accepted frame is in spool/queue/gate1/", "queue holds %r" % names)
        data = open(os.path.join(tmp, "spool", "queue", "gate1", fid + ".jpg"), "rb").read() if names else b""
        rep.check(data[:len(person)] == person, "spooled file starts with the JPEG exactly as sent", "%d bytes" % len(data))
        meta = spooled_meta(tmp, fid)
        rep.check(meta.get("camera") == "gate1" and meta.get("frame") == fid and meta.get("temperature") == 36.7
               and meta.get("width") == 640 and len(meta.get("persons", [])) >= 1,
               "spooled metadata has camera, frame, size, temperature, persons", repr(meta)[:200])
        rep.check(meta.get("seq") == 1 and meta.get("unlooked") == 0,
                  "spooled metadata numbers the camera's frames: its first, none unlooked", repr(meta)[:200])
        try:
            body = dispatcher.wait_for(gwmsg.FRAME_READY)
            rep.check(gwmsg.unstr(body[:32]) == "gate1" and gwmsg.unstr(body[32:56]) == fid, "dispatcher gets FRAME_READY for the frame",
                   repr(body[:56]))
        except Exception as e:
            rep.check(False, "dispatcher gets FRAME_READY for the frame", repr(e))

    # 3. a photo without people: no_person, nothing spooled
    before = queued(tmp, "gate1")
    ws.send_binary(nobody)
    a = ws.recv_type("answer")
    rep.check(a.get("status") == "no_person" and a.get("seq") == 2 and a.get("persons") == [],
           "eagle.jpg is no_person", repr(a))
    rep.check(queued(tmp, "gate1") == before, "nothing spooled for no_person", repr(queued(tmp, "gate1")))

    # 4. one frame sent in several WebSocket fragments is one frame
    ws.send_binary(person, pieces=5)
    a = ws.recv_type("answer")
    rep.check(a.get("status") == "accepted" and a.get("seq") == 3, "a fragmented frame is reassembled and accepted", repr(a))

    # 5. gate messages from the notifier reach the camera's connection, in
    #    the schema the camera page and `gatewatch push` read
    if fid:
        # A real track id: the worker's start time in microseconds plus a
        # count, beyond 32 bits; the camera must get every digit (a string).
        track = 1732490000000007

        def gate(kind, verdict=0, reason=0, override=0, by=""):
            v = gwmsg.VERDICT_S.pack(b"gate1", fid.encode(), track, verdict, reason, float("nan"), 0, kind,
                                     override, gwmsg.cstr(by, 64), b"", 0, 0, 0)
            notifier.c.send(gwmsg.pack(gwmsg.VERDICT, v))
        try:
            gate(gwmsg.GATE_APPEARED)
            m = ws.recv_type("person")
            rep.check(m == {"type": "person", "track": str(track), "event": "appeared"},
                      "a person appearing is forwarded to the camera, full 64-bit track id as a string", repr(m))
            gate(gwmsg.GATE_PROMPT, reason=gwmsg.REASONS["face_not_visible"])
            m = ws.recv_type("prompt")
            rep.check(m == {"type": "prompt", "track": str(track), "reason": "face_not_visible",
                            "text": "Please look at the camera"}, "a prompt is forwarded to the camera", repr(m))
            gate(gwmsg.GATE_VERDICT, 2, 1)
            m = ws.recv_type("verdict")
            rep.check(m == {"type": "verdict", "frame": fid, "track": str(track), "verdict": "DENY", "reason": "no_mask",
                            "temperature": None, "person": 0, "override": False, "by": None},
                      "notifier verdict is forwarded to the camera", repr(m))
            gate(gwmsg.GATE_VERDICT, 1, gwmsg.REASONS["override"], 1, "Ann")
            m = ws.recv_type("verdict")
            rep.check(m.get("override") is True and m.get("by") == "Ann" and m.get("verdict") == "PASS",
                      "an override is forwarded with override=true and who", repr(m))
            gate(gwmsg.GATE_LEFT)
            m = ws.recv_type("person")
            rep.check(m == {"type": "person", "track": str(track), "event": "left"},
                      "a person leaving is forwarded to the camera", repr(m))
        except Exception as e:
            rep.check(False, "gate messages are forwarded to the camera", repr(e))
    try:
        body = notifier.wait_for(gwmsg.CAMERA_STATS)
        cam = gwmsg.unstr(body[:32])
        frames_in = struct.unpack("<6Q", body[40:88])[0]
        rep.check(cam in ("gate1", "gate2", "hall"), "notifier gets CAMERA_STATS every second", repr(body[:40]))
    except Exception as e:
        rep.check(False, "notifier gets CAMERA_STATS every second", repr(e))

    # 6. bad text: the connection stays and keeps answering
    ws.send_text("{not json")
    m = ws.recv()
    rep.check(m.get("type") == "error" and m.get("error") == "bad_message" and "JSON" in m.get("reason", ""),
           "bad JSON -> error bad_message", repr(m))
    ws.send_text({"type": "dance"})
    m = ws.recv()
    rep.check(m.get("type") == "error" and m.get("error") == "bad_message" and "dance" in m.get("reason", ""),
           "unknown message type -> error bad_message", repr(m))
    # text that is not UTF-8 is refused with a clear error, and none of its bytes come back
    ws.send_frame(0x1, b'{"type":"meta","note":"caf\xe9 \xff\xfe","temperature":36.5}')
    try:
        m = ws.recv()   # decodes strictly: an echoed 0xff would raise here
        rep.check(m.get("type") == "error" and m.get("error") == "bad_message" and "UTF-8" in m.get("reason", "")
                  and "\ufffd" not in m.get("reason", ""), "a meta that is not UTF-8 -> error bad_message naming UTF-8",
                  repr(m))
    except Exception as e:
        rep.check(False, "a meta that is not UTF-8 -> error bad_message naming UTF-8", repr(e))
    ws.send_binary(nobody)
    a = ws.recv_type("answer")
    rep.check(a.get("seq") == 4 and a.get("status") == "no_person", "connection still answers frames after bad text", repr(a))
    still_serves(port, "bad text")

    # 7. malformed frames are rejected with a reason naming the problem
    cases = [
        ("not an image", b"hello, this is not an image " * 40, "not a JPEG or PNG"),
        ("truncated JPEG", person[:len(person) // 2], "truncated"),
        ("frame over ingest.max_bytes", b"\xff\xd8\xff\xe0" + os.urandom(1100 * 1024), "max_bytes"),
        ("image over ingest.max_pixels", png(1200, 1000), "max_pixels"),
        # crashed stb_image 2.27 (and with it every camera) before imgguard
        ("crafted JPEG with a 2040-code Huffman table",
         open(os.path.join(ROOT, "test/fixtures/bad/dht-2040-codes.jpg"), "rb").read(), "Huffman table with 2040 codes"),
        ("JPEG whose scan uses an undefined Huffman table",
         open(os.path.join(ROOT, "test/fixtures/bad/sos-undefined-table.jpg"), "rb").read(), "never defined"),
    ]
    ws.send_binary(person)
    before7 = spooled_meta(tmp, ws.recv_type("answer").get("frame"))
    spooled = queued(tmp, "gate1")
    seq = 5
    for what, data, word in cases:
        ws.send_binary(data, pieces=3 if len(data) > 500000 else 1)
        seq += 1
        try:
            a = ws.recv_type("answer")
        except Exception as e:
            rep.check(False, what + " is rejected", repr(e))
            ws = WS(port)
            ws.hello("gate1", "tok-one-1234")
            seq = 0
            continue
        rep.check(a.get("status") == "rejected" and word in a.get("reason", "") and a.get("seq") == seq
               and a.get("frame"), what + " is rejected naming the problem", repr(a))
        still_serves(port, what)
    rep.check(queued(tmp, "gate1") == spooled, "rejected frames are not spooled", repr(queued(tmp, "gate1")))

    # 8. more frames in flight than ingest.max_inflight -> busy; answers
    # come in frame order: the busy and rejected answers, given at once,
    # wait for the answer of the frame still in the first pass
    # all frames in one write, so ingest reads them before the first is done
    small = png(64, 48)
    ws.s.sendall(ws.frame_bytes(0x2, small) + ws.frame_bytes(0x2, small) + ws.frame_bytes(0x2, b"not an image" * 10))
    got = [ws.recv_type("answer"), ws.recv_type("answer"), ws.recv_type("answer")]
    by_seq = sorted(got, key=lambda m: m["seq"])
    rep.check(by_seq[1].get("status") == "busy" and by_seq[1].get("reason") == "too many frames in flight"
           and by_seq[0].get("status") in ("no_person", "accepted") and by_seq[2].get("status") == "rejected",
           "over max_inflight -> busy", repr(got))
    rep.check(got == by_seq, "answers come in frame order (busy and rejected wait for the frame in the first pass)",
              repr([(m["seq"], m["status"]) for m in got]))
    # the worker tells frames nobody looked at from frames found empty
    ws.send_binary(person)
    after8 = spooled_meta(tmp, ws.recv_type("answer").get("frame"))
    rep.check(after8.get("seq", 0) - before7.get("seq", 0) == len(cases) + 4 and
              after8.get("unlooked", 0) - before7.get("unlooked", 0) == len(cases) + 2,
              "spooled metadata: the camera's frames since the last spooled one (%d), those answered busy or"
              " rejected (%d)" % (len(cases) + 4, len(cases) + 2),
              (before7.get("seq"), before7.get("unlooked"), after8.get("seq"), after8.get("unlooked")))
    ws.close()

    # 9. frame before hello: an error, then the connection is closed
    # (nothing a stranger sends is buffered)
    w = WS(port)
    w.send_binary(nobody)
    a = w.recv()
    rep.check(a == {"type": "error", "error": "bad_message", "reason": "send hello first"},
           "frame before hello -> error bad_message", repr(a))
    try:
        m = w.recv()
        rep.check(False, "frame before hello -> close 4002", "got %r" % m)
    except WSClosed as e:
        rep.check(e.code == 4002 and e.reason == "send hello first", "frame before hello -> close 4002",
               "code %r reason %r" % (e.code, e.reason))
    except OSError as e:
        rep.check(False, "frame before hello -> close 4002", repr(e))
    w.close()
    still_serves(port, "frame before hello")

    # 10. wrong token / unknown camera -> auth error, close 4001 with reason
    for what, cam, tok in (("wrong token", "gate1", "nope"), ("unknown camera", "ghost", "tok-one-1234")):
        w = WS(port)
        m = w.hello(cam, tok)
        rep.check(m == {"type": "error", "error": "auth", "reason": "unknown camera or wrong token"},
               what + " -> error auth", repr(m))
        try:
            m = w.recv()
            rep.check(False, what + " -> close 4001", "got %r" % m)
        except WSClosed as e:
            rep.check(e.code == 4001 and e.reason == "unknown camera or wrong token", what + " -> close 4001 with reason",
                   "code %r reason %r" % (e.code, e.reason))
        w.close()
        still_serves(port, what)

    # 11. the named subprotocol is served (no subprotocol was served above);
    # indoor mode is announced
    try:
        w = WS(port, protocol="gatewatch-camera")
        m = w.hello("hall", "tok-hall-1234")
        rep.check(m.get("type") == "welcome" and m.get("mode") == "indoor",
               "subprotocol gatewatch-camera is served; indoor mode announced", repr(m))
        w.close()
    except Exception as e:
        rep.check(False, "subprotocol gatewatch-camera is served; indoor mode announced", repr(e))

    # 12. a client that sends but never reads is dropped, not buffered for
    w = WS(port)
    w.hello("gate2", "tok-two-1234")
    w.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    junk = w.frame_bytes(0x2, b"junk")
    try:
        for _ in range(300):  # 60000 answers of ~150 bytes: more than any socket buffer holds
            w.s.sendall(junk * 200)
    except OSError:
        pass
    dropped = wait_until(lambda: "dropped: outbound queue full" in open(os.path.join(tmp, "ingest.log")).read(),
                         60, 0.1)
    w.close()
    rep.check(dropped, "a client that never reads is dropped (bounded outbound queue)", "no 'dropped' log line")
    still_serves(port, "dropping a client that never reads")

    # 13. every refusal left one warn line naming the camera
    log = open(os.path.join(tmp, "ingest.log")).read()
    rep.check(log.count(" warn ingest ") >= 8 and "camera=gate1" in log and "max_pixels" in log,
           "refusals are logged as 'warn ingest <frame> camera=...'", "%d warn lines" % log.count(" warn ingest "))

    # 14. SIGTERM: clean exit 0
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        rc = proc.wait(timeout=60)
        rep.check(rc == 0, "SIGTERM -> exit 0", "exit status %s" % rc)
    except subprocess.TimeoutExpired:
        rep.check(False, "SIGTERM -> exit 0", "still running after 60 s")
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())

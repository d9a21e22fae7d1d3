#!/usr/bin/python3
"""push_lag - how far `gatewatch push --stdin` falls behind a live camera.

ffmpeg plays a photo of a person as a live 5 fps MJPEG camera (-re) for
30 s into `gatewatch push --stdin` (2 frames in flight, the default),
against the four programs on loopback (`gatewatch up`). For every answer,
the age of the answered frame when its answer arrives: now minus the
moment the source made that frame. Run twice in the same run: live (only
the newest frame waits while frames are in flight, the default for a pipe)
and the reference `--all-frames` (every frame in order, what push did
before). Prints markdown. A benchmark, not a test: no limit is checked.

Env: GW_ROOT, BIN, MODELS (as the tests); PUSH_LAG_SECS (default 30)."""
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from lib import BIN, Gatewatch  # noqa: E402

FPS = 5
SECS = int(os.environ.get("PUSH_LAG_SECS", "30"))
PHOTO = "/usr/share/darknet/data/person.jpg"


def run(gw, label, extra):
    ff = subprocess.Popen(["ffmpeg", "-loglevel", "error", "-re", "-loop", "1", "-framerate", str(FPS), "-i", PHOTO,
                           "-t", str(SECS), "-vf", "scale=640:480", "-f", "image2pipe", "-c:v", "mjpeg", "-"],
                          stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    t0 = time.monotonic()
    p = subprocess.Popen([os.path.join(BIN, "gatewatch"), "push", "--url", "ws://127.0.0.1:%d/" % gw.ingest_port,
                          "--camera", "gate1", "--token", gw.tokens["gate1"], "--stdin", "--timeout-ms", "300000"] + extra,
                         stdin=ff.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ff.stdout.close()
    ages, end = [], {}
    for line in p.stdout:
        t = time.monotonic() - t0
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("type") == "answer" and str(m.get("file", "")).startswith("stdin#"):
            ages.append(t - (int(m["file"][6:]) - 1) / FPS)
        elif m.get("type") == "end":
            end = m
    p.wait()
    ff.wait()
    after = time.monotonic() - t0 - SECS
    if not ages:
        raise RuntimeError("%s: no answers: %s" % (label, p.stderr.read().decode(errors="replace")[-500:]))
    ages.sort()
    return {"label": label, "read": end.get("read"), "sent": end.get("sent"), "dropped": end.get("dropped"),
            "median": statistics.median(ages), "p95": ages[min(len(ages) - 1, int(0.95 * len(ages)))],
            "max": ages[-1], "after": after}


def main():
    with Gatewatch("pushlag", cameras=["gate1"], sets={"camera.gate1.mode": "gate"}) as gw:
        gw.start()
        live = run(gw, "live (newest frame only)", [])
        ref = run(gw, "reference: `--all-frames`", ["--all-frames"])
    print("### Camera client: `gatewatch push --stdin` behind a live camera\n")
    print("A %d fps live MJPEG source (ffmpeg -re, a 640x480 photo of a person) for %d s into "
          "`gatewatch push --stdin`, 2 frames in flight, against the four programs on loopback. "
          "*Age* is how old the answered frame was when its answer arrived (server time included); "
          "*after* is how long after the source ended the last answer came. The reference, in the "
          "same run, sends every frame in order (`--all-frames`, what push did before).\n" % (FPS, SECS))
    print("| sender | frames read | sent | dropped | age median | age p95 | age max | last answer after the source ended |")
    print("|---|---|---|---|---|---|---|---|")
    for r in (live, ref):
        print("| %s | %s | %s | %s | %.2f s | %.2f s | %.2f s | %.1f s |" % (
            r["label"], r["read"], r["sent"], r["dropped"], r["median"], r["p95"], r["max"], r["after"]))
    print("\nMedian age, live / reference: %.2f. The reference's age grows for as long as the server is "
          "slower than the camera; the live sender's stays at about the server's answer time.\n"
          % (live["median"] / ref["median"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

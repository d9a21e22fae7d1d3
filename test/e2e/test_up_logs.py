#!/usr/bin/python3
"""test_up_logs - under `gatewatch up` each program's output goes through
`up` into DIR/log/<program>.log, rotated by size (log.max_bytes) with at
most log.keep old files, whole lines only, and nothing is lost while the
programs run and restart.

Env: GW_ROOT, BIN, MODELS."""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Gatewatch, Report, images_darknet  # noqa: E402

rep = Report()
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|warn|error|fatal|panic) \S+ \S+ ")
MAX = 256
KEEP = 2

with Gatewatch("uplogs", cameras=("cam1",), sets={"log.max_bytes": MAX, "log.keep": KEEP,
                                                  "log.level": "debug"}) as gw:
    gw.start()
    gw.push("cam1", images_darknet()[:6])
    logdir = os.path.join(gw.dir, "log")
    files = sorted(os.listdir(logdir))
    print("# %s" % [(f, os.path.getsize(os.path.join(logdir, f))) for f in files])
    for prog in ("notifier", "dispatcher", "ingest"):
        rep.check("%s.log" % prog in files, "%s.log exists" % prog)
    rotated = [f for f in files if re.match(r"^\w+\.log\.\d+$", f)]
    rep.check(rotated, "debug logging past log.max_bytes = %d rotated at least one file" % MAX, str(files))
    rep.check(all(int(f.rsplit(".", 1)[1]) <= KEEP for f in rotated), "at most log.keep = %d old files" % KEEP,
              str(rotated))
    bad = []
    for path in glob.glob(os.path.join(logdir, "*.log*")):
        text = open(path, errors="replace").read()
        if text and not text.endswith("\n"):
            bad.append("%s does not end at a line end" % os.path.basename(path))
        for ln in text.splitlines():
            if not LINE.match(ln) and not ln.startswith(" "):  # darknet's layer table is the only other output
                if not re.match(r"^(layer|\s*\d+ |mask_scale|Loading|Done|\S+ \d)", ln):
                    bad.append("%s: %r" % (os.path.basename(path), ln[:120]))
    rep.check(not bad, "every file holds whole lines only", "; ".join(bad[:5]))
    for f in rotated:
        size = os.path.getsize(os.path.join(logdir, f))
        rep.check(size >= MAX and size < MAX + 2048, "%s was rotated just past the limit (%d bytes)" % (f, size))
    # The programs' lines keep arriving after a rotation.
    before = os.path.getsize(os.path.join(logdir, "ingest.log"))
    gw.push("cam1", images_darknet()[:2])
    rep.check(os.path.getsize(os.path.join(logdir, "ingest.log")) != before or
              any(f.startswith("ingest.log.") for f in os.listdir(logdir)), "ingest keeps logging into its file")
sys.exit(rep.done())

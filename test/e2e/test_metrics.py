#!/usr/bin/python3
"""test_metrics - the whole system with the notifier's /metrics listener:
the page parses as Prometheus text (prometheus_client's own parser, plus
checks that every sample's family is declared and histograms add up), and
the counters move with traffic: frames, analysed frames, inference and
latency histograms, each network's run-time histogram (person detector,
face detector, mask classifier), the time-to-verdict histogram with a gate
decision, queue and worker series, database size, memory.
Other paths answer 404, other methods 405: metrics.listen is a vhost of
the notifier's one HTTP server (lws) that serves /metrics and nothing else.

Env: GW_ROOT, BIN, MODELS."""
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Gatewatch, Report, free_port, images_darknet, images_masks, wait_until  # noqa: E402

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

rep = Report()
NETWORKS = ("person_detector", "face_detector", "mask_classifier")


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode()


def parse(text):
    """{(name, frozenset(labels)): value} from prometheus_client's parser;
    raises on a malformed page."""
    out = {}
    types = {}
    for fam in text_string_to_metric_families(text):
        types[fam.name] = fam.type
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out, types


def val(m, name, **labels):
    return m.get((name, frozenset(labels.items())))


def histogram_ok(m, name, labels):
    buckets = sorted(((float(dict(k)["le"]), v) for (n, k), v in m.items()
                      if n == name + "_bucket" and all(dict(k).get(a) == b for a, b in labels.items())))
    count = val(m, name + "_count", **labels)
    cum = [v for _, v in buckets]
    return bool(buckets) and cum == sorted(cum) and buckets[-1][0] == float("inf") and buckets[-1][1] == count


port = free_port()
with Gatewatch("metrics", cameras=("cam1", "cam2"), sets={"metrics.listen": "127.0.0.1:%d" % port}) as gw:
    gw.start()
    st, ctype, text = scrape(port)
    rep.check(st == 200 and ctype.startswith("text/plain; version=0.0.4"), "GET /metrics: 200, Prometheus text",
              "%s %s" % (st, ctype))
    try:
        before, types = parse(text)
        rep.ok("the page parses as Prometheus text (prometheus_client)")
    except Exception as e:  # noqa: BLE001
        before, types = {}, {}
        rep.fail("the page parses as Prometheus text (prometheus_client)", "%s: %s" % (e, text[:500]))
    declared = {ln.split()[2] for ln in text.splitlines() if ln.startswith("# TYPE ")}
    undeclared = {ln.split("{")[0].split(" ")[0] for ln in text.splitlines() if ln and not ln.startswith("#")}
    undeclared = {n for n in undeclared if n not in declared and
                  not any(n == d + suf for d in declared for suf in ("_bucket", "_sum", "_count"))}
    rep.check(not undeclared, "every sample belongs to a declared family", str(undeclared))
    rep.check(types.get("gatewatch_inference_seconds") == "histogram" and
              types.get("gatewatch_worker_frame_seconds") == "histogram" and
              types.get("gatewatch_time_to_verdict_seconds") == "histogram" and
              types.get("gatewatch_frame_latency_seconds") == "histogram", "the histograms are typed histogram",
              str(types))
    rep.check(val(before, "gatewatch_database_bytes") > 0, "database size is reported")
    rep.check(val(before, "process_resident_memory_bytes") > 1e6, "the notifier's memory is reported")

    files = images_darknet()[:4] + images_masks(4)
    gw.push("cam1", files)
    gw.push("cam2", files[:2])

    def answered(m, cam):
        return sum(val(m, "gatewatch_frames_total", camera=cam, outcome=o) or 0
                   for o in ("accepted", "no_person", "busy", "rejected"))

    def moved():
        # ingest's statistics come once a second: wait until they count
        # every frame answered, not only received
        m, _ = parse(scrape(port)[2])
        return m if answered(m, "cam1") >= len(files) and answered(m, "cam2") >= 2 and \
            (val(m, "gatewatch_frames_analysed_total", camera="cam1") or 0) > 0 else None
    after = wait_until(moved, 120, 0.5) or parse(scrape(port)[2])[0]
    rec = val(after, "gatewatch_frames_total", camera="cam1", outcome="received")
    rep.check(rec == len(files), "frames received by cam1 counted (%s of %d)" % (rec, len(files)))
    acc = val(after, "gatewatch_frames_total", camera="cam1", outcome="accepted") or 0
    nop = val(after, "gatewatch_frames_total", camera="cam1", outcome="no_person") or 0
    rep.check(acc > 0 and acc + nop <= rec, "accepted (%s) and no-person (%s) frames counted" % (acc, nop))
    rep.check(val(after, "gatewatch_frames_total", camera="cam2", outcome="received") == 2,
              "cam2 counted on its own")
    an = val(after, "gatewatch_frames_analysed_total", camera="cam1") or 0
    rep.check(0 < an <= acc, "analysed frames counted (%s)" % an)
    n_frame = val(after, "gatewatch_worker_frame_seconds_count") or 0
    rep.check(n_frame >= an and val(after, "gatewatch_worker_frame_seconds_sum") > 0,
              "worker frame-time histogram moved (%s observations, %s analysed)" % (n_frame, an))
    runs = {n: val(after, "gatewatch_inference_seconds_count", network=n) or 0 for n in NETWORKS}
    sums = {n: val(after, "gatewatch_inference_seconds_sum", network=n) or 0 for n in NETWORKS}
    rep.check(all(val(before, "gatewatch_inference_seconds_count", network=n) == 0 for n in NETWORKS),
              "no network runs counted before any frame")
    # ingest runs the person detector on every frame it does not skip for
    # want of motion; the mask photos are close-ups, which also run its face
    # detector (the fallback); the workers' face detector runs for the
    # people who need a look (a new person in a frame does; one whose mask
    # state is settled not until the re-look: worker/frame.c), and every
    # face found the mask classifier.
    skipped = sum(val(after, "gatewatch_frames_total", camera=c, outcome="motion_skipped") or 0 for c in ("cam1", "cam2"))
    rep.check(runs["person_detector"] == len(files) + 2 - skipped and sums["person_detector"] > 0,
              "person detector: one run per frame not skipped (%s runs, %d frames, %s skipped)"
              % (runs["person_detector"], len(files) + 2, skipped))
    rep.check(runs["face_detector"] > 0 and sums["face_detector"] > 0,
              "face detector runs observed (%s, %s frames analysed)" % (runs["face_detector"], an))
    rep.check(runs["mask_classifier"] > 0 and sums["mask_classifier"] > 0,
              "mask classifier runs observed (%s)" % runs["mask_classifier"])
    rep.check(all(histogram_ok(after, "gatewatch_inference_seconds", {"network": n}) for n in NETWORKS) and
              histogram_ok(after, "gatewatch_worker_frame_seconds", {}) and
              histogram_ok(after, "gatewatch_frame_latency_seconds", {}) and
              histogram_ok(after, "gatewatch_time_to_verdict_seconds", {}),
              "histogram buckets are cumulative and end in +Inf = count")
    rep.check((val(after, "gatewatch_frame_latency_seconds_count") or 0) >= an, "frame latency observed per frame")

    # face_detector is the workers' search alone (its count over the frames
    # analysed: their runs per frame), face_detector_closeup ingest's
    # close-up fallback (the mask photos are close-ups): the workers' count
    # is what the workers log per frame (face_runs=whole+boxes, a total per
    # worker process), once the frames in flight are done.
    def logged_runs():
        total, last = 0, {}
        for m in re.finditer(r" info worker \S+ camera=(\S+) .* face_runs=(\d+)\+(\d+) ",
                             gw.log("dispatcher") + gw.log("worker")):
            n = int(m.group(2)) + int(m.group(3))
            if n < last.get(m.group(1), 0):   # a new worker process for the camera: its own total
                total += last[m.group(1)]
            last[m.group(1)] = n
        return total + sum(last.values())

    def workers_runs():
        return val(parse(scrape(port)[2])[0], "gatewatch_inference_seconds_count", network="face_detector")
    same = wait_until(lambda: workers_runs() == logged_runs() > 0, 60, 0.5)
    rep.check(same, "face_detector counts the workers' runs only (as logged: %s), not ingest's close-up runs"
              % logged_runs(), "/metrics %s" % workers_runs())
    closeup = val(after, "gatewatch_inference_seconds_count", network="face_detector_closeup") or 0
    rep.check(closeup > 0 and histogram_ok(after, "gatewatch_inference_seconds", {"network": "face_detector_closeup"}),
              "ingest's close-up fallback runs counted apart (%s)" % closeup)

    # One masked person at the gate, frame after frame: a gate decision, so
    # the time-to-verdict histogram moves with it; the networks' counts go on.
    gw.push("cam2", [images_masks(1)[0]] * 5)

    # The decision comes from the worker; ingest's person-detector figures
    # come with its once-a-second statistics, possibly later: wait for both.
    def decided():
        m, _ = parse(scrape(port)[2])
        return m if (val(m, "gatewatch_time_to_verdict_seconds_count") or 0) > 0 and \
            (val(m, "gatewatch_inference_seconds_count", network="person_detector") or 0) > runs["person_detector"] \
            else None
    later = wait_until(decided, 120, 0.5) or parse(scrape(port)[2])[0]
    nv = val(later, "gatewatch_time_to_verdict_seconds_count") or 0
    rep.check(nv >= 1 and nv == val(later, "gatewatch_gate_decisions_total"),
              "time to verdict observed once per gate decision (%s, decisions %s)"
              % (nv, val(later, "gatewatch_gate_decisions_total")))
    # (the tracker may skip the mask classifier on a person it has decided)
    # (the close-ups' faces: ingest's fallback finds them; the worker may
    # take them from ingest without a run of its own)
    faces = [sum(val(m, "gatewatch_inference_seconds_count", network=n) or 0
                 for n in ("face_detector", "face_detector_closeup")) for m in (after, later)]
    rep.check((val(later, "gatewatch_inference_seconds_count", network="person_detector") or 0) >
              runs["person_detector"] and faces[1] > faces[0] and
              (val(later, "gatewatch_inference_seconds_count", network="mask_classifier") or 0) >= runs["mask_classifier"],
              "the detectors' counts moved with the next frames (face: workers' and close-up runs)",
              str({n: (runs[n], val(later, "gatewatch_inference_seconds_count", network=n)) for n in NETWORKS}) +
              " face %r" % faces)
    rep.check((val(after, "gatewatch_worker_starts_total", camera="cam1") or 0) >= 1 and
              val(after, "gatewatch_queue_depth", camera="cam1") is not None, "worker and queue series for cam1")
    rep.check(val(after, "gatewatch_database_bytes") >= val(before, "gatewatch_database_bytes"),
              "database size after traffic")

    # Not /metrics, not GET.
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/other" % port, timeout=5)
        rep.fail("another path is 404", "200")
    except urllib.error.HTTPError as e:
        rep.check(e.code == 404, "another path is 404", e.code)
    try:
        urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/metrics" % port, data=b"x",
                                                      method="POST"), timeout=5)
        rep.fail("POST is 405", "200")
    except urllib.error.HTTPError as e:
        rep.check(e.code == 405, "POST is 405", e.code)
    # metrics.listen serves /metrics and nothing else, whatever the Host
    # header names; the dashboard's port does not turn into it either.
    for path in ("/api/session", "/index.html", "/"):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5)
            rep.fail("metrics.listen: %s is 404" % path, "200")
        except urllib.error.HTTPError as e:
            rep.check(e.code == 404, "metrics.listen: %s is 404" % path, e.code)
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = s.recv(64)
    s.close()
    rep.check(not head.startswith(b"HTTP/1.1 101"), "metrics.listen: no WebSocket upgrade to /live", repr(head))
    try:
        urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/metrics" % gw.http_port,
                                                      headers={"Host": "metrics"}), timeout=5)
        rep.fail("dashboard port with Host: metrics still needs credentials", "200")
    except urllib.error.HTTPError as e:
        rep.check(e.code == 401, "dashboard port with Host: metrics still needs credentials", e.code)
    # A client that sends half a request and stalls does not stop others.
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /metr")
    rep.check(scrape(port)[0] == 200, "a stalled client does not block the next scrape")
    s.close()
    rep.check("metrics: http://127.0.0.1:%d/metrics" % port in gw.log("notifier"), "the notifier logs where")
    # The same page on the dashboard's port, for a bearer token only.
    main = "http://127.0.0.1:%d/metrics" % gw.http_port
    try:
        urllib.request.urlopen(main, timeout=5)
        rep.fail("dashboard port: /metrics without credentials is 401", "200")
    except urllib.error.HTTPError as e:
        rep.check(e.code == 401, "dashboard port: /metrics without credentials is 401", e.code)
    r = subprocess.run([gw.bin(), "token", "add", "prometheus", "--role", "viewer", "-c",
                        os.path.join(gw.dir, "gatewatch.conf")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    token = (r.stdout.strip().split() or [""])[-1]
    try:
        with urllib.request.urlopen(urllib.request.Request(main, headers={"Authorization": "Bearer " + token}),
                                    timeout=10) as resp:
            body = resp.read().decode()
            m2, _ = parse(body)
            rep.check(resp.status == 200 and resp.headers.get("Content-Type", "").startswith("text/plain; version=0.0.4")
                      and val(m2, "gatewatch_frames_total", camera="cam1", outcome="received") == len(files),
                      "dashboard port: /metrics with a viewer's bearer token is the same page")
    except Exception as e:  # noqa: BLE001
        rep.fail("dashboard port: /metrics with a viewer's bearer token is the same page",
                 "%s (token add: %s %s)" % (e, r.stdout, r.stderr))
sys.exit(rep.done())

#!/usr/bin/python3
"""network_times - what /metrics says each network costs per run: the
whole system (gatewatch up), darknet's sample photos and 20 mask-faces
val photos pushed to one camera, then gatewatch_inference_seconds and
gatewatch_worker_frame_seconds read back from metrics.listen. Prints a
markdown table (runs, mean, the bucket holding the median) and the load
average, for docs/METRICS.md. Usage: python3 test/bench/network_times.py"""
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from lib import Gatewatch, free_port, images_darknet, images_masks  # noqa: E402

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402


def main():
    port = free_port()
    with Gatewatch("network-times", cameras=("cam1",), sets={"metrics.listen": "127.0.0.1:%d" % port}) as gw:
        gw.start()
        files = images_darknet() + images_masks(20)
        gw.push("cam1", files)
        time.sleep(4)  # the last results and ingest's next statistics
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    rows = {}
    for fam in text_string_to_metric_families(text):
        if fam.name not in ("gatewatch_inference_seconds", "gatewatch_worker_frame_seconds"):
            continue
        for s in fam.samples:
            r = rows.setdefault(s.labels.get("network", "whole worker frame"), {"b": []})
            if s.name.endswith("_count"):
                r["n"] = s.value
            elif s.name.endswith("_sum"):
                r["sum"] = s.value
            elif s.name.endswith("_bucket"):
                r["b"].append((s.labels["le"], s.value))
    print("| series | runs | mean | median in bucket |\n|---|---|---|---|")
    for k, r in rows.items():
        n = r.get("n", 0)
        med = next((le for le, c in r["b"] if c >= n / 2), "-") if n else "-"
        print("| %s | %d | %.1f ms | <= %s s |" % (k, n, 1000 * r.get("sum", 0) / n if n else 0, med))
    print("\n%d frames pushed; load average %s" % (len(files), " ".join(open("/proc/loadavg").read().split()[:3])))


main()

#!/usr/bin/python3
"""test_openapi - the API as linked resources, held to its OpenAPI document.

Against a real notifier fed with people and an alert (as workers send
them):
- /api/openapi.json is docs/openapi.json;
- every documented path and method answers (real ids filled in), never
  404 or 500;
- every answer this test gets under /api (errors included) has a status,
  media type and body its document gives, and the document is OpenAPI
  3.1 with every $ref resolved and every path parameter declared:
  notifier_env's Notifier(check_api=True), test/e2e/openapi_check.mjs;
- link walking: from /api, every link found (bounded) answers, no 404/500;
- items have their own URLs and links; the actions offered depend on the
  role ("ack" and "override" for a supervisor, not for a viewer); a full
  page of people has a Link rel="next"; figures for any day.

Env: GW_ROOT, BIN. Prints "ok - ..." / "not ok - ...: why"."""
import datetime
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwmsg  # noqa: E402
from lib import wait_until  # noqa: E402
from notifier_env import ROOT, Cases, Notifier  # noqa: E402

os.environ.setdefault("TZ", "Europe/Berlin")  # the notifier's too: figures over a DST change
time.tzset()
t = Cases()
n = None


try:
    # retention.days = 0: the figures below are checked on events of 2020 and
    # 2021 written straight into the database; the notifier's first retention
    # run (2 s after start) would delete them, oldest first, whenever this test
    # reaches them sooner than that (seen on an idle CI machine)
    n = Notifier(check_api=True, extra=["--set", "retention.days=0"]).start()
    admin = n.auth()
    sup = n.login("sue", n.add_user("sue", "supervisor"))
    viewer = n.login("val", n.add_user("val", "viewer"))

    # people and an alert, as workers send them
    now = int(time.time() * 1e6) - 2000000
    items = []
    tracks = []
    for k, (cam, verdict, reason) in enumerate((("gate1", "PASS", ""), ("gate1", "DENY", "no_mask"),
                                                ("hall", "DENY", "no_mask"))):
        tr = now + k * 1000 + 1
        tracks.append((cam, tr))
        ev = [dict(track=tr, kind="new", seq=1, first_seen_us=tr, last_seen_us=tr),
              dict(track=tr, kind="changed", seq=2, verdict=verdict, reason=reason,
                   mask="mask_on" if verdict == "PASS" else "mask_off", mask_score=0.9, decision=True,
                   first_seen_us=tr, last_seen_us=tr + 5000)]
        if cam == "hall":
            ev.append(dict(track=tr, kind="alert", seq=3, verdict="DENY", reason="no_mask", mask="mask_off"))
        items.append(dict(camera=cam, frame=gwmsg.frame_id(tr), events=ev,
                          persons=[dict(verdict=verdict, reason=reason, track=tr)]))
    t.eq(gwmsg.feed(n.sock, items), 3, "the notifier took three results")

    # --- the document ---
    st, hdrs, body = n.get("/api/openapi.json")
    doc = json.loads(body) if st == 200 else {}
    with open(os.path.join(ROOT, "docs", "openapi.json")) as f:
        t.check(doc and doc == json.load(f), "/api/openapi.json is docs/openapi.json")
    # docs/openapi.json is generated (docs/HACKING.md): a change made to the
    # JSON by hand is lost at the next generation
    import subprocess
    gen = subprocess.run([sys.executable, os.path.join(ROOT, "docs", "openapi.py")],
                         capture_output=True, text=True, timeout=60)
    with open(os.path.join(ROOT, "docs", "openapi.json")) as f:
        t.check(gen.returncode == 0 and json.loads(gen.stdout or "null") == json.load(f),
                "docs/openapi.py generates docs/openapi.json as committed")
    st, _, _ = n.get("/api/openapi.json", auth=None)
    t.eq(st, 401, "the document needs a login like the rest")

    # --- every documented path and method answers as documented ---
    st, people = admin.json("GET", "/api/tracks")
    st2, alerts = admin.json("GET", "/api/alerts")
    tok = admin.json("POST", "/api/tokens", {"name": "doc-probe", "role": "viewer"})[1]
    n.add_user("gone", "viewer")
    fill = {"id": None, "name": "gone", "date": datetime.date.today().isoformat(), "camera": "gate1",
            "track": str(tracks[0][1])}
    sample = {"/api/session": {"user": "val", "password": "wrong-password"},
              "/api/users": {"name": "newbie", "role": "viewer", "password": "newbie-password"},
              "/api/users/{name}": {"role": "supervisor"},
              "/api/tokens": {"name": "probe2", "role": "viewer"},
              "/api/tracks/{camera}/{track}/override": {"verdict": "PASS", "note": "checked"},
              "/api/alerts/{id}/ack": {},
              "/api/cameras": {"id": "probecam", "name": "Probe"},  # then renamed and removed below
              "/api/cameras/{id}": {"name": "Probe 2", "mode": "indoor"}}
    ids = {"/api/tracks/{id}": people[0]["id"], "/api/alerts/{id}": alerts[0]["id"],
           "/api/alerts/{id}/ack": alerts[0]["id"], "/api/cameras/{id}": "probecam", "/api/cameras/{id}/token": "hall",
           "/api/cameras/{id}/status": "hall",
           "/api/tokens/{id}": tok["id"],
           "/api/audit/{id}": 1}
    wrong = []
    order = {"get": 0, "post": 1, "patch": 2, "delete": 3}
    checked = 0
    for path, ops in sorted(doc.get("paths", {}).items()):
        for m in sorted((m for m in ops if m != "parameters"), key=lambda m: order[m]):
            op = ops[m]
            f = dict(fill, id=ids.get(path))
            url = re.sub(r"{(\w+)}", lambda mo: str(f[mo.group(1)]), path)
            who = admin
            if path == "/api/session" and m == "delete":
                who = n.login()  # its own session: logging out must not end the admin's
            data = sample.get(path) if m in ("post", "patch") else None
            st, h, b = who.request(m.upper(), url, None if data is None else json.dumps(data))
            checked += 1
            if st in (404, 500):  # (its status and body are held to the document at the end)
                wrong.append("%s %s: %d" % (m.upper(), url, st))
    t.check(checked >= 25, "%d operations tried" % checked)
    t.eq(wrong, [], "every documented path and method answers, never 404 or 500")
    # error answers (held to the document at the end, as every answer)
    for url, who, want in (("/api/tracks?limit=0", admin, 400), ("/api/users", viewer, 403),
                           ("/api/users?limit=1", admin, 400), ("/api/tokens?before=1", viewer, 403),
                           ("/api/alerts/999999", admin, 404), ("/api/tracks", None, 401)):
        st, h, b = n.get(url, auth=who)
        ctype = {k.lower(): v for k, v in h.items()}.get("content-type", "")
        t.check(st == want and ctype == "application/problem+json",
                "%s as %s: %d application/problem+json" % (url, "nobody" if who is None else who.user, want),
                repr((st, ctype)))

    # --- link walking from /api ---
    seen, queue, bad = set(), ["/api"], []
    while queue and len(seen) < 200:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        st, h, b = admin.request("GET", url)
        if st in (404, 500) or st >= 400:
            bad.append("%s: %d" % (url, st))
            continue
        if not b or not {k.lower(): v for k, v in h.items()}.get("content-type", "").startswith("application/json"):
            continue

        def walk(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "_links" and isinstance(v, dict):
                        for rel, link in v.items():
                            if isinstance(link, dict) and "href" in link and not link.get("method") and \
                                    not link.get("templated") and link["href"] not in seen:
                                queue.append(link["href"])
                    else:
                        walk(v)
            elif isinstance(node, list):
                for x in node[:20]:
                    walk(x)
        walk(json.loads(b))
    t.check(len(seen) >= 12 and not bad, "link walking from /api: %d links, no error" % len(seen),
            "%s (seen %s)" % (bad, sorted(seen)[:30]))

    # --- items, links by role, paging, any day ---
    st, one = viewer.json("GET", "/api/tracks/%d" % people[0]["id"])
    t.check(st == 200 and one["id"] == people[0]["id"] and one["_links"]["self"]["href"] ==
            "/api/tracks/%d" % one["id"] and one["_links"]["camera"]["href"] == "/api/cameras/" + one["camera"] and
            "override" not in one["_links"], "a person has its own URL and links; no override for a viewer",
            repr(one)[:300])
    st, one = sup.json("GET", "/api/tracks/%d" % people[0]["id"])
    t.check(st == 200 and one["_links"].get("override", {}).get("method") == "POST",
            "a supervisor is offered the override action", repr(one.get("_links")))
    st, al = viewer.json("GET", "/api/alerts?state=all")
    open_alerts = [a for a in al if a["acked_ms"] is None]
    st, al_sup = sup.json("GET", "/api/alerts?state=all")
    t.check(all("ack" not in a["_links"] for a in al) and
            all(("ack" in a["_links"]) == (a["acked_ms"] is None) for a in al_sup),
            "ack is offered only to a supervisor, only on an open alert", repr((al, al_sup))[:400])
    st, cam = viewer.json("GET", "/api/cameras/hall")
    t.check(st == 200 and cam["id"] == "hall" and cam["_links"]["people"]["href"] == "/api/tracks?camera=hall",
            "a camera has its own URL with a link to its people", repr(cam)[:300])
    # A camera's ETag covers its settings, not its live state: a frame that
    # changes the latter leaves the ETag, and If-Match with it, good.
    st, h, b = admin.request("GET", "/api/cameras/hall")
    tag = {k.lower(): v for k, v in h.items()}.get("etag", "")
    st0, live0 = admin.json("GET", "/api/cameras/hall/status")
    t.eq(gwmsg.feed(n.sock, [dict(camera="hall", persons=[])]), 1, "a frame of hall without people")
    moved = wait_until(lambda: admin.json("GET", "/api/cameras/hall/status")[1] != live0, 20)
    st2, h2, b2 = admin.request("GET", "/api/cameras/hall")
    st3, _, c3 = admin.request("PATCH", "/api/cameras/hall", json.dumps({"name": cam.get("name")}), {"If-Match": tag})
    t.check(st == 200 and st0 == 200 and live0["_links"]["self"]["href"] == "/api/cameras/hall/status" and
            "stats" in live0 and "stats" not in json.loads(b) and moved and b2 == b and st3 == 200,
            "the live state (.../status) moved; the camera's settings, their ETag and If-Match with it did not",
            repr((st, st0, moved, b2 == b, st3, c3[:200])))
    st, h, b = viewer.request("GET", "/api/tracks?limit=2")
    link = {k.lower(): v for k, v in h.items()}.get("link", "")
    m = re.match(r'<([^>]+)>; rel="next"', link)
    t.check(st == 200 and m is not None, "a full page of people has a Link rel=next header", repr(link))
    if m:
        st, page2 = viewer.json("GET", m.group(1))
        t.check(st == 200 and len(page2) == 1 and page2[0]["id"] < json.loads(b)[-1]["id"],
                "the next link gives the older people", repr(page2)[:200])
    st, h, b = viewer.request("GET", "/api/tracks")
    t.check("link" not in {k.lower() for k in h}, "a page that is not full has no next link", repr(h))
    st, h, b = viewer.request("GET", "/api/tracks?camera=gate1&verdict=DENY&limit=1")
    link = {k.lower(): v for k, v in h.items()}.get("link", "")
    m = re.match(r'<([^>]+)>; rel="next"', link)
    t.check(st == 200 and m is not None and "camera=gate1&" in m.group(1) and "verdict=DENY&" in m.group(1),
            "a filtered page's next link keeps its filters", repr(link))
    if m:
        st, page2 = viewer.json("GET", m.group(1))
        t.check(st == 200 and page2 == [], "the next page of gate1's one denied person is empty (not others')",
                repr(page2)[:200])
    today = datetime.date.today().isoformat()
    st, day = viewer.json("GET", "/api/stats/day/" + today)
    st2, tod = viewer.json("GET", "/api/stats/today")
    t.check(st == 200 and day == tod and day["total"]["people"] == 3, "figures for a day given by date = today's",
            repr((day.get("total"), tod.get("total"))))
    st, old = viewer.json("GET", "/api/stats/day/2001-01-01")
    t.check(st == 200 and old["date"] == "2001-01-01" and old["total"]["people"] == 0, "figures for another day",
            repr(old)[:200])
    st, _ = viewer.json("GET", "/api/stats/day/2001-13-01")
    t.eq(st, 400, "a date that is no date is 400")
    # HTTP caching and conditional updates
    st, h, b = viewer.request("GET", "/api/stats/today")
    etag = {k.lower(): v for k, v in h.items()}.get("etag", "")
    st2, h2, b2 = viewer.request("GET", "/api/stats/today", headers={"If-None-Match": etag})
    t.check(st == 200 and etag.startswith('"') and st2 == 304 and b2 == b"",
            "GET answers carry an ETag; If-None-Match with it is 304 without a body", repr((st, etag, st2, b2[:50])))
    h2 = {k.lower(): v for k, v in h2.items()}
    t.check("content-type" not in h2 and "content-length" not in h2, "a 304 has no Content-Type or -Length",
            repr(h2))
    st3, _, _ = viewer.request("GET", "/api/stats/today", headers={"If-None-Match": '"0000"'})
    t.eq(st3, 200, "a stale If-None-Match gets the body")
    st, h, _ = admin.request("GET", "/api/users/val")
    tag = {k.lower(): v for k, v in h.items()}.get("etag", "")
    st1, _, _ = admin.request("PATCH", "/api/users/val", json.dumps({"role": "viewer"}), {"If-Match": '"stale"'})
    longer = ", ".join('"stale%016d"' % i for i in range(20))  # over the 255 bytes webapi.c reads
    st0, _, _ = admin.request("PATCH", "/api/users/val", json.dumps({"role": "viewer"}), {"If-Match": longer})
    st2, _, _ = admin.request("PATCH", "/api/users/val", json.dumps({"role": "viewer"}), {"If-Match": tag})
    t.check(st1 == 412 and st0 == 412 and st2 == 200, "PATCH with a stale If-Match is 412 (a long one too, not "
            "taken for none), with the current ETag 200", repr((st1, st0, st2)))
    # --- figures for a range of days, checked against rows inserted here ---
    def at(y, mo, d, h, mi):
        return int(time.mktime((y, mo, d, h, mi, 0, 0, 0, -1)) * 1e6)
    rows = []  # (camera, track, seq, kind, verdict, decision, at_us)
    for i, (v, dec) in enumerate((("none", 0), ("PASS", 1), ("PASS", 1), ("DENY", 1))):
        tr = 9000 + i
        rows.append(("gate1", tr, 1, "new", "none", 0, at(2020, 3, 10, 9, 10 + i)))
        if dec:
            rows.append(("gate1", tr, 2, "changed", v, 1, at(2020, 3, 10, 9, 20 + i)))
    rows += [("hall", 9100, 1, "new", "none", 0, at(2020, 3, 12, 15, 5)),
             ("hall", 9100, 2, "changed", "DENY", 1, at(2020, 3, 12, 15, 6)),
             ("hall", 9100, 3, "alert", "DENY", 0, at(2020, 3, 12, 15, 7)),
             ("hall", 9101, 1, "new", "none", 0, at(2020, 3, 11, 23, 59))]
    import sqlite3
    dbw = sqlite3.connect(os.path.join(n.dir, "gatewatch.db"), timeout=10)
    with dbw:
        dbw.executemany("INSERT INTO track_events (camera, track_id, seq, kind, verdict, reason, decision, at_us,"
                        " frame_id, json) VALUES (?,?,?,?,?,'',?,?,'','{}')", rows)
    dbw.close()
    st, rg = viewer.json("GET", "/api/stats?from=2020-03-10&to=2020-03-12&by=day")
    got = [(b["bucket"], b["camera"], b["counts"]["people"], b["counts"]["passed"], b["counts"]["denied"],
            b["counts"]["alerts"]) for b in rg.get("buckets", [])] if st == 200 else rg
    t.eq(got, [("2020-03-10", "gate1", 4, 2, 1, 0), ("2020-03-11", "hall", 1, 0, 0, 0),
               ("2020-03-12", "hall", 1, 0, 1, 1)], "figures per day over three days, per camera")
    t.check(st == 200 and rg["total"]["people"] == 6 and rg["total"]["passed"] == 2 and rg["total"]["denied"] == 2 and
            rg["total"]["pass_rate"] == 0.5 and rg["cameras"]["gate1"]["pass_rate"] == round(2 / 3, 4) and
            rg["cameras"]["hall"]["pass_rate"] == 0.0, "range totals, per camera, and pass rates", repr(rg)[:400])
    st, rh = viewer.json("GET", "/api/stats?from=2020-03-10&to=2020-03-10&by=hour&camera=gate1")
    t.eq([(b["bucket"], b["counts"]["people"]) for b in rh.get("buckets", [])], [("2020-03-10 09:00", 4)],
         "per hour, one camera")
    st, rm = viewer.json("GET", "/api/stats?from=2020-03-01&to=2020-03-31&by=month")
    t.eq([(b["bucket"], b["camera"], b["counts"]["people"]) for b in rm.get("buckets", [])],
         [("2020-03", "gate1", 4), ("2020-03", "hall", 2)], "per month")
    st, rw = viewer.json("GET", "/api/stats?from=2020-03-09&to=2020-03-15&by=week")
    t.check(st == 200 and sum(b["counts"]["people"] for b in rw["buckets"]) == 6, "per week", repr(rw)[:300])
    # The notifier names buckets in C (quarter hours since local midnight,
    # then strftime): the same names and sums as SQLite's strftime(...,
    # 'localtime') per row, over a DST change (TZ Europe/Berlin unless the
    # caller set one: 2021-03-28 and 2021-10-31) and week and month ends.
    base = at(2021, 3, 25, 0, 0)
    dst = [("gate1" if i % 3 else "hall", 9500 + i, 1, "new" if i % 4 else "alert", "none", 0,
            base + i * 2345 * 10**6 + (i % 7) * 10**5) for i in range(400)]
    base = at(2021, 10, 29, 0, 0)
    dst += [("hall", 9900 + i, 1, "new", "none", 0, base + i * 1733 * 10**6) for i in range(300)]
    dbw = sqlite3.connect(os.path.join(n.dir, "gatewatch.db"), timeout=10)
    with dbw:
        dbw.executemany("INSERT INTO track_events (camera, track_id, seq, kind, verdict, reason, decision, at_us,"
                        " frame_id, json) VALUES (?,?,?,?,?,'',?,?,'','{}')", dst)
    for frm, to, by, fmt in (("2021-03-25", "2021-04-02", "hour", "%Y-%m-%d %H:00"),
                             ("2021-03-20", "2021-04-10", "day", "%Y-%m-%d"),
                             ("2021-03-01", "2021-11-30", "week", "%Y-W%W"),
                             ("2021-03-01", "2021-11-30", "month", "%Y-%m")):
        t0 = at(*map(int, frm.split("-")), 0, 0)
        t1 = at(*map(int, to.split("-")), 0, 0) + 86400 * 10**6 + 12 * 3600 * 10**6
        t1 = at(*time.localtime(t1 // 10**6)[:3], 0, 0)
        want = [tuple(r) for r in dbw.execute(
            "SELECT strftime(?, at_us / 1000000, 'unixepoch', 'localtime') AS k, camera, sum(kind = 'new'),"
            " sum(kind = 'alert') FROM track_events WHERE at_us >= ? AND at_us < ? GROUP BY k, camera"
            " ORDER BY k, camera", (fmt, t0, t1))]
        st, rr = viewer.json("GET", "/api/stats?from=%s&to=%s&by=%s" % (frm, to, by))
        got = [(b["bucket"], b["camera"], b["counts"]["people"], b["counts"]["alerts"])
               for b in rr.get("buckets", [])] if st == 200 else rr
        t.check(len(want) > 5 and got == want, "by=%s over a DST change: the buckets SQLite's strftime gives" % by,
                "%d vs %d buckets; first difference %r" % (len(got), len(want),
                                                          next(((a, b) for a, b in zip(got, want) if a != b), None)))
    dbw.close()
    import csv
    import io
    st, h, b = viewer.request("GET", "/api/stats.csv?from=2020-03-10&to=2020-03-12&by=day")
    ctype = {k.lower(): v for k, v in h.items()}.get("content-type", "")
    table = list(csv.reader(io.StringIO(b.decode())))
    t.check(st == 200 and ctype.startswith("text/csv") and
            table[0] == ["bucket", "camera", "people", "passed", "denied", "alerts", "overrides", "pass_rate"] and
            table[1][:6] == ["2020-03-10", "gate1", "4", "2", "1", "0"] and len(table) == 4,
            "the figures as CSV parse, one row per bucket and camera", repr((st, ctype, table[:3])))
    st, h, b = viewer.request("GET", "/api/tracks.csv")
    table = list(csv.reader(io.StringIO(b.decode())))
    st2, js = viewer.json("GET", "/api/tracks?limit=500")
    t.check(st == 200 and table[0][:3] == ["id", "camera", "track"] and len(table) - 1 == len(js) and
            [int(r[0]) for r in table[1:]] == [p["id"] for p in js], "people as CSV parse, the same rows as /api/tracks",
            repr(table[:2]))
    for q, what in (("by=year", "an unknown bucket"), ("from=2020-03-12&to=2020-03-10", "to before from"),
                    ("from=2020-01-01&to=2020-03-01&by=hour", "per hour over more than 31 days"),
                    ("from=2020-02-30", "a day that does not exist")):
        st, _ = viewer.json("GET", "/api/stats?" + q)
        t.eq(st, 400, "/api/stats: 400 for %s" % what)
    st, entry = viewer.json("GET", "/api")
    st2, entry_admin = admin.json("GET", "/api")
    t.check("users" not in entry["_links"] and "users" in entry_admin["_links"] and
            "tracks" in entry["_links"], "the entry point links only what the role may use",
            repr((sorted(entry["_links"]), sorted(entry_admin["_links"]))))
except Exception as e:  # a crash of the test is a failure, with its reason
    t.crashed(e)
finally:
    t.finish(n)
sys.exit(1 if t.failed else 0)

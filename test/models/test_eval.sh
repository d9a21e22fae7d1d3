#!/bin/sh
# test_eval.sh - the whole vision path (ingest's first pass, the worker's
# face search, mask classifier, verdict) scored by `gatewatch eval` on a
# fixed subset of the mask-scenes validation split committed in
# test/models/data/mask-scenes-val (75 images: every validation image with
# a mask_off or mask_chin face of 40+ px, and every third of the others;
# CC0, see its README). Each figure must stay at or above its floor: the
# value measured when the floor was set (docs/MODELS.md, "Model tests")
# minus a margin of about one face or image per class. A model that does
# not load fails here too. A second run with worker.tile_px = 240 (larger
# head regions searched four to a run: faster, finds fewer faces) has floors
# of its own. A third run adds the subset's faces from
# models/data/mask-scenes-additions.jsonl (`--extra` with the lines naming
# the subset's images: faces the annotations lack) and the subset's lines of
# models/data/mask-scenes-corrections.jsonl (`--corrections`: annotation
# errors fixed), and checks precision against every visible face and
# mask_on recall against the corrected labels. The first run also writes
# --misses and --false, checked for shape and against its counts.
# Needs `make all models`.
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}; MODELS=${MODELS:-models/out}
data=test/models/data/mask-scenes-val
out=$(mktemp)
tiled=$(mktemp)
added=$(mktemp)
adds=$(mktemp)
misses=$(mktemp)
fixes=$(mktemp)
falses=$(mktemp)
trap 'rm -f "$out" "$tiled" "$added" "$adds" "$misses" "$fixes" "$falses"' EXIT
# subset_lines FILE - the lines of FILE (an --extra or --corrections file) naming an image of the subset
subset_lines() {
	/usr/bin/python3 -c 'import json, sys
names = {json.loads(l)["file"] for l in open(sys.argv[1]) if l.strip()}
sys.stdout.writelines(l for l in open(sys.argv[2]) if l.strip() and json.loads(l)["file"] in names)' \
	    "$data/annotations.jsonl" "$1"
}
subset_lines models/data/mask-scenes-additions.jsonl >"$adds" || exit 1
subset_lines models/data/mask-scenes-corrections.jsonl >"$fixes" || exit 1
for run in "$out" "$tiled" "$added"; do
	set -- --set "models.dir=$MODELS"
	[ "$run" = "$out" ] && set -- "$@" --misses "$misses" --false "$falses"
	[ "$run" = "$tiled" ] && set -- "$@" --set worker.tile_px=240
	[ "$run" = "$added" ] && set -- "$@" --extra "$adds" --corrections "$fixes"
	if ! "$BIN/gatewatch" eval -q "$@" --json "$run" "$data" >/dev/null; then
		echo "not ok - gatewatch eval $* ran on $data: exit status $?"
		exit 1
	fi
done
/usr/bin/python3 - "$out" "$tiled" "$added" "$adds" "$misses" "$fixes" "$falses" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
r, bad = j["recall"], 0
def floor(what, got, want):
    global bad
    ok = got is not None and got >= want
    bad += not ok
    print("%s - %s: %s (floor %g)" % ("ok" if ok else "not ok", what,
          "none" if got is None else "%.3f" % got, want))
print("%s - every image read (%d images, %d errors)" % ("ok" if j["images"] == 75 and j["errors"] == 0 else "not ok",
      j["images"], j["errors"]))
bad += not (j["images"] == 75 and j["errors"] == 0)
# measured at the floors' setting: recall 40+ on .883 off .893 chin .900 all .888, 80+ all 1.00,
# precision .946, gate on 21/21 off 11/11 chin 2/2. Re-measured with worker.face_threshold 0.8
# (fitted on the train split, models/trained/vision.fit): recall 40+ on .867 off .821 chin .900
# all .857, 80+ 1.00, precision .968 (its floor raised to .94), gate on 21/21 off 10/11 chin 2/2.
# With worker.frame_search 1 (the whole frame searched too): recall 40+ on .917 off .821 chin .900
# all .888 (floors on .83 -> .87, all .84 -> .85), precision .973, gate on 21/21 off 10/11 chin 2/2.
# Then worker.face_threshold 0.7 (make fit-vision with the frame search on): recall 40+ on .917
# off .893 chin .900 all .908 (floors off .82 -> .85, all -> .87), precision .970, gate as before.
# Round 4, same figures re-measured at 6eb94fe + this round's face search code (defaults unchanged):
# recall 40+ on .917 off .893 chin .900 all .908, precision .970, gate on 21/21 off 10/11 chin 2/2:
# floors on .87 -> .90, all .87 -> .89, precision .94 -> .95 (about one face or two below).
# Round 5, worker.tile_px 120 (the new default): recall 40+ on .917 off .893 chin .900 all .908,
# precision .963, gate on 21/21 off 10/11 chin 2/2 (floors unchanged).
floor("face recall 40+ px, mask_on", r["mask_on"]["recall_40plus"], 0.90)
floor("face recall 40+ px, mask_off", r["mask_off"]["recall_40plus"], 0.85)
floor("face recall 40+ px, mask_chin", r["mask_chin"]["recall_40plus"], 0.80)
floor("face recall 40+ px, all", r["all"]["recall_40plus"], 0.89)
floor("face recall 80+ px, all", r["all"]["recall_80plus"], 0.95)
floor("precision (duplicates count as false)", j["precision"]["precision"], 0.95)
g = j["gate"]
floor("gate verdict, one face of 80+ px, mask_on", g["mask_on"]["rate"], 0.90)
floor("gate verdict, one face of 80+ px, mask_off", g["mask_off"]["rate"], 0.81)
floor("gate verdict, one face of 80+ px, mask_chin", g["mask_chin"]["rate"], 0.50)
floor("gate verdict, one face of 80+ px, all", g["all"]["rate"], 0.91)
# worker.tile_px = 240, measured in round 5 (docs/MODELS.md, "Round 5"): recall 40+ on .900
# off .857 chin .900 all .888, precision .970, gate 21/21, 11/11, 2/2.
t = json.load(open(sys.argv[2]))
r, g = t["recall"], t["gate"]
floor("tile_px 240: face recall 40+ px, mask_off", r["mask_off"]["recall_40plus"], 0.82)
floor("tile_px 240: face recall 40+ px, all", r["all"]["recall_40plus"], 0.87)
floor("tile_px 240: precision", t["precision"]["precision"], 0.95)
floor("tile_px 240: gate verdict, all", g["all"]["rate"], 0.91)
# With the subset's additions (2 images, 3 faces; round 8 at 5248ed7): precision .974 (261/268,
# annotations only .963, 258/268): floor .965, about two faces below.
a = json.load(open(sys.argv[3]))
nadd = sum(len(json.loads(l)["faces"]) for l in open(sys.argv[4]) if l.strip())
ok = nadd > 0 and a["extra_faces"] == a["extra_faces_picked"] == nadd
print("%s - the subset's additions all read (%d faces, %d in the run)" % ("ok" if ok else "not ok", nadd,
      a["extra_faces_picked"]))
bad += not ok
floor("precision with the additions (every visible face)", a["precision"]["precision"], 0.965)
# With the subset's corrections too (image 760: a scarf and a cloth held over the mouth, mask_chin
# and mask_on -> face; round 9 at e8bb4b4): precision unchanged .974; mask_on 40+ 55/59 .932
# (.917, 55/60, on the uncorrected labels): floor .91, one face below.
nfix = sum(1 for l in open(sys.argv[6]) if l.strip())
ok = nfix > 0 and a["corrected_faces"] == a["corrected_faces_picked"] == nfix
print("%s - the subset's corrections all applied (%d lines, %d faces corrected in the run)" % (
      "ok" if ok else "not ok", nfix, a["corrected_faces_picked"]))
bad += not ok
floor("face recall 40+ px, mask_on, corrected labels", a["recall"]["mask_on"]["recall_40plus"], 0.91)
# --misses (docs/MODELS.md, "Where faces are missed"): one line per annotated face of 40+ px not
# found, with one known cause and the detector's probe scores (0..1) on it.
causes = {"shifted_box", "matched_neighbour", "dropped", "no_person_box_crop_finds", "no_person_box",
          "outside_head_region", "below_threshold_crop_finds", "below_threshold"}
lines = [json.loads(l) for l in open(sys.argv[5])]
want = sum(c["annotated"][2] + c["annotated"][3] - c["found"][2] - c["found"][3]
           for k, c in j["recall"].items() if k != "all")
ok = len(lines) == want and all(m["cause"] in causes and max(m["box"][2:]) >= 40 and
                                all(0 <= v <= 1 for v in m["scores"].values()) for m in lines)
ok = ok and (not lines or any(m["cause"] != "shifted_box" for m in lines))  # 0 misses: nothing to diagnose
bad += not ok
print("%s - --misses: %d lines for %d missed faces of 40+ px, causes %s" % ("ok" if ok else "not ok",
      len(lines), want, sorted({m["cause"] for m in lines})))
# --false (docs/MODELS.md, "Where the false faces are"): one line per found face, its source a search
# the path ran (the found box is that run's exactly), the false ones (unmatched and duplicates, no
# --extra here) each with a cause.
fl = [json.loads(l) for l in open(sys.argv[7])]
p = j["precision"]
nfalse = sum(f["false"] for f in fl)
ok = (len(fl) == p["found"] and nfalse == p["unmatched"] + p["duplicates"] and
      sum(f["cause"] == "duplicate" for f in fl) == p["duplicates"] and
      all(f["where"] in ("frame", "head", "head_tile", "box", "box_tile") and
          (f["cause"] == "matched") == (not f["false"]) and
          f["cause"] in ("matched", "duplicate", "overlaps_face", "below_head", "no_person_box", "head_region")
          for f in fl))
bad += not ok
print("%s - --false: %d lines for %d found faces, %d false (%d unmatched + %d duplicates), sources %s" % (
      "ok" if ok else "not ok", len(fl), p["found"], nfalse, p["unmatched"], p["duplicates"],
      sorted({f["where"] for f in fl})))
sys.exit(1 if bad else 0)
PY

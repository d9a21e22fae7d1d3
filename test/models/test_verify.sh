#!/bin/sh
# test_verify.sh - worker.face_verify, the check that a found face is a face
# (common/facever.c; docs/MODELS.md, round 10): the verifier is read from
# models.dir (verify.cfg, .weights, .threshold) and runs on the mask
# classifier's features of every found face, through `gatewatch eval` (the
# worker's own analyse path) on 2 images of the committed validation subset.
# Verifiers made here, each one [connected] layer with zero weights, so the
# score is the logistic of its bias (0.993 for a bias of 5):
#   threshold 0.5: every face kept: the same faces and mask calls as off;
#   threshold 0.999: every face dropped: none found; with "detector 0" no
#   face is checked: all kept;
#   a missing threshold file or a short weights file: eval refuses to start
#   (a verifier that does not load is an error, never silently off).
# verifycheck (models/tools) reads the same files through the same code.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}; BIN=${BIN:-bin}; MODELS=${MODELS:-models/out}
set_dir=test/models/data/mask-scenes-val
fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ ! -f "$MODELS/mask.weights" ] || [ ! -x "$BIN/gatewatch" ]; then
	echo "not ok - face verifier: need $BIN/gatewatch and $MODELS (make all models)"
	exit 1
fi
mkdir "$work/m"
for f in "$MODELS"/*; do ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$work/m/"; done
rm -f "$work/m"/verify.*
# the verifier's files: DIR BIAS THRESHOLD [FLOATS]
make_verifier() {
	/usr/bin/python3 - "$@" <<'EOF'
import struct, sys
d, bias, thr = sys.argv[1], float(sys.argv[2]), sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 4097
open(d + "/verify.cfg", "w").write("[net]\nbatch=1\nwidth=8\nheight=8\nchannels=64\n\n"
                                   "[connected]\noutput=1\nactivation=logistic\n")
with open(d + "/verify.weights", "wb") as f:
    f.write(struct.pack("<iiiQ", 0, 2, 0, 0))
    f.write(struct.pack("<f", bias) + b"\0" * 4 * (n - 1))
open(d + "/verify.threshold", "w").write("# test\nverify %s\n" % thr)
EOF
}
# eval NAME [--set K=V]...: the --false lines (file box mask) into $work/NAME, exit status returned
run_eval() {
	name=$1
	shift
	"$BIN/gatewatch" eval -q --limit 2 --set models.dir="$work/m" --false "$work/$name.false" "$@" "$set_dir" \
	    >"$work/$name.out" 2>&1
}
count() { [ -f "$work/$1.false" ] && wc -l <"$work/$1.false" || echo 0; }
faces() { sed 's/.*"file":"\([^"]*\)","box":\(\[[^]]*\]\).*"mask":"\([a-z_]*\)".*/\1 \2 \3/' "$work/$1.false" | sort; }

run_eval off || { echo "not ok - eval without the verifier failed: $(tail -1 "$work/off.out")"; exit 1; }
make_verifier "$work/m" 5 0.5
if run_eval keep --set worker.face_verify=1 && [ "$(count keep)" -gt 0 ] && [ "$(faces keep)" = "$(faces off)" ]; then
	echo "ok - a verifier that takes every face: the same $(count off) faces and mask calls as without it"
else
	echo "not ok - a verifier that takes every face: $(count keep) faces against $(count off) ($(tail -1 "$work/keep.out"))"
	fail=1
fi
make_verifier "$work/m" 5 0.999
if run_eval drop --set worker.face_verify=1 && [ "$(count drop)" -eq 0 ] && [ "$(count off)" -gt 0 ]; then
	echo "ok - a verifier that takes no face: none of the $(count off) faces found"
else
	echo "not ok - a verifier that takes no face: $(count drop) faces found ($(tail -1 "$work/drop.out"))"
	fail=1
fi
echo "detector 0" >>"$work/m/verify.threshold"
if run_eval sure --set worker.face_verify=1 && [ "$(faces sure)" = "$(faces off)" ]; then
	echo "ok - that verifier with \"detector 0\": no face is checked, every face kept"
else
	echo "not ok - \"detector 0\": $(count sure) faces against $(count off)"
	fail=1
fi
make_verifier "$work/m" 5 0.999
if run_eval off2 && [ "$(faces off2)" = "$(faces off)" ]; then
	echo "ok - worker.face_verify=0 (the default): that verifier present, every face kept"
else
	echo "not ok - worker.face_verify=0 with a verifier present: $(count off2) faces against $(count off)"
	fail=1
fi
rm "$work/m/verify.threshold"
if ! run_eval nothr --set worker.face_verify=1 && grep -q "verify.threshold" "$work/nothr.out"; then
	echo "ok - no verify.threshold: eval refuses ($(grep -o 'verify.threshold[^"]*' "$work/nothr.out" | head -1))"
else
	echo "not ok - no verify.threshold: eval ran or said nothing of it"
	fail=1
fi
make_verifier "$work/m" 5 0.5 4000
if ! run_eval short --set worker.face_verify=1 && grep -q "verify.weights" "$work/short.out"; then
	echo "ok - a short verify.weights: eval refuses"
else
	echo "not ok - a short verify.weights: eval ran or said nothing of it"
	fail=1
fi
if [ -x "$B/models/verifycheck" ]; then
	make_verifier "$work/m" 5 0.5
	head -c 100000 "$set_dir/annotations.jsonl" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    try:
        r = json.loads(line)
    except ValueError:
        break
    for f in r["faces"][:2]:
        print("'"$set_dir"'/%s %g %g %g %g 1" % (r["file"], f["x"], f["y"], f["w"], f["h"]))
    if r["file"] > "images/maksssksksss2":
        break
' >"$work/vc.list"
	if "$B/models/verifycheck" "$work/m" 1 1 <"$work/vc.list" >"$work/vc.out" 2>&1 &&
	    [ -s "$work/vc.list" ] && grep -q "faces taken \([0-9]*\)/\1, others taken 0/0" "$work/vc.out"; then
		echo "ok - verifycheck reads the same files: every face taken"
	else
		echo "not ok - verifycheck: $(tail -2 "$work/vc.out" | tr '\n' ' ')"
		fail=1
	fi
fi
exit $fail

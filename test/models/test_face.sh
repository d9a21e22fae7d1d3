#!/bin/sh
# test_face.sh - the face detector, in two parts:
# 1. the conversion (MODELS/face-source/face.cfg+weights, AIZOOTech model360
#    via models/scripts/convert-face.py): the ten head convs' raw outputs
#    (1e-4 relative) and the decoded boxes (identical) against the numpy
#    reference computed from the source weights (test/models/fixtures/
#    face-*.txt, models/scripts/face-reference.py);
# 2. the shipped detector (MODELS/face.cfg+weights): exactly what `make
#    models` ships (models/trained/face.weights, fine-tuned, whose
#    face.manifest names its sha256, when committed; else the conversion),
#    and it loads and finds dlib's annotated example faces (unmasked): a
#    face counts as found if a detection overlaps it with IoU >= 0.3.
#    Floors are the measured recall (docs/MODELS.md) minus a margin; the
#    same faces' head regions in worker.tile_pair's 360 x 180 canvas (same
#    faces and boxes as the 2 x 2 grid of 360). test_eval.sh scores it on
#    mask-scenes' validation subset.
# Needs `make models` and $B/models/facecheck (built by `make test`).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}; MODELS=${MODELS:-models/out}
tool=$B/models/facecheck
src=$MODELS/face-source
faces=/usr/share/doc/libdlib19.1/examples/faces
if [ ! -x "$tool" ] || [ ! -f "$MODELS/face.weights" ] || [ ! -f "$src/face.weights" ]; then
	echo "not ok - face detector checks: need $tool, $MODELS/face.weights and $src/face.weights (make models model-tools)"
	exit 1
fi
rc=0
"$tool" ref "$src" test/models/fixtures/face-*.txt || rc=1
check() { # check WHAT CONDITION...: one ok / not ok line
	what=$1; shift
	if "$@"; then echo "ok - $what"; else echo "not ok - $what"; rc=1; fi
}
check "shipped face.cfg is the conversion's" cmp -s "$src/face.cfg" "$MODELS/face.cfg"
if [ -f models/trained/face.weights ]; then
	sum=$(sha256sum "$MODELS/face.weights" | cut -d' ' -f1)
	check "shipped face.weights is models/trained/face.weights" cmp -s models/trained/face.weights "$MODELS/face.weights"
	check "face.manifest names the shipped weights (sha256 $sum)" grep -q "^sha256: $sum\$" "$MODELS/face.manifest"
	check "the shipped weights are fine-tuned, not the conversion" test "$(cmp -s "$src/face.weights" "$MODELS/face.weights"; echo $?)" = 1
else
	check "shipped face.weights is the conversion (no models/trained/face.weights)" cmp -s "$src/face.weights" "$MODELS/face.weights"
fi
for xml in training testing; do
	# measured here: 360/0.5 -> 1.00 and 1.00; 224/0.5 -> 0.89 and 0.92
	"$tool" recall "$MODELS" "$faces/$xml.xml" 360 0.5 0.95 || rc=1
	"$tool" recall "$MODELS" "$faces/$xml.xml" 224 0.5 0.80 || rc=1
	# worker.tile_pair's 360 x 180 canvas against the 2 x 2 grid of 360, one
	# head region alone (measured here: 18/18 and 25/25, same as the grid)
	"$tool" pair "$MODELS" "$faces/$xml.xml" 0.7 0.95 || rc=1
done
exit $rc

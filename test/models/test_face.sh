#!/bin/sh
# test_face.sh - the converted face detector (MODELS/face.cfg+weights,
# AIZOOTech model360 via models/scripts/convert-face.py):
# 1. the ten head convs' raw outputs (1e-4 relative) and the decoded boxes
#    (identical) against the numpy reference computed from the source
#    weights (test/models/fixtures/face-*.txt, models/scripts/face-reference.py);
# 2. recall on dlib's annotated example faces (unmasked): a face counts as
#    found if a detection overlaps it with IoU >= 0.3. Floors are the
#    measured recall (docs/MODELS.md) minus a margin; the same faces' head
#    regions in worker.tile_pair's 360 x 180 canvas (same faces and boxes as
#    the 2 x 2 grid of 360).
# Needs `make models` and $B/models/facecheck (built by `make test`).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}; MODELS=${MODELS:-models/out}
tool=$B/models/facecheck
faces=/usr/share/doc/libdlib19.1/examples/faces
if [ ! -x "$tool" ] || [ ! -f "$MODELS/face.weights" ]; then
	echo "not ok - face detector checks: need $tool and $MODELS/face.weights (make models model-tools)"
	exit 1
fi
rc=0
"$tool" ref "$MODELS" test/models/fixtures/face-*.txt || rc=1
for xml in training testing; do
	# measured here: 360/0.5 -> 1.00 and 1.00; 224/0.5 -> 0.89 and 0.92
	"$tool" recall "$MODELS" "$faces/$xml.xml" 360 0.5 0.95 || rc=1
	"$tool" recall "$MODELS" "$faces/$xml.xml" 224 0.5 0.80 || rc=1
	# worker.tile_pair's 360 x 180 canvas against the 2 x 2 grid of 360, one
	# head region alone (measured here: 18/18 and 25/25, same as the grid)
	"$tool" pair "$MODELS" "$faces/$xml.xml" 0.7 0.95 || rc=1
done
exit $rc

#!/bin/sh
# test_face.sh - the converted face detector (MODELS/face.cfg+weights):
# 1. raw outputs and decoded boxes against TensorFlow.js reference fixtures
#    (test/models/fixtures/face-*.txt, from models/scripts/face-reference.mjs);
# 2. recall on dlib's annotated example faces: a face counts as found if a
#    detection overlaps it with IoU >= 0.3. Floors are the measured recall
#    (docs/MODELS.md) minus a margin.
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
	# measured here: 416/0.3 -> 0.78 and 0.96; 608/0.3 -> 1.00 and 1.00; 608/0.5 -> 0.83 and 0.92
	"$tool" recall "$MODELS" "$faces/$xml.xml" 416 0.3 0.70 || rc=1
	"$tool" recall "$MODELS" "$faces/$xml.xml" 608 0.3 0.90 || rc=1
	"$tool" recall "$MODELS" "$faces/$xml.xml" 608 0.5 0.75 || rc=1
done
exit $rc

#!/bin/sh
# test_faceloss.sh - the face detector's training loss (models/tools/faceloss.c,
# linked into build/models/facetrain) writes the negative gradient of the
# loss it reports: see test/models/test_faceloss.c. Needs $B/models/faceloss-check.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
tool=$B/models/faceloss-check
[ -x "$tool" ] || { echo "not ok - faceloss checks: need $tool (make $tool)"; exit 1; }
exec "$tool"

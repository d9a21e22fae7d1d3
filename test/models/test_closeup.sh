#!/bin/sh
# test_closeup.sh - ingest's close-up fallback (a frame where the person
# detector finds nobody: the face detector on the whole frame, its faces
# made person boxes) keeps faces from ingest.closeup_threshold (0.6, chosen
# on train: docs/MODELS.md, "Round 9: the search's leftovers"), a setting
# of its own, apart from the worker's worker.face_threshold. The photo:
# mask-scenes train image 569 (CC0, test/models/data/closeup/), one
# masked face the person detector misses (its best box 0.11) and the face
# detector scores 0.68 on the whole frame: at round 8's 0.70 ingest dropped
# the frame.
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}; MODELS=${MODELS:-models/out}
photo=test/models/data/closeup/maksssksksss569.jpg
fail=0

# check WHAT WANT [--set KEY=VALUE]...: ingest's reason for the photo is WANT
check() {
	what=$1 want=$2
	shift 2
	got=$("$BIN/gatewatch" replay --stage ingest --set models.dir="$MODELS" "$@" "$photo" 2>&1 |
	    sed -n 's/.*"reason":"\([^"]*\)".*/\1/p')
	if [ "$got" = "$want" ]; then
		echo "ok - $what ($got)"
	else
		echo "not ok - $what: reason '$got', want '$want'"
		fail=1
	fi
}

check "the default keeps the 0.68 close-up face" "1 face found (close-up)"
check "ingest.closeup_threshold=0.7 drops it" "no person found" --set ingest.closeup_threshold=0.7
check "worker.face_threshold does not move ingest's fallback" "1 face found (close-up)" \
    --set worker.face_threshold=0.95
exit $fail

#!/bin/sh
# test_box_confirm.sh - a face found by a whole person box's search (the
# head region had none, the whole frame a hint there) is kept only when the
# whole frame scores it ANALYSE_BOX_CONFIRM (0.6) or more (round 9, 4b1ca22;
# docs/MODELS.md, "Kept: a whole box's face must be confirmed by the whole
# frame"). The photo: mask-scenes train image 173 (CC0,
# test/models/data/boxconfirm/), where the whole box of person box 1 finds
# a false face at 0.78 that the whole frame scores 0.31. Checked with
# `gatewatch eval --false` (one line per found face, with the search that
# found it): by default only the two annotated faces; with worker.box_hint=0
# (whole boxes searched without hints, so without the confirm) the whole
# box's false face is there, so the photo still shows what the rule is for.
# Needs `make all models`.
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}; MODELS=${MODELS:-models/out}
data=test/models/data/boxconfirm
found=$(mktemp)
trap 'rm -f "$found"' EXIT
fail=0

# check WHAT WANT_BOX_FALSE [--set KEY=VALUE]...: the number of false faces
# a whole box's search gave is WANT_BOX_FALSE, and both annotated faces are found
check() {
	what=$1 want=$2
	shift 2
	if ! timeout 300 "$BIN/gatewatch" eval -q --set models.dir="$MODELS" "$@" --false "$found" "$data" >/dev/null; then
		echo "not ok - $what: gatewatch eval $* failed"
		fail=1
		return
	fi
	got=$(/usr/bin/python3 -c 'import json, sys
f = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(sum(1 for x in f if x["where"] == "box" and x["false"]), sum(1 for x in f if not x["false"]))' "$found")
	if [ "$got" = "$want 2" ]; then
		echo "ok - $what (whole-box false faces, matched faces: $got)"
	else
		echo "not ok - $what: whole-box false faces, matched faces '$got', want '$want 2'"
		fail=1
	fi
}

check "the whole box's 0.78 face the whole frame scores 0.31 is dropped (ANALYSE_BOX_CONFIRM)" 0
check "worker.box_hint=0 (no confirm): the whole box's false face is found" 1 --set worker.box_hint=0
exit $fail

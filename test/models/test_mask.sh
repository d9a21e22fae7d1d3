#!/bin/sh
# test_mask.sh - the trained mask classifier through nn.h (maskcls_run, then
# maskcls_decide with the shipped mask.thresholds) on the validation split,
# never used in training (models/scripts/mask-lists.py --val-only):
# mask-scenes images with N % 5 == 0 (annotated face boxes of 20 px or more,
# the faces a detector finds) and mask-faces val/ (face found by the face
# detector at 224, threshold 0.3, its box mapped by maskcls_from_detector as
# the worker does; else the whole image), plus every val mask_off face again
# with a synthetic below-the-nose mask.
# A class fails when the share of its faces called right (not wrong, not
# unsure) falls under its floor: the figure measured for the committed
# weights (models/trained/mask.manifest, docs/MODELS.md) minus a margin.
# Needs `make models` and $B/models/maskeval (built by `make test`).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}; MODELS=${MODELS:-models/out}
scenes=${GW_MASK_SCENES:-../shared/datasets/mask-scenes}
faces=${GW_MASK_FACES:-../shared/datasets/mask-faces}
tool=$B/models/maskeval
if [ ! -x "$tool" ] || [ ! -f "$MODELS/mask.weights" ] || [ ! -f "$MODELS/face.weights" ]; then
	echo "not ok - mask classifier checks: need $tool and $MODELS/{face,mask}.weights (make models model-tools)"
	exit 1
fi
if [ ! -f "$scenes/annotations.jsonl" ] || [ ! -d "$faces/val/with_mask" ]; then
	echo "not ok - mask classifier checks: no validation data at $scenes, $faces"
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 models/scripts/mask-lists.py --scenes "$scenes" --faces "$faces" --val-only \
	--work "$work" 2>/dev/null || { echo "not ok - mask-lists.py failed"; exit 1; }
# the calibration split (mask.thresholds are fitted on it) holds train images
# only: mask-scenes N % 5 == 1 and mask-faces train/, never a validation one
ncal=$(wc -l <"$work/calib.list")
nbad=$(awk '{ f = $1; if (f ~ /maksssksksss[0-9]+\.[a-z]+$/) { sub(/.*maksssksksss/, "", f); sub(/\..*/, "", f);
	if (f % 5 != 1) print } else if (f !~ /\/train\/(with|without)_mask\//) print }' "$work/calib.list" | wc -l)
rc=0
if [ "$ncal" -gt 0 ] && [ "$nbad" -eq 0 ]; then
	echo "ok - calibration split: $ncal train faces (mask-scenes N % 5 == 1, mask-faces train/)"
else
	echo "not ok - calibration split: $ncal faces, $nbad not from its train images"; rc=1
fi
# cross-fitted thresholds (models/scripts/mask-crossfit.py, train images only):
# when the report says "use: yes", it is for the committed weights and
# mask.thresholds holds its figures (fit-vision.py writes them)
cf=models/trained/mask.crossfit
if [ -f "$cf" ]; then
	want=$(sed -n 's/^for weights: sha256 \([0-9a-f]*\).*/\1/p' "$cf")
	have=$(sha256sum models/trained/mask.weights | cut -d' ' -f1)
	thr=$(sed -n 's/^thresholds: //p' "$cf")
	shipped=$(grep -v '^#' models/trained/mask.thresholds | awk 'NF == 2 { printf "%s%s %.4f", s, $1, $2; s = " " }')
	if ! grep -q '^use: yes' "$cf"; then
		echo "# $cf: thresholds not used: $(sed -n 's/^use: //p' "$cf")"
	elif [ "$want" != "$have" ]; then
		echo "not ok - $cf is for other weights (sha256 $want, models/trained/mask.weights $have)"; rc=1
	elif [ "$thr" != "$shipped" ]; then
		echo "not ok - models/trained/mask.thresholds ($shipped) is not $cf's ($thr)"; rc=1
	else
		echo "ok - mask.thresholds cross-fitted on train ($thr)"
	fi
fi
grep -v ' scenes:lt20$' "$work/val.list" >"$work/test.list"
"$tool" "$MODELS" \
	"mask_on=${GW_MASK_MIN_ON:-0.94}" \
	"mask_off=${GW_MASK_MIN_OFF:-0.94}" \
	"mask_chin=${GW_MASK_MIN_CHIN:-0.65}" \
	"synthetic=${GW_MASK_MIN_SYNTH:-0.96}" <"$work/test.list" || rc=1
exit $rc

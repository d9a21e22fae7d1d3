#!/bin/sh
# test_mask.sh - the trained mask classifier through nn.h (facedet_run +
# maskcls_run) on ../shared/datasets/mask-faces/val, never used in training:
# with_mask -> mask_on, without_mask -> mask_off, and every without_mask
# image again with a synthetic below-the-nose mask -> mask_chin. Prints the
# confusion matrix; floors are the measured accuracy (docs/MODELS.md) minus
# a margin.
# Needs `make models` and $B/models/maskeval (built by `make test`).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}; MODELS=${MODELS:-models/out}
data=${GW_MASK_DATA:-../shared/datasets/mask-faces}
tool=$B/models/maskeval
if [ ! -x "$tool" ] || [ ! -f "$MODELS/mask.weights" ] || [ ! -f "$MODELS/face.weights" ]; then
	echo "not ok - mask classifier checks: need $tool and $MODELS/{face,mask}.weights (make models model-tools)"
	exit 1
fi
if [ ! -d "$data/val/with_mask" ]; then
	echo "not ok - mask classifier checks: no validation set at $data/val"
	exit 1
fi
list=$(mktemp)
trap 'rm -f "$list"' EXIT
for f in $(ls "$data/val/with_mask" | LC_ALL=C sort); do echo "$data/val/with_mask/$f mask_on plain"; done >>"$list"
for f in $(ls "$data/val/without_mask" | LC_ALL=C sort); do echo "$data/val/without_mask/$f mask_off plain"; done >>"$list"
for f in $(ls "$data/val/without_mask" | LC_ALL=C sort); do echo "$data/val/without_mask/$f mask_chin chin"; done >>"$list"
"$tool" "$MODELS" "${GW_MASK_MIN_REAL:-0.90}" "${GW_MASK_MIN_CHIN:-0.93}" <"$list"

#!/bin/sh
# train-verify.sh - train the face verifier (is a found face a face?,
# common/facever.c) on mask-scenes' TRAIN split and write it with its
# threshold and manifest.
#
#   sh models/scripts/train-verify.sh [--out DIR] [--work DIR] [--set DIR]
#        [--base FILE] [--mine FILE] [--mine-threshold 0.45] [--tools DIR]
#        [--hidden 32] [--epochs 8] [--neg-weight 4] [--seed 1] [--seeds 5]
#
# 1. `gatewatch eval --split train --false` at the defaults (--base: the
#    faces the system finds, the threshold is chosen on them) and at
#    worker.face_threshold --mine-threshold (--mine: more of the detector's
#    false faces, hard negatives); given files are used as they are.
# 2. verify-data.py: the mask classifier's backbone features (maskfeat, the
#    run-time code) of every found face (its box mapped as the worker maps
#    it), every annotated face and 3 background patches per image.
# 3. verify-head.py: the mask backbone's next pool and convolution (fixed,
#    from models/trained/mask.weights) and heads trained on three of the
#    four train folds (N % 5 = 1..4) score the fourth; the thresholds (the
#    detector's score under which a face is checked, the verifier's under
#    which it is dropped) are chosen on those out-of-fold scores (never a
#    real face of 40+ px lost); then trained on all of train. Writes
#    OUT/verify.cfg, .weights, .threshold, .manifest.
# Every step is seeded. Validation images (N % 5 == 0) are never read.
# About 60 minutes on a loaded 2-core machine (the two evals are most of it).
set -eu
cd "$(dirname "$0")/../.."
out=models/verifytrain/out; work=models/verifytrain; set=../shared/datasets/mask-scenes
base=; mine=; mthr=0.45; tools=build/models; hidden=32; epochs=8; negw=4; seed=1; seeds=5
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--set) set=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	--mine) mine=$2; shift 2 ;;
	--mine-threshold) mthr=$2; shift 2 ;;
	--tools) tools=$2; shift 2 ;;
	--hidden) hidden=$2; shift 2 ;;
	--epochs) epochs=$2; shift 2 ;;
	--neg-weight) negw=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--seeds) seeds=$2; shift 2 ;;
	*) echo "train-verify: unknown option $1" >&2; exit 2 ;;
	esac
done
extra=models/data/mask-scenes-additions.jsonl
mkdir -p "$work" "$out"
for f in bin/gatewatch "$tools/maskaug" "$tools/maskfeat" models/out/mask.weights; do
	[ -e "$f" ] || { echo "train-verify: $f missing (make all models model-tools)" >&2; exit 1; }
done
if [ -z "$base" ]; then
	base=$work/base.false
	echo "train-verify: eval at the defaults (train split)" >&2
	bin/gatewatch eval -q --split train --false "$base" --json "$work/base.json" --extra "$extra" "$set" >"$work/base.log"
fi
if [ -z "$mine" ]; then
	mine=$work/mine.false
	echo "train-verify: eval at worker.face_threshold=$mthr (train split)" >&2
	bin/gatewatch eval -q --split train --set worker.face_threshold="$mthr" --false "$mine" --extra "$extra" \
		"$set" >"$work/mine.log"
fi
echo "train-verify: features (verify-data.py)" >&2
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/scripts/verify-data.py --false "$base,$mine" --set "$set" \
	--extra "$extra" --work "$work" --tools "$tools" --seed "$seed" >"$work/nfeat"
echo "train-verify: head, folds and threshold (verify-head.py)" >&2
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/scripts/verify-head.py --work "$work" --base-false "$base" \
	--out "$out" --hidden "$hidden" --epochs "$epochs" --neg-weight "$negw" --seed "$seed" --seeds "$seeds" \
	--oof "$work/oof.jsonl" 2>"$work/head.log" >"$work/threshold"
cat "$work/head.log" >&2
{
	echo "# verify.manifest - the face verifier (common/facever.c, worker.face_verify)"
	echo "source: trained here by models/scripts/train-verify.sh; input: the mask classifier's backbone"
	echo "  features (the first convolutions of AIZOOTech/FaceMaskDetection, MIT, LICENSE.aizoo-facemask),"
	echo "  8x8x64 = $(cat "$work/nfeat") floats, crop and mirror averaged; its next max pool and conv2d_4"
	echo "  (fixed, copied from models/trained/mask.weights) and $seeds heads of $hidden (seeds $seed..) merged"
	echo "licence: the project's; training data CC0 (mask-scenes) and the project's additions file"
	echo "data: mask-scenes TRAIN split only (images N % 5 != 0): faces the system found at the defaults and"
	echo "  at worker.face_threshold $mthr (false ones: negatives; matched or in $extra: faces),"
	echo "  annotated faces of 12+ px, 3 background patches per image (seed $seed)"
	echo "split: threshold chosen on out-of-fold scores, folds N % 5 = 1..4 (verify-head.py)"
	echo "command: sh models/scripts/train-verify.sh --hidden $hidden --epochs $epochs --neg-weight $negw --seed $seed --seeds $seeds"
	echo "thresholds: $(cat "$work/threshold")"
	sed -n 's/^verify-head: //p' "$work/head.log" | sed 's/^/  /'
	echo "sha256: $(sha256sum "$out/verify.weights" | cut -d' ' -f1)  verify.weights"
} >"$out/verify.manifest"
echo "train-verify: wrote $out/verify.{cfg,weights,threshold,manifest}" >&2

#!/bin/sh
# train-mask.sh - train gatewatch's mask classifier (mask_on, mask_off,
# mask_chin) on real face crops; its per-class thresholds are fitted afterwards
# by `make fit-vision` on the calibration split (train images whose faces this
# script then never trains on, --calib), or written as 0 without one. Every step is seeded: two runs give the same files.
#
# Usage: sh models/scripts/train-mask.sh --out DIR [--tools DIR]
#        [--size N] [--hidden N] [--epochs N] [--seed N] [--work DIR] [--keep] [--calib]
#        [--crossfit K] [--region face|nose] [--feats-only] [--corrections FILE ...]
#        [--found FILE ...]
#   --out     where face.cfg/face.weights are and mask.{cfg,weights,labels,
#             thresholds,manifest} go
#   --tools   folder with maskaug, maskfeat, maskeval (default build/models)
#   --size    crop size, the network's input (default 64)
#   --hidden  hidden units of the head (default 128)
#   --epochs  passes over the training crops (default 6)
#   --seed    seed of the head's initial weights and batches (default 1)
#   --work    work folder (default DIR/masktrain.tmp); must hold no label
#   --keep    keep the work folder (crops, features, logs) afterwards
#   --calib   hold the calibration faces out of training (mask-lists.py), so
#             that `make fit-vision` can fit mask.thresholds on them; the
#             manifest says which (the shipped weights: without, see
#             docs/MODELS.md "Calibration split")
#   --crossfit K  after training, fit the per-class thresholds on out-of-fold
#             predictions of K heads, each trained without a Kth of the train
#             images (models/scripts/mask-crossfit.py, needs bin/gatewatch):
#             writes mask.crossfit, whose thresholds `make fit-vision` then
#             writes into mask.thresholds; 0 (default): none
#   --region  what the crops show: face (default, maskcls_run's crop) or nose
#             (maskcls_region_box's nose-centred square: the second head that
#             tells a mask worn below the nose, docs/MODELS.md); a nose head
#             gets mask.region beside its weights
#   --feats-only  stop after the training crops' backbone features (train.f32,
#             kept): for mask-crossfit.py; the validation split is not cut
#   --corrections FILE  annotation errors of mask-scenes corrected
#             (models/data/mask-scenes-corrections.jsonl): scenefix.py applies
#             the train images' lines into WORK/scenes, which the lists and the
#             cross-fit read; default none (the shipped weights: none)
#   --found FILE  `gatewatch eval --split train --details` of the train images
#             (one run per search scale: worker.tile_large 0 and 240, with
#             --corrections): each matched face is also cut from the box the
#             search drew for it (mask-lists.py FOUND_COPIES); default none
#   env GW_MASK_SCENES, GW_MASK_FACES, GW_AIZOO: the datasets and the
#   AIZOO detector (default ../shared/datasets/mask-scenes, mask-faces,
#   ../shared/models/aizoo-facemask)
#
# The network: conv2d_0..conv2d_4 of the AIZOO face-mask detector (trained
# on masked and unmasked faces, MIT), kept as they are, then a small head
# trained here on their outputs. Stock darknet trains a network from
# scratch at about 1 s per batch of 64 on this machine's shared cores; the
# fixed backbone needs one forward pass per crop and the head trains in
# numpy in minutes.
# 1. convert-aizoo-backbone.py writes maskbb.cfg/.weights (5 convs, 4 pools).
# 2. `maskaug --boxes` finds the face in every mask-faces image once
#    (the face detector at 224, threshold 0.3, box mapped as the worker
#    maps it, else the whole image);
#    mask-scenes faces use their annotated boxes.
# 3. mask-lists.py writes the training crop list (mask-scenes images with
#    N % 5 != 0, mask-faces train/; with --calib not N % 5 == 1 nor every
#    fifth mask-faces image, the calibration list) and the validation list
#    (N % 5 == 0, mask-faces val/), every training copy with its own seed.
# 4. `maskaug` cuts the crops as maskcls_run does (nn_face_square, margin
#    NN_MASK_MARGIN) with detector-like box jitter, JPEG, small-face, blur,
#    mirror and colour changes, and synthetic below-the-nose masks
#    (models/tools/chin.c; its chin_paste, a training face's real mask moved
#    below the nose, is at 0 copies in mask-lists.py: measured, no better).
# 5. `maskfeat` runs the backbone (darknet, the run-time code) on them and
#    keeps the output of conv2d_3 (layer 6, 8x8x64 at 64x64).
# 6. mask-head.py trains the head and writes mask.cfg/.weights/.labels; it
#    sees no validation face (it prints the training loss per epoch only).
# 7. `maskeval -p` runs the finished classifier through maskcls_run on the
#    validation faces; mask-thresholds.py writes their figures (most
#    probable class, no thresholds) into mask.manifest. The per-class
#    thresholds are NOT chosen here: mask.thresholds is written as 0 and
#    `make fit-vision` (models/scripts/fit-vision.py, run by `make
#    train-mask` afterwards) fits them on the calibration split when the
#    manifest says it was held out (--calib), else writes 0 again.
set -eu
cd "$(dirname "$0")/../.."
out=""; tools=build/models; size=64; hidden=128; epochs=6; seed=1; work=""; keep=0; calib=""; crossfit=0
region=face; featsonly=0; fixes=""; found=""
taps=6
# one BLAS thread: the same sums in the same order, so the same weights
export OPENBLAS_NUM_THREADS=1
scenes=${GW_MASK_SCENES:-../shared/datasets/mask-scenes}
faces=${GW_MASK_FACES:-../shared/datasets/mask-faces}
aizoo=${GW_AIZOO:-../shared/models/aizoo-facemask}
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--tools) tools=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--hidden) hidden=$2; shift 2 ;;
	--epochs) epochs=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--calib) calib=--calib; shift ;;
	--crossfit) crossfit=$2; shift 2 ;;
	--region) region=$2; shift 2 ;;
	--feats-only) featsonly=1; keep=1; shift ;;
	--corrections) fixes="$fixes --corrections $2"; shift 2 ;;
	--found) found="$found --found $(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
	*) echo "train-mask: unknown argument $1" >&2; exit 2 ;;
	esac
done
case $region in face) regopt="" ;; nose) regopt="--region nose" ;; *) echo "train-mask: --region face or nose" >&2; exit 2 ;; esac
[ -n "$out" ] || { echo "usage: train-mask.sh --out DIR [--tools DIR] [--seed N] ..." >&2; exit 2; }
for f in "$out/face.cfg" "$out/face.weights" "$tools/maskaug" "$tools/maskfeat" "$tools/maskeval"; do
	[ -e "$f" ] || { echo "train-mask: missing $f (make models model-tools)" >&2; exit 1; }
done
[ -f "$scenes/annotations.jsonl" ] || { echo "train-mask: no mask-scenes at $scenes" >&2; exit 1; }
[ -d "$faces/train/with_mask" ] && [ -d "$faces/val/without_mask" ] ||
	{ echo "train-mask: no mask-faces at $faces" >&2; exit 1; }
[ -f "$aizoo/face_mask_detection.caffemodel" ] || { echo "train-mask: no AIZOO model at $aizoo" >&2; exit 1; }

[ -n "$work" ] || work=$(cd "$out" && pwd)/masktrain.tmp
mkdir -p "$work"
work=$(cd "$work" && pwd)
case $work in
*mask_on*|*mask_off*|*mask_chin*)
	echo "train-mask: work folder $work contains a class label; labels are read from crop names" >&2; exit 1 ;;
esac
rm -rf "$work/img" "$work/model"
if [ -n "$fixes" ]; then
	# shellcheck disable=SC2086 # word list
	/usr/bin/python3 models/scripts/scenefix.py --scenes "$scenes" $fixes --out "$work/scenes"
	scenes=$work/scenes
fi
mkdir -p "$work/img" "$work/model"

# two halves in parallel (2 cores); output order is kept by concatenating
halves() { # $1 input list, $2 output, then the command
	in=$1; o=$2; shift 2
	n=$(wc -l <"$in"); h=$(( (n + 1) / 2 ))
	head -n "$h" "$in" >"$work/half.1"; tail -n +"$((h + 1))" "$in" >"$work/half.2"
	"$@" <"$work/half.1" >"$o.1" 2>"$o.1.log" & p=$!
	"$@" <"$work/half.2" >"$o.2" 2>"$o.2.log" || { tail -n 5 "$o.2.log" >&2; exit 1; }
	wait $p || { tail -n 5 "$o.1.log" >&2; exit 1; }
	cat "$o.1" "$o.2" >"$o"; cat "$o.1.log" "$o.2.log" >"$o.log"; rm -f "$o.1" "$o.2" "$o.1.log" "$o.2.log"
}

# 1. backbone
/usr/bin/python3 models/scripts/convert-aizoo-backbone.py --model "$aizoo" --out "$work" --size "$size"
# maskfeat reads the backbone cut after the last tapped layer: in the whole
# backbone the kernels fuse that layer with the maxpool after it and keep
# only the pooled output (kernels_output_kept); the head's own [route]
# keeps it unfused in mask.cfg
last=$(echo "$taps" | tr ',' '\n' | sort -n | tail -n 1)
awk -v n=$((last + 2)) '/^\[/ { k++ } k <= n' "$work/maskbb.cfg" >"$work/maskfeat.cfg"
ln -sf maskbb.weights "$work/maskfeat.weights"

# 2-3. face boxes of mask-faces, then the lists
echo "train-mask: finding the faces of mask-faces ($tools/maskaug --boxes)" >&2
for s in train val; do for c in with_mask without_mask; do
	ls "$faces/$s/$c" | LC_ALL=C sort | sed "s|^|$faces/$s/$c/|"
done; done >"$work/faces.list"
halves "$work/faces.list" "$work/faces.boxes" "$tools/maskaug" --boxes "$out"
/usr/bin/python3 models/scripts/mask-lists.py --scenes "$scenes" --faces "$faces" \
	--boxes "$work/faces.boxes" --work "$work" $calib $found

# 4. crops
echo "train-mask: cutting $(wc -l <"$work/train.crops") training crops (${size}x$size, $tools/maskaug)" >&2
halves "$work/train.crops" "$work/crops" "$tools/maskaug" $regopt "$out" "$size"
if [ "$featsonly" = 1 ]; then
	awk '{ print $2 }' "$work/train.crops" >"$work/train.ppm"
	echo "train-mask: backbone features ($tools/maskfeat, layers $taps)" >&2
	"$tools/maskfeat" "$work" maskfeat "$taps" "$work/train.f32" <"$work/train.ppm" >/dev/null
	echo "train-mask: kept $work (train.crops, train.ppm, train.f32; --feats-only)" >&2
	exit 0
fi

# 5. backbone features (the crop list's order)
awk '{ print $2 }' "$work/train.crops" >"$work/train.ppm"
echo "train-mask: backbone features ($tools/maskfeat, layers $taps)" >&2
"$tools/maskfeat" "$work" maskfeat "$taps" "$work/train.f32" <"$work/train.ppm" >/dev/null

# 6. head (training loss per epoch only: no validation face is seen before step 7)
/usr/bin/python3 models/scripts/mask-head.py --backbone "$work" --taps "$taps" \
	--train-feats "$work/train.f32" --train-list "$work/train.ppm" \
	--hidden "$hidden" --epochs "$epochs" --seed "$seed" --out "$work/model" 2>"$work/head.log" ||
	{ tail -n 5 "$work/head.log" >&2; exit 1; }
tail -n 2 "$work/head.log" >&2

# 7. figures on validation (no thresholds: fit-vision.py fits them), manifest, install
printf 'mask_on 0\nmask_off 0\nmask_chin 0\n' >"$work/model/mask.thresholds"
cp "$out/face.cfg" "$out/face.weights" "$work/model/"
halves "$work/val.list" "$work/val.probs" "$tools/maskeval" -p "$work/model"
/usr/bin/python3 models/scripts/mask-thresholds.py --probs "$work/val.probs" \
	--use "$work/model/mask.thresholds" --manifest "$work/model/mask.manifest" \
	--command "make train-mask (sh models/scripts/train-mask.sh --size $size --hidden $hidden --epochs $epochs --seed $seed${calib:+ $calib}${fixes:+ $fixes}${found:+ --found (train details, both scales)})" \
	--calib "${calib:-trained}" \
	--taps "$taps" \
	--train-log "$work/head.log" --crops "$work/train.crops" >/dev/null
for f in mask.cfg mask.weights mask.labels mask.thresholds mask.manifest; do
	cp "$work/model/$f" "$out/$f.tmp"
done
for f in mask.cfg mask.weights mask.labels mask.thresholds mask.manifest; do
	mv "$out/$f.tmp" "$out/$f"
done
if [ "$crossfit" -gt 0 ]; then
	echo "train-mask: cross-fitting the thresholds ($crossfit folds, models/scripts/mask-crossfit.py)" >&2
	/usr/bin/python3 models/scripts/mask-crossfit.py --work "$work" --folds "$crossfit" --taps "$taps" \
		--hidden "$hidden" --epochs "$epochs" --seed "$seed" --models "$out" --weights "$out/mask.weights" \
		--maskeval "$tools/maskeval" --scenes "$scenes" --faces "$faces" --write "$out" \
		--command "make train-mask (sh models/scripts/train-mask.sh --crossfit $crossfit)" \
		>"$work/crossfit.log" || { tail -n 5 "$work/crossfit.log" >&2; exit 1; }
fi
[ "$keep" = 1 ] || rm -rf "$work"
echo "train-mask: wrote $out/mask.cfg, mask.weights, mask.labels, mask.thresholds, mask.manifest" >&2

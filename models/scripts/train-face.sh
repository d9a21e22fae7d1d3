#!/bin/sh
# train-face.sh - fine-tune the face detector (AIZOOTech's model360, MIT,
# converted by convert-face.py) on the TRAIN split of mask-scenes with
# darknet's training path and gatewatch's fast kernels (build/models/facetrain:
# forward_network, our SSD loss in models/tools/faceloss.c, backward_network,
# update_network), then score every epoch on held-out train images.
#
# Usage: sh models/scripts/train-face.sh --out DIR [--start WEIGHTS] [--epochs N]
#        [--lr X] [--batch N] [--seed N] [--freeze N] [--work DIR] [--all]
#        [--oneclass] [--woff X] [--wchin X] [--ignore T]
#        [--additions FILE ... | --no-additions] [--corrections FILE ...]
#   --out     where face_E.weights, train.log and holdout.txt go
#   --start   the weights to start from (default
#             models/out/face-source/face.weights, the converted source
#             weights, whatever face.weights `make models` ships)
#   --epochs  passes over the training images (default 2)
#   --lr      learning rate, SGD momentum 0.9, decay 5e-4 (default 0.0005)
#   --batch   images per update (default 16)
#   --seed    every random choice (default 1): two runs give the same weights
#   --freeze  layers 0..N-1 not trained (default 6: conv 0..2 and their pools)
#   --all     train on every train image (N % 5 != 0), no holdout scoring;
#             without it mask-scenes N % 5 == 1 (the calibration split of
#             mask-lists.py) is held out and every epoch is scored on it by
#             face-holdout.py (the choice of epoch, rate and threshold),
#             beside the start weights and the shipped models/out/face.weights,
#             each later file's score against the start's with a paired
#             bootstrap interval (--compare: what the held-out set resolves)
#   --oneclass  one face class in the loss (the larger of Mask / NoMask
#             trained up; the mask classifier judges masks)
#   --woff, --wchin  mask_off, mask_chin faces' loss x X (default 1)
#   --ignore T  the shipped detector's (models/out) found faces of score >= T
#             on the training images that match no annotated face are
#             neither faces nor negatives (class -1; not mined)
#   --additions FILE  real faces missing from mask-scenes' annotations
#             (face-lists.py), added to the training AND the held-out
#             annotations (every weights file scored against the same);
#             default every models/data/*additions*.jsonl; --no-additions: none
#   --corrections FILE  annotation errors of mask-scenes corrected
#             (models/data/mask-scenes-corrections.jsonl; scenefix.py applies
#             the train images' lines into WORK/scenes, which every later step
#             reads: training and held-out annotations alike); default none
#   env GW_MASK_SCENES: the data set (default ../shared/datasets/mask-scenes)
# Validation images (N % 5 == 0) never enter (face-lists.py).
set -eu
cd "$(dirname "$0")/../.."
out=""; start=models/out/face-source/face.weights; epochs=2; lr=0.0005; batch=16; seed=1; freeze=6; work=""; all=0
extra=""; ignore=""; adds=""; noadds=0; fixes=""
scenes=${GW_MASK_SCENES:-../shared/datasets/mask-scenes}
export OPENBLAS_NUM_THREADS=1
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--start) start=$2; shift 2 ;;
	--epochs) epochs=$2; shift 2 ;;
	--lr) lr=$2; shift 2 ;;
	--batch) batch=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--freeze) freeze=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--all) all=1; shift ;;
	--oneclass) extra="$extra -oneclass"; shift ;;
	--woff) extra="$extra -woff $2"; shift 2 ;;
	--wchin) extra="$extra -wchin $2"; shift 2 ;;
	--ignore) ignore=$2; shift 2 ;;
	--additions) adds="$adds --additions $2"; shift 2 ;;
	--no-additions) noadds=1; shift ;;
	--corrections) fixes="$fixes --corrections $2"; shift 2 ;;
	*) echo "train-face: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { echo "usage: train-face.sh --out DIR [options] (see the script's head)" >&2; exit 2; }
work=${work:-$out/facetrain.tmp}
mkdir -p "$out" "$work"
if [ -n "$fixes" ]; then
	# shellcheck disable=SC2086 # word list
	/usr/bin/python3 models/scripts/scenefix.py --scenes "$scenes" $fixes --out "$work/scenes"
	scenes=$work/scenes
fi
if [ $noadds = 0 ] && [ -z "$adds" ]; then
	for f in models/data/*additions*.jsonl; do
		[ -f "$f" ] && adds="$adds --additions $f"
	done
fi
[ $noadds = 1 ] && adds=""
hold=--holdout
[ $all = 1 ] && hold=""
# shellcheck disable=SC2086 # word lists
/usr/bin/python3 models/scripts/face-lists.py --scenes "$scenes" --out "$work" $hold $adds
if [ -n "$ignore" ]; then
	nice -n 10 bin/gatewatch eval -q --set models.dir=models/out --set worker.face_threshold="$ignore" \
		--details "$work/train.details" "$work/train" > "$work/train.report"
	# shellcheck disable=SC2086
	/usr/bin/python3 models/scripts/face-lists.py --scenes "$scenes" --out "$work" $hold $adds \
		--ignore "$work/train.details" --ignore-score "$ignore"
fi
# one image per forward pass, $batch per update
sed -e "s/^batch=.*/batch=$batch/" -e "s/^subdivisions=.*/subdivisions=$batch/" models/out/face-source/face.cfg > "$work/train.cfg"
nice -n 15 build/models/facetrain "$work/train.cfg" "$start" "$work/train.list" "$out" \
	-epochs "$epochs" -lr "$lr" -batch "$batch" -seed "$seed" -freeze "$freeze" $extra > "$out/train.log" 2>&1
if [ $all = 0 ]; then
	set -- --weights "$start"
	# the shipped detector too when it is not the start (fine-tuned weights shipped)
	cmp -s "$start" models/out/face.weights || set -- "$@" --weights models/out/face.weights
	e=1
	while [ $e -le "$epochs" ]; do
		set -- "$@" --weights "$out/face_$e.weights"
		e=$((e + 1))
	done
	nice -n 10 /usr/bin/python3 models/scripts/face-holdout.py "$@" --compare 1000 --holdout "$work/holdout" \
		--work "$work/score" > "$out/holdout.txt"
fi
echo "train-face: wrote $out/face_1..$epochs.weights and train.log (and without --all holdout.txt)" >&2

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
#        [--folds K [--fold I]] [--hard T [--hard-repeat R]]
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
#             default every models/data/*-additions.jsonl; --no-additions: none
#   --corrections FILE  annotation errors of mask-scenes corrected
#             (models/data/mask-scenes-corrections.jsonl; scenefix.py applies
#             the train images' lines into WORK/scenes, which every later step
#             reads: training and held-out annotations alike); default none
#   --folds K  cross-fitted folds over the train images instead of the one
#             held-out part (face-lists.py --folds: with K = 4 fold I is
#             N % 5 == I): K trainings, fold I's weights in OUT/foldI/ trained
#             without fold I's images, then face-holdout.py scores each on its
#             own fold and pools them (every train image held out once) beside
#             the start and shipped weights, with the paired bootstrap and each
#             fold's difference (holdout.txt). --fold I: train fold I only (runs
#             can share the cores; the pooled scoring is the command printed)
#   --hard T  hard examples weighted: an image holding an annotated face of
#             40+ px that the start weights (the system's path, `gatewatch eval`
#             on every train image: WORK/hard.details, reused when there)
#             find under T or not at all is trained --hard-repeat R times an
#             epoch (default 2)
#   env GW_MASK_SCENES: the data set (default ../shared/datasets/mask-scenes)
# Validation images (N % 5 == 0) never enter (face-lists.py).
set -eu
cd "$(dirname "$0")/../.."
out=""; start=models/out/face-source/face.weights; epochs=2; lr=0.0005; batch=16; seed=1; freeze=6; work=""; all=0
extra=""; ignore=""; adds=""; noadds=0; fixes=""; folds=0; fold=0; hard=""; hrep=2
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
	--folds) folds=$2; shift 2 ;;
	--fold) fold=$2; shift 2 ;;
	--hard) hard=$2; shift 2 ;;
	--hard-repeat) hrep=$2; shift 2 ;;
	*) echo "train-face: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { echo "usage: train-face.sh --out DIR [options] (see the script's head)" >&2; exit 2; }
[ "$fold" = 0 ] || [ "$folds" != 0 ] || { echo "train-face: --fold needs --folds" >&2; exit 2; }
[ "$folds" = 0 ] || [ $all = 0 ] || { echo "train-face: --folds or --all, not both" >&2; exit 2; }
work=${work:-$out/facetrain.tmp}
mkdir -p "$out" "$work"
# fixed_scenes DIR: the data set with --corrections applied into DIR/scenes
# (each fold its own, so --fold runs can share WORK), else as it is
fixed_scenes() {
	if [ -n "$fixes" ]; then
		# shellcheck disable=SC2086 # word list
		/usr/bin/python3 models/scripts/scenefix.py --scenes "$scenes" $fixes --out "$1/scenes" >&2
		echo "$1/scenes"
	else
		echo "$scenes"
	fi
}
if [ $noadds = 0 ] && [ -z "$adds" ]; then
	for f in models/data/*-additions.jsonl; do
		[ -f "$f" ] && adds="$adds --additions $f"
	done
fi
[ $noadds = 1 ] && adds=""
hold=--holdout
[ $all = 1 ] && hold=""
# WORK/start.details: the start weights on every train image (for --hard and
# as the start's scores on each fold), reused when there
start_details() {
	[ ! -f "$work/start.details" ] || return 0
	# shellcheck disable=SC2086 # word list
	/usr/bin/python3 models/scripts/face-lists.py --scenes "$(fixed_scenes "$work/all")" --out "$work/all" $adds
	/usr/bin/python3 models/scripts/face-holdout.py --weights "$start" --holdout "$work/all/train" \
		--work "$work/startscore" > "$work/start.txt"
	cp "$work/startscore/w0/holdout.details" "$work/start.details.$$"
	mv "$work/start.details.$$" "$work/start.details"
}
if [ -n "$hard" ]; then
	start_details
	hold="$hold --hard $work/start.details --hard-score $hard --hard-repeat $hrep"
fi

# train_face LISTS OUT SPLIT...: the image lists into LISTS, the weights into OUT
train_face() {
	lists=$1; dir=$2; shift 2
	mkdir -p "$dir" "$lists"
	sc=$(fixed_scenes "$lists")
	# shellcheck disable=SC2086 # word lists
	/usr/bin/python3 models/scripts/face-lists.py --scenes "$sc" --out "$lists" "$@" $adds
	if [ -n "$ignore" ]; then
		nice -n 10 bin/gatewatch eval -q --set models.dir=models/out --set worker.face_threshold="$ignore" \
			--set ingest.closeup_threshold="$ignore" --details "$lists/train.details" "$lists/train" > "$lists/train.report"
		# shellcheck disable=SC2086
		/usr/bin/python3 models/scripts/face-lists.py --scenes "$sc" --out "$lists" "$@" $adds \
			--ignore "$lists/train.details" --ignore-score "$ignore"
	fi
	# one image per forward pass, $batch per update
	sed -e "s/^batch=.*/batch=$batch/" -e "s/^subdivisions=.*/subdivisions=$batch/" \
		models/out/face-source/face.cfg > "$lists/train.cfg"
	# shellcheck disable=SC2086
	nice -n 15 build/models/facetrain "$lists/train.cfg" "$start" "$lists/train.list" "$dir" \
		-epochs "$epochs" -lr "$lr" -batch "$batch" -seed "$seed" -freeze "$freeze" $extra > "$dir/train.log" 2>&1
}

# the start weights, the shipped ones when not the start, then each epoch's
# (with folds: FOLD1,FOLD2,... for every epoch)
set_scored() {
	set -- --weights "$start"
	cmp -s "$start" models/out/face.weights || set -- "$@" --weights models/out/face.weights
	e=1
	while [ $e -le "$epochs" ]; do
		if [ "$folds" = 0 ]; then
			w=$out/face_$e.weights
		else
			w=""; i=1
			while [ $i -le "$folds" ]; do
				w=$w${w:+,}$out/fold$i/face_$e.weights; i=$((i + 1))
			done
		fi
		set -- "$@" --weights "$w"
		e=$((e + 1))
	done
	scored="$*"
}

if [ "$folds" = 0 ]; then
	# shellcheck disable=SC2086 # word list
	train_face "$work" "$out" $hold
	if [ $all = 0 ]; then
		set_scored
		# shellcheck disable=SC2086 # word list (paths without spaces)
		nice -n 10 /usr/bin/python3 models/scripts/face-holdout.py $scored --compare 1000 \
			--holdout "$work/holdout" --work "$work/score" > "$out/holdout.txt"
	fi
	echo "train-face: wrote $out/face_1..$epochs.weights and train.log (and without --all holdout.txt)" >&2
	exit 0
fi
hold=${hold#--holdout}
holds=""
i=1
while [ $i -le "$folds" ]; do
	holds="$holds --holdout $work/fold$i/holdout"
	i=$((i + 1))
done
set_scored
score="/usr/bin/python3 models/scripts/face-holdout.py $scored$holds --work $work/score --first-details $work/start.details"
i=1
while [ $i -le "$folds" ]; do
	if [ "$fold" = 0 ] || [ "$fold" = $i ]; then
		# shellcheck disable=SC2086 # word list
		train_face "$work/fold$i" "$out/fold$i" --folds "$folds" --fold $i $hold
		start_details
		# shellcheck disable=SC2086 # word list (paths without spaces)
		$score --only-fold $i
	fi
	i=$((i + 1))
done
cmd="$score --details-only --compare 1000"
if [ "$fold" != 0 ]; then
	echo "train-face: wrote $out/fold$fold and scored it; when every fold is: $cmd > $out/holdout.txt" >&2
	exit 0
fi
$cmd > "$out/holdout.txt"
echo "train-face: wrote $out/fold1..$folds/face_1..$epochs.weights, train.log and holdout.txt" >&2

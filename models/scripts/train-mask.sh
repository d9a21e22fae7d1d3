#!/bin/sh
# train-mask.sh - train gatewatch's mask classifier (mask_on, mask_off,
# mask_chin) with Debian's `darknet classifier train` on face crops of
# ../shared/datasets/mask-faces/train.
#
# Usage: sh models/scripts/train-mask.sh --out DIR [--tools DIR] [--data DIR]
#        [--batches N]
#   --out    where face.cfg/face.weights are and mask.{cfg,weights,labels} go
#   --tools  folder with the facecrop tool (default build/models)
#   --bin    accepted for compatibility, unused
#   --data   the mask-faces dataset (default ../shared/datasets/mask-faces,
#            relative to the repository root; env GW_MASK_DATA overrides)
#   --batches training iterations of 64 images (default 1000)
#
# Steps: facecrop cuts a 64x64 crop around the best face of every image
# (the crop maskcls_run uses at run time; the whole image if no face is
# found); each without_mask image also gives a mask_chin crop with a
# synthetic mask drawn below the nose. Crops are named NNNNN.<label>.ppm in
# a folder whose path holds no label, because darknet labels an image by
# the first label that is a substring of its path. darknet seeds its
# augmentation from the clock, so two runs give slightly different weights;
# test/models/test_mask.sh measures whatever was trained.
set -eu
cd "$(dirname "$0")/../.."
out=""; tools=build/models; batches=1000
data=${GW_MASK_DATA:-../shared/datasets/mask-faces}
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--tools) tools=$2; shift 2 ;;
	--bin) shift 2 ;;
	--data) data=$2; shift 2 ;;
	--batches) batches=$2; shift 2 ;;
	*) echo "train-mask: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { echo "usage: train-mask.sh --out DIR [--tools DIR] [--data DIR]" >&2; exit 2; }
for f in "$out/face.cfg" "$out/face.weights" "$tools/facecrop" /usr/bin/darknet; do
	[ -e "$f" ] || { echo "train-mask: missing $f" >&2; exit 1; }
done
[ -d "$data/train/with_mask" ] && [ -d "$data/train/without_mask" ] ||
	{ echo "train-mask: no dataset at $data (train/with_mask, train/without_mask)" >&2; exit 1; }

size=64
work=$(cd "$out" && pwd)/masktrain.tmp
case $work in
*mask_on*|*mask_off*|*mask_chin*)
	echo "train-mask: work folder $work contains a class label; darknet would mislabel it" >&2; exit 1 ;;
esac
rm -rf "$work"
mkdir -p "$work/img" "$work/backup"

# 1. crop list: SRC DST MODE, sorted so that numbering is stable
i=0
: >"$work/crops.list"
for pair in with_mask:mask_on without_mask:mask_off without_mask:mask_chin; do
	dir=${pair%%:*}; label=${pair#*:}
	mode=plain; [ "$label" = mask_chin ] && mode=chin
	for f in $(ls "$data/train/$dir" | LC_ALL=C sort); do
		i=$((i + 1))
		printf '%s %s/img/%05d.%s.ppm %s\n' "$data/train/$dir/$f" "$work" "$i" "$label" "$mode" >>"$work/crops.list"
	done
done
echo "train-mask: cutting $i face crops (${size}x$size) with $tools/facecrop" >&2
# two halves in parallel (2 cores); chin seeds are line numbers within a
# half, so the split must stay fixed for the crops to be reproducible
half=$(( (i + 1) / 2 ))
head -n "$half" "$work/crops.list" >"$work/crops.1"
tail -n +"$((half + 1))" "$work/crops.list" >"$work/crops.2"
"$tools/facecrop" "$out" "$size" <"$work/crops.1" 2>"$work/facecrop.1.log" &
p1=$!
"$tools/facecrop" "$out" "$size" <"$work/crops.2" 2>"$work/facecrop.2.log" || { cat "$work/facecrop.2.log" >&2; exit 1; }
wait $p1 || { cat "$work/facecrop.1.log" >&2; exit 1; }
tail -n 1 "$work/facecrop.1.log" "$work/facecrop.2.log" >&2

# 2. darknet's data, labels and network
ls "$work/img" | sed "s|^|$work/img/|" | LC_ALL=C sort >"$work/train.list"
printf 'mask_on\nmask_off\nmask_chin\n' >"$work/mask.labels"
cat >"$work/mask.data" <<EOF
classes=3
train=$work/train.list
labels=$work/mask.labels
backup=$work/backup
top=1
EOF

net_cfg() { # $1 batch
	cat <<EOF
# mask.cfg - gatewatch mask classifier (mask_on, mask_off, mask_chin),
# written by models/scripts/train-mask.sh. Input: nn_face_square crop
# (face box + 20% margin, square) resampled to ${size}x$size, RGB / 255.
[net]
batch=$1
subdivisions=1
width=$size
height=$size
channels=3
min_crop=$size
max_crop=$((size + size / 8))
angle=7
hue=.05
saturation=1.4
exposure=1.4
learning_rate=0.1
policy=poly
power=4
max_batches=$batches
momentum=0.9
decay=0.0005

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=32
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=64
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=128
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
filters=3
size=1
stride=1
pad=1
activation=linear

[avgpool]

[softmax]
groups=1
EOF
}
net_cfg 64 >"$work/masktrain.cfg"

# 3. train (darknet prints a line per batch: keep it in a log)
echo "train-mask: darknet classifier train, $batches batches of 64 (log: $work/train.log)" >&2
# build/models/train is darknet's trainer with fast kernels (issue 8):
# same arguments, log and weights, ~4x faster; Debian's darknet otherwise
trainer=darknet
[ -x "$tools/train" ] && trainer=$(cd "$tools" && pwd)/train
echo "train-mask: trainer $trainer" >&2
( cd "$work" && "$trainer" classifier train mask.data masktrain.cfg >train.log 2>&1 ) ||
	{ tail -n 20 "$work/train.log" >&2; exit 1; }
[ -s "$work/backup/masktrain.weights" ] || { tail -n 20 "$work/train.log" >&2; exit 1; }
grep -E '^[0-9]+, ' "$work/train.log" | tail -n 1 | sed 's/^/train-mask: last batch: /' >&2

# 4. install: test-time cfg (batch=1), weights, labels; drop the crops
net_cfg 1 >"$out/mask.cfg.tmp"
cp "$work/backup/masktrain.weights" "$out/mask.weights.tmp"
cp "$work/mask.labels" "$out/mask.labels"
mv "$out/mask.cfg.tmp" "$out/mask.cfg"
mv "$out/mask.weights.tmp" "$out/mask.weights"
rm -rf "$work"
echo "train-mask: wrote $out/mask.cfg, mask.weights, mask.labels" >&2

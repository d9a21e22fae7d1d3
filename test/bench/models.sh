#!/bin/sh
# models.sh - speed of the face detector and mask classifier on one core
# (taskset -c 0): libdarknet through nn.h (nnbench: preprocessing + forward
# + decode) and the same cfg/weights through OpenCV DNN (forward only).
# Prints a markdown table on stdout. Needs `make models` and
# $B/models/nnbench. Env: RUNS (default 10), IMAGE.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}; MODELS=${MODELS:-models/out}; RUNS=${RUNS:-10}
IMAGE=${IMAGE:-/usr/share/doc/libdlib19.1/examples/faces/2008_001009.jpg}
dn=$(mktemp); cv=$(mktemp)
trap 'rm -f "$dn" "$cv"' EXIT
taskset -c 0 "$B/models/nnbench" "$MODELS" "$IMAGE" "$RUNS" >"$dn" 2>/dev/null ||
	{ echo "models.sh: nnbench failed (make models model-tools?)" >&2; exit 1; }
taskset -c 0 /usr/bin/python3 test/bench/models-opencv.py "$MODELS" "$IMAGE" "$RUNS" >"$cv" 2>/dev/null ||
	echo "models.sh: OpenCV DNN run failed" >&2
echo "| model | input | nn.h ms (1 core, nn.kernels=auto, with pre/post-processing) | OpenCV DNN ms (1 core, forward) |"
echo "|---|---|---|---|"
while read -r name input ms; do
	ocv=$(awk -v n="$name" -v i="$input" '$1 == n && $2 == i { print $3 }' "$cv")
	case $name in face) label="face (aizoo model360)"; in="${input}x$input" ;; *) label="mask classifier"; in="64x64" ;; esac
	echo "| $label | $in | $ms | ${ocv:-n/a} |"
done <"$dn"

#!/bin/sh
# test_amx.sh - the AMX bf16 convolutions (common/kernels_amx.c,
# nn.kernels = amx) against a double-precision reference: random ragged
# layers, every stride-1 convolution of the face (360, and 298: odd planes
# after the first pool), mask and person networks on real photos' inputs,
# the face detector's boxes with amx against auto, and a process refused
# AMX by the kernel (seccomp) falling back. See test/models/test_amx.c.
# On a CPU (or kernel) without AMX it prints one "ok - skip: <why>" line.
# Needs `make models` and $B/models/amx-check (built by `make test`).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}; MODELS=${MODELS:-models/out}
tool=$B/models/amx-check
if [ ! -x "$tool" ]; then
	echo "not ok - amx checks: need $tool (make $tool)"
	exit 1
fi
scenes=../shared/datasets/mask-scenes/images
photos="/usr/share/darknet/data/person.jpg
/usr/share/doc/libdlib19.1/examples/faces/2008_001009.jpg
$scenes/maksssksksss5.jpg
$scenes/maksssksksss12.jpg"
set --
for p in $photos; do [ -f "$p" ] && set -- "$@" "$p"; done
[ $# -ge 2 ] || { echo "not ok - amx checks: fewer than 2 of the photos exist"; exit 1; }
exec "$tool" "$MODELS" face=360,298 mask=64 person=320 -- "$@"

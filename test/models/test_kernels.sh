#!/bin/sh
# test_kernels.sh - gatewatch's kernels (common/kernels.c) against darknet's
# own forward on real photos, for every network and the input sizes the
# programs use (face: worker.face_input 320/416/608, the 224 of crops and
# retries; person: ingest.person_input 416, 320; mask: 64): every layer's
# output within 1e-5 of its largest value, the same boxes with
# nn.kernels=stock and =auto, also after resize_network, and two networks
# in two threads as one. See test/models/test_kernels.c. Photos: darknet's
# and dlib's (install-deps.sh) and one of ../shared/datasets/mask-scenes
# when it is there (without it, on the first two; fewer than two fail).
# Needs `make models` and $B/models/kernels-check (built by `make test`).
# KERNELS_PERSON_SIZES: person's input sizes (make test-asan: 320 only,
# the same kernels as 416 at about 2/3 of the time).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}; MODELS=${MODELS:-models/out}
tool=$B/models/kernels-check
if [ ! -x "$tool" ]; then
	echo "not ok - kernels checks: need $tool (make $tool)"
	exit 1
fi
photos="/usr/share/darknet/data/person.jpg
/usr/share/doc/libdlib19.1/examples/faces/2008_001009.jpg
../shared/datasets/mask-scenes/images/maksssksksss5.jpg"
set --
for p in $photos; do [ -f "$p" ] && set -- "$@" "$p"; done
[ $# -ge 2 ] || { echo "not ok - kernels checks: fewer than 2 of the photos exist"; exit 1; }
# face sizes: today's face.cfg (416 wide) runs at these; a replacement
# network is checked at its own cfg size and at 298 (planes of odd size
# after the first pool: edge tiles of a convolution fused with its pool)
# and 352 (Winograd on an 11x11 plane, odd, its pool 5x5: row-end tiles)
face=416,224,320,608
w=$(sed -n 's/^width *= *//p' "$MODELS/face.cfg" 2>/dev/null | head -n 1)
[ -n "$w" ] && [ "$w" != 416 ] && face=$w,298,352
exec "$tool" "$MODELS" person="${KERNELS_PERSON_SIZES:-416,320}" face=$face mask=64 -- "$@"

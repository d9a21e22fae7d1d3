#!/bin/sh
# test_facetrain.sh - the face detector's trainer (build/models/facetrain,
# darknet's forward/backward/update with our SSD loss) runs end to end on
# two of dlib's example photos (unmasked faces, its training.xml boxes; no
# mask-scenes image, so no validation image is trained on): 2 epochs of 2
# images, then checks that it exits 0, logs finite losses, writes weights of
# the source's size, leaves the frozen layers (convolutions 0-2, -freeze 6)
# bit for bit and changes the trained ones. Then once more with -oneclass,
# -woff 2 and one face marked -1 (ignored): exits 0, finite losses, and
# weights other than the first run's. About 8 s of CPU.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}; MODELS=${MODELS:-models/out}
tool=$B/models/facetrain
faces=/usr/share/doc/libdlib19.1/examples/faces
if [ ! -x "$tool" ] || [ ! -f "$MODELS/face.weights" ]; then
	echo "not ok - facetrain: need $tool and $MODELS/face.weights (make models model-tools)"
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 2007_007763.jpg and 2008_001009.jpg with their boxes, class 1 (NoMask)
printf '%s 7 194 90 37 37 1 158 114 37 37 1 381 89 45 44 1 94 198 37 37 1 178 214 37 37 1 294 86 37 37 1 309 233 45 44 1\n' \
	"$faces/2007_007763.jpg" > "$work/train.list"
printf '%s 2 145 79 76 76 1 125 214 90 91 1\n' "$faces/2008_001009.jpg" >> "$work/train.list"
sed -e 's/^batch=.*/batch=2/' -e 's/^subdivisions=.*/subdivisions=2/' "$MODELS/face.cfg" > "$work/train.cfg"
rc=0
if OPENBLAS_NUM_THREADS=1 "$tool" "$work/train.cfg" "$MODELS/face.weights" "$work/train.list" "$work" \
	-epochs 2 -batch 2 -lr 0.0001 -seed 3 > "$work/log" 2>&1; then
	echo "ok - facetrain exits 0"
else
	echo "not ok - facetrain failed:"; tail -5 "$work/log"; exit 1
fi
losses=$(grep '^epoch' "$work/log")
if [ "$(echo "$losses" | grep -c 'class [0-9]')" = 2 ] && ! echo "$losses" | grep -qi 'nan\|inf'; then
	echo "ok - finite losses: $(echo "$losses" | tail -1)"
else
	echo "not ok - losses: $losses"; rc=1
fi
/usr/bin/python3 - "$MODELS/face.weights" "$work/face_2.weights" <<'PY' || rc=1
import sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
# darknet header: 3 int32 + seen (int64); then per conv biases + weights (no
# batch norm): conv0 32 + 32*27, conv1 64 + 64*288, conv2 64 + 64*576 floats
head, frozen = 20, 4 * (32 + 32 * 27 + 64 + 64 * 288 + 64 + 64 * 576)
ok = len(a) == len(b)
print("%s - weights of the source's size (%d bytes)" % ("ok" if ok else "not ok", len(b)))
same = a[head:head + frozen] == b[head:head + frozen]
print("%s - frozen layers (convolutions 0-2) unchanged" % ("ok" if same else "not ok"))
moved = a[head + frozen:] != b[head + frozen:]
print("%s - trained layers changed" % ("ok" if moved else "not ok"))
sys.exit(0 if ok and same and moved else 1)
PY
# one face class, mask_off x 2, the last face of the first photo ignored
sed -e '1s/ 1$/ -1/' "$work/train.list" > "$work/one.list"
mkdir "$work/one"
if OPENBLAS_NUM_THREADS=1 "$tool" "$work/train.cfg" "$MODELS/face.weights" "$work/one.list" "$work/one" \
	-epochs 2 -batch 2 -lr 0.0001 -seed 3 -oneclass -woff 2 > "$work/one.log" 2>&1 &&
	grep -q 'one face class, mask_off x 2,' "$work/one.log" &&
	[ "$(grep '^epoch' "$work/one.log" | grep -c 'class [0-9]')" = 2 ] && ! grep '^epoch' "$work/one.log" | grep -qi 'nan\|inf' &&
	! cmp -s "$work/face_2.weights" "$work/one/face_2.weights"; then
	echo "ok - -oneclass -woff 2 with an ignored face: exits 0, finite losses, other weights"
else
	echo "not ok - -oneclass -woff 2:"; tail -3 "$work/one.log"; rc=1
fi
exit $rc

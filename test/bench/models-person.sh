#!/bin/sh
# models-person.sh - ms per inference of the NanoDet person detector
# ($MODELS/person.cfg) on one core (taskset -c 0): Debian's darknet through
# common/persondet.c (preprocess + network + decode, $B/models/person-tool)
# and the same cfg/weights through OpenCV DNN (network only), at 416 and 320.
# Times are process CPU time per inference, so other load on the core does
# not inflate them (cache sharing still can). Prints markdown table rows. A benchmark, not a test: nothing is asserted.
# Environment: B (default build), MODELS (default models/out), N (runs, default 10).
set -eu
cd "$(dirname "$0")/../.."
B=${B:-build}; MODELS=${MODELS:-models/out}; N=${N:-10}
tool=$B/models/person-tool
[ -x "$tool" ] || make -s B="$B" "$tool"
[ -f "$MODELS/person.weights" ] || { echo "models-person: $MODELS/person.weights missing (make models)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/convert /usr/share/darknet/data/person.jpg -colorspace sRGB -type TrueColor -depth 8 "ppm:$tmp/p.ppm"

echo "| person detector (NanoDet, $(nproc) cpus, load $(cut -d' ' -f1 /proc/loadavg)) | input | persondet ms (nn.kernels=auto) | OpenCV DNN ms |"
echo "|---|---|---|---|"
for size in 416 320; do
	dn=$(taskset -c 0 "$tool" "$MODELS" "$size" "$tmp/p.ppm" 0.5 --bench "$N" 2>&1 >/dev/null |
		sed -n 's/^bench: [0-9]* //p')
	cv=$(taskset -c 0 /usr/bin/python3 - "$MODELS" "$size" "$N" <<'PY'
import sys, time
import cv2, numpy as np
cv2.setNumThreads(1)
d, size, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
net = cv2.dnn.readNetFromDarknet(d + '/person.cfg', d + '/person.weights')
img = cv2.imread('/usr/share/darknet/data/person.jpg')
blob = cv2.dnn.blobFromImage(img, 1 / 255.0, (size, size), swapRB=True, crop=False)
outs = net.getUnconnectedOutLayersNames()
net.setInput(blob); net.forward(outs)
t = time.process_time()
for _ in range(n):
    net.setInput(blob); net.forward(outs)
print('%.1f' % ((time.process_time() - t) * 1e3 / n))
PY
)
	echo "| person.cfg | $size | ${dn:-?} | ${cv:-?} |"
done

#!/bin/sh
# models-kernels.sh - each network x input size x runtime on one core
# (taskset -c 0): darknet's stock forward, gatewatch's kernels
# (common/kernels.c; both in $B/bench/kernels-bench, run alternately; ours
# is nn.kernels auto: AMX bf16 tiles for the stride-1 convolutions where the
# CPU and kernel grant them, common/kernels_amx.c; also the AVX2 kernels
# forced, kernels-bench's 6th column, and ours again with nn.kernels=avx512,
# the fp32 path),
# OpenCV DNN (python3-opencv, one thread) on the same cfg/weights, and
# onnxruntime (npm onnxruntime-node, one thread) on the same network
# converted by models/tools/darknet2onnx.py, its outputs checked against
# darknet's first (bench-only packages: deploy/install-deps.sh --bench;
# without them the column is left out and the report says so).
# ROUNDS rounds, each running every runtime on every network in turn
# (interleaved, so load on the machine falls on all alike); each figure is
# the median over rounds of the median of N forward passes, thread CPU
# time. Also the core's peak (an FMA loop, same run) and, for our
# forward, the share of time per layer kind. Prints markdown on stdout.
# A benchmark, not a test: nothing is compared with a limit.
# Environment: B, MODELS, N (passes per round, default 5), ROUNDS (3),
# NETS (default "person:416 person:320 face:CFG face:416 mask:CFG", CFG =
# the cfg's own input size), IMAGE.
set -eu
cd "$(dirname "$0")/../.."
B=${B:-build}; MODELS=${MODELS:-models/out}; N=${N:-5}; ROUNDS=${ROUNDS:-3}
IMAGE=${IMAGE:-/usr/share/darknet/data/person.jpg}
tool=$B/bench/kernels-bench
[ -x "$tool" ] || make -s B="$B" "$tool" >&2
cfgsize() { sed -n 's/^width *= *//p' "$MODELS/$1.cfg" | head -n 1; }
nets=""
for s in ${NETS:-person:416 person:320 face:CFG face:416 mask:CFG}; do
	name=${s%%:*}; size=${s#*:}
	[ -f "$MODELS/$name.cfg" ] || { echo "models-kernels: $MODELS/$name.cfg missing, skipped" >&2; continue; }
	[ "$size" = CFG ] && size=$(cfgsize "$name")
	case " $nets " in *" $name:$size "*) ;; *) nets="$nets $name:$size" ;; esac
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
load0=$(cut -d' ' -f1 /proc/loadavg)
peak=$(taskset -c 0 "$tool" --peak | sed -n 's/^peak //p')
# on an AVX-512 CPU the core's peak is the 16-wide FMA loop's
peak512=$(taskset -c 0 "$tool" --peak | sed -n 's/^peak512 //p')
peak8=$peak; [ -n "$peak512" ] && peak=$peak512
# onnxruntime: convert each network at each size, check it against
# darknet's stock forward on the same input (kernels-bench --dump)
ort=""; ortnote=""
if [ ! -d test/bench/ort/node_modules/onnxruntime-node ]; then
	ortnote="onnxruntime: not measured (npm onnxruntime-node missing: sh deploy/install-deps.sh --bench)."
elif ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
	ortnote="onnxruntime: not measured (python3-onnx missing: sh deploy/install-deps.sh --bench)."
else
	for s in $nets; do
		d="$tmp/${s%%:*}-${s#*:}"
		mkdir -p "$d"
		if "$tool" "$MODELS" "${s%%:*}" "${s#*:}" 1 "$IMAGE" --dump "$d" >/dev/null 2>&1 &&
		    /usr/bin/python3 models/tools/darknet2onnx.py "$MODELS/${s%%:*}.cfg" \
		    "$MODELS/${s%%:*}.weights" "${s#*:}" "$d.onnx" 2>"$tmp/ort.err" &&
		    w=$(node test/bench/kernels-ort.mjs check "$d" "$d.onnx" 2>>"$tmp/ort.err" |
		    sed -n 's/^worst //p') && [ -n "$w" ]; then
			ort="$ort $s:$d.onnx"
			ortnote="$ortnote ${s%%:*} ${s#*:} $w,"
		else
			echo "models-kernels: onnxruntime $s: $(tail -n 1 "$tmp/ort.err")" >&2
		fi
	done
	ortnote="onnxruntime: the same cfg/weights converted to ONNX by models/tools/darknet2onnx.py (region decoding left out), intra_op_num_threads=1, process CPU time; its outputs against darknet's stock forward on the same input (largest difference over its outputs / largest output):${ortnote%,}."
fi
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for s in $nets; do
		taskset -c 0 "$tool" "$MODELS" "${s%%:*}" "${s#*:}" "$N" "$IMAGE" 2>/dev/null >>"$tmp/c.txt" ||
			echo "models-kernels: kernels-bench $s failed" >&2
		KERNELS_MODE=avx512 taskset -c 0 "$tool" "$MODELS" "${s%%:*}" "${s#*:}" "$N" "$IMAGE" \
		    2>/dev/null >>"$tmp/c512.txt" || echo "models-kernels: kernels-bench avx512 $s failed" >&2
	done
	# shellcheck disable=SC2086
	taskset -c 0 /usr/bin/python3 test/bench/kernels-opencv.py "$MODELS" "$IMAGE" "$N" $nets \
		>>"$tmp/cv.txt" 2>"$tmp/cv.err" || echo "models-kernels: OpenCV DNN failed: $(tail -n 1 "$tmp/cv.err")" >&2
	if [ -n "$ort" ]; then
		# shellcheck disable=SC2086
		taskset -c 0 node test/bench/kernels-ort.mjs time "$N" "$tmp" $ort >>"$tmp/ort.txt" \
			2>"$tmp/ort.err" || echo "models-kernels: onnxruntime failed: $(tail -n 1 "$tmp/ort.err")" >&2
	fi
	r=$((r + 1))
done
peak2=$(taskset -c 0 "$tool" --peak | sed -n 's/^peak //p')
[ -n "$peak512" ] && peak2=$(taskset -c 0 "$tool" --peak | sed -n 's/^peak512 //p')

echo "One core (taskset -c 0), thread CPU time, median over $ROUNDS interleaved rounds of the"
echo "median of $N passes; network forward only (no preprocessing or decoding). Peak of"
wide=""; [ -n "$peak512" ] && wide=" with 16-wide (AVX-512) FMAs; 8-wide: $peak8"
echo "this core measured in the same run with an FMA loop: $peak GFLOP/s (start), $peak2 (end)$wide."
echo "GFLOP = 2 x the multiply-adds of the network's convolutions. Load average at start: $load0."
echo "Load average at end: $(cut -d' ' -f1 /proc/loadavg)."
echo "OpenBLAS is the system BLAS here (libopenblas-dev), so OpenCV may use it too."
echo "$ortnote"
cvno=$(sed -n 's/^\([a-z0-9]* [0-9]*\): OpenCV DNN cannot run it.*/\1/p' "$tmp/cv.err" 2>/dev/null | sort -u | paste -sd, - | sed 's/,/, /g')
[ -n "$cvno" ] && echo "OpenCV DNN cannot run: $cvno (its darknet importer fails on the network; no OpenCV figure there)."
echo
if grep -qw amx_tile /proc/cpuinfo; then
	echo "gatewatch kernels = nn.kernels auto: AMX bf16 tiles for the stride-1 convolutions here (the CPU"
	echo "lists amx_tile; its % of peak is of the fp32 FMA peak, its tiles do bf16 products at up to 16x);"
else
	echo "gatewatch kernels = nn.kernels auto (no AMX on this CPU: the fp32 kernels);"
fi
echo "gatewatch avx512: nn.kernels=avx512 (the fp32 kernels), gatewatch avx2: the AVX2 kernels forced."
echo
echo "| network | input | GFLOP | runtime | ms | GFLOP/s | % of peak | time / OpenCV's | time / onnxruntime's | time / avx2's | speed-up over stock |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
touch "$tmp/c.txt" "$tmp/cv.txt" "$tmp/ort.txt" "$tmp/c512.txt"
for s in $nets; do
	name=${s%%:*}; size=${s#*:}
	awk -v n="$name" -v s="$size" -v peak="$peak" -f /dev/stdin "$tmp/c.txt" "$tmp/cv.txt" "$tmp/ort.txt" \
	    "$tmp/c512.txt" <<'AWK'
function median(a, k,   i, j, t) {
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
FILENAME ~ /\/c\.txt$/ && $1 == n && $2 == s { gf = $3; st[++ns] = $4; ou[++no] = $5; if (NF > 5) a2[++n2] = $6 }
FILENAME ~ /\/c512\.txt$/ && $1 == n && $2 == s { a5[++n5] = $5 }
FILENAME ~ /\/cv\.txt$/ && $1 == n && $2 == s { cv[++nc] = $3 }
FILENAME ~ /\/ort\.txt$/ && $1 == n && $2 == s { ox[++nx] = $3 }
END {
	if (ns == 0) { printf "| %s | %d | | (no figures) | | | | | | | |\n", n, s; exit }
	ms = median(st, ns); mo = median(ou, no); mc = nc ? median(cv, nc) : 0; mx = nx ? median(ox, nx) : 0
	m2 = n2 ? median(a2, n2) : 0
	row("darknet stock", ms); row("gatewatch kernels", mo)
	if (n5) row("gatewatch avx512", median(a5, n5))
	if (n2) row("gatewatch avx2", m2)
	if (nc) row("OpenCV DNN", mc)
	if (nx) row("onnxruntime", mx)
}
function row(what, t) {
	printf "| %s | %d | %.3f | %s | %.2f | %.1f | %.0f%% | %s | %s | %s | %s |\n", n, s, gf, what, t, gf / t * 1e3,
	    100 * gf / t * 1e3 / peak, mc ? sprintf("%.2f", t / mc) : "n/a", mx ? sprintf("%.2f", t / mx) : "n/a",
	    m2 ? sprintf("%.2f", t / m2) : "n/a", sprintf("%.1fx", ms / t)
}
AWK
done
echo
echo "Where gatewatch's forward spends its time (share per layer kind, same core):"
echo
for s in $nets; do
	printf '%s %s: ' "${s%%:*}" "${s#*:}"
	taskset -c 0 "$tool" "$MODELS" "${s%%:*}" "${s#*:}" 3 "$IMAGE" --layers 2>/dev/null |
		sed -n 's/^  *\([a-z0-9x ]*[a-z0-9]\)  *\([0-9.]*%\)$/\1 \2/p' | paste -sd, - | sed 's/,/, /g'
done

#!/bin/sh
# run.sh - what `make bench` runs: every benchmark part, assembled into
# docs/BENCHMARKS.md (or $BENCH_OUT). Parts:
#   Networks   test/bench/models-kernels.sh (every network x input x runtime:
#              darknet stock, gatewatch kernels, OpenCV DNN, onnxruntime), test/bench/models.sh
#              (face + mask through nn.h), test/bench/models-person.sh
#              (NanoDet through persondet): each prints markdown, included verbatim
#   Gate       test/bench/gate.py: time to verdict, the headline (a scripted
#              gate scene through the camera protocol)
#   Pipeline   test/bench/pipeline.py (the four programs on loopback),
#              test/bench/push_lag.py (push --stdin behind a live camera)
#   Durability test/bench/sync_cost.py (what synchronous=FULL costs)
#   Memory     test/bench/memory.py (each program's RSS under 4 cameras x
#              5 fps and 100 /live clients, and whether it grows)
# A part that is missing or fails is named in the report, with the end of
# its stderr; the report is still written, and run.sh exits 1 at the end.
# Benchmarks, not tests: no figure is compared with a limit.
# Environment: B (build dir, default build), BIN (default bin), MODELS
# (default models/out), BENCH_OUT (default docs/BENCHMARKS.md),
# BENCH_QUICK=1 (fewer frames in the pipeline part, to try things out),
# BENCH_BUDGET_S (the pipeline part's time budget, default 420 s; it is
# killed 90 s after that).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}; BIN=${BIN:-bin}; MODELS=${MODELS:-models/out}
export B BIN MODELS
GW_ROOT=$(pwd); export GW_ROOT
OUT=${BENCH_OUT:-docs/BENCHMARKS.md}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT INT TERM
failed=""
t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# part NAME TIMEOUT_S CMD... - run one part; its stdout is kept in
# $tmp/NAME.md, its status in $tmp/NAME.rc, a failure is remembered.
part() {
	name=$1; limit=$2; shift 2
	echo "bench: $name ..." >&2
	t0=$(date +%s)
	timeout "$limit" "$@" >"$tmp/$name.md" 2>"$tmp/$name.err"; rc=$?
	echo "$rc" >"$tmp/$name.rc"
	echo "bench: $name: exit $rc after $(( $(date +%s) - t0 )) s" >&2
	if [ "$rc" -ne 0 ]; then
		failed="$failed $name"
		tail -n 15 "$tmp/$name.err" | sed "s/^/bench: $name: /" >&2
	fi
}

# emit NAME SCRIPT - a part's markdown, or why there is none.
emit() {
	name=$1; script=$2
	if [ ! -f "$script" ]; then
		printf '**%s is missing: not measured.**\n\n' "$script"
		return
	fi
	cat "$tmp/$name.md"
	echo
	rc=$(cat "$tmp/$name.rc" 2>/dev/null || echo '?')
	if [ "$rc" != 0 ]; then
		if [ "$rc" = 124 ]; then
			printf '**%s failed: stopped after its time limit** (exit %s). End of its stderr:\n\n' "$script" "$rc"
		else
			printf '**%s failed** (exit %s). End of its stderr:\n\n' "$script" "$rc"
		fi
		echo '```'
		tail -n 12 "$tmp/$name.err"
		echo '```'
		echo
	fi
}

# the parts' own tools, if a previous make did not build them
[ -x "$B/bench/decode_bench" ] || make -s B="$B" BIN="$BIN" "$B/bench/decode_bench" >&2
[ -f test/bench/models.sh ] && [ ! -x "$B/models/nnbench" ] && make -s B="$B" BIN="$BIN" "$B/models/nnbench" >&2

[ -f test/bench/models-kernels.sh ] && [ ! -x "$B/bench/kernels-bench" ] && make -s B="$B" BIN="$BIN" "$B/bench/kernels-bench" >&2
for s in models-kernels models models-person; do
	if [ -f "test/bench/$s.sh" ]; then
		limit=300; [ "$s" = models-kernels ] && limit=900
		part "$s" "$limit" sh "test/bench/$s.sh"
	else
		failed="$failed $s"
		echo "bench: test/bench/$s.sh is missing" >&2
	fi
done
part gate 400 /usr/bin/python3 test/bench/gate.py
BENCH_BUDGET_S=${BENCH_BUDGET_S:-420}; export BENCH_BUDGET_S
part pipeline $((BENCH_BUDGET_S + 90)) /usr/bin/python3 test/bench/pipeline.py
part push-lag 300 /usr/bin/python3 test/bench/push_lag.py
part sync-cost 600 /usr/bin/python3 test/bench/sync_cost.py
part memory 400 /usr/bin/python3 test/bench/memory.py

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain 2>/dev/null | grep -v '^??' | head -n 1)" ] && commit="$commit (plus uncommitted changes)"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
mkdir -p "$(dirname "$OUT")"
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` (test/bench/run.sh); do not edit by hand, re-run it."
	echo "Benchmarks, not tests: nothing here is compared with a limit. Where the same"
	echo "run measured a reference (the plain decode rate of the same JPEG), figures"
	echo "are also given as ratios to it, which carry over between machines better"
	echo "than the raw numbers."
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
	echo "| git commit | $commit |"
	echo "| machine | $(nproc) CPUs, $cpu, $mem, $(uname -sr) |"
	echo "| load average (1/5/15 min) at start / end | $load_start / $(cut -d' ' -f1-3 /proc/loadavg) |"
	echo "| duration of \`make bench\` | $(( $(date +%s) - t_start )) s |"
	echo
	if awk -v l="$load_start" -v n="$(nproc)" 'BEGIN { split(l, a, " "); exit !(a[1] > n) }'; then
		echo "**The machine was busy during this run** (load average ${load_start%% *} on $(nproc) CPUs at"
		echo "the start: other builds, tests or training shared it). Absolute times are"
		echo "inflated by that load (compare the NanoDet time below with the ~320 ms it"
		echo "takes on an idle core); ratios measured within the same run hold up better."
		echo
	fi
	emit gate test/bench/gate.py
	echo "## Networks"
	echo
	emit models-kernels test/bench/models-kernels.sh
	emit models test/bench/models.sh
	emit models-person test/bench/models-person.sh
	echo "## Pipeline"
	echo
	emit pipeline test/bench/pipeline.py
	emit push-lag test/bench/push_lag.py
	echo "## Durability"
	echo
	emit sync-cost test/bench/sync_cost.py
	echo "## Memory"
	echo
	emit memory test/bench/memory.py
	echo "## Re-measuring"
	echo
	echo '```sh'
	echo 'make bench                                  # everything, rewrites docs/BENCHMARKS.md'
	echo 'BENCH_OUT=/tmp/b.md BENCH_QUICK=1 sh test/bench/run.sh   # a quick look, fewer frames'
	echo 'sh test/bench/models-person.sh              # one part alone (markdown on stdout)'
	echo 'sh test/bench/models-kernels.sh             # networks x runtimes (ROUNDS=1 N=3 for a quick look)'
	echo "$B/bench/kernels-bench models/out person 416 5 IMAGE --each   # ms and GFLOP/s per layer"
	echo "$B/bench/kernels-bench models/out person 416 1 IMAGE --dump DIR   # darknet's outputs, to check a conversion"
	echo '/usr/bin/python3 models/tools/darknet2onnx.py CFG WEIGHTS SIZE OUT.onnx   # the onnxruntime column'"'"'s model'
	echo 'node test/bench/kernels-ort.mjs check DIR OUT.onnx   # ...against darknet'"'"'s outputs'
	echo 'sh deploy/install-deps.sh --bench            # python3-onnx, onnxruntime-node (bench only)'
	echo '/usr/bin/python3 test/bench/gate.py         # time to verdict alone (the headline)'
	echo '/usr/bin/python3 test/bench/looks.py        # one look right by score: track.decide_score'
	echo '/usr/bin/python3 test/bench/pipeline.py     # the pipeline part alone'
	echo '/usr/bin/python3 test/bench/push_lag.py     # push --stdin behind a live camera'
	echo '/usr/bin/python3 test/bench/sync_cost.py    # synchronous=FULL against NORMAL'
	echo '/usr/bin/python3 test/bench/memory.py       # RSS of each program under load (--seconds 60)'
	echo "$B/bench/decode_bench decode FRAME.jpg 300   # stb decode rate of one JPEG"
	echo "$B/bench/decode_bench commit DIR FRAME.jpg 200   # spool_commit (fsync) time"
	echo 'bin/gatewatch replay --stage ingest FRAMES/  # first pass alone, ms per frame'
	echo '```'
	echo
	echo "Figures move with the load on the machine: the load average above says how"
	echo "busy it was; compare runs taken under similar load."
	if [ -n "$failed" ]; then
		echo
		echo "**Parts that failed or are missing:$failed** (see above)."
	fi
} >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo "bench: wrote $OUT$( [ -n "$failed" ] && echo "; failed:$failed")" >&2
[ -z "$failed" ]

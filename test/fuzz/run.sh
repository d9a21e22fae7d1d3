#!/bin/sh
# run.sh - run gatewatch's libFuzzer harnesses (mk/fuzz.mk builds them).
# For each: replay every input in test/fuzz/regress/<name>/ (old crashes:
# they must pass now), then fuzz for SECONDS from the committed seeds in
# test/fuzz/corpus/<name>/ (the corpus grows in a scratch copy, not in
# git). Prints "ok - ..." / "not ok - ..." per harness for test/run.sh; a
# crash is kept in test/fuzz/crashes/ with the command to reproduce it.
# Usage: test/fuzz/run.sh SECONDS [name...]   (default: every harness)
# Environment: B (build dir, default build).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
secs=${1:-20}; shift 2>/dev/null
names=${*:-image camera_json trailer msg config http accounts eval}
crashes=test/fuzz/crashes
mkdir -p "$crashes"
fail=0
for n in $names; do
	bin=$B/fuzz/fuzz_$n
	if [ ! -x "$bin" ]; then
		echo "not ok - fuzz $n: $bin not built (make fuzz-build; needs clang)"
		fail=1
		continue
	fi
	reg=$(find "test/fuzz/regress/$n" -type f 2>/dev/null | sort)
	if [ -n "$reg" ]; then
		# shellcheck disable=SC2086
		if out=$("$bin" -runs=1 $reg 2>&1); then
			echo "ok - fuzz $n: $(echo "$reg" | wc -l) regression inputs pass"
		else
			echo "not ok - fuzz $n: a regression input fails again:"
			echo "$out" | grep -E "ERROR|SUMMARY|runtime error|Running" | head -n 8 | sed 's/^/#   /'
			fail=1
		fi
	fi
	work=$(mktemp -d)
	cp -r "test/fuzz/corpus/$n/." "$work/" 2>/dev/null
	log=$(mktemp)
	# -timeout: one input may not take 10 s; -rss_limit_mb: nor 2 GB
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$crashes/$n-" "$work" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz $n: ${runs:-?} inputs in $secs s, no crash"
	else
		art=$(grep -o "$crashes/$n-[a-z]*-[0-9a-f]*" "$log" | tail -n 1)
		echo "not ok - fuzz $n: crashed (exit $rc); input saved as ${art:-?}; reproduce: $bin ${art:-FILE}"
		grep -E "ERROR|SUMMARY|runtime error" "$log" | head -n 6 | sed 's/^/#   /'
		fail=1
	fi
	rm -rf "$work" "$log"
done
exit $fail

#!/bin/sh
# run.sh - run gatewatch's test suites and print one closing line
# "tests: N passed, N failed".
#
# Every test program prints one line per case: "ok - what" or
# "not ok - what: why". A program that exits non-zero without printing a
# "not ok" line counts as one failure of its own. Suites, in order:
#   unit     build/test/test_*           (C, one per test/unit/test_*.c; make test-unit builds them)
#   fuzz     test/fuzz/run.sh            (libFuzzer harnesses, ~20 s each)
#   models   test/models/test_*.{sh,py,mjs}  (networks load and are right)
#   e2e      test/e2e/test_*.py          (real programs on loopback)
#   browser  test/browser/test_*.mjs     (Chromium via playwright-core)
# Usage: test/run.sh [suite...]   (default: all; a suite may also be one
#        end-to-end file, e.g. e2e/test_ingest_server.py, one unit test,
#        e.g. unit/test_util, or some of its cases: unit/test_util:clocks,mkdirs;
#        build/test/test_util --list names them; make test-unit builds them), or
#        one browser file, e.g. browser/test_login.mjs, or one models
#        test, e.g. models/test_kernels.sh, models/test_face_folds.py
# Environment: B (build dir, default build), BIN (default bin), MODELS.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}; BIN=${BIN:-bin}; MODELS=${MODELS:-models/out}
export B BIN MODELS
GW_ROOT=$(pwd); export GW_ROOT
ART=${GW_TEST_ARTIFACTS:-test/artifacts}; mkdir -p "$ART"; export GW_TEST_ARTIFACTS="$GW_ROOT/$ART"

suites=${*:-unit fuzz models e2e browser}
passed=0; failed=0; failures=""

run_one() { # $1 = name, rest = command
	name=$1; shift
	out=$(mktemp)
	echo "== $name"
	timeout 1200 "$@" >"$out" 2>&1; rc=$?
	cat "$out"
	p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1; echo "not ok - $name exited with status $rc"
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1; echo "not ok - $name ran no case"
	fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" -gt 0 ] && failures="$failures $name"
	rm -f "$out"
}

for s in $suites; do
	case $s in
	unit)
		# one per source, so an unbuilt one fails instead of being skipped
		for c in test/unit/test_*.c; do
			t=$(basename "$c" .c)
			if [ -x "$B/test/$t" ]; then run_one "unit/$t" "$B/test/$t"; else
				echo "== unit/$t"; echo "not ok - unit/$t: $B/test/$t is not built (make test-unit)"
				failed=$((failed + 1)); failures="$failures unit/$t"
			fi
		done
		run_one "unit/code_limits" /usr/bin/python3 test/unit/code_limits.py ;;
	fuzz)
		for n in image camera_json trailer msg config http accounts eval; do
			run_one "fuzz/$n" sh test/fuzz/run.sh "${FUZZ_TEST_SECONDS:-20}" "$n"
		done ;;
	models)
		for t in test/models/test_*; do
			case $t in
			*.sh) run_one "models/$(basename "$t")" sh "$t" ;;
			*.py) run_one "models/$(basename "$t")" /usr/bin/python3 "$t" ;;
			*.mjs|*.js) run_one "models/$(basename "$t")" node "$t" ;;
			esac
		done ;;
	e2e)
		for t in test/e2e/test_*.py; do [ -f "$t" ] && run_one "e2e/$(basename "$t")" /usr/bin/python3 "$t"; done ;;
	browser)
		for t in test/browser/test_*.mjs; do [ -f "$t" ] && run_one "browser/$(basename "$t")" node "$t"; done ;;
	unit/code_limits)  # the name the unit suite prints for it
		run_one "$s" /usr/bin/python3 test/unit/code_limits.py ;;
	unit/*)     # one unit test, or some of its cases (unit/test_x:case,case)
		t=${s#unit/}; cases=""
		case $t in *:*) cases=$(echo "${t#*:}" | tr ',' ' '); t=${t%%:*} ;; esac
		if [ ! -x "$B/test/$t" ]; then  # make all builds no unit test
			echo "== $s"; echo "not ok - $s: $B/test/$t is not built (make $B/test/$t, or make test-unit)"
			failed=$((failed + 1)); failures="$failures $s"; continue
		fi
		# shellcheck disable=SC2086 # one word per case
		run_one "$s" "$B/test/$t" $cases ;;
	e2e/*.py)   # one end-to-end file (make test-asan runs a chosen few)
		run_one "$s" /usr/bin/python3 "test/$s" ;;
	browser/*.mjs)  # one browser test
		run_one "$s" node "test/$s" ;;
	models/*.sh)    # one model test (make test-asan runs models/test_kernels.sh)
		run_one "$s" sh "test/$s" ;;
	models/*.py)    # one model test, as the models suite runs it
		run_one "$s" /usr/bin/python3 "test/$s" ;;
	models/*.mjs|models/*.js)
		run_one "$s" node "test/$s" ;;
	*) echo "unknown suite $s" >&2; exit 2 ;;
	esac
done

[ -n "$failures" ] && echo "failed:$failures"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# test_train_fast.sh - the fast training helpers (models/tools/train_fast.c,
# linked into build/models/train) give libdarknet's results: see
# test/models/test_train_fast.c. Needs $B/models/train-fast-check.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
tool=$B/models/train-fast-check
[ -x "$tool" ] || { echo "not ok - train_fast checks: need $tool (make $tool)"; exit 1; }
exec "$tool"

#!/usr/bin/env bash
# run_bug.sh LIB PROG STATUS FIRST_LINE [HARDMEM_OPTIONS]
#
# Runs PROG with LIB preloaded (LIB "none": PROG has hardmem linked in) and
# asserts, in the style of hardened_malloc's test runner, the exit status
# and the exact first line hardmem wrote on stderr (FIRST_LINE "" means:
# nothing may be written).
set -u
lib=$1 prog=$2 want_status=$3 want_line=$4 opts=${5:-}
err=$(mktemp "${TEST_TMPDIR:-/tmp}/bug.XXXXXX")
preload=
[[ $lib == none ]] || preload=$PWD/$lib
LD_PRELOAD="$preload" HARDMEM_OPTIONS="$opts" "$prog" >"$err.out" 2>"$err"
status=$?
line=$(grep -m1 '^hardmem:' "$err" || true)
fail=0
if [[ "$status" != "$want_status" ]]; then
  echo "FAIL: exit status $status, expected $want_status"
  fail=1
fi
if [[ "$line" != "$want_line" ]]; then
  echo "FAIL: first report line '$line', expected '$want_line'"
  fail=1
fi
echo "--- stderr of $(basename "$prog") (HARDMEM_OPTIONS=$opts):"
cat "$err"
exit $fail

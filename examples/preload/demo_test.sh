#!/usr/bin/env bash
# The linked-in checked malloc: a clean run passes, the bug aborts with the report.
set -u
demo=$1
# Under --config=asan/tsan the sanitizer's runtime owns malloc in this binary
# (.bazelrc's --linkopt cannot be undone per target): nothing to check here;
# //tests/hardmem covers hardmem under those configs.
if grep -qa -e __asan_init -e __tsan_init "$demo"; then
  echo "SKIPPED: $demo carries a sanitizer runtime, which replaces malloc"
  exit 0
fi
out=$("$demo") || { echo "FAIL: clean run failed"; exit 1; }
[[ "$out" == hello ]] || { echo "FAIL: output '$out'"; exit 1; }
"$demo" bug >/dev/null 2>"$TEST_TMPDIR/err"
status=$?
first=$(head -1 "$TEST_TMPDIR/err")
cat "$TEST_TMPDIR/err"
[[ $status == 134 && "$first" == "hardmem: ERROR: heap overflow past the requested size" ]] || {
  echo "FAIL: status $status, first line '$first'"; exit 1; }

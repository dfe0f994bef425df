#!/usr/bin/env bash
# hardmem run: the program's output and exit status pass through unchanged,
# and the summary follows on stderr.
set -u
tool=$1 lib=$2
fail=0
printf 'b\na\nc\n' >"$TEST_TMPDIR/in"
out=$("$tool" run --lib "$lib" -- sort "$TEST_TMPDIR/in" 2>"$TEST_TMPDIR/err")
status=$?
[[ "$out" == $'a\nb\nc' && $status == 0 ]] || { echo "FAIL: output '$out' status $status"; fail=1; }
grep -q '^hardmem: ---- summary ----' "$TEST_TMPDIR/err" || { echo "FAIL: no summary"; fail=1; }
grep -q '^hardmem:   allocations: ' "$TEST_TMPDIR/err" || { echo "FAIL: no allocation count"; fail=1; }
grep -q '^hardmem:   errors:  *0$' "$TEST_TMPDIR/err" || { echo "FAIL: errors not 0"; fail=1; }
cat "$TEST_TMPDIR/err"
"$tool" run --lib "$lib" -o leaks=0 -- ls /nonexistent-hardmem 2>/dev/null
status=$?
[[ $status == 2 ]] || { echo "FAIL: ls status $status, expected 2"; fail=1; }
exit $fail

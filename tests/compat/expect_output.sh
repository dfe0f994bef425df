#!/usr/bin/env bash
# expect_output.sh PROGRAM EXPECTED - run PROGRAM, check it exits 0 and that
# its standard output equals the file EXPECTED once addresses are masked.
#
# Every run maps its region somewhere else, so "0x" followed by hex digits is
# replaced by <addr> on both sides before comparing.  Used by the Bazel
# example tests and by tools/ci-make.
set -u
prog=$1 expected=$2
mask() { sed -E 's/0x[0-9a-fA-F]+/<addr>/g'; }
out=$("$prog")
rc=$?
if [[ $rc -ne 0 ]]; then
  echo "FAIL: $prog exited with status $rc; its output:" >&2
  printf '%s\n' "$out" >&2
  exit 1
fi
if ! diff -u <(mask <"$expected") <(printf '%s\n' "$out" | mask | sed '${/^$/d}'); then
  echo "FAIL: $prog's output differs from $expected (diff above: - expected, + actual)" >&2
  exit 1
fi
echo "PASS: $prog"

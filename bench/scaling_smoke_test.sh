#!/usr/bin/env bash
# scaling_smoke_test.sh SCALING: runs bench/scaling briefly on hardmem's region
# heap and on the baseline list (each checks its heap after every row and
# exits 1 on a failure) and checks that both print their rows.
set -euo pipefail
scaling=$1
for mode in "" --baseline; do
  # shellcheck disable=SC2086  # an empty mode is no argument
  out=$("$scaling" $mode 500 10000)
  rows=$(grep -cE '^ +[0-9]+ ' <<<"$out")
  if [[ $rows != 2 ]]; then
    echo "scaling $mode: expected 2 rows, got $rows:" >&2
    echo "$out" >&2
    exit 1
  fi
  grep -q '^ *ratio ' <<<"$out" || { echo "scaling $mode: no ratio row" >&2; exit 1; }
done
echo "scaling and scaling --baseline: ok"

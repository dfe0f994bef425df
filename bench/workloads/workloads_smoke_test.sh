#!/usr/bin/env bash
# workloads_smoke_test.sh SYNTH MEASURE GEN: runs every synthetic workload of
# tools/bench with a few operations under measure, and both generators, and
# checks their output lines (so tools/bench cannot break unnoticed).
set -euo pipefail
synth=$1 measure=$2 gen=$3
tmp=${TEST_TMPDIR:-$(mktemp -d)}
for w in pair64 batch churn1k churn1k-log churn1m xthread realloc aligned; do
  "$measure" -o "$tmp/out" -r "$tmp/res" -- "$synth" "$w" 3000
  grep -qE "^$w ops=[0-9]+ seconds=[0-9.]+ cpu=[0-9.]+ sum=[0-9]+$" "$tmp/out" || { echo "$w: bad output: $(cat "$tmp/out")" >&2; exit 1; }
  read -r wall rss _ _ status <"$tmp/res"
  [[ $wall =~ ^[0-9.]+$ && $rss -gt 0 && $status == 0 ]] || { echo "$w: bad measure line: $(cat "$tmp/res")" >&2; exit 1; }
done
# measure reports the command's exit status and signal.
status=0
"$measure" -r "$tmp/res" -- sh -c 'exit 3' || status=$?
[[ $status == 3 && $(cut -d' ' -f5 "$tmp/res") == 3 ]] || { echo "measure: exit status not passed on" >&2; exit 1; }
"$measure" -r "$tmp/res" -- sh -c 'kill -TERM $$' || true
[[ $(cut -d' ' -f5 "$tmp/res") == 143 ]] || { echo "measure: signal not reported" >&2; exit 1; }
# The generators are deterministic.
[[ $("$gen" sort 100 | cksum) == $("$gen" sort 100 | cksum) ]] || { echo "gen sort is not deterministic" >&2; exit 1; }
[[ $("$gen" sql 100 | grep -c '^INSERT') == 100 ]] || { echo "gen sql: wrong number of inserts" >&2; exit 1; }
echo "workloads: ok"

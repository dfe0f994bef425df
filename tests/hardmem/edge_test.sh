#!/usr/bin/env bash
# edge_test.sh LIB EDGE EDGE_STATIC: the edge-case program must pass on glibc
# itself, with LIB preloaded, and linked with hardmem, printing no report.
set -u
lib=$1 edge=$2 edge_static=$3
fail=0
for mode in glibc preload static; do
  case $mode in
    glibc) out=$("$edge" 2>&1) ;;
    preload) out=$(LD_PRELOAD="$PWD/$lib" "$edge" 2>&1) ;;
    static) out=$("$edge_static" 2>&1) ;;
  esac
  status=$?
  echo "[$mode] status $status: $out"
  if [[ $status != 0 || "$out" == *hardmem:* || "$out" == *failed:* ]]; then
    echo "FAIL in mode $mode"
    fail=1
  fi
done
exit $fail

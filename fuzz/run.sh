#!/usr/bin/env bash
# run.sh - the NAME_run launcher of a hardmem fuzz target (see fuzz/fuzz.bzl).
#
#   ./bazelw run --config=fuzz //fuzz:NAME_run -- [libFuzzer flags]
#
# Fuzzes into $HARDMEM_FUZZ_WORK/NAME (default /tmp/hardmem-fuzz/NAME), seeded from
# the checked-in corpus/NAME/, with the target's dictionary and .options flags.
# Crashes land in that work directory; merge new inputs back with
# tools/fuzz-campaign (which also minimises crashes into reproducers).
set -euo pipefail
bin=$1 name=$2
shift 2
flags=()
while [[ $# -gt 0 && ( "$1" == *.dict || "$1" == *.options ) ]]; do
  case "$1" in
    *.dict) flags+=("-dict=$(realpath "$1")") ;;
    *.options) # [libfuzzer] section: key = value lines
      while IFS='=' read -r k v; do
        k=${k// /}; v=${v// /}
        [[ -z "$k" || "$k" == \[* || "$k" == \#* ]] && continue
        [[ "$k" == dict ]] && continue
        flags+=("-$k=$v")
      done < "$1" ;;
  esac
  shift
done
bin=$(realpath "$bin")
seed=$(realpath "corpus/$name")
work=${HARDMEM_FUZZ_WORK:-/tmp/hardmem-fuzz}/$name
mkdir -p "$work/corpus" "$work/crashes"
cd "$work"
exec "$bin" "${flags[@]}" -artifact_prefix="$work/crashes/" "$@" "$work/corpus" "$seed"

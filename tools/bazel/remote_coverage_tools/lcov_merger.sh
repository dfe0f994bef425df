#!/usr/bin/env bash
# Minimal replacement for Bazel's Java LcovMerger / CoverageOutputGenerator (see BUILD).
#
# Inputs, in the two forms Bazel 4.2.3 uses:
#   --coverage_dir=DIR     every *.dat file under DIR is an LCOV tracefile to merge
#   --reports_file=FILE    FILE lists one LCOV tracefile per line
# Output: --output_file=FILE, the tracefiles concatenated (LCOV readers such as genhtml
# accept repeated records for one source file). All other options are accepted and ignored.
set -euo pipefail

coverage_dir=""
reports_file=""
output_file=""
for arg in "$@"; do
  case "$arg" in
    --coverage_dir=*) coverage_dir="${arg#*=}" ;;
    --reports_file=*) reports_file="${arg#*=}" ;;
    --output_file=*) output_file="${arg#*=}" ;;
    *) ;;
  esac
done

if [[ -z "$output_file" ]]; then
  echo "lcov_merger: --output_file=FILE is required" >&2
  exit 2
fi

inputs=()
if [[ -n "$coverage_dir" && -d "$coverage_dir" ]]; then
  while IFS= read -r -d '' f; do
    [[ "$f" -ef "$output_file" ]] || inputs+=("$f")
  done < <(find "$coverage_dir" -type f -name '*.dat' -print0 | sort -z)
fi
if [[ -n "$reports_file" && -f "$reports_file" ]]; then
  while IFS= read -r f; do
    [[ -n "$f" && -f "$f" ]] && inputs+=("$f")
  done < "$reports_file"
fi

tmp="${output_file}.merging.$$"
: > "$tmp"
for f in "${inputs[@]+"${inputs[@]}"}"; do
  cat "$f" >> "$tmp"
done
mv -f "$tmp" "$output_file"

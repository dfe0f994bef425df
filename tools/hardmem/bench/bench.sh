#!/usr/bin/env bash
# bench.sh [LIBHARDMEM] - hardmem's cost as ratios to glibc malloc.
#
# Runs tools/hardmem/bench/bench.c (loop64, churn) and an allocation-heavy
# Python script (tests/hardmem/py_alloc.py with PYTHONMALLOC=malloc) under:
#   glibc         the system malloc
#   glibc-check   GLIBC_TUNABLES=glibc.malloc.check=3 + libc_malloc_debug.so.0
#   scudo         LLVM's Scudo (libclang_rt.scudo_standalone)
#   hardmem       libhardmem.so, default options
#   hardmem-full  libhardmem.so, HARDMEM_OPTIONS=check=full (whole-heap check
#                 at every call: run with 100x fewer operations)
# and prints ns/op (seconds for python) and the ratio to glibc.  Each number is
# the best of 3 runs.  Build the library first:
#   ./bazelw build //lib/hardmem:libhardmem.so
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
lib=${1:-$root/bazel-out/k8-fastbuild/bin/lib/hardmem/libhardmem.so}
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$lib" "$tmp/libhardmem.so"  # a stable copy: bazel-bin moves with --config
lib=$tmp/libhardmem.so
cc=$(command -v clang-19 || command -v cc)
"$cc" -O2 -o "$tmp/bench" "$here/bench.c"
debug=/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0
scudo=/usr/lib/llvm-19/lib/clang/19/lib/linux/libclang_rt.scudo_standalone-x86_64.so
python=$(command -v python3.11 || command -v python3)
LOOP_OPS=${LOOP_OPS:-5000000}
CHURN_OPS=${CHURN_OPS:-2000000}

# run ALLOCATOR CMD...: run CMD with ALLOCATOR's environment.
run() {
  local a=$1
  shift
  case $a in
    glibc) "$@" ;;
    glibc-check) GLIBC_TUNABLES=glibc.malloc.check=3 LD_PRELOAD=$debug "$@" ;;
    scudo) LD_PRELOAD=$scudo "$@" ;;
    hardmem) LD_PRELOAD=$lib "$@" ;;
    hardmem-full) HARDMEM_OPTIONS=check=full LD_PRELOAD=$lib "$@" ;;
  esac
}

best() { sort -g | head -1; }

measure() { # ALLOCATOR WORKLOAD -> ns/op or seconds
  local a=$1 w=$2 div=1
  [[ $a == hardmem-full ]] && div=100
  for _ in 1 2 3; do
    case $w in
      loop64) run "$a" "$tmp/bench" loop64 $((LOOP_OPS / div)) | awk '{print $2}' ;;
      churn) run "$a" "$tmp/bench" churn $((CHURN_OPS / div)) | awk '{print $2}' ;;
      python)
        if [[ $a == hardmem-full ]]; then echo nan; continue; fi
        local t0 t1
        t0=$(date +%s.%N)
        PYTHONMALLOC=malloc run "$a" "$python" "$root/tests/hardmem/py_alloc.py" >/dev/null
        t1=$(date +%s.%N)
        echo "$t1 - $t0" | bc ;;
    esac
  done | best
}

printf '%-14s %14s %14s %14s\n' allocator "loop64 ns/op" "churn ns/op" "python s"
declare -A base
for a in glibc glibc-check scudo hardmem hardmem-full; do
  row=()
  for w in loop64 churn python; do
    v=$(measure "$a" "$w")
    [[ $a == glibc ]] && base[$w]=$v
    if [[ $v == nan ]]; then
      row+=("-")
    else
      row+=("$(printf '%.1f (%.2fx)' "$v" "$(echo "$v / ${base[$w]}" | bc -l)")")
    fi
  done
  printf '%-14s %14s %14s %14s\n' "$a" "${row[@]}"
done

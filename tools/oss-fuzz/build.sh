#!/bin/bash -eu
# build.sh - build hardmem's fuzz targets the OSS-Fuzz / ClusterFuzzLite way.
#
# The service sets $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $OUT (and $WORK); this
# script compiles lib/, the harness in testing/ and the checked malloc in lib/hardmem/ (all
# but interpose.c) with them, links each target in fuzz/ with $LIB_FUZZING_ENGINE
# (malloc_fuzz with lib/hardmem/, the others with testing/), and puts beside each binary
# in $OUT:
#   NAME_seed_corpus.zip   corpus/NAME/ (crash reproducers excluded)
#   NAME.dict              when fuzz/NAME.dict exists
#   NAME.options           fuzz/NAME.options, plus its dict line
# Locally (libFuzzer):
#   CC=clang-19 CXX=clang++-19 CFLAGS="-O1 -g -fsanitize=address,undefined,fuzzer-no-link" \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/oss-out tools/oss-fuzz/build.sh
# With AFL++: CC=afl-clang-fast CXX=afl-clang-fast++ LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a ...
# For ClusterFuzzLite, .clusterfuzzlite/build.sh simply execs this script.
SRC_ROOT=${SRC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
CC=${CC:-clang}
CXX=${CXX:-clang++}
CFLAGS=${CFLAGS:-}
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
OUT=${OUT:-/tmp/hardmem-oss-out}
WORK=${WORK:-$(mktemp -d)}
TARGETS="ops_fuzz corrupt_fuzz api_fuzz malloc_fuzz"

cd "$SRC_ROOT"
mkdir -p "$OUT" "$WORK/obj"
cflags=($CFLAGS -std=gnu11 -Ilib -Ilib/hardmem -Itesting -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)

# Compile the sources given into $WORK/obj; their objects' paths go to the array named $1.
compile() {
  local -n into=$1
  shift
  for src in "$@"; do
    local obj=$WORK/obj/$(echo "$src" | tr / _).o
    $CC "${cflags[@]}" -c "$src" -o "$obj"
    into+=("$obj")
  done
}

core=() harness=() checked=()
compile core lib/*.c
compile harness testing/src.c testing/ops.c testing/model.c testing/exec.c testing/corrupt.c
# The checked malloc under its hm_* names (//lib/hardmem:hardmem_core): every file but
# interpose.c, which defines malloc itself and would fight the sanitizer's.
compile checked $(ls lib/hardmem/*.c | grep -v '/interpose\.c$')

for t in $TARGETS; do
  case $t in
    malloc_fuzz) objs=("${core[@]}" "${checked[@]}") ;;
    *) objs=("${core[@]}" "${harness[@]}") ;;
  esac
  $CC "${cflags[@]}" -c "fuzz/$t.c" -o "$WORK/obj/$t.o"
  $CXX $CXXFLAGS "$WORK/obj/$t.o" "${objs[@]}" $LIB_FUZZING_ENGINE -lpthread -o "$OUT/$t"
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "corpus/$t" && find . -maxdepth 1 -type f ! -name 'crash-*' -printf '%f\n' | sort \
    | zip -q -@ "$OUT/${t}_seed_corpus.zip")
  [[ -f "fuzz/$t.dict" ]] && cp "fuzz/$t.dict" "$OUT/$t.dict"
  if [[ -f "fuzz/$t.options" ]]; then
    cp "fuzz/$t.options" "$OUT/$t.options"
    [[ -f "fuzz/$t.dict" ]] && echo "dict = $t.dict" >> "$OUT/$t.options"
  fi
  echo "build.sh: $OUT/$t"
done

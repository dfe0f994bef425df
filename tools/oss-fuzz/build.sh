#!/bin/bash -eu
# build.sh - build hardmem's fuzz targets the OSS-Fuzz / ClusterFuzzLite way.
#
# The service sets $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $OUT (and $WORK); this
# script compiles lib/ and the harness in testing/ with them, links each target in fuzz/
# with $LIB_FUZZING_ENGINE, and puts beside each binary in $OUT:
#   NAME_seed_corpus.zip   corpus/NAME/ (crash reproducers excluded)
#   NAME.dict              when fuzz/NAME.dict exists
#   NAME.options           fuzz/NAME.options, plus its dict line
# Locally (libFuzzer):
#   CC=clang-19 CXX=clang++-19 CFLAGS="-O1 -g -fsanitize=address,undefined,fuzzer-no-link" \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/oss-out tools/oss-fuzz/build.sh
# With AFL++: CC=afl-clang-fast CXX=afl-clang-fast++ LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a ...
# For ClusterFuzzLite, .clusterfuzzlite/build.sh may simply exec this script.
SRC_ROOT=${SRC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
CC=${CC:-clang}
CXX=${CXX:-clang++}
CFLAGS=${CFLAGS:-}
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
OUT=${OUT:-/tmp/hardmem-oss-out}
WORK=${WORK:-$(mktemp -d)}
TARGETS="ops_fuzz corrupt_fuzz api_fuzz"

cd "$SRC_ROOT"
mkdir -p "$OUT" "$WORK/obj"
cflags=($CFLAGS -std=gnu11 -Ilib -Itesting -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)

objs=()
for src in lib/*.c testing/src.c testing/ops.c testing/model.c testing/exec.c testing/corrupt.c; do
  obj=$WORK/obj/$(echo "$src" | tr / _).o
  $CC "${cflags[@]}" -c "$src" -o "$obj"
  objs+=("$obj")
done

for t in $TARGETS; do
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

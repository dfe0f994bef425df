#!/bin/bash -eu
# ClusterFuzzLite build step: tools/oss-fuzz/build.sh builds every target in fuzz/ with the
# service's $CC $CFLAGS $LIB_FUZZING_ENGINE into $OUT, with seed corpora, dicts and options.
exec "$SRC/hardmem/tools/oss-fuzz/build.sh"

#!/usr/bin/env bash
# compare.sh - `./bazelw run //bench:compare -- [options]`: runs tools/bench in
# the source tree (see tools/bench --help).  tools/bench builds what it needs.
set -euo pipefail
root=${BUILD_WORKSPACE_DIRECTORY:?run this with ./bazelw run //bench:compare}
cd "$root"
exec "$root/tools/bench" "$@"

#!/usr/bin/env bash
# study.sh - the fragmentation study (issue 6): record the allocation traces
# of real programs with the checked malloc (HARDMEM_OPTIONS=trace=PATH),
# replay each against the region heap with first, best, worst and next fit,
# and write the table and a chart.
#
#   tools/trace/study.sh [--out DIR] [--only NAME,NAME] [--keep-traces|--gzip-traces]
#
# Programs (each run under libhardmem.so; its own output is discarded):
#   python  python3 tests/hardmem/py_alloc.py with PYTHONMALLOC=malloc
#   gcc     gcc -O2 -c testing/exec.c (the trace of cc1, the compiler proper)
#   sort    sort -S 4M of a generated file of 500,000 words (LC_ALL=C): a
#           program that allocates one buffer and little else
#   perl    a word count over the same file with a hash, then half the keys
#           deleted and a second hash built (frees scattered over the heap)
#   sqlite  sqlite3 :memory: inserting 200,000 rows with an index, then a
#           GROUP BY and a DELETE
# Output (DIR defaults to results/fragmentation-YYYY-MM-DD, gitignored):
#   traces/NAME.hmt        the traces (kept; --gzip-traces compresses them
#                          after the replay)
#   summary-NAME.txt       tools/trace summary of each trace
#   replay-NAME.txt        the replay's table for each trace
#   fragmentation.csv      every figure, one line per program and style
#   fragmentation.md       the table (markdown), with the machine and date
#   fragmentation.png      chart: fragmentation, waste over a perfect packing,
#                          failed requests in the fixed region, per style
# Needs: sqlite3 and gnuplot (apt-get install sqlite3 gnuplot-nox; installed
# automatically when missing and running as root), gcc, python3, perl.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

out="" only="" gzip_traces=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --gzip-traces) gzip_traces=1; shift ;;
    --keep-traces) gzip_traces=0; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "study.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=${out:-results/fragmentation-$(date -u +%Y-%m-%d)}
mkdir -p "$out/traces"
out=$(cd "$out" && pwd)
log() { printf '[study %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---- tools -------------------------------------------------------------------
need_pkg() { # need_pkg COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing $2 (apt-get)"
    apt-get install -y -q "$2" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$2" >/dev/null 2>&1; } || true
  fi
  command -v "$1" >/dev/null 2>&1 && return 0
  log "$1 is missing: install it with 'apt-get install $2'"
  return 1
}
have_sqlite=1 have_gnuplot=1
need_pkg sqlite3 sqlite3 || have_sqlite=0
need_pkg gnuplot gnuplot-nox || have_gnuplot=0

log "building libhardmem.so, replay and summary (--config=opt)"
./bazelw build --config=opt //lib/hardmem:libhardmem.so //tools/trace:replay //tools/trace:summary >&2
bin=$root/bazel-out/k8-opt/bin
lib=$bin/lib/hardmem/libhardmem.so
replay=$bin/tools/trace/replay
summary=$bin/tools/trace/summary

wanted() { [[ -z $only || ",$only," == *",$1,"* ]]; }

# record NAME CMD...: run CMD under hardmem with a per-process trace, keep the
# largest trace (the process that did the work) as traces/NAME.hmt.
record() {
  local name=$1
  shift
  local dir="$out/traces/$name.d"
  rm -rf "$dir" && mkdir -p "$dir"
  log "recording $name: $*"
  local t0=$SECONDS
  LD_PRELOAD="$lib" HARDMEM_OPTIONS="trace=$dir/%p.hmt" "$@" >/dev/null 2>"$dir/stderr" ||
    { log "$name failed:"; cat "$dir/stderr" >&2; return 1; }
  local big
  big=$(ls -S "$dir"/*.hmt | head -1)
  mv "$big" "$out/traces/$name.hmt"
  log "  $name: $(( SECONDS - t0 )) s, $(ls "$dir" | grep -c '\.hmt$') other process trace(s) dropped, kept $(basename "$big") ($(stat -c %s "$out/traces/$name.hmt") bytes)"
  rm -rf "$dir"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
programs=()

if wanted python; then
  python=$(python3 -c 'import sys; print(sys.executable)') # the interpreter, not a shim script
  PYTHONMALLOC=malloc record python "$python" tests/hardmem/py_alloc.py && programs+=(python)
fi
if wanted gcc; then
  record gcc gcc -O2 -Ilib -Itesting -c testing/exec.c -o "$work/exec.o" && programs+=(gcc)
fi
if wanted sort || wanted perl; then
  # 500,000 pseudo-random words of 3-10 letters (a fixed 32-bit LCG whose
  # products stay exact in awk's doubles, so every run sees the same file).
  awk 'BEGIN { x = 12345; for (i = 0; i < 500000; i++) {
         x = (x * 69069 + 1) % 4294967296; n = 3 + int(x / 65536) % 8; w = ""
         for (j = 0; j < n; j++) { x = (x * 69069 + 1) % 4294967296; w = w sprintf("%c", 97 + int(x / 16777216) % 26) }
         print w } }' >"$work/words"
fi
if wanted sort; then
  # A 4 MiB buffer (-S) so that the run does not depend on the machine's memory.
  LC_ALL=C record sort sort -S 4M "$work/words" -o "$work/sorted" && programs+=(sort)
fi
if wanted perl; then
  # Count words and grow a string per 3-letter prefix, drop the long words
  # (frees all over the heap), then build a second hash of the reversed words.
  cat >"$work/words.pl" <<'PL'
my %c;
while (<>) { chomp; $c{$_}++; $c{substr($_, 0, 3)} .= "x" }
delete @c{ grep { length($_) > 6 } keys %c };
my %d;
$d{ reverse $_ } = $c{$_} for keys %c;
my @k = sort { length($d{$b}) <=> length($d{$a}) or $a cmp $b } keys %d;
print scalar(@k), "\n";
PL
  record perl perl "$work/words.pl" "$work/words" && programs+=(perl)
fi
if wanted sqlite && [[ $have_sqlite == 1 ]]; then
  cat >"$work/sqlite.sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v BLOB, n INTEGER);
CREATE INDEX t_k ON t(k);
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200000)
INSERT INTO t(k, v, n) SELECT printf('key-%08d-%d', (i * 7919) % 200000, i), randomblob(16 + i % 200), i % 977 FROM c;
COMMIT;
SELECT n, count(*), sum(length(v)) FROM t GROUP BY n ORDER BY 2 DESC LIMIT 5;
DELETE FROM t WHERE n % 3 = 0;
SELECT count(*) FROM t;
SQL
  record sqlite sqlite3 :memory: ".read $work/sqlite.sql" && programs+=(sqlite)
fi
[[ ${#programs[@]} -gt 0 ]] || { log "no program was recorded"; exit 1; }

# ---- replay ------------------------------------------------------------------
csv=$out/fragmentation.csv
: >"$csv"
for p in "${programs[@]}"; do
  "$summary" "$out/traces/$p.hmt" >"$out/summary-$p.txt"
  log "replaying $p ($(sed -n 's/^records *\([0-9]*\).*/\1/p' "$out/summary-$p.txt") records) with every style"
  "$replay" "$out/traces/$p.hmt" --name "$p" --csv-out "$work/$p.csv" | tee "$out/replay-$p.txt"
  if [[ ! -s $csv ]]; then cat "$work/$p.csv" >"$csv"; else tail -n +2 "$work/$p.csv" >>"$csv"; fi
done

# ---- table -------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
md=$out/fragmentation.md
{
  echo "# Fragmentation by placement style ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "Machine: $(uname -m), ${cpu:-unknown CPU}, $(nproc) cores; $(uname -sr)."
  echo "Traces recorded with \`HARDMEM_OPTIONS=trace=PATH\`, replayed by \`tools/trace/replay\`"
  echo "against the region heap (16-byte headers, 16-byte granules, 48-byte minimum blocks)."
  echo
  echo "- **peak live**: the most bytes the program had allocated at once."
  echo "- **peak footprint**: the heap's high-water mark, the highest end offset of any block,"
  echo "  when the heap grows (like sbrk) only when no free block fits."
  echo "- **frag**: peak footprint / peak live - 1 (Johnstone & Wilson's measure #4; includes"
  echo "  headers and rounding). **over packing**: peak footprint over the peak of a perfect"
  echo "  packing of the same blocks - 1, i.e. the waste due to placement alone."
  echo "- **failed requests**: requests that found no free block in a fixed region of 1.1 x the"
  echo "  perfect packing's peak (in parentheses: of all allocation requests)."
  echo
  echo "| program | records | style | peak live | peak footprint | frag | over packing | fixed region | failed requests |"
  echo "|---|---:|---|---:|---:|---:|---:|---:|---:|"
  awk -F, 'NR > 1 { printf "| %s | %s | %s | %.2f MiB | %.2f MiB | %.2f%% | %.3f%% | %.2f MiB | %s (%.2f%%) |\n",
      $1, $3, $2, $5 / 1048576, $7 / 1048576, $8, $10, $13 / 1048576, $14, 100 * $14 / $4 }' "$csv"
  echo
  echo "Programs (the trace of the process that allocated most):"
  echo
  for p in "${programs[@]}"; do
    printf -- '- **%s**: `%s`; %s\n' "$p" \
      "$(sed -n 's/^command *\(.*\) (pid [0-9]*, format.*/\1/p' "$out/summary-$p.txt" | cut -c1-150)" \
      "$(sed -n 's/^objects *\([0-9]*\) created.*/\1 objects/p' "$out/summary-$p.txt")"
  done
} >"$md"
cat "$md"

# ---- chart -------------------------------------------------------------------
if [[ $have_gnuplot == 1 ]]; then
  # One row per program: frag and over-packing and failed per style.
  awk -F, 'NR > 1 { k = $1; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
                    f[k, $2] = $8; o[k, $2] = $10; x[k, $2] = 100 * $14 / $4 }
           END { print "# program f_first f_best f_worst f_next o_first o_best o_worst o_next x_first x_best x_worst x_next"
                 for (i = 1; i <= n; i++) { k = order[i]; printf "%s", k
                   split("first best worst next", s, " ")
                   for (j = 1; j <= 4; j++) printf " %s", f[k, s[j]]
                   for (j = 1; j <= 4; j++) printf " %s", o[k, s[j]]
                   for (j = 1; j <= 4; j++) printf " %s", x[k, s[j]]
                   printf "\n" } }' "$csv" >"$work/chart.dat"
  gnuplot <<GP
set terminal pngcairo size 1500,520 font "sans,10"
set output "$out/fragmentation.png"
set multiplot layout 1,3 title "Placement styles on real traces ($(date -u +%Y-%m-%d), region heap, replayed)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top left
set grid ytics
set yrange [0:*]
set title "fragmentation: peak footprint / peak live - 1 (%)"
plot "$work/chart.dat" using 2:xtic(1) title "first", '' using 3 title "best", '' using 4 title "worst", '' using 5 title "next"
set title "waste over a perfect packing of the blocks (%)"
plot "$work/chart.dat" using 6:xtic(1) title "first", '' using 7 title "best", '' using 8 title "worst", '' using 9 title "next"
set title "failed requests (% of allocations), region = 1.1 x perfect packing"
plot "$work/chart.dat" using 10:xtic(1) title "first", '' using 11 title "best", '' using 12 title "worst", '' using 13 title "next"
unset multiplot
GP
  log "chart: $out/fragmentation.png"
else
  log "no chart: install gnuplot-nox"
fi
if [[ $gzip_traces == 1 ]]; then
  gzip -f "$out"/traces/*.hmt
fi
log "done: $md"

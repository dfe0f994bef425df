#!/usr/bin/env bash
# record_test.sh LIB TINY SUMMARY REPLAY
#
# Records tests/trace/tiny.c under LD_PRELOAD with HARDMEM_OPTIONS=trace=...,
# checks the records between its two markers (malloc 12345 ... malloc 54321)
# against the calls it makes, checks which process wrote which file (PATH.%p
# with fork; a plain PATH with fork+exec, where the exec'd program writes
# PATH.PID), then replays the trace with every style.
set -u
lib="$PWD/$1" tiny=$2 summary=$3 replay=$4
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# The marker section of a dump, ids renumbered from the first marker's.
section() {
  "$summary" "$1" --dump | grep -v '^thread ' |
    awk '/^malloc 12345 -> #/ { on = 1; split($4, m, "#"); base = m[2] }
         on { for (i = 1; i <= NF; i++) if ($i ~ /^#[0-9]+$/ && substr($i, 2) + 0 > 0) $i = "#" (substr($i, 2) - base);
              print }
         /^malloc 54321 -> #/ { end = 1 }
         end && /^free / { exit }'
}

expected() {
  cat <<'END'
malloc 12345 -> #0
malloc 100 -> #1
calloc 4 25 -> #2
realloc #1 1000 -> #3
posix_memalign 256 64 -> #4
memalign 64 128 -> #5
free #2
malloc 0 -> #6
free #3
free #4
free #5
free #6
END
  for i in $(seq 7 26); do echo "malloc 10000 -> #$i"; done
  for i in $(seq 7 26); do echo "free #$i"; done
  cat <<'END'
free #0
malloc 54321 -> #27
free #27
END
}
expected >"$tmp/want"

# 1. trace=PATH.%p and fork: one file per process.
rm -f "$tmp"/pp.*.hmt
LD_PRELOAD="$lib" HARDMEM_OPTIONS="trace=$tmp/pp.%p.hmt" "$tiny" fork >"$tmp/out1" 2>"$tmp/err1" || bad "tiny fork exited with $?"
read -r ppid cpid <"$tmp/out1"
first_pid=$ppid
[[ -s "$tmp/pp.$ppid.hmt" ]] || bad "no trace pp.$ppid.hmt for the parent"
[[ -s "$tmp/pp.$cpid.hmt" ]] || bad "no trace pp.$cpid.hmt for the forked child"
section "$tmp/pp.$ppid.hmt" >"$tmp/got1"
if ! diff -u "$tmp/want" "$tmp/got1"; then bad "parent's records differ from its calls"; fi
"$summary" "$tmp/pp.$cpid.hmt" --dump >"$tmp/child1"
grep -q '^malloc 777 -> #' "$tmp/child1" || bad "the child's malloc(777) is not in its trace"
grep -q '^malloc 12345' "$tmp/child1" && bad "the child's trace holds the parent's records"
"$summary" "$tmp/pp.$cpid.hmt" | grep -q "(pid $cpid," || bad "the child's trace does not carry its pid"
grep -q '^malloc 777' <("$summary" "$tmp/pp.$ppid.hmt" --dump) && bad "the parent's trace holds the child's malloc"
cat "$tmp/err1"

# 2. a plain PATH and fork+exec: the parent writes PATH, the exec'd leaf
#    PATH.PID; the forked child (before exec) writes nothing.
rm -f "$tmp"/plain.hmt*
LD_PRELOAD="$lib" HARDMEM_OPTIONS="trace=$tmp/plain.hmt" "$tiny" exec >"$tmp/out2" 2>"$tmp/err2" || bad "tiny exec exited with $?"
ppid=$(awk '$2 != 0 { print $1 }' "$tmp/out2")
lpid=$(awk '$2 == 0 { print $1 }' "$tmp/out2")
"$summary" "$tmp/plain.hmt" | grep -q "(pid $ppid," || bad "plain.hmt is not the parent's trace"
section "$tmp/plain.hmt" >"$tmp/got2"
diff -q "$tmp/want" "$tmp/got2" >/dev/null || bad "plain.hmt: records differ from the calls"
section "$tmp/plain.hmt.$lpid" >"$tmp/got3"
diff -q "$tmp/want" "$tmp/got3" >/dev/null || bad "plain.hmt.$lpid (the exec'd program) misses its records"
ls "$tmp"/plain.hmt* | sed "s|$tmp/||"
cat "$tmp/err2"

# 3. replay the parent's trace with every style.
trace="$tmp/pp.$first_pid.hmt"
"$summary" "$trace" || bad "summary failed"
"$replay" "$trace" || bad "replay failed"
"$replay" "$trace" --csv >"$tmp/csv" || bad "replay --csv failed"
cat "$tmp/csv"
[[ $(grep -c '^pp\.[0-9]*\.hmt,\(first\|best\|worst\|next\),' "$tmp/csv") == 4 ]] || bad "replay did not report four styles"
# 20 blocks of 10000 bytes were live at once.
awk -F, 'NR > 1 && ($5 < 200000 || $7 < $5) { exit 1 }' "$tmp/csv" || bad "peak live below 200000 or footprint below it"
"$replay" "$trace" --region-mb 0.0001 --style first --csv | awk -F, 'NR == 2 && $14 > 0 { ok = 1 } END { exit !ok }' ||
  bad "a 100-byte region should fail requests"

[[ $fail == 0 ]] && echo "record_test: ok"
exit $fail

#!/usr/bin/env bash
# realprog_test.sh LIB CXX_PROG THREADS_PROG SRC_DIR
#
# Real programs with LIB preloaded must print exactly what they print without
# it, exit the same way, and hardmem must report nothing: a Python interpreter
# on an allocation-heavy script (PYTHONMALLOC=malloc), a C compiler, a few
# coreutils, a C++ program, and the threads/fork program.
set -u
lib="$PWD/$1" cxx=$2 threads=$3 src=$4
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail=0 ran=0

# compare NAME CMD...: run CMD plain and preloaded, compare stdout and status.
compare() {
  local name=$1
  shift
  "$@" >"$tmp/$name.plain" 2>"$tmp/$name.plain.err"
  local s1=$?
  LD_PRELOAD="$lib" HARDMEM_OPTIONS=summary=1 "$@" >"$tmp/$name.hm" 2>"$tmp/$name.hm.err"
  local s2=$?
  ran=$((ran + 1))
  if [[ $s1 != "$s2" ]]; then
    echo "FAIL $name: exit status $s2 under hardmem, $s1 without"; fail=1
  elif ! cmp -s "$tmp/$name.plain" "$tmp/$name.hm"; then
    echo "FAIL $name: output differs under hardmem"; diff "$tmp/$name.plain" "$tmp/$name.hm" | head; fail=1
  elif grep -q 'hardmem: ERROR' "$tmp/$name.hm.err"; then
    echo "FAIL $name: hardmem reported an error"; cat "$tmp/$name.hm.err"; fail=1
  elif ! grep -q 'hardmem: ---- summary' "$tmp/$name.hm.err"; then
    echo "FAIL $name: hardmem was not loaded (no summary)"; cat "$tmp/$name.hm.err"; fail=1
  else
    echo "ok   $name ($(grep -m1 'allocations:' "$tmp/$name.hm.err" | tr -s ' ' | cut -d' ' -f2-))"
  fi
}

python=$(command -v python3.11 || command -v python3)
PYTHONMALLOC=malloc compare python "$python" "$src/py_alloc.py"
cc=$(command -v gcc || command -v clang-19)
compare cc_asm "$cc" -O2 -S -o - "$src/hello.c"
compare cc_build sh -c "'$cc' -O2 -o '$tmp/hello' '$src/hello.c' && '$tmp/hello'"
seq 1 50000 | awk '{print ($1 * 7919) % 100003}' >"$tmp/numbers"
compare sort sort -n "$tmp/numbers"
compare sort_uniq sh -c "sort '$tmp/numbers' | uniq -c | sort -rn | head -20"
compare ls ls -la /usr/lib/x86_64-linux-gnu
compare ls_recursive ls -R /usr/include
compare md5sum md5sum "$tmp/numbers"
compare cxx "$cxx"
compare threads "$threads"
echo "$ran programs compared"
exit $fail

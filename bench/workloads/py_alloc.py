# py_alloc.py - an allocation-heavy Python program for tools/bench.
#
# Usage: python3 py_alloc.py [SCALE]   (SCALE: thousands of records, default 100)
#
# Run with PYTHONMALLOC=malloc so that every object goes through malloc
# instead of Python's own small-object allocator.  It builds records (dicts
# of strings, ints, lists and tuples), indexes them, sorts them, round-trips
# them through JSON, joins and splits strings and slices bytes.  Everything
# is derived from the loop counters, so every run does the same work.
import json
import sys

scale = int(sys.argv[1]) if len(sys.argv) > 1 else 100
n = scale * 1000

records = []
for i in range(n):
    records.append({
        "id": i,
        "name": "user%07d" % ((i * 7919) % n),
        "tags": [str(i % 13), str(i % 17)] * (i % 4),
        "pos": (i % 101, i % 103),
    })

by_name = {r["name"]: r for r in records}
groups = {}
for r in records:
    groups.setdefault(r["pos"][0], []).append(r["id"])

ordered = sorted(records, key=lambda r: (r["name"][::-1], r["id"]))
blob = json.dumps(ordered[: n // 5])
back = json.loads(blob)

text = " ".join(r["name"] for r in records)
words = text.split()
counts = {}
for w in words:
    counts[w[-3:]] = counts.get(w[-3:], 0) + 1

chunks = [bytes((i * 31) % 256 for _ in range(i % 64)) * 2 for i in range(n // 4)]
total = sum(len(c) for c in chunks)

del records, by_name, ordered
print(len(groups), len(back), len(words), len(counts), total)

# An allocation-heavy script (run with PYTHONMALLOC=malloc so that every
# object goes through malloc): dicts, lists, strings, bytes, sorting.
import json

d = {}
for i in range(200000):
    d[str(i)] = [i] * (i % 7)
words = sorted(d.keys(), key=lambda s: (len(s), s[::-1]))
blob = json.dumps({k: d[k] for k in words[:20000]})
back = json.loads(blob)
chunks = [bytes(range(i % 256)) * 3 for i in range(30000)]
total = sum(len(c) for c in chunks)
print(len(d), sum(len(v) for v in d.values()), words[:5], len(blob), len(back), total)

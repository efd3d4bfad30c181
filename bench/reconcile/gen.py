#!/usr/bin/env python3
"""Generates the benchmark table twice (source.csv, target.csv) with a fixed
seed: 10 columns of mixed types, and 0.1 % of rows planted as differences
(a third missing in the target, a third extra in the target, a third
changed). Writes expected.json with the planted keys.

usage: gen.py ROWS OUT_DIR
"""
import json
import os
import random
import sys
import uuid

rows, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
rng = random.Random(20261125)
n_diff = rows // 1000
picked = rng.sample(range(1, rows + 1), n_diff)
missing = set(picked[: n_diff // 3])
extra = set(picked[n_diff // 3 : 2 * n_diff // 3])
changed = set(picked[2 * n_diff // 3 :])
words = ["alder", "birch", "cedar", "douglas", "elm", "fir", "ginkgo", "hazel", "ironwood", "juniper", "larch", "maple"]

def row(i, r):
    name = f"{words[r.randrange(12)]} {words[r.randrange(12)]} {i}"
    city = words[r.randrange(12)].upper()
    born = f"{r.randrange(1930, 2024)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}"
    seen = f"2025-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d} {r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d}.{r.randrange(1000000):06d}"
    amount = f"{r.randrange(0, 10**7)}.{r.randrange(100):02d}"
    active = str(r.randrange(2))
    uid = str(uuid.UUID(int=r.getrandbits(128), version=4))
    visits = str(r.randrange(0, 500))
    k = r.randrange(10)
    note = "\\N" if k == 0 else ('""' if k == 1 else f"note {i}")
    return [str(i), name, city, born, seen, amount, active, uid, visits, note]

with open(f"{out}/source.csv", "w") as s, open(f"{out}/target.csv", "w") as t:
    for i in range(1, rows + 1):
        r = random.Random(i * 7919 + 17)
        cols = row(i, r)
        line = ",".join(cols) + "\n"
        if i not in extra:
            s.write(line)
        if i in missing:
            continue
        if i in changed:
            cols[1] = cols[1] + " (changed)"
            line = ",".join(cols) + "\n"
        t.write(line)

json.dump({"missing": sorted(missing), "extra": sorted(extra), "changed": sorted(changed)}, open(f"{out}/expected.json", "w"))
print(f"{rows} rows: {len(missing)} missing, {len(extra)} extra, {len(changed)} changed")

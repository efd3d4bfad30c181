#!/usr/bin/env python3
"""Checks a tool's findings against the planted keys; prints one verdict.
usage: compare.py hypercare|diff OUTPUT expected.json
(`diff`: reladiff's and data-diff's `+`/`-` row lines.)"""
import json
import re
import sys

tool, path, expected_path = sys.argv[1:4]
expected = {k: set(v) for k, v in json.load(open(expected_path)).items()}
text = open(path).read()
if tool == "hypercare":
    d = json.loads(text)[0]["details"]
    found = {
        "missing": {int(k) for k in d.get("missing_keys", [])},
        "extra": {int(k) for k in d.get("extra_keys", [])},
        "changed": {int(c["key"]) for c in d.get("changed_keys", [])},
    }
    mode = f" ({d.get('mode')}, {d.get('segments')} segments)"
else:
    minus, plus = set(), set()
    for line in text.splitlines():
        m = re.match(r"^\s*([+-])\s*\(?\s*'?(\d+)", line)
        if m:
            (minus if m.group(1) == "-" else plus).add(int(m.group(2)))
    found = {"missing": minus - plus, "extra": plus - minus, "changed": minus & plus}
    mode = ""
counts = "/".join(str(len(found[k])) for k in ("missing", "extra", "changed"))
if all(found[k] == expected[k] for k in expected):
    print(f"exact {counts}{mode}")
else:
    wrong = ", ".join(
        f"{k}: {len(found[k] - expected[k])} false, {len(expected[k] - found[k])} not found"
        for k in expected if found[k] != expected[k])
    print(f"WRONG {counts} ({wrong}){mode}")

#!/usr/bin/env python3
"""Checks a tool's findings against the planted keys.
usage: compare.py hypercare|data-diff OUTPUT expected.json COLUMNS"""
import json
import re
import sys

tool, path, expected_path = sys.argv[1:4]
expected = {k: set(v) for k, v in json.load(open(expected_path)).items()}
text = open(path).read()
if tool == "hypercare":
    run = json.loads(text)[0]
    d = run["details"]
    found = {
        "missing": {int(k) for k in d.get("missing_keys", [])},
        "extra": {int(k) for k in d.get("extra_keys", [])},
        "changed": {int(c["key"]) for c in d.get("changed_keys", [])},
    }
    extra_info = f"mode={d.get('mode')} segments={d.get('segments')}"
else:
    minus, plus = set(), set()
    for line in text.splitlines():
        m = re.match(r"^\s*([+-])\s*\(?\s*'?(\d+)", line)
        if m:
            (minus if m.group(1) == "-" else plus).add(int(m.group(2)))
    found = {"missing": minus - plus, "extra": plus - minus, "changed": minus & plus}
    extra_info = ""
same = all(found[k] == expected[k] for k in expected)
counts = " ".join(f"{k}={len(found[k])}" for k in ("missing", "extra", "changed"))
print(f"  {tool}: {counts} {'identical to the planted keys' if same else 'DIFFERENT from the planted keys'} {extra_info}")
if not same:
    for k in expected:
        if found[k] != expected[k]:
            print(f"    {k}: {len(found[k] - expected[k])} unexpected, {len(expected[k] - found[k])} not found")

#!/usr/bin/env python3
"""Summarises run.sh's results: per case and tool, the median wall time
(min-max over runs), the largest peak RSS, the ratio to the floor (the
slower database's raw checksum, median over runs) and how many times
slower than hypercare each peer was.
usage: summary.py results.tsv ROWS"""
import statistics
import sys
from collections import defaultdict

path, rows = sys.argv[1], int(sys.argv[2])
walls, rss, verdicts = defaultdict(list), defaultdict(list), defaultdict(set)
floors = defaultdict(list)
by_run = defaultdict(dict)
for line in open(path):
    run, case, tool, wall, mb, verdict = line.rstrip("\n").split("\t")
    walls[case, tool].append(float(wall))
    rss[case, tool].append(int(mb))
    verdicts[case, tool].add(verdict)
    by_run[run, case][tool] = float(wall)
for (run, case), tools in by_run.items():
    pair = [tools[t] for t in ("floor-postgres", "floor-mariadb") if t in tools]
    if pair:
        floors[case].append(max(pair))
print(f"\n{rows:,} rows; median wall time over runs (min-max), peak RSS")
print("| case | tool | wall s | peak RSS MB | x floor | x hypercare | findings |")
print("|---|---|---|---|---|---|---|")
for case in dict.fromkeys(c for c, _ in walls):
    floor = statistics.median(floors[case]) if floors[case] else None
    hc = statistics.median(walls[case, "hypercare"]) if (case, "hypercare") in walls else None
    for (c, tool), w in walls.items():
        if c != case:
            continue
        m = statistics.median(w)
        spread = f"{m:.2f} ({min(w):.2f}-{max(w):.2f})" if len(w) > 1 else f"{m:.2f}"
        xf = f"{m / floor:.2f}x" if floor and not tool.startswith("floor") else ""
        xh = f"{m / hc:.2f}x" if hc and tool not in ("hypercare",) and not tool.startswith("floor") else ""
        print(f"| {case} | {tool} | {spread} | {max(rss[c, tool])} | {xf} | {xh} | {'; '.join(sorted(verdicts[c, tool]))} |")
    if floor:
        print(f"| {case} | floor (slower database) | {floor:.2f} | | 1x | | |")

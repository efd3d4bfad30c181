#!/usr/bin/env bash
# Cost of `clinic =` on a keyed diff: the same 1 M-row tables (PostgreSQL
# source with 0.1 % planted differences -> MariaDB target, loaded by
# ../reconcile/load.sh), compared with and without a clinic on each side,
# alternately in one run. The clinic is `visits % 4` on both sides (codes
# 1, 2, 3 are three clinics, 0 is unassigned): each side maps it to a clinic
# id inside its database and the diff carries it as one more column.
# Prints each run's wall time and peak RSS, the medians and the ratio, and
# checks both runs find the same totals and that by_clinic adds up to them.
# usage: bench/clinics/run.sh [ROWS] [RUNS]      (defaults 1000000, 3)
# Env: SKIP_LOAD=1 reuses loaded tables; BENCH_DB (default hcbench_clinics);
# BENCH_DATA; HYPERCARE_BIN (else a release build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rows=${1:-1000000}
runs=${2:-3}
db=${BENCH_DB:-hcbench_clinics}
data=${BENCH_DATA:-/work/bench-data/clinics-$rows}
export BENCH_DB=$db
if [ "${SKIP_LOAD:-0}" != 1 ] || [ ! -f "$data/expected.json" ]; then
  start=$(date +%s.%N); bash "$here/../reconcile/load.sh" "$rows" "$data"
  echo "load: $(echo "$(date +%s.%N) - $start" | bc) s"
fi
bin=${HYPERCARE_BIN:-}
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --release --quiet)
  bin=${CARGO_TARGET_DIR:-$root/target}/release/hypercare
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cols='["name", "city", "born", "seen", "amount", "active", "uid", "visits", "note"]'
config() { # clinic keys (empty: none)
  cat <<TOML
[sources.pg]
url = "postgres://postgres@127.0.0.1:5432/${db}"
statement_timeout = "30m"
[sources.my]
url = "mysql://root@127.0.0.1:3306/${db}"
statement_timeout = "30m"
[[clinics]]
id = "north"
name = "North"
codes = ["1"]
[[clinics]]
id = "south"
name = "South"
codes = ["2"]
[[clinics]]
id = "east"
name = "East"
codes = ["3"]
[[reconcile]]
name = "bench"
schedule = "0 0 0 * * *"
timeout = "2h"
max_keys = 1000000
source = { from = "pg", table = "bench_diff", key = "id", columns = $cols$1 }
target = { from = "my", table = "bench", key = "id", columns = $cols$2 }
TOML
}
config "" "" > "$out/plain.toml"
config ', clinic = "visits % 4"' ', clinic = "visits % 4"' > "$out/clinic.toml"
echo "rows=$rows runs=$runs load=$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'run\tvariant\tseconds\tpeak_rss_mb\tmode\tmissing\textra\tchanged\tclinics\n' | tee "$out/results.tsv"
for i in $(seq "$runs"); do
  for variant in plain clinic; do
    /usr/bin/time -f "%e %M" -o "$out/time" "$bin" check --json -c "$out/$variant.toml" > "$out/$variant.json" 2> "$out/$variant.err" || true
    read -r wall rss < <(tail -1 "$out/time")
    figures=$(python3 - "$out/$variant.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))[0]
d = run["details"]
by = d.get("by_clinic", {})
for f in ("missing", "extra", "changed", "source_rows", "target_rows"):
    if by:
        assert sum(s[f] for s in by.values()) == d[f], (f, by)
print("\t".join([d.get("mode", "?"), str(d["missing"]), str(d["extra"]), str(d["changed"]),
                 " ".join(f"{c}:{s['missing']}/{s['extra']}/{s['changed']}" for c, s in sorted(by.items())) or "-"]))
PY
) || figures="unreadable: $(tail -c 300 "$out/$variant.err")"
    printf '%s\t%s\t%s\t%s\t%s\n' "$i" "$variant" "$wall" "$((rss / 1024))" "$figures" | tee -a "$out/results.tsv"
  done
done
python3 - "$out/results.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
med = {}
for v in ("plain", "clinic"):
    secs = [float(r["seconds"]) for r in rows if r["variant"] == v]
    rss = [int(r["peak_rss_mb"]) for r in rows if r["variant"] == v]
    med[v] = (statistics.median(secs), statistics.median(rss))
    print(f"{v:7} median {med[v][0]:.2f} s (runs {', '.join(f'{s:.2f}' for s in secs)}), peak RSS median {med[v][1]} MB")
print(f"ratio clinic/plain: time {med['clinic'][0] / med['plain'][0]:.2f}x, peak RSS {med['clinic'][1] / med['plain'][1]:.2f}x (goal: time <= 1.2x)")
PY

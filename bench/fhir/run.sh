#!/usr/bin/env bash
# FHIR side of a keyed diff at hospital scale, on a real FHIR server
# (SEKMET from PyPI): PostgreSQL patient_data against N Patients, at 50 000
# then 200 000 (the same server, 150 000 more loaded in between). For each
# size: the server's own paging rate (page.py reads the same pages), then
# hypercare's keyed diff, its wall time and peak RSS (/usr/bin/time -v),
# and the ratio of rates. usage: bash bench/fhir/run.sh [SIZES...]
# RAW=0 skips the raw paging pass; MODES="export" runs only $export.
# PAGE=N asks N resources a page (`_count`, default 500 as hypercare does)
# of both the raw pass and hypercare's search. RAW_LAST=1 reads the raw
# pass after hypercare's runs instead of before.
# PEER_BIN=path runs a second hypercare (another build) the same way, right
# after each of BIN's runs, as a peer in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=("${@:-50000 200000}")
read -r -a SIZES <<<"${SIZES[*]}"
BIN=${HYPERCARE_BIN:-${CARGO_TARGET_DIR:-target}/release/hypercare}
SEKMET=${HYPERCARE_TEST_SEKMET:-$HOME/.cache/hypercare-ci/sekmet-fhir-0.1.1/bin/sekmet}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
[ -x "$BIN" ] || { echo "build first: cargo build --release ($BIN)"; exit 1; }
[ -x "$SEKMET" ] || { echo "install SEKMET: python3 -m venv V && V/bin/pip install sekmet-fhir==0.1.1; HYPERCARE_TEST_SEKMET=V/bin/sekmet"; exit 1; }

WORK=$(mktemp -d)
PORT=${PORT:-18391}
BASE="http://127.0.0.1:$PORT/fhir"
DB=bench_fhir_$$
cleanup() {
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null || true
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cat >"$WORK/settings.yaml" <<YAML
base_url: $BASE
host: 127.0.0.1
port: $PORT
data_dir: $WORK/data
log_inbound: false
simulator: {enabled: false}
validation: {inbound: "off"}
YAML
(cd "$WORK" && exec "$SEKMET" serve -c settings.yaml >"$WORK/server.log" 2>&1) &
SERVER=$!
for _ in $(seq 60); do curl -sf "$BASE/metadata" >/dev/null && break; sleep 1; done
psql -q "$PG/postgres" -c "CREATE DATABASE $DB"
# One config per way of reading the FHIR side: paged search, $export.
for mode in search export; do
  bulk=false; [ "$mode" = export ] && bulk=true
  count=""; [ "$mode" = search ] && count=", params = \"_count=${PAGE:-500}\""
  cat >"$WORK/$mode.toml" <<TOML
[sources.legacy]
url = "$PG/$DB"
[sources.ehr]
fhir = "$BASE"
statement_timeout = "600s"
bulk = $bulk

[[reconcile]]
name = "patients"
schedule = "0 0 * * * *"
timeout = "2h"
sort_dir = "$WORK/sort"
source = { from = "legacy", table = "patient_data", key = "pubpid", columns = ["lname", "fname", "dob"] }
target = { from = "ehr", resource = "Patient", key = "identifier:urn:oid:2.16.840.1.113883.19.5", columns = ["name.family", "name.given", "birthDate"]$count }
TOML
done

# A config mistake shows now, not after the load.
for mode in search export; do "$BIN" validate -c "$WORK/$mode.toml" >/dev/null; done
loaded=0
printf '%-8s %-7s %-10s %-12s %-10s %-12s %-8s %-12s %s\n' size mode raw_s raw_per_s hc_s hc_per_s rate peak_rss_MB bin
for n in "${SIZES[@]}"; do
  python3 bench/fhir/load.py "$BASE" "$PG/$DB" $((loaded + 1)) "$n"
  loaded=$n
  raw=0
  raw_pass() {
    read -r got raw < <(python3 bench/fhir/page.py "$BASE" "${PAGE:-500}")
    [ "$got" = "$n" ] || { echo "the server paged $got of $n"; exit 1; }
    echo "# raw pass: $n in $raw s, $(uptime)"
  }
  [ "${RAW:-1}" = 1 ] && [ "${RAW_LAST:-0}" = 0 ] && raw_pass
  for mode in ${MODES:-search export}; do
  for bin in "$BIN" ${PEER_BIN:-}; do
    echo "# $(uptime)"
    /usr/bin/time -v "$bin" check --json -c "$WORK/$mode.toml" >"$WORK/out.json" 2>"$WORK/time.txt" || true
    python3 - "$WORK" "$n" "$raw" "$mode" "$bin" <<'PY'
import json, re, sys
work, n, raw, mode, bin = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
out = json.load(open(work + "/out.json"))[0]
t = open(work + "/time.txt").read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", t)
wall = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
d = out["details"]
assert out["status"] == "pass", (out["status"], out.get("summary"), d.get("error"))
assert d["target_rows"] == n, d["target_rows"]
raw_rate = n / raw if raw else 0
open(work + "/walls", "a").write("%s %.2f %s\n" % (mode, wall, bin))
print("%-8d %-7s %-10.1f %-12.0f %-10.1f %-12.0f %-8.2f %-12.1f %s" % (n, mode, raw, raw_rate, wall, n / wall, raw / wall, rss, bin))
PY
  done
  done
  # Run last, the rate is printed here: raw s / hypercare s of each run above.
  if [ "${RAW:-1}" = 1 ] && [ "${RAW_LAST:-0}" = 1 ]; then
    raw_pass
    while read -r m w b; do
      awk -v n="$n" -v m="$m" -v w="$w" -v r="$raw" -v b="$b" \
        'BEGIN { printf "%-8d %-7s raw %.1f s (%.0f/s), hypercare %.1f s (%.0f/s): rate %.2f  %s\n", n, m, r, n / r, w, n / w, r / w, b }'
    done <"$WORK/walls"
  fi
  : >"$WORK/walls"
done

#!/usr/bin/env bash
# Load benchmark of the feedback form with known issues shown: wrk GETs
# /feedback?clinic=east&role=nurse (three known issues listed above the
# form, read from the store on every request) for DURATION seconds while a
# second wrk taps "this affects me too" side by side, against a release
# build on a fresh SQLite store (or STORE_URL, e.g. a PostgreSQL database),
# RUNS times. Each run reports form GETs per second, their p50/p99, taps
# counted per second, and whether the store holds exactly as many taps as
# 303s ("counted") wrk received. See README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION="${DURATION:-20}"
CONNECTIONS="${CONNECTIONS:-32}"
TAP_CONNECTIONS="${TAP_CONNECTIONS:-4}"
RUNS="${RUNS:-3}"
PORT="${PORT:-19291}"
TOKEN="bench-known-token-0123456789"

if ! command -v wrk >/dev/null; then
  apt-get install -y -qq wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
fi
# BIN=path runs an already built release binary instead of building one.
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN="$PWD/target/release/hypercare"
fi
WORK="$(mktemp -d)"
trap 'kill "${PID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores; load before: $(uptime | sed 's/.*load average: //')"

api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }

for run in $(seq "$RUNS"); do
  DIR="$WORK/run$run"
  mkdir -p "$DIR"
  printf '%s\n' "$TOKEN" > "$DIR/token"
  cat > "$DIR/hypercare.toml" <<TOML
[server]
listen = "127.0.0.1:$PORT"
admin_token_file = "$DIR/token"
[store]
url = "${STORE_URL:-sqlite://$DIR/store.db}"
[feedback]
# Raised for the benchmark: every tap comes from 127.0.0.1.
rate_limit_per_minute = 100000000
[[clinics]]
id = "north"
name = "North Clinic"
[[clinics]]
id = "east"
name = "East Family Practice"
TOML
  RUST_LOG=warn "$BIN" run -c "$DIR/hypercare.toml" 2>"$DIR/daemon.log" &
  PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  BASE="http://127.0.0.1:$PORT"
  for title in "Chart search takes about a minute" "Lab results arrive late in the inbox" "Printing visit summaries fails"; do
    api -X POST "$BASE/api/v1/known-issues" -o "$DIR/issue.json" -d "{\"title\": \"$title\", \"clinics\": [\"east\"], \"roles\": [\"nurse\"], \"status\": \"workaround_available\", \"workaround\": \"Search by visit date in the schedule, then open the chart from there.\"}"
  done
  ISSUE="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$DIR/issue.json")"
  curl -s -c "$DIR/jar" "$BASE/feedback?clinic=east&role=nurse" -o "$DIR/form.html"
  CSRF="$(grep -o 'name="csrf" value="[^"]*"' "$DIR/form.html" | head -1 | sed 's/.*value="//; s/"$//')"
  COOKIE="hc_csrf=$(awk '$6 == "hc_csrf" { print $7 }' "$DIR/jar")"
  CSRF="$CSRF" COOKIE="$COOKIE" ISSUE="$ISSUE" TAP_SECONDS="$((DURATION - 1))" \
    wrk -t 1 -c "$TAP_CONNECTIONS" -d "${DURATION}s" --latency -s bench/known/tap.lua "$BASE" > "$DIR/tap.txt" &
  TAPS=$!
  wrk -t 2 -c "$CONNECTIONS" -d "${DURATION}s" --latency -s bench/known/get.lua "$BASE" > "$DIR/get.txt"
  wait "$TAPS"
  TAPS_STORED="$(api "$BASE/api/v1/known-issues/$ISSUE" | python3 -c "import json,sys; print(json.load(sys.stdin)['taps'])")"
  kill -TERM "$PID"; wait "$PID" || true
  GETS="$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$DIR/get.txt")"
  SHOWN="$(sed -n 's/^BENCH shown=\([0-9]*\).*/\1/p' "$DIR/get.txt")"
  MISSING="$(sed -n 's/^BENCH shown=[0-9]* missing=\([0-9]*\).*/\1/p' "$DIR/get.txt")"
  P50="$(sed -n 's/^BENCH p50_ms=\([0-9.]*\).*/\1/p' "$DIR/get.txt")"
  P99="$(sed -n 's/^BENCH p50_ms=.* p99_ms=\([0-9.]*\).*/\1/p' "$DIR/get.txt")"
  COUNTED="$(sed -n 's/^BENCH sent=[0-9]* counted=\([0-9]*\).*/\1/p' "$DIR/tap.txt")"
  TAP_P99="$(sed -n 's/^BENCH p50_ms=.* p99_ms=\([0-9.]*\).*/\1/p' "$DIR/tap.txt")"
  TAP_RATE="$(python3 -c "print(round($COUNTED / ($DURATION - 1)))")"
  echo "run $run: form_gets_per_s=$GETS shown=$SHOWN missing=$MISSING p50_ms=$P50 p99_ms=$P99 | taps_counted=$COUNTED taps_stored=$TAPS_STORED lost=$((COUNTED - TAPS_STORED)) taps_per_s=$TAP_RATE tap_p99_ms=$TAP_P99"
  grep -E '^BENCH errors' "$DIR/get.txt" | sed "s/^BENCH /run $run: /"
  if [ "$COUNTED" != "$TAPS_STORED" ]; then
    echo "run $run: MISMATCH: the store holds $TAPS_STORED taps, wrk got $COUNTED 303s" >&2
    MISMATCH=1
  fi
done
echo "load after: $(uptime | sed 's/.*load average: //')"
exit "${MISMATCH:-0}"

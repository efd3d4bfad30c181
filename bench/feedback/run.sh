#!/usr/bin/env bash
# Load benchmark of the staff feedback form: wrk POSTs valid submissions for
# DURATION seconds at CONNECTIONS connections against a release build on a
# fresh SQLite store, RUNS times. Each run reports accepted submissions per
# second, p50/p99 latency, and whether the store holds exactly as many
# reports as thank-you pages wrk received. See README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION="${DURATION:-30}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
RUNS="${RUNS:-3}"
PORT="${PORT:-19290}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
cargo build --release --locked --quiet
BIN="$PWD/target/release/hypercare"
WORK="$(mktemp -d)"
trap 'kill "${PID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

for run in $(seq "$RUNS"); do
  DIR="$WORK/run$run"
  mkdir -p "$DIR"
  cat > "$DIR/hypercare.toml" <<TOML
[server]
listen = "127.0.0.1:$PORT"
[store]
url = "sqlite://$DIR/store.db"
[feedback]
# Raised for the benchmark: every request comes from 127.0.0.1.
rate_limit_per_minute = 100000000
[[clinics]]
id = "north"
name = "North Clinic"
TOML
  RUST_LOG=warn "$BIN" run -c "$DIR/hypercare.toml" 2>"$DIR/daemon.log" &
  PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  # A CSRF pair as a browser gets it: the cookie and the form's hidden field.
  curl -s -c "$DIR/jar" "http://127.0.0.1:$PORT/feedback?clinic=north" -o "$DIR/form.html"
  CSRF="$(grep -o 'name="csrf" value="[^"]*"' "$DIR/form.html" | sed 's/.*value="//; s/"$//')"
  COOKIE="hc_csrf=$(awk '$6 == "hc_csrf" { print $7 }' "$DIR/jar")"
  CSRF="$CSRF" COOKIE="$COOKIE" POST_SECONDS="$((DURATION - 1))" \
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s bench/feedback/post.lua \
    "http://127.0.0.1:$PORT" > "$DIR/wrk.txt"
  kill -TERM "$PID"; wait "$PID" || true
  STORED="$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM feedback').fetchone()[0])" "$DIR/store.db")"
  ACCEPTED="$(sed -n 's/^BENCH posted=[0-9]* accepted=\([0-9]*\).*/\1/p' "$DIR/wrk.txt")"
  POSTED="$(sed -n 's/^BENCH posted=\([0-9]*\).*/\1/p' "$DIR/wrk.txt")"
  REFUSED="$(sed -n 's/^BENCH .*refused=\([0-9]*\)$/\1/p' "$DIR/wrk.txt")"
  P99="$(sed -n 's/^BENCH p50_ms=.* p99_ms=\([0-9.]*\).*/\1/p' "$DIR/wrk.txt")"
  P50="$(sed -n 's/^BENCH p50_ms=\([0-9.]*\).*/\1/p' "$DIR/wrk.txt")"
  RATE="$(python3 -c "print(round($ACCEPTED / ($DURATION - 1)))")"
  LOST=$((ACCEPTED - STORED))
  echo "run $run: posted=$POSTED accepted=$ACCEPTED refused=$REFUSED stored=$STORED lost=$LOST accepted_per_s=$RATE p50_ms=$P50 p99_ms=$P99"
  grep -E '^BENCH errors' "$DIR/wrk.txt" | sed "s/^BENCH /run $run: /"
  if [ "$STORED" != "$ACCEPTED" ]; then
    echo "run $run: MISMATCH: the store holds $STORED reports, wrk got $ACCEPTED thank-you pages" >&2
    MISMATCH=1
  fi
done
exit "${MISMATCH:-0}"

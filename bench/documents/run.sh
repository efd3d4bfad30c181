#!/usr/bin/env bash
# Benchmarks of [[documents]] checks, on one machine, RUNS times each:
# 1. reachability: DOCS documents checked by HEAD against nginx on loopback
#    at CONNECTIONS concurrent requests: checks/s and peak RSS, next to wrk
#    against the same nginx at the same connection count (GET of one of the
#    same small files: Debian's wrk 4.1.0 reports 0 requests/s for HEAD,
#    wg/wrk#198);
# 2. content: CONTENT_MB of documents in a folder verified (size, magic bytes,
#    SHA-256 streamed) in MB/s, next to sha256sum on the same files (one
#    process, and two in parallel: the machine has 2 cores).
# See README.md for the results.
set -euo pipefail
cd "$(dirname "$0")/../.."

DOCS="${DOCS:-100000}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
RUNS="${RUNS:-5}"
PORT="${PORT:-19380}"
WRK_SECONDS="${WRK_SECONDS:-5}"
CONTENT_MB="${CONTENT_MB:-1024}"
FILE_MB="${FILE_MB:-8}"

if ! command -v nginx >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked --quiet
BIN="$PWD/target/release/hypercare"
WORK="$(mktemp -d)"
chmod 755 "$WORK"  # nginx workers run as another user
trap 'kill "${NGINX:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

python3 bench/documents/gen.py "$WORK" "$DOCS" "$CONTENT_MB" "$FILE_MB"

cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  types { application/pdf pdf; }
  server { listen 127.0.0.1:$PORT; root $WORK/www; }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" &
NGINX=$!
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/f/1.pdf" && break; sleep 0.1; done

cat > "$WORK/bench.toml" <<TOML
[store]
url = "sqlite://$WORK/store.db"

[sources.head]
url = "sqlite://$WORK/head.db"

[sources.content]
url = "sqlite://$WORK/content.db"

[[documents]]
name = "bench_head"
schedule = "0 0 0 * * *"
timeout = "30m"
sample = $DOCS
content_share = 0
concurrency = $CONNECTIONS
rate_per_host = 1000000
request_timeout = "10s"
max_failures = 10
kinds = { lab_report = [] }
inventory = { from = "head", sql = "SELECT id, kind, location, content_type, size, patient, date FROM docs" }
storage = { base = "http://127.0.0.1:$PORT/" }

[[documents]]
name = "bench_content"
schedule = "0 0 0 * * *"
timeout = "30m"
sample = 100000
content_share = 1
concurrency = $THREADS
rate_per_host = 1000000
request_timeout = "10m"
kinds = { scanned_record = [] }
inventory = { from = "content", sql = "SELECT id, kind, location, content_type, size, hash, hash_algorithm, patient, date FROM docs" }
storage = { base = "$WORK/content" }
TOML

# Reads one check's JSON report: "checked failed duration_ms".
report() {
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; d=r["details"]; print(d["checked"], d["failed"], r["duration_ms"], r["status"])' "$1"
}

echo "machine: $(nproc) cores, shared with other builds; nginx 1 worker, access_log off"
for run in $(seq "$RUNS"); do
  # wrk and the check back to back, so both see the same background load.
  /usr/bin/time -f "%U %S" -o "$WORK/wrk-time.txt" \
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WRK_SECONDS}s" "http://127.0.0.1:$PORT/f/1.pdf" > "$WORK/wrk.txt"
  WRK_RATE="$(awk '/^Requests\/sec/ { print $2 }' "$WORK/wrk.txt")"
  if grep -q "Non-2xx" "$WORK/wrk.txt"; then echo "wrk got errors:" >&2; cat "$WORK/wrk.txt" >&2; exit 1; fi
  WRK_REQS="$(awk '/requests in/ { print $1 }' "$WORK/wrk.txt")"
  read -r WU WS < <(tail -1 "$WORK/wrk-time.txt")
  /usr/bin/time -f "%M %e %U %S" -o "$WORK/time.txt" "$BIN" check -c "$WORK/bench.toml" --json bench_head > "$WORK/head.json" || true
  read -r CHECKED FAILED MS STATUS < <(report "$WORK/head.json")
  read -r RSS_KB WALL HU HS < <(tail -1 "$WORK/time.txt")
  RATE="$(python3 -c "print(round($CHECKED / ($MS / 1000)))")"
  RATIO="$(python3 -c "print(round(100 * $RATE / $WRK_RATE, 1))")"
  # CPU time per request (user + system), less sensitive to the machine's other load than rates.
  HC_US="$(python3 -c "print(round(1e6 * ($HU + $HS) / $CHECKED, 1))")"
  WRK_US="$(python3 -c "print(round(1e6 * ($WU + $WS) / $WRK_REQS, 1))")"
  echo "head run $run: checked=$CHECKED failed=$FAILED status=$STATUS check_ms=$MS checks_per_s=$RATE peak_rss_mb=$((RSS_KB / 1024)) cpu_us_per_check=$HC_US wrk_get_per_s=$WRK_RATE wrk_cpu_us_per_request=$WRK_US ratio_pct=$RATIO load=$(cut -d' ' -f1 /proc/loadavg)"
done

TOTAL_MB="$(du -cm "$WORK"/content/*.pdf | tail -1 | cut -f1)"
cat "$WORK"/content/*.pdf > /dev/null  # warm the page cache for both sides
for run in $(seq "$RUNS"); do
  /usr/bin/time -f "%M %e" -o "$WORK/time.txt" "$BIN" check -c "$WORK/bench.toml" --json bench_content > "$WORK/content.json" || true
  read -r CHECKED FAILED MS STATUS < <(report "$WORK/content.json")
  read -r RSS_KB WALL < <(tail -1 "$WORK/time.txt")
  S1="$( { /usr/bin/time -f "%e" sha256sum "$WORK"/content/*.pdf > /dev/null; } 2>&1 )"
  S2="$( { /usr/bin/time -f "%e" sh -c "ls $WORK/content/*.pdf | xargs -P $THREADS -n 8 sha256sum > /dev/null"; } 2>&1 )"
  echo "content run $run: files=$CHECKED failed=$FAILED status=$STATUS mb=$TOTAL_MB check_ms=$MS mb_per_s=$(python3 -c "print(round($TOTAL_MB / ($MS / 1000)))") peak_rss_mb=$((RSS_KB / 1024)) sha256sum_1proc_mb_per_s=$(python3 -c "print(round($TOTAL_MB / $S1))") sha256sum_${THREADS}proc_mb_per_s=$(python3 -c "print(round($TOTAL_MB / $S2))")"
done

#!/usr/bin/env bash
# Busy resident memory of `hypercare run` on the demo config, for the memory
# limits in deploy/ (docs/deploy.md, "Memory").
# Like idle_rss.sh, generates the demo folder once, then runs `hypercare run`
# on it, with every demo check on its schedule (reconcile, keyed diff,
# integrity, documents, workflow probes, alert evaluation every 5 s) while
# wrk POSTs staff feedback through the API (16 connections, each POST a
# stored report) and scrapes /metrics and the status page (4 connections
# each), for DURATION seconds (default 60). Samples VmRSS once a second and
# reads VmHWM (the kernel's peak RSS) at the end.
# STORE_URL=postgres://… puts the store on PostgreSQL (a fresh, empty
# database) instead of the demo's SQLite file.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
cargo build --release --quiet
bin=$PWD/target/release/hypercare
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT
duration=${DURATION:-60}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 120); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.5; done; return 1; }

port=$(free_port)
"$bin" demo --dir "$dir/demo" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
pids+=($!)
wait_ready "$port"
kill -TERM "${pids[0]}"; wait "${pids[0]}" || true

port=$(free_port)
cfg=$dir/demo/hypercare.toml
sed -i "s/^listen = .*/listen = \"127.0.0.1:$port\"/" "$cfg"
if [ -n "${STORE_URL:-}" ]; then
  sed -i "s#^url = \"sqlite://.*/hypercare.db\"#url = \"$STORE_URL\"#" "$cfg"
fi
# The API takes a bearer token: no password hashing per request, as a
# triage tool or integration would call it.
token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
sed -i "s/^admin_user = .*/admin_token_env = \"BENCH_TOKEN\"\nadmin_user = \"admin\"/" "$cfg"
BENCH_TOKEN=$token "$bin" run -c "$cfg" 2>"$dir/log" &
pid=$!
pids+=($pid)
wait_ready "$port"
sleep 15   # a round of every demo check first

cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
local clinics = {"north", "south", "east", "west", "pediatrics"}
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"clinic":"%s","role":"nurse","category":"other","severity":"slows_work","workaround":%s,"text":"bench report %d"}',
    clinics[(n % 5) + 1], (n % 3 == 0) and "true" or "false", n)
  return wrk.format(nil, nil, nil, body)
end
LUA
wrk -t1 -c16 -d"${duration}s" -s "$dir/post.lua" "http://127.0.0.1:$port/api/v1/feedback" >"$dir/wrk-post" &
w1=$!
wrk -t1 -c4 -d"${duration}s" "http://127.0.0.1:$port/metrics" >"$dir/wrk-metrics" &
w2=$!
wrk -t1 -c4 -d"${duration}s" "http://127.0.0.1:$port/" >"$dir/wrk-status" &
w3=$!
samples=()
for _ in $(seq "$duration"); do
  samples+=("$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")")
  sleep 1
done
wait $w1 $w2 $w3
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
printf '%s\n' "${samples[@]}" | sort -n | awk -v hwm="$hwm" '{a[NR]=$1} END {printf "busy RSS of hypercare run on the demo config under load, %d samples: min %.1f MB, median %.1f MB, max %.1f MB; peak (VmHWM) %.1f MB\n", NR, a[1]/1024, a[int((NR+1)/2)]/1024, a[NR]/1024, hwm/1024}'
if [ -n "${STORE_URL:-}" ]; then echo "store: postgres"; else echo "store: sqlite"; fi
echo "feedback POSTs: $(awk '/requests in/ {print $1}' "$dir/wrk-post") ($(awk '/Requests\/sec/ {print $2}' "$dir/wrk-post")/s, non-2xx: $(awk '/Non-2xx/ {print $5}' "$dir/wrk-post"))"
echo "/metrics GETs: $(awk '/requests in/ {print $1}' "$dir/wrk-metrics"); status page GETs: $(awk '/requests in/ {print $1}' "$dir/wrk-status")"
echo "checks finished during the run: $(grep -c 'check finished' "$dir/log")"

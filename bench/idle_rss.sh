#!/usr/bin/env bash
# Idle resident memory of `hypercare demo` (the daemon on the demo config):
# starts it in a temporary folder, waits until every check has run a few
# times, then samples VmRSS once a second for 30 s and prints min/median/max.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/hypercare
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" demo --dir "$dir/demo" --listen "127.0.0.1:$port" >/dev/null 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 1; done
sleep 25   # two or three rounds of the demo's every-10-seconds checks
samples=()
for _ in $(seq 30); do
  samples+=("$(awk '/VmRSS/ {print $2}' /proc/$pid/status)")
  sleep 1
done
printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {printf "idle RSS over %d samples: min %.1f MB, median %.1f MB, max %.1f MB\n", NR, a[1]/1024, a[int((NR+1)/2)]/1024, a[NR]/1024}'
echo "checks finished during the run: $(grep -c 'check finished' "$dir/log")"
